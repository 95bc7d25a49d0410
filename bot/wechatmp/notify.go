package wechatmp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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

// Poster queues notices without blocking: *Outbox, which sends text as a
// customer-service message while WeChat allows one and otherwise the
// fallbacks in order, and records a notice nothing could deliver.
type Poster interface {
	Notify(openid, kind, text string, fallbacks []Fallback) bool
}

// TemplateSpec is a template message for one notification kind: its id,
// and for each of its keys the value shown (title, status, time, detail or
// community).
type TemplateSpec struct {
	ID     string
	Fields map[string]string
}

// Notification kinds, which TemplateSpecs are given for.
const (
	KindProposal = "proposal" // a decision or poll was noticed
	KindReminder = "reminder" // a decision closes within a day and the owner has not voted
	KindResult   = "result"   // results were published
	KindBooking  = "booking"  // a booking request was made, or changed
	KindRepair   = "repair"   // a repair request changed
	KindDispute  = "dispute"  // a dispute the user takes part in moved on
	KindMeeting  = "meeting"  // a request for an owners' meeting reached 20% (to admins)
)

// Defaults of NewNotifier.
const (
	DefaultNotifyInterval = 30 * time.Second
	reminderLead          = 24 * 3600 // seconds before a vote closes
	maxNewBookings        = 500       // bookings discovered per scan
	templateValueRunes    = 20        // WeChat's limit for a thing field
)

// Notifier tells users what concerns them: a proposal noticed, a vote
// closing within a day (to owners who have not voted), results published,
// a booking request made or answered, a repair request moving on, a
// dispute moving on (to its parties, its mediator, and admins while it
// waits for one), a request for an owners' meeting reaching 20% (to
// admins). It reads
// the chain every Interval (when a new block has come), compares with what
// it remembered in the Store, and pushes customer-service messages to the
// users the gateway has seen whose addresses are bound, as customer-
// service messages while WeChat allows them (the Outbox counts), else as
// the template message Templates names, else as the subscription message
// Subscriptions names; a notice none of these could carry is recorded as
// undelivered. A failing query about one user is logged and skips that
// user only. Its first
// scan only remembers, so that starting it on an old chain sends nothing.
// Configure it between NewNotifier and Open.
type Notifier struct {
	// Interval is how often the chain is read.
	Interval time.Duration
	// Templates gives the template message of each kind.
	Templates map[string]TemplateSpec
	// Subscriptions gives the subscription message (订阅通知) of each
	// kind, tried after the template message.
	Subscriptions map[string]TemplateSpec
	// Community fills the "community" template value.
	Community string
	// Location is where times are shown (China Standard Time).
	Location *time.Location
	// Now is the wall clock of the notifier's records.
	Now func() time.Time
	// Logger receives failures; openids appear only hashed.
	Logger *slog.Logger

	q   Querier
	st  Store
	out Poster
	tpl *templates.Set

	lastHeight int64
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

// NewNotifier returns a notifier with the defaults set.
func NewNotifier(q Querier, st Store, out Poster, t *templates.Set) *Notifier {
	return &Notifier{
		Interval: DefaultNotifyInterval,
		Location: time.FixedZone("CST", 8*3600), Now: time.Now,
		Logger: slog.New(slog.DiscardHandler),
		q:      q, st: st, out: out, tpl: t,
	}
}

// Open starts scanning.
func (n *Notifier) Open() error {
	if n.Interval <= 0 {
		return errors.New("wechatmp: notifier interval must be positive")
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.wg.Go(func() {
		t := time.NewTicker(n.Interval)
		defer t.Stop()
		for {
			if err := n.Scan(n.ctx); err != nil && n.ctx.Err() == nil {
				n.Logger.Error("wechat: notifications", "err", err)
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

// Scan reads the chain once and queues the notifications due. It is not
// safe for concurrent use (Open runs it from one goroutine).
func (n *Notifier) Scan(ctx context.Context) error {
	var chain struct {
		Height    int64  `json:"height"`
		BlockTime int64  `json:"block_time"`
		Community string `json:"community"`
	}
	if _, err := query(ctx, n.q, "chain", &chain); err != nil {
		return err
	}
	if chain.Height == n.lastHeight {
		return nil
	}
	_, known, err := n.st.GetState(ctx, "baseline")
	if err != nil {
		return err
	}
	s := &scan{n: n, ctx: ctx, chainTime: chain.BlockTime, silent: !known,
		members: map[string]*abci.MemberView{}, ballots: map[string]bool{}}
	if n.Community == "" {
		n.Community = chain.Community
	}
	errs := []error{s.proposals(), s.repairs(), s.bookings(), s.disputes(), s.meetings(), s.paperBallots()}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if s.silent {
		if err := n.st.PutState(ctx, "baseline", strconv.FormatInt(chain.Height, 10), n.Now()); err != nil {
			return err
		}
	}
	n.lastHeight = chain.Height
	return nil
}

// scan is one pass over the chain.
type scan struct {
	n         *Notifier
	ctx       context.Context
	chainTime int64
	// silent only remembers: the first scan of a gateway.db.
	silent bool

	users     []user
	usersRead bool
	byAddress map[string]*user
	members   map[string]*abci.MemberView // by address
	units     map[string]abci.Unit
	ballots   map[string]bool // proposal/owner -> voted
}

type user struct {
	openid, address string
	subscribed      bool
	lastSeen        time.Time
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
	err := s.n.st.EachUser(s.ctx, func(openid, address string, subscribed bool, lastSeen time.Time) error {
		s.users = append(s.users, user{openid, address, subscribed, lastSeen})
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

// deliver queues a notice for a user who follows the account, with the
// template and subscription messages configured for its kind as
// fallbacks.
func (s *scan) deliver(u *user, nt notice) {
	if s.silent || u == nil || !u.subscribed || nt.text == "" {
		return
	}
	var fallbacks []Fallback
	for _, f := range []struct {
		specs        map[string]TemplateSpec
		subscription bool
	}{{s.n.Templates, false}, {s.n.Subscriptions, true}} {
		spec, ok := f.specs[nt.kind]
		if !ok || spec.ID == "" {
			continue
		}
		data := map[string]string{}
		for key, value := range spec.Fields {
			data[key] = clipRunes(nt.values[value], templateValueRunes)
		}
		fallbacks = append(fallbacks, Fallback{Subscription: f.subscription, TemplateID: spec.ID, Data: data})
	}
	s.n.out.Notify(u.openid, nt.kind, nt.text, fallbacks)
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func (s *scan) render(name string, data any) string {
	out, err := s.n.tpl.Render(name, data)
	if err != nil {
		s.n.Logger.Error("wechat: render", "template", name, "err", err)
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

func (s *scan) proposals() error {
	var list []proposalRow
	if _, err := s.query("proposals", &list); err != nil {
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
	s.n.Logger.Error("wechat: notifications: skipping a user", "user", HashID(u.openid), "err", err)
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
		s.n.Logger.Warn("wechat: discarding unreadable notifier state", "key", key, "err", err)
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
