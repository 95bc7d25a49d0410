package notify_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/notify"
	"github.com/linli-community/linli/internal/golden"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// channel records the group notices it was handed.
type channel struct {
	name string
	mu   sync.Mutex
	got  []bot.GroupNotice
}

func (c *channel) Channel() string { return c.name }

func (c *channel) Announce(_ context.Context, n bot.GroupNotice) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, n)
	return nil
}

func (c *channel) take() []bot.GroupNotice {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.got
	c.got = nil
	return got
}

// summary is one line per notice: key, kind, buildings, importance.
func summary(ns []bot.GroupNotice) string {
	var b strings.Builder
	for _, n := range ns {
		fmt.Fprintf(&b, "%s %s %v important=%v\n", n.Key, n.Kind, n.Buildings, n.Important)
	}
	return b.String()
}

func TestGroupNotices(t *testing.T) {
	ctx := context.Background()
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	const t0 = int64(1_800_000_000)
	const day = 86400
	decision := map[string]any{"id": 1, "kind": "decision", "title": "更换3栋电梯", "buildings": []string{"3"},
		"notice_at": t0, "vote_start": t0 + day, "vote_end": t0 + 8*day, "phase": "noticed", "status": "open"}
	c := &fakeChain{height: 10, blockTime: t0, answers: map[string]any{
		"proposals":     []map[string]any{{"id": 9, "kind": "poll", "title": "旧投票", "vote_start": t0 - day, "vote_end": t0 + day, "phase": "voting", "status": "open"}},
		"announcements": []abci.Announcement{{ID: 4, Title: "旧公告", Text: "已经说过"}},
	}}
	wa, wb := &channel{name: "a"}, &channel{name: "b"}
	open := func() *notify.Notifier {
		n := notify.New(c, gw.Wechat(), templates.MustLoad())
		n.Groups = []bot.GroupAnnouncer{wa, wb}
		return n
	}
	n := open()
	var texts strings.Builder
	step := func(name, want string, edit func(a map[string]any)) {
		t.Helper()
		if edit != nil {
			c.block(edit)
		}
		if err := n.Scan(ctx); err != nil {
			t.Fatal(err)
		}
		a, b := wa.take(), wb.take()
		if got := summary(a); got != want {
			t.Errorf("%s: got\n%swant\n%s", name, got, want)
		}
		// Every channel hears the same.
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: channels differ:\n%v\n%v", name, a, b)
		}
		for _, x := range a {
			fmt.Fprintf(&texts, "== %s\n%s\n", x.Key, x.Text)
		}
	}
	step("FirstScanOnlyRemembers", "", nil)
	step("DecisionNoticed", "proposal/1/noticed noticed [3] important=false\n", func(a map[string]any) {
		a["proposals"] = append(a["proposals"].([]map[string]any), decision)
	})
	step("NothingNewNothingSaid", "", func(map[string]any) {})
	step("VotingOpens", "proposal/1/opened opened [3] important=true\n", func(a map[string]any) {
		decision["phase"] = "voting"
		c.blockTime = t0 + day
		a["proposals/1/turnout"] = abci.Turnout{Proposal: 1, HeadsTotal: 90, AreaTotal: 870000}
	})
	step("TurnoutTooSoon", "", func(a map[string]any) {
		c.blockTime += 3600
		a["proposals/1/turnout"] = abci.Turnout{Proposal: 1, HeadsVoted: 10, HeadsTotal: 90, AreaVoted: 90000, AreaTotal: 870000}
	})
	step("TurnoutAfterSixHours", "proposal/1/turnout/15 turnout [3] important=false\n", func(a map[string]any) {
		c.blockTime = t0 + day + 6*3600
		a["proposals/1/turnout"] = abci.Turnout{Proposal: 1, HeadsVoted: 63, HeadsTotal: 90, AreaVoted: 504600, AreaTotal: 870000}
	})
	step("TurnoutUnchangedIsNoNews", "", func(map[string]any) { c.blockTime += 7 * 3600 })
	step("LastDay", "proposal/1/reminder reminder [3] important=true\n", func(a map[string]any) {
		c.blockTime = t0 + 7*day + 3600
		a["proposals/1/turnout"] = abci.Turnout{Proposal: 1, HeadsVoted: 61, HeadsTotal: 90, AreaVoted: 600000, AreaTotal: 870000}
	})
	// A poll gets its last day too, not as important (WeCom leaves it
	// out), addressed to everyone who may vote in it.
	poll := map[string]any{"id": 10, "kind": "poll", "title": "中秋活动", "vote_start": c.blockTime, "vote_end": c.blockTime + 3*day,
		"phase": "voting", "status": "open"}
	step("PollOpens", "proposal/10/opened opened [] important=true\n", func(a map[string]any) {
		a["proposals"] = append(a["proposals"].([]map[string]any), poll)
	})
	step("PollNotYetItsLastDay", "", func(map[string]any) { c.blockTime += day })
	step("PollLastDay", "proposal/10/reminder reminder [] important=false\n", func(map[string]any) { c.blockTime += day + 3600 })
	step("PollLastDayOnce", "", func(map[string]any) { c.blockTime += 3600 })
	step("Announcements", "announcement/5 announcement [] important=false\nannouncement/6 announcement [] important=true\n", func(a map[string]any) {
		a["announcements"] = []abci.Announcement{{ID: 6, Title: "【重要】停水通知", Text: "周六 9:00–12:00 停水。"}, {ID: 5, Title: "垃圾分类", Text: "请按时投放。"}, {ID: 4, Title: "旧公告"}}
	})

	// A restart resumes from gateway.db: what was told is not told again.
	n = open()
	step("NothingAgainAfterARestart", "", func(map[string]any) {})
	step("ResultsWithFigures", "proposal/9/result result [] important=true\nproposal/1/result result [3] important=true\n", func(a map[string]any) {
		decision["phase"], decision["status"], decision["outcome"] = "closed", "closed", "passed"
		p := a["proposals"].([]map[string]any)
		p[0]["phase"], p[0]["status"] = "closed", "closed"
		a["proposals/1/result"] = abci.Result{Proposal: 1, Kind: "decision", Outcome: "passed",
			Tally: &abci.Tally{NTot: 90, ATot: 870000, NP: 70, AP: 650000, NY: 50, AY: 480000}}
		a["proposals/9/result"] = abci.Result{Proposal: 9, Kind: "poll", Winners: []string{"周日"},
			Counts: []abci.OptionCount{{Option: "周六", Votes: 3}, {Option: "周日", Votes: 8}}}
	})
	step("ResultsOnce", "", func(map[string]any) {})
	golden.Check(t, "group_notices.golden", texts.String())
}

