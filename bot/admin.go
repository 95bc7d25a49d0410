package bot

import (
	"crypto/rand"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// adminSubs maps what admins type after 管理 to an admin entry.
var adminSubs = map[string]string{
	"发起表决": "decision", "表决": "decision", "业主表决": "decision",
	"发起投票": "poll", "投票": "poll",
	"记账": "ledger", "记一笔": "ledger",
	"审批": "approve",
	"公告": "notice", "发公告": "notice", "发布公告": "notice",
	"发码": "code", "绑定码": "code", "发绑定码": "code",
	"设角色": "role", "角色": "role", "授权": "role",
	"录入选票": "sheet", "录入": "sheet", "录票": "sheet", "书面选票": "sheet",
	"未投票": "notvoted", "扫楼": "notvoted", "没投票": "notvoted",
	"作废录入": "void", "作废选票录入": "void",
	"绑群": "group", "绑定群": "group", "绑定微信群": "group", "群绑定码": "group",
}

// adminEntries are the admin menu, in order, with the roles each needs.
var adminEntries = []struct {
	key   string
	roles []string
}{
	{"decision", []string{tx.RoleAdmin}},
	{"poll", []string{tx.RoleAdmin}},
	{"ledger", []string{tx.RoleTreasurer, tx.RoleAdmin}},
	{"approve", []string{tx.RoleAdmin}},
	{"notice", []string{tx.RoleAdmin}},
	{"code", []string{tx.RoleAdmin}},
	{"role", []string{tx.RoleAdmin}},
	{"sheet", []string{tx.RoleScrutineer}},
	{"notvoted", []string{tx.RoleAdmin, tx.RoleScrutineer}},
	{"void", []string{tx.RoleAdmin}},
	// group is listed only when the group account is on (Engine.GroupCodes).
	{"group", []string{tx.RoleAdmin}},
}

// serveAdmin answers 管理: the admin menu, or an admin command given on one
// line. Only members whose address holds a role get past the door; each
// entry checks its own role again, and so does the confirmation.
func serveAdmin(t *Turn) error {
	m, err := t.Member()
	if err != nil {
		return err
	}
	if !hasRole(m, tx.RoleAdmin, tx.RoleTreasurer, tx.RoleMediator, tx.RoleScrutineer) {
		t.say("bot.admin.refused", nil)
		return nil
	}
	t.leaveDialogue()
	if t.In.Cmd == "管理" && len(t.In.Args) > 0 {
		key, ok := adminSubs[t.In.Args[0]]
		if !ok {
			t.say("bot.admin.unknown", nil)
			return t.Open(Frame{Screen: "admin"})
		}
		orig := strings.Fields(t.In.Rest)
		if len(orig) != len(t.In.Args) {
			orig = t.In.Args
		}
		return t.startAdmin(key, t.In.Args[1:], orig[1:])
	}
	return t.Open(Frame{Screen: "admin"})
}

func showAdmin(t *Turn, f *Frame) error {
	f.Choices = nil
	for _, e := range adminEntries {
		if e.key == "group" && t.e.GroupCodes == nil {
			// An entry that could only say "not turned on" would be a
			// dead end for an elderly admin: it is not listed.
			continue
		}
		f.Choices = append(f.Choices, e.key)
	}
	t.say("bot.admin.menu", struct{ Groups bool }{t.e.GroupCodes != nil})
	return nil
}

func chooseAdmin(t *Turn, _ *Frame, key string) error { return t.startAdmin(key, nil, nil) }

// startAdmin begins an admin entry. args (normalised) and orig (as typed)
// are the words of a one-line form; what they leave out is asked.
func (t *Turn) startAdmin(key string, args, orig []string) error {
	m, err := t.Member()
	if err != nil {
		return err
	}
	for _, e := range adminEntries {
		if e.key == key && !hasRole(m, e.roles...) {
			t.say("bot.admin.refused", nil)
			return nil
		}
	}
	if key == "approve" {
		return t.Open(Frame{Screen: "admin.approve"})
	}
	if key == "group" && t.e.GroupCodes == nil {
		t.say("bot.admin.group.off", nil)
		return nil
	}
	f := Frame{Screen: "admin." + key, Form: map[string]string{}}
	if key == "sheet" || key == "notvoted" || key == "void" {
		if ok, err := t.startSheet(&f); !ok || err != nil {
			return err
		}
	}
	if key == "notvoted" {
		return t.Open(f)
	}
	d := dialogueFor("admin." + key)
	if d == nil {
		t.say("bot.coming", comingData{Feature: key})
		return nil
	}
	if len(args) > 0 {
		if err := d.oneLine(t, &f, args, orig); err != nil {
			return err
		}
	}
	return t.nextStep(d, &f, true)
}

// One-line forms. Words they do not recognise are ignored; what they leave
// out is asked.

// pollOneLine reads 管理 发起投票 标题 选项1、选项2 [7天] [多选].
func pollOneLine(t *Turn, f *Frame, args, orig []string) error {
	f.Form["title"] = orig[0]
	if len(orig) > 1 {
		if opts := splitOptions(orig[1]); len(opts) >= tx.MinPollOptions && len(opts) <= tx.MaxPollOptions {
			f.Form["options"] = strings.Join(opts, "\n")
		}
	}
	f.Form["multi"], f.Form["days"] = "", "7"
	for _, a := range args[min(2, len(args)):] {
		switch {
		case a == "多选":
			f.Form["multi"] = "1"
		case strings.HasSuffix(a, "天"):
			if n, ok := parseNumber(strings.TrimSuffix(a, "天")); ok && n >= 1 {
				f.Form["days"] = strconv.Itoa(n)
			}
		}
	}
	return nil
}

// decisionOneLine reads 管理 发起表决 标题 [一般|特别] [7天] [3栋、5栋].
func decisionOneLine(t *Turn, f *Frame, args, orig []string) error {
	f.Form["title"], f.Form["text"], f.Form["scope"], f.Form["days"] = orig[0], "", "", "7"
	for _, a := range args[1:] {
		switch {
		case a == "一般" || a == "一般事项":
			f.Form["class"] = tx.ClassOrdinary
		case a == "特别" || a == "特别事项":
			f.Form["class"] = tx.ClassSpecial
		case strings.HasSuffix(a, "天"):
			if n, ok := parseNumber(strings.TrimSuffix(a, "天")); ok {
				f.Form["days"] = strconv.Itoa(n)
			}
		default:
			if bs, ok := parseBuildings(a); ok {
				f.Form["scope"] = strings.Join(bs, ",")
			}
		}
	}
	return nil
}

// codeOneLine reads 管理 发码 3-502 [租户].
func codeOneLine(t *Turn, f *Frame, args, _ []string) error {
	unit, ok, err := t.findUnit(args[0])
	if err != nil || !ok {
		if err == nil {
			t.say("bot.admin.bad", struct{ Reason string }{"unit"})
		}
		return err
	}
	f.Form["unit"], f.Form["relation"] = unit, tx.RelationOwner
	if len(args) > 1 {
		if r := relationWord(args[1]); r != "" {
			f.Form["relation"] = r
		}
	}
	return nil
}

// roleOneLine reads 管理 设角色 3-502 财务 [撤销].
func roleOneLine(t *Turn, f *Frame, args, _ []string) error {
	unit, ok, err := t.findUnit(args[0])
	if err != nil || !ok {
		if err == nil {
			t.say("bot.admin.bad", struct{ Reason string }{"unit"})
		}
		return err
	}
	f.Form["unit"] = unit
	if ok, err := t.pickSingleMember(f); err != nil || !ok {
		return err
	}
	for _, a := range args[1:] {
		if r := roleWord(a); r != "" {
			f.Form["role"] = r
		}
		switch a {
		case "撤销", "取消":
			f.Form["op"] = "revoke"
		case "授予":
			f.Form["op"] = "grant"
		}
	}
	if _, ok := f.Form["role"]; ok {
		if _, ok := f.Form["op"]; !ok {
			f.Form["op"] = "grant"
		}
	}
	return nil
}

// Confirmations and bodies. Times are taken when the admin confirms.

type pollSummary struct {
	Title   string
	Options []listItem
	Multi   bool
	Days    string
	End     string
}

func pollAction(t *Turn, f *Frame) (*Action, error) {
	days, _ := strconv.Atoi(f.Form["days"])
	// buildPoll takes its times when the admin confirms; the end shown is
	// the one of a confirmation now.
	d := pollSummary{Title: f.Form["title"], Multi: f.Form["multi"] != "", Days: f.Form["days"], End: t.date(t.now.Unix() + int64(days)*day)}
	for i, o := range strings.Split(f.Form["options"], "\n") {
		d.Options = append(d.Options, listItem{N: i + 1, Text: o})
	}
	return t.action("poll", "bot.admin.summary.poll", d, f.Form)
}

func buildPoll(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	days, _ := strconv.Atoi(a.Args["days"])
	now := t.now.Unix()
	return &tx.PollOpen{
		Title: a.Args["title"], Options: strings.Split(a.Args["options"], "\n"), Multi: a.Args["multi"] != "",
		// A start a minute back keeps a clock slightly ahead of block
		// time from delaying the poll; the chain opens it at once.
		VoteStart: now - 60, VoteEnd: now + int64(days)*day,
	}, nil, nil
}

type decisionSummary struct {
	Title     string
	Text      string
	Class     string
	Buildings string
	Days      string
	Start     string
	End       string
}

// decisionTimes returns when a decision confirmed now is noticed, opens
// and closes: voting opens a minute past the chain's minimum notice,
// rounded up to the hour (to the minute on a test chain with a notice
// shorter than a day).
func (t *Turn) decisionTimes(days int) (notice, start, end int64, err error) {
	p, err := t.params()
	if err != nil {
		return 0, 0, 0, err
	}
	now := t.now.Unix()
	// A whole hour reads better; a test chain's short notice keeps minutes.
	round := int64(60)
	if p.MinNotice >= day {
		round = 3600
	}
	start = (now + p.MinNotice + 60 + round - 1) / round * round
	// Block time trails the wall clock (an idle chain's next block carries
	// a time up to an empty-block interval old), and the chain records the
	// notice at notice_at or its block time, whichever is later: a notice a
	// minute back is noticed from the block that records it, where "now"
	// could leave it a draft until a later block. Polls open a minute back
	// for the same reason.
	return now - 60, start, start + int64(days)*day, nil
}

func decisionAction(t *Turn, f *Frame) (*Action, error) {
	days, _ := strconv.Atoi(f.Form["days"])
	_, start, end, err := t.decisionTimes(days)
	if err != nil {
		return nil, err
	}
	d := decisionSummary{Title: f.Form["title"], Text: f.Form["text"], Class: f.Form["class"], Days: f.Form["days"],
		Buildings: strings.ReplaceAll(f.Form["scope"], ",", "、"), Start: t.date(start), End: t.date(end)}
	return t.action("decision", "bot.admin.summary.decision", d, f.Form)
}

func buildDecision(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	days, _ := strconv.Atoi(a.Args["days"])
	notice, start, end, err := t.decisionTimes(days)
	if err != nil {
		return nil, nil, err
	}
	var bs []string
	if a.Args["scope"] != "" {
		bs = strings.Split(a.Args["scope"], ",")
	}
	return &tx.ProposalOpen{Title: a.Args["title"], Text: a.Args["text"], Class: a.Args["class"], Buildings: bs,
		NoticeAt: notice, VoteStart: start, VoteEnd: end}, nil, nil
}

// bindCodeTTL is how long a code issued in chat stays valid.
const bindCodeTTL = 7 * 24 * time.Hour

// codeAction confirms a new code. When the unit already has an unused
// code, the admin sees how many wrong codes were tried with it: codes do
// not lock, so this count is how an admin notices someone guessing.
func codeAction(t *Turn, f *Frame) (*Action, error) {
	var u struct {
		BindCodes []abci.BindCodeStatus `json:"bind_codes"`
	}
	if _, err := t.query("units/"+f.Form["unit"], &u); err != nil {
		return nil, err
	}
	for _, c := range u.BindCodes {
		if c.Relation == f.Form["relation"] {
			t.say("bot.admin.code.tries", struct {
				Relation string
				Failures int64
			}{c.Relation, c.Failures})
		}
	}
	return t.action("code", "bot.admin.summary.code", struct{ Unit, Relation string }{f.Form["unit"], f.Form["relation"]}, f.Form)
}

// buildCode makes the code when the admin confirms: it is shown once with
// the receipt, in groups of four digits, and never stored; the chain keeps
// only its verifier.
func buildCode(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	code, err := randomDigits(t.e.Rand, tx.BindCodeDigits)
	if err != nil {
		return nil, nil, err
	}
	salt := make([]byte, tx.BindCodeSaltSize)
	if _, err := io.ReadFull(t.e.Rand, salt); err != nil {
		return nil, nil, err
	}
	body := tx.NewBindCodeIssue(a.Args["unit"], a.Args["relation"], code, salt, t.now.Add(bindCodeTTL).Unix())
	return body, &actionExtra{Secret: tx.GroupBindCode(code)}, nil
}

// randomDigits returns n uniformly random decimal digits.
func randomDigits(r io.Reader, n int) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		if buf[0] < 250 { // 250 = 25 × 10: no modulo bias
			b.WriteByte('0' + buf[0]%10)
		}
	}
	return b.String(), nil
}

