package tx

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Type names a kind of transaction. Names are append-only: a type, once
// used on a chain, keeps its meaning forever.
type Type string

// The transaction types.
const (
	TypeUnitRegister  Type = "unit.register"
	TypeBindCodeIssue Type = "bindcode.issue"
	TypeMemberBind    Type = "member.bind"
	TypeMemberRevoke  Type = "member.revoke"
	TypeRoleGrant     Type = "role.grant"
	TypeRoleRevoke    Type = "role.revoke"

	TypeProposalOpen   Type = "proposal.open"
	TypeProposalAmend  Type = "proposal.amend"
	TypeProposalCancel Type = "proposal.cancel"
	TypePollOpen       Type = "poll.open"
	TypeVoteCast       Type = "vote.cast"
	TypeMeetingRequest Type = "meeting.request"

	TypeItemPost       Type = "item.post"
	TypeItemUpdate     Type = "item.update"
	TypeItemWithdraw   Type = "item.withdraw"
	TypeBookingRequest Type = "booking.request"
	TypeBookingAccept  Type = "booking.accept"
	TypeBookingDecline Type = "booking.decline"
	TypeBookingCancel  Type = "booking.cancel"
	TypeBookingReturn  Type = "booking.return"
	TypeBookingNoShow  Type = "booking.noshow"

	TypeAnnouncementPost Type = "announcement.post"
	TypeCommentPost      Type = "comment.post"
	TypeCommentHide      Type = "comment.hide"
	TypeRepairFile       Type = "repair.file"
	TypeRepairUpdate     Type = "repair.update"
	TypeRepairConfirm    Type = "repair.confirm"
	TypeRepairReopen     Type = "repair.reopen"
	TypeDisputeOpen      Type = "dispute.open"
	TypeDisputeAssign    Type = "dispute.assign"
	TypeDisputeStatement Type = "dispute.statement"
	TypeDisputeOutcome   Type = "dispute.outcome"
	TypeDisputeEscalate  Type = "dispute.escalate"

	TypeValidatorUpdate Type = "validator.update"

	TypeAccountOpen      Type = "account.open"
	TypeAccountThreshold Type = "account.threshold"
	TypeEntryRecord      Type = "entry.record"
	TypeEntryApprove     Type = "entry.approve"
	TypeEntryReverse     Type = "entry.reverse"
	TypeEntryWithdraw    Type = "entry.withdraw"
)

// Body is the typed payload of a transaction.
type Body interface {
	// Type returns the body's transaction type.
	Type() Type
	// Validate checks the body on its own, without state. It returns a
	// *FieldError.
	Validate() error
}

// NewBody returns a zero body of type t, or nil when t is unknown.
func NewBody(t Type) Body {
	switch t {
	case TypeUnitRegister:
		return new(UnitRegister)
	case TypeBindCodeIssue:
		return new(BindCodeIssue)
	case TypeBindCodeBatch:
		return new(BindCodeBatch)
	case TypeMemberBind:
		return new(MemberBind)
	case TypeMemberRevoke:
		return new(MemberRevoke)
	case TypeRoleGrant:
		return new(RoleGrant)
	case TypeRoleRevoke:
		return new(RoleRevoke)
	case TypeProposalOpen:
		return new(ProposalOpen)
	case TypeProposalAmend:
		return new(ProposalAmend)
	case TypeProposalCancel:
		return new(ProposalCancel)
	case TypePollOpen:
		return new(PollOpen)
	case TypeVoteCast:
		return new(VoteCast)
	case TypeMeetingRequest:
		return new(MeetingRequest)
	case TypeItemPost:
		return new(ItemPost)
	case TypeItemUpdate:
		return new(ItemUpdate)
	case TypeItemWithdraw:
		return new(ItemWithdraw)
	case TypeBookingRequest:
		return new(BookingRequest)
	case TypeBookingAccept:
		return new(BookingAccept)
	case TypeBookingDecline:
		return new(BookingDecline)
	case TypeBookingCancel:
		return new(BookingCancel)
	case TypeBookingReturn:
		return new(BookingReturn)
	case TypeBookingNoShow:
		return new(BookingNoShow)
	case TypeAnnouncementPost:
		return new(AnnouncementPost)
	case TypeCommentPost:
		return new(CommentPost)
	case TypeCommentHide:
		return new(CommentHide)
	case TypeRepairFile:
		return new(RepairFile)
	case TypeRepairUpdate:
		return new(RepairUpdate)
	case TypeRepairConfirm:
		return new(RepairConfirm)
	case TypeRepairReopen:
		return new(RepairReopen)
	case TypeDisputeOpen:
		return new(DisputeOpen)
	case TypeDisputeAssign:
		return new(DisputeAssign)
	case TypeDisputeStatement:
		return new(DisputeStatement)
	case TypeDisputeOutcome:
		return new(DisputeOutcome)
	case TypeDisputeEscalate:
		return new(DisputeEscalate)
	case TypeValidatorUpdate:
		return new(ValidatorUpdate)
	case TypeAccountOpen:
		return new(AccountOpen)
	case TypeAccountThreshold:
		return new(AccountThreshold)
	case TypeEntryRecord:
		return new(EntryRecord)
	case TypeEntryApprove:
		return new(EntryApprove)
	case TypeEntryReverse:
		return new(EntryReverse)
	case TypeEntryWithdraw:
		return new(EntryWithdraw)
	case TypeProxyAppoint:
		return new(ProxyAppoint)
	case TypeProxyRevoke:
		return new(ProxyRevoke)
	case TypeProxyAccept:
		return new(ProxyAccept)
	case TypeSheetIssue:
		return new(SheetIssue)
	case TypeSheetEnter:
		return new(SheetEnter)
	case TypeSheetVoid:
		return new(SheetVoid)
	}
	return nil
}

