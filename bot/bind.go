package bot

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// serveBind answers 绑定: the one-line form "绑定 3-502 123456 [租户]"
// goes straight to the confirmation; otherwise a guided dialogue asks for
// the unit, the relation and the code, one question per message.
func serveBind(t *Turn) error {
	m, err := t.Member()
	if err != nil {
		return err
	}
	if m.Unit != "" {
		t.say("bot.bind.already", struct{ Unit, Relation string }{m.Unit, m.Relation})
		return nil
	}
	t.leaveDialogue()
	f := Frame{Screen: "bind", Step: "unit", Form: map[string]string{}}
	args := t.In.Args
	if t.In.Cmd != "绑定" {
		args = nil
	}
	if len(args) == 0 {
		return t.Open(f)
	}
	unit, ok, err := t.findUnit(args[0])
	if err != nil {
		return err
	}
	if !ok {
		t.say("bot.bind.nounit", struct{ Unit string }{clip(strings.Fields(t.In.Rest)[0], 20)})
		return t.Open(f)
	}
	f.Form["unit"], f.Step = unit, "relation"
	args = joinCodeGroups(args)
	if len(args) >= 3 {
		if r := relationWord(args[2]); r != "" {
			f.Form["relation"] = r
		}
	} else if len(args) == 2 {
		f.Form["relation"] = tx.RelationOwner
	}
	if f.Form["relation"] == "" {
		return t.Open(f)
	}
	f.Step = "code"
	code, ok := "", false
	if len(args) >= 2 {
		code, ok = tx.NormalizeBindCode(args[1])
	}
	if !ok {
		if len(args) >= 2 {
			t.say("bot.bind.badcode", nil)
		}
		return t.Open(f)
	}
	f.Form["code"] = code
	t.sess.push(f)
	return t.bindConfirm(f.Form)
}

// joinCodeGroups joins the digit groups after the unit into one word, so
// that "绑定 3-502 4821 5039 6712 0388 租户" reads as unit, code, relation.
// It stops at a code's length, so a relation typed as a digit stays apart.
func joinCodeGroups(args []string) []string {
	end, n := 1, 0
	for end < len(args) && isDigits(args[end]) && n < tx.BindCodeDigits {
		n += len(args[end])
		end++
	}
	if end <= 2 {
		return args
	}
	return append([]string{args[0], strings.Join(args[1:end], "")}, args[end:]...)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func relationWord(s string) string {
	// "我是业主", "是租户的" say the same as 业主 and 租户.
	s = strings.TrimFunc(s, isSpaceOrPunct)
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(s, "我"), "是"), "的")
	switch strings.ToLower(s) {
	case "业主", "房主", "owner", "1":
		return tx.RelationOwner
	case "租户", "租客", "tenant", "2":
		return tx.RelationTenant
	}
	return ""
}

// unitPattern reads the ways people write a unit: 3栋502, 3号楼502室,
// 3幢502, 3-502.
var unitPattern = regexp.MustCompile(`(?i)^([0-9a-z]+)(?:号楼|栋|幢|座|号|-)([0-9a-z]+)(?:室|号)?$`)

// findUnit returns the registered unit the user means, trying the text as
// typed and then as building-number.
func (t *Turn) findUnit(s string) (string, bool, error) {
	s = strings.TrimSpace(s)
	cands := []string{s}
	if m := unitPattern.FindStringSubmatch(s); m != nil {
		cands = append(cands, m[1]+"-"+m[2])
	}
	for _, c := range cands {
		if !tx.ValidLabel(c, tx.MaxLabelBytes) {
			continue
		}
		var u abci.Unit
		ok, err := t.query("units/"+c, &u)
		if err != nil {
			return "", false, err
		}
		if ok {
			return u.Unit, true, nil
		}
	}
	return "", false, nil
}

// bindConfirm asks to confirm a binding; the code is shown masked.
func (t *Turn) bindConfirm(form map[string]string) error {
	code := form["code"]
	masked := code[:2] + strings.Repeat("*", len(code)-4) + code[len(code)-2:]
	a, err := t.action("bind", "bot.bind.summary", struct{ Unit, Relation, Code string }{form["unit"], form["relation"], masked}, form)
	if err != nil {
		return err
	}
	return t.confirm(a)
}

func buildBind(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.MemberBind{Unit: a.Args["unit"], Relation: a.Args["relation"], Code: a.Args["code"]}, &actionExtra{After: "bot.bind.done"}, nil
}

// bindWrong answers a code the chain found wrong: it goes back to the code
// question (the unit and relation stay); wrong codes never lock a unit, so
// the right one can follow at once.
func (t *Turn) bindWrong(a *Action) error {
	t.sess.pop() // the confirmation
	f := t.sess.top()
	if f == nil || f.Screen != "bind" {
		t.leaveAction()
		t.say("bot.rejected", rejectedData{Message: t.codeMessage(uint32(abci.CodeBindCodeWrong))})
		return nil
	}
	delete(f.Form, "code")
	f.Step = "code"
	t.say("bot.bind.wrong", nil)
	return showBind(t, f)
}

var bindSteps = []string{"unit", "relation", "code"}

func showBind(t *Turn, f *Frame) error {
	t.say("bot.bind.ask."+f.Step, struct{ Unit string }{f.Form["unit"]})
	return nil
}

func bindStepBack(f *Frame) bool { return stepBack(f, bindSteps) }

// stepBack moves a dialogue to its previous question.
func stepBack(f *Frame, steps []string) bool {
	for i, s := range steps {
		if s == f.Step && i > 0 {
			f.Step = steps[i-1]
			return true
		}
	}
	return false
}

func bindInput(t *Turn, f *Frame) error {
	in := t.In
	if in.Kind == KindNumber && len(in.Nums) == 1 && in.Nums[0] == 0 {
		return t.Back()
	}
	if f.Form == nil {
		f.Form = map[string]string{}
	}
	word := strings.TrimSpace(in.Norm)
	switch f.Step {
	case "unit":
		unit, ok, err := t.findUnit(strings.TrimSuffix(word, "。"))
		if err != nil {
			return err
		}
		if !ok {
			t.say("bot.bind.nounit", struct{ Unit string }{clip(in.Text, 20)})
			return showBind(t, f)
		}
		f.Form["unit"], f.Step = unit, "relation"
	case "relation":
		r := relationWord(word)
		if in.Kind == KindNumber && len(in.Nums) == 1 {
			r = relationWord(strconv.Itoa(in.Nums[0]))
		}
		if r == "" {
			t.say("bot.hint", hintData{Max: 2})
			return showBind(t, f)
		}
		f.Form["relation"], f.Step = r, "code"
	case "code":
		code, ok := tx.NormalizeBindCode(word)
		if !ok {
			t.say("bot.bind.badcode", nil)
			return showBind(t, f)
		}
		f.Form["code"] = code
		return t.bindConfirm(f.Form)
	}
	return showBind(t, f)
}
