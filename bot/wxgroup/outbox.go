package wxgroup

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Clock is the time the outbox paces by; tests pass one they advance.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Limits are how the account's own sends are paced. Users of personal-
// account bots report that a fresh pause of half a minute or more between
// messages to one group, some randomness in it, and a few dozen messages
// a day keep an account clear of WeChat's flood checks; linli stays below
// that.
type Limits struct {
	// Gap is the least time between two sends to one group, and Jitter
	// the most that is added to it at random.
	Gap, Jitter time.Duration
	// GroupDaily is how many messages one group gets in any 24 hours,
	// Daily how many all groups get together.
	GroupDaily, Daily int
	// QueueSize is how many messages may wait; beyond it the oldest is
	// dropped (and logged).
	QueueSize int
	// AnswerTTL is how long an answer to a question may wait for its turn
	// before it is dropped: a late answer confuses more than none.
	AnswerTTL time.Duration
	// RetryBase is the pause after a failed send, doubled at each further
	// failure up to RetryMax; after Tries attempts the message is dropped.
	RetryBase, RetryMax time.Duration
	Tries               int
}

// DefaultLimits are the defaults linli.toml documents.
var DefaultLimits = Limits{
	Gap: 30 * time.Second, Jitter: 15 * time.Second,
	GroupDaily: 20, Daily: 200,
	QueueSize: 200, AnswerTTL: 10 * time.Minute,
	RetryBase: time.Minute, RetryMax: 30 * time.Minute, Tries: 5,
}

// day is the window of the daily caps.
const day = 24 * time.Hour

// message is one text waiting for a group.
type message struct {
	group  string // the group's name
	key    string // the notice's key, "" for an answer
	text   string
	answer bool
	queued time.Time
	// notBefore is the end of a retry's pause.
	notBefore time.Time
	tries     int
}

// sendError is what a sender returns; fatal stops the outbox for good
// (WeChat logged the account out or refused it), tooOften asks for a long
// pause.
type sendError struct {
	err      error
	fatal    bool
	tooOften bool
	// gone means the group cannot be reached (not found): drop, no retry.
	gone bool
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// sender delivers one text to the group with that name.
type sender interface {
	send(ctx context.Context, group, text string) error
}

// outbox queues the account's messages and sends them one at a time,
// paced and capped per Limits. Put never blocks; run sends.
type outbox struct {
	limits Limits
	clock  Clock
	jitter func() time.Duration
	logger *slog.Logger
	sender sender
	// record logs a send (the store), so that caps and keys survive a
	// restart.
	record func(ctx context.Context, group, key string, at time.Time) error
	// fatal is called once when a send fails fatally.
	fatal func(err error)

	mu    sync.Mutex
	queue []*message
	// sent holds the send times within the last day, per group and in all.
	sent map[string][]time.Time
	all  []time.Time
	// ready is when each group may next be sent to (last send + gap +
	// jitter).
	ready map[string]time.Time
	wake  chan struct{}
	// dropped counts messages dropped for a full queue, for tests and logs.
	dropped int
	// delivered counts successful sends.
	delivered int
}

func newOutbox(l Limits, c Clock, jitter func() time.Duration, logger *slog.Logger, s sender) *outbox {
	return &outbox{
		limits: l, clock: c, jitter: jitter, logger: logger, sender: s,
		record: func(context.Context, string, string, time.Time) error { return nil },
		fatal:  func(error) {},
		sent:   map[string][]time.Time{}, ready: map[string]time.Time{},
		wake: make(chan struct{}, 1),
	}
}

// remember counts a send made before this outbox started (read back from
// the store), for the caps and the gap.
func (o *outbox) remember(group string, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent[group] = append(o.sent[group], at)
	o.all = append(o.all, at)
	if r := at.Add(o.limits.Gap); r.After(o.ready[group]) {
		o.ready[group] = r
	}
}

// put queues m. A full queue drops its oldest message, with a log line.
func (o *outbox) put(m *message) {
	o.mu.Lock()
	m.queued = o.clock.Now()
	if len(o.queue) >= o.limits.QueueSize {
		old := o.queue[0]
		o.queue = o.queue[1:]
		o.dropped++
		o.logger.Warn("wxgroup: queue full, dropped the oldest message", "group", old.group, "key", old.key, "queued", old.queued, "queue_size", o.limits.QueueSize)
	}
	o.queue = append(o.queue, m)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// queued reports how many messages wait.
func (o *outbox) queued() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.queue)
}

