package abci

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// Announcement is a notice (公告) posted by an admin.
type Announcement struct {
	ID    uint64     `json:"id"`
	Title string     `json:"title"`
	Text  string     `json:"text"`
	By    tx.Address `json:"by"`
	// ExpiresAt is the unix time from which it is no longer current; 0
	// means never.
	ExpiresAt int64  `json:"expires_at"`
	Time      int64  `json:"time"`
	TxHash    string `json:"tx_hash"`
	Height    int64  `json:"height"`
}

// Comment is a member's comment on a proposal or an announcement. A hidden
// comment keeps the SHA-256 of its text; the text itself is dropped from
// state and from query answers (the block that carried it still holds it).
type Comment struct {
	ID       uint64     `json:"id"`
	On       string     `json:"on"`
	Target   uint64     `json:"target"`
	Author   tx.Address `json:"author"`
	Unit     string     `json:"unit"`
	Text     string     `json:"text"`
	TextHash string     `json:"text_hash"`
	Hidden   bool       `json:"hidden"`
	// HideReason and HiddenBy record why and by whom it was hidden.
	HideReason   string     `json:"hide_reason"`
	HiddenBy     tx.Address `json:"hidden_by"`
	HiddenHeight int64      `json:"hidden_height"`
	Time         int64      `json:"time"`
	Height       int64      `json:"height"`
}

// Repair is a piece of feedback (建议) or a repair request (报修).
type Repair struct {
	ID     uint64     `json:"id"`
	Kind   string     `json:"kind"`
	Title  string     `json:"title"`
	Text   string     `json:"text"`
	Filer  tx.Address `json:"filer"`
	Unit   string     `json:"unit"`
	Status string     `json:"status"`
	// Reason is the reason given with the latest step, if any.
	Reason  string `json:"reason"`
	Steps   int64  `json:"steps"`
	Height  int64  `json:"height"`
	Updated int64  `json:"updated"`
}

// RepairStep is one status change of a repair, kept in order.
type RepairStep struct {
	N      int64      `json:"n"`
	Status string     `json:"status"`
	By     tx.Address `json:"by"`
	Reason string     `json:"reason"`
	Time   int64      `json:"time"`
	Height int64      `json:"height"`
}

// Dispute statuses: open (no mediator yet), mediating, resolved (an
// outcome is recorded) and escalated (a poll decides).
const (
	DisputeOpen      = "open"
	DisputeMediating = "mediating"
	DisputeResolved  = "resolved"
	DisputeEscalated = "escalated"
)

// Dispute is a disagreement between members taken to mediation: discussion,
// a neutral mediator's written outcome, and a poll as the last resort. Its
// texts are not on the chain: TextHash and OutcomeHash are commitments to
// the opening text and the outcome, which the writers' gateway keeps (see
// tx.TextCommitment).
type Dispute struct {
	ID       uint64     `json:"id"`
	Topic    string     `json:"topic"`
	TextHash string     `json:"text_hash"`
	Opener   tx.Address `json:"opener"`
	// Parties are the opener and the parties it named, sorted.
	Parties     []tx.Address `json:"parties"`
	Mediator    tx.Address   `json:"mediator"`
	Status      string       `json:"status"`
	OutcomeHash string       `json:"outcome_hash"`
	Statements  int64        `json:"statement_count"`
	// Poll is the poll a party escalated to; the poll's origin names this
	// dispute back.
	Poll    uint64 `json:"poll"`
	Height  int64  `json:"height"`
	Updated int64  `json:"updated"`
}

// Statement is a party's statement in a dispute: who made it, when, and a
// commitment to its text, which stays off the chain.
type Statement struct {
	N        int64      `json:"n"`
	By       tx.Address `json:"by"`
	TextHash string     `json:"text_hash"`
	Time     int64      `json:"time"`
	Height   int64      `json:"height"`
}

// MemberPoints is an address's participation points.
type MemberPoints struct {
	Address tx.Address `json:"address"`
	// Unit is the unit the address was bound to at its latest award.
	Unit   string `json:"unit"`
	Points int64  `json:"points"`
}

// UnitPoints is a unit's participation points: the sum of what its
// members earned while bound to it. The leaderboard shows these, by unit
// number only.
type UnitPoints struct {
	Unit   string `json:"unit"`
	Points int64  `json:"points"`
}

