package wechatmp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sender is WeChat's sending API: *API.
type Sender interface {
	// SendText sends a customer-service text message (within what WeChat
	// allows, see Grant).
	SendText(ctx context.Context, openid, text string) error
	// SendTemplate sends a template message; clientMsgID makes a retry
	// of one that was in fact delivered a no-op at WeChat.
	SendTemplate(ctx context.Context, openid, templateID, clientMsgID string, data map[string]string) error
	// SendSubscription sends a subscription message (订阅通知), which
	// WeChat delivers only to a user who subscribed to the template.
	SendSubscription(ctx context.Context, openid, templateID string, data map[string]string) error
}

// PushStore is what the outbox keeps in gateway.db: each user's
// customer-service allowance, and what it could not deliver
// (store.Wechat).
type PushStore interface {
	// UpdatePush changes openid's allowance atomically (see
	// store.Wechat.UpdatePush); ok is false for a user never seen.
	UpdatePush(ctx context.Context, openid string, fn func(left int, until time.Time) (int, time.Time)) (left int, ok bool, err error)
	// RecordUndelivered records a notice no means could deliver.
	RecordUndelivered(ctx context.Context, openid, kind, text, reason string, at time.Time) error
}

// Defaults of NewOutbox.
const (
	DefaultSendRate    = 10
	DefaultQueueSize   = 1000
	DefaultMaxAttempts = 5
	DefaultBackoff     = time.Second
	// DefaultSenders is how many sends may be in flight at once, within
	// the pacing: one slow call does not hold up the others.
	DefaultSenders = 8
	maxBackoff     = time.Minute
)

// Fallback is a message sent instead of a notice's customer-service
// text when WeChat does not allow that text now: a template message, or
// a subscription message.
type Fallback struct {
	// Subscription selects a subscription message rather than a template
	// message.
	Subscription bool
	TemplateID   string
	Data         map[string]string
}

// Outbox sends messages to users outside any request, at most Rate a
// second, from a bounded queue: a full queue records the push as
// undelivered instead of blocking whoever pushes. A customer-service text
// is sent only while the user's allowance (Grant) has one left; otherwise,
// or when WeChat refuses it for quota (45015, 45047), the push's
// fallbacks are tried in order (template, then subscription message), and
// a push that nothing could deliver is recorded (RecordUndelivered, and a
// running count in the log). A failed send is tried again after a growing
// pause, up to MaxAttempts times, unless WeChat says it cannot succeed.
// The texts of one push are sent in order. Configure it between NewOutbox
// and Open.
type Outbox struct {
	// Rate is how many messages a second are sent at most.
	Rate int
	// QueueSize is how many pushes may wait.
	QueueSize int
	// Senders is how many sends may be in flight at once.
	Senders int
	// MaxAttempts bounds the tries of one message.
	MaxAttempts int
	// Backoff is the pause before the first retry; it doubles up to a
	// minute.
	Backoff time.Duration
	// Timeout bounds one send.
	Timeout time.Duration
	// Now is the clock of allowances and records.
	Now func() time.Time
	// Logger receives failures; openids appear only hashed.
	Logger *slog.Logger

	s  Sender
	st PushStore

	queue  chan *job
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	paceMu sync.Mutex
	next   time.Time

	undelivered atomic.Int64
}

// job is one push: texts to send in order as customer-service messages,
// and what to send instead when they cannot be.
type job struct {
	openid    string
	kind      string
	texts     []string
	fallbacks []Fallback
	// clientMsgID names the template message across retries.
	clientMsgID string
	// secrets are left out of the record.
	secrets []string
	// reasons collects why each way failed, for the record.
	reasons []string
	attempt int
}

// NewOutbox returns an outbox that sends through s and keeps allowances
// and undelivered notices in st, with the defaults set.
func NewOutbox(s Sender, st PushStore) *Outbox {
	return &Outbox{
		Rate: DefaultSendRate, QueueSize: DefaultQueueSize, Senders: DefaultSenders, MaxAttempts: DefaultMaxAttempts,
		Backoff: DefaultBackoff, Timeout: DefaultAPITimeout, Now: time.Now,
		Logger: slog.New(slog.DiscardHandler), s: s, st: st,
	}
}

// Open starts sending.
func (o *Outbox) Open() error {
	if o.s == nil || o.st == nil || o.Rate < 1 || o.QueueSize < 1 || o.MaxAttempts < 1 || o.Senders < 1 {
		return errors.New("wechatmp: outbox needs a sender, a store, a rate, a queue, senders and attempts")
	}
	o.queue = make(chan *job, o.QueueSize)
	o.ctx, o.cancel = context.WithCancel(context.Background())
	for range o.Senders {
		o.wg.Go(o.run)
	}
	return nil
}

// Close stops sending (what is still queued is dropped) and waits.
func (o *Outbox) Close() error {
	if o.cancel != nil {
		o.cancel()
	}
	o.wg.Wait()
	return nil
}

// Undelivered returns how many pushes this outbox could not deliver.
func (o *Outbox) Undelivered() int64 { return o.undelivered.Load() }

// Push queues texts for openid as customer-service messages (the rest of
// an answer, a receipt), with no fallback; secrets in them are left out
// of the record of a push that cannot be delivered. It never blocks;
// false means the push could not be queued (and was recorded as
// undelivered).
func (o *Outbox) Push(openid string, texts, secrets []string) bool {
	if len(texts) == 0 {
		return true
	}
	return o.enqueue(&job{openid: openid, kind: "reply", texts: append([]string(nil), texts...), secrets: secrets})
}

