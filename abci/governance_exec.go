package abci

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// Ballot is an owner's current vote on a decision. A later ballot replaces
// it until voting closes, as BallotReplaces decides.
type Ballot struct {
	Owner  string     `json:"owner"`
	Choice int        `json:"choice"`
	Member tx.Address `json:"member"`
	TxHash string     `json:"tx_hash"`
	Height int64      `json:"height"`
	// Channel is how the ballot came: ChannelChat, ChannelPaper or
	// ChannelProxy. Ballots recorded before channels existed have none
	// and came from chat (see Via).
	Channel string `json:"channel"`
}

// Ballot channels.
const (
	ChannelChat  = "chat"  // cast by a member bound to the owner
	ChannelPaper = "paper" // a paper sheet entered by two scrutineers
	ChannelProxy = "proxy" // cast by an agent the owner appointed
)

// Via is the ballot's channel, chat for ballots older than channels.
func (b Ballot) Via() string {
	if b.Channel == "" {
		return ChannelChat
	}
	return b.Channel
}

// BallotReplaces decides whether next, a new ballot for an owner, replaces
// cur, that owner's current one. The owner's own ballot (chat or paper)
// always replaces a proxy's, and a proxy's never replaces the owner's
// own, whatever the order; otherwise the latest counts. A ballot's time is
// the block that records it, which for a paper ballot is the second
// scrutineer's entry, so the one applied later is the latest.
func BallotReplaces(cur, next Ballot) bool {
	return next.Via() != ChannelProxy || cur.Via() == ChannelProxy
}

// putBallot records next as the owner's ballot on decision id unless
// the current one prevails (BallotReplaces); it reports whether it did.
func putBallot(ctx *Context, id uint64, next Ballot) bool {
	if cur, ok := get[Ballot](ctx.st, keyBallot(id, next.Owner)); ok && !BallotReplaces(cur, next) {
		return false
	}
	put(ctx.st, keyBallot(id, next.Owner), next)
	return true
}

// PollVote is a member's current vote on a poll.
type PollVote struct {
	Member  tx.Address `json:"member"`
	Unit    string     `json:"unit"`
	Choices []int      `json:"choices"`
	TxHash  string     `json:"tx_hash"`
	Height  int64      `json:"height"`
}

func keyBallot(id uint64, owner string) string { return fmt.Sprintf("ballot/%020d/%s", id, owner) }
func prefixBallots(id uint64) string           { return fmt.Sprintf("ballot/%020d/", id) }
func keyPollVote(id uint64, a tx.Address) string {
	return fmt.Sprintf("pollvote/%020d/%s", id, a)
}
func prefixPollVotes(id uint64) string { return fmt.Sprintf("pollvote/%020d/", id) }

// execProposalOpen records an owners' decision. Its notice starts at
// NoticeAt or now, whichever is later; voting must leave the chain's
// minimum notice period after that.
func execProposalOpen(ctx *Context, b *tx.ProposalOpen) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	p, err := checkDecision(ctx, b)
	if err != nil {
		return err
	}
	recordProposal(ctx, p)
	return nil
}

func checkDecision(ctx *Context, b *tx.ProposalOpen) (Proposal, error) {
	notice := max(b.NoticeAt, ctx.Time)
	switch {
	case b.VoteStart-notice < ctx.Params.MinNotice:
		return Proposal{}, reject(CodeNoticeTooShort, "voting starts %d s after notice, the minimum is %d s", b.VoteStart-notice, ctx.Params.MinNotice)
	case b.VoteEnd-b.VoteStart < ctx.Params.MinVoting:
		return Proposal{}, reject(CodeVotingTooShort, "voting lasts %d s, the minimum is %d s", b.VoteEnd-b.VoteStart, ctx.Params.MinVoting)
	case b.VoteEnd-b.VoteStart > ctx.Params.MaxVoting:
		return Proposal{}, reject(CodeVotingTooLong, "voting lasts %d s, the maximum is %d s", b.VoteEnd-b.VoteStart, ctx.Params.MaxVoting)
	}
	if err := checkBuildings(ctx, b.Buildings); err != nil {
		return Proposal{}, err
	}
	return Proposal{
		Kind: KindDecision, Title: b.Title, Text: b.Text, Class: b.Class,
		Options: tx.DecisionOptions, Buildings: tx.CanonicalBuildings(b.Buildings),
		NoticeAt: notice, VoteStart: b.VoteStart, VoteEnd: b.VoteEnd,
	}, nil
}

