package wecom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/templates"
)

// Channel names the WeCom channel in logs.
const Channel = "wecom"

// Group is one customer group (客户群) of the community.
type Group struct {
	// ChatID is WeCom's id of the group (wr…).
	ChatID string
	// Owner is the WeCom userid of the group's owner (群主), a committee
	// member: WeCom creates each group message for the owner, who
	// confirms the send with one tap.
	Owner string
	// Building ties the group to one building: it then also gets that
	// building's notices. A group tied to none gets only the community's.
	Building string
}

// Sender is WeCom's group-message API: *API.
type Sender interface {
	// AddGroupMessage creates a group message of text from sender to
	// chatIDs; failed lists the groups WeCom would not include.
	AddGroupMessage(ctx context.Context, sender string, chatIDs []string, text string) (msgID string, failed []string, err error)
	// GroupMessageResult returns the Status* of msgID in each of sender's
	// groups.
	GroupMessageResult(ctx context.Context, msgID, sender string) (map[string]int, error)
}

// Store is what the channel keeps in gateway.db (store.Wecom): the
// notices waiting for each group's budget, and the group messages made.
type Store interface {
	Queue(ctx context.Context, chatID, key, kind, text string, height int64, at time.Time) (added bool, err error)
	EachWaiting(ctx context.Context, chatID string, fn func(key, kind, text string, height int64) error) error
	Sent(ctx context.Context, chatID, sender, msgID string, keys []string, at time.Time) error
	CountSends(ctx context.Context, chatID string, since time.Time) (int, error)
	EachUnsettled(ctx context.Context, since, checkedBefore time.Time, fn func(msgID, chatID, sender string, sentAt time.Time, status int, reported bool) error) error
	Settle(ctx context.Context, msgID, chatID string, status int, reported, requeue bool, at time.Time) error
}

// Defaults of New. WeCom lets each customer group receive at most as many
// group messages a month as the month has days, and the company may
// tighten that to seven a week or one a day (群发助手 → 设置群发规则);
// linli assumes one a day, the tightest, so that what it sends is never
// refused for the budget.
const (
	DefaultPerDay      = 1
	DefaultTick        = time.Minute
	DefaultCheckAfter  = 30 * time.Minute
	DefaultConfirmBy   = 24 * time.Hour
	DefaultMaxAttempts = 5
	DefaultBackoff     = 10 * time.Second
	maxBackoff         = time.Hour
	// MaxTextBytes is WeCom's limit for a group message's text.
	MaxTextBytes = 4000
	// settleWithin is how long a group message's result is asked for.
	settleWithin = 7 * 24 * time.Hour
)

