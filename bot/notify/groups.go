package notify

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/bot"
)

// The groups' memory in the Store, apart from the private part's: a
// group channel added later starts with its own first scan.
const (
	groupBaseline      = "group/baseline"
	groupProposal      = "group/proposal/"    // + id: flags told
	groupTurnout       = "group/turnout/"     // + id: the last turnout told
	groupAnnouncements = "group/announcement" // the highest announcement id told
)

// Flags remembered per proposal for the groups (flagOpen, flagRemind and
// flagResult as for users, and one more).
const flagNoticed = "noticed"

// importantMarks begin the title of an announcement an admin marks
// important; such an announcement goes to every channel, also those that
// send only what matters (WeCom).
var importantMarks = []string{"【重要】", "[重要]", "重要：", "重要:"}

// groupScan is the groups' part of one scan.
type groupScan struct {
	*scan
	// first only remembers: the groups' first scan of a gateway.db (the
	// private part has its own, scan.silent).
	first bool
}

// groups tells the group channels the public news of this scan.
func (s *scan) groups() error {
	_, known, err := s.n.st.GetState(s.ctx, groupBaseline)
	if err != nil {
		return err
	}
	g := &groupScan{scan: s, first: !known}
	list, err := s.proposalList()
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range list {
		if err := g.proposal(p); err != nil {
			errs = append(errs, fmt.Errorf("group notice of proposal %d: %w", p.ID, err))
		}
	}
	errs = append(errs, g.announcements())
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if g.first {
		return s.n.st.PutState(s.ctx, groupBaseline, strconv.FormatInt(s.height, 10), s.n.Now())
	}
	return nil
}

// post hands a notice to every group channel. A channel that cannot queue
// it is logged: the notice is not retried there, since the others have it
// and a repeat would come late.
func (g *groupScan) post(n bot.GroupNotice) {
	if g.first || n.Text == "" {
		return
	}
	n.Height = g.height
	for _, c := range g.n.Groups {
		if err := c.Announce(g.ctx, n); err != nil {
			g.n.Logger.Error("notify: a group channel did not take a notice", "channel", c.Channel(), "key", n.Key, "err", err)
		}
	}
}

// figures is a vote's participation against the two-thirds thresholds,
// in whole heads and square metres (area is kept in 0.01 m²).
type figures struct {
	Heads, HeadsTotal int64
	// AreaM2 and AreaTotalM2 are rounded down; Percent is of the area,
	// rounded down.
	AreaM2, AreaTotalM2, Percent int64
	// NeedHeads and NeedM2 are what is still missing to two thirds (NeedM2
	// rounded up); both zero once participation is reached.
	NeedHeads, NeedM2 int64
}

// turnoutFigures computes figures from counts in 0.01 m², in integers:
// two thirds are reached when 3·voted ≥ 2·total (abci.QuorumShort, the
// rule turnout's missing_heads and missing_area follow).
func turnoutFigures(heads, headsTotal, area, areaTotal int64) figures {
	f := figures{Heads: heads, HeadsTotal: headsTotal, AreaM2: area / 100, AreaTotalM2: areaTotal / 100}
	if areaTotal > 0 {
		f.Percent = area * 100 / areaTotal
	}
	f.NeedHeads = abci.QuorumShort(heads, headsTotal)
	f.NeedM2 = (abci.QuorumShort(area, areaTotal) + 99) / 100
	return f
}

// groupData is what a group notice's template gets.
type groupData struct {
	Kind, Title, Start, End string
	// OwnersOnly is set when only owners vote (every decision, and polls
	// that say so): a reminder addresses them.
	OwnersOnly bool
	// Figures is a decision's turnout (nil for polls).
	Figures *figures
	// Outcome, Counts and Winners are a result's.
	Outcome string
	Counts  []abci.OptionCount
	Winners []string
	// Voted and Agreed are a decision's result: who took part and who
	// agreed, in heads and m².
	Voted, Agreed *figures
}

func (g *groupScan) proposal(p proposalRow) error {
	key := groupProposal + strconv.FormatUint(p.ID, 10)
	v, _, err := g.n.st.GetState(g.ctx, key)
	if err != nil {
		return err
	}
	flags := strings.Split(v, ",")
	has := func(f string) bool { return slices.Contains(flags, f) }
	id := "proposal/" + strconv.FormatUint(p.ID, 10) + "/"
	d := groupData{Kind: p.Kind, Title: p.Title, Start: g.dateText(p.VoteStart), End: g.dateText(p.VoteEnd),
		OwnersOnly: p.Kind == abci.KindDecision || p.OwnersOnly}
	notice := func(kind string, important bool, tmpl string) bot.GroupNotice {
		return bot.GroupNotice{Key: id + kind, Kind: kind, Buildings: p.Buildings, Important: important, Text: g.render(tmpl, d)}
	}
	var add []string
	switch p.Phase {
	case "noticed":
		if !has(flagNoticed) {
			g.post(notice(bot.GroupNoticed, false, "group.noticed"))
			add = append(add, flagNoticed)
		}
	case "voting":
		last := p.VoteEnd-g.chainTime <= reminderLead
		switch {
		case last && !has(flagRemind):
			// The last day says all that voting opened would. A poll's
			// is not important: WeCom's one message a day is kept for
			// what owners decide.
			if err := g.figures(p, &d); err != nil {
				return err
			}
			g.post(notice(bot.GroupReminder, p.Kind == abci.KindDecision, "group.reminder"))
			add = append(add, flagNoticed, flagOpen, flagRemind)
			if err := g.putTurnout(p.ID, d.Figures); err != nil {
				return err
			}
		case !has(flagOpen):
			if err := g.figures(p, &d); err != nil {
				return err
			}
			g.post(notice(bot.GroupOpened, true, "group.opened"))
			add = append(add, flagNoticed, flagOpen)
			if err := g.putTurnout(p.ID, d.Figures); err != nil {
				return err
			}
		case p.Kind == abci.KindDecision:
			if err := g.turnout(p, d); err != nil {
				return err
			}
		}
	case abci.StatusClosed:
		if !has(flagResult) {
			if err := g.result(p, &d); err != nil {
				return err
			}
			g.post(notice(bot.GroupResult, true, "group.result"))
			add = append(add, flagNoticed, flagOpen, flagRemind, flagResult)
		}
	case abci.StatusCanceled:
		if !has(flagResult) {
			add = append(add, flagNoticed, flagOpen, flagRemind, flagResult)
		}
	}
	if len(add) == 0 {
		return nil
	}
	for _, f := range add {
		if !has(f) {
			flags = append(flags, f)
		}
	}
	flags = slices.DeleteFunc(flags, func(f string) bool { return f == "" })
	return g.n.st.PutState(g.ctx, key, strings.Join(flags, ","), g.n.Now())
}

