package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// proposalView is a proposal as the proposals queries answer it.
type proposalView struct {
	abci.Proposal
	Phase string `json:"phase"`
}

// Phases of a proposal (abci.Proposal.Phase).
const (
	phaseDraft    = "draft"
	phaseNoticed  = "noticed"
	phaseVoting   = "voting"
	phaseClosing  = "closing"
	phaseClosed   = abci.StatusClosed
	phaseCanceled = abci.StatusCanceled
)

// maxList is the most items a numbered list shows: one digit each.
const maxList = 9

// maxClosedListed is how many closed proposals the list keeps after the
// open ones.
const maxClosedListed = 3

type listItem struct {
	N    int
	Text string
}

type votesData struct {
	Items []listItem
	// More counts open items that did not fit.
	More int
	// Meetings is the digit of the requests for an owners' meeting.
	Meetings int
}

// listProposals returns what the votes screen lists, in order: voting
// (closing soonest first), then noticed, then the most recently closed.
func (t *Turn) listProposals() ([]proposalView, int, error) {
	var all []proposalView
	if _, err := t.query("proposals", &all); err != nil {
		return nil, 0, err
	}
	var voting, noticed, closed []proposalView
	for _, p := range all {
		switch p.Phase {
		case phaseVoting, phaseClosing:
			voting = append(voting, p)
		case phaseNoticed:
			noticed = append(noticed, p)
		case phaseClosed:
			closed = append(closed, p)
		}
	}
	// Owners' decisions bind the community, so they come before polls.
	slices.SortStableFunc(voting, func(a, b proposalView) int {
		if a.Kind != b.Kind {
			return strings.Compare(a.Kind, b.Kind) // "decision" < "poll"
		}
		return cmpInt(a.VoteEnd, b.VoteEnd)
	})
	slices.SortStableFunc(noticed, func(a, b proposalView) int { return cmpInt(a.VoteStart, b.VoteStart) })
	slices.SortStableFunc(closed, func(a, b proposalView) int { return cmpInt(b.ClosedHeight, a.ClosedHeight) })
	list := append(voting, noticed...)
	more := 0
	if len(list) > maxList {
		more, list = len(list)-maxList, list[:maxList]
	}
	for _, p := range closed[:min(len(closed), maxClosedListed)] {
		if len(list) < maxList {
			list = append(list, p)
		}
	}
	return list, more, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func showVotes(t *Turn, f *Frame) error {
	list, more, err := t.listProposals()
	if err != nil {
		return err
	}
	if len(list) == maxList {
		// The last digit is for the meeting requests.
		if last := list[maxList-1]; last.Phase != phaseClosed {
			more++
		}
		list = list[:maxList-1]
	}
	d := votesData{More: more}
	f.Choices = nil
	for i, p := range list {
		d.Items = append(d.Items, listItem{N: i + 1, Text: t.proposalLine(p)})
		f.Choices = append(f.Choices, "item:"+strconv.FormatUint(p.ID, 10))
	}
	if m, err := t.Member(); err != nil {
		return err
	} else if !m.Agent || m.Unit != "" {
		// Requests for an owners' meeting are the owners' own: an agent
		// only votes.
		f.Choices = append(f.Choices, "meetings")
		d.Meetings = len(f.Choices)
	}
	t.say("bot.votes", d)
	return nil
}

func chooseVotes(t *Turn, f *Frame, choice string) error {
	if choice == "meetings" {
		return t.Open(Frame{Screen: "meetings"})
	}
	return chooseItem(t, f, choice)
}

// lineData is a proposal in a list: kind, title, where it stands.
type lineData struct {
	Decision bool
	Title    string
	Phase    string
	Start    string
	End      string
	Outcome  string
}

func (t *Turn) proposalLine(p proposalView) string {
	s, err := t.e.Templates.Render("bot.votes.line", lineData{
		Decision: p.Kind == abci.KindDecision, Title: clip(p.Title, 30), Phase: p.Phase,
		Start: t.date(p.VoteStart), End: t.date(p.VoteEnd), Outcome: p.Outcome,
	})
	if err != nil {
		t.e.Logger.Error("render", "template", "bot.votes.line", "err", err)
		return clip(p.Title, 30)
	}
	return strings.TrimSpace(s)
}

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func chooseItem(t *Turn, _ *Frame, choice string) error {
	id, err := strconv.ParseUint(strings.TrimPrefix(choice, "item:"), 10, 64)
	if err != nil {
		return fmt.Errorf("bad choice %q", choice)
	}
	return t.Open(Frame{Screen: "item", ID: id})
}

type itemData struct {
	Decision   bool
	Title      string
	Class      string
	Buildings  string
	OwnersOnly bool
	Text       string
	Clipped    bool
	Phase      string
	Start      string
	End        string
	Turnout    *turnoutData
	Mine       string
	Options    []listItem
	Multi      bool
	Outcome    string
	Counts     []countData
	Tally      *tallyData
	Winners    string
	Reason     string
	// Comments is the digit that opens the comments, of which there are
	// CommentCount.
	Comments     int
	CommentCount int
	// Cancel is the digit an admin cancels with, while voting has not
	// started.
	Cancel int
	// Proxy is the digit that lists the ProxyOwners owners the user votes
	// for by proxy; Agent says the user may vote only for them.
	Proxy       int
	ProxyOwners int
	Agent       bool
	// MineByProxy says the owner's ballot (Mine) was cast by their proxy.
	MineByProxy bool
}

// turnoutData is participation while voting runs: who has voted, never how.
type turnoutData struct {
	Decision   bool
	Heads      int64
	HeadsTotal int64
	AreaPct    string
	// MissingHeads and MissingArea are what participation still lacks for
	// two thirds; zero and empty once reached.
	MissingHeads int64
	MissingArea  string
}

type countData struct {
	Option string
	Votes  int64
	Area   string
}

type tallyData struct {
	Heads      int64
	HeadsTotal int64
	AreaPct    string
}

// itemTextRunes is how much of a proposal's text its screen shows; 全文
// shows the rest.
const itemTextRunes = 150

func (t *Turn) proposal(id uint64) (proposalView, bool, error) {
	var p proposalView
	ok, err := t.query("proposals/"+strconv.FormatUint(id, 10), &p)
	return p, ok, err
}

func showItem(t *Turn, f *Frame) error {
	p, ok, err := t.proposal(f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	d := itemData{
		Decision: p.Kind == abci.KindDecision, Title: p.Title, Text: clip(p.Text, itemTextRunes),
		Clipped: utf8.RuneCountInString(p.Text) > itemTextRunes, Class: p.Class,
		Buildings: strings.Join(p.Buildings, "、"), OwnersOnly: p.OwnersOnly,
		Phase: p.Phase, Start: t.date(p.VoteStart), End: t.date(p.VoteEnd), Multi: p.Multi, Reason: p.CancelReason,
	}
	f.Choices = nil
	switch p.Phase {
	case phaseVoting, phaseClosing:
		if d.Turnout, err = t.turnout(p); err != nil {
			return err
		}
	case phaseClosed:
		if err := t.result(p, &d); err != nil {
			return err
		}
	}
	if p.Phase == phaseVoting {
		for i, o := range p.Options {
			d.Options = append(d.Options, listItem{N: i + 1, Text: o})
			f.Choices = append(f.Choices, "opt")
		}
		if d.Mine, err = t.myBallot(p); err != nil {
			return err
		}
		if err := t.offerProxyVotes(p, f, &d); err != nil {
			return err
		}
	}
	var cs []abci.Comment
	if _, err := t.query(fmt.Sprintf("proposals/%d/comments", p.ID), &cs); err != nil {
		return err
	}
	f.Choices = append(f.Choices, "comments")
	d.Comments, d.CommentCount = len(f.Choices), len(cs)
	if p.Phase == phaseDraft || p.Phase == phaseNoticed {
		m, err := t.Member()
		if err != nil {
			return err
		}
		if hasRole(m, tx.RoleAdmin) {
			f.Choices = append(f.Choices, "cancel")
			d.Cancel = len(f.Choices)
		}
	}
	t.say("bot.item", d)
	return nil
}

// turnout is participation so far.
func (t *Turn) turnout(p proposalView) (*turnoutData, error) {
	var tu abci.Turnout
	if _, err := t.query(fmt.Sprintf("proposals/%d/turnout", p.ID), &tu); err != nil {
		return nil, err
	}
	d := &turnoutData{Decision: p.Kind == abci.KindDecision, Heads: tu.HeadsVoted, HeadsTotal: tu.HeadsTotal,
		AreaPct: percent(tu.AreaVoted, tu.AreaTotal), MissingHeads: tu.MissingHeads}
	if tu.MissingArea > 0 {
		d.MissingArea = areaGrouped(tu.MissingArea)
	}
	return d, nil
}

// areaGrouped formats 0.01 m² as square metres with thousands
// separators, as in "1,234.56 m²".
func areaGrouped(a int64) string { return yuan(a) + " m²" }

// percent is a/b as a whole percentage, rounded down.
func percent(a, b int64) string {
	if b <= 0 {
		return "0%"
	}
	return strconv.FormatInt(a*100/b, 10) + "%"
}

// area formats 0.01 m² as square metres.
func area(a int64) string {
	return fmt.Sprintf("%d.%02d㎡", a/100, a%100)
}

func (t *Turn) result(p proposalView, d *itemData) error {
	var r abci.Result
	ok, err := t.query(fmt.Sprintf("proposals/%d/result", p.ID), &r)
	if err != nil || !ok {
		return err
	}
	d.Outcome = r.Outcome
	for _, c := range r.Counts {
		cd := countData{Option: c.Option, Votes: c.Votes}
		if p.Kind == abci.KindDecision {
			cd.Area = area(c.Area)
		}
		d.Counts = append(d.Counts, cd)
	}
	d.Winners = strings.Join(r.Winners, "、")
	if r.Tally != nil {
		d.Tally = &tallyData{Heads: r.Tally.NP, HeadsTotal: r.Tally.NTot, AreaPct: percent(r.Tally.AP, r.Tally.ATot)}
	}
	return nil
}

// myBallot says how the user's owner has voted on a decision, if at all.
func (t *Turn) myBallot(p proposalView) (string, error) {
	if p.Kind != abci.KindDecision {
		return "", nil
	}
	m, err := t.Member()
	if err != nil || m.Owner == "" || m.Relation != tx.RelationOwner {
		return "", err
	}
	var b abci.Ballot
	ok, err := t.query(fmt.Sprintf("ballots/%d/%s", p.ID, m.Owner), &b)
	if err != nil || !ok || b.Choice < 0 || b.Choice >= len(p.Options) {
		return "", err
	}
	return p.Options[b.Choice], nil
}

// ballotWords are the words a decision's ballot accepts besides digits.
var ballotWords = map[string]int{"同意": 1, "反对": 2, "弃权": 3}

// optionNamed returns the number of the one option the reply names by its
// own words ("周日", "我选周日"), after the same normalisation as Parse.
// A reply that names no option, or could be several, is not an answer.
func optionNamed(options []string, in Input) (int, bool) {
	core := strings.ToLower(strings.TrimFunc(in.Norm, isSpaceOrPunct))
	if core == "" {
		return 0, false
	}
	said := []string{core, unwrapAnswer(core)}
	found := 0
	for i, o := range options {
		name := strings.ToLower(strings.TrimFunc(Parse(o).Norm, isSpaceOrPunct))
		if !slices.Contains(said, name) {
			continue
		}
		if found != 0 {
			return 0, false
		}
		found = i + 1
	}
	return found, found > 0
}

func itemInput(t *Turn, f *Frame) error {
	in := t.In
	if in.Kind == KindNumber && len(in.Nums) == 1 && in.Nums[0] == 0 {
		return t.Back()
	}
	p, ok, err := t.proposal(f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return t.Back()
	}
	if in.Kind == KindCommand && in.Cmd == "全文" {
		t.say("bot.fulltext", struct{ Title, Text string }{p.Title, p.Text})
		return nil
	}
	if in.Kind == KindNumber && len(in.Nums) == 1 && in.Nums[0] >= 1 && in.Nums[0] <= len(f.Choices) {
		switch f.Choices[in.Nums[0]-1] {
		case "comments":
			return t.openComments(tx.CommentOnProposal, p.ID)
		case "proxy":
			return t.Open(Frame{Screen: "proxy.owners", ID: p.ID})
		case "cancel":
			return t.startForm("form.cancel", map[string]string{"proposal": strconv.FormatUint(p.ID, 10), "title": p.Title})
		}
	}
	var nums []int
	switch {
	case !slices.Contains(f.Choices, "opt") || p.Phase != phaseVoting:
		// Not (or no longer) open for votes, or the screen shown was
		// from before voting opened: no options were offered.
		return t.hint(f)
	case in.Kind == KindNumber:
		nums = slices.Clone(in.Nums)
	case in.Kind == KindCommand && p.Kind == abci.KindDecision && ballotWords[in.Cmd] > 0:
		nums = []int{ballotWords[in.Cmd]}
	default:
		n, ok := optionNamed(p.Options, in)
		if !ok {
			return t.hint(f)
		}
		nums = []int{n}
	}
	slices.Sort(nums)
	nums = slices.Compact(nums)
	for _, n := range nums {
		if n < 1 || n > len(p.Options) || n > len(f.Choices) || f.Choices[n-1] != "opt" {
			return t.hint(f)
		}
	}
	if len(nums) > 1 && !p.Multi {
		t.say("bot.vote.one", nil)
		return showItem(t, f)
	}
	m, err := t.Member()
	if err != nil {
		return err
	}
	switch {
	case m.Unit == "":
		t.say("bot.need.bind", nil)
		return nil
	case p.Kind == abci.KindDecision && m.Relation != tx.RelationOwner:
		t.say("bot.rejected", rejectedData{Message: t.codeMessage(uint32(abci.CodeTenantCannotVote))})
		return nil
	}
	var chosen []string
	choices := make([]int, len(nums))
	for i, n := range nums {
		choices[i] = n - 1
		chosen = append(chosen, p.Options[n-1])
	}
	summary, err := t.e.Templates.Render("bot.vote.summary", struct{ Title, Choice string }{p.Title, strings.Join(chosen, "、")})
	if err != nil {
		return err
	}
	return t.confirm(&Action{Kind: "vote", ID: p.ID, Nums: choices, Summary: strings.TrimSpace(summary)})
}

func cancelAction(t *Turn, f *Frame) (*Action, error) {
	return t.actionOn("cancelp", "bot.item.summary.cancel", struct{ Title, Reason string }{clip(f.Form["title"], 30), strings.TrimRight(f.Form["reason"], "。.！!？?")}, f.Form, "proposal")
}

func buildCancelProposal(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.ProposalCancel{ID: a.ID, Reason: a.Args["reason"]}, nil, nil
}

// buildVote builds a confirmed vote. A decision's ballot can be checked
// by anyone under ballots/ID/OWNER.
func buildVote(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	extra := &actionExtra{Ballot: true}
	if m, err := t.Member(); err == nil && m.Owner != "" && m.Relation == tx.RelationOwner {
		if p, ok, err := t.proposal(a.ID); err == nil && ok && p.Kind == abci.KindDecision {
			extra.Check = fmt.Sprintf("ballots/%d/%s", a.ID, m.Owner)
		}
	}
	return &tx.VoteCast{Proposal: a.ID, Choices: a.Nums}, extra, nil
}