// Types lists every transaction type, in a fixed order.
func Types() []Type {
	return []Type{
		TypeUnitRegister, TypeBindCodeIssue, TypeMemberBind, TypeMemberRevoke, TypeRoleGrant, TypeRoleRevoke,
		TypeProposalOpen, TypeProposalAmend, TypeProposalCancel, TypePollOpen, TypeVoteCast, TypeMeetingRequest,
		TypeItemPost, TypeItemUpdate, TypeItemWithdraw, TypeBookingRequest, TypeBookingAccept, TypeBookingDecline,
		TypeBookingCancel, TypeBookingReturn, TypeBookingNoShow,
		TypeAnnouncementPost, TypeCommentPost, TypeCommentHide, TypeRepairFile, TypeRepairUpdate, TypeRepairConfirm,
		TypeRepairReopen, TypeDisputeOpen, TypeDisputeAssign, TypeDisputeStatement, TypeDisputeOutcome, TypeDisputeEscalate,
		TypeValidatorUpdate,
		TypeAccountOpen, TypeAccountThreshold, TypeEntryRecord, TypeEntryApprove, TypeEntryReverse, TypeEntryWithdraw,
		TypeBindCodeBatch,
		TypeProxyAppoint, TypeProxyRevoke, TypeProxyAccept,
		TypeSheetIssue, TypeSheetEnter, TypeSheetVoid,
	}
}

// FieldError says which field of a body is wrong and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Limits on body fields.
const (
	MaxLabelBytes  = 32  // unit numbers and building names
	MaxOwnerBytes  = 64  // owner labels
	MaxReasonBytes = 300 // free-text reasons
	MaxArea        = 1_000_000
	MaxUnitsPerTx  = 500
)

