package bot

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// Proxies (委托投票) in chat. An owner's member says 委托: the screen lists
// the owner's appointments in force, each of which can be revoked, and
// starts a new one, a guided dialogue: for which decision or until when,
// and to whom (a member found by unit, or someone from outside, who gets
// a one-time agent code shown once). The outsider says 代理 with the
// owner's unit and the code and becomes the owner's agent, who sees only
// the votes. A proxy finds, on a decision's ballot screen, the owners
// they represent and votes for each.

// proxyMaxDecisions is how many decisions the scope question lists; the
// last digit is "until a date".
const proxyMaxDecisions = 8

// ownerMember returns the user's binding when it makes them speak for an
// owner, and otherwise says why not and returns ok false.
func (t *Turn) ownerMember() (abci.MemberView, bool, error) {
	m, err := t.Member()
	if err != nil {
		return m, false, err
	}
	switch {
	case m.Agent && m.Unit == "":
		t.say("bot.agent.only", nil)
		return m, false, nil
	case m.Unit == "":
		t.say("bot.need.bind", nil)
		return m, false, nil
	case m.Relation != tx.RelationOwner:
		t.say("bot.proxy.owners", nil)
		return m, false, nil
	}
	return m, true, nil
}

// serveProxy answers 委托: the owner's appointments and a new one.
func serveProxy(t *Turn) error {
	t.leaveDialogue()
	if _, ok, err := t.ownerMember(); err != nil || !ok {
		return err
	}
	return t.Open(Frame{Screen: "proxy"})
}

type proxyLine struct {
	N       int
	Scope   string
	Who     string
	Pending bool
	Votes   int64
}

type proxiesData struct {
	Unit  string
	Items []proxyLine
	New   int
}

func (t *Turn) ownerProxies(owner string) ([]abci.AppointmentView, error) {
	var list []abci.AppointmentView
	if _, err := t.query("proxies/"+owner, &list); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(p abci.AppointmentView) bool { return !p.InForce }), nil
}

// proxyScope says what an appointment is for: a decision's title or the
// date it runs to.
func (t *Turn) proxyScope(p abci.Appointment) (string, error) {
	if p.Proposal == 0 {
		return t.untilText(p.Until), nil
	}
	d, ok, err := t.proposal(p.Proposal)
	if err != nil || !ok {
		return fmt.Sprintf("#%d", p.Proposal), err
	}
	return "【" + clip(d.Title, 20) + "】", nil
}

// untilText shows an appointment's end, the start of the day after its
// last day, as that last day.
func (t *Turn) untilText(until int64) string {
	return dayName(t.e.unixTime(until-1)) + "及以前的所有表决"
}

// proxyWho names a proxy by unit and relation, never by address alone.
func (t *Turn) proxyWho(p abci.Appointment) (string, error) {
	if p.Proxy == "" {
		return "", nil
	}
	var m abci.MemberView
	if _, err := t.query("members/"+string(p.Proxy), &m); err != nil {
		return "", err
	}
	if m.Unit == "" {
		return "", nil
	}
	rel, err := t.e.Templates.Render("bot.word.relation", m.Relation)
	return m.Unit + " " + strings.TrimSpace(rel), err
}

func showProxies(t *Turn, f *Frame) error {
	m, err := t.Member()
	if err != nil {
		return err
	}
	list, err := t.ownerProxies(m.Owner)
	if err != nil {
		return err
	}
	d := proxiesData{Unit: m.Unit}
	f.Choices = nil
	for _, p := range list {
		if len(f.Choices) == maxList-1 {
			break
		}
		scope, err := t.proxyScope(p.Appointment)
		if err != nil {
			return err
		}
		who, err := t.proxyWho(p.Appointment)
		if err != nil {
			return err
		}
		f.Choices = append(f.Choices, "revoke:"+strconv.FormatUint(p.ID, 10))
		d.Items = append(d.Items, proxyLine{N: len(f.Choices), Scope: scope, Who: who, Pending: p.Status == abci.ProxyPending, Votes: p.Votes})
	}
	f.Choices = append(f.Choices, "new")
	d.New = len(f.Choices)
	t.say("bot.proxy.list", d)
	return nil
}