// Reasons for participation points; each amount is a chain parameter.
const (
	PointsForVote            = "vote"
	PointsForShare           = "share"
	PointsForBookingDone     = "booking_done"
	PointsForRepairConfirmed = "repair_confirmed"
)

// Community state keys. Ids are zero-padded so scans run in numeric order.
func keyAnnouncement(id uint64) string { return fmt.Sprintf("announcement/%020d", id) }
func keyComment(id uint64) string      { return fmt.Sprintf("comment/%020d", id) }
func keyTargetComment(on string, target, id uint64) string {
	return fmt.Sprintf("comments/%s/%020d/%020d", on, target, id)
}
func prefixTargetComments(on string, target uint64) string {
	return fmt.Sprintf("comments/%s/%020d/", on, target)
}
func keyRepair(id uint64) string              { return fmt.Sprintf("repair/%020d", id) }
func keyRepairStep(id uint64, n int64) string { return fmt.Sprintf("repairstep/%020d/%020d", id, n) }
func prefixRepairSteps(id uint64) string      { return fmt.Sprintf("repairstep/%020d/", id) }
func keyDispute(id uint64) string             { return fmt.Sprintf("dispute/%020d", id) }
func keyStatement(id uint64, n int64) string  { return fmt.Sprintf("disputestmt/%020d/%020d", id, n) }
func prefixStatements(id uint64) string       { return fmt.Sprintf("disputestmt/%020d/", id) }
func keyMemberPoints(a tx.Address) string     { return "points/addr/" + string(a) }
func keyUnitPoints(u string) string           { return "points/unit/" + u }

const prefixUnitPoints = "points/unit/"

// keyPointsGiven marks that a has had its points for reason on ref.
func keyPointsGiven(reason, ref string, a tx.Address) string {
	return "pointsgiven/" + reason + "/" + ref + "/" + string(a)
}

const (
	seqAnnouncement = "seq/announcement"
	seqComment      = "seq/comment"
	seqRepair       = "seq/repair"
	seqDispute      = "seq/dispute"
)

func execAnnouncementPost(ctx *Context, b *tx.AnnouncementPost) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	if b.ExpiresAt != 0 && b.ExpiresAt <= ctx.Time {
		return reject(CodeExpiryInPast, "expires_at %d is not after block time %d", b.ExpiresAt, ctx.Time)
	}
	a := Announcement{
		ID: nextID(ctx.st, seqAnnouncement), Title: b.Title, Text: b.Text, By: ctx.Signer,
		ExpiresAt: b.ExpiresAt, Time: ctx.Time, TxHash: ctx.TxHash, Height: ctx.Height,
	}
	put(ctx.st, keyAnnouncement(a.ID), a)
	ctx.emit("announcement.posted", "id", uintStr(a.ID), "expires_at", strconv.FormatInt(a.ExpiresAt, 10))
	ctx.created("announcement", uintStr(a.ID))
	return nil
}

func execCommentPost(ctx *Context, b *tx.CommentPost) error {
	m, err := boundSigner(ctx)
	if err != nil {
		return err
	}
	switch {
	case b.On == tx.CommentOnProposal && !proposalExists(ctx.st, b.Target):
		return reject(CodeProposalNotFound, "no proposal %d", b.Target)
	case b.On == tx.CommentOnAnnouncement && !has(ctx.st, keyAnnouncement(b.Target)):
		return reject(CodeAnnouncementNotFound, "no announcement %d", b.Target)
	}
	sum := sha256.Sum256([]byte(b.Text))
	c := Comment{
		ID: nextID(ctx.st, seqComment), On: b.On, Target: b.Target, Author: ctx.Signer, Unit: m.Unit,
		Text: b.Text, TextHash: hex.EncodeToString(sum[:]), Time: ctx.Time, Height: ctx.Height,
	}
	put(ctx.st, keyComment(c.ID), c)
	ctx.st.set(keyTargetComment(c.On, c.Target, c.ID), marker)
	ctx.emit("comment.posted", "id", uintStr(c.ID), "on", c.On, "target", uintStr(c.Target), "unit", c.Unit)
	ctx.created("comment", uintStr(c.ID))
	return nil
}

