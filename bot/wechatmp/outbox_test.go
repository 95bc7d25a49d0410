package wechatmp_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/bot/wechatmp"
	"github.com/linli-community/linli/store"
)

// sender records sends and fails as told.
type sender struct {
	mu    sync.Mutex
	texts []string
	at    []time.Time
	tries int
	fail  func(try int) error
	block chan struct{}
}

func (s *sender) SendText(_ context.Context, openid, text string) error {
	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tries++
	if s.fail != nil {
		if err := s.fail(s.tries); err != nil {
			return err
		}
	}
	s.texts = append(s.texts, openid+":"+text)
	s.at = append(s.at, time.Now())
	return nil
}

func (s *sender) SendTemplate(_ context.Context, openid, id, clientMsgID string, data map[string]string) error {
	if clientMsgID == "" {
		return &wechatmp.APIError{Op: "send template", Code: 40035}
	}
	return s.SendText(context.Background(), openid, "template "+id+" "+data["thing1"])
}

func (s *sender) SendSubscription(_ context.Context, openid, id string, data map[string]string) error {
	return s.SendText(context.Background(), openid, "subscription "+id+" "+data["thing1"])
}

func (s *sender) sent() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.texts...), s.tries
}

// clock is a settable time for allowances.
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
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type outboxWorld struct {
	o     *wechatmp.Outbox
	st    *store.Wechat
	clock *clock
}

// openOutbox opens an outbox over s and a real gateway.db, on a fixed
// clock.
func openOutbox(t testing.TB, s wechatmp.Sender, configure func(*wechatmp.Outbox)) *outboxWorld {
	t.Helper()
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	w := &outboxWorld{st: gw.Wechat(), clock: &clock{t: time.Unix(1_800_000_000, 0)}}
	w.o = wechatmp.NewOutbox(s, w.st)
	w.o.Backoff, w.o.Rate, w.o.Now = 10*time.Millisecond, 1000, w.clock.now
	if configure != nil {
		configure(w.o)
	}
	if err := w.o.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.o.Close() })
	return w
}

