package wxgroup

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/templates"
)

// Channel is the bot.Request channel of group messages.
const Channel = "wxgroup"

// Handler answers a message; *bot.Engine is one.
type Handler interface {
	Handle(ctx context.Context, req *bot.Request) (*bot.Reply, error)
}

// Store is the adapter's local data; *store.WxGroup implements it.
type Store interface {
	// Login returns the hot-login storage Login saved (ok false: none).
	Login(ctx context.Context) (data []byte, ok bool, err error)
	// SaveLogin replaces it; openwechat refreshes it after every sync.
	SaveLogin(ctx context.Context, data []byte, at time.Time) error
	// UseCode spends a one-time binding code by its hash and binds the
	// group named name, returning the building the code ties it to.
	UseCode(ctx context.Context, hash, name string, now time.Time) (building string, ok bool, err error)
	// Bindings returns the bound groups: name → building ("" for all).
	Bindings(ctx context.Context) (map[string]string, error)
	// RecordSent logs a send (key "" for an answer).
	RecordSent(ctx context.Context, group, key string, at time.Time) error
	// WasSent reports whether the notice key reached group.
	WasSent(ctx context.Context, group, key string) (bool, error)
	// SentSince calls fn for each send at or after since, oldest first.
	SentSince(ctx context.Context, since time.Time, fn func(group string, at time.Time)) error
}

// Errors Open and Announce return.
var (
	// ErrNoLogin means the account never logged in on this gateway:
	// `linli wxgroup login` first.
	ErrNoLogin = errors.New("wxgroup: no saved login: run `linli wxgroup login` and scan the QR code with the committee's phone")
	// ErrStopped means the adapter stopped: WeChat logged the account out
	// or refused it, or it could not be reached. It never restarts itself.
	ErrStopped = errors.New("wxgroup: stopped")
)

// Adapter runs the committee's personal account in the community's
// groups. New sets its defaults; set the fields, then Open; Close stops it.
type Adapter struct {
	Handler   Handler
	Store     Store
	Templates *templates.Set
	// Alerter tells the admins (on the official account) that the adapter
	// stopped; nil logs only.
	Alerter bot.AdminAlerter
	Logger  *slog.Logger
	Clock   Clock
	Limits  Limits
	// Jitter returns the random part of a group's gap, in [0,
	// Limits.Jitter).
	Jitter func() time.Duration
	// Groups are the groups linli.toml names, name → building; bound
	// groups (Store.Bindings) are added to them.
	Groups map[string]string
	// Community and OfficialAccount are named in the texts the groups
	// read; OfficialAccount is where personal matters go.
	Community, OfficialAccount string
	// HandleTimeout bounds the engine's answer to one message.
	HandleTimeout time.Duration
	// SyncFailures is how many failed syncs in a row end the session.
	SyncFailures int
	// Transport, when not nil, carries openwechat's HTTP requests (tests
	// point it at a fake of WeChat's servers).
	Transport http.RoundTripper

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	bot     *openwechat.Bot
	self    *openwechat.Self
	out     *outbox
	idKey   []byte
	closing atomic.Bool

	stopOnce sync.Once
	done     chan struct{}
	err      error // why it stopped, set before done closes

	mu        sync.Mutex
	names     map[string]string // group name → the session's group id
	refreshed time.Time         // when the contact list was last read
	seen      []string          // the latest message ids, for WeChat's repeats
	failures  int               // syncs failed in a row (the sync goroutine's)
}

// New returns an adapter with the defaults set.
func New(h Handler, st Store, t *templates.Set) *Adapter {
	a := &Adapter{
		Handler: h, Store: st, Templates: t,
		Logger: slog.New(slog.DiscardHandler), Clock: realClock{}, Limits: DefaultLimits,
		HandleTimeout: 5 * time.Second, SyncFailures: 10,
		names: map[string]string{}, done: make(chan struct{}),
	}
	a.Jitter = func() time.Duration {
		if a.Limits.Jitter <= 0 {
			return 0
		}
		return time.Duration(mrand.Int64N(int64(a.Limits.Jitter)))
	}
	return a
}

// Channel implements bot.GroupAnnouncer.
func (a *Adapter) Channel() string { return Channel }

var _ bot.GroupAnnouncer = (*Adapter)(nil)

// newBot returns openwechat's bot in Desktop mode (the UOS client, which
// accounts that the web client refuses may still use), its requests
// carried by transport when not nil.
func newBot(ctx context.Context, transport http.RoundTripper) *openwechat.Bot {
	b := openwechat.NewBot(ctx)
	openwechat.Desktop.Prepare(b)
	if transport != nil {
		b.Caller.Client.HTTPClient().Transport = transport
	}
	return b
}

