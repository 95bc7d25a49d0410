package wxgroup

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// These tests drive the outbox's decisions (pick, deliver) at times they
// choose: no goroutine, no timer, no sleep.

type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time                       { return c.now }
func (c *stepClock) After(time.Duration) <-chan time.Time { return nil }

// sends records texts and fails the ones fail says.
type sends struct {
	got  []string // group/text
	fail func(group, text string) error
}

func (s *sends) send(_ context.Context, group, text string) error {
	if s.fail != nil {
		if err := s.fail(group, text); err != nil {
			return err
		}
	}
	s.got = append(s.got, group+"/"+text)
	return nil
}

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func testOutbox(l Limits) (*outbox, *sends, *stepClock, *bytes.Buffer) {
	var log bytes.Buffer
	c := &stepClock{now: t0}
	s := &sends{}
	o := newOutbox(l, c, func() time.Duration { return 5 * time.Second }, slog.New(slog.NewTextHandler(&log, nil)), s)
	return o, s, c, &log
}

// step sends what is due at c.now, if anything, and returns the wait.
func step(t *testing.T, o *outbox, c *stepClock) (sent bool, wait time.Duration) {
	t.Helper()
	m, wait := o.pick(c.now)
	if m == nil {
		return false, wait
	}
	if !o.deliver(context.Background(), m, c.now) {
		t.Fatal("deliver stopped")
	}
	return true, 0
}

func TestOutboxKeepsAGapPerGroupWithJitter(t *testing.T) {
	o, s, c, _ := testOutbox(DefaultLimits)
	for _, m := range []string{"A/1", "A/2", "B/1"} {
		g, text, _ := strings.Cut(m, "/")
		o.put(&message{group: g, key: m, text: text})
	}
	step(t, o, c) // A/1
	step(t, o, c) // B/1: another group need not wait
	if got := strings.Join(s.got, " "); got != "A/1 B/1" {
		t.Fatalf("sent %s, want A/1 B/1", got)
	}
	sent, wait := step(t, o, c)
	if sent || wait != 35*time.Second {
		t.Fatalf("A/2 at once: sent %v, wait %s; want a wait of 30s + 5s jitter", sent, wait)
	}
	c.now = c.now.Add(34 * time.Second)
	if sent, _ := step(t, o, c); sent {
		t.Fatal("A/2 went before its gap")
	}
	c.now = c.now.Add(time.Second)
	if sent, _ := step(t, o, c); !sent || s.got[2] != "A/2" {
		t.Fatalf("A/2 not sent after its gap: %v", s.got)
	}
}

func TestOutboxCapsEachGroupPerDay(t *testing.T) {
	l := DefaultLimits
	o, s, c, _ := testOutbox(l)
	for i := 0; i < l.GroupDaily+1; i++ {
		o.put(&message{group: "A", text: "n"})
	}
	for i := 0; i < l.GroupDaily; i++ {
		if sent, _ := step(t, o, c); !sent {
			t.Fatalf("send %d did not go", i+1)
		}
		c.now = c.now.Add(35 * time.Second)
	}
	sent, wait := step(t, o, c)
	if sent {
		t.Fatalf("send %d of a day went", l.GroupDaily+1)
	}
	if want := t0.Add(day).Sub(c.now); wait != want {
		t.Errorf("wait %s, want %s (a day after the first)", wait, want)
	}
	c.now = t0.Add(day)
	if sent, _ := step(t, o, c); !sent || len(s.got) != l.GroupDaily+1 {
		t.Error("the capped send did not go a day after the first")
	}
}

func TestOutboxCapsAllGroupsTogether(t *testing.T) {
	l := DefaultLimits
	l.Daily = 3
	o, s, c, _ := testOutbox(l)
	for _, g := range []string{"A", "B", "C", "D"} {
		o.put(&message{group: g, text: "n"})
	}
	for range 4 {
		step(t, o, c)
	}
	if len(s.got) != 3 {
		t.Fatalf("sent %v, want 3 (the overall cap)", s.got)
	}
	if _, wait := step(t, o, c); wait != day {
		t.Errorf("D waits %s, want a day", wait)
	}
}

