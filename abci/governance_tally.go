package abci

import (
	"fmt"

	"github.com/linli-community/linli/abci/tx"
	"sort"
	"strconv"
	"strings"
)

// Tally holds the figures of Civil Code §278 for one decision, areas in
// 0.01 m²: the electorate's total area and heads (ATot, NTot), those who
// voted, abstentions included (AP, NP), and those who agreed (AY, NY).
type Tally struct {
	ATot int64 `json:"a_tot"`
	NTot int64 `json:"n_tot"`
	AP   int64 `json:"a_p"`
	NP   int64 `json:"n_p"`
	AY   int64 `json:"a_y"`
	NY   int64 `json:"n_y"`
}

// Decide applies Civil Code §278 in integer arithmetic. Participation needs
// at least two thirds of area and of heads (bounds included). A special
// matter then passes with at least three quarters of the participating
// area and heads; an ordinary one with more than half of each ("过半数" is
// strict). An electorate with no owners fails quorum.
func Decide(class string, t Tally) string {
	if t.NTot == 0 || 3*t.AP < 2*t.ATot || 3*t.NP < 2*t.NTot {
		return OutcomeFailedQuorum
	}
	if class == tx.ClassSpecial {
		if 4*t.AY >= 3*t.AP && 4*t.NY >= 3*t.NP {
			return OutcomePassed
		}
		return OutcomeRejected
	}
	if 2*t.AY > t.AP && 2*t.NY > t.NP {
		return OutcomePassed
	}
	return OutcomeRejected
}

// OptionCount is how many voted for one option: heads and area for
// decisions, votes for polls.
type OptionCount struct {
	Option string `json:"option"`
	Votes  int64  `json:"votes"`
	Area   int64  `json:"area"`
}

// Result is a closed proposal's published outcome.
type Result struct {
	Proposal uint64        `json:"proposal"`
	Kind     string        `json:"kind"`
	Class    string        `json:"class"`
	Outcome  string        `json:"outcome"`
	Tally    *Tally        `json:"tally"`
	Counts   []OptionCount `json:"counts"`
	// Winners lists a poll's most chosen options; several mean a tie.
	Winners      []string `json:"winners"`
	ClosedHeight int64    `json:"closed_height"`
	// Root is a decision's Merkle root over its counted ballots and tally
	// (DecisionLeaves, proof.go), in hex; empty for polls.
	Root string `json:"root"`
}

// ResultRow is one published line of a result: a unit of the electorate
// and its owner's ballot (decisions), or one member's vote (polls). It
// carries unit numbers and areas, never names.
type ResultRow struct {
	Unit     string `json:"unit"`
	Building string `json:"building"`
	Area     int64  `json:"area"`
	Owner    string `json:"owner"`
	// Choice is the option text, or several joined by "、" on a
	// multi-select poll; empty when the owner did not vote.
	Choice string `json:"choice"`
	TxHash string `json:"tx_hash"`
	Height int64  `json:"height"`
	// Channel is the counted ballot's channel (chat, paper, proxy);
	// empty when the owner did not vote and on polls.
	Channel string `json:"channel"`
}

func keyResult(id uint64) string              { return fmt.Sprintf("result/%020d", id) }
func keyResultRow(id uint64, k string) string { return fmt.Sprintf("resultrow/%020d/%s", id, k) }
func prefixResultRows(id uint64) string       { return fmt.Sprintf("resultrow/%020d/", id) }

// electorateSet is the owners of an electorate with the units and area
// that count for each.
type electorateSet struct {
	Owners map[string][]Unit
	Order  []string // owner labels, sorted
	Area   int64
}

// electorate collects the owners of units in buildings (all units when
// buildings is empty), summing each owner's areas inside it.
func electorate(r reader, buildings []string) electorateSet {
	e := electorateSet{Owners: map[string][]Unit{}}
	add := func(k string, b []byte) bool {
		u := decode[Unit](k, b)
		if _, ok := e.Owners[u.Owner]; !ok {
			e.Order = append(e.Order, u.Owner)
		}
		e.Owners[u.Owner] = append(e.Owners[u.Owner], u)
		e.Area += u.Area
		return true
	}
	if len(buildings) == 0 {
		r.scan("unit/", add)
	} else {
		for _, b := range buildings {
			for _, n := range suffixes(r, "bldunit/"+b+"/") {
				v, _ := r.get(keyUnit(n))
				add(keyUnit(n), v)
			}
		}
	}
	sort.Strings(e.Order)
	return e
}

// QuorumShort is how much of total is still missing for voted to reach
// two thirds of it (Civil Code §278's participation, bound included):
// ⌈2·total/3⌉ − voted, or 0 once reached. Exact in integers.
func QuorumShort(voted, total int64) int64 {
	return max(0, (2*total+2)/3-voted)
}

func (e electorateSet) ownerArea(owner string) int64 {
	var a int64
	for _, u := range e.Owners[owner] {
		a += u.Area
	}
	return a
}