func chooseProxies(t *Turn, f *Frame, c string) error {
	if c == "new" {
		return t.Open(Frame{Screen: "form.proxy", Step: "scope", Form: map[string]string{}})
	}
	id, err := strconv.ParseUint(strings.TrimPrefix(c, "revoke:"), 10, 64)
	if err != nil {
		return fmt.Errorf("bad choice %q", c)
	}
	var p abci.AppointmentView
	ok, err := t.query(fmt.Sprintf("proxy/%d", id), &p)
	if err != nil {
		return err
	}
	if !ok || !p.InForce {
		return t.gone()
	}
	scope, err := t.proxyScope(p.Appointment)
	if err != nil {
		return err
	}
	who, err := t.proxyWho(p.Appointment)
	if err != nil {
		return err
	}
	a, err := t.action("proxyrevoke", "bot.proxy.summary.revoke", proxyLine{Scope: scope, Who: who, Pending: p.Status == abci.ProxyPending}, nil)
	if err != nil {
		return err
	}
	a.ID = id
	return t.confirm(a)
}

func buildProxyRevoke(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.ProxyRevoke{ID: a.ID}, &actionExtra{After: "bot.proxy.revoked"}, nil
}

// The questions of a new appointment, in order. until is skipped for one
// decision, unit and member for someone from outside.
var proxySteps = []string{"scope", "until", "target", "unit", "member"}

type proxyAskData struct {
	Step      string
	Decisions []listItem
	Until     int
	Unit      string
	Members   []memberLine
}

func showProxyForm(t *Turn, f *Frame) error {
	if f.Step == "" && !proxyFormStepBack(f) {
		// Back from the confirmation (重选, 0): the last answer is asked
		// again, so that "1" can never record what the user meant to
		// change.
		t.sess.pop()
		return t.showTop()
	}
	d := proxyAskData{Step: f.Step, Unit: f.Form["unit"]}
	f.Choices = nil
	switch f.Step {
	case "scope":
		list, _, err := t.listProposals()
		if err != nil {
			return err
		}
		for _, p := range list {
			if p.Kind != abci.KindDecision || (p.Phase != phaseNoticed && p.Phase != phaseVoting) || len(f.Choices) == proxyMaxDecisions {
				continue
			}
			f.Choices = append(f.Choices, strconv.FormatUint(p.ID, 10))
			d.Decisions = append(d.Decisions, listItem{N: len(f.Choices), Text: clip(p.Title, 30)})
		}
		f.Choices = append(f.Choices, "until")
		d.Until = len(f.Choices)
	case "target":
		f.Choices = []string{"member", "outsider"}
	case "member":
		ms, err := t.unitMembers(f.Form["unit"])
		if err != nil {
			return err
		}
		for i, m := range ms {
			d.Members = append(d.Members, memberLine{N: i + 1, Relation: m.Relation, Address: short(string(m.Address))})
			f.Choices = append(f.Choices, string(m.Address))
		}
	}
	t.say("bot.proxy.ask."+f.Step, d)
	return nil
}

func proxyFormInput(t *Turn, f *Frame) error {
	in := t.In
	if in.Kind == KindNumber && len(in.Nums) == 1 && in.Nums[0] == 0 {
		return t.Back()
	}
	if f.Form == nil {
		f.Form = map[string]string{}
	}
	num := -1
	if in.Kind == KindNumber && len(in.Nums) == 1 {
		num = in.Nums[0]
	}
	pick := func() (string, bool) {
		if num < 1 || num > len(f.Choices) {
			t.say("bot.hint", hintData{Max: len(f.Choices)})
			return "", false
		}
		return f.Choices[num-1], true
	}
	switch f.Step {
	case "scope":
		c, ok := pick()
		if !ok {
			return showProxyForm(t, f)
		}
		f.Form["scope"] = c
		if c != "until" {
			f.Form["until"], f.Form["auto.until"] = "", "1"
		}
	case "until":
		until, ok := t.parseUntil(in.Norm)
		if !ok {
			t.say("bot.proxy.baddate", nil)
			return showProxyForm(t, f)
		}
		f.Form["until"] = strconv.FormatInt(until, 10)
	case "target":
		c, ok := pick()
		if !ok {
			return showProxyForm(t, f)
		}
		f.Form["target"] = c
		if c == "outsider" {
			f.Form["unit"], f.Form["auto.unit"] = "", "1"
			f.Form["member"], f.Form["auto.member"] = "", "1"
		}
	case "unit":
		unit, ok, err := t.findUnit(strings.TrimFunc(in.Norm, isSpaceOrPunct))
		if err != nil {
			return err
		}
		if !ok {
			t.say("bot.admin.bad", struct{ Reason string }{"unit"})
			return showProxyForm(t, f)
		}
		ms, err := t.unitMembers(unit)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			t.say("bot.proxy.nomember", struct{ Unit string }{unit})
			return showProxyForm(t, f)
		}
		f.Form["unit"] = unit
		if len(ms) == 1 {
			f.Form["member"], f.Form["auto.member"] = string(ms[0].Address), "1"
		}
	case "member":
		c, ok := pick()
		if !ok {
			return showProxyForm(t, f)
		}
		f.Form["member"] = c
	}
	return t.nextProxyStep(f)
}

