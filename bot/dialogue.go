package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// A dialogue is a guided command (an admin's or a resident's): questions
// asked one per message, each answer read into the frame's form, then a
// confirmation. A question is asked with the template
// bot.ask.SCREEN.STEP if there is one, else bot.admin.ask.STEP.
type dialogue struct {
	steps   []string
	read    func(t *Turn, f *Frame, step string) (ok bool, err error)
	oneLine func(t *Turn, f *Frame, args, orig []string) error
	action  func(t *Turn, f *Frame) (*Action, error)
}

func dialogueFor(screen string) *dialogue {
	switch screen {
	case "admin.poll":
		return &dialogue{steps: []string{"title", "options", "multi", "days"}, read: readStep, oneLine: pollOneLine, action: pollAction}
	case "admin.decision":
		return &dialogue{steps: []string{"title", "text", "class", "scope", "days"}, read: readStep, oneLine: decisionOneLine, action: decisionAction}
	case "admin.code":
		return &dialogue{steps: []string{"unit", "relation"}, read: readStep, oneLine: codeOneLine, action: codeAction}
	case "admin.group":
		return &dialogue{steps: []string{"building"}, read: readGroupStep, oneLine: groupOneLine, action: groupAction}
	case "admin.role":
		return &dialogue{steps: []string{"unit", "member", "role", "op"}, read: readStep, oneLine: roleOneLine, action: roleAction}
	case "admin.notice":
		return &dialogue{steps: []string{"title", "text"}, read: readStep, oneLine: noticeOneLine, action: noticeAction}
	case "admin.sheet":
		return &dialogue{steps: []string{"decision", "code", "choice", "scan"}, read: readSheetStep, oneLine: sheetOneLine, action: sheetAction}
	case "admin.void":
		return &dialogue{steps: []string{"decision", "sheet", "entry", "reason"}, read: readVoidStep, oneLine: sheetOneLine, action: voidAction}
	case "admin.ledger":
		return &dialogue{steps: []string{"kind", "account", "to", "proposal", "amount", "category", "counterparty", "memo"},
			read: readLedgerStep, oneLine: func(*Turn, *Frame, []string, []string) error { return nil }, action: ledgerAction}
	case "form.repair":
		return &dialogue{steps: []string{"title", "text"}, read: readStep, action: repairAction}
	case "form.reopen":
		return &dialogue{steps: []string{"reason"}, read: readStep, action: reopenAction}
	case "form.item":
		return &dialogue{steps: []string{"kind", "title", "text", "price"}, read: readStep, action: itemAction}
	case "form.booking":
		return &dialogue{steps: []string{"day", "slot"}, read: readStep, action: bookingAction}
	case "form.comment":
		return &dialogue{steps: []string{"text"}, read: readComment, action: commentAction}
	case "form.dispute":
		return &dialogue{steps: []string{"title", "text", "party"}, read: readDisputeStep, action: disputeAction}
	case "form.meeting":
		return &dialogue{steps: []string{"title", "text"}, read: readStep, action: meetingAction}
	case "form.cancel":
		return &dialogue{steps: []string{"reason"}, read: readStep, action: cancelAction}
	case "form.statement":
		return &dialogue{steps: []string{"text"}, read: readStep, action: statementAction}
	case "form.outcome":
		return &dialogue{steps: []string{"text"}, read: readStep, action: outcomeAction}
	}
	return nil
}

// nextStep moves f to its first unanswered question and asks it, or, when
// all are answered, asks for confirmation. push says whether f is new.
func (t *Turn) nextStep(d *dialogue, f *Frame, push bool) error {
	f.Step = ""
	for _, s := range d.steps {
		if _, ok := f.Form[s]; !ok {
			f.Step = s
			break
		}
	}
	if push {
		t.sess.push(*f)
		f = t.sess.top()
	}
	if f.Step == "" {
		a, err := d.action(t, f)
		if err != nil {
			return err
		}
		return t.confirm(a)
	}
	return showDialogue(t, f)
}

type askData struct {
	Step    string
	Form    map[string]string
	MinDays int64
	MaxDays int64
	Members []memberLine
	// Days are the dates a booking can start on, today first, and Slots
	// the parts of a day it can take.
	Days  []string
	Slots []string
	// Accounts are the accounts an entry can name.
	Accounts []accountLine
	// Decisions are the decisions voting, for a scrutineer to choose;
	// Voids the sheets in mismatch or the entries of one, for an admin.
	Decisions []sheetLine
	Voids     []voidLine
}

