package bot

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// Neighbour disputes (邻里调解), as DESIGN has them: the parties talk it
// through in statements, an admin assigns a neutral mediator, the mediator
// writes an outcome, and a party who cannot accept it puts it to the
// neighbours in a poll as a last resort. Everyone appears by unit number.
//
// The texts (opening text, statements, outcome) never go on the chain: the
// engine keeps them in Engine.Texts and sends their commitments, and shows
// them only to the parties and the mediator. Escalating publishes the
// outcome, which the confirmation says.

// escalationDays is how long the poll of an escalated dispute runs, and
// escalationOptions its choices.
const escalationDays = 7

var escalationOptions = []string{"同意调解结果", "不同意调解结果"}

type disputeLine struct {
	N      int
	Topic  string
	Status string
	// Role is the user's part in it: party, mediator or admin.
	Role string
}

type disputesData struct {
	Items []disputeLine
	// More counts older disputes that did not fit; New is the digit that
	// opens a new one.
	More, New int
}

// showDisputes lists the disputes the user is a party to or mediates, and,
// for an admin, those waiting for a mediator; then offers to open one.
func showDisputes(t *Turn, f *Frame) error {
	m, err := t.Member()
	if err != nil {
		return err
	}
	var all []abci.Dispute
	if _, err := t.query("disputes", &all); err != nil {
		return err
	}
	admin := hasRole(m, tx.RoleAdmin)
	var mine []abci.Dispute
	for _, d := range all {
		if disputeRole(d, m.Address, admin) != "" {
			mine = append(mine, d)
		}
	}
	list, more := newestFirst(mine)
	if len(list) == maxList {
		// Keep a digit for opening a new one.
		list, more = list[:maxList-1], more+1
	}
	d := disputesData{More: more}
	f.Choices = nil
	for _, x := range list {
		f.Choices = append(f.Choices, "dispute:"+strconv.FormatUint(x.ID, 10))
		d.Items = append(d.Items, disputeLine{N: len(f.Choices), Topic: clip(x.Topic, 24), Status: x.Status, Role: disputeRole(x, m.Address, admin)})
	}
	f.Choices = append(f.Choices, "new")
	d.New = len(f.Choices)
	t.say("bot.disputes", d)
	return nil
}

// disputeRole is a's part in d: "party", "mediator", "admin" (an admin
// sees the disputes that wait for a mediator) or "".
func disputeRole(d abci.Dispute, a tx.Address, admin bool) string {
	switch {
	case slices.Contains(d.Parties, a):
		return "party"
	case d.Mediator == a:
		return "mediator"
	case admin && d.Status == abci.DisputeOpen:
		return "admin"
	}
	return ""
}

func chooseDisputes(t *Turn, f *Frame, c string) error {
	if c != "new" {
		id, err := idOf(c)
		if err != nil {
			return err
		}
		return t.Open(Frame{Screen: "dispute", ID: id})
	}
	if ok, err := t.requireBound(); !ok {
		return err
	}
	return t.startForm("form.dispute", map[string]string{})
}

// readDisputeStep reads the other side's unit (or 无), and the rest as
// any dialogue does.
func readDisputeStep(t *Turn, f *Frame, step string) (bool, error) {
	if step != "party" {
		return readStep(t, f, step)
	}
	word := strings.TrimFunc(t.In.Norm, isSpaceOrPunct)
	bad := func(reason string) (bool, error) {
		t.say("bot.admin.bad", struct{ Reason string }{reason})
		return false, nil
	}
	if word == "无" || word == "没有" || word == "跳过" {
		f.Form["party"], f.Form["parties"] = "", ""
		return true, nil
	}
	unit, ok, err := t.findUnit(word)
	if err != nil {
		return false, err
	}
	if !ok {
		return bad("unit")
	}
	ms, err := t.unitMembers(unit)
	if err != nil {
		return false, err
	}
	m, err := t.Member()
	if err != nil {
		return false, err
	}
	var addrs []string
	for _, x := range ms {
		if x.Address != m.Address {
			addrs = append(addrs, string(x.Address))
		}
	}
	slices.Sort(addrs) // the chain wants parties sorted
	switch {
	case unit == m.Unit:
		return bad("party_self")
	case len(addrs) == 0:
		return bad("party_unbound")
	case len(addrs) > tx.MaxDisputeParties:
		addrs = addrs[:tx.MaxDisputeParties]
	}
	f.Form["party"], f.Form["parties"] = unit, strings.Join(addrs, ",")
	return true, nil
}

func disputeAction(t *Turn, f *Frame) (*Action, error) {
	return t.action("dispute", "bot.disputes.summary.open", struct{ Title, Text, Party string }{f.Form["title"], f.Form["text"], f.Form["party"]}, f.Form)
}