// inbound records that openid sent a message (or clicked, for
// InboundEvent) now.
func (w *outboxWorld) inbound(t testing.TB, openid, kind string) {
	t.Helper()
	ctx := context.Background()
	now := w.clock.now()
	if _, _, _, err := w.st.BeginMessage(ctx, fmt.Sprintf("m-%s-%d-%s", openid, now.UnixNano(), kind), openid, "addr-"+openid, now, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := w.st.UpdatePush(ctx, openid, func(left int, until time.Time) (int, time.Time) {
		return wechatmp.DefaultQuota.Grant(kind, now, left, until)
	}); err != nil || !ok {
		t.Fatal(ok, err)
	}
}

// waitUndelivered waits until n pushes were recorded as undelivered and
// returns them.
func (w *outboxWorld) waitUndelivered(t testing.TB, n int) []store.Undelivered {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, total, err := w.st.ListUndelivered(context.Background(), time.Unix(0, 0), 100)
		if err != nil {
			t.Fatal(err)
		}
		if total >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d undelivered, want %d: %+v", total, n, got)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func waitSent(t testing.TB, s *sender, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := s.sent()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("sent %q, want %d", got, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestOutboxPacesAndKeepsOrder(t *testing.T) {
	s := &sender{}
	w := openOutbox(t, s, func(o *wechatmp.Outbox) { o.Rate, o.Senders = 50, 1 })
	w.inbound(t, "oA", wechatmp.InboundMessage)
	start := time.Now()
	w.o.Push("oA", []string{"1", "2", "3", "4", "5"}, nil)
	w.o.Notify("oB", "result", "结果", []wechatmp.Fallback{{TemplateID: "tmpl-result", Data: map[string]string{"thing1": "电梯"}}})
	got := waitSent(t, s, 6)
	want := []string{"oA:1", "oA:2", "oA:3", "oA:4", "oA:5", "oB:template tmpl-result 电梯"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sent %q, want %q", got, want)
	}
	// Six sends at 50 a second take at least five intervals of 20ms.
	if d := time.Since(start); d < 95*time.Millisecond {
		t.Errorf("six sends took %v, faster than 50 a second", d)
	}
}

// A slow call does not hold up the others: sends run side by side within
// the pacing.
func TestOutboxSlowSendDoesNotHoldTheOthers(t *testing.T) {
	s := &sender{}
	release := make(chan struct{})
	slow := &gatedSender{sender: s, gate: map[string]chan struct{}{"oSlow": release}}
	w := openOutbox(t, slow, nil)
	w.inbound(t, "oSlow", wechatmp.InboundMessage)
	w.inbound(t, "oFast", wechatmp.InboundMessage)
	w.o.Push("oSlow", []string{"慢"}, nil)
	w.o.Push("oFast", []string{"快"}, nil)
	if got := waitSent(t, s, 1); got[0] != "oFast:快" {
		t.Errorf("sent %q first, want the fast one while the slow one hangs", got)
	}
	close(release)
	waitSent(t, s, 2)
}

// gatedSender holds the sends to some users until their gate opens.
type gatedSender struct {
	*sender
	gate map[string]chan struct{}
}

func (g *gatedSender) SendText(ctx context.Context, openid, text string) error {
	if ch := g.gate[openid]; ch != nil {
		<-ch
	}
	return g.sender.SendText(ctx, openid, text)
}

func TestOutboxRetriesWithBackoff(t *testing.T) {
	s := &sender{fail: func(try int) error {
		if try <= 2 {
			return &wechatmp.APIError{Op: "send text", Code: -1}
		}
		return nil
	}}
	w := openOutbox(t, s, nil)
	w.inbound(t, "oA", wechatmp.InboundMessage)
	w.o.Push("oA", []string{"回执"}, nil)
	got := waitSent(t, s, 1)
	if _, tries := s.sent(); got[0] != "oA:回执" || tries != 3 {
		t.Errorf("sent %q after %d tries, want once after 3", got, tries)
	}
}

func TestOutboxGivesUpAndRecordsIt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		tries int
	}{
		{"OutsideTheWindow", &wechatmp.APIError{Op: "send text", Code: 45015}, 1},
		{"Unfollowed", &wechatmp.APIError{Op: "send text", Code: 43004}, 1},
		{"AfterMaxAttempts", &wechatmp.APIError{Op: "send text", Code: -1}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &sender{fail: func(int) error { return tc.err }}
			w := openOutbox(t, s, func(o *wechatmp.Outbox) { o.MaxAttempts = 3 })
			w.inbound(t, "oA", wechatmp.InboundMessage)
			w.o.Push("oA", []string{"x 绑定码：86420135"}, []string{"86420135"})
			got := w.waitUndelivered(t, 1)
			if _, tries := s.sent(); tries != tc.tries {
				t.Errorf("%d tries, want %d", tries, tc.tries)
			}
			if got[0].OpenID != "oA" || got[0].Text != "x 绑定码：（已隐藏）" || got[0].Kind != "reply" || !strings.Contains(got[0].Reason, "wechat API") {
				t.Errorf("recorded %+v", got[0])
			}
			if n := w.o.Undelivered(); n != 1 {
				t.Errorf("%d counted undelivered, want 1", n)
			}
		})
	}
}

// After a message the user sent, WeChat allows five customer-service
// messages: the sixth is not sent but recorded, and a notice falls back
// to its template.
func TestMessageAllowsFivePushes(t *testing.T) {
	s := &sender{}
	w := openOutbox(t, s, func(o *wechatmp.Outbox) { o.Senders = 1 })
	w.inbound(t, "oA", wechatmp.InboundMessage)
	w.o.Push("oA", []string{"1", "2", "3", "4", "5", "6"}, nil)
	got := w.waitUndelivered(t, 1)
	if sent, _ := s.sent(); fmt.Sprint(sent) != "[oA:1 oA:2 oA:3 oA:4 oA:5]" {
		t.Errorf("sent %q, want the first five", sent)
	}
	if got[0].Text != "6" || !strings.Contains(got[0].Reason, "no customer-service quota") {
		t.Errorf("recorded %+v", got[0])
	}
	w.o.Notify("oA", "result", "📊 结果", []wechatmp.Fallback{{TemplateID: "tmpl-result", Data: map[string]string{"thing1": "电梯"}}})
	if sent := waitSent(t, s, 6); sent[5] != "oA:template tmpl-result 电梯" {
		t.Errorf("sent %q, want the template last", sent)
	}
	// The allowance closes: 47 hours on, a new message opens it again.
	w.clock.add(47 * time.Hour)
	w.o.Notify("oA", "result", "📊 结果2", nil)
	w.waitUndelivered(t, 2)
	w.inbound(t, "oA", wechatmp.InboundMessage)
	w.o.Notify("oA", "result", "📊 结果3", nil)
	if sent := waitSent(t, s, 7); sent[6] != "oA:📊 结果3" {
		t.Errorf("sent %q, want the notice after a new message", sent)
	}
}

