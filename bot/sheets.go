package bot

import (
	"slices"
	"strconv"
	"strings"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// Paper ballots in chat. A scrutineer (监票人) enters a returned sheet with
// 管理 录入选票: which decision (asked only when several are voting), the
// sheet's code, the choice marked on it and the SHA-256 of its scan, then
// a confirmation. The chain counts the sheet when a second scrutineer
// enters the same. 管理 未投票 lists, for admins and scrutineers, the
// units whose owners have not voted yet, for door-to-door visits.

// maxNotVotedLines bounds the units one chat screen lists; the printed
// list (linli print not-voted) has them all.
const maxNotVotedLines = 30

// votingDecisions are the owners' decisions now voting.
func (t *Turn) votingDecisions() ([]proposalView, error) {
	var list []proposalView
	if _, err := t.query("proposals", &list); err != nil {
		return nil, err
	}
	var out []proposalView
	for _, p := range list {
		if p.Kind == abci.KindDecision && p.Phase == phaseVoting {
			out = append(out, p)
		}
	}
	return out, nil
}

// startSheet begins 管理 录入选票 and 管理 未投票: with no decision voting
// there is nothing to do; with one it is chosen without asking.
func (t *Turn) startSheet(f *Frame) (bool, error) {
	ds, err := t.votingDecisions()
	if err != nil {
		return false, err
	}
	switch len(ds) {
	case 0:
		t.say("bot.sheet.none", nil)
		return false, nil
	case 1:
		autoFill(f, "decision", strconv.FormatUint(ds[0].ID, 10))
	}
	return true, nil
}

// sheetOneLine reads 管理 录入选票 with words after it: none are used,
// every answer is asked, so that each code is checked as it is typed.
func sheetOneLine(*Turn, *Frame, []string, []string) error { return nil }

// sheetLine is one voting decision offered to choose from.
type sheetLine struct {
	N     int
	Title string
}

func (t *Turn) sheetDecisionChoices(f *Frame) ([]sheetLine, error) {
	ds, err := t.votingDecisions()
	if err != nil {
		return nil, err
	}
	f.Choices = nil
	var lines []sheetLine
	for i, p := range ds {
		lines = append(lines, sheetLine{i + 1, p.Title})
		f.Choices = append(f.Choices, strconv.FormatUint(p.ID, 10))
	}
	return lines, nil
}

// readSheetStep reads the answers of 管理 录入选票 and 管理 未投票.
func readSheetStep(t *Turn, f *Frame, step string) (bool, error) {
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
	switch step {
	case "decision":
		if num < 1 || num > len(f.Choices) {
			return bad("pick")
		}
		f.Form["decision"] = f.Choices[num-1]
	case "code":
		code, ok := tx.NormalizeSheetCode(in.Text)
		if !ok {
			return bad("sheet_code")
		}
		s, reason, err := t.sheetFor(f.Form["decision"], code)
		if err != nil {
			return false, err
		}
		if reason != "" {
			return bad(reason)
		}
		f.Form["code"], f.Form["owner"], f.Form["units"] = code, s.Owner, strings.Join(s.Units, "、")
	case "choice":
		switch {
		case num >= 1 && num <= len(tx.DecisionOptions):
			f.Form["choice"] = strconv.Itoa(num - 1)
		case slices.Contains(tx.DecisionOptions, word):
			f.Form["choice"] = strconv.Itoa(slices.Index(tx.DecisionOptions, word))
		default:
			return bad("pick")
		}
	case "scan":
		h := strings.ToLower(strings.Join(strings.Fields(in.Text), ""))
		if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
			return bad("scan")
		}
		f.Form["scan"] = h
	}
	return true, nil
}

