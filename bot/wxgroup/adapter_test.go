package wxgroup_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/wxgroup"
	"github.com/linli-community/linli/internal/fakewx"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// recorder is the chat engine's place in these tests: it records each
// request and answers what answer says (the engine's own group rules are
// tested in bot; `linli start` runs the real engine against this fake).
type recorder struct {
	reqs   chan *bot.Request
	answer func(*bot.Request) *bot.Reply
}

func (r *recorder) Handle(_ context.Context, req *bot.Request) (*bot.Reply, error) {
	r.reqs <- req
	if r.answer == nil {
		return nil, nil
	}
	return r.answer(req), nil
}

type alerts struct {
	mu    sync.Mutex
	texts []string
	ch    chan string
}

func (a *alerts) AlertAdmins(_ context.Context, text string) error {
	a.mu.Lock()
	a.texts = append(a.texts, text)
	a.mu.Unlock()
	a.ch <- text
	return nil
}

func (a *alerts) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.texts)
}

// lockedBuffer is a log destination the adapter's goroutines share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type rig struct {
	fake   *fakewx.Server
	gw     *store.Gateway
	clock  *fakeClock
	rec    *recorder
	alerts *alerts
	log    *lockedBuffer
	a      *wxgroup.Adapter
}

// newRig logs the account in by QR code against the fake (as `linli
// wxgroup login` does), then returns an adapter over the same gateway.db,
// not yet open.
func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{fake: fakewx.New(t), clock: newFakeClock(), log: &lockedBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the adapter's log:\n%s", r.log)
		}
	})
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	r.gw = gw
	var shown []string
	scanned := false
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nick, err := wxgroup.Login(ctx, gw.WxGroup(), r.fake.Transport(), func(qr string) { shown = append(shown, qr) }, func() { scanned = true })
	if err != nil {
		t.Fatal(err)
	}
	if nick != fakewx.Nick || !scanned || len(shown) != 1 || shown[0] != wxgroup.QRPrefix+fakewx.UUID {
		t.Fatalf("Login: nick %q, scanned %v, QR %q", nick, scanned, shown)
	}
	r.rec = &recorder{reqs: make(chan *bot.Request, 100)}
	r.alerts = &alerts{ch: make(chan string, 10)}
	a := wxgroup.New(r.rec, gw.WxGroup(), templates.MustLoad())
	a.Transport = r.fake.Transport()
	a.Clock = r.clock
	a.Jitter = func() time.Duration { return 5 * time.Second }
	a.Alerter = r.alerts
	a.Logger = slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a.Groups = map[string]string{"3号楼业主群": "3", "阳光花园大家庭": ""}
	a.Community, a.OfficialAccount = "阳光花园", "阳光花园业委会"
	r.a = a
	return r
}

func (r *rig) open(t *testing.T) {
	t.Helper()
	if err := r.a.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.a.Close() })
}

func TestLoginUsesDesktopModeAndKeepsTheSessionInGatewayDB(t *testing.T) {
	r := newRig(t)
	if !r.fake.UsedDesktop() {
		t.Error("the login did not use the desktop (UOS) client")
	}
	data, ok, err := r.gw.WxGroup().Login(context.Background())
	if err != nil || !ok {
		t.Fatalf("no hot-login storage saved: %v", err)
	}
	for _, want := range []string{fakewx.Sid, fakewx.Skey, fakewx.DataTicket} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("saved storage lacks %q", want)
		}
	}
	// The hot login resumes that session (webwxinit checks the cookie and
	// the keys) without a QR code.
	jslogins := r.fake.Count("/jslogin")
	r.open(t)
	if got := r.fake.Count("/jslogin"); got != jslogins {
		t.Errorf("the hot login asked for a QR code (%d jslogin calls, want %d)", got, jslogins)
	}
	if r.fake.Count("webwxinit") != 2 {
		t.Errorf("webwxinit calls = %d, want 2 (login, hot login)", r.fake.Count("webwxinit"))
	}
	if strings.Contains(r.log.String(), fakewx.Sid) || strings.Contains(r.log.String(), fakewx.DataTicket) {
		t.Error("the log shows session secrets")
	}
}