// ValidLabel reports whether s may name a unit, building or owner: 1 to max
// bytes of Unicode letters and digits and '-', '_', '.'. The character set
// keeps labels safe inside state keys and query paths ('/' separates them).
func ValidLabel(s string, max int) bool {
	if s == "" || len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// ValidOwnerLabel reports whether s may label an owner. Labels are ASCII
// codes such as "O-0001": the roster is public, and restricting labels to
// ASCII keeps people from putting owners' names on the ledger.
func ValidOwnerLabel(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return ValidLabel(s, MaxOwnerBytes)
}

func validText(field, s string, max int, required bool) error {
	switch {
	case required && s == "":
		return fieldErr(field, "is required")
	case len(s) > max:
		return fieldErr(field, "is longer than %d bytes", max)
	case !utf8.ValidString(s):
		return fieldErr(field, "is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' {
			return fieldErr(field, "contains a control character")
		}
	}
	return nil
}

// UnitSpec describes one unit of the roster.
type UnitSpec struct {
	Unit     string `json:"unit"`
	Building string `json:"building"`
	// Area is the exclusive area in 0.01 m².
	Area int64 `json:"area"`
	// Owner is an opaque owner label, never a name. Units of one owner
	// share a label; the developer's unsold units share one label too.
	Owner string `json:"owner"`
}

// Validate checks one unit.
func (u UnitSpec) Validate() error {
	switch {
	case !ValidLabel(u.Unit, MaxLabelBytes):
		return fieldErr("unit", "must be 1-%d bytes of letters, digits, '-', '_' or '.'", MaxLabelBytes)
	case !ValidLabel(u.Building, MaxLabelBytes):
		return fieldErr("building", "must be 1-%d bytes of letters, digits, '-', '_' or '.'", MaxLabelBytes)
	case u.Area <= 0 || u.Area > MaxArea:
		return fieldErr("area", "must be between 1 and %d (0.01 m²)", MaxArea)
	case !ValidOwnerLabel(u.Owner):
		return fieldErr("owner", "must be 1-%d ASCII letters, digits, '-', '_' or '.' (a code, never a name)", MaxOwnerBytes)
	}
	return nil
}

// UnitRegister registers units or updates them (admin only). A unit that is
// already registered exactly as given is left alone, so re-importing a
// roster changes nothing. Changing a unit's owner revokes the owner
// bindings of that unit.
type UnitRegister struct {
	Units []UnitSpec `json:"units"`
}

func (*UnitRegister) Type() Type { return TypeUnitRegister }

func (b *UnitRegister) Validate() error {
	if len(b.Units) == 0 || len(b.Units) > MaxUnitsPerTx {
		return fieldErr("units", "must list 1-%d units", MaxUnitsPerTx)
	}
	seen := make(map[string]bool, len(b.Units))
	for i, u := range b.Units {
		if err := u.Validate(); err != nil {
			fe := err.(*FieldError)
			return fieldErr(fmt.Sprintf("units[%d].%s", i, fe.Field), "%s", fe.Reason)
		}
		if seen[u.Unit] {
			return fieldErr(fmt.Sprintf("units[%d].unit", i), "%s is listed twice", u.Unit)
		}
		seen[u.Unit] = true
	}
	return nil
}

// Relations a member can have to a unit.
const (
	RelationOwner  = "owner"
	RelationTenant = "tenant"
)

func validRelation(r string) bool { return r == RelationOwner || r == RelationTenant }

// MemberRevoke removes a member's binding (admin only).
type MemberRevoke struct {
	Address Address `json:"address"`
	Reason  string  `json:"reason"`
}

func (*MemberRevoke) Type() Type { return TypeMemberRevoke }

func (b *MemberRevoke) Validate() error {
	if b.Address.Validate() != nil {
		return fieldErr("address", "must be 40 lowercase hex digits")
	}
	return validText("reason", b.Reason, MaxReasonBytes, true)
}

// Roles granted by admins. Owner and tenant are not roles: they follow from
// a member's binding.
const (
	RoleAdmin     = "admin"
	RoleTreasurer = "treasurer"
	RoleMediator  = "mediator"
)

// ValidRole reports whether r is a grantable role.
func ValidRole(r string) bool {
	return r == RoleAdmin || r == RoleTreasurer || r == RoleMediator || r == RoleScrutineer
}

// RoleGrant gives an address a role (admin only).
type RoleGrant struct {
	Address Address `json:"address"`
	Role    string  `json:"role"`
}

func (*RoleGrant) Type() Type { return TypeRoleGrant }

func (b *RoleGrant) Validate() error { return validRoleChange(b.Address, b.Role) }

// RoleRevoke takes a role away (admin only). The last admin cannot be
// removed.
type RoleRevoke struct {
	Address Address `json:"address"`
	Role    string  `json:"role"`
}

func (*RoleRevoke) Type() Type { return TypeRoleRevoke }

func (b *RoleRevoke) Validate() error { return validRoleChange(b.Address, b.Role) }

func validRoleChange(a Address, role string) error {
	if a.Validate() != nil {
		return fieldErr("address", "must be 40 lowercase hex digits")
	}
	if !ValidRole(role) {
		return fieldErr("role", "must be %q, %q, %q or %q", RoleAdmin, RoleTreasurer, RoleMediator, RoleScrutineer)
	}
	return nil
}
