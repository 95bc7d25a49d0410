package tx

import (
	"fmt"
	"slices"
)

// Matter classes of owners' decisions (Civil Code §278).
const (
	// ClassOrdinary: items 1-5 and 9, including using the maintenance
	// fund. Passes with more than half of the participating area and
	// heads.
	ClassOrdinary = "ordinary"
	// ClassSpecial: items 6-8 (raising the maintenance fund, rebuilding,
	// changing the use of common parts or running a business on them).
	// Passes with at least three quarters of the participating area and
	// heads.
	ClassSpecial = "special"
)

// Limits on proposals and polls.
const (
	MaxTitleBytes     = 120
	MaxTextBytes      = 8000
	MaxOptionBytes    = 60
	MinPollOptions    = 2
	MaxPollOptions    = 9
	MaxElectorate     = 50 // buildings named in one electorate
	MaxCancelReason   = MaxReasonBytes
	DecisionOptionYes = 0 // 同意
	DecisionOptionNo  = 1 // 反对
	DecisionOptionAbs = 2 // 弃权
)

// DecisionOptions are the fixed options of every owners' decision, in
// order: agree, oppose, abstain.
var DecisionOptions = []string{"同意", "反对", "弃权"}

// ProposalOpen opens an owners' decision (admin only). The proposal is
// noticed at NoticeAt (the block time it is recorded at, if earlier); from
// then on its agenda is frozen. Voting opens at VoteStart, which must leave
// the chain's minimum notice period after NoticeAt, and closes at VoteEnd,
// when the tally runs by itself.
type ProposalOpen struct {
	Title string `json:"title"`
	Text  string `json:"text"`
	Class string `json:"class"`
	// Buildings limits the electorate to the owners of units in these
	// buildings; empty means the whole community. Any order is accepted,
	// without repeats; the chain stores the list in natural order
	// (CanonicalBuildings).
	Buildings []string `json:"buildings,omitempty"`
	NoticeAt  int64    `json:"notice_at"`
	VoteStart int64    `json:"vote_start"`
	VoteEnd   int64    `json:"vote_end"`
}

func (*ProposalOpen) Type() Type { return TypeProposalOpen }

func (b *ProposalOpen) Validate() error {
	if err := validTitleText(b.Title, b.Text); err != nil {
		return err
	}
	if b.Class != ClassOrdinary && b.Class != ClassSpecial {
		return fieldErr("class", "must be %q or %q", ClassOrdinary, ClassSpecial)
	}
	if err := validBuildings(b.Buildings); err != nil {
		return err
	}
	return validWindow(b.NoticeAt, b.VoteStart, b.VoteEnd)
}

// ProposalAmend replaces the agenda of a proposal that is not yet noticed
// (admin only).
type ProposalAmend struct {
	ID uint64 `json:"id"`
	ProposalOpen
}

func (*ProposalAmend) Type() Type { return TypeProposalAmend }

func (b *ProposalAmend) Validate() error {
	if b.ID == 0 {
		return fieldErr("id", "is required")
	}
	return b.ProposalOpen.Validate()
}

// ProposalCancel cancels a proposal or poll before its voting opens
// (admin only), with a recorded reason.
type ProposalCancel struct {
	ID     uint64 `json:"id"`
	Reason string `json:"reason"`
}

func (*ProposalCancel) Type() Type { return TypeProposalCancel }

func (b *ProposalCancel) Validate() error {
	if b.ID == 0 {
		return fieldErr("id", "is required")
	}
	return validText("reason", b.Reason, MaxCancelReason, true)
}

// PollOpen opens a non-binding poll (admin only): 2-9 options, one vote
// per member, plurality. There is no notice period.
type PollOpen struct {
	Title   string   `json:"title"`
	Text    string   `json:"text"`
	Options []string `json:"options"`
	// OwnersOnly keeps tenants out of the poll.
	OwnersOnly bool `json:"owners_only,omitempty"`
	// Multi lets a voter choose several options.
	Multi     bool     `json:"multi,omitempty"`
	Buildings []string `json:"buildings,omitempty"`
	VoteStart int64    `json:"vote_start"`
	VoteEnd   int64    `json:"vote_end"`
}