// sheetFor finds the sheet of code on decision id as the chain would, to
// refuse at once what it would refuse: a code that is not one of the
// decision's, a sheet already counted, one this scrutineer entered, one
// waiting for an admin after a mismatch. reason names the refusal.
func (t *Turn) sheetFor(id, code string) (abci.SheetView, string, error) {
	var chain abci.ChainInfo
	if _, err := t.query("chain", &chain); err != nil {
		return abci.SheetView{}, "", err
	}
	n, _ := strconv.ParseUint(id, 10, 64)
	var sheets []abci.SheetView
	if _, err := t.query("proposals/"+id+"/sheets", &sheets); err != nil {
		return abci.SheetView{}, "", err
	}
	v := tx.SheetVerifier(chain.ChainID, n, code)
	i := slices.IndexFunc(sheets, func(s abci.SheetView) bool { return s.Verifier == v })
	if i < 0 {
		return abci.SheetView{}, "sheet_unknown", nil
	}
	s := sheets[i]
	me, err := t.Address()
	if err != nil {
		return s, "", err
	}
	switch {
	case s.Status == abci.SheetCounted:
		return s, "sheet_counted", nil
	case s.Status == abci.SheetMismatch:
		return s, "sheet_mismatch", nil
	case slices.ContainsFunc(s.Entries, func(e abci.SheetEntry) bool { return e.Scrutineer == me && e.VoidTx == "" }):
		return s, "sheet_mine", nil
	}
	return s, "", nil
}

func sheetAction(t *Turn, f *Frame) (*Action, error) {
	choice, _ := strconv.Atoi(f.Form["choice"])
	d := struct{ Owner, Units, Code, Choice, Scan string }{f.Form["owner"], f.Form["units"], tx.FormatSheetCode(f.Form["code"]),
		tx.DecisionOptions[choice], short(f.Form["scan"])}
	return t.action("sheet", "bot.admin.summary.sheet", d, f.Form)
}

func buildSheet(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	id, _ := strconv.ParseUint(a.Args["decision"], 10, 64)
	choice, _ := strconv.Atoi(a.Args["choice"])
	return &tx.SheetEnter{Proposal: id, Code: a.Args["code"], Choice: choice, ScanSHA256: a.Args["scan"]},
		&actionExtra{AfterEvents: func(events []string) string {
			switch {
			case slices.Contains(events, "vote.cast"):
				return "bot.sheet.counted"
			case slices.Contains(events, "sheet.mismatch"):
				return "bot.sheet.mismatch"
			}
			return "bot.sheet.waiting"
		}}, nil
}

// notVotedData is the door-to-door screen.
type notVotedData struct {
	Title     string
	Turnout   *turnoutData
	Units     int
	Owners    int
	Buildings []notVotedBuilding
	More      int
	// Mismatches are the owners whose sheets were entered differently
	// by two scrutineers: an admin must void the wrong entry.
	Mismatches []string
}

type notVotedBuilding struct {
	Building string
	Units    []string
}

// showNotVoted lists the units of a decision's electorate not voted yet,
// by building and floor; never how anyone voted.
func showNotVoted(t *Turn, f *Frame) error {
	if _, ok := f.Form["decision"]; !ok {
		lines, err := t.sheetDecisionChoices(f)
		if err != nil {
			return err
		}
		t.say("bot.ask.admin.notvoted.decision", struct{ Decisions []sheetLine }{lines})
		return nil
	}
	id := f.Form["decision"]
	p, ok, err := t.proposal(mustUint(id))
	if err != nil || !ok {
		return err
	}
	var rows []abci.NotVotedRow
	if _, err := t.query("proposals/"+id+"/notvoted", &rows); err != nil {
		return err
	}
	d := notVotedData{Title: p.Title, Units: len(rows)}
	if d.Turnout, err = t.turnout(p); err != nil {
		return err
	}
	owners := map[string]bool{}
	for i, r := range rows {
		owners[r.Owner] = true
		if i >= maxNotVotedLines {
			d.More++
			continue
		}
		if n := len(d.Buildings); n == 0 || d.Buildings[n-1].Building != r.Building {
			d.Buildings = append(d.Buildings, notVotedBuilding{Building: r.Building})
		}
		b := &d.Buildings[len(d.Buildings)-1]
		line := r.Unit
		if r.Sheet == abci.SheetEntered {
			line += "（书面票已录一次）"
		}
		b.Units = append(b.Units, line)
	}
	d.Owners = len(owners)
	var sheets []abci.SheetView
	if _, err := t.query("proposals/"+id+"/sheets", &sheets); err != nil {
		return err
	}
	for _, s := range sheets {
		if s.Status == abci.SheetMismatch {
			d.Mismatches = append(d.Mismatches, s.Owner)
		}
	}
	f.Choices = nil
	t.say("bot.notvoted", d)
	return nil
}

