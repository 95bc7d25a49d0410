package abci

import (
	"fmt"
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// Proposal kinds.
const (
	KindDecision = "decision" // owners' decision under Civil Code §278
	KindPoll     = "poll"     // non-binding poll
)

// Proposal statuses. Within StatusOpen the phase (draft, noticed, voting)
// follows from block time; see Phase.
const (
	StatusOpen     = "open"
	StatusCanceled = "canceled"
	StatusClosed   = "closed"
)

// Outcomes of a decision's tally.
const (
	OutcomePassed       = "passed"
	OutcomeRejected     = "rejected"
	OutcomeFailedQuorum = "failed_quorum"
)

// Proposal is an owners' decision or a poll.
type Proposal struct {
	ID         uint64     `json:"id"`
	Kind       string     `json:"kind"`
	Title      string     `json:"title"`
	Text       string     `json:"text"`
	Class      string     `json:"class"`
	Options    []string   `json:"options"`
	OwnersOnly bool       `json:"owners_only"`
	Multi      bool       `json:"multi"`
	Buildings  []string   `json:"buildings"`
	NoticeAt   int64      `json:"notice_at"`
	VoteStart  int64      `json:"vote_start"`
	VoteEnd    int64      `json:"vote_end"`
	Proposer   tx.Address `json:"proposer"`
	Height     int64      `json:"height"`
	Status     string     `json:"status"`
	// CancelReason is recorded when an admin cancels before voting opens.
	CancelReason string `json:"cancel_reason"`
	// ClosedHeight is the block whose time reached VoteEnd and tallied.
	ClosedHeight int64 `json:"closed_height"`
	// Outcome is set at close: for decisions passed, rejected or
	// failed_quorum; for polls empty (see Result.Winners).
	Outcome string `json:"outcome"`
	// Origin links a poll to what created it, such as "dispute/7".
	Origin string `json:"origin"`
}

// Phase returns where a proposal stands at block time t: draft (before
// notice), noticed, voting, closed or canceled.
func (p Proposal) Phase(t int64) string {
	switch {
	case p.Status != StatusOpen:
		return p.Status
	case t < p.NoticeAt:
		return "draft"
	case t < p.VoteStart:
		return "noticed"
	case t < p.VoteEnd:
		return "voting"
	}
	return "closing" // the next block tallies it
}

func keyProposalSeq() string { return "seq/proposal" }

// keyProposal pads the id so proposals scan in numeric order.
func keyProposal(id uint64) string { return fmt.Sprintf("proposal/%020d", id) }

// keyClosing indexes open proposals by closing time for the tally.
func keyClosing(end int64, id uint64) string { return fmt.Sprintf("closing/%020d/%020d", end, id) }

func getProposal(r reader, id uint64) (Proposal, bool) { return get[Proposal](r, keyProposal(id)) }

// proposalExists reports whether a proposal or poll with this id exists.
func proposalExists(r reader, id uint64) bool { return has(r, keyProposal(id)) }

// proposalPassed reports whether id is an owners' decision that closed
// with the outcome passed (what spending from the maintenance fund needs).
func proposalPassed(r reader, id uint64) bool {
	p, ok := getProposal(r, id)
	return ok && p.Kind == KindDecision && p.Status == StatusClosed && p.Outcome == OutcomePassed
}

// nextID returns the next number of a sequence.
func nextID(c *cache, key string) uint64 {
	n, _ := get[uint64](c, key)
	n++
	put(c, key, n)
	return n
}

// openPoll records a poll and returns its id. Disputes escalate through it
// too (with origin set).
func openPoll(ctx *Context, b *tx.PollOpen, origin string) (uint64, error) {
	if b.VoteEnd <= ctx.Time {
		return 0, reject(CodeStartInPast, "vote_end %d is not after block time %d", b.VoteEnd, ctx.Time)
	}
	if b.VoteEnd-max(b.VoteStart, ctx.Time) > ctx.Params.MaxVoting {
		return 0, reject(CodeVotingTooLong, "voting may last at most %d s", ctx.Params.MaxVoting)
	}
	if err := checkBuildings(ctx, b.Buildings); err != nil {
		return 0, err
	}
	p := Proposal{
		Kind: KindPoll, Title: b.Title, Text: b.Text, Options: b.Options,
		OwnersOnly: b.OwnersOnly, Multi: b.Multi, Buildings: tx.CanonicalBuildings(b.Buildings),
		NoticeAt: ctx.Time, VoteStart: max(b.VoteStart, ctx.Time), VoteEnd: b.VoteEnd,
		Origin: origin,
	}
	return recordProposal(ctx, p), nil
}

// recordProposal assigns an id, stores p as open and schedules its tally.
func recordProposal(ctx *Context, p Proposal) uint64 {
	p.ID = nextID(ctx.st, keyProposalSeq())
	p.Proposer, p.Height, p.Status = ctx.Signer, ctx.Height, StatusOpen
	put(ctx.st, keyProposal(p.ID), p)
	ctx.st.set(keyClosing(p.VoteEnd, p.ID), marker)
	ctx.emit("proposal.opened", "id", strconv.FormatUint(p.ID, 10), "kind", p.Kind,
		"notice_at", strconv.FormatInt(p.NoticeAt, 10), "vote_start", strconv.FormatInt(p.VoteStart, 10),
		"vote_end", strconv.FormatInt(p.VoteEnd, 10))
	kind := "proposal"
	if p.Kind == KindPoll {
		kind = "poll"
	}
	ctx.created(kind, strconv.FormatUint(p.ID, 10))
	return p.ID
}

func checkBuildings(ctx *Context, buildings []string) error {
	for _, b := range buildings {
		if countPrefixLimit(ctx.st, "bldunit/"+b+"/", 1) == 0 {
			return reject(CodeUnknownBuilding, "building %s has no registered units", b)
		}
	}
	return nil
}

// countPrefixLimit counts keys under prefix, stopping at limit.
func countPrefixLimit(r reader, prefix string, limit int) int {
	n := 0
	r.scan(prefix, func(string, []byte) bool { n++; return n < limit })
	return n
}
