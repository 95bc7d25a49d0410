package abci

import "fmt"

// Code is a transaction or query result code. Codes are append-only: a
// number, once released, keeps its meaning, and a retired number is never
// reused. Every code has a zh-CN message template in templates/.
type Code uint32

// Result codes. 0 is success.
const (
	CodeOK Code = 0

	// Envelope and authentication (1-19).
	CodeTooLarge      Code = 1
	CodeMalformed     Code = 2
	CodeNonCanonical  Code = 3
	CodeVersion       Code = 4
	CodeUnknownType   Code = 5
	CodeWrongChain    Code = 6
	CodeBadSignature  Code = 7
	CodeNonceStale    Code = 8
	CodeNonceFuture   Code = 9
	CodeInvalidBody   Code = 10
	CodeUnauthorized  Code = 11
	CodeNotMember     Code = 12
	CodeQueryNotFound Code = 13
	CodeQueryBad      Code = 14

	// Registry: units, members, roles (20-39).
	CodeUnitNotFound    Code = 20
	CodeAlreadyBound    Code = 21
	CodeBindCodeMissing Code = 22
	CodeBindCodeExpired Code = 23
	CodeBindCodeLocked  Code = 24
	CodeBindCodeWrong   Code = 25
	CodeBindCodeExpiry  Code = 26
	CodeMemberNotFound  Code = 27
	CodeLastAdmin       Code = 28
	CodeRoleHeld        Code = 29
	CodeRoleNotHeld     Code = 30

	// Owners' decisions and polls (40-59).
	CodeProposalNotFound Code = 40
	CodeNoticeTooShort   Code = 41
	CodeVotingTooShort   Code = 42
	CodeVotingTooLong    Code = 43
	CodeAgendaFrozen     Code = 44
	CodeProposalCanceled Code = 45
	CodeCancelTooLate    Code = 46
	CodeUnknownBuilding  Code = 47
	CodeVotingNotOpen    Code = 48
	CodeVotingClosed     Code = 49
	CodeNotInElectorate  Code = 50
	CodeTenantCannotVote Code = 51
	CodeBadChoice        Code = 52
	CodeAlreadyRequested Code = 53
	CodeStartInPast      Code = 54

	// Accounts (60-79), sharing (80-99) and community life (100-129) are
	// numbered in their own ranges.
)

// codeNames gives each code a stable English name for logs and tests.
var codeNames = map[Code]string{
	CodeOK:               "ok",
	CodeTooLarge:         "tx_too_large",
	CodeMalformed:        "tx_malformed",
	CodeNonCanonical:     "tx_non_canonical",
	CodeVersion:          "tx_version",
	CodeUnknownType:      "tx_unknown_type",
	CodeWrongChain:       "tx_wrong_chain",
	CodeBadSignature:     "tx_bad_signature",
	CodeNonceStale:       "nonce_stale",
	CodeNonceFuture:      "nonce_future",
	CodeInvalidBody:      "invalid_body",
	CodeUnauthorized:     "unauthorized",
	CodeNotMember:        "not_member",
	CodeQueryNotFound:    "query_not_found",
	CodeQueryBad:         "query_bad_path",
	CodeUnitNotFound:     "unit_not_found",
	CodeAlreadyBound:     "already_bound",
	CodeBindCodeMissing:  "bind_code_missing",
	CodeBindCodeExpired:  "bind_code_expired",
	CodeBindCodeLocked:   "bind_code_locked",
	CodeBindCodeWrong:    "bind_code_wrong",
	CodeBindCodeExpiry:   "bind_code_expiry_invalid",
	CodeMemberNotFound:   "member_not_found",
	CodeLastAdmin:        "last_admin",
	CodeRoleHeld:         "role_already_held",
	CodeRoleNotHeld:      "role_not_held",
	CodeProposalNotFound: "proposal_not_found",
	CodeNoticeTooShort:   "notice_too_short",
	CodeVotingTooShort:   "voting_too_short",
	CodeVotingTooLong:    "voting_too_long",
	CodeAgendaFrozen:     "agenda_frozen",
	CodeProposalCanceled: "proposal_canceled",
	CodeCancelTooLate:    "cancel_too_late",
	CodeUnknownBuilding:  "unknown_building",
	CodeVotingNotOpen:    "voting_not_open",
	CodeVotingClosed:     "voting_closed",
	CodeNotInElectorate:  "not_in_electorate",
	CodeTenantCannotVote: "tenant_cannot_vote",
	CodeBadChoice:        "bad_choice",
	CodeAlreadyRequested: "already_requested",
	CodeStartInPast:      "start_in_past",
}

// String returns the code's stable name.
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("code_%d", uint32(c))
}

// Codes returns every defined code in ascending order.
func Codes() []Code {
	var cs []Code
	for c := Code(0); c < 1000; c++ {
		if _, ok := codeNames[c]; ok {
			cs = append(cs, c)
		}
	}
	return cs
}

// Error is a rejection with its result code. Handlers return it; the ABCI
// shell turns it into the response's code and log.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Code.String() + ": " + e.Msg }

// Is makes errors.Is(err, &Error{Code: c}) match by code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func reject(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, args...)}
}
