package bot

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/templates"
)

// Request is one message from a user, as an adapter received it.
type Request struct {
	// Channel names where the message came from ("console", "wechat",
	// "wxgroup"); with User it selects the session and the custodial key.
	Channel string
	// User is the sender's id on the channel (an openid, a console name).
	// It never reaches the chain.
	User string
	// Group is the id of the group the message was posted in, or empty
	// for a one-to-one chat.
	Group string
	// Mentioned reports that a group message @-mentions the bot (the
	// adapter strips the mention from Text).
	Mentioned bool
	// Text is what the user typed, or the voice recognition text.
	Text string
	// Voice reports that Text came from voice recognition.
	Voice bool
	// MsgID is the channel's message id, for the adapter's dedup.
	MsgID string
	// Time is when the channel received the message.
	Time time.Time
}

// Reply is the engine's answer to a Request.
type Reply struct {
	// Parts are the texts to send, in order, each at most MaxPartBytes
	// (WeChat limits a text message to about 2048 bytes); a long answer
	// is split at line boundaries.
	Parts []string
	// Private reports that the reply must go to the user alone, never to
	// a group.
	Private bool
	// Later, when not nil, delivers what the engine could not say within
	// the channel's budget: the receipt of a transaction still being
	// committed. The adapter calls it once, outside the request (it may
	// block until the commit or ctx ends), and sends its reply privately.
	Later func(ctx context.Context) (*Reply, error)
	// Secrets are strings in Parts shown once and never to be stored (a
	// new binding code): an adapter that keeps replies keeps them without.
	Secrets []string
}

// Text returns the parts joined by blank lines, as a console shows them.
func (r *Reply) Text() string {
	if r == nil {
		return ""
	}
	s := ""
	for i, p := range r.Parts {
		if i > 0 {
			s += "\n\n"
		}
		s += p
	}
	return s
}

// UserRef names a chat user for the Ledger (see ledger.User).
type UserRef = ledger.User

// Ledger is what the engine needs of the chain. cmd/linli passes a
// *ledger.Custodian, in-process or over RPC.
type Ledger interface {
	// Submit signs body with the user's custodial key and submits it,
	// waiting for its commit until ctx ends. A CheckTx rejection is a
	// Receipt with Height 0 and its code; a commit that outlives ctx is
	// an error wrapping ledger.ErrPending, with the hash in the Receipt.
	Submit(ctx context.Context, user UserRef, body tx.Body) (ledger.Receipt, error)
	// Wait waits for a pending transaction by its hex hash.
	Wait(ctx context.Context, hash string) (ledger.Receipt, error)
	// Query runs an ABCI query; a non-zero code is an answer, not an
	// error (abci.CodeQueryNotFound, say).
	Query(ctx context.Context, path string) (ledger.QueryResult, error)
	// Address returns the chain address of the user's custodial key.
	Address(user UserRef) (tx.Address, error)
}

// Sessions keeps one opaque state per (channel, user) between messages.
// cmd/linli passes gateway.db's session table (store.Sessions).
type Sessions interface {
	// Get returns the stored state and when it was written; ok is false
	// when there is none.
	Get(ctx context.Context, channel, user string) (state []byte, updated time.Time, ok bool, err error)
	// Put stores state, replacing what was there.
	Put(ctx context.Context, channel, user string, state []byte, updated time.Time) error
	// Delete removes the state; deleting nothing is not an error.
	Delete(ctx context.Context, channel, user string) error
}

// PrivateTexts keeps the texts the chain must not hold (a dispute's
// opening text, statements and outcome) on the gateway, each under the
// commitment the chain records instead (tx.TextCommitment). The dispute
// screens call it; store.PrivateTexts implements it.
type PrivateTexts interface {
	// Keep stores text and returns its commitment.
	Keep(ctx context.Context, text string, at time.Time) (commitment string, err error)
	// Get returns the text kept under commitment and its nonce (hex); ok
	// is false when this gateway does not hold it.
	Get(ctx context.Context, commitment string) (text, nonce string, ok bool, err error)
}

// Defaults of New.
const (
	DefaultSessionTTL = 30 * time.Minute
	DefaultBudget     = 4 * time.Second
	DefaultRateBurst  = 10
	DefaultRatePer    = 10 * time.Second
)