// Notify queues a notice of kind for openid: text as a customer-service
// message while WeChat allows one, else the fallbacks in order.
func (o *Outbox) Notify(openid, kind, text string, fallbacks []Fallback) bool {
	return o.enqueue(&job{openid: openid, kind: kind, texts: []string{text}, fallbacks: fallbacks, clientMsgID: newClientMsgID()})
}

// newClientMsgID returns a random id for WeChat's client_msg_id (at most
// 32 characters).
func newClientMsgID() string {
	var b [12]byte
	rand.Read(b[:])
	return "linli-" + hex.EncodeToString(b[:])
}

func (o *Outbox) enqueue(j *job) bool {
	if o.ctx == nil || o.ctx.Err() != nil {
		o.giveUp(j, "the outbox is closed")
		return false
	}
	select {
	case o.queue <- j:
		return true
	default:
		o.giveUp(j, "the outbox queue is full")
		return false
	}
}

func (o *Outbox) run() {
	for {
		var j *job
		select {
		case <-o.ctx.Done():
			return
		case j = <-o.queue:
		}
		o.work(j)
	}
}

// pace waits for the next send slot: one every 1/Rate seconds across all
// senders.
func (o *Outbox) pace() bool {
	o.paceMu.Lock()
	now := time.Now()
	at := now
	if o.next.After(now) {
		at = o.next
	}
	o.next = at.Add(time.Second / time.Duration(o.Rate))
	o.paceMu.Unlock()
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-o.ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

// work sends what is left of j: its texts while the allowance lasts, then
// its fallbacks.
func (o *Outbox) work(j *job) {
	for len(j.texts) > 0 {
		ok, err := o.take(j.openid)
		if err != nil {
			// Without the count, sending is a guess WeChat may refuse;
			// a refusal still falls back.
			o.Logger.Error("wechat: read push quota", "user", HashID(j.openid), "err", err)
			ok = true
		}
		if !ok {
			j.reasons = append(j.reasons, "no customer-service quota left")
			break
		}
		if !o.pace() {
			return
		}
		err = o.sendText(j)
		var ae *APIError
		switch {
		case err == nil:
			continue
		case errors.As(err, &ae) && quotaRefusal(ae.Code):
			// WeChat counted otherwise: believe it.
			o.exhaust(j.openid)
			j.reasons = append(j.reasons, err.Error())
		case errors.As(err, &ae) && ae.Permanent():
			j.reasons = append(j.reasons, err.Error())
			j.fallbacks = nil
		default:
			o.retry(j, err)
			return
		}
		break
	}
	if len(j.texts) == 0 {
		return
	}
	for len(j.fallbacks) > 0 {
		if !o.pace() {
			return
		}
		f := j.fallbacks[0]
		err := o.sendFallback(j, f)
		var ae *APIError
		switch {
		case err == nil:
			return
		case errors.As(err, &ae) && ae.Permanent():
			j.reasons = append(j.reasons, err.Error())
			j.fallbacks = j.fallbacks[1:]
		default:
			o.retry(j, err)
			return
		}
	}
	if len(j.reasons) == 0 {
		j.reasons = append(j.reasons, "no template or subscription message for "+j.kind)
	}
	o.giveUp(j, strings.Join(j.reasons, "; "))
}

func (o *Outbox) take(openid string) (bool, error) {
	taken := false
	_, _, err := o.st.UpdatePush(o.ctx, openid, func(left int, until time.Time) (int, time.Time) {
		var l int
		l, until, taken = Take(o.Now(), left, until)
		return l, until
	})
	return taken, err
}

func (o *Outbox) exhaust(openid string) {
	if _, _, err := o.st.UpdatePush(o.ctx, openid, func(int, time.Time) (int, time.Time) { return 0, time.UnixMilli(0) }); err != nil {
		o.Logger.Error("wechat: write push quota", "user", HashID(openid), "err", err)
	}
}

func (o *Outbox) sendText(j *job) error {
	ctx, cancel := context.WithTimeout(o.ctx, o.Timeout)
	defer cancel()
	if err := o.s.SendText(ctx, j.openid, j.texts[0]); err != nil {
		return err
	}
	j.texts, j.attempt = j.texts[1:], 0
	return nil
}

func (o *Outbox) sendFallback(j *job, f Fallback) error {
	ctx, cancel := context.WithTimeout(o.ctx, o.Timeout)
	defer cancel()
	if f.Subscription {
		return o.s.SendSubscription(ctx, j.openid, f.TemplateID, f.Data)
	}
	return o.s.SendTemplate(ctx, j.openid, f.TemplateID, j.clientMsgID, f.Data)
}

// retry tries a job again after a pause, or gives up on it.
func (o *Outbox) retry(j *job, err error) {
	j.attempt++
	if j.attempt >= o.MaxAttempts {
		o.giveUp(j, err.Error())
		return
	}
	pause := o.Backoff << (j.attempt - 1)
	if pause > maxBackoff || pause <= 0 {
		pause = maxBackoff
	}
	o.Logger.Warn("wechat: send failed, will retry", "user", HashID(j.openid), "in", pause, "err", err)
	o.wg.Go(func() {
		t := time.NewTimer(pause)
		defer t.Stop()
		select {
		case <-o.ctx.Done():
		case <-t.C:
			o.enqueue(j)
		}
	})
}

// giveUp records a push nothing could deliver.
func (o *Outbox) giveUp(j *job, reason string) {
	n := o.undelivered.Add(1)
	o.Logger.Error("wechat: notice not delivered", "user", HashID(j.openid), "kind", j.kind, "reason", reason, "undelivered", n)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := o.st.RecordUndelivered(ctx, j.openid, j.kind, redact(strings.Join(j.texts, "\n\n"), j.secrets), reason, o.Now()); err != nil {
		o.Logger.Error("wechat: record undelivered", "user", HashID(j.openid), "err", err)
	}
}