// ownerArea sums an owner's unit areas inside buildings (all when empty).
func ownerArea(r reader, owner string, buildings []string) int64 {
	var a int64
	for _, n := range suffixes(r, prefixOwnerUnits(owner)) {
		u, _ := get[Unit](r, keyUnit(n))
		if inBuildings(buildings, u.Building) {
			a += u.Area
		}
	}
	return a
}

// closeDue tallies every open proposal whose voting ended at or before the
// block time. FinalizeBlock runs it before the block's txs, so the tally
// lands in the first block at or after the end.
func closeDue(ctx *Context) {
	var due []string
	ctx.st.scan("closing/", func(k string, _ []byte) bool {
		end, _ := strconv.ParseInt(k[len("closing/"):len("closing/")+20], 10, 64)
		if end > ctx.Time {
			return false
		}
		due = append(due, k)
		return true
	})
	for _, k := range due {
		ctx.st.delete(k)
		id, _ := strconv.ParseUint(k[len(k)-20:], 10, 64)
		if p, ok := getProposal(ctx.st, id); ok && p.Status == StatusOpen {
			closeProposal(ctx, p)
		}
	}
}

func closeProposal(ctx *Context, p Proposal) {
	res := Result{Proposal: p.ID, Kind: p.Kind, Class: p.Class, ClosedHeight: ctx.Height}
	if p.Kind == KindDecision {
		tally, counts, rows := tallyDecision(ctx, p)
		res.Tally, res.Counts = &tally, counts
		res.Outcome = Decide(p.Class, tally)
		res.Root = DecisionRoot(DecisionLeaves(res, rows))
	} else {
		res.Counts, res.Winners = tallyPoll(ctx, p)
	}
	p.Status, p.ClosedHeight, p.Outcome = StatusClosed, ctx.Height, res.Outcome
	put(ctx.st, keyProposal(p.ID), p)
	put(ctx.st, keyResult(p.ID), res)
	ctx.emit("proposal.closed", "id", strconv.FormatUint(p.ID, 10), "kind", p.Kind, "outcome", res.Outcome,
		"winners", strings.Join(res.Winners, "、"))
}

// tallyDecision counts the ballots of owners in the electorate and
// publishes one row per electorate unit, which it also returns.
func tallyDecision(ctx *Context, p Proposal) (Tally, []OptionCount, []ResultRow) {
	e := electorate(ctx.st, p.Buildings)
	t := Tally{ATot: e.Area, NTot: int64(len(e.Order))}
	counts := make([]OptionCount, len(p.Options))
	for i, o := range p.Options {
		counts[i].Option = o
	}
	var rows []ResultRow
	ballots := map[string]Ballot{}
	ctx.st.scan(prefixBallots(p.ID), func(k string, b []byte) bool {
		bl := decode[Ballot](k, b)
		ballots[bl.Owner] = bl
		return true
	})
	for _, owner := range e.Order {
		bl, voted := ballots[owner]
		area := e.ownerArea(owner)
		if voted {
			t.AP += area
			t.NP++
			counts[bl.Choice].Votes++
			counts[bl.Choice].Area += area
			if bl.Choice == 0 {
				t.AY += area
				t.NY++
			}
		}
		for _, u := range e.Owners[owner] {
			row := ResultRow{Unit: u.Unit, Building: u.Building, Area: u.Area, Owner: owner}
			if voted {
				row.Choice, row.TxHash, row.Height, row.Channel = p.Options[bl.Choice], bl.TxHash, bl.Height, bl.Via()
			}
			put(ctx.st, keyResultRow(p.ID, u.Unit), row)
			rows = append(rows, row)
		}
	}
	return t, counts, rows
}

// tallyPoll counts poll votes and finds the winners, reporting ties.
func tallyPoll(ctx *Context, p Proposal) ([]OptionCount, []string) {
	counts := make([]OptionCount, len(p.Options))
	for i, o := range p.Options {
		counts[i].Option = o
	}
	var votes []PollVote
	ctx.st.scan(prefixPollVotes(p.ID), func(k string, b []byte) bool {
		votes = append(votes, decode[PollVote](k, b))
		return true
	})
	for _, v := range votes {
		var chosen []string
		for _, c := range v.Choices {
			counts[c].Votes++
			chosen = append(chosen, p.Options[c])
		}
		put(ctx.st, keyResultRow(p.ID, v.Unit+"/"+string(v.Member)), ResultRow{
			Unit: v.Unit, Choice: strings.Join(chosen, "、"), TxHash: v.TxHash, Height: v.Height,
		})
	}
	var best int64
	for _, c := range counts {
		best = max(best, c.Votes)
	}
	var winners []string
	for _, c := range counts {
		if best > 0 && c.Votes == best {
			winners = append(winners, c.Option)
		}
	}
	return counts, winners
}
