// Package notify decides what the chain's news is and whom it concerns,
// once for every channel. A Notifier follows the chain through ledger
// queries and hands private notices (a vote for an owner's building, a
// booking answered, a repair moving on) to the private channel's Poster
// (the official account), and public notices (a vote noticed and opened,
// live turnout, the last day, a result, an announcement) to every group
// channel (bot.GroupAnnouncer). Adapters deliver what it decides, within
// their platform's limits; nothing here knows how.
//
// Package notify imports bot (the group contract), ledger (its query
// result type), abci (the shapes of query answers) and templates; it must
// not import an adapter, store or config.
package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/templates"
)

// Querier is how the notifier reads the chain: *ledger.Custodian.
type Querier interface {
	Query(ctx context.Context, path string) (ledger.QueryResult, error)
}

// Store keeps the notifier's memory of what it has told (store.Wechat's
// state table in gateway.db), so that a restart resumes where it was.
type Store interface {
	GetState(ctx context.Context, key string) (value string, ok bool, err error)
	PutState(ctx context.Context, key, value string, at time.Time) error
}

// Users lists the private channel's users and the chain address each is
// bound to (store.Wechat).
type Users interface {
	// EachUser calls fn for every user seen, until fn returns an error.
	EachUser(ctx context.Context, fn func(id, address string, subscribed bool, lastSeen time.Time) error) error
}

// Poster queues a private notice to one user without blocking: the
// official account's wechatmp.Notices. kind is one of the Kind*
// constants; values holds the short fields a template message shows
// (title, status, time, detail, community). It reports whether the
// notice was queued.
type Poster interface {
	Notify(user, kind, text string, values map[string]string) bool
}

// Notification kinds of private notices.
const (
	KindProposal = "proposal" // a decision or poll was noticed
	KindReminder = "reminder" // a decision closes within a day and the owner has not voted
	KindResult   = "result"   // results were published
	KindBooking  = "booking"  // a booking request was made, or changed
	KindRepair   = "repair"   // a repair request changed
	KindDispute  = "dispute"  // a dispute the user takes part in moved on
	KindMeeting  = "meeting"  // a request for an owners' meeting reached 20% (to admins)
	KindAlert    = "alert"    // something the admins must know (AlertAdmins)
)

// Defaults of New.
const (
	DefaultInterval = 30 * time.Second
	// DefaultTurnoutEvery is how much block time passes at least between
	// two turnout notices of one vote in the groups: every few hours a
	// group hears how far the vote is from two thirds, which moves
	// people to vote without drowning the group.
	DefaultTurnoutEvery = 6 * time.Hour
	reminderLead        = 24 * 3600 // seconds before a vote closes
	maxNewBookings      = 500       // bookings discovered per scan
)