func TestGroupMessagesReachTheEngineAndAnswersTheGroup(t *testing.T) {
	r := newRig(t)
	r.rec.answer = func(req *bot.Request) *bot.Reply {
		if !req.Mentioned {
			return nil
		}
		return &bot.Reply{Parts: []string{"正在进行的表决：1. 更换电梯"}}
	}
	r.open(t)
	// A group that is not the community's is never answered.
	r.fake.Push("@@gx", "@u9", "@"+fakewx.Nick+"\u2005投票")
	r.fake.Push("@@g3", "@u1", "@"+fakewx.Nick+"\u2005投票")
	r.fake.Push("@@g3", "@u2", "今天停水吗")

	first := waitFor(t, r.rec.reqs, "the mentioned message")
	second := waitFor(t, r.rec.reqs, "the other message")
	if first.Channel != wxgroup.Channel || !first.Mentioned || first.Text != "投票" || first.Group == "" {
		t.Errorf("mentioned request = %+v", first)
	}
	if second.Mentioned || second.Text != "今天停水吗" || second.Group != first.Group {
		t.Errorf("plain request = %+v", second)
	}
	for _, req := range []*bot.Request{first, second} {
		for _, leak := range []string{"@u1", "@u2", "王阿姨", "李叔", "@@g3"} {
			if strings.Contains(req.User, leak) || strings.Contains(req.Group, leak) {
				t.Errorf("request ids %q / %q show %q", req.User, req.Group, leak)
			}
		}
	}
	if first.User == second.User {
		t.Error("two members got one id")
	}
	got := r.fake.WaitSent(t)
	if got.Group != "3号楼业主群" || got.Content != "正在进行的表决：1. 更换电梯" {
		t.Errorf("sent %+v", got)
	}
	select {
	case req := <-r.rec.reqs:
		t.Errorf("one more request reached the engine: %+v", req)
	default:
	}
}

func TestPrivateRepliesNeverReachTheGroup(t *testing.T) {
	r := newRig(t)
	r.rec.answer = func(*bot.Request) *bot.Reply {
		return &bot.Reply{Parts: []string{"您的房号 3-502 已绑定"}, Private: true}
	}
	r.open(t)
	r.fake.Push("@@g3", "@u1", "@"+fakewx.Nick+" 我的")
	waitFor(t, r.rec.reqs, "the request")
	got := r.fake.WaitSent(t)
	want, _ := templates.MustLoad().Render("wxgroup.private", struct{ Account string }{"阳光花园业委会"})
	if got.Content != want || strings.Contains(got.Content, "3-502") {
		t.Errorf("sent %q, want %q", got.Content, want)
	}
}