func buildDispute(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	b := &tx.DisputeOpen{Topic: a.Args["title"]}
	if text := a.Args["text"]; text != "" {
		c, err := t.keepText(text)
		if err != nil {
			return nil, nil, err
		}
		b.TextHash = c
	}
	if p := a.Args["parties"]; p != "" {
		for _, s := range strings.Split(p, ",") {
			b.Parties = append(b.Parties, tx.Address(s))
		}
	}
	return b, &actionExtra{After: "bot.disputes.opened"}, nil
}

type disputeDetail struct {
	abci.Dispute
	Statements []abci.Statement `json:"statements"`
}

func (t *Turn) dispute(id uint64) (disputeDetail, bool, error) {
	var d disputeDetail
	ok, err := t.query("disputes/"+strconv.FormatUint(id, 10), &d)
	return d, ok, err
}

// unitOf returns the unit an address is bound to, or "".
func (t *Turn) unitOf(a tx.Address) (string, error) {
	var m abci.MemberView
	if _, err := t.query("members/"+string(a), &m); err != nil {
		return "", err
	}
	return m.Unit, nil
}

type statementLine struct {
	Unit, When, Text string
	Mine             bool
}

type disputeData struct {
	Topic      string
	Text       string
	Status     string
	Parties    []string
	Mediator   string
	Statements []statementLine
	More       int
	Outcome    string
	Poll       uint64
	// Private is whether the user may read the texts (a party or the
	// mediator).
	Private bool
	// Actions are the numbered things the user may do here.
	Actions []listItem
}

// statementsShown is how many of the latest statements a dispute shows.
const statementsShown = 5