func TestOutboxRemembersSendsAcrossRestart(t *testing.T) {
	l := DefaultLimits
	l.GroupDaily = 2
	o, _, c, _ := testOutbox(l)
	o.remember("A", t0.Add(-2*time.Hour))
	o.remember("A", t0.Add(-10*time.Second))
	o.put(&message{group: "A", text: "n"})
	sent, wait := step(t, o, c)
	if sent || wait != 20*time.Second {
		t.Fatalf("sent %v, wait %s; want the gap after the last send to hold", sent, wait)
	}
	c.now = c.now.Add(wait)
	if sent, wait := step(t, o, c); sent || wait != 22*time.Hour-20*time.Second {
		t.Errorf("sent %v, wait %s; want the cap to hold until 22h after the first", sent, wait)
	}
}

func TestOutboxFullQueueDropsTheOldestWithALogLine(t *testing.T) {
	l := DefaultLimits
	l.QueueSize = 2
	o, s, c, log := testOutbox(l)
	for _, k := range []string{"proposal/1/opened", "proposal/2/opened", "proposal/3/opened"} {
		o.put(&message{group: "A" + k, key: k, text: k})
	}
	if o.queued() != 2 || o.dropped != 1 {
		t.Fatalf("queued %d, dropped %d; want 2, 1", o.queued(), o.dropped)
	}
	if !strings.Contains(log.String(), "queue full, dropped the oldest") || !strings.Contains(log.String(), "proposal/1/opened") {
		t.Errorf("log %q", log.String())
	}
	step(t, o, c)
	step(t, o, c)
	if strings.Join(s.got, " ") != "Aproposal/2/opened/proposal/2/opened Aproposal/3/opened/proposal/3/opened" {
		t.Errorf("sent %v", s.got)
	}
}

func TestOutboxRetriesWithGrowingPausesThenDrops(t *testing.T) {
	o, s, c, log := testOutbox(DefaultLimits)
	s.fail = func(string, string) error { return errors.New("wechat network error") }
	o.put(&message{group: "A", key: "k", text: "n"})
	var pauses []time.Duration
	for range DefaultLimits.Tries {
		sent, wait := step(t, o, c)
		for !sent && wait > 0 {
			c.now = c.now.Add(wait)
			pauses = append(pauses, wait)
			sent, wait = step(t, o, c)
		}
	}
	// The first try is at once; then 1m, 2m, 4m, 8m (the group's gap is
	// shorter than each).
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}
	if len(pauses) != len(want) {
		t.Fatalf("pauses %v, want %v", pauses, want)
	}
	for i := range want {
		if pauses[i] != want[i] {
			t.Errorf("pause %d = %s, want %s", i+1, pauses[i], want[i])
		}
	}
	if o.queued() != 0 || !strings.Contains(log.String(), "dropped after failed sends") {
		t.Errorf("after %d tries: %d queued, log %q", DefaultLimits.Tries, o.queued(), log.String())
	}
}

func TestOutboxRetrySucceedsAfterAFailure(t *testing.T) {
	o, s, c, _ := testOutbox(DefaultLimits)
	failed := false
	s.fail = func(string, string) error {
		if !failed {
			failed = true
			return errors.New("timeout")
		}
		return nil
	}
	o.put(&message{group: "A", text: "n"})
	step(t, o, c)
	_, wait := step(t, o, c)
	c.now = c.now.Add(wait)
	if sent, _ := step(t, o, c); !sent || len(s.got) != 1 {
		t.Fatalf("the retry did not send: %v", s.got)
	}
}

func TestOutboxTooOftenPausesLongest(t *testing.T) {
	o, s, c, _ := testOutbox(DefaultLimits)
	s.fail = func(string, string) error { return &sendError{err: errors.New("1205"), tooOften: true} }
	o.put(&message{group: "A", text: "n"})
	step(t, o, c)
	if _, wait := step(t, o, c); wait != DefaultLimits.RetryMax {
		t.Errorf("wait %s after 1205, want %s", wait, DefaultLimits.RetryMax)
	}
}

func TestOutboxFatalSendStops(t *testing.T) {
	o, s, c, _ := testOutbox(DefaultLimits)
	var stopped error
	o.fatal = func(err error) { stopped = err }
	s.fail = func(string, string) error { return &sendError{err: errors.New("1101"), fatal: true} }
	o.put(&message{group: "A", text: "n"})
	m, _ := o.pick(c.now)
	if o.deliver(context.Background(), m, c.now) || stopped == nil {
		t.Error("a fatal send did not stop the outbox")
	}
}