// figures fills in a decision's live turnout.
func (g *groupScan) figures(p proposalRow, d *groupData) error {
	if p.Kind != abci.KindDecision {
		return nil
	}
	var t abci.Turnout
	if _, err := g.query("proposals/"+strconv.FormatUint(p.ID, 10)+"/turnout", &t); err != nil {
		return err
	}
	f := turnoutFigures(t.HeadsVoted, t.HeadsTotal, t.AreaVoted, t.AreaTotal)
	d.Figures = &f
	return nil
}

// turnoutSeen is the last turnout told of a vote: when (block time) and
// what.
type turnoutSeen struct {
	At    int64 `json:"at"`
	Heads int64 `json:"heads"`
	AreaM int64 `json:"area_m2"`
}

func (g *groupScan) putTurnout(id uint64, f *figures) error {
	seen := turnoutSeen{At: g.chainTime}
	if f != nil {
		seen.Heads, seen.AreaM = f.Heads, f.AreaM2
	}
	b, _ := json.Marshal(seen)
	return g.n.st.PutState(g.ctx, groupTurnout+strconv.FormatUint(id, 10), string(b), g.n.Now())
}

// turnout tells the groups how far a decision is from two thirds, at
// most every TurnoutEvery of block time and only when it moved since the
// last time.
func (g *groupScan) turnout(p proposalRow, d groupData) error {
	var seen turnoutSeen
	raw, ok, err := g.n.st.GetState(g.ctx, groupTurnout+strconv.FormatUint(p.ID, 10))
	if err != nil {
		return err
	}
	if ok {
		if err := json.Unmarshal([]byte(raw), &seen); err != nil {
			g.n.Logger.Warn("notify: discarding an unreadable turnout record", "proposal", p.ID, "err", err)
		}
	}
	if g.chainTime-seen.At < int64(g.n.TurnoutEvery.Seconds()) {
		return nil
	}
	if err := g.figures(p, &d); err != nil {
		return err
	}
	if d.Figures.Heads == seen.Heads && d.Figures.AreaM2 == seen.AreaM {
		return nil
	}
	n := bot.GroupNotice{Key: "proposal/" + strconv.FormatUint(p.ID, 10) + "/turnout/" + strconv.FormatInt(g.height, 10),
		Kind: bot.GroupTurnout, Buildings: p.Buildings, Text: g.render("group.turnout", d)}
	g.post(n)
	return g.putTurnout(p.ID, d.Figures)
}

// result fills in a closed proposal's published figures: never a unit's
// choice, only counts.
func (g *groupScan) result(p proposalRow, d *groupData) error {
	var res abci.Result
	if _, err := g.query("proposals/"+strconv.FormatUint(p.ID, 10)+"/result", &res); err != nil {
		return err
	}
	d.Outcome, d.Counts, d.Winners = p.Outcome, res.Counts, res.Winners
	if res.Tally != nil {
		t := res.Tally
		voted := turnoutFigures(t.NP, t.NTot, t.AP, t.ATot)
		agreed := figures{Heads: t.NY, AreaM2: t.AY / 100}
		d.Voted, d.Agreed = &voted, &agreed
	}
	return nil
}

// announcements tells the groups of each announcement newer than the
// last one told.
func (g *groupScan) announcements() error {
	var list []abci.Announcement
	if _, err := g.query("announcements", &list); err != nil {
		return err
	}
	var last uint64
	if raw, ok, err := g.n.st.GetState(g.ctx, groupAnnouncements); err != nil {
		return err
	} else if ok {
		last, _ = strconv.ParseUint(raw, 10, 64)
	}
	slices.SortFunc(list, func(a, b abci.Announcement) int { return cmp.Compare(a.ID, b.ID) })
	top := last
	for _, a := range list {
		if a.ID <= last {
			continue
		}
		top = max(top, a.ID)
		important := slices.ContainsFunc(importantMarks, func(m string) bool { return strings.HasPrefix(a.Title, m) })
		g.post(bot.GroupNotice{Key: "announcement/" + strconv.FormatUint(a.ID, 10), Kind: bot.GroupAnnouncement,
			Important: important, Text: g.render("group.announcement", a)})
	}
	if top == last {
		return nil
	}
	return g.n.st.PutState(g.ctx, groupAnnouncements, strconv.FormatUint(top, 10), g.n.Now())
}