func roleAction(t *Turn, f *Frame) (*Action, error) {
	d := struct{ Unit, Address, Role, Op string }{f.Form["unit"], short(f.Form["member"]), f.Form["role"], f.Form["op"]}
	return t.action("role", "bot.admin.summary.role", d, f.Form)
}

func buildRole(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	addr := tx.Address(a.Args["member"])
	if a.Args["op"] == "revoke" {
		return &tx.RoleRevoke{Address: addr, Role: a.Args["role"]}, nil, nil
	}
	return &tx.RoleGrant{Address: addr, Role: a.Args["role"]}, nil, nil
}

// action renders a confirmation summary and records the answers it acts on.
func (t *Turn) action(kind, tmpl string, data any, form map[string]string) (*Action, error) {
	s, err := t.e.Templates.Render(tmpl, data)
	if err != nil {
		return nil, err
	}
	args := make(map[string]string, len(form))
	for k, v := range form {
		args[k] = v
	}
	return &Action{Kind: kind, Args: args, Summary: strings.TrimSpace(s)}, nil
}

// actionOn is action for a form about one record, whose id the form holds
// under idKey (a dispute, a proposal, a repair request).
func (t *Turn) actionOn(kind, tmpl string, data any, form map[string]string, idKey string) (*Action, error) {
	a, err := t.action(kind, tmpl, data, form)
	if err != nil {
		return nil, err
	}
	a.ID, _ = strconv.ParseUint(form[idKey], 10, 64)
	return a, nil
}
