package wechatmp

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Sender is WeChat's sending API: *API.
type Sender interface {
	// SendText sends a customer-service text message (within 48 hours
	// of the user's last message).
	SendText(ctx context.Context, openid, text string) error
	// SendTemplate sends a template message.
	SendTemplate(ctx context.Context, openid, templateID string, data map[string]string) error
}

// Defaults of NewOutbox.
const (
	DefaultSendRate    = 10
	DefaultQueueSize   = 1000
	DefaultMaxAttempts = 5
	DefaultBackoff     = time.Second
	maxBackoff         = time.Minute
)

// Outbox sends messages to users outside any request, one at a time at
// most Rate a second, from a bounded queue: a full queue drops (and logs)
// instead of blocking whoever pushes. A failed send is tried again after a
// growing pause, up to MaxAttempts times, unless WeChat says it cannot
// succeed (the user unfollowed, the 48-hour window closed). The texts of
// one push are sent in order. Configure it between NewOutbox and Open.
type Outbox struct {
	// Rate is how many messages a second are sent at most.
	Rate int
	// QueueSize is how many pushes may wait.
	QueueSize int
	// MaxAttempts bounds the tries of one message.
	MaxAttempts int
	// Backoff is the pause before the first retry; it doubles up to a
	// minute.
	Backoff time.Duration
	// Timeout bounds one send.
	Timeout time.Duration
	// Logger receives failures; openids appear only hashed.
	Logger *slog.Logger

	s      Sender
	queue  chan *job
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// job is one push: texts to send in order, or a template message.
type job struct {
	openid   string
	texts    []string
	template string
	data     map[string]string
	attempt  int
}

// NewOutbox returns an outbox that sends through s, with the defaults set.
func NewOutbox(s Sender) *Outbox {
	return &Outbox{
		Rate: DefaultSendRate, QueueSize: DefaultQueueSize, MaxAttempts: DefaultMaxAttempts,
		Backoff: DefaultBackoff, Timeout: DefaultAPITimeout,
		Logger: slog.New(slog.DiscardHandler), s: s,
	}
}

// Open starts sending.
func (o *Outbox) Open() error {
	if o.s == nil || o.Rate < 1 || o.QueueSize < 1 || o.MaxAttempts < 1 {
		return errors.New("wechatmp: outbox needs a sender, a rate, a queue and attempts")
	}
	o.queue = make(chan *job, o.QueueSize)
	o.ctx, o.cancel = context.WithCancel(context.Background())
	o.wg.Go(o.run)
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

// Push queues texts for openid as customer-service messages. It never
// blocks; false means the queue is full or the outbox closed.
func (o *Outbox) Push(openid string, texts []string) bool {
	if len(texts) == 0 {
		return true
	}
	return o.enqueue(&job{openid: openid, texts: append([]string(nil), texts...)})
}

// PushTemplate queues a template message for openid.
func (o *Outbox) PushTemplate(openid, templateID string, data map[string]string) bool {
	return o.enqueue(&job{openid: openid, template: templateID, data: data})
}

func (o *Outbox) enqueue(j *job) bool {
	if o.ctx == nil || o.ctx.Err() != nil {
		return false
	}
	select {
	case o.queue <- j:
		return true
	default:
		o.Logger.Error("wechat: outbox full, message dropped", "user", HashID(j.openid))
		return false
	}
}

func (o *Outbox) run() {
	interval := time.Second / time.Duration(o.Rate)
	next := time.Now()
	for {
		var j *job
		select {
		case <-o.ctx.Done():
			return
		case j = <-o.queue:
		}
		for j.template != "" || len(j.texts) > 0 {
			// Pace the sends: one every interval at most.
			if d := time.Until(next); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-o.ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			next = time.Now().Add(interval)
			if err := o.send(j); err != nil {
				o.failed(j, err)
				break
			}
		}
	}
}

// send sends the job's next message and takes it off the job.
func (o *Outbox) send(j *job) error {
	ctx, cancel := context.WithTimeout(o.ctx, o.Timeout)
	defer cancel()
	if j.template != "" {
		if err := o.s.SendTemplate(ctx, j.openid, j.template, j.data); err != nil {
			return err
		}
		j.template = ""
		return nil
	}
	if err := o.s.SendText(ctx, j.openid, j.texts[0]); err != nil {
		return err
	}
	j.texts, j.attempt = j.texts[1:], 0
	return nil
}

// failed retries a job after a pause, or gives up on it.
func (o *Outbox) failed(j *job, err error) {
	j.attempt++
	var ae *APIError
	if errors.As(err, &ae) && ae.Permanent() || j.attempt >= o.MaxAttempts {
		o.Logger.Error("wechat: message not delivered", "user", HashID(j.openid), "attempts", j.attempt, "err", err)
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