// nextProxyStep asks the first unanswered question, or confirms.
func (t *Turn) nextProxyStep(f *Frame) error {
	f.Step = ""
	for _, s := range proxySteps {
		if _, ok := f.Form[s]; !ok {
			f.Step = s
			break
		}
	}
	if f.Step != "" {
		return showProxyForm(t, f)
	}
	a, err := t.proxyAction(f)
	if err != nil {
		return err
	}
	return t.confirm(a)
}

// proxyFormStepBack forgets the last answer the user gave (not those the
// dialogue filled in itself) and asks that question again.
func proxyFormStepBack(f *Frame) bool {
	i := slices.Index(proxySteps, f.Step)
	if f.Step == "" {
		i = len(proxySteps)
	}
	for i--; i >= 0; i-- {
		step := proxySteps[i]
		if _, ok := f.Form[step]; !ok {
			continue
		}
		delete(f.Form, step)
		if f.Form["auto."+step] != "" {
			delete(f.Form, "auto."+step)
			continue
		}
		for _, later := range proxySteps[i+1:] {
			if f.Form["auto."+later] != "" {
				delete(f.Form, later)
				delete(f.Form, "auto."+later)
			}
		}
		f.Step = step
		return true
	}
	return false
}

type proxySummary struct {
	Scope string
	Who   string
	Agent bool
	// Replaces says the owner has an appointment in force, which the new
	// one ends.
	Replaces bool
}

func (t *Turn) proxyAction(f *Frame) (*Action, error) {
	d := proxySummary{Agent: f.Form["target"] == "outsider"}
	m, err := t.Member()
	if err != nil {
		return nil, err
	}
	current, err := t.ownerProxies(m.Owner)
	if err != nil {
		return nil, err
	}
	d.Replaces = len(current) > 0
	if f.Form["scope"] == "until" {
		until, _ := strconv.ParseInt(f.Form["until"], 10, 64)
		d.Scope = t.untilText(until)
	} else {
		id, _ := strconv.ParseUint(f.Form["scope"], 10, 64)
		d.Scope = "#" + f.Form["scope"]
		if p, ok, err := t.proposal(id); err != nil {
			return nil, err
		} else if ok {
			d.Scope = "【" + clip(p.Title, 20) + "】"
		}
	}
	if !d.Agent {
		var m abci.MemberView
		if _, err := t.query("members/"+f.Form["member"], &m); err != nil {
			return nil, err
		}
		rel, err := t.e.Templates.Render("bot.word.relation", m.Relation)
		if err != nil {
			return nil, err
		}
		d.Who = f.Form["unit"] + " " + strings.TrimSpace(rel) + "（账户 " + short(f.Form["member"]) + "…）"
	}
	return t.action("proxy", "bot.proxy.summary", d, f.Form)
}