// Announcer posts the notifier's important public notices to the
// community's WeCom customer groups. WeCom allows each group about one
// group message a day, so it sends only notices marked Important (a vote
// opened, the last day, a result, an announcement marked important):
// they wait in gateway.db for the group's budget, and what waits is
// merged into the next allowed message (a vote's newest notice stands
// for its older ones). Every message ends with how to reach the official
// account, since a customer group cannot answer. A failed call is tried
// again after a growing pause, and reported to the admins (Alerter) and
// the log once it keeps failing or cannot succeed; the notices stay
// queued, never lost. Each message's fate is asked of WeCom later
// (get_groupmsg_send_result): a group that did not get it has its notices
// queued again, and an owner who has not confirmed within ConfirmBy is
// reported. Configure it between New and Open.
type Announcer struct {
	// Groups are the community's customer groups.
	Groups []Group
	// PerDay and PerMonth are each group's budget of group messages (in
	// China's calendar); PerMonth 0 means the days of the month.
	PerDay, PerMonth int
	// OfficialAccount names the official account in each message's last
	// line.
	OfficialAccount string
	// Tick is how often waiting notices are looked at.
	Tick time.Duration
	// CheckAfter is how long after a message, and between two asks, its
	// result is asked of WeCom.
	CheckAfter time.Duration
	// ConfirmBy is how long an owner has to confirm a send before the
	// admins hear of it.
	ConfirmBy time.Duration
	// MaxAttempts failed calls in a row are reported; Backoff is the
	// pause after the first, doubling up to an hour.
	MaxAttempts int
	Backoff     time.Duration
	// Alerter tells the admins of problems (nil: the log only).
	Alerter bot.AdminAlerter
	// Location is the calendar of the budget (China Standard Time).
	Location *time.Location
	// Now is the clock of budgets and records.
	Now    func() time.Time
	Logger *slog.Logger

	api Sender
	st  Store
	tpl *templates.Set

	mu    sync.Mutex // serialises Flush and Check
	retry map[string]*retryState

	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ bot.GroupAnnouncer = (*Announcer)(nil)

// retryState is a group's run of failed sends.
type retryState struct {
	attempts int
	next     time.Time
	reported bool
}

// New returns an announcer that sends through api and keeps its queue
// in st, with the defaults set.
func New(api Sender, st Store, t *templates.Set) *Announcer {
	return &Announcer{
		PerDay: DefaultPerDay, Tick: DefaultTick, CheckAfter: DefaultCheckAfter, ConfirmBy: DefaultConfirmBy,
		MaxAttempts: DefaultMaxAttempts, Backoff: DefaultBackoff,
		Location: time.FixedZone("CST", 8*3600), Now: time.Now, Logger: slog.New(slog.DiscardHandler),
		api: api, st: st, tpl: t, retry: map[string]*retryState{}, wake: make(chan struct{}, 1),
	}
}

// Open validates the configuration and starts sending.
func (a *Announcer) Open() error {
	if err := a.validate(); err != nil {
		return err
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.wg.Go(a.run)
	return nil
}

func (a *Announcer) validate() error {
	if a.api == nil || a.st == nil || a.tpl == nil {
		return errors.New("wecom: the announcer needs an API, a store and templates")
	}
	if len(a.Groups) == 0 {
		return errors.New("wecom: no customer groups configured")
	}
	seen := map[string]bool{}
	for _, g := range a.Groups {
		if g.ChatID == "" || g.Owner == "" {
			return errors.New("wecom: every group needs its chat id and its owner's userid")
		}
		if seen[g.ChatID] {
			return fmt.Errorf("wecom: group %s is listed twice", g.ChatID)
		}
		seen[g.ChatID] = true
	}
	if a.PerDay < 1 || a.PerMonth < 0 || a.Tick <= 0 || a.CheckAfter <= 0 || a.ConfirmBy <= 0 || a.MaxAttempts < 1 || a.Backoff <= 0 {
		return errors.New("wecom: per_day must be at least 1, and the intervals and attempts positive")
	}
	return nil
}

// Close stops sending and waits; what waits stays queued in gateway.db.
func (a *Announcer) Close() error {
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	return nil
}

func (a *Announcer) run() {
	t := time.NewTicker(a.Tick)
	defer t.Stop()
	lastCheck := time.Time{}
	for {
		if err := a.Flush(a.ctx); err != nil && a.ctx.Err() == nil {
			a.Logger.Error("wecom: send", "err", err)
		}
		if now := a.Now(); now.Sub(lastCheck) >= a.CheckAfter/2 {
			lastCheck = now
			if err := a.Check(a.ctx); err != nil && a.ctx.Err() == nil {
				a.Logger.Error("wecom: check sends", "err", err)
			}
		}
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
		case <-a.wake:
		}
	}
}

// Channel names the channel.
func (a *Announcer) Channel() string { return Channel }

// reaches reports whether a notice is for group g: a community-wide one
// for every group, a building's only for groups tied to that building.
func reaches(n bot.GroupNotice, g Group) bool {
	if len(n.Buildings) == 0 {
		return true
	}
	return g.Building != "" && slices.Contains(n.Buildings, g.Building)
}

// Announce queues an important notice for the groups it reaches, in
// gateway.db, and returns; the others are left to channels that may send
// more. An error means it was not queued.
func (a *Announcer) Announce(ctx context.Context, n bot.GroupNotice) error {
	if !n.Important {
		a.Logger.Debug("wecom: not important enough for WeCom's budget", "key", n.Key)
		return nil
	}
	now := a.Now()
	for _, g := range a.Groups {
		if !reaches(n, g) {
			continue
		}
		if _, err := a.st.Queue(ctx, g.ChatID, n.Key, n.Kind, n.Text, n.Height, now); err != nil {
			return err
		}
	}
	select {
	case a.wake <- struct{}{}:
	default:
	}
	return nil
}

// allowed reports whether group chatID's budget allows a message now.
func (a *Announcer) allowed(ctx context.Context, chatID string, now time.Time) (bool, error) {
	local := now.In(a.Location)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, a.Location)
	n, err := a.st.CountSends(ctx, chatID, day)
	if err != nil || n >= a.PerDay {
		return false, err
	}
	month := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, a.Location)
	perMonth := a.PerMonth
	if perMonth == 0 {
		perMonth = month.AddDate(0, 1, -1).Day()
	}
	n, err = a.st.CountSends(ctx, chatID, month)
	return err == nil && n < perMonth, err
}