// pick removes and returns the message to send now, or returns how long
// to wait before one may be (0 when nothing waits). Answers go before
// notices; otherwise the queue is first in, first out, skipping groups
// that must wait. Answers past AnswerTTL are dropped here.
func (o *outbox) pick(now time.Time) (*message, time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.all = trim(o.all, now)
	var wait time.Duration
	later := func(t time.Time) {
		if d := t.Sub(now); d > 0 && (wait == 0 || d < wait) {
			wait = d
		}
	}
	best := -1
	for i := 0; i < len(o.queue); i++ {
		m := o.queue[i]
		if m.answer && now.Sub(m.queued) > o.limits.AnswerTTL {
			o.logger.Warn("wxgroup: an answer waited too long and was dropped", "group", m.group, "waited", now.Sub(m.queued))
			o.queue = append(o.queue[:i], o.queue[i+1:]...)
			i--
			continue
		}
		sent := trim(o.sent[m.group], now)
		o.sent[m.group] = sent
		switch {
		case now.Before(m.notBefore):
			later(m.notBefore)
		case now.Before(o.ready[m.group]):
			later(o.ready[m.group])
		case len(sent) >= o.limits.GroupDaily:
			later(sent[0].Add(day))
		case len(o.all) >= o.limits.Daily:
			later(o.all[0].Add(day))
		default:
			if best < 0 || m.answer && !o.queue[best].answer {
				best = i
			}
		}
		if best >= 0 && o.queue[best].answer {
			break
		}
	}
	if best < 0 {
		if len(o.queue) > 0 && wait == 0 {
			wait = time.Second // an answer's TTL to check again
		}
		return nil, wait
	}
	m := o.queue[best]
	o.queue = append(o.queue[:best], o.queue[best+1:]...)
	return m, 0
}

// trim drops the times more than a day before now.
func trim(ts []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-day)) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0:0], ts[i:]...)
}

// run sends until ctx ends or a send fails fatally.
func (o *outbox) run(ctx context.Context) {
	for {
		now := o.clock.Now()
		m, wait := o.pick(now)
		if m != nil {
			if !o.deliver(ctx, m, now) {
				return
			}
			continue
		}
		var timer <-chan time.Time
		if wait > 0 {
			timer = o.clock.After(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-timer:
		}
	}
}

// deliver sends m and settles the outcome; false means stop.
func (o *outbox) deliver(ctx context.Context, m *message, now time.Time) bool {
	err := o.sender.send(ctx, m.group, m.text)
	if ctx.Err() != nil {
		return false
	}
	o.mu.Lock()
	// A failed attempt may still have reached WeChat: the gap holds.
	o.ready[m.group] = now.Add(o.limits.Gap + o.jitter())
	o.mu.Unlock()
	if err == nil {
		o.mu.Lock()
		o.sent[m.group] = append(o.sent[m.group], now)
		o.all = append(o.all, now)
		o.delivered++
		o.mu.Unlock()
		if rerr := o.record(ctx, m.group, m.key, now); rerr != nil {
			o.logger.Error("wxgroup: record a send", "err", rerr)
		}
		return true
	}
	var se *sendError
	errors.As(err, &se)
	switch {
	case se != nil && se.fatal:
		o.logger.Error("wxgroup: WeChat refused a send; the adapter stops", "group", m.group, "err", err)
		o.fatal(err)
		return false
	case se != nil && se.gone:
		o.logger.Warn("wxgroup: group not found, message dropped (is it saved to the account's contacts?)", "group", m.group, "key", m.key)
		return true
	}
	m.tries++
	if m.tries >= o.limits.Tries {
		o.logger.Warn("wxgroup: message dropped after failed sends", "group", m.group, "key", m.key, "tries", m.tries, "err", err)
		return true
	}
	pause := o.limits.RetryBase << (m.tries - 1)
	if pause > o.limits.RetryMax || pause <= 0 {
		pause = o.limits.RetryMax
	}
	if se != nil && se.tooOften {
		pause = o.limits.RetryMax
	}
	m.notBefore = now.Add(pause)
	o.logger.Warn("wxgroup: send failed, will retry", "group", m.group, "key", m.key, "tries", m.tries, "pause", pause, "err", err)
	o.mu.Lock()
	// Back at the head, so that it keeps its place among the notices.
	o.queue = append([]*message{m}, o.queue...)
	o.mu.Unlock()
	return true
}