func TestGroupBindsFromInsideWithOneTimeCode(t *testing.T) {
	r := newRig(t)
	r.rec.answer = func(*bot.Request) *bot.Reply { return &bot.Reply{Parts: []string{"帮助"}} }
	code, hash, err := wxgroup.NewBindCode()
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != 14 || hash == "" || strings.Contains(hash, strings.ReplaceAll(code, " ", "")) {
		t.Fatalf("code %q hash %q", code, hash)
	}
	now := r.clock.Now()
	if err := r.gw.WxGroup().AddCode(context.Background(), hash, "5", now.Add(time.Hour), now); err != nil {
		t.Fatal(err)
	}
	r.open(t)

	r.fake.Push("@@g5", "@u3", "@"+fakewx.Nick+"\u2005绑定本群 1234 5678 9012")
	bad := r.fake.WaitSent(t)
	if !strings.Contains(bad.Content, "绑定码不对") || bad.Group != "5号楼群" {
		t.Errorf("a wrong code got %+v", bad)
	}
	r.clock.advance(time.Minute) // the group's gap
	r.fake.Push("@@g5", "@u3", "@"+fakewx.Nick+"\u2005绑定本群 "+code)
	ok := r.fake.WaitSent(t)
	if !strings.Contains(ok.Content, "关联 5 栋") || ok.Group != "5号楼群" {
		t.Errorf("binding answered %+v", ok)
	}
	b, _ := r.gw.WxGroup().Bindings(context.Background())
	if b["5号楼群"] != "5" {
		t.Errorf("bindings = %v", b)
	}
	// The code is spent; the group is now the community's.
	r.fake.Push("@@g5", "@u3", "@"+fakewx.Nick+"\u2005帮助")
	req := waitFor(t, r.rec.reqs, "a request from the newly bound group")
	if req.Text != "帮助" {
		t.Errorf("request %+v", req)
	}

	// A code made as an admin's 管理 绑群 makes it (Codes, the engine's
	// bot.GroupCodes) binds a group that was not the community's, for the
	// whole community, in the same way.
	codes := &wxgroup.Codes{Store: r.gw.WxGroup(), Now: r.clock.Now}
	chatCode, expires, err := codes.NewGroupCode(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := r.clock.Now().Add(wxgroup.DefaultCodeTTL).Truncate(time.Second); !expires.Equal(want) {
		t.Errorf("the chat's code expires %v, want %v", expires, want)
	}
	r.fake.Push("@@gx", "@u9", "@"+fakewx.Nick+"\u2005绑定本群 "+chatCode)
	ok = r.fake.WaitSent(t)
	if !strings.Contains(ok.Content, "本群已加入「阳光花园」") || strings.Contains(ok.Content, "栋") || ok.Group != "钓鱼群" {
		t.Errorf("binding with the chat's code answered %+v", ok)
	}
	b, _ = r.gw.WxGroup().Bindings(context.Background())
	if building, bound := b["钓鱼群"]; !bound || building != "" {
		t.Errorf("bindings = %v, want 钓鱼群 for the whole community", b)
	}
	r.fake.Push("@@gx", "@u9", "@"+fakewx.Nick+"\u2005投票")
	if req := waitFor(t, r.rec.reqs, "a request from the group bound in chat"); req.Text != "投票" {
		t.Errorf("request %+v", req)
	}
}

func TestLogoutRetcodesStopTheAdapterAndAlertTheAdmins(t *testing.T) {
	for _, code := range []string{"1100", "1101", "1102", "1203"} {
		t.Run(code, func(t *testing.T) {
			r := newRig(t)
			r.open(t)
			r.fake.Set(func(f *fakewx.Server) { f.SyncRet = code })
			text := waitFor(t, r.alerts.ch, "the admins' alert")
			<-r.a.Done()
			if !errors.Is(r.a.Err(), wxgroup.ErrStopped) {
				t.Errorf("Err = %v", r.a.Err())
			}
			if !strings.Contains(text, "linli wxgroup login") || !strings.Contains(text, code) {
				t.Errorf("alert %q", text)
			}
			if code == "1203" && !strings.Contains(text, "拒绝") {
				t.Errorf("a refusal alerted as %q", text)
			}
			if err := r.a.Announce(context.Background(), bot.GroupNotice{Key: "k", Text: "x"}); !errors.Is(err, wxgroup.ErrStopped) {
				t.Errorf("Announce after the stop = %v", err)
			}
			r.a.Close()
			if r.alerts.count() != 1 || r.fake.Count("webwxinit") != 2 || r.fake.Count("/jslogin") != 1 {
				t.Errorf("after the stop: %d alerts, %d webwxinit, %d jslogin; want 1, 2, 1 (no new login)", r.alerts.count(), r.fake.Count("webwxinit"), r.fake.Count("/jslogin"))
			}
			if !strings.Contains(r.log.String(), "the group account stopped") {
				t.Errorf("log %q", r.log.String())
			}
		})
	}
}

func TestExpiredSavedSessionStopsWithoutLoggingInAgain(t *testing.T) {
	r := newRig(t)
	r.fake.Set(func(f *fakewx.Server) { f.Expired = true })
	err := r.a.Open(context.Background())
	if !errors.Is(err, wxgroup.ErrStopped) {
		t.Fatalf("Open = %v, want ErrStopped", err)
	}
	text := waitFor(t, r.alerts.ch, "the alert")
	if !strings.Contains(text, "退出了登录") {
		t.Errorf("alert %q", text)
	}
	if r.fake.Count("/jslogin") != 1 || r.fake.Count("login") != 2 {
		t.Error("the adapter tried a QR login")
	}
	r.a.Close()
}

func TestNoSavedLoginIsRefused(t *testing.T) {
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	a := wxgroup.New(&recorder{}, gw.WxGroup(), templates.MustLoad())
	if err := a.Open(context.Background()); !errors.Is(err, wxgroup.ErrNoLogin) {
		t.Fatalf("Open = %v, want ErrNoLogin", err)
	}
}

func TestRefusedSendStopsTheAdapter(t *testing.T) {
	r := newRig(t)
	r.open(t)
	r.fake.Set(func(f *fakewx.Server) { f.SendRets = []int{1101} })
	if err := r.a.Announce(context.Background(), bot.GroupNotice{Key: "proposal/1/opened", Text: "表决开始"}); err != nil {
		t.Fatal(err)
	}
	text := waitFor(t, r.alerts.ch, "the alert")
	if !strings.Contains(text, "1101") {
		t.Errorf("alert %q", text)
	}
	<-r.a.Done()
}

func TestNoticesReachTheGroupsOfTheirBuildingsOnce(t *testing.T) {
	r := newRig(t)
	// Bound with a code: building 5's group.
	now := r.clock.Now()
	_, hash, _ := wxgroup.NewBindCode()
	r.gw.WxGroup().AddCode(context.Background(), hash, "5", now.Add(time.Hour), now)
	r.gw.WxGroup().UseCode(context.Background(), hash, "5号楼群", now)
	r.open(t)
	ctx := context.Background()
	notices := []bot.GroupNotice{
		{Key: "proposal/7/opened", Kind: bot.GroupOpened, Buildings: []string{"3"}, Text: "3栋电梯表决开始"},
		{Key: "announcement/2", Kind: bot.GroupAnnouncement, Text: "停水通知"},
		{Key: "proposal/7/opened", Kind: bot.GroupOpened, Buildings: []string{"3"}, Text: "3栋电梯表决开始"},
	}
	if err := r.a.Announce(ctx, notices[0]); err != nil {
		t.Fatal(err)
	}
	got := r.fake.WaitSent(t)
	if got.Group != "3号楼业主群" || got.Content != "3栋电梯表决开始" {
		t.Fatalf("sent %+v", got)
	}
	for _, n := range notices[1:] {
		if err := r.a.Announce(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{"3号楼业主群": true, "5号楼群": true, "阳光花园大家庭": true}
	for _, m := range collect(t, r.fake, r.clock, 3) {
		if m.Content != "停水通知" || !want[m.Group] {
			t.Fatalf("sent %+v; waiting for 停水通知 in %v", m, want)
		}
		delete(want, m.Group)
	}
	// The repeated key was not queued again; nothing else waits.
	if n := len(r.fake.SentTexts()); n != 4 {
		t.Errorf("%d texts sent, want 4", n)
	}
	if strings.Contains(r.log.String(), "dropped") {
		t.Errorf("log %q", r.log.String())
	}
}

// counter answers nothing and signals after every n requests.
type counter struct {
	mu    sync.Mutex
	n     int
	every int
	ch    chan int
}

func (c *counter) Handle(context.Context, *bot.Request) (*bot.Reply, error) {
	c.mu.Lock()
	c.n++
	if c.n%c.every == 0 {
		c.ch <- c.n
	}
	c.mu.Unlock()
	return nil, nil
}

// BenchmarkLongRunningAdapter runs the adapter through b.N group messages
// (from three members, some @-mentioning it) against the fake, in batches
// of 100 a sync, and reports the heap after a collection: what a
// long-running adapter holds does not grow with what it has seen.
func BenchmarkLongRunningAdapter(b *testing.B) {
	f := fakewx.New(b)
	gw, err := store.OpenGateway(filepath.Join(b.TempDir(), "gateway.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	if _, err := wxgroup.Login(context.Background(), gw.WxGroup(), f.Transport(), func(string) {}, nil); err != nil {
		b.Fatal(err)
	}
	const batch = 100
	h := &counter{every: batch, ch: make(chan int, 1)}
	a := wxgroup.New(h, gw.WxGroup(), templates.MustLoad())
	a.Transport = f.Transport()
	a.Groups = map[string]string{"3号楼业主群": "3"}
	if err := a.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	members := []string{"@u1", "@u2", "@u1"}
	sent := 0
	for sent < b.N {
		n := min(batch, b.N-sent)
		f.PushMany("@@g3", n, func(i int) string { return members[i%3] }, func(i int) string {
			if i%10 == 0 {
				return "@" + fakewx.Nick + "\u2005投票"
			}
			return "今天停水吗"
		})
		sent += n
		if n == batch {
			waitFor(b, h.ch, "a batch handled")
		}
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<10), "heap-growth-KiB")
}

func TestSyncFailuresPauseLongerThenStop(t *testing.T) {
	r := newRig(t)
	r.a.SyncFailures = 4
	r.open(t)
	r.fake.Set(func(f *fakewx.Server) { f.SyncRet = "garbage" })
	// Each failure pauses on the clock, 2s, 4s, 8s; the fourth ends it.
	var pauses []time.Duration
	for {
		select {
		case text := <-r.alerts.ch:
			if !strings.Contains(text, "连不上微信") {
				t.Errorf("alert %q", text)
			}
			if len(pauses) != 3 || pauses[0] != 2*time.Second || pauses[1] != 4*time.Second || pauses[2] != 8*time.Second {
				t.Errorf("pauses %v, want 2s 4s 8s", pauses)
			}
			<-r.a.Done()
			if r.fake.Count("/jslogin") != 1 {
				t.Error("the adapter tried a QR login")
			}
			return
		case <-r.clock.added:
			before := r.clock.Now()
			r.clock.advanceIfWaiting()
			pauses = append(pauses, r.clock.Now().Sub(before))
		case <-time.After(30 * time.Second):
			t.Fatalf("no stop; pauses %v\n%s", pauses, r.log.String())
		}
	}
}

func TestUnknownGroupIsDroppedWithALogLine(t *testing.T) {
	r := newRig(t)
	r.a.Groups["楼下不存在的群"] = ""
	r.open(t)
	if err := r.a.Announce(context.Background(), bot.GroupNotice{Key: "announcement/1", Buildings: []string{"9"}, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	// Building 9 has no group: nothing queued. The whole-community notice
	// reaches the two known groups; the unknown one is dropped, logged.
	if err := r.a.Announce(context.Background(), bot.GroupNotice{Key: "announcement/2", Text: "停电通知"}); err != nil {
		t.Fatal(err)
	}
	got := collect(t, r.fake, r.clock, 2)
	for _, m := range got {
		if m.Content != "停电通知" {
			t.Errorf("sent %+v", m)
		}
	}
	// The queue is in name order: 楼下不存在的群 came before 阳光花园大家庭.
	if !strings.Contains(r.log.String(), "group not found") || !strings.Contains(r.log.String(), "楼下不存在的群") {
		t.Errorf("no log line for the unknown group:\n%s", r.log.String())
	}
}

func TestLoginFailuresAreReported(t *testing.T) {
	for name, set := range map[string]func(f *fakewx.Server){
		"QRCodeExpired": func(f *fakewx.Server) { f.LoginSteps = []string{"408", "400"} },
		"Refused1203":   func(f *fakewx.Server) { f.LoginRet = 1203 },
	} {
		t.Run(name, func(t *testing.T) {
			fake := fakewx.New(t)
			fake.Set(set)
			gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer gw.Close()
			_, err = wxgroup.Login(context.Background(), gw.WxGroup(), fake.Transport(), func(string) {}, nil)
			if err == nil {
				t.Fatal("Login succeeded")
			}
			if expired := errors.Is(err, wxgroup.ErrQRExpired); expired != (name == "QRCodeExpired") {
				t.Errorf("Login = %v", err)
			}
			if _, ok, _ := gw.WxGroup().Login(context.Background()); ok {
				t.Error("a failed login saved a session")
			}
		})
	}
}