type memberLine struct {
	N        int
	Relation string
	Address  string
}

func showDialogue(t *Turn, f *Frame) error {
	if f.Step == "" && !dialogueStepBack(f) {
		// Every answer was filled in by the dialogue itself: nothing
		// is left to change, so leave it.
		t.sess.pop()
		return t.showTop()
	}
	d := askData{Step: f.Step, Form: f.Form}
	switch f.Step {
	case "days":
		p, err := t.params()
		if err != nil {
			return err
		}
		d.MinDays, d.MaxDays = max(1, ceilDiv(p.MinVoting, day)), p.MaxVoting/day
		if f.Screen == "admin.poll" {
			d.MinDays = 1
		}
	case "member":
		ms, err := t.unitMembers(f.Form["unit"])
		if err != nil {
			return err
		}
		f.Choices = nil
		for i, m := range ms {
			d.Members = append(d.Members, memberLine{N: i + 1, Relation: m.Relation, Address: short(string(m.Address))})
			f.Choices = append(f.Choices, string(m.Address))
		}
	case "day":
		for _, i := range bookingDays {
			d.Days = append(d.Days, dayName(t.e.unixTime(t.dayStart(i))))
		}
	case "account", "to":
		if f.Screen == "admin.ledger" {
			lines, err := t.ledgerChoices(f)
			if err != nil {
				return err
			}
			d.Accounts = lines
		}
	case "decision":
		lines, err := t.sheetDecisionChoices(f)
		if err != nil {
			return err
		}
		d.Decisions = lines
	case "sheet", "entry":
		lines, err := t.voidChoices(f)
		if err != nil {
			return err
		}
		if len(lines) == 0 {
			// Nothing (any more) to void: another admin was quicker.
			t.say("bot.sheet.nomismatch", nil)
			t.sess.pop()
			return t.showTop()
		}
		d.Voids = lines
	case "slot":
		for _, s := range bookingSlots {
			d.Slots = append(d.Slots, fmt.Sprintf("%d:00–%d:00", s.from, s.to))
		}
	}
	// A dialogue may word a question its own way (bot.ask.form.repair.title);
	// otherwise the shared question is asked.
	name := "bot.ask." + f.Screen + "." + f.Step
	if !t.e.Templates.Has(name) {
		name = "bot.admin.ask." + f.Step
	}
	t.say(name, d)
	return nil
}

func dialogueInput(t *Turn, f *Frame) error {
	in := t.In
	if in.Kind == KindNumber && len(in.Nums) == 1 && in.Nums[0] == 0 {
		return t.Back()
	}
	if f.Form == nil {
		f.Form = map[string]string{}
	}
	d := dialogueFor(f.Screen)
	ok, err := d.read(t, f, f.Step)
	if err != nil {
		return err
	}
	if !ok {
		return showDialogue(t, f)
	}
	return t.nextStep(d, f, false)
}