// execProposalAmend replaces a draft's agenda. Once noticed, the agenda is
// frozen.
func execProposalAmend(ctx *Context, b *tx.ProposalAmend) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	old, ok := getProposal(ctx.st, b.ID)
	if !ok || old.Kind != KindDecision {
		return reject(CodeProposalNotFound, "no decision %d", b.ID)
	}
	if old.Status != StatusOpen || ctx.Time >= old.NoticeAt {
		return reject(CodeAgendaFrozen, "decision %d was noticed at %d; its agenda is frozen", b.ID, old.NoticeAt)
	}
	p, err := checkDecision(ctx, &b.ProposalOpen)
	if err != nil {
		return err
	}
	ctx.st.delete(keyClosing(old.VoteEnd, old.ID))
	p.ID, p.Proposer, p.Height, p.Status = old.ID, old.Proposer, old.Height, StatusOpen
	put(ctx.st, keyProposal(p.ID), p)
	ctx.st.set(keyClosing(p.VoteEnd, p.ID), marker)
	ctx.emit("proposal.amended", "id", strconv.FormatUint(p.ID, 10))
	return nil
}

// execProposalCancel cancels a decision or poll before its voting opens.
func execProposalCancel(ctx *Context, b *tx.ProposalCancel) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	p, ok := getProposal(ctx.st, b.ID)
	switch {
	case !ok:
		return reject(CodeProposalNotFound, "no proposal %d", b.ID)
	case p.Status == StatusCanceled:
		return reject(CodeProposalCanceled, "proposal %d is already canceled", b.ID)
	case p.Status != StatusOpen || ctx.Time >= p.VoteStart:
		return reject(CodeCancelTooLate, "voting on %d opened at %d", b.ID, p.VoteStart)
	}
	p.Status, p.CancelReason = StatusCanceled, b.Reason
	put(ctx.st, keyProposal(p.ID), p)
	ctx.st.delete(keyClosing(p.VoteEnd, p.ID))
	ctx.emit("proposal.canceled", "id", strconv.FormatUint(p.ID, 10), "reason", b.Reason)
	return nil
}

func execPollOpen(ctx *Context, b *tx.PollOpen) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	_, err := openPoll(ctx, b, "")
	return err
}

// execVoteCast records a ballot (decisions: per owner) or a poll vote (per
// member), replacing any earlier one by the same voter.
func execVoteCast(ctx *Context, b *tx.VoteCast) error {
	p, ok := getProposal(ctx.st, b.Proposal)
	switch {
	case !ok:
		return reject(CodeProposalNotFound, "no proposal %d", b.Proposal)
	case p.Status == StatusCanceled:
		return reject(CodeProposalCanceled, "proposal %d is canceled", p.ID)
	case p.Status == StatusClosed || ctx.Time >= p.VoteEnd:
		return reject(CodeVotingClosed, "voting on %d closed at %d", p.ID, p.VoteEnd)
	case ctx.Time < p.VoteStart:
		return reject(CodeVotingNotOpen, "voting on %d opens at %d", p.ID, p.VoteStart)
	}
	for _, c := range b.Choices {
		if c >= len(p.Options) {
			return reject(CodeBadChoice, "proposal %d has %d options", p.ID, len(p.Options))
		}
	}
	if len(b.Choices) > 1 && !p.Multi {
		return reject(CodeBadChoice, "proposal %d takes one choice", p.ID)
	}
	if b.Owner != "" && !speaksFor(ctx.st, ctx.Signer, b.Owner) {
		return castProxyBallot(ctx, p, b)
	}
	m, ok := get[Member](ctx.st, keyMember(ctx.Signer))
	if !ok {
		return reject(CodeNotMember, "signer is not bound to a unit")
	}
	unit, _ := get[Unit](ctx.st, keyUnit(m.Unit))
	id := strconv.FormatUint(p.ID, 10)
	if p.Kind == KindPoll {
		if p.OwnersOnly && m.Relation != tx.RelationOwner {
			return reject(CodeTenantCannotVote, "poll %d is for owners only", p.ID)
		}
		if !inBuildings(p.Buildings, unit.Building) {
			return reject(CodeNotInElectorate, "unit %s is not in the poll's buildings", unit.Unit)
		}
		put(ctx.st, keyPollVote(p.ID, ctx.Signer), PollVote{Member: ctx.Signer, Unit: m.Unit, Choices: b.Choices, TxHash: ctx.TxHash, Height: ctx.Height})
		ctx.emit("vote.cast", "proposal", id, "unit", m.Unit)
		awardPointsOnce(ctx, ctx.Signer, PointsForVote, "proposal/"+id)
		return nil
	}
	if m.Relation != tx.RelationOwner {
		return reject(CodeTenantCannotVote, "tenants cannot vote in owners' decisions")
	}
	// The voter's own unit is the owner's; look further only when it is
	// outside the electorate.
	if !inBuildings(p.Buildings, unit.Building) && !ownerInElectorate(ctx.st, unit.Owner, p.Buildings) {
		return reject(CodeNotInElectorate, "owner %s has no unit in the electorate of %d", unit.Owner, p.ID)
	}
	putBallot(ctx, p.ID, Ballot{Owner: unit.Owner, Choice: b.Choices[0], Member: ctx.Signer, TxHash: ctx.TxHash, Height: ctx.Height, Channel: ChannelChat})
	// The event names the owner, not the choice: how someone voted is
	// published with the result, after voting closes.
	ctx.emit("vote.cast", "proposal", id, "owner", unit.Owner, "channel", ChannelChat)
	awardPointsOnce(ctx, ctx.Signer, PointsForVote, "proposal/"+id)
	return nil
}