// execCommentHide withholds a comment's text, keeping its hash and a
// recorded reason.
func execCommentHide(ctx *Context, b *tx.CommentHide) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	c, ok := get[Comment](ctx.st, keyComment(b.Comment))
	switch {
	case !ok:
		return reject(CodeCommentNotFound, "no comment %d", b.Comment)
	case c.Hidden:
		return reject(CodeCommentHidden, "comment %d was hidden at height %d", c.ID, c.HiddenHeight)
	}
	c.Text, c.Hidden, c.HideReason, c.HiddenBy, c.HiddenHeight = "", true, b.Reason, ctx.Signer, ctx.Height
	put(ctx.st, keyComment(c.ID), c)
	ctx.emit("comment.hidden", "id", uintStr(c.ID), "reason", b.Reason)
	return nil
}

func execRepairFile(ctx *Context, b *tx.RepairFile) error {
	m, err := boundSigner(ctx)
	if err != nil {
		return err
	}
	r := Repair{
		ID: nextID(ctx.st, seqRepair), Kind: b.Kind, Title: b.Title, Text: b.Text,
		Filer: ctx.Signer, Unit: m.Unit, Height: ctx.Height,
	}
	repairStep(ctx, &r, tx.RepairOpen, "")
	ctx.emit("repair.filed", "id", uintStr(r.ID), "kind", r.Kind, "unit", r.Unit)
	ctx.created("repair", uintStr(r.ID))
	return nil
}

// repairStep moves r to status, records the step and stores r.
func repairStep(ctx *Context, r *Repair, status, reason string) {
	r.Steps++
	r.Status, r.Reason, r.Updated = status, reason, ctx.Height
	put(ctx.st, keyRepair(r.ID), *r)
	put(ctx.st, keyRepairStep(r.ID, r.Steps), RepairStep{
		N: r.Steps, Status: status, By: ctx.Signer, Reason: reason, Time: ctx.Time, Height: ctx.Height,
	})
}

// repairMoves lists the statuses a treasurer or admin may move a request
// to from each status.
var repairMoves = map[string][]string{
	tx.RepairOpen:     {tx.RepairAccepted, tx.RepairRejected},
	tx.RepairAccepted: {tx.RepairDone, tx.RepairRejected},
}

// execRepairUpdate moves a request along open → accepted → done, or to
// rejected with a reason (treasurer or admin).
func execRepairUpdate(ctx *Context, b *tx.RepairUpdate) error {
	if !hasRole(ctx.st, ctx.Signer, tx.RoleTreasurer) && !hasRole(ctx.st, ctx.Signer, tx.RoleAdmin) {
		return reject(CodeUnauthorized, "signer %s is neither treasurer nor admin", ctx.Signer)
	}
	r, ok := get[Repair](ctx.st, keyRepair(b.Repair))
	if !ok {
		return reject(CodeRepairNotFound, "no repair %d", b.Repair)
	}
	if !slices.Contains(repairMoves[r.Status], b.Status) {
		return reject(CodeRepairState, "repair %d is %s; it cannot become %s", r.ID, r.Status, b.Status)
	}
	repairStep(ctx, &r, b.Status, b.Reason)
	ctx.emit("repair.updated", "id", uintStr(r.ID), "status", r.Status, "reason", b.Reason)
	return nil
}

// filerRepair loads a request the signer filed.
func filerRepair(ctx *Context, id uint64) (Repair, error) {
	if _, err := boundSigner(ctx); err != nil {
		return Repair{}, err
	}
	r, ok := get[Repair](ctx.st, keyRepair(id))
	switch {
	case !ok:
		return r, reject(CodeRepairNotFound, "no repair %d", id)
	case r.Filer != ctx.Signer:
		return r, reject(CodeNotFiler, "repair %d was filed by %s", id, r.Filer)
	}
	return r, nil
}

// execRepairConfirm closes a done request for good and gives the filer
// their points.
func execRepairConfirm(ctx *Context, b *tx.RepairConfirm) error {
	r, err := filerRepair(ctx, b.Repair)
	if err != nil {
		return err
	}
	if r.Status != tx.RepairDone {
		return reject(CodeRepairState, "repair %d is %s, not done", r.ID, r.Status)
	}
	repairStep(ctx, &r, tx.RepairConfirmed, "")
	ctx.emit("repair.confirmed", "id", uintStr(r.ID))
	awardPointsOnce(ctx, r.Filer, PointsForRepairConfirmed, "repair/"+uintStr(r.ID))
	return nil
}