// Engine answers messages. Configure it between New and the first Handle;
// Handle is safe for concurrent use. Messages of one user are handled one
// at a time, in arrival order, so a double "1" cannot confirm twice.
type Engine struct {
	Ledger    Ledger
	Sessions  Sessions
	Templates *templates.Set
	// Texts keeps dispute texts off the chain; without it the engine
	// cannot write them (cmd/linli sets store's PrivateTexts).
	Texts PrivateTexts
	// Mux routes command words; New sets DefaultMux().
	Mux *Mux
	// Now is the clock; tests fix it.
	Now func() time.Time
	// Rand is the randomness of binding codes (crypto/rand by default).
	Rand io.Reader
	// Location is where dates are shown (China Standard Time).
	Location *time.Location
	// SessionTTL is how long a numbered screen stays valid while the user
	// is idle.
	SessionTTL time.Duration
	// Budgets is how long a channel may wait for a commit before the
	// reply says the tx is being recorded and the receipt follows
	// (Reply.Later); channels not listed get DefaultBudget.
	Budgets map[string]time.Duration
	// RateBurst messages per RatePer are answered for each user; every
	// message beyond that gets a short notice that it was not handled
	// (never silence) until the bucket refills. RateBurst 0 or less turns
	// the limit off: a console reading a script, where a program types.
	RateBurst int
	RatePer   time.Duration
	// Logger receives internal errors, with detail users never see.
	Logger *slog.Logger
	// GroupCodes makes the codes that bind a WeChat group (管理 绑群);
	// nil when the group account is not turned on, and the entry says so.
	GroupCodes GroupCodes
	// BoardURL is the notice board's public address; when set, every
	// receipt links to its page there (BoardURL/tx/HASH).
	BoardURL string

	locks       keyedMutex
	limiterOnce sync.Once
	limiter     *limiter

	chainMu   sync.Mutex
	community string
}

// New returns an engine with the defaults set.
func New(l Ledger, s Sessions, t *templates.Set) *Engine {
	return &Engine{
		Ledger: l, Sessions: s, Templates: t,
		Mux:        DefaultMux(),
		Now:        time.Now,
		Rand:       rand.Reader,
		Location:   time.FixedZone("CST", 8*3600),
		SessionTTL: DefaultSessionTTL,
		Budgets:    map[string]time.Duration{},
		RateBurst:  DefaultRateBurst,
		RatePer:    DefaultRatePer,
		Logger:     slog.New(slog.DiscardHandler),
	}
}

// ErrBadRequest is returned for a Request without a channel or user.
var ErrBadRequest = errors.New("bot: request needs a channel and a user")

// Handle answers one message. It returns a nil Reply when the engine stays
// silent (a group message not addressed to it, a flood). Internal failures
// are logged and answered with a polite "please try again"; the error is
// non-nil only for a malformed Request.
func (e *Engine) Handle(ctx context.Context, req *Request) (*Reply, error) {
	if req == nil || req.Channel == "" || req.User == "" {
		return nil, ErrBadRequest
	}
	now := e.Now()
	in := Parse(req.Text)
	if req.Group != "" && !req.Mentioned && in.Kind != KindCommand {
		return nil, nil
	}
	key := req.Channel + "\x00" + req.User
	e.limiterOnce.Do(func() {
		if e.RateBurst > 0 {
			e.limiter = &limiter{burst: e.RateBurst, per: max(e.RatePer, time.Millisecond), buckets: map[string]*bucket{}}
		}
	})
	if e.limiter != nil && !e.limiter.allow(key, now) {
		return e.simple(req, "bot.ratelimited", nil), nil
	}
	if len(req.Text) > MaxInputBytes {
		return e.simple(req, "bot.toolong", nil), nil
	}
	unlock := e.locks.lock(key)
	defer unlock()

	t := &Turn{ctx: ctx, e: e, Req: req, In: in, now: now, user: UserRef{Channel: req.Channel, ID: req.User}}
	if req.Group != "" {
		t.group()
		return t.reply(), nil
	}
	if err := t.loadSession(); err != nil {
		e.Logger.Error("load session", "channel", req.Channel, "err", err)
		return e.simple(req, "bot.error", nil), nil
	}
	if err := t.dispatch(); err != nil {
		e.Logger.Error("handle message", "channel", req.Channel, "err", err)
		t.out = nil
		t.say("bot.error", nil)
	}
	if err := t.saveSession(); err != nil {
		e.Logger.Error("save session", "channel", req.Channel, "err", err)
	}
	return t.reply(), nil
}

// simple renders one template as a whole reply.
func (e *Engine) simple(req *Request, name string, data any) *Reply {
	t := &Turn{e: e, Req: req}
	t.say(name, data)
	return t.reply()
}

func (e *Engine) budget(channel string) time.Duration {
	if d, ok := e.Budgets[channel]; ok && d > 0 {
		return d
	}
	return DefaultBudget
}

// keyedMutex serialises the messages of one user.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*refMutex
}

type refMutex struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*refMutex{}
	}
	m, ok := k.m[key]
	if !ok {
		m = &refMutex{}
		k.m[key] = m
	}
	m.refs++
	k.mu.Unlock()
	m.mu.Lock()
	return func() {
		m.mu.Unlock()
		k.mu.Lock()
		if m.refs--; m.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