func inBuildings(buildings []string, b string) bool {
	if len(buildings) == 0 {
		return true
	}
	for _, x := range buildings {
		if x == b {
			return true
		}
	}
	return false
}

func ownerInElectorate(r reader, owner string, buildings []string) bool {
	found := false
	r.scan(prefixOwnerUnits(owner), func(k string, _ []byte) bool {
		u, _ := get[Unit](r, keyUnit(k[len(prefixOwnerUnits(owner)):]))
		found = inBuildings(buildings, u.Building)
		return !found
	})
	return found
}

// Meeting is an owners' request for an extraordinary meeting (Civil Code
// §278 and the property regulations: 20% of area and of heads).
type Meeting struct {
	ID      string `json:"id"`
	Topic   string `json:"topic"`
	Text    string `json:"text"`
	Owners  int64  `json:"owners"`
	Area    int64  `json:"area"`
	Due     bool   `json:"due"`
	DueAt   int64  `json:"due_at"`
	Opened  int64  `json:"opened"`
	Updated int64  `json:"updated"`
}

func meetingID(topic string) string {
	h := sha256.Sum256([]byte(topic))
	return hex.EncodeToString(h[:8])
}
func keyMeeting(id string) string           { return "meeting/" + id }
func keyMeetingSig(id, owner string) string { return "meetingsig/" + id + "/" + owner }
func prefixMeetingSigs(id string) string    { return "meetingsig/" + id + "/" }

// execMeetingRequest adds the signer's owner to a meeting request. When
// the signing owners reach 20% of the community's area and heads, the
// request is recorded as due.
func execMeetingRequest(ctx *Context, b *tx.MeetingRequest) error {
	m, ok := get[Member](ctx.st, keyMember(ctx.Signer))
	if !ok {
		return reject(CodeNotMember, "signer is not bound to a unit")
	}
	if m.Relation != tx.RelationOwner {
		return reject(CodeTenantCannotVote, "only owners can request an owners' meeting")
	}
	unit, _ := get[Unit](ctx.st, keyUnit(m.Unit))
	id := meetingID(b.Topic)
	if has(ctx.st, keyMeetingSig(id, unit.Owner)) {
		return reject(CodeAlreadyRequested, "owner %s already signed request %s", unit.Owner, id)
	}
	mt, ok := get[Meeting](ctx.st, keyMeeting(id))
	if !ok {
		mt = Meeting{ID: id, Topic: b.Topic, Text: b.Text, Opened: ctx.Height}
		ctx.created("meeting", id)
	}
	ctx.st.set(keyMeetingSig(id, unit.Owner), marker)
	mt.Owners++
	mt.Area += ownerArea(ctx.st, unit.Owner, nil)
	mt.Updated = ctx.Height
	ctx.emit("meeting.signed", "id", id, "owner", unit.Owner)
	if !mt.Due {
		all := electorate(ctx.st, nil)
		if 5*mt.Area >= all.Area && 5*mt.Owners >= int64(len(all.Owners)) {
			mt.Due, mt.DueAt = true, ctx.Time
			ctx.emit("meeting.due", "id", id, "topic", b.Topic)
		}
	}
	put(ctx.st, keyMeeting(id), mt)
	return nil
}