// Notifier tells users what concerns them: a proposal noticed, a vote
// closing within a day (to owners who have not voted), results published,
// a booking request made or answered, a repair request moving on, a
// dispute moving on (to its parties, its mediator, and admins while it
// waits for one), a request for an owners' meeting reaching 20% (to
// admins). These go through Private to the Users it knows whose addresses
// are bound. It tells the community's groups, through every one of
// Groups, what is public: a vote noticed with when voting opens, voting
// opened, live turnout against the two-thirds thresholds (at most every
// TurnoutEvery of block time, and only when it moved), the last day, a
// result with its figures, an admin's announcement. It reads the chain
// every Interval (when a new block has come), compares with what it
// remembered in the Store, and tells what changed. A failing query about
// one user is logged and skips that user only. Its first scan only
// remembers, so that starting it on an old chain sends nothing; the
// groups' part has its own first scan, so that adding a group channel
// later does not repeat old news there. Configure it between New and
// Open.
type Notifier struct {
	// Interval is how often the chain is read.
	Interval time.Duration
	// TurnoutEvery is the least block time between two turnout notices
	// of one vote in the groups.
	TurnoutEvery time.Duration
	// Users and Private are the private channel; nil means none.
	Users   Users
	Private Poster
	// Groups are the group channels; each gets every public notice.
	Groups []bot.GroupAnnouncer
	// Community fills the "community" template value.
	Community string
	// Location is where times are shown (China Standard Time).
	Location *time.Location
	// Now is the wall clock of the notifier's records.
	Now func() time.Time
	// Logger receives failures; user ids appear only hashed.
	Logger *slog.Logger

	q   Querier
	st  Store
	tpl *templates.Set

	// mu keeps Scan and AlertAdmins apart.
	mu         sync.Mutex
	lastHeight int64
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

var _ bot.AdminAlerter = (*Notifier)(nil)

// New returns a notifier that reads the chain through q and remembers in
// st, with the defaults set.
func New(q Querier, st Store, t *templates.Set) *Notifier {
	return &Notifier{
		Interval: DefaultInterval, TurnoutEvery: DefaultTurnoutEvery,
		Location: time.FixedZone("CST", 8*3600), Now: time.Now,
		Logger: slog.New(slog.DiscardHandler),
		q:      q, st: st, tpl: t,
	}
}

// Open starts scanning.
func (n *Notifier) Open() error {
	if n.Interval <= 0 || n.TurnoutEvery <= 0 {
		return errors.New("notify: the interval and the turnout interval must be positive")
	}
	if (n.Users == nil) != (n.Private == nil) {
		return errors.New("notify: the private channel needs both its users and its poster")
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.wg.Go(func() {
		t := time.NewTicker(n.Interval)
		defer t.Stop()
		for {
			if err := n.Scan(n.ctx); err != nil && n.ctx.Err() == nil {
				n.Logger.Error("notify: notifications", "err", err)
			}
			select {
			case <-n.ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return nil
}

// Close stops scanning and waits.
func (n *Notifier) Close() error {
	if n.cancel != nil {
		n.cancel()
	}
	n.wg.Wait()
	return nil
}

// chainInfo is the part of the "chain" query the notifier reads.
type chainInfo struct {
	Height    int64  `json:"height"`
	BlockTime int64  `json:"block_time"`
	Community string `json:"community"`
}

// Scan reads the chain once and queues the notifications due. Open runs
// it from one goroutine; calls are serialised.
func (n *Notifier) Scan(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var chain chainInfo
	if _, err := query(ctx, n.q, "chain", &chain); err != nil {
		return err
	}
	if chain.Height == n.lastHeight {
		return nil
	}
	if n.Community == "" {
		n.Community = chain.Community
	}
	s := &scan{n: n, ctx: ctx, chainTime: chain.BlockTime, height: chain.Height,
		members: map[string]*abci.MemberView{}, ballots: map[string]bool{}}
	var errs []error
	if n.Private != nil {
		_, known, err := n.st.GetState(ctx, "baseline")
		if err != nil {
			return err
		}
		s.silent = !known
		errs = append(errs, s.proposals(), s.repairs(), s.bookings(), s.disputes(), s.meetings(), s.proxies(), s.paperBallots())
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if s.silent {
			if err := n.st.PutState(ctx, "baseline", strconv.FormatInt(chain.Height, 10), n.Now()); err != nil {
				return err
			}
		}
	}
	if len(n.Groups) > 0 {
		if err := s.groups(); err != nil {
			return err
		}
	}
	n.lastHeight = chain.Height
	return nil
}

// AlertAdmins tells every admin the private channel knows, privately. It
// fails when there is no private channel or no admin could be told.
func (n *Notifier) AlertAdmins(ctx context.Context, text string) error {
	if n.Private == nil {
		return errors.New("notify: no private channel to alert the admins on")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	s := &scan{n: n, ctx: ctx, members: map[string]*abci.MemberView{}}
	if err := s.loadUsers(); err != nil {
		return err
	}
	admins, err := s.admins()
	if err != nil {
		return err
	}
	told := 0
	for _, a := range admins {
		u := s.byAddress[string(a)]
		if u == nil || !u.subscribed {
			continue
		}
		if n.Private.Notify(u.id, KindAlert, text, s.values("管理员提醒", "请处理", s.date(n.Now().Unix()), text)) {
			told++
		}
	}
	if told == 0 {
		return errors.New("notify: no admin follows the official account to be alerted")
	}
	return nil
}

// hashID returns a short, stable hash of a channel's user id for logs
// (the same as wechatmp.HashID, so that log lines match).
func hashID(id string) string {
	sum := sha256.Sum256([]byte("linli-wechat-openid\x00" + id))
	return hex.EncodeToString(sum[:4])
}

// scan is one pass over the chain.
type scan struct {
	n         *Notifier
	ctx       context.Context
	chainTime int64
	height    int64
	// silent only remembers: the first scan of a gateway.db.
	silent bool

	users     []user
	usersRead bool
	byAddress map[string]*user
	members   map[string]*abci.MemberView // by address
	units     map[string]abci.Unit
	ballots   map[string]bool // proposal/owner -> voted
	list      []proposalRow   // the proposals, read once
	listRead  bool
}

// user is one user of the private channel.
type user struct {
	id, address string
	subscribed  bool
	lastSeen    time.Time
}

// query runs a query and decodes its answer; found is false for
// CodeQueryNotFound.
func query(ctx context.Context, q Querier, path string, v any) (found bool, err error) {
	res, err := q.Query(ctx, path)
	if err != nil {
		return false, err
	}
	return res.Decode(path, v)
}

func (s *scan) query(path string, v any) (bool, error) { return query(s.ctx, s.n.q, path, v) }

func (s *scan) loadUsers() error {
	if s.usersRead {
		return nil
	}
	s.byAddress = map[string]*user{}
	err := s.n.Users.EachUser(s.ctx, func(id, address string, subscribed bool, lastSeen time.Time) error {
		s.users = append(s.users, user{id, address, subscribed, lastSeen})
		return nil
	})
	if err != nil {
		return err
	}
	for i := range s.users {
		if a := s.users[i].address; a != "" {
			s.byAddress[a] = &s.users[i]
		}
	}
	s.usersRead = true
	return nil
}

// member returns what the chain knows of a user's address (nil for an
// address it has never seen).
func (s *scan) member(address string) (*abci.MemberView, error) {
	if m, ok := s.members[address]; ok {
		return m, nil
	}
	var m abci.MemberView
	found, err := s.query("members/"+address, &m)
	if err != nil {
		return nil, err
	}
	var p *abci.MemberView
	if found {
		p = &m
	}
	s.members[address] = p
	return p, nil
}

func (s *scan) building(unit string) (string, error) {
	if s.units == nil {
		var list []abci.Unit
		if _, err := s.query("units", &list); err != nil {
			return "", err
		}
		s.units = map[string]abci.Unit{}
		for _, u := range list {
			s.units[u.Unit] = u
		}
	}
	return s.units[unit].Building, nil
}

// notice is one notification: its kind, the text pushed inside the
// service window, and the template values outside it.
type notice struct {
	kind   string
	text   string
	values map[string]string
}

// deliver queues a notice for a user who follows the account.
func (s *scan) deliver(u *user, nt notice) {
	if s.silent || u == nil || !u.subscribed || nt.text == "" {
		return
	}
	s.n.Private.Notify(u.id, nt.kind, nt.text, nt.values)
}

func (s *scan) render(name string, data any) string {
	out, err := s.n.tpl.Render(name, data)
	if err != nil {
		s.n.Logger.Error("notify: render", "template", name, "err", err)
		return ""
	}
	return strings.TrimSpace(out)
}

// date formats a time for a template message's field, without the
// weekday (template fields are short).
func (s *scan) date(unix int64) string {
	return time.Unix(unix, 0).In(s.n.Location).Format("1月2日 15:04")
}

// dateText formats a time in a notice's text as the chat shows it, with
// its weekday.
func (s *scan) dateText(unix int64) string {
	return bot.DateTime(time.Unix(unix, 0).In(s.n.Location))
}

func (s *scan) values(title, status, when, text string) map[string]string {
	return map[string]string{"title": title, "status": status, "time": when, "detail": text, "community": s.n.Community}
}

type proposalRow struct {
	abci.Proposal
	Phase string `json:"phase"`
}

// Flags remembered per proposal.
const (
	flagOpen   = "open"
	flagRemind = "remind"
	flagResult = "result"
)

// proposalList reads the proposals once per scan.
func (s *scan) proposalList() ([]proposalRow, error) {
	if !s.listRead {
		if _, err := s.query("proposals", &s.list); err != nil {
			return nil, err
		}
		s.listRead = true
	}
	return s.list, nil
}

func (s *scan) proposals() error {
	list, err := s.proposalList()
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range list {
		if err := s.proposal(p); err != nil {
			errs = append(errs, fmt.Errorf("proposal %d: %w", p.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (s *scan) proposal(p proposalRow) error {
	key := "proposal/" + strconv.FormatUint(p.ID, 10)
	v, _, err := s.n.st.GetState(s.ctx, key)
	if err != nil {
		return err
	}
	flags := strings.Split(v, ",")
	has := func(f string) bool { return slices.Contains(flags, f) }
	var add []string
	switch p.Phase {
	case "noticed", "voting", "closing":
		remind := p.Kind == abci.KindDecision && p.Phase == "voting" && p.VoteEnd-s.chainTime <= reminderLead && !has(flagRemind)
		switch {
		case remind:
			// A reminder says all a first notice would.
			if err := s.remind(p); err != nil {
				return err
			}
			add = append(add, flagOpen, flagRemind)
		case !has(flagOpen):
			if err := s.announce(p); err != nil {
				return err
			}
			add = append(add, flagOpen)
		}
	case abci.StatusClosed:
		if !has(flagResult) {
			if err := s.result(p); err != nil {
				return err
			}
			add = append(add, flagOpen, flagRemind, flagResult)
		}
	case abci.StatusCanceled:
		if !has(flagResult) {
			add = append(add, flagOpen, flagRemind, flagResult)
		}
	}
	if len(add) == 0 {
		return nil
	}
	for _, f := range add {
		if !has(f) && f != "" {
			flags = append(flags, f)
		}
	}
	flags = slices.DeleteFunc(flags, func(f string) bool { return f == "" })
	return s.n.st.PutState(s.ctx, key, strings.Join(flags, ","), s.n.Now())
}

// eligible calls fn for each known user who may take part in p.
func (s *scan) eligible(p proposalRow, fn func(u *user, m *abci.MemberView) error) error {
	if s.silent {
		return nil
	}
	if err := s.loadUsers(); err != nil {
		return err
	}
	for i := range s.users {
		u := &s.users[i]
		if !u.subscribed || u.address == "" || s.ctx.Err() != nil {
			continue
		}
		m, err := s.member(u.address)
		if err != nil {
			s.skip(u, err)
			continue
		}
		if m == nil || m.Unit == "" {
			continue
		}
		if (p.Kind == abci.KindDecision || p.OwnersOnly) && m.Relation != "owner" {
			continue
		}
		if len(p.Buildings) > 0 {
			b, err := s.building(m.Unit)
			if err != nil {
				return err
			}
			if !slices.Contains(p.Buildings, b) {
				continue
			}
		}
		if err := fn(u, m); err != nil {
			s.skip(u, err)
		}
	}
	return nil
}

// skip logs a failure about one user, whom this notice then misses; the
// others still get it.
func (s *scan) skip(u *user, err error) {
	s.n.Logger.Error("notify: skipping a user", "user", hashID(u.id), "err", err)
}

type proposalData struct {
	Kind, Title, Start, End string
	Started                 bool
}

func (s *scan) announce(p proposalRow) error {
	d := proposalData{Kind: p.Kind, Title: p.Title, Start: s.dateText(p.VoteStart), End: s.dateText(p.VoteEnd), Started: p.Phase != "noticed"}
	text := s.render("wechat.notify.proposal", d)
	nt := notice{KindProposal, text, s.values(p.Title, s.render("wechat.word.proposal", p.Kind), s.date(p.VoteEnd), text)}
	return s.eligible(p, func(u *user, _ *abci.MemberView) error {
		s.deliver(u, nt)
		return nil
	})
}

func (s *scan) remind(p proposalRow) error {
	d := proposalData{Kind: p.Kind, Title: p.Title, Start: s.dateText(p.VoteStart), End: s.dateText(p.VoteEnd), Started: true}
	text := s.render("wechat.notify.reminder", d)
	nt := notice{KindReminder, text, s.values(p.Title, "未投票", s.date(p.VoteEnd), text)}
	return s.eligible(p, func(u *user, m *abci.MemberView) error {
		key := strconv.FormatUint(p.ID, 10) + "/" + m.Owner
		voted, ok := s.ballots[key]
		if !ok {
			var b json.RawMessage
			found, err := s.query("ballots/"+key, &b)
			if err != nil {
				return err
			}
			voted, s.ballots[key] = found, found
		}
		if !voted {
			s.deliver(u, nt)
		}
		return nil
	})
}

type resultData struct {
	Kind, Title, Outcome string
	Winners              []string
}

func (s *scan) result(p proposalRow) error {
	if s.silent {
		return nil
	}
	d := resultData{Kind: p.Kind, Title: p.Title, Outcome: p.Outcome}
	if p.Kind != abci.KindDecision {
		var res abci.Result
		if _, err := s.query("proposals/"+strconv.FormatUint(p.ID, 10)+"/result", &res); err != nil {
			return err
		}
		d.Winners = res.Winners
	}
	text := s.render("wechat.notify.result", d)
	nt := notice{KindResult, text, s.values(p.Title, s.render("wechat.word.result", d), s.date(s.chainTime), text)}
	return s.eligible(p, func(u *user, _ *abci.MemberView) error {
		s.deliver(u, nt)
		return nil
	})
}

// repairs notifies the filer of a repair request when staff move it on
// (accepted, done, rejected); what filers do themselves is not news to
// them.
func (s *scan) repairs() error {
	var list []abci.Repair
	if _, err := s.query("repairs", &list); err != nil {
		return err
	}
	seen := map[string]string{}
	if err := s.getJSON("repairs", &seen); err != nil {
		return err
	}
	changed := false
	for _, r := range list {
		id := strconv.FormatUint(r.ID, 10)
		cur := r.Status + "/" + strconv.FormatInt(r.Steps, 10)
		prev, ok := seen[id]
		if prev == cur {
			continue
		}
		seen[id], changed = cur, true
		if !ok || (r.Status != "accepted" && r.Status != "done" && r.Status != "rejected") || s.silent {
			continue
		}
		if err := s.loadUsers(); err != nil {
			return err
		}
		u := s.byAddress[string(r.Filer)]
		if u == nil {
			continue
		}
		text := s.render("wechat.notify.repair", r)
		s.deliver(u, notice{KindRepair, text, s.values(r.Title, s.render("bot.word.repair", r.Status), s.date(r.Updated), text)})
	}
	if !changed {
		return nil
	}
	return s.putJSON("repairs", seen)
}

// bookingState is what the notifier remembers of bookings: the next id
// not yet seen, and the status of each one still open.
type bookingState struct {
	Next uint64            `json:"next"`
	Open map[string]string `json:"open"`
}

func openBooking(status string) bool { return status == "pending" || status == "accepted" }

type bookingData struct {
	Title, Status, Reason string
	Request               bool
}

// bookings notifies an item's poster of a new request, and the borrower
// when someone else answers or closes their request.
func (s *scan) bookings() error {
	st := bookingState{Next: 1, Open: map[string]string{}}
	if err := s.getJSON("bookings", &st); err != nil {
		return err
	}
	if st.Open == nil {
		st.Open = map[string]string{}
	}
	changed := false
	var errs []error
	// Requests made since the last scan.
	for range maxNewBookings {
		var bk abci.Booking
		found, err := s.query("bookings/"+strconv.FormatUint(st.Next, 10), &bk)
		if err != nil {
			errs = append(errs, err)
			break
		}
		if !found {
			break
		}
		st.Next++
		changed = true
		if openBooking(bk.Status) {
			st.Open[strconv.FormatUint(bk.ID, 10)] = bk.Status
		}
		if bk.Status == "pending" {
			if err := s.bookingRequested(bk); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// Requests that were open.
	ids := make([]string, 0, len(st.Open))
	for id := range st.Open {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		var bk abci.Booking
		found, err := s.query("bookings/"+id, &bk)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found || bk.Status == st.Open[id] {
			continue
		}
		changed = true
		if openBooking(bk.Status) {
			st.Open[id] = bk.Status
		} else {
			delete(st.Open, id)
		}
		if bk.ClosedBy != bk.Borrower {
			if err := s.bookingChanged(bk); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if changed {
		errs = append(errs, s.putJSON("bookings", st))
	}
	return errors.Join(errs...)
}

func (s *scan) item(id uint64) (abci.Item, error) {
	var it abci.Item
	_, err := s.query("items/"+strconv.FormatUint(id, 10), &it)
	return it, err
}

func (s *scan) bookingRequested(bk abci.Booking) error {
	if s.silent {
		return nil
	}
	it, err := s.item(bk.Item)
	if err != nil {
		return err
	}
	if err := s.loadUsers(); err != nil {
		return err
	}
	u := s.byAddress[string(it.Poster)]
	if u == nil {
		return nil
	}
	text := s.render("wechat.notify.booking", bookingData{Title: it.Title, Request: true})
	s.deliver(u, notice{KindBooking, text, s.values(it.Title, s.render("bot.word.booking", bk.Status), s.date(bk.Start), text)})
	return nil
}

func (s *scan) bookingChanged(bk abci.Booking) error {
	if s.silent {
		return nil
	}
	if err := s.loadUsers(); err != nil {
		return err
	}
	u := s.byAddress[string(bk.Borrower)]
	if u == nil {
		return nil
	}
	it, err := s.item(bk.Item)
	if err != nil {
		return err
	}
	text := s.render("wechat.notify.booking", bookingData{Title: it.Title, Status: bk.Status, Reason: bk.Reason})
	s.deliver(u, notice{KindBooking, text, s.values(it.Title, s.render("bot.word.booking", bk.Status), s.date(bk.Start), text)})
	return nil
}

// disputeSeen is what the notifier remembers of a dispute.
type disputeSeen struct {
	Status     string `json:"status"`
	Mediator   string `json:"mediator,omitempty"`
	Statements int64  `json:"statements"`
}

// disputeNote is the data of a dispute notification. Event is opened
// (to the other parties), waiting (to admins), assigned (to the new
// mediator), mediator (to the parties), statement, resolved or escalated.
type disputeNote struct {
	Topic, Event string
}

// disputes tells the people a dispute concerns when it moves on: the
// other parties and the admins when it is opened, the mediator and the
// parties when a mediator is assigned, everyone involved but the author
// of a new statement, the parties when the outcome is written or the
// dispute goes to a poll.
func (s *scan) disputes() error {
	var list []abci.Dispute
	if _, err := s.query("disputes", &list); err != nil {
		return err
	}
	seen := map[string]disputeSeen{}
	if err := s.getJSON("disputes", &seen); err != nil {
		return err
	}
	changed := false
	var errs []error
	for _, d := range list {
		id := strconv.FormatUint(d.ID, 10)
		cur := disputeSeen{Status: d.Status, Mediator: string(d.Mediator), Statements: d.Statements}
		prev, known := seen[id]
		if known && prev == cur {
			continue
		}
		seen[id], changed = cur, true
		if s.silent {
			continue
		}
		if err := s.dispute(d, prev, known); err != nil {
			errs = append(errs, fmt.Errorf("dispute %d: %w", d.ID, err))
		}
	}
	if changed {
		errs = append(errs, s.putJSON("disputes", seen))
	}
	return errors.Join(errs...)
}

func (s *scan) dispute(d abci.Dispute, prev disputeSeen, known bool) error {
	if err := s.loadUsers(); err != nil {
		return err
	}
	send := func(to []tx.Address, event string, except tx.Address) {
		for _, a := range to {
			if a == except || a == "" {
				continue
			}
			if u := s.byAddress[string(a)]; u != nil {
				text := s.render("wechat.notify.dispute", disputeNote{Topic: d.Topic, Event: event})
				s.deliver(u, notice{KindDispute, text, s.values(d.Topic, s.render("bot.word.dispute", d.Status), s.date(s.chainTime), text)})
			}
		}
	}
	if !known {
		send(d.Parties, "opened", d.Opener)
		if d.Status == abci.DisputeOpen {
			admins, err := s.admins()
			if err != nil {
				return err
			}
			send(admins, "waiting", "")
		}
	}
	if string(d.Mediator) != prev.Mediator && d.Mediator != "" {
		send([]tx.Address{d.Mediator}, "assigned", "")
		send(d.Parties, "mediator", "")
	}
	if known && d.Statements > prev.Statements {
		var full struct {
			Statements []abci.Statement `json:"statements"`
		}
		if _, err := s.query("disputes/"+strconv.FormatUint(d.ID, 10), &full); err != nil {
			return err
		}
		author := tx.Address("")
		if n := len(full.Statements); n > 0 {
			author = full.Statements[n-1].By
		}
		send(append(slices.Clone(d.Parties), d.Mediator), "statement", author)
	}
	if d.Status != prev.Status {
		switch d.Status {
		case abci.DisputeResolved:
			send(d.Parties, "resolved", "")
		case abci.DisputeEscalated:
			send(d.Parties, "escalated", "")
		}
	}
	return nil
}

// meetings tells the admins when a request for an extraordinary owners'
// meeting has been signed by 20% of the owners and of the area: the
// committee must now call the meeting.
func (s *scan) meetings() error {
	var list []abci.Meeting
	if _, err := s.query("meetings", &list); err != nil {
		return err
	}
	told := map[string]bool{}
	if err := s.getJSON("meetings", &told); err != nil {
		return err
	}
	changed := false
	for _, m := range list {
		if !m.Due || told[m.ID] {
			continue
		}
		told[m.ID], changed = true, true
		if s.silent {
			continue
		}
		if err := s.loadUsers(); err != nil {
			return err
		}
		admins, err := s.admins()
		if err != nil {
			return err
		}
		text := s.render("wechat.notify.meeting", m)
		for _, a := range admins {
			s.deliver(s.byAddress[string(a)], notice{KindMeeting, text, s.values(m.Topic, "已达 20%", s.date(m.DueAt), text)})
		}
	}
	if !changed {
		return nil
	}
	return s.putJSON("meetings", told)
}

// admins returns the addresses of the users the gateway knows who hold
// the admin role.
func (s *scan) admins() ([]tx.Address, error) {
	var out []tx.Address
	for _, u := range s.users {
		if u.address == "" {
			continue
		}
		m, err := s.member(u.address)
		if err != nil {
			s.skip(&u, err)
			continue
		}
		if m != nil && slices.Contains(m.Roles, tx.RoleAdmin) {
			out = append(out, tx.Address(u.address))
		}
	}
	return out, nil
}

func (s *scan) getJSON(key string, v any) error {
	raw, ok, err := s.n.st.GetState(s.ctx, key)
	if err != nil || !ok {
		return err
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		// Unreadable memory: start afresh rather than stop notifying.
		s.n.Logger.Warn("notify: discarding unreadable notifier state", "key", key, "err", err)
	}
	return nil
}

func (s *scan) putJSON(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.n.st.PutState(s.ctx, key, string(b), s.n.Now())
}
