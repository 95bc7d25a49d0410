package notify_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/notify"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// fakeChain answers the notifier's queries from a table.
type fakeChain struct {
	mu        sync.Mutex
	height    int64
	blockTime int64
	answers   map[string]any
	// fail names paths whose query fails.
	fail map[string]bool
}

func (c *fakeChain) Query(_ context.Context, path string) (ledger.QueryResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail[path] {
		return ledger.QueryResult{}, fmt.Errorf("query %s: broken", path)
	}
	if path == "chain" {
		return ledger.QueryResult{Value: tx.Canonical(map[string]any{"height": c.height, "block_time": c.blockTime, "community": "阳光花园", "chain_id": "c"})}, nil
	}
	v, ok := c.answers[path]
	if !ok {
		return ledger.QueryResult{Code: uint32(abci.CodeQueryNotFound)}, nil
	}
	return ledger.QueryResult{Value: tx.Canonical(v)}, nil
}

// block moves the chain on and changes what it answers.
func (c *fakeChain) block(edit func(a map[string]any)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.height++
	c.blockTime += 5
	edit(c.answers)
}

// poster records what the notifier queued.
type poster struct {
	mu    sync.Mutex
	texts map[string][]string
	tmpls []string
}

// Notify records the text, and for proposals the values a template
// message would show, as "user title=… time=… community=…".
func (p *poster) Notify(user, kind, text string, values map[string]string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.texts[user] = append(p.texts[user], text)
	if kind == notify.KindProposal {
		p.tmpls = append(p.tmpls, user+" title="+values["title"]+" time="+values["time"]+" community="+values["community"])
	}
	return true
}

// peek returns who got a text containing want.
func (p *poster) peek(want string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var users []string
	for u, ts := range p.texts {
		for _, t := range ts {
			if strings.Contains(t, want) {
				users = append(users, u)
				break
			}
		}
	}
	sort.Strings(users)
	return users
}

// take returns and forgets what was queued: who got a text containing
// want (sorted), and every template message.
func (p *poster) take(want string) (users []string, tmpls []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for u, ts := range p.texts {
		for _, t := range ts {
			if strings.Contains(t, want) {
				users = append(users, u)
				break
			}
		}
	}
	sort.Strings(users)
	tmpls = p.tmpls
	p.texts, p.tmpls = map[string][]string{}, nil
	return users, tmpls
}