// A menu click or a follow allows three messages within a minute, and
// takes nothing away from a message's allowance.
func TestClickAllowsThreeWithinAMinute(t *testing.T) {
	s := &sender{}
	w := openOutbox(t, s, func(o *wechatmp.Outbox) { o.Senders = 1 })
	w.inbound(t, "oC", wechatmp.InboundEvent)
	w.o.Push("oC", []string{"1", "2", "3", "4"}, nil)
	w.waitUndelivered(t, 1)
	if sent, _ := s.sent(); len(sent) != 3 {
		t.Errorf("sent %q after a click, want three", sent)
	}
	w.inbound(t, "oC", wechatmp.InboundEvent)
	w.clock.add(time.Minute)
	w.o.Notify("oC", "reminder", "⏰", []wechatmp.Fallback{{Subscription: true, TemplateID: "sub-remind", Data: map[string]string{"thing1": "投票"}}})
	if sent := waitSent(t, s, 4); sent[3] != "oC:subscription sub-remind 投票" {
		t.Errorf("sent %q: a minute after a click, want the subscription message", sent)
	}

	// A message's five survive a click.
	w.inbound(t, "oD", wechatmp.InboundMessage)
	w.inbound(t, "oD", wechatmp.InboundEvent)
	if left, _, _ := w.st.UpdatePush(context.Background(), "oD", func(l int, u time.Time) (int, time.Time) { return l, u }); left != 5 {
		t.Errorf("%d left after a message and a click, want 5", left)
	}
}

// WeChat's quota refusals (45015, 45047) fall back to the template rather
// than drop the notice, and spend what the gateway counted.
func TestQuotaRefusalFallsBack(t *testing.T) {
	for _, code := range []int{45015, 45047} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			s := &sender{fail: func(try int) error {
				if try == 1 {
					return &wechatmp.APIError{Op: "send text", Code: code}
				}
				return nil
			}}
			w := openOutbox(t, s, nil)
			w.inbound(t, "oA", wechatmp.InboundMessage)
			w.o.Notify("oA", "result", "📊 结果", []wechatmp.Fallback{{TemplateID: "tmpl-result", Data: map[string]string{"thing1": "电梯"}}})
			if sent := waitSent(t, s, 1); sent[0] != "oA:template tmpl-result 电梯" {
				t.Errorf("sent %q, want the template", sent)
			}
			if left, _, _ := w.st.UpdatePush(context.Background(), "oA", func(l int, u time.Time) (int, time.Time) { return l, u }); left != 0 {
				t.Errorf("%d left after WeChat's refusal, want 0", left)
			}
		})
	}
}

func TestOutboxFullQueueNeverBlocks(t *testing.T) {
	s := &sender{block: make(chan struct{})}
	w := openOutbox(t, s, func(o *wechatmp.Outbox) { o.QueueSize, o.Senders = 2, 1 })
	w.inbound(t, "oA", wechatmp.InboundMessage)
	t.Cleanup(func() { close(s.block) })
	accepted := 0
	start := time.Now()
	for i := range 10 {
		if w.o.Push("oA", []string{fmt.Sprint(i)}, nil) {
			accepted++
		}
	}
	// The sender never returns while the test runs: a Push that waited
	// for room would take until the test's end.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("pushing into a full queue took %v", d)
	}
	// One is being sent (blocked), two wait.
	if accepted > 3 || accepted < 2 {
		t.Errorf("%d pushes accepted, want the queue's 2 and perhaps the one being sent", accepted)
	}
	if got := w.waitUndelivered(t, 10-accepted); !strings.Contains(got[0].Reason, "queue is full") {
		t.Errorf("recorded %+v", got[0])
	}
}