// Open hot-logs in once with the saved storage and starts receiving and
// sending. It returns ErrNoLogin when nothing is saved; when WeChat
// refuses the saved session, the adapter has stopped (logged, admins
// told) and Open returns an error wrapping ErrStopped.
func (a *Adapter) Open(ctx context.Context) error {
	data, ok, err := a.Store.Login(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoLogin
	}
	a.idKey = make([]byte, 32)
	rand.Read(a.idKey)
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.out = newOutbox(a.Limits, a.Clock, a.Jitter, a.Logger, a)
	a.out.record = a.Store.RecordSent
	a.out.fatal = a.stop
	if err := a.Store.SentSince(ctx, a.Clock.Now().Add(-day), a.out.remember); err != nil {
		a.cancel()
		return err
	}

	b := newBot(a.ctx, a.Transport)
	b.MessageHandler = a.onMessage
	b.MessageErrorHandler = a.onSyncError
	b.SyncCheckCallback = func(r openwechat.SyncCheckResponse) {
		if r.Success() {
			a.failures = 0
		}
	}
	a.bot = b
	storage := newHotStorage(data, func(p []byte) error { return a.Store.SaveLogin(a.ctx, p, a.Clock.Now()) })
	if err := b.HotLogin(storage); err != nil {
		a.stop(err)
		return fmt.Errorf("%w: %v", ErrStopped, err)
	}
	self, err := b.GetCurrentUser()
	if err != nil {
		a.stop(err)
		return fmt.Errorf("%w: %v", ErrStopped, err)
	}
	a.self = self
	// The recent chats webwxinit returned, then the saved contacts: the
	// session's id of every group the account can post to.
	a.learn(b.Storage.Response.ContactList)
	a.refresh(ctx)
	a.mu.Lock()
	known := len(a.names)
	a.mu.Unlock()
	a.Logger.Info("wxgroup: logged in", "groups_known", known)

	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		a.out.run(a.ctx)
	}()
	go func() {
		defer a.wg.Done()
		<-b.Context().Done()
		// Ended by Close or stop, or by openwechat (which set the reason
		// before it cancelled).
		if !a.closing.Load() && a.Err() == nil {
			reason := b.CrashReason()
			if reason == nil {
				reason = errors.New("the session ended")
			}
			a.stop(reason)
		}
	}()
	return nil
}

// Close stops receiving and sending and waits for both; queued messages
// are dropped. It returns nil: why the adapter stopped earlier, if it did,
// is Err's.
func (a *Adapter) Close() error {
	if a.cancel == nil {
		return nil
	}
	a.closing.Store(true)
	a.cancel()
	a.wg.Wait()
	return nil
}

// Done is closed when the adapter stopped on its own (WeChat logged it out
// or refused it); Err says why.
func (a *Adapter) Done() <-chan struct{} { return a.done }

// Err returns why the adapter stopped on its own, or nil.
func (a *Adapter) Err() error {
	select {
	case <-a.done:
		return a.err
	default:
		return nil
	}
}

// Announce queues notice n for each bound group it concerns (n.Buildings
// empty: every group; else the groups tied to one of them), skipping
// groups that already got its key. It never waits for a send.
func (a *Adapter) Announce(ctx context.Context, n bot.GroupNotice) error {
	if err := a.Err(); err != nil {
		return err
	}
	if a.out == nil {
		return errors.New("wxgroup: not open")
	}
	groups, err := a.bindings(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(groups))
	for name, building := range groups {
		if len(n.Buildings) == 0 || building != "" && slices.Contains(n.Buildings, building) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if n.Key != "" {
			sent, err := a.Store.WasSent(ctx, name, n.Key)
			if err != nil {
				return err
			}
			if sent {
				continue
			}
		}
		for i, part := range bot.Split(n.Text, bot.MaxPartBytes) {
			key := n.Key
			if i > 0 && key != "" {
				key = fmt.Sprintf("%s#%d", key, i+1)
			}
			a.out.put(&message{group: name, key: key, text: part})
		}
	}
	return nil
}

// bindings returns the groups of the community: linli.toml's, and those
// bound with a code (which win).
func (a *Adapter) bindings(ctx context.Context) (map[string]string, error) {
	bound, err := a.Store.Bindings(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(a.Groups)+len(bound))
	for name, b := range a.Groups {
		out[name] = b
	}
	for name, b := range bound {
		out[name] = b
	}
	return out, nil
}