func TestNotifications(t *testing.T) {
	ctx := context.Background()
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	wx := gw.Wechat()
	now := time.Now()
	const t0 = int64(1_800_000_000)
	member := func(unit, rel, owner string) abci.MemberView {
		return abci.MemberView{Unit: unit, Relation: rel, Owner: owner, Roles: []string{}}
	}
	c := &fakeChain{height: 10, blockTime: t0, answers: map[string]any{
		"units": []abci.Unit{{Unit: "3-501", Building: "3"}, {Unit: "3-502", Building: "3"}, {Unit: "3-601", Building: "3"},
			{Unit: "5-101", Building: "5"}, {Unit: "3-503", Building: "3"}, {Unit: "3-504", Building: "3"}},
		"members/A1":    member("3-501", "owner", "O-1"),
		"members/A2":    member("3-502", "owner", "O-7"),
		"members/A3":    member("3-601", "tenant", "O-2"),
		"members/A4":    member("5-101", "owner", "O-3"),
		"members/A6":    member("3-503", "owner", "O-9"),
		"members/A7":    member("3-504", "owner", "O-10"),
		"ballots/1/O-7": abci.Ballot{},
		"proposals": []map[string]any{
			{"id": 1, "kind": "decision", "title": "更换3栋电梯", "buildings": []string{"3"}, "notice_at": t0 - 10, "vote_start": t0 + 100, "vote_end": t0 + 100 + 7*86400, "phase": "noticed", "status": "open"},
		},
		"repairs":  []abci.Repair{},
		"items/5":  abci.Item{ID: 5, Title: "电钻", Poster: "A1"},
		"items/6":  abci.Item{ID: 6, Title: "车位", Poster: "A2"},
		"bookings": nil,
	}}
	for _, u := range []struct {
		openid, addr string
		sub          bool
		seen         time.Time
	}{
		{"oOwner1", "A1", true, now}, {"oOwner2", "A2", true, now}, {"oTenant", "A3", true, now},
		{"oOther", "A4", true, now}, {"oUnbound", "A5", true, now}, {"oGone", "A6", false, now},
		{"oOld", "A7", true, now.Add(-72 * time.Hour)},
	} {
		if _, _, _, err := wx.BeginMessage(ctx, "m-"+u.openid, u.openid, u.addr, u.seen, nil); err != nil {
			t.Fatal(err)
		}
		if !u.sub {
			wx.SetSubscribed(ctx, u.openid, u.addr, false, u.seen)
		}
	}
	out := &poster{texts: map[string][]string{}}
	n := notify.New(c, wx, templates.MustLoad())
	n.Users, n.Private = wx, out
	scan := func() {
		t.Helper()
		if err := n.Scan(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step, want string, users []string, tmpls ...string) {
		t.Helper()
		gotUsers, gotTmpls := out.take(want)
		if fmt.Sprint(gotUsers) != fmt.Sprint(users) {
			t.Errorf("%s: %q went to %v, want %v", step, want, gotUsers, users)
		}
		if fmt.Sprint(gotTmpls) != fmt.Sprint(tmpls) {
			t.Errorf("%s: templates %q, want %q", step, gotTmpls, tmpls)
		}
	}

	scan()
	check("FirstScanOnlyRemembers", "", nil)

	c.block(func(a map[string]any) {
		a["proposals"] = append(a["proposals"].([]map[string]any),
			map[string]any{"id": 2, "kind": "poll", "title": "中秋活动定在哪天", "options": []string{"周六", "周日"}, "vote_start": t0, "vote_end": t0 + 3*86400, "phase": "voting", "status": "open"})
	})
	scan()
	// Every notice carries the values of its template message, which the
	// official account sends when WeChat allows no customer-service
	// message.
	var fallbacks []string
	for _, u := range []string{"oOld", "oOther", "oOwner1", "oOwner2", "oTenant"} {
		end := time.Unix(t0+3*86400, 0).In(time.FixedZone("CST", 8*3600)).Format("1月2日 15:04")
		fallbacks = append(fallbacks, u+" title=中秋活动定在哪天 time="+end+" community=阳光花园")
	}
	// The text gives the end with its weekday, as the chat does; the
	// template field keeps the short form.
	endText := bot.DateTime(time.Unix(t0+3*86400, 0).In(time.FixedZone("CST", 8*3600)))
	check("NewPollToEveryBoundFollower", "新的投票：【中秋活动定在哪天】\n正在投票，"+endText+" 截止。", []string{"oOld", "oOther", "oOwner1", "oOwner2", "oTenant"}, fallbacks...)

	scan()
	check("NoNewBlockNothingSent", "", nil)

	c.block(func(a map[string]any) {
		p := a["proposals"].([]map[string]any)
		p[0]["phase"], p[0]["vote_end"] = "voting", c.blockTime+3600
	})
	scan()
	check("ReminderToOwnersInTheBuildingWhoHaveNotVoted", "您家还没有投票", []string{"oOld", "oOwner1"})

	c.block(func(a map[string]any) {
		p := a["proposals"].([]map[string]any)
		p[0]["phase"], p[0]["status"], p[0]["outcome"] = "closed", "closed", "passed"
		p[1]["phase"], p[1]["status"] = "closed", "closed"
		a["proposals/2/result"] = abci.Result{Proposal: 2, Kind: "poll", Winners: []string{"周日"}}
	})
	scan()
	check("DecisionResultToItsElectorate", "业主表决【更换3栋电梯】结果已公布：通过", []string{"oOld", "oOwner1", "oOwner2"})
	c.block(func(map[string]any) {})
	scan()
	check("ResultsSentOnce", "结果已公布", nil)

	// Sharing and repairs.
	c.block(func(a map[string]any) {
		a["bookings/1"] = abci.Booking{ID: 1, Item: 5, Borrower: "A3", Status: "pending"}
		a["bookings/2"] = abci.Booking{ID: 2, Item: 6, Borrower: "A4", Status: "pending"}
		a["repairs"] = []abci.Repair{{ID: 1, Kind: "repair", Title: "楼道灯坏了", Filer: "A2", Unit: "3-502", Status: "open", Steps: 1}}
	})
	scan()
	check("PosterToldOfARequest", "有邻居想借您的「电钻」", []string{"oOwner1"})
	c.block(func(a map[string]any) {
		a["bookings/1"] = abci.Booking{ID: 1, Item: 5, Borrower: "A3", Status: "accepted"}
		a["bookings/2"] = abci.Booking{ID: 2, Item: 6, Borrower: "A4", Status: "canceled", ClosedBy: "A4"}
		a["repairs"] = []abci.Repair{{ID: 1, Kind: "repair", Title: "楼道灯坏了", Filer: "A2", Unit: "3-502", Status: "accepted", Steps: 2}}
	})
	scan()
	if users := out.peek("您借用的「电钻」：已同意"); !slices.Equal(users, []string{"oTenant"}) {
		t.Errorf("BorrowerToldOfAnswer: %v, want oTenant", users)
	}
	check("FilerToldOfAcceptedRepair", "您的报修「楼道灯坏了」：处理中", []string{"oOwner2"})
	c.block(func(a map[string]any) {
		a["repairs"] = []abci.Repair{{ID: 1, Kind: "repair", Title: "楼道灯坏了", Filer: "A2", Unit: "3-502", Status: "done", Steps: 3, Reason: "已换新灯"}}
	})
	scan()
	check("FilerToldOfRepair", "您的报修「楼道灯坏了」：已处理，请确认（已换新灯）", []string{"oOwner2"})
	c.block(func(a map[string]any) {
		a["bookings/1"] = abci.Booking{ID: 1, Item: 5, Borrower: "A3", Status: "canceled", ClosedBy: "A3"}
		a["repairs"] = []abci.Repair{{ID: 1, Kind: "repair", Title: "楼道灯坏了", Filer: "A2", Unit: "3-502", Status: "confirmed", Steps: 4}}
	})
	scan()
	check("OwnActionsAreNotNews", "", nil)

	// Disputes: the other party and the admins, then the mediator and the
	// parties, everyone but a statement's author, the parties again.
	c.block(func(a map[string]any) {
		m := a["members/A4"].(abci.MemberView)
		m.Roles = []string{"admin"}
		a["members/A4"] = m
		a["disputes"] = []abci.Dispute{{ID: 1, Topic: "楼上漏水", Opener: "A1", Parties: []tx.Address{"A1", "A2"}, Status: "open"}}
	})
	scan()
	if users := out.peek("楼上漏水】：有邻居请调解员帮忙，您是当事方"); !slices.Equal(users, []string{"oOwner2"}) {
		t.Errorf("OtherPartyToldOfADispute: %v, want oOwner2", users)
	}
	check("AdminsToldADisputeWaits", "楼上漏水】：等待指派调解员", []string{"oOther"})
	c.block(func(a map[string]any) {
		a["disputes"] = []abci.Dispute{{ID: 1, Topic: "楼上漏水", Opener: "A1", Parties: []tx.Address{"A1", "A2"}, Mediator: "A3", Status: "mediating"}}
	})
	scan()
	if users := out.peek("楼上漏水】：请您来调解"); !slices.Equal(users, []string{"oTenant"}) {
		t.Errorf("MediatorToldOfAssignment: %v, want oTenant", users)
	}
	check("PartiesToldOfTheMediator", "楼上漏水】：调解员已经接手", []string{"oOwner1", "oOwner2"})
	c.block(func(a map[string]any) {
		a["disputes"] = []abci.Dispute{{ID: 1, Topic: "楼上漏水", Opener: "A1", Parties: []tx.Address{"A1", "A2"}, Mediator: "A3", Status: "mediating", Statements: 1}}
		a["disputes/1"] = map[string]any{"id": 1, "statements": []abci.Statement{{N: 1, By: "A2", TextHash: strings.Repeat("ab", 32)}}}
	})
	scan()
	check("AllButTheAuthorToldOfAStatement", "楼上漏水】：有人补充了说明", []string{"oOwner1", "oTenant"})
	c.block(func(a map[string]any) {
		a["disputes"] = []abci.Dispute{{ID: 1, Topic: "楼上漏水", Opener: "A1", Parties: []tx.Address{"A1", "A2"}, Mediator: "A3", Status: "resolved", Statements: 1}}
	})
	scan()
	check("PartiesToldOfTheOutcome", "楼上漏水】：调解结果已写好", []string{"oOwner1", "oOwner2"})

	// A meeting request: the admins hear once it reaches 20%, and once.
	c.block(func(a map[string]any) {
		a["meetings"] = []abci.Meeting{{ID: "m1", Topic: "改选业主委员会", Owners: 1, Area: 8950}}
	})
	scan()
	check("MeetingBelowTwentyPercentIsNoNews", "", nil)
	c.block(func(a map[string]any) {
		a["meetings"] = []abci.Meeting{{ID: "m1", Topic: "改选业主委员会", Owners: 2, Area: 18950, Due: true, DueAt: c.blockTime}}
	})
	scan()
	check("AdminsToldAMeetingIsDue", "临时业主大会【改选业主委员会】已有 2 户签名", []string{"oOther"})
	c.block(func(map[string]any) {})
	scan()
	check("MeetingToldOnce", "", nil)

	// A restart remembers what was sent.
	n2 := notify.New(c, wx, templates.MustLoad())
	n2.Users, n2.Private = wx, out
	c.block(func(map[string]any) {})
	if err := n2.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	check("NothingAgainAfterARestart", "", nil)
}

// A query that fails for one user skips that user only: the others are
// still told.
func TestNotifierSkipsAUserItCannotRead(t *testing.T) {
	ctx := context.Background()
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	wx := gw.Wechat()
	owner := func(unit string) abci.MemberView {
		return abci.MemberView{Unit: unit, Relation: "owner", Owner: "O-" + unit, Roles: []string{}}
	}
	c := &fakeChain{height: 1, blockTime: 1_800_000_000, fail: map[string]bool{"members/A2": true}, answers: map[string]any{
		"units":      []abci.Unit{{Unit: "1-101", Building: "1"}, {Unit: "1-102", Building: "1"}, {Unit: "1-103", Building: "1"}},
		"members/A1": owner("1-101"), "members/A3": owner("1-103"),
		"proposals": []map[string]any{}, "repairs": []abci.Repair{}, "bookings": nil,
	}}
	for i, id := range []string{"oA", "oB", "oC"} {
		if _, _, _, err := wx.BeginMessage(ctx, "m-"+id, id, fmt.Sprintf("A%d", i+1), time.Now(), nil); err != nil {
			t.Fatal(err)
		}
	}
	out := &poster{texts: map[string][]string{}}
	n := notify.New(c, wx, templates.MustLoad())
	n.Users, n.Private = wx, out
	if err := n.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	c.block(func(a map[string]any) {
		a["proposals"] = []map[string]any{{"id": 1, "kind": "poll", "title": "春游", "options": []string{"甲", "乙"}, "vote_start": 1_800_000_000, "vote_end": 1_800_000_000 + 86400, "phase": "voting", "status": "open"}}
	})
	if err := n.Scan(ctx); err != nil {
		t.Fatalf("a failing user stops the scan: %v", err)
	}
	if got := out.peek("春游"); !slices.Equal(got, []string{"oA", "oC"}) {
		t.Errorf("told %v, want oA and oC", got)
	}
}