// execRepairReopen sends a done or rejected request back to open.
func execRepairReopen(ctx *Context, b *tx.RepairReopen) error {
	r, err := filerRepair(ctx, b.Repair)
	if err != nil {
		return err
	}
	if r.Status != tx.RepairDone && r.Status != tx.RepairRejected {
		return reject(CodeRepairState, "repair %d is %s; only done or rejected requests reopen", r.ID, r.Status)
	}
	repairStep(ctx, &r, tx.RepairOpen, b.Reason)
	ctx.emit("repair.reopened", "id", uintStr(r.ID), "reason", b.Reason)
	return nil
}

func execDisputeOpen(ctx *Context, b *tx.DisputeOpen) error {
	m, err := boundSigner(ctx)
	if err != nil {
		return err
	}
	parties := append([]tx.Address{ctx.Signer}, b.Parties...)
	slices.Sort(parties)
	parties = slices.Compact(parties)
	d := Dispute{
		ID: nextID(ctx.st, seqDispute), Topic: b.Topic, TextHash: b.TextHash, Opener: ctx.Signer,
		Parties: parties, Status: DisputeOpen, Height: ctx.Height, Updated: ctx.Height,
	}
	put(ctx.st, keyDispute(d.ID), d)
	ctx.emit("dispute.opened", "id", uintStr(d.ID), "unit", m.Unit, "parties", strconv.Itoa(len(parties)))
	ctx.created("dispute", uintStr(d.ID))
	return nil
}

func getDispute(ctx *Context, id uint64) (Dispute, error) {
	d, ok := get[Dispute](ctx.st, keyDispute(id))
	if !ok {
		return d, reject(CodeDisputeNotFound, "no dispute %d", id)
	}
	return d, nil
}

// execDisputeAssign names (or replaces) a dispute's mediator: someone
// holding the mediator role who is not a party.
func execDisputeAssign(ctx *Context, b *tx.DisputeAssign) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	d, err := getDispute(ctx, b.Dispute)
	switch {
	case err != nil:
		return err
	case d.Status != DisputeOpen && d.Status != DisputeMediating:
		return reject(CodeDisputeState, "dispute %d is %s", d.ID, d.Status)
	case slices.Contains(d.Parties, b.Mediator):
		return reject(CodeMediatorIsParty, "%s is a party to dispute %d", b.Mediator, d.ID)
	case !hasRole(ctx.st, b.Mediator, tx.RoleMediator):
		return reject(CodeNotMediator, "%s does not have the mediator role", b.Mediator)
	}
	d.Mediator, d.Status, d.Updated = b.Mediator, DisputeMediating, ctx.Height
	put(ctx.st, keyDispute(d.ID), d)
	ctx.emit("dispute.assigned", "id", uintStr(d.ID), "mediator", string(b.Mediator))
	return nil
}

// execDisputeStatement adds a party's statement until an outcome is
// recorded.
func execDisputeStatement(ctx *Context, b *tx.DisputeStatement) error {
	d, err := getDispute(ctx, b.Dispute)
	switch {
	case err != nil:
		return err
	case !slices.Contains(d.Parties, ctx.Signer):
		return reject(CodeNotDisputeParty, "signer is not a party to dispute %d", d.ID)
	case d.Status != DisputeOpen && d.Status != DisputeMediating:
		return reject(CodeDisputeState, "dispute %d is %s", d.ID, d.Status)
	}
	d.Statements++
	d.Updated = ctx.Height
	put(ctx.st, keyDispute(d.ID), d)
	put(ctx.st, keyStatement(d.ID, d.Statements), Statement{N: d.Statements, By: ctx.Signer, TextHash: b.TextHash, Time: ctx.Time, Height: ctx.Height})
	ctx.emit("dispute.statement", "id", uintStr(d.ID), "n", strconv.FormatInt(d.Statements, 10))
	return nil
}

// execDisputeOutcome records the assigned mediator's written outcome.
func execDisputeOutcome(ctx *Context, b *tx.DisputeOutcome) error {
	d, err := getDispute(ctx, b.Dispute)
	switch {
	case err != nil:
		return err
	case d.Mediator == "" || d.Mediator != ctx.Signer:
		return reject(CodeNotAssignedMediator, "signer is not the mediator of dispute %d", d.ID)
	case !hasRole(ctx.st, ctx.Signer, tx.RoleMediator):
		return reject(CodeNotMediator, "signer no longer has the mediator role")
	case d.Status != DisputeMediating:
		return reject(CodeDisputeState, "dispute %d is %s", d.ID, d.Status)
	}
	d.OutcomeHash, d.Status, d.Updated = b.TextHash, DisputeResolved, ctx.Height
	put(ctx.st, keyDispute(d.ID), d)
	ctx.emit("dispute.resolved", "id", uintStr(d.ID))
	return nil
}