func (*PollOpen) Type() Type { return TypePollOpen }

func (b *PollOpen) Validate() error {
	if err := validTitleText(b.Title, b.Text); err != nil {
		return err
	}
	if len(b.Options) < MinPollOptions || len(b.Options) > MaxPollOptions {
		return fieldErr("options", "must list %d-%d options", MinPollOptions, MaxPollOptions)
	}
	seen := map[string]bool{}
	for i, o := range b.Options {
		if err := validText(fmt.Sprintf("options[%d]", i), o, MaxOptionBytes, true); err != nil {
			return err
		}
		if seen[o] {
			return fieldErr(fmt.Sprintf("options[%d]", i), "%q is listed twice", o)
		}
		seen[o] = true
	}
	if err := validBuildings(b.Buildings); err != nil {
		return err
	}
	return validWindow(b.VoteStart, b.VoteStart, b.VoteEnd)
}

// VoteCast casts or replaces a vote. On an owners' decision it is the
// ballot of the owner the signer is bound to, with exactly one choice
// (DecisionOptionYes, No or Abs); on a poll it is the signer's own vote,
// with one choice or, on a multi-select poll, several.
//
// Owner is set when a proxy votes for one of the owners who appointed
// them (ProxyAppoint): the ballot is then that owner's, cast by proxy.
type VoteCast struct {
	Proposal uint64 `json:"proposal"`
	Choices  []int  `json:"choices"`
	Owner    string `json:"owner,omitempty"`
}

func (*VoteCast) Type() Type { return TypeVoteCast }

func (b *VoteCast) Validate() error {
	if b.Proposal == 0 {
		return fieldErr("proposal", "is required")
	}
	if b.Owner != "" && !ValidOwnerLabel(b.Owner) {
		return fieldErr("owner", "is not an owner label")
	}
	if len(b.Choices) == 0 || len(b.Choices) > MaxPollOptions {
		return fieldErr("choices", "must list 1-%d options", MaxPollOptions)
	}
	for i, c := range b.Choices {
		if c < 0 || c >= MaxPollOptions {
			return fieldErr(fmt.Sprintf("choices[%d]", i), "is not an option number")
		}
		if i > 0 && c <= b.Choices[i-1] {
			return fieldErr("choices", "must be in ascending order without repeats")
		}
	}
	return nil
}

// MeetingRequest is an owner's signature on a request for an
// extraordinary owners' meeting. Requests with the same Topic are one
// request; once its signers reach 20% of area and heads it is recorded as
// due.
type MeetingRequest struct {
	Topic string `json:"topic"`
	Text  string `json:"text,omitempty"`
}

func (*MeetingRequest) Type() Type { return TypeMeetingRequest }

func (b *MeetingRequest) Validate() error {
	if err := validText("topic", b.Topic, MaxTitleBytes, true); err != nil {
		return err
	}
	return validText("text", b.Text, MaxTextBytes, false)
}

func validTitleText(title, text string) error {
	if err := validText("title", title, MaxTitleBytes, true); err != nil {
		return err
	}
	return validText("text", text, MaxTextBytes, false)
}

func validBuildings(bs []string) error {
	if len(bs) > MaxElectorate {
		return fieldErr("buildings", "may name at most %d buildings", MaxElectorate)
	}
	for i, b := range bs {
		if !ValidLabel(b, MaxLabelBytes) {
			return fieldErr(fmt.Sprintf("buildings[%d]", i), "is not a building name")
		}
		if slices.Contains(bs[:i], b) {
			return fieldErr(fmt.Sprintf("buildings[%d]", i), "%s is listed twice", b)
		}
	}
	return nil
}

func validWindow(notice, start, end int64) error {
	switch {
	case notice <= 0 || start <= 0 || end <= 0:
		return fieldErr("vote_start", "times must be unix seconds")
	case start < notice:
		return fieldErr("vote_start", "must not be before notice_at")
	case end <= start:
		return fieldErr("vote_end", "must be after vote_start")
	}
	return nil
}
