package wechatmp_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/bot/wechatmp"
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

func (s *sender) SendTemplate(_ context.Context, openid, id string, data map[string]string) error {
	return s.SendText(context.Background(), openid, "template "+id+" "+data["thing1"])
}

func (s *sender) sent() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.texts...), s.tries
}

func openOutbox(t testing.TB, s wechatmp.Sender, configure func(*wechatmp.Outbox)) *wechatmp.Outbox {
	t.Helper()
	o := wechatmp.NewOutbox(s)
	o.Backoff, o.Rate = 10*time.Millisecond, 1000
	if configure != nil {
		configure(o)
	}
	if err := o.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
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
	o := openOutbox(t, s, func(o *wechatmp.Outbox) { o.Rate = 50 })
	start := time.Now()
	o.Push("oA", []string{"1", "2", "3", "4", "5"})
	o.PushTemplate("oB", "tmpl-result", map[string]string{"thing1": "电梯"})
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

func TestOutboxRetriesWithBackoff(t *testing.T) {
	s := &sender{fail: func(try int) error {
		if try <= 2 {
			return &wechatmp.APIError{Op: "send text", Code: -1}
		}
		return nil
	}}
	o := openOutbox(t, s, nil)
	o.Push("oA", []string{"回执"})
	got := waitSent(t, s, 1)
	if _, tries := s.sent(); got[0] != "oA:回执" || tries != 3 {
		t.Errorf("sent %q after %d tries, want once after 3", got, tries)
	}
}

func TestOutboxGivesUp(t *testing.T) {
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
			o := openOutbox(t, s, func(o *wechatmp.Outbox) { o.MaxAttempts = 3 })
			o.Push("oA", []string{"x"})
			time.Sleep(150 * time.Millisecond) // 10+20ms of backoff, and more
			if _, tries := s.sent(); tries != tc.tries {
				t.Errorf("%d tries, want %d", tries, tc.tries)
			}
		})
	}
}

func TestOutboxFullQueueNeverBlocks(t *testing.T) {
	s := &sender{block: make(chan struct{})}
	o := openOutbox(t, s, func(o *wechatmp.Outbox) { o.QueueSize = 2 })
	t.Cleanup(func() { close(s.block) })
	accepted := 0
	start := time.Now()
	for i := range 10 {
		if o.Push("oA", []string{fmt.Sprint(i)}) {
			accepted++
		}
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("pushing into a full queue took %v", d)
	}
	// One is being sent (blocked), two wait.
	if accepted > 3 || accepted < 2 {
		t.Errorf("%d pushes accepted, want the queue's 2 and perhaps the one being sent", accepted)
	}
}