// execDisputeEscalate opens a poll on a mediated dispute, once, and links
// the two: the dispute records the poll, the poll's origin the dispute.
// The escalating party publishes the outcome, which must open the
// commitment the mediator recorded, as the poll's text.
func execDisputeEscalate(ctx *Context, b *tx.DisputeEscalate) error {
	d, err := getDispute(ctx, b.Dispute)
	switch {
	case err != nil:
		return err
	case !slices.Contains(d.Parties, ctx.Signer):
		return reject(CodeNotDisputeParty, "signer is not a party to dispute %d", d.ID)
	case d.Status != DisputeResolved:
		return reject(CodeDisputeState, "dispute %d is %s; only a mediated dispute escalates, once", d.ID, d.Status)
	}
	nonce, _ := hex.DecodeString(b.OutcomeNonce)
	if tx.TextCommitment(nonce, b.Outcome) != d.OutcomeHash {
		return reject(CodeOutcomeMismatch, "the outcome given does not match the one recorded for dispute %d", d.ID)
	}
	poll, err := openPoll(ctx, &tx.PollOpen{
		Title: d.Topic, Text: b.Outcome, Options: b.Options, VoteStart: ctx.Time, VoteEnd: b.VoteEnd,
	}, "dispute/"+uintStr(d.ID))
	if err != nil {
		return err
	}
	d.Poll, d.Status, d.Updated = poll, DisputeEscalated, ctx.Height
	put(ctx.st, keyDispute(d.ID), d)
	ctx.emit("dispute.escalated", "id", uintStr(d.ID), "poll", uintStr(poll))
	return nil
}

// pointsFor returns the points a reason earns under p; unknown reasons
// earn nothing.
func pointsFor(p Params, reason string) int64 {
	switch reason {
	case PointsForVote:
		return p.PointsVote
	case PointsForShare:
		return p.PointsShare
	case PointsForBookingDone:
		return p.PointsBookingDone
	case PointsForRepairConfirmed:
		return p.PointsRepairConfirmed
	}
	return 0
}

func validPoints(n int64) bool { return n >= 0 && n <= 1000 }

// awardPoints gives a the participation points the chain's parameters set
// for reason (one of the PointsFor constants), adding them to a's total
// and, when a is bound, to its unit's total for the leaderboard. Points
// are never transferable and never voting weight. Use awardPointsOnce
// when the same act can be repeated (a changed ballot).
func awardPoints(ctx *Context, a tx.Address, reason string) {
	n := pointsFor(ctx.Params, reason)
	if n <= 0 {
		return
	}
	mp, _ := get[MemberPoints](ctx.st, keyMemberPoints(a))
	mp.Address, mp.Points = a, addPoints(mp.Points, n)
	unit := ""
	if m, ok := get[Member](ctx.st, keyMember(a)); ok {
		unit, mp.Unit = m.Unit, m.Unit
		up, _ := get[UnitPoints](ctx.st, keyUnitPoints(unit))
		up.Unit, up.Points = unit, addPoints(up.Points, n)
		put(ctx.st, keyUnitPoints(unit), up)
	}
	put(ctx.st, keyMemberPoints(a), mp)
	ctx.emit("points.awarded", "address", string(a), "unit", unit, "reason", reason, "points", strconv.FormatInt(n, 10))
}

// awardPointsOnce is awardPoints at most once per address, reason and ref
// (what the points are for, such as "proposal/7" or "booking/3").
func awardPointsOnce(ctx *Context, a tx.Address, reason, ref string) {
	if pointsFor(ctx.Params, reason) <= 0 {
		return
	}
	k := keyPointsGiven(reason, ref, a)
	if has(ctx.st, k) {
		return
	}
	ctx.st.set(k, marker)
	awardPoints(ctx, a, reason)
}

// addPoints adds without overflowing: a total stops at the largest int64.
func addPoints(total, n int64) int64 {
	if total > math.MaxInt64-n {
		return math.MaxInt64
	}
	return total + n
}