// notVotedInput reads the decision to list when several are voting;
// on the list itself, 0 goes back.
func notVotedInput(t *Turn, f *Frame) error {
	if _, ok := f.Form["decision"]; !ok {
		if t.In.Kind == KindNumber && len(t.In.Nums) == 1 {
			n := t.In.Nums[0]
			if n == 0 {
				return t.Back()
			}
			if n <= len(f.Choices) {
				f.Form["decision"] = f.Choices[n-1]
				return showNotVoted(t, f)
			}
		}
		return showNotVoted(t, f)
	}
	return menuInput(func(*Turn, *Frame, string) error { return nil })(t, f)
}

func mustUint(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

// 管理 作废录入: an admin voids the wrong one of two entries that disagree,
// with a reason, so that a scrutineer can enter the sheet again.

// voidLine is a sheet in mismatch, or one of its two entries, as the void
// dialogue lists them.
type voidLine struct {
	N      int
	Owner  string
	Units  string
	Choice string
	Scan   string
	Who    string
}

// mismatched lists the sheets of decision id whose entries disagree.
func (t *Turn) mismatched(id string) ([]abci.SheetView, error) {
	var sheets []abci.SheetView
	if _, err := t.query("proposals/"+id+"/sheets", &sheets); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(sheets, func(s abci.SheetView) bool { return s.Status != abci.SheetMismatch }), nil
}

// voidChoices fills the void dialogue's list for its current step: the
// sheets in mismatch, or the live entries of the one chosen.
func (t *Turn) voidChoices(f *Frame) ([]voidLine, error) {
	sheets, err := t.mismatched(f.Form["decision"])
	if err != nil {
		return nil, err
	}
	f.Choices = nil
	var lines []voidLine
	for _, s := range sheets {
		if f.Step == "sheet" {
			lines = append(lines, voidLine{N: len(lines) + 1, Owner: s.Owner, Units: strings.Join(s.Units, "、")})
			f.Choices = append(f.Choices, s.Owner)
			continue
		}
		if s.Owner != f.Form["sheet"] {
			continue
		}
		for _, e := range s.Entries {
			if e.VoidTx != "" {
				continue
			}
			lines = append(lines, voidLine{N: len(lines) + 1, Owner: s.Owner, Choice: tx.DecisionOptions[e.Choice], Scan: short(e.ScanSHA256), Who: short(string(e.Scrutineer))})
			f.Choices = append(f.Choices, e.TxHash)
		}
	}
	return lines, nil
}

func readVoidStep(t *Turn, f *Frame, step string) (bool, error) {
	in := t.In
	num := -1
	if in.Kind == KindNumber && len(in.Nums) == 1 {
		num = in.Nums[0]
	}
	switch step {
	case "decision", "sheet", "entry":
		if num < 1 || num > len(f.Choices) {
			t.say("bot.admin.bad", struct{ Reason string }{"pick"})
			return false, nil
		}
		f.Form[step] = f.Choices[num-1]
		return true, nil
	}
	return readStep(t, f, step)
}

func voidAction(t *Turn, f *Frame) (*Action, error) {
	d := struct{ Owner, Entry, Reason string }{f.Form["sheet"], short(f.Form["entry"]), f.Form["reason"]}
	return t.action("void", "bot.admin.summary.void", d, f.Form)
}

func buildVoid(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	id, _ := strconv.ParseUint(a.Args["decision"], 10, 64)
	return &tx.SheetVoid{Proposal: id, Owner: a.Args["sheet"], Entry: a.Args["entry"], Reason: a.Args["reason"]},
		&actionExtra{After: "bot.sheet.voided"}, nil
}