func showDispute(t *Turn, f *Frame) error {
	d, ok, err := t.dispute(f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	m, err := t.Member()
	if err != nil {
		return err
	}
	units := map[tx.Address]string{}
	unit := func(a tx.Address) (string, error) {
		if u, ok := units[a]; ok {
			return u, nil
		}
		u, err := t.unitOf(a)
		if u == "" {
			u = "（未绑定）"
		}
		units[a] = u
		return u, err
	}
	party := slices.Contains(d.Parties, m.Address)
	// Only the parties and the mediator read the texts.
	private := party || (d.Mediator != "" && d.Mediator == m.Address)
	text := func(c string) (string, error) {
		if !private || c == "" {
			return "", nil
		}
		return t.privateText(c)
	}
	dd := disputeData{Topic: d.Topic, Status: d.Status, Poll: d.Poll, Private: private}
	if dd.Text, err = text(d.TextHash); err != nil {
		return err
	}
	if dd.Outcome, err = text(d.OutcomeHash); err != nil {
		return err
	}
	for _, p := range d.Parties {
		u, err := unit(p)
		if err != nil {
			return err
		}
		if !slices.Contains(dd.Parties, u) {
			dd.Parties = append(dd.Parties, u)
		}
	}
	if d.Mediator != "" {
		if dd.Mediator, err = unit(d.Mediator); err != nil {
			return err
		}
	}
	st := d.Statements
	if len(st) > statementsShown {
		dd.More, st = len(st)-statementsShown, st[len(st)-statementsShown:]
	}
	for _, s := range st {
		u, err := unit(s.By)
		if err != nil {
			return err
		}
		if !private {
			continue
		}
		st, err := text(s.TextHash)
		if err != nil {
			return err
		}
		dd.Statements = append(dd.Statements, statementLine{Unit: u, When: t.date(s.Time), Text: clip(st, commentRunes), Mine: s.By == m.Address})
	}
	live := d.Status == abci.DisputeOpen || d.Status == abci.DisputeMediating
	f.Choices = nil
	add := func(choice, text string) {
		f.Choices = append(f.Choices, choice)
		dd.Actions = append(dd.Actions, listItem{N: len(f.Choices), Text: text})
	}
	if party && live {
		add("statement", "statement")
	}
	if d.Mediator == m.Address && d.Status == abci.DisputeMediating && hasRole(m, tx.RoleMediator) {
		add("outcome", "outcome")
	}
	if hasRole(m, tx.RoleAdmin) && live && !party {
		add("assign", "assign")
	}
	if party && d.Status == abci.DisputeResolved {
		add("escalate", "escalate")
	}
	t.say("bot.dispute", dd)
	return nil
}

func chooseDispute(t *Turn, f *Frame, c string) error {
	d, ok, err := t.dispute(f.ID)
	if err != nil || !ok {
		return err
	}
	id := strconv.FormatUint(d.ID, 10)
	switch c {
	case "statement", "outcome":
		return t.startForm("form."+c, map[string]string{"dispute": id, "title": d.Topic})
	case "assign":
		return t.Open(Frame{Screen: "dispute.mediators", ID: d.ID})
	}
	// Escalating publishes the outcome, so this gateway must hold it.
	held := false
	if t.e.Texts != nil && d.OutcomeHash != "" {
		if _, _, held, err = t.e.Texts.Get(t.ctx, d.OutcomeHash); err != nil {
			return err
		}
	}
	if !held {
		t.say("bot.dispute.escalate.elsewhere", nil)
		return nil
	}
	end := t.now.Add(escalationDays * 24 * time.Hour).Unix()
	a, err := t.action("escalate", "bot.disputes.summary.escalate", struct {
		Title, End string
		Options    []string
	}{d.Topic, t.date(end), escalationOptions}, map[string]string{"end": strconv.FormatInt(end, 10)})
	if err != nil {
		return err
	}
	a.ID = d.ID
	return t.confirm(a)
}

// showMediators lists the members with the mediator role who are not
// parties, by unit, for an admin to assign one.
func showMediators(t *Turn, f *Frame) error {
	d, ok, err := t.dispute(f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	var roles map[string][]tx.Address
	if _, err := t.query("roles", &roles); err != nil {
		return err
	}
	var lines []listItem
	f.Choices = nil
	for _, a := range roles[tx.RoleMediator] {
		if slices.Contains(d.Parties, a) || len(f.Choices) == maxList {
			continue
		}
		u, err := t.unitOf(a)
		if err != nil {
			return err
		}
		f.Choices = append(f.Choices, "mediator:"+string(a))
		lines = append(lines, listItem{N: len(f.Choices), Text: u})
	}
	t.say("bot.dispute.mediators", struct {
		Topic string
		Items []listItem
	}{d.Topic, lines})
	return nil
}

func chooseMediator(t *Turn, f *Frame, c string) error {
	d, ok, err := t.dispute(f.ID)
	if err != nil || !ok {
		return err
	}
	a := tx.Address(strings.TrimPrefix(c, "mediator:"))
	u, err := t.unitOf(a)
	if err != nil {
		return err
	}
	act, err := t.action("assign", "bot.disputes.summary.assign", struct{ Title, Unit string }{d.Topic, u}, map[string]string{"mediator": string(a)})
	if err != nil {
		return err
	}
	act.ID = d.ID
	return t.confirm(act)
}

func statementAction(t *Turn, f *Frame) (*Action, error) {
	return disputeTextAction(t, f, "statement")
}

func outcomeAction(t *Turn, f *Frame) (*Action, error) {
	return disputeTextAction(t, f, "outcome")
}

// disputeTextAction confirms a statement or an outcome on a dispute.
func disputeTextAction(t *Turn, f *Frame, kind string) (*Action, error) {
	return t.actionOn(kind, "bot.disputes.summary."+kind, newTextSummary(clip(f.Form["title"], 24), f.Form["text"]), f.Form, "dispute")
}

func buildStatement(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	c, err := t.keepText(a.Args["text"])
	if err != nil {
		return nil, nil, err
	}
	return &tx.DisputeStatement{Dispute: a.ID, TextHash: c}, nil, nil
}

func buildOutcome(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	c, err := t.keepText(a.Args["text"])
	if err != nil {
		return nil, nil, err
	}
	return &tx.DisputeOutcome{Dispute: a.ID, TextHash: c}, nil, nil
}

// keepText keeps a dispute text on the gateway and returns the commitment
// the chain records instead.
func (t *Turn) keepText(text string) (string, error) {
	if t.e.Texts == nil {
		return "", errors.New("bot: no store for private texts (Engine.Texts)")
	}
	return t.e.Texts.Keep(t.ctx, text, t.now)
}

// privateText returns the text behind a commitment, or a note that this
// gateway does not hold it (another party's gateway wrote it).
func (t *Turn) privateText(c string) (string, error) {
	if t.e.Texts != nil {
		text, _, ok, err := t.e.Texts.Get(t.ctx, c)
		if err != nil || ok {
			return text, err
		}
	}
	s, err := t.e.Templates.Render("bot.dispute.elsewhere", nil)
	return strings.TrimSpace(s), err
}

func buildAssign(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.DisputeAssign{Dispute: a.ID, Mediator: tx.Address(a.Args["mediator"])}, nil, nil
}

// buildEscalate publishes the outcome with the escalation: the chain
// checks it against the mediator's commitment and makes it the poll's
// text. It needs the outcome from this gateway.
func buildEscalate(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	end, _ := strconv.ParseInt(a.Args["end"], 10, 64)
	d, ok, err := t.dispute(a.ID)
	if err != nil || !ok {
		return nil, nil, errors.Join(err, errors.New("bot: dispute gone"))
	}
	if t.e.Texts == nil {
		return nil, nil, errors.New("bot: no store for private texts (Engine.Texts)")
	}
	outcome, nonce, ok, err := t.e.Texts.Get(t.ctx, d.OutcomeHash)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		// chooseDispute checked; the gateway.db lost it since.
		return nil, nil, fmt.Errorf("bot: the outcome of dispute %d is not kept on this gateway", d.ID)
	}
	return &tx.DisputeEscalate{Dispute: a.ID, Options: escalationOptions, VoteEnd: end, Outcome: outcome, OutcomeNonce: nonce},
		&actionExtra{After: "bot.disputes.escalated"}, nil
}
