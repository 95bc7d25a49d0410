package wxgroup_test

import (
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/internal/fakewx"
)

// fakeClock is a Clock that moves only when a test says so.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	added   chan struct{}
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), added: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	select {
	case c.added <- struct{}{}:
	default:
	}
	return ch
}

// advanceIfWaiting moves the clock to the earliest deadline anyone waits
// for and fires what is due; false means nobody waits.
func (c *fakeClock) advanceIfWaiting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiters) == 0 {
		return false
	}
	next := c.waiters[0].at
	for _, w := range c.waiters {
		if w.at.Before(next) {
			next = w.at
		}
	}
	if next.After(c.now) {
		c.now = next
	}
	c.fireLocked()
	return true
}

// collect returns the next n texts sent, moving the clock whenever the
// outbox waits for it (bounded; never a sleep).
func collect(tb testing.TB, f *fakewx.Server, c *fakeClock, n int) []fakewx.Sent {
	tb.Helper()
	var out []fakewx.Sent
	timeout := time.After(20 * time.Second)
	for len(out) < n {
		select {
		case m := <-f.SentCh:
			out = append(out, m)
			continue
		default:
		}
		if c.advanceIfWaiting() {
			continue
		}
		select {
		case m := <-f.SentCh:
			out = append(out, m)
		case <-c.added:
		case <-timeout:
			tb.Fatalf("%d of %d texts sent", len(out), n)
		}
	}
	return out
}

// advance moves the clock by d and fires what is due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.fireLocked()
	c.mu.Unlock()
}

func (c *fakeClock) fireLocked() {
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// waitFor is used where a test waits on something the adapter does in the
// background: a bounded wait on a channel, never a sleep.
func waitFor[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		tb.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