// dialogueStepBack forgets the last answer before the current question
// and asks it again. A dialogue with no question left (the user is back
// from its confirmation, having answered 重选, 0 or 返回) forgets its last
// answer, so that the confirmation's "1" can never record what the user
// was trying to change.
func dialogueStepBack(f *Frame) bool {
	d := dialogueFor(f.Screen)
	i := slices.Index(d.steps, f.Step)
	if f.Step == "" {
		i = len(d.steps)
	}
	for i--; i >= 0; i-- {
		step := d.steps[i]
		if _, ok := f.Form[step]; !ok {
			continue
		}
		delete(f.Form, step)
		if f.Form["auto."+step] != "" {
			// Answered by the dialogue itself: ask the one before.
			delete(f.Form, "auto."+step)
			continue
		}
		// Answers the dialogue filled in from this one go with it.
		for _, later := range d.steps[i+1:] {
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

// readStep reads the answer to one question into f.Form. On a bad answer
// it says why and returns false.
func readStep(t *Turn, f *Frame, step string) (bool, error) {
	in := t.In
	word := strings.TrimFunc(in.Norm, isSpaceOrPunct)
	num := -1
	if in.Kind == KindNumber && len(in.Nums) == 1 {
		num = in.Nums[0]
	}
	bad := func(reason string) (bool, error) {
		t.say("bot.admin.bad", struct{ Reason string }{reason})
		return false, nil
	}
	none := word == "无" || word == "没有" || word == "跳过"
	switch step {
	case "title", "text", "reason":
		if (step != "text" || !none) && reflex(in) {
			return bad("words")
		}
	}
	switch step {
	case "title":
		title := strings.Join(strings.Fields(in.Text), " ")
		switch {
		case title == "":
			return bad("empty")
		case len(title) > tx.MaxTitleBytes:
			return bad("title_long")
		}
		f.Form["title"] = title
	case "text":
		text := in.Text
		if none {
			text = ""
		}
		limit := tx.MaxTextBytes
		switch f.Screen {
		case "form.repair", "form.dispute", "form.statement", "form.outcome":
			limit = tx.MaxStatementBytes
		case "form.item":
			limit = tx.MaxItemTextBytes
		}
		switch {
		case text == "" && (f.Screen == "admin.notice" || f.Screen == "form.statement" || f.Screen == "form.outcome"):
			return bad("empty")
		case len(text) > limit:
			return bad("text_long")
		}
		f.Form["text"] = text
	case "reason":
		reason := strings.Join(strings.Fields(in.Text), " ")
		switch {
		case reason == "":
			return bad("empty")
		case len(reason) > tx.MaxReasonBytes:
			return bad("text_long")
		}
		f.Form["reason"] = reason
	case "kind":
		if num < 1 || num > len(tx.ItemKinds) {
			return bad("pick")
		}
		f.Form["kind"] = tx.ItemKinds[num-1]
	case "price":
		fen, per, ok := parsePrice(word)
		if !ok {
			return bad("price")
		}
		f.Form["price"], f.Form["per"] = strconv.FormatInt(fen, 10), per
	case "day":
		if num < 1 || num > len(bookingDays) {
			return bad("pick")
		}
		f.Form["day"] = strconv.Itoa(num - 1)
	case "slot":
		if num < 1 || num > len(bookingSlots) {
			return bad("pick")
		}
		f.Form["slot"] = strconv.Itoa(num - 1)
	case "options":
		opts := splitOptions(in.Text)
		switch {
		case len(opts) < tx.MinPollOptions || len(opts) > tx.MaxPollOptions:
			return bad("options_count")
		case slices.ContainsFunc(opts, func(o string) bool { return len(o) > tx.MaxOptionBytes }):
			return bad("option_long")
		case len(slices.Compact(slices.Sorted(slices.Values(opts)))) != len(opts):
			return bad("option_twice")
		}
		f.Form["options"] = strings.Join(opts, "\n")
	case "multi":
		switch {
		case num == 1 || word == "单选":
			f.Form["multi"] = ""
		case num == 2 || word == "多选":
			f.Form["multi"] = "1"
		default:
			return bad("pick")
		}
	case "class":
		switch {
		case num == 1 || word == "一般" || word == "一般事项":
			f.Form["class"] = tx.ClassOrdinary
		case num == 2 || word == "特别" || word == "特别事项":
			f.Form["class"] = tx.ClassSpecial
		default:
			return bad("pick")
		}
	case "scope":
		if num == 1 || word == "全体" || word == "全体业主" {
			f.Form["scope"] = ""
			break
		}
		bs, ok := parseBuildings(in.Norm)
		if !ok {
			return bad("scope")
		}
		f.Form["scope"] = strings.Join(bs, ",")
	case "days":
		n, ok := parseDays(in)
		p, err := t.params()
		if err != nil {
			return false, err
		}
		minDays := max(1, ceilDiv(p.MinVoting, day))
		if f.Screen == "admin.poll" {
			minDays = 1
		}
		if !ok || int64(n) < minDays || int64(n)*day > p.MaxVoting {
			return bad("days")
		}
		f.Form["days"] = strconv.Itoa(n)
	case "unit":
		unit, ok, err := t.findUnit(word)
		if err != nil {
			return false, err
		}
		if !ok {
			return bad("unit")
		}
		f.Form["unit"] = unit
		if f.Screen == "admin.role" {
			return t.pickSingleMember(f)
		}
	case "relation":
		r := relationWord(word)
		if num >= 0 {
			r = relationWord(strconv.Itoa(num))
		}
		if r == "" {
			return bad("pick")
		}
		f.Form["relation"] = r
	case "member":
		if num < 1 || num > len(f.Choices) {
			return bad("pick")
		}
		f.Form["member"] = f.Choices[num-1]
	case "role":
		r := roleWord(word)
		if num >= 1 && num <= 4 {
			r = []string{tx.RoleAdmin, tx.RoleTreasurer, tx.RoleMediator, tx.RoleScrutineer}[num-1]
		}
		if r == "" {
			return bad("pick")
		}
		f.Form["role"] = r
	case "op":
		switch {
		case num == 1 || word == "授予":
			f.Form["op"] = "grant"
		case num == 2 || word == "撤销":
			f.Form["op"] = "revoke"
		default:
			return bad("pick")
		}
	}
	return true, nil
}

// reflex reports whether a free-text answer is not text: a digit, a menu
// word, a confirmation word, or nothing but symbols. An elderly user who
// types "1" at every question must be asked again, never have "1" stored
// as a repair's description or published as a comment.
func reflex(in Input) bool {
	return in.Kind == KindNumber || in.Kind == KindCommand || in.Text != "" && letters(in.Text) == 0
}

// letters counts the letters (Chinese characters included) in s.
func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// pickSingleMember answers the member question by itself when the unit
// has exactly one bound member, and refuses a unit with none.
func (t *Turn) pickSingleMember(f *Frame) (bool, error) {
	ms, err := t.unitMembers(f.Form["unit"])
	if err != nil {
		return false, err
	}
	switch len(ms) {
	case 0:
		delete(f.Form, "unit")
		t.say("bot.admin.bad", struct{ Reason string }{"no_member"})
		return false, nil
	case 1:
		f.Form["member"] = string(ms[0].Address)
	}
	return true, nil
}

func roleWord(s string) string {
	switch strings.ToLower(s) {
	case "管理员", "管理", "admin":
		return tx.RoleAdmin
	case "财务", "出纳", "treasurer":
		return tx.RoleTreasurer
	case "调解员", "调解", "mediator":
		return tx.RoleMediator
	case "监票人", "监票", "scrutineer":
		return tx.RoleScrutineer
	}
	return ""
}

// splitOptions reads poll options separated by 、 , ， / ； ; or new lines.
func splitOptions(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool {
		return r == '、' || r == ',' || r == '，' || r == '/' || r == '；' || r == ';' || r == '\n' || r == '|'
	})
	if len(parts) == 1 {
		parts = strings.Fields(s)
	}
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseBuildings reads "3栋、5栋" or "3号楼 5号楼": sorted, without repeats.
func parseBuildings(s string) ([]string, bool) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == '、' || r == ',' || r == ' ' || r == '和' || r == ';'
	})
	var bs []string
	for _, f := range fields {
		b, ok := strings.CutSuffix(f, "栋")
		if !ok {
			b, ok = strings.CutSuffix(f, "号楼")
		}
		if !ok {
			b, ok = strings.CutSuffix(f, "幢")
		}
		if !ok || !tx.ValidLabel(b, tx.MaxLabelBytes) {
			return nil, false
		}
		bs = append(bs, b)
	}
	slices.Sort(bs)
	bs = slices.Compact(bs)
	return bs, len(bs) > 0 && len(bs) <= tx.MaxElectorate
}

func parseDays(in Input) (int, bool) {
	if in.Kind == KindNumber && len(in.Nums) == 1 {
		return in.Nums[0], true
	}
	s := strings.TrimFunc(in.Norm, isSpaceOrPunct)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "天"), "日")
	n, ok := parseNumber(s)
	return n, ok
}

const day = 24 * 3600

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

func (t *Turn) params() (abci.Params, error) {
	var p abci.Params
	_, err := t.query("params", &p)
	return p, err
}

func (t *Turn) unitMembers(unit string) ([]abci.Member, error) {
	var u struct {
		Members []abci.Member `json:"members"`
	}
	if _, err := t.query("units/"+unit, &u); err != nil {
		return nil, err
	}
	return u.Members, nil
}