// AlertAdmins tells every admin who follows the official account, and
// fails when there is no one to tell or no private channel.
func TestAlertAdmins(t *testing.T) {
	ctx := context.Background()
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	wx := gw.Wechat()
	c := &fakeChain{height: 1, blockTime: 1_800_000_000, answers: map[string]any{
		"members/A1": abci.MemberView{Unit: "1-101", Relation: "owner", Roles: []string{"admin"}},
		"members/A2": abci.MemberView{Unit: "1-102", Relation: "owner", Roles: []string{}},
		"members/A3": abci.MemberView{Unit: "1-103", Relation: "owner", Roles: []string{"admin"}},
	}}
	n := notify.New(c, wx, templates.MustLoad())
	if err := n.AlertAdmins(ctx, "x"); err == nil {
		t.Error("alerted without a private channel")
	}
	out := &poster{texts: map[string][]string{}}
	n.Users, n.Private = wx, out
	if err := n.AlertAdmins(ctx, "x"); err == nil {
		t.Error("alerted with no admin known")
	}
	for i, id := range []string{"oAdmin", "oOwner", "oGoneAdmin"} {
		if _, _, _, err := wx.BeginMessage(ctx, "m-"+id, id, fmt.Sprintf("A%d", i+1), time.Now(), nil); err != nil {
			t.Fatal(err)
		}
	}
	wx.SetSubscribed(ctx, "oGoneAdmin", "A3", false, time.Now())
	if err := n.AlertAdmins(ctx, "⚠️ 企业微信群发一直失败"); err != nil {
		t.Fatal(err)
	}
	if got := out.peek("企业微信群发一直失败"); fmt.Sprint(got) != "[oAdmin]" {
		t.Errorf("alert went to %v, want the admin who follows", got)
	}
}

// broken is a group channel that cannot take notices.
type broken struct{ tried int }

func (b *broken) Channel() string { return "broken" }

func (b *broken) Announce(context.Context, bot.GroupNotice) error {
	b.tried++
	return errors.New("queue full")
}

// A channel that cannot take a notice is logged; the others still get
// it, and the scan goes on.
func TestAFailingChannelHoldsNoOneUp(t *testing.T) {
	ctx := context.Background()
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	c := &fakeChain{height: 1, blockTime: 1_800_000_000, answers: map[string]any{"proposals": []map[string]any{}, "announcements": []abci.Announcement{}}}
	bad, good := &broken{}, &channel{name: "good"}
	var logs strings.Builder
	n := notify.New(c, gw.Wechat(), templates.MustLoad())
	n.Groups, n.Logger = []bot.GroupAnnouncer{bad, good}, slog.New(slog.NewTextHandler(&logs, nil))
	if err := n.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	c.block(func(a map[string]any) {
		a["announcements"] = []abci.Announcement{{ID: 1, Title: "【重要】停电", Text: "周日停电"}}
	})
	if err := n.Scan(ctx); err != nil {
		t.Fatalf("a failing channel failed the scan: %v", err)
	}
	if got := good.take(); len(got) != 1 || got[0].Key != "announcement/1" || bad.tried != 1 {
		t.Errorf("good channel got %v, broken tried %d", got, bad.tried)
	}
	if !strings.Contains(logs.String(), "a group channel did not take a notice") || !strings.Contains(logs.String(), "channel=broken") {
		t.Errorf("not logged:\n%s", logs.String())
	}
}