// waiting is one notice waiting for a group.
type waiting struct {
	key, text string
}

// subject is what a notice is about: a vote's notices share one, and its
// newest stands for the older ones.
func subject(key string) string {
	if strings.HasPrefix(key, "proposal/") {
		if parts := strings.SplitN(key, "/", 3); len(parts) == 3 {
			return parts[0] + "/" + parts[1]
		}
	}
	return key
}

// merge makes one message of what waits (oldest first): each subject's
// newest notice, in order, as many as fit with the footer. keys are the
// notices the message carries or stands for; the rest wait.
func merge(list []waiting, footer string) (text string, keys []string) {
	newest := map[string]int{}
	for i, w := range list {
		newest[subject(w.key)] = i
	}
	budget := MaxTextBytes - len(footer) - 2
	var parts []string
	used := 0
	for i, w := range list {
		if newest[subject(w.key)] != i {
			continue
		}
		t := w.text
		if len(t) > budget {
			t = clip(t, budget)
		}
		cost := len(t)
		if len(parts) > 0 {
			cost += 2
		}
		if used+cost > budget {
			break
		}
		used += cost
		parts = append(parts, t)
		for _, o := range list[:i+1] {
			if subject(o.key) == subject(w.key) && !slices.Contains(keys, o.key) {
				keys = append(keys, o.key)
			}
		}
	}
	return strings.Join(parts, "\n\n") + "\n\n" + footer, keys
}

// clip cuts s to at most n bytes on a character boundary, ending in "…".
func clip(s string, n int) string {
	n -= len("…")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:max(n, 0)] + "…"
}

// batch is one group message: the groups of one owner that get the same
// text.
type batch struct {
	sender, text string
	chats        []string
	keys         map[string][]string
}

