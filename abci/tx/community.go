package tx

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Limits on community life.
const (
	// MaxCommentBytes bounds a comment (about 200 Chinese characters).
	MaxCommentBytes = 600
	// MaxStatementBytes bounds a dispute statement or outcome.
	MaxStatementBytes = 2000
	// MaxDisputeParties bounds the parties a dispute names besides its
	// opener.
	MaxDisputeParties = 10
)

// AnnouncementPost publishes an announcement (公告) (admin only).
// ExpiresAt, when set, is the unix time after which it is no longer listed
// as current; 0 means it does not expire.
type AnnouncementPost struct {
	Title     string `json:"title"`
	Text      string `json:"text"`
	ExpiresAt int64  `json:"expires_at,omitempty"`
}

func (*AnnouncementPost) Type() Type { return TypeAnnouncementPost }

func (b *AnnouncementPost) Validate() error {
	if err := validText("title", b.Title, MaxTitleBytes, true); err != nil {
		return err
	}
	if err := validText("text", b.Text, MaxTextBytes, true); err != nil {
		return err
	}
	if b.ExpiresAt < 0 {
		return fieldErr("expires_at", "must be a unix time or 0")
	}
	return nil
}

// What a comment can be on.
const (
	CommentOnProposal     = "proposal"
	CommentOnAnnouncement = "announcement"
)

// CommentPost comments on a proposal (or poll) or an announcement (any
// member, tenants too).
type CommentPost struct {
	On     string `json:"on"`
	Target uint64 `json:"target"`
	Text   string `json:"text"`
}

func (*CommentPost) Type() Type { return TypeCommentPost }

func (b *CommentPost) Validate() error {
	switch {
	case b.On != CommentOnProposal && b.On != CommentOnAnnouncement:
		return fieldErr("on", "must be %q or %q", CommentOnProposal, CommentOnAnnouncement)
	case b.Target == 0:
		return fieldErr("target", "is required")
	}
	return validText("text", b.Text, MaxCommentBytes, true)
}

// CommentHide withholds a comment's text from queries (admin only), with a
// recorded reason. The SHA-256 of the text stays on record; the text itself
// remains in the block that carried the comment, as everything on a public
// ledger does.
type CommentHide struct {
	Comment uint64 `json:"comment"`
	Reason  string `json:"reason"`
}

func (*CommentHide) Type() Type { return TypeCommentHide }

func (b *CommentHide) Validate() error {
	if err := requireRecordID("comment", b.Comment); err != nil {
		return err
	}
	return validText("reason", b.Reason, MaxReasonBytes, true)
}

// Kinds of requests residents file.
const (
	RepairKindFeedback = "feedback" // 建议
	RepairKindRepair   = "repair"   // 报修
)

// Statuses of a feedback or repair request. A treasurer or admin moves it
// from open to accepted to done, or to rejected with a reason; the filer
// then confirms a done request (final) or reopens a done or rejected one.
const (
	RepairOpen      = "open"
	RepairAccepted  = "accepted"
	RepairDone      = "done"
	RepairRejected  = "rejected"
	RepairConfirmed = "confirmed"
)

// RepairFile files feedback or a repair request (any member).
type RepairFile struct {
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Text  string `json:"text,omitempty"`
}

func (*RepairFile) Type() Type { return TypeRepairFile }

func (b *RepairFile) Validate() error {
	if b.Kind != RepairKindFeedback && b.Kind != RepairKindRepair {
		return fieldErr("kind", "must be %q or %q", RepairKindFeedback, RepairKindRepair)
	}
	if err := validText("title", b.Title, MaxTitleBytes, true); err != nil {
		return err
	}
	return validText("text", b.Text, MaxStatementBytes, false)
}