func TestOutboxAnswersGoFirstAndExpire(t *testing.T) {
	o, s, c, log := testOutbox(DefaultLimits)
	o.put(&message{group: "A", key: "k1", text: "notice"})
	o.put(&message{group: "A", text: "answer", answer: true})
	o.put(&message{group: "B", text: "late", answer: true})
	o.remember("B", t0) // B waits its gap
	step(t, o, c)
	if s.got[0] != "A/answer" {
		t.Fatalf("sent %v; the answer should go first", s.got)
	}
	c.now = c.now.Add(DefaultLimits.AnswerTTL + time.Second)
	step(t, o, c)
	if len(s.got) != 2 || s.got[1] != "A/notice" || o.queued() != 0 {
		t.Errorf("sent %v, %d queued; the late answer should be dropped", s.got, o.queued())
	}
	if !strings.Contains(log.String(), "waited too long") {
		t.Errorf("log %q", log.String())
	}
}

func TestBindCommand(t *testing.T) {
	for _, tc := range []struct {
		text, code string
		ok         bool
	}{
		{"绑定本群 4821 5039 6712", "482150396712", true},
		{"绑定群４８２１５０３９６７１２", "482150396712", true},
		{"绑群 12", "12", true},
		{"绑定本群", "", false},
		{"绑定本群 3-502", "", false},
		{"绑定 3-502 1234", "", false},
	} {
		code, ok := bindCommand(tc.text)
		if code != tc.code || ok != tc.ok {
			t.Errorf("bindCommand(%q) = %q, %v; want %q, %v", tc.text, code, ok, tc.code, tc.ok)
		}
	}
	if HashBindCode("4821 5039 6712") != HashBindCode("482150396712") {
		t.Error("spacing changes the hash")
	}
}

func TestStripMention(t *testing.T) {
	for in, want := range map[string]string{
		"@邻里小助手\u2005投票": "投票",
		"投票 @邻里小助手":      "投票",
		"@邻里小助手 账目":      "账目",
		"@别人\u2005你好":    "@别人\u2005你好",
		"  菜单  ":         "菜单",
		"@邻里小助手\u2005":   "",
	} {
		if got := stripMention(in, "邻里小助手"); got != want {
			t.Errorf("stripMention(%q) = %q, want %q", in, got, want)
		}
	}
}

// simulate runs notices for groups through the outbox at simulated time
// and returns how long they took.
func simulate(l Limits, groups, perGroup int, jitter func() time.Duration) time.Duration {
	c := &stepClock{now: t0}
	o := newOutbox(l, c, jitter, slog.New(slog.DiscardHandler), &sends{})
	names := make([]string, groups)
	for g := range names {
		names[g] = string(rune('A' + g))
	}
	for range perGroup {
		for _, g := range names {
			o.put(&message{group: g, text: "n"})
		}
	}
	for o.queued() > 0 {
		m, wait := o.pick(c.now)
		if m != nil {
			o.deliver(context.Background(), m, c.now)
			continue
		}
		c.now = c.now.Add(wait)
	}
	return c.now.Sub(t0)
}

// BenchmarkPacing reports how many notices a minute the pacing lets
// through, in simulated time: one group, and ten groups together, over a
// day's cap of notices each (default limits, jitter uniform in [0, 15s)).
func BenchmarkPacing(b *testing.B) {
	var one, ten time.Duration
	// A seeded source: the same figures each run.
	r := rand.New(rand.NewPCG(1, 2))
	jitter := func() time.Duration { return time.Duration(r.Int64N(int64(DefaultLimits.Jitter))) }
	for b.Loop() {
		one = simulate(DefaultLimits, 1, DefaultLimits.GroupDaily, jitter)
		ten = simulate(DefaultLimits, 10, DefaultLimits.GroupDaily, jitter)
	}
	b.ReportMetric(float64(DefaultLimits.GroupDaily)/one.Minutes(), "notices/min-1group")
	b.ReportMetric(float64(10*DefaultLimits.GroupDaily)/ten.Minutes(), "notices/min-10groups")
	b.ReportMetric(one.Minutes(), "min-for-20-in-1group")
}