// stop ends the adapter for good, once: it logs why, tells the admins and
// cancels everything. Nothing here logs in again.
func (a *Adapter) stop(reason error) {
	a.stopOnce.Do(func() {
		a.err = fmt.Errorf("%w: %v", ErrStopped, reason)
		why := classify(reason)
		a.Logger.Error("wxgroup: the group account stopped; run `linli wxgroup login` and restart linli to bring it back", "why", why, "err", reason)
		close(a.done)
		if a.cancel != nil {
			a.cancel()
		}
		if a.Alerter == nil {
			return
		}
		text, err := a.Templates.Render("wxgroup.alert", struct{ Why, Detail string }{why, detail(reason)})
		if err != nil {
			a.Logger.Error("wxgroup: render alert", "err", err)
			return
		}
		// The adapter's context is gone: the alert gets its own.
		actx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Alerter.AlertAdmins(actx, text); err != nil {
			a.Logger.Error("wxgroup: alert the admins", "err", err)
		}
	})
}

// Why the account stopped, as the alert template knows it.
const (
	whyLogout  = "logout"  // WeChat ended the session (1100, 1101, 1102)
	whyRefused = "refused" // WeChat refuses the account (1203, forbidden)
	whyLost    = "lost"    // WeChat could not be reached, or something else
)

// classify says what an openwechat error means for the session.
func classify(err error) string {
	var ret openwechat.Ret
	if errors.As(err, &ret) {
		switch ret {
		case 1100, 1101, 1102:
			return whyLogout
		case 1203:
			return whyRefused
		}
	}
	switch {
	case errors.Is(err, openwechat.ErrForbidden):
		return whyRefused
	case errors.Is(err, openwechat.ErrUserLogout), errors.Is(err, openwechat.ErrInvalidStorage):
		return whyLogout
	}
	return whyLost
}

// detail is the short reason an admin reads: a retcode when there is one.
func detail(err error) string {
	var ret openwechat.Ret
	if errors.As(err, &ret) {
		return fmt.Sprintf("微信返回码 %d", int(ret))
	}
	switch classify(err) {
	case whyLogout:
		return "登录已失效"
	case whyRefused:
		return "禁止登录"
	}
	return "网络或协议错误"
}

// onSyncError is openwechat's MessageErrorHandler: nil keeps the session.
// A logout or refusal ends it at once; other failures (the network) pause,
// longer each time, and end it after SyncFailures in a row.
func (a *Adapter) onSyncError(err error) error {
	if a.ctx.Err() != nil {
		return nil // Close or stop: the loop ends on its own, no reason to set
	}
	if classify(err) != whyLost {
		return err
	}
	a.failures++
	if a.failures >= a.SyncFailures {
		return fmt.Errorf("%d failed syncs in a row: %w", a.failures, err)
	}
	pause := min(time.Second<<a.failures, time.Minute)
	a.Logger.Warn("wxgroup: sync failed, pausing", "pause", pause, "err", err)
	select {
	case <-a.ctx.Done():
	case <-a.Clock.After(pause):
	}
	return nil
}

// send implements sender: one text to the group with that name, through
// the session's id for it.
func (a *Adapter) send(ctx context.Context, name, text string) error {
	a.mu.Lock()
	id, ok := a.names[name]
	a.mu.Unlock()
	if !ok && a.refresh(ctx) {
		a.mu.Lock()
		id, ok = a.names[name]
		a.mu.Unlock()
	}
	if !ok {
		return &sendError{err: fmt.Errorf("group %q is not among the account's chats", name), gone: true}
	}
	_, err := a.self.SendTextToGroup(&openwechat.Group{User: &openwechat.User{UserName: id}}, text)
	if err == nil {
		return nil
	}
	var ret openwechat.Ret
	return &sendError{err: err, fatal: classify(err) != whyLost, tooOften: errors.As(err, &ret) && ret == 1205}
}

// refresh reads the account's saved contacts for group ids, at most once a
// minute; it reports whether it read them.
func (a *Adapter) refresh(ctx context.Context) bool {
	a.mu.Lock()
	if !a.refreshed.IsZero() && a.Clock.Now().Sub(a.refreshed) < time.Minute {
		a.mu.Unlock()
		return false
	}
	a.refreshed = a.Clock.Now()
	a.mu.Unlock()
	members, err := a.bot.Caller.WebWxGetContact(ctx, a.bot.Storage.LoginInfo)
	if err != nil {
		a.Logger.Warn("wxgroup: read the contact list", "err", err)
		return false
	}
	a.learn(members)
	return true
}