// RepairUpdate moves a request to accepted, done or rejected (treasurer or
// admin). Rejecting needs a reason.
type RepairUpdate struct {
	Repair uint64 `json:"repair"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

func (*RepairUpdate) Type() Type { return TypeRepairUpdate }

func (b *RepairUpdate) Validate() error {
	if err := requireRecordID("repair", b.Repair); err != nil {
		return err
	}
	switch b.Status {
	case RepairAccepted, RepairDone:
	case RepairRejected:
		if b.Reason == "" {
			return fieldErr("reason", "is required to reject")
		}
	default:
		return fieldErr("status", "must be %q, %q or %q", RepairAccepted, RepairDone, RepairRejected)
	}
	return validText("reason", b.Reason, MaxReasonBytes, false)
}

// RepairConfirm confirms that a done request was handled (its filer only).
type RepairConfirm struct {
	Repair uint64 `json:"repair"`
}

func (*RepairConfirm) Type() Type { return TypeRepairConfirm }

func (b *RepairConfirm) Validate() error { return requireRecordID("repair", b.Repair) }

// RepairReopen reopens a done or rejected request (its filer only), saying
// why.
type RepairReopen struct {
	Repair uint64 `json:"repair"`
	Reason string `json:"reason"`
}

func (*RepairReopen) Type() Type { return TypeRepairReopen }

func (b *RepairReopen) Validate() error {
	if err := requireRecordID("repair", b.Repair); err != nil {
		return err
	}
	return validText("reason", b.Reason, MaxReasonBytes, true)
}

// Neighbour disputes are personal, so their texts never reach the chain:
// a dispute's opening text, its statements and its outcome are kept by
// the gateway of the party who wrote them (store's private texts), and the
// chain records only a commitment to each (TextCommitment) with who wrote
// it and when. The topic stays public, as do the parties' addresses and
// the dispute's status. The outcome becomes public only when a party
// escalates the dispute to a community poll (DisputeEscalate).

// TextNonceSize is the size of the random nonce of a text commitment.
const TextNonceSize = 16

// TextCommitment returns the commitment the chain records for a private
// text: hex SHA-256 over a domain tag, the nonce and the text. The random
// nonce keeps anyone from confirming a short text ("同意") by hashing
// guesses.
func TextCommitment(nonce []byte, text string) string {
	h := sha256.New()
	h.Write([]byte("linli/private-text/v1\x00"))
	h.Write(nonce)
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil))
}

// ValidPrivateText checks a private text as a body would have: at most
// MaxStatementBytes of UTF-8 without control characters.
func ValidPrivateText(field, text string, required bool) error {
	return validText(field, text, MaxStatementBytes, required)
}

func validCommitment(field, c string, required bool) error {
	if c == "" && !required {
		return nil
	}
	if !isLowerHex(c, 2*sha256.Size) {
		return fieldErr(field, "must be %d lowercase hex digits (a TextCommitment)", 2*sha256.Size)
	}
	return nil
}

// DisputeOpen opens a dispute (any member) on a topic. The opener is a
// party; Parties names the others (sorted, without repeats), whoever they
// are: a neighbour, the property company's address. TextHash, when set,
// commits to the opening text, which stays off the chain.
type DisputeOpen struct {
	Topic    string    `json:"topic"`
	TextHash string    `json:"text_hash,omitempty"`
	Parties  []Address `json:"parties,omitempty"`
}

func (*DisputeOpen) Type() Type { return TypeDisputeOpen }

func (b *DisputeOpen) Validate() error {
	if err := validText("topic", b.Topic, MaxTitleBytes, true); err != nil {
		return err
	}
	if err := validCommitment("text_hash", b.TextHash, false); err != nil {
		return err
	}
	if len(b.Parties) > MaxDisputeParties {
		return fieldErr("parties", "may name at most %d parties", MaxDisputeParties)
	}
	for i, p := range b.Parties {
		if p.Validate() != nil {
			return fieldErr(fmt.Sprintf("parties[%d]", i), "must be 40 lowercase hex digits")
		}
		if i > 0 && p <= b.Parties[i-1] {
			return fieldErr("parties", "must be sorted without repeats")
		}
	}
	return nil
}

// DisputeAssign names a dispute's mediator (admin only): an address with
// the mediator role that is not a party. Assigning again replaces the
// mediator until an outcome is recorded.
type DisputeAssign struct {
	Dispute  uint64  `json:"dispute"`
	Mediator Address `json:"mediator"`
}

func (*DisputeAssign) Type() Type { return TypeDisputeAssign }

func (b *DisputeAssign) Validate() error {
	if err := requireRecordID("dispute", b.Dispute); err != nil {
		return err
	}
	if b.Mediator.Validate() != nil {
		return fieldErr("mediator", "must be 40 lowercase hex digits")
	}
	return nil
}

// DisputeStatement adds a party's statement, until an outcome is recorded;
// TextHash commits to the statement, which stays off the chain.
type DisputeStatement struct {
	Dispute  uint64 `json:"dispute"`
	TextHash string `json:"text_hash"`
}

func (*DisputeStatement) Type() Type { return TypeDisputeStatement }

func (b *DisputeStatement) Validate() error {
	if err := requireRecordID("dispute", b.Dispute); err != nil {
		return err
	}
	return validCommitment("text_hash", b.TextHash, true)
}

// DisputeOutcome records the mediator's written outcome (the assigned
// mediator only); TextHash commits to it, and the text stays off the
// chain.
type DisputeOutcome struct {
	Dispute  uint64 `json:"dispute"`
	TextHash string `json:"text_hash"`
}

func (*DisputeOutcome) Type() Type { return TypeDisputeOutcome }

func (b *DisputeOutcome) Validate() error {
	if err := requireRecordID("dispute", b.Dispute); err != nil {
		return err
	}
	return validCommitment("text_hash", b.TextHash, true)
}

// DisputeEscalate takes a mediated dispute to a community poll, the last
// resort (a party only, once an outcome is recorded, once). The poll opens
// at once, is titled with the dispute's topic and closes at VoteEnd. The
// party publishes the outcome with it: Outcome and OutcomeNonce must open
// the outcome's commitment, and the outcome becomes the poll's text, for
// the neighbours to read before they vote.
type DisputeEscalate struct {
	Dispute      uint64   `json:"dispute"`
	Options      []string `json:"options"`
	VoteEnd      int64    `json:"vote_end"`
	Outcome      string   `json:"outcome"`
	OutcomeNonce string   `json:"outcome_nonce"`
}

func (*DisputeEscalate) Type() Type { return TypeDisputeEscalate }

func (b *DisputeEscalate) Validate() error {
	if err := requireRecordID("dispute", b.Dispute); err != nil {
		return err
	}
	// The poll's own rules apply to the options and end time; its title
	// and start come from state.
	p := PollOpen{Title: "-", Text: b.Outcome, Options: b.Options, VoteStart: 1, VoteEnd: b.VoteEnd}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := validText("outcome", b.Outcome, MaxStatementBytes, true); err != nil {
		return err
	}
	if !isLowerHex(b.OutcomeNonce, 2*TextNonceSize) {
		return fieldErr("outcome_nonce", "must be %d lowercase hex digits", 2*TextNonceSize)
	}
	return nil
}
