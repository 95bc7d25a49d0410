package wecom_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/wecom"
	"github.com/linli-community/linli/bot/wecom/wecomtest"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// alerts records what the admins were told.
type alerts struct {
	mu  sync.Mutex
	got []string
}

func (a *alerts) AlertAdmins(_ context.Context, text string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, text)
	return nil
}

func (a *alerts) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.got
	a.got = nil
	return g
}

// clock is a test's wall clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rig is an announcer on a fresh gateway.db, talking to a fake WeCom
// through silenceper's client.
type rig struct {
	t     *testing.T
	fake  *wecomtest.Server
	api   *wecom.API
	gw    *store.Gateway
	clk   *clock
	admin *alerts
}

var groups = []wecom.Group{
	{ChatID: "wr-b3", Owner: "zhang", Building: "3"},
	{ChatID: "wr-all", Owner: "zhang"},
	{ChatID: "wr-b5", Owner: "li", Building: "5"},
}

func newRig(t *testing.T) *rig {
	t.Helper()
	f := wecomtest.New(t, map[string]string{"wr-b3": "zhang", "wr-all": "zhang", "wr-b5": "li"})
	api, err := wecom.NewAPI(wecom.APIConfig{CorpID: f.CorpID, Secret: f.Secret, BaseURL: f.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	// 10:00 in Beijing on a Monday.
	start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	return &rig{t: t, fake: f, api: api, gw: gw, clk: &clock{t: start}, admin: &alerts{}}
}

// announcer returns a new announcer over the rig's API and gateway.db
// (a restart, when called again).
func (r *rig) announcer() *wecom.Announcer {
	a := wecom.New(r.api, r.gw.Wecom(), templates.MustLoad())
	a.Groups, a.OfficialAccount, a.Now, a.Alerter = groups, "阳光花园业委会", r.clk.now, r.admin
	a.Backoff = time.Minute
	return a
}

func (r *rig) flush(a *wecom.Announcer) {
	r.t.Helper()
	if err := a.Flush(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) announce(a *wecom.Announcer, ns ...bot.GroupNotice) {
	r.t.Helper()
	for _, n := range ns {
		if err := a.Announce(context.Background(), n); err != nil {
			r.t.Fatal(err)
		}
	}
}

// sent summarises the group messages made: "owner chats: text lines".
func sent(ms []wecomtest.GroupMsg) []string {
	var out []string
	for _, m := range ms {
		c := slices.Clone(m.Chats)
		slices.Sort(c)
		out = append(out, m.Sender+" "+strings.Join(c, ",")+": "+strings.ReplaceAll(m.Text, "\n", " / "))
	}
	slices.Sort(out)
	return out
}

const footer = "（本群消息由业委会发布，不能在群里回复。投票、查账、报修请关注公众号「阳光花园业委会」，在公众号里回复 菜单。）"

func opened(id int, buildings ...string) bot.GroupNotice {
	return bot.GroupNotice{Key: fmt.Sprintf("proposal/%d/opened", id), Kind: bot.GroupOpened, Buildings: buildings, Important: true, Text: fmt.Sprintf("表决%d开始投票", id), Height: 10}
}

func TestBudgetMergesWhatWaitsAndBuildingsReachTheirGroups(t *testing.T) {
	r := newRig(t)
	a := r.announcer()
	r.announce(a,
		opened(1, "3"),
		bot.GroupNotice{Key: "proposal/1/turnout/11", Kind: bot.GroupTurnout, Buildings: []string{"3"}, Text: "进度", Height: 11},
		bot.GroupNotice{Key: "announcement/7", Kind: bot.GroupAnnouncement, Important: true, Text: "停水通知", Height: 12},
		bot.GroupNotice{Key: "announcement/8", Kind: bot.GroupAnnouncement, Text: "一般公告", Height: 12},
	)
	r.flush(a)
	got := sent(r.fake.Take())
	want := []string{
		"li wr-b5: 停水通知 /  / " + footer,
		"zhang wr-all: 停水通知 /  / " + footer,
		"zhang wr-b3: 表决1开始投票 /  / 停水通知 /  / " + footer,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("first messages:\n%q\nwant\n%q", got, want)
	}

	// The budget is spent for today: what comes waits, and newer news of
	// one vote stands for older.
	r.announce(a, bot.GroupNotice{Key: "proposal/2/opened", Kind: bot.GroupOpened, Important: true, Text: "投票2开始", Height: 20})
	r.announce(a, bot.GroupNotice{Key: "proposal/1/reminder", Kind: bot.GroupReminder, Buildings: []string{"3"}, Important: true, Text: "表决1最后一天", Height: 21})
	r.announce(a, opened(1, "3")) // a repeat is ignored
	r.flush(a)
	if got := r.fake.Take(); len(got) != 0 {
		t.Errorf("sent beyond the daily budget: %v", sent(got))
	}
	r.clk.add(14 * time.Hour) // 00:00 the next day in Beijing
	r.flush(a)
	got = sent(r.fake.Take())
	want = []string{
		"li wr-b5: 投票2开始 /  / " + footer,
		"zhang wr-all: 投票2开始 /  / " + footer,
		"zhang wr-b3: 投票2开始 /  / 表决1最后一天 /  / " + footer,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("next day:\n%q\nwant\n%q", got, want)
	}
	r.flush(a)
	if got := r.fake.Take(); len(got) != 0 {
		t.Errorf("sent twice: %v", sent(got))
	}

	// A restart keeps the queue and the budget.
	r.announce(a, bot.GroupNotice{Key: "proposal/1/result", Kind: bot.GroupResult, Buildings: []string{"3"}, Important: true, Text: "表决1通过", Height: 30})
	b := r.announcer()
	r.flush(b)
	if got := r.fake.Take(); len(got) != 0 {
		t.Errorf("a restart forgot the budget: %v", sent(got))
	}
	r.clk.add(24 * time.Hour)
	r.flush(b)
	got = sent(r.fake.Take())
	if want := []string{"zhang wr-b3: 表决1通过 /  / " + footer}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after a restart:\n%q\nwant\n%q", got, want)
	}
}

// A monthly budget below the days of the month holds messages back too.
func TestMonthlyBudget(t *testing.T) {
	r := newRig(t)
	a := r.announcer()
	a.Groups, a.PerMonth = groups[1:2], 2
	for i := range 3 {
		r.announce(a, bot.GroupNotice{Key: fmt.Sprintf("announcement/%d", i+1), Kind: bot.GroupAnnouncement, Important: true, Text: fmt.Sprintf("公告%d", i+1)})
		r.flush(a)
		r.clk.add(24 * time.Hour)
	}
	if got := len(r.fake.Take()); got != 2 {
		t.Errorf("%d messages in a month allowing 2", got)
	}
}

func TestFailuresAreRetriedThenReportedNeverLost(t *testing.T) {
	r := newRig(t)
	a := r.announcer()
	a.Groups = groups[2:3]
	r.fake.Fail(-1, -1, -1, -1, -1) // WeCom busy, five times
	r.announce(a, bot.GroupNotice{Key: "announcement/1", Kind: bot.GroupAnnouncement, Important: true, Text: "停电通知"})
	pauses := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}
	for i, p := range pauses {
		r.flush(a)
		r.clk.add(p - time.Second)
		r.flush(a) // too early: no call
		r.clk.add(time.Second)
		if n := len(r.admin.take()); n != 0 {
			t.Fatalf("attempt %d already reported", i+1)
		}
	}
	r.flush(a) // the fifth failure
	if got := r.admin.take(); len(got) != 1 || !strings.Contains(got[0], "企业微信群发一直失败（群 wr-b5，已试 5 次）") {
		t.Errorf("admins told %q, want one report of five failures", got)
	}
	if got := r.fake.Take(); len(got) != 0 {
		t.Fatalf("a failing call made a message: %v", got)
	}
	r.clk.add(time.Hour)
	r.flush(a)
	if got := sent(r.fake.Take()); len(got) != 1 || !strings.Contains(got[0], "停电通知") {
		t.Errorf("after WeCom recovered: %q, want the queued notice", got)
	}
	if got := r.admin.take(); len(got) != 0 {
		t.Errorf("reported again: %q", got)
	}
}

// A configuration WeCom refuses (an owner who is not the group's) is
// reported at once, and the notice waits for the fix.
func TestRefusedConfigurationReportedAtOnce(t *testing.T) {
	r := newRig(t)
	a := r.announcer()
	a.Groups = []wecom.Group{{ChatID: "wr-b5", Owner: "zhang"}}
	r.announce(a, bot.GroupNotice{Key: "announcement/1", Kind: bot.GroupAnnouncement, Important: true, Text: "停电通知"})
	r.flush(a)
	if got := r.admin.take(); len(got) != 1 || !strings.Contains(got[0], "fail_list") {
		t.Errorf("admins told %q, want the group left out", got)
	}
	r.fake.Fail(40003)
	r.clk.add(time.Minute)
	r.flush(a)
	r.fake.Take()
	a.Groups = []wecom.Group{{ChatID: "wr-b5", Owner: "li"}}
	r.clk.add(2 * time.Minute)
	r.flush(a)
	if got := sent(r.fake.Take()); len(got) != 1 || !strings.Contains(got[0], "停电通知") {
		t.Errorf("after the fix: %q, want the waiting notice", got)
	}
}

func TestSendResultsChecked(t *testing.T) {
	r := newRig(t)
	a := r.announcer()
	a.Groups = groups[:2]
	r.announce(a, bot.GroupNotice{Key: "announcement/1", Kind: bot.GroupAnnouncement, Important: true, Text: "停水通知"})
	r.flush(a)
	r.fake.Take()
	check := func() {
		t.Helper()
		if err := a.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	check()
	if r.fake.ResultCalls() != 0 {
		t.Errorf("asked for results before CheckAfter")
	}
	// wr-b3 already had a group message today from someone else; the
	// owner of wr-all has not tapped send yet.
	r.fake.SetStatus("wr-b3", wecom.StatusFull)
	r.fake.SetStatus("wr-all", wecom.StatusWaiting)
	r.clk.add(31 * time.Minute)
	check()
	if got := r.admin.take(); len(got) != 1 || !strings.Contains(got[0], "wr-b3 没有收到群发（该群今天已收到过群发）") {
		t.Errorf("admins told %q, want wr-b3 undelivered", got)
	}
	r.clk.add(24 * time.Hour)
	check()
	if got := r.admin.take(); len(got) != 1 || !strings.Contains(got[0], "群主（zhang）还没有在企业微信里点“发送”") {
		t.Errorf("admins told %q, want the unconfirmed send", got)
	}
	check()
	if got := r.admin.take(); len(got) != 0 {
		t.Errorf("reported twice: %q", got)
	}
	// The notice wr-b3 missed goes out again with its next budget.
	r.flush(a)
	got := sent(r.fake.Take())
	if want := []string{"zhang wr-b3: 停水通知 /  / " + footer}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requeued: %q, want %q", got, want)
	}
}

// A wrong secret is a clear error without the secret in it.
func TestCheckCredentials(t *testing.T) {
	r := newRig(t)
	if err := r.api.Check(context.Background()); err != nil {
		t.Fatalf("good credentials: %v", err)
	}
	bad, err := wecom.NewAPI(wecom.APIConfig{CorpID: r.fake.CorpID, Secret: "wrong-secret-xyz", BaseURL: r.fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Check(context.Background())
	if err == nil || strings.Contains(err.Error(), "wrong-secret-xyz") || !strings.Contains(err.Error(), "40001") {
		t.Errorf("bad secret: %v", err)
	}
}

// A long merge keeps to WeCom's text limit; what does not fit waits.
func TestLongMergeSplitsAcrossDays(t *testing.T) {
	r := newRig(t)
	a := r.announcer()
	a.Groups = groups[1:2]
	long := strings.Repeat("停", 700) // 2100 bytes
	for i := range 3 {
		r.announce(a, bot.GroupNotice{Key: fmt.Sprintf("announcement/%d", i+1), Kind: bot.GroupAnnouncement, Important: true, Text: long, Height: int64(i)})
	}
	r.flush(a)
	m := r.fake.Take()
	if len(m) != 1 || len(m[0].Text) > wecom.MaxTextBytes || strings.Count(m[0].Text, long) != 1 {
		t.Fatalf("first day: %d messages, %d bytes", len(m), len(m[0].Text))
	}
	for day := 2; day <= 3; day++ {
		r.clk.add(24 * time.Hour)
		r.flush(a)
		if m := r.fake.Take(); len(m) != 1 || strings.Count(m[0].Text, long) != 1 {
			t.Fatalf("day %d: %d messages", day, len(m))
		}
	}
}

// Group reads a group's name, owner and size, which `linli wecom check`
// compares with linli.toml; an unknown chat id is an error.
func TestGroupDetail(t *testing.T) {
	r := newRig(t)
	g, err := r.api.Group(context.Background(), "wr-b3")
	if err != nil {
		t.Fatal(err)
	}
	if g != (wecom.GroupInfo{Name: "wr-b3群", Owner: "zhang", Members: 2}) {
		t.Errorf("got %+v", g)
	}
	if _, err := r.api.Group(context.Background(), "wr-nope"); err == nil || !strings.Contains(err.Error(), "40050") {
		t.Errorf("unknown group: %v", err)
	}
}

// An expired token fails one call; the next one fetches a new token and
// the notice goes out.
func TestExpiredTokenRenewed(t *testing.T) {
	r := newRig(t)
	a := r.announcer()
	a.Groups = groups[1:2]
	if err := r.api.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.fake.ExpireTokens()
	r.announce(a, bot.GroupNotice{Key: "announcement/1", Kind: bot.GroupAnnouncement, Important: true, Text: "停水通知"})
	r.flush(a)
	if got := r.fake.Take(); len(got) != 0 {
		t.Fatalf("sent with an expired token: %v", got)
	}
	r.clk.add(time.Minute)
	r.flush(a)
	if got := sent(r.fake.Take()); len(got) != 1 {
		t.Errorf("after the retry: %q, want the notice", got)
	}
}