// learn remembers the session's id of every group among members.
func (a *Adapter) learn(members openwechat.Members) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range members {
		if m.IsGroup() && m.NickName != "" {
			a.names[m.NickName] = m.UserName
		}
	}
}

// onMessage is openwechat's MessageHandler, on its sync goroutine.
func (a *Adapter) onMessage(msg *openwechat.Message) {
	if !msg.IsSendByGroup() || msg.IsSendBySelf() || !msg.IsText() || a.repeated(msg.MsgId) {
		return
	}
	group, err := msg.Sender()
	if err != nil || group.NickName == "" {
		a.Logger.Warn("wxgroup: a message's group is unknown", "err", err)
		return
	}
	name := group.NickName
	a.mu.Lock()
	a.names[name] = group.UserName
	a.mu.Unlock()
	// The session's own account, as openwechat knows it on this goroutine
	// (a message may come before Open has returned).
	self := msg.Owner()
	selfName := self.NickName
	for _, m := range group.MemberList {
		if m.UserName == self.UserName && m.DisplayName != "" {
			selfName = m.DisplayName
		}
	}
	text := stripMention(msg.Content, selfName)
	ctx, cancel := context.WithTimeout(a.ctx, a.HandleTimeout)
	defer cancel()
	if code, ok := bindCommand(text); ok {
		a.bind(ctx, name, code)
		return
	}
	groups, err := a.bindings(ctx)
	if err != nil {
		a.Logger.Error("wxgroup: read bindings", "err", err)
		return
	}
	if _, ok := groups[name]; !ok {
		return // not one of the community's groups: say nothing
	}
	sender := msg.FromUserName
	if u, err := msg.SenderInGroup(); err == nil {
		sender = u.UserName
	}
	req := &bot.Request{
		Channel:   Channel,
		User:      a.opaque("u", sender),
		Group:     a.opaque("g", name),
		Mentioned: msg.IsAt(),
		Text:      text,
		MsgID:     msg.MsgId,
		Time:      a.Clock.Now(),
	}
	reply, err := a.Handler.Handle(ctx, req)
	if err != nil {
		a.Logger.Error("wxgroup: handle a message", "err", err)
		return
	}
	if reply == nil || len(reply.Parts) == 0 {
		return
	}
	parts := reply.Parts
	if reply.Private || len(reply.Secrets) > 0 {
		// Nothing private is said in a group: one line on where to ask.
		line, err := a.Templates.Render("wxgroup.private", struct{ Account string }{a.OfficialAccount})
		if err != nil {
			a.Logger.Error("wxgroup: render", "err", err)
			return
		}
		parts = []string{line}
	}
	for _, p := range parts {
		a.out.put(&message{group: name, text: p, answer: true})
	}
}

// bind spends a binding code posted in the group named name.
func (a *Adapter) bind(ctx context.Context, name, code string) {
	building, ok, err := a.Store.UseCode(ctx, HashBindCode(code), name, a.Clock.Now())
	if err != nil {
		a.Logger.Error("wxgroup: bind a group", "err", err)
		return
	}
	tmpl, data := "wxgroup.badcode", any(nil)
	if ok {
		a.Logger.Info("wxgroup: group bound", "group", name, "building", building)
		tmpl, data = "wxgroup.bound", struct{ Community, Building string }{a.Community, building}
	}
	text, err := a.Templates.Render(tmpl, data)
	if err != nil {
		a.Logger.Error("wxgroup: render", "err", err)
		return
	}
	a.out.put(&message{group: name, text: text, answer: true})
}

// opaque is an id for the engine that no one can read back: an HMAC under
// a key drawn at Open, so it holds for one session only (as WeChat's own
// ids in a web session do). Group turns never write to the chain.
func (a *Adapter) opaque(prefix, id string) string {
	m := hmac.New(sha256.New, a.idKey)
	m.Write([]byte(prefix + "\x00" + id))
	return prefix + hex.EncodeToString(m.Sum(nil)[:10])
}

// repeated reports whether the message id was seen lately.
func (a *Adapter) repeated(id string) bool {
	if id == "" {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if slices.Contains(a.seen, id) {
		return true
	}
	if len(a.seen) >= 256 {
		a.seen = a.seen[1:]
	}
	a.seen = append(a.seen, id)
	return false
}

// stripMention removes the @-mention of name from a group message: WeChat
// writes it "@NAME" and a four-per-em space (U+2005), or a plain space.
func stripMention(text, name string) string {
	if name != "" {
		for _, m := range []string{"@" + name + "\u2005", "@" + name + " ", "@" + name} {
			text = strings.ReplaceAll(text, m, " ")
		}
	}
	return strings.TrimSpace(text)
}