// buildProxy builds the appointment. An agent code is made now, at the
// confirmation, so that it is never stored in a session: the receipt
// shows it once (Reply.Secrets).
func buildProxy(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	b := &tx.ProxyAppoint{}
	if a.Args["scope"] == "until" {
		b.Until, _ = strconv.ParseInt(a.Args["until"], 10, 64)
	} else {
		b.Proposal, _ = strconv.ParseUint(a.Args["scope"], 10, 64)
	}
	extra := &actionExtra{}
	if a.Args["target"] != "outsider" {
		b.Proxy.Address = tx.Address(a.Args["member"])
		return b, extra, nil
	}
	code, err := randomDigits(t.e.Rand, tx.BindCodeDigits)
	if err != nil {
		return nil, nil, err
	}
	salt := make([]byte, tx.BindCodeSaltSize)
	if _, err := io.ReadFull(t.e.Rand, salt); err != nil {
		return nil, nil, err
	}
	v := tx.NewBindVerifier(code, salt)
	b.Proxy.Agent = &v
	m, err := t.Member()
	if err != nil {
		return nil, nil, err
	}
	extra.Secret, extra.AgentUnit = tx.GroupBindCode(code), m.Unit
	return b, extra, nil
}

// parseUntil reads the last day an appointment runs: 2027-06-30,
// 2027年6月30日, 6月30日 or 6-30 (the next such day). It returns the start
// of the day after, the first moment the appointment no longer holds.
func (t *Turn) parseUntil(s string) (int64, bool) {
	s = strings.TrimFunc(s, isSpaceOrPunct)
	s = strings.NewReplacer("年", "-", "月", "-", "日", "", "号", "", "/", "-", ".", "-").Replace(s)
	parts := strings.Split(s, "-")
	var y, m, d int
	var err error
	now := t.now.In(t.e.Location)
	switch len(parts) {
	case 3:
		if y, err = strconv.Atoi(parts[0]); err != nil {
			return 0, false
		}
		parts = parts[1:]
	case 2:
		y = now.Year()
	default:
		return 0, false
	}
	if m, err = strconv.Atoi(parts[0]); err != nil {
		return 0, false
	}
	if d, err = strconv.Atoi(parts[1]); err != nil {
		return 0, false
	}
	day := time.Date(y, time.Month(m), d, 0, 0, 0, 0, t.e.Location)
	if day.Month() != time.Month(m) || day.Day() != d || y < 2000 || y > 9999 {
		return 0, false
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, t.e.Location)
	if len(s) > 0 && strings.Count(s, "-") == 1 && day.Before(today) {
		day = day.AddDate(1, 0, 0)
	}
	if day.Before(today) {
		return 0, false
	}
	return day.AddDate(0, 0, 1).Unix(), true
}

// serveAgent answers 代理: an outsider (or a member) accepts an owner's
// appointment with the agent code the owner gave them. "代理 3-502 1234
// 5678 9012 3456" goes straight to the confirmation.
func serveAgent(t *Turn) error {
	t.leaveDialogue()
	f := Frame{Screen: "agent", Step: "unit", Form: map[string]string{}}
	args := t.In.Args
	if t.In.Cmd != "代理" {
		args = nil
	}
	if len(args) == 0 {
		return t.Open(f)
	}
	t.sess.push(f)
	top := t.sess.top()
	ok, err := t.readAgentUnit(top, args[0])
	if err != nil || !ok {
		if err == nil {
			err = showAgent(t, top)
		}
		return err
	}
	args = joinCodeGroups(args)
	if len(args) < 2 {
		return showAgent(t, top)
	}
	code, ok := tx.NormalizeBindCode(args[1])
	if !ok {
		t.say("bot.agent.badcode", nil)
		return showAgent(t, top)
	}
	top.Form["code"] = code
	return t.agentConfirm(top)
}

// readAgentUnit finds the owner's pending appointment by the owner's unit.
func (t *Turn) readAgentUnit(f *Frame, word string) (bool, error) {
	unit, ok, err := t.findUnit(strings.TrimFunc(word, isSpaceOrPunct))
	if err != nil {
		return false, err
	}
	if !ok {
		t.say("bot.bind.nounit", struct{ Unit string }{clip(word, 20)})
		return false, nil
	}
	var u abci.Unit
	if _, err := t.query("units/"+unit, &u); err != nil {
		return false, err
	}
	list, err := t.ownerProxies(u.Owner)
	if err != nil {
		return false, err
	}
	for _, p := range list {
		if p.Status == abci.ProxyPending && p.Agent {
			f.Form["unit"], f.Form["id"], f.Step = unit, strconv.FormatUint(p.ID, 10), "code"
			return true, nil
		}
	}
	t.say("bot.agent.none", struct{ Unit string }{unit})
	return false, nil
}