// Flush sends what waits for each group whose budget allows a message
// now. Open runs it every Tick and when a notice comes; calls are
// serialised.
func (a *Announcer) Flush(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.Now()
	footer := a.render("wecom.footer", a.OfficialAccount)
	batches := map[string]*batch{}
	var order []string
	var errs []error
	for _, g := range a.Groups {
		if r := a.retry[g.ChatID]; r != nil && now.Before(r.next) {
			continue
		}
		ok, err := a.allowed(ctx, g.ChatID, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		var list []waiting
		if err := a.st.EachWaiting(ctx, g.ChatID, func(key, _, text string, _ int64) error {
			list = append(list, waiting{key, text})
			return nil
		}); err != nil {
			errs = append(errs, err)
			continue
		}
		if len(list) == 0 {
			continue
		}
		text, keys := merge(list, footer)
		id := g.Owner + "\x00" + text
		b := batches[id]
		if b == nil {
			b = &batch{sender: g.Owner, text: text, keys: map[string][]string{}}
			batches[id] = b
			order = append(order, id)
		}
		b.chats = append(b.chats, g.ChatID)
		b.keys[g.ChatID] = keys
	}
	for _, id := range order {
		b := batches[id]
		msgID, failed, err := a.api.AddGroupMessage(ctx, b.sender, b.chats, b.text)
		if err != nil {
			if ctx.Err() != nil {
				return errors.Join(append(errs, ctx.Err())...)
			}
			for _, c := range b.chats {
				a.failed(ctx, c, err)
			}
			continue
		}
		for _, c := range b.chats {
			if slices.Contains(failed, c) {
				a.failed(ctx, c, &APIError{Op: "add group message", msg: "WeCom left the group out (fail_list): is " + b.sender + " its owner?", refused: true})
				continue
			}
			if err := a.st.Sent(ctx, c, b.sender, msgID, b.keys[c], now); err != nil {
				// WeCom has the message; without the record it could be
				// sent again. Say so loudly.
				errs = append(errs, fmt.Errorf("group message %s to %s made but not recorded: %w", msgID, c, err))
				continue
			}
			delete(a.retry, c)
			a.Logger.Info("wecom: group message made; its owner confirms the send in WeCom", "chat", c, "msgid", msgID, "notices", len(b.keys[c]))
		}
	}
	return errors.Join(errs...)
}

// failed records a failed send to chatID: it is tried again after a
// growing pause, and reported once it has failed MaxAttempts times in a
// row or cannot succeed as configured.
func (a *Announcer) failed(ctx context.Context, chatID string, err error) {
	r := a.retry[chatID]
	if r == nil {
		r = &retryState{}
		a.retry[chatID] = r
	}
	r.attempts++
	pause := a.Backoff << min(r.attempts-1, 20)
	if pause <= 0 || pause > maxBackoff {
		pause = maxBackoff
	}
	r.next = a.Now().Add(pause)
	var ae *APIError
	permanent := errors.As(err, &ae) && ae.Permanent()
	a.Logger.Warn("wecom: send failed, will retry", "chat", chatID, "attempt", r.attempts, "in", pause, "err", err)
	if (permanent || r.attempts >= a.MaxAttempts) && !r.reported {
		r.reported = true
		a.Logger.Error("wecom: group notices are not getting through; they stay queued", "chat", chatID, "attempts", r.attempts, "err", err)
		a.alert(ctx, "wecom.alert.failing", map[string]any{"Chat": chatID, "Attempts": r.attempts, "Err": err.Error()})
	}
}

// Check asks WeCom what became of the group messages made, CheckAfter
// after each and then every CheckAfter until each is settled (or a week
// old). Open runs it; calls are serialised.
func (a *Announcer) Check(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.Now()
	type send struct {
		msgID, chatID, sender string
		sentAt                time.Time
		reported              bool
	}
	var list []send
	if err := a.st.EachUnsettled(ctx, now.Add(-settleWithin), now.Add(-a.CheckAfter), func(msgID, chatID, sender string, sentAt time.Time, _ int, reported bool) error {
		if now.Sub(sentAt) >= a.CheckAfter {
			list = append(list, send{msgID, chatID, sender, sentAt, reported})
		}
		return nil
	}); err != nil {
		return err
	}
	results := map[string]map[string]int{}
	var errs []error
	for _, s := range list {
		id := s.msgID + "\x00" + s.sender
		res, ok := results[id]
		if !ok {
			var err error
			if res, err = a.api.GroupMessageResult(ctx, s.msgID, s.sender); err != nil {
				errs = append(errs, err)
				continue
			}
			results[id] = res
		}
		status, known := res[s.chatID]
		if !known {
			status = StatusWaiting
		}
		reported, requeue := s.reported, false
		switch status {
		case StatusSent:
		case StatusNoFriend, StatusFull:
			requeue, reported = true, true
			a.Logger.Error("wecom: a group did not get its group message; its notices go in the next one", "chat", s.chatID, "msgid", s.msgID, "status", status)
			a.alert(ctx, "wecom.alert.undelivered", map[string]any{"Chat": s.chatID, "Status": status})
		default:
			if !reported && now.Sub(s.sentAt) >= a.ConfirmBy {
				reported = true
				a.Logger.Error("wecom: the group's owner has not confirmed a group message", "chat", s.chatID, "msgid", s.msgID, "owner", s.sender)
				a.alert(ctx, "wecom.alert.unconfirmed", map[string]any{"Chat": s.chatID, "Owner": s.sender, "Hours": int(now.Sub(s.sentAt).Hours())})
			}
		}
		if err := a.st.Settle(ctx, s.msgID, s.chatID, status, reported, requeue, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (a *Announcer) alert(ctx context.Context, tmpl string, data any) {
	if a.Alerter == nil {
		return
	}
	if err := a.Alerter.AlertAdmins(ctx, a.render(tmpl, data)); err != nil {
		a.Logger.Error("wecom: could not alert the admins", "err", err)
	}
}

func (a *Announcer) render(name string, data any) string {
	out, err := a.tpl.Render(name, data)
	if err != nil {
		a.Logger.Error("wecom: render", "template", name, "err", err)
		return ""
	}
	return strings.TrimSpace(out)
}