func showAgent(t *Turn, f *Frame) error {
	t.say("bot.agent.ask."+f.Step, struct{ Unit string }{f.Form["unit"]})
	return nil
}

func agentInput(t *Turn, f *Frame) error {
	in := t.In
	if in.Kind == KindNumber && len(in.Nums) == 1 && in.Nums[0] == 0 {
		return t.Back()
	}
	if f.Form == nil {
		f.Form = map[string]string{}
	}
	switch f.Step {
	case "unit":
		if _, err := t.readAgentUnit(f, in.Norm); err != nil {
			return err
		}
	case "code":
		code, ok := tx.NormalizeBindCode(strings.TrimSpace(in.Norm))
		if !ok {
			t.say("bot.agent.badcode", nil)
			break
		}
		f.Form["code"] = code
		return t.agentConfirm(f)
	}
	return showAgent(t, f)
}

func agentStepBack(f *Frame) bool {
	if f.Step == "code" {
		f.Step = "unit"
		delete(f.Form, "unit")
		delete(f.Form, "id")
		delete(f.Form, "code")
		return true
	}
	return false
}

// agentConfirm asks to confirm an acceptance; the code is shown masked.
func (t *Turn) agentConfirm(f *Frame) error {
	code := f.Form["code"]
	masked := code[:2] + strings.Repeat("*", len(code)-4) + code[len(code)-2:]
	a, err := t.actionOn("agent", "bot.agent.summary", struct{ Unit, Code string }{f.Form["unit"], masked}, f.Form, "id")
	if err != nil {
		return err
	}
	return t.confirm(a)
}

func buildAgent(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.ProxyAccept{ID: a.ID, Code: a.Args["code"]}, &actionExtra{After: "bot.agent.done"}, nil
}

// agentWrong answers a code the chain found wrong: back to the code
// question, the unit kept.
func (t *Turn) agentWrong() error {
	t.sess.pop() // the confirmation
	f := t.sess.top()
	if f == nil || f.Screen != "agent" {
		t.leaveAction()
		t.say("bot.rejected", rejectedData{Message: t.codeMessage(uint32(abci.CodeAgentCodeWrong))})
		return nil
	}
	delete(f.Form, "code")
	f.Step = "code"
	t.say("bot.agent.wrong", nil)
	return showAgent(t, f)
}

// represented returns the appointments in force by which the user votes
// for other owners on decision p.
func (t *Turn) represented(p proposalView) ([]abci.AppointmentView, error) {
	if p.Kind != abci.KindDecision {
		return nil, nil
	}
	a, err := t.Address()
	if err != nil {
		return nil, err
	}
	var list []abci.AppointmentView
	if _, err := t.query("proxies/by/"+string(a), &list); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(x abci.AppointmentView) bool {
		return !x.InForce || x.Status != abci.ProxyActive || x.Proposal != 0 && x.Proposal != p.ID
	}), nil
}

type ownerLine struct {
	N        int
	Units    string
	Choice   string
	Mine     bool
	InPerson bool
}

type representedData struct {
	Title  string
	Owners []ownerLine
}

// showRepresented lists the owners the user votes for on decision f.ID,
// with how each has voted so far.
func showRepresented(t *Turn, f *Frame) error {
	p, ok, err := t.proposal(f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	list, err := t.represented(p)
	if err != nil {
		return err
	}
	me, err := t.Address()
	if err != nil {
		return err
	}
	d := representedData{Title: p.Title}
	f.Choices = nil
	for _, a := range list {
		if len(f.Choices) == maxList {
			break
		}
		var o abci.OwnerView
		if _, err := t.query("owners/"+a.Owner, &o); err != nil {
			return err
		}
		line := ownerLine{N: len(f.Choices) + 1, Units: strings.Join(o.Units, "、")}
		var b abci.Ballot
		voted, err := t.query(fmt.Sprintf("ballots/%d/%s", p.ID, a.Owner), &b)
		if err != nil {
			return err
		}
		if voted && b.Choice >= 0 && b.Choice < len(p.Options) {
			line.Choice, line.Mine, line.InPerson = p.Options[b.Choice], b.Member == me, b.Via() != abci.ChannelProxy
		}
		f.Choices = append(f.Choices, a.Owner)
		d.Owners = append(d.Owners, line)
	}
	t.say("bot.proxy.represented", d)
	return nil
}

func chooseRepresented(t *Turn, f *Frame, owner string) error {
	return t.Open(Frame{Screen: "proxy.ballot", ID: f.ID, Form: map[string]string{"owner": owner}})
}

type proxyBallotData struct {
	Title   string
	Units   string
	Options []listItem
}

func showProxyBallot(t *Turn, f *Frame) error {
	p, ok, err := t.proposal(f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	var o abci.OwnerView
	if _, err := t.query("owners/"+f.Form["owner"], &o); err != nil {
		return err
	}
	d := proxyBallotData{Title: p.Title, Units: strings.Join(o.Units, "、")}
	f.Choices = nil
	for i, opt := range p.Options {
		d.Options = append(d.Options, listItem{N: i + 1, Text: opt})
		f.Choices = append(f.Choices, "opt")
	}
	t.say("bot.proxy.ballot", d)
	return nil
}

func proxyBallotInput(t *Turn, f *Frame) error {
	in := t.In
	if in.Kind == KindNumber && len(in.Nums) == 1 && in.Nums[0] == 0 {
		return t.Back()
	}
	p, ok, err := t.proposal(f.ID)
	if err != nil {
		return err
	}
	if !ok || p.Phase != phaseVoting {
		return t.Back()
	}
	n := 0
	switch {
	case in.Kind == KindNumber && len(in.Nums) == 1:
		n = in.Nums[0]
	case in.Kind == KindCommand && ballotWords[in.Cmd] > 0:
		n = ballotWords[in.Cmd]
	}
	if n < 1 || n > len(p.Options) {
		return t.hint(f)
	}
	var o abci.OwnerView
	if _, err := t.query("owners/"+f.Form["owner"], &o); err != nil {
		return err
	}
	a, err := t.action("proxyvote", "bot.proxy.summary.vote",
		struct{ Title, Units, Choice string }{clip(p.Title, 30), strings.Join(o.Units, "、"), p.Options[n-1]}, f.Form)
	if err != nil {
		return err
	}
	a.ID, a.Nums = p.ID, []int{n - 1}
	return t.confirm(a)
}

func buildProxyVote(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	owner := a.Args["owner"]
	return &tx.VoteCast{Proposal: a.ID, Choices: a.Nums, Owner: owner},
		&actionExtra{Ballot: true, Check: fmt.Sprintf("ballots/%d/%s", a.ID, owner)}, nil
}

// agentWords are the commands an agent may use: the votes, moving
// around, help, receipts, and accepting another owner's code.
var agentWords = map[string]bool{"菜单": true, "返回": true, "投票": true, "帮助": true, "回执": true, "代理": true}

// offerProxyVotes adds to a decision's ballot screen the digit that lists
// the owners the user votes for by proxy. An agent gets only that: it has
// no vote of its own.
func (t *Turn) offerProxyVotes(p proposalView, f *Frame, d *itemData) error {
	m, err := t.Member()
	if err != nil {
		return err
	}
	if m.Agent && m.Unit == "" {
		d.Agent, d.Options, d.Mine, f.Choices = true, nil, "", nil
	}
	if p.Kind != abci.KindDecision {
		return nil
	}
	if d.Mine != "" {
		var b abci.Ballot
		if _, err := t.query(fmt.Sprintf("ballots/%d/%s", p.ID, m.Owner), &b); err != nil {
			return err
		}
		d.MineByProxy = b.Via() == abci.ChannelProxy
	}
	list, err := t.represented(p)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return nil
	}
	f.Choices = append(f.Choices, "proxy")
	d.Proxy, d.ProxyOwners = len(f.Choices), len(list)
	return nil
}
