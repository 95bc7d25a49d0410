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
	CodeBindCodeLocked  Code = 24 // retired by issue #18: codes no longer lock
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

	// Accounts: ledger accounts and entries (60-79).
	CodeLedgerAccountNotFound Code = 60
	CodeLedgerAccountExists   Code = 61
	CodeTooManyAccounts       Code = 62
	CodeAmountNotPositive     Code = 63
	CodeAmountTooLarge        Code = 64
	CodeBalanceOverflow       Code = 65
	CodeInsufficientFunds     Code = 66
	CodeSameAccount           Code = 67
	CodeEntryNotFound         Code = 68
	CodeEntryNotPending       Code = 69
	CodeAlreadyApproved       Code = 70
	CodeSelfApproval          Code = 71
	CodeReverseReversal       Code = 72
	CodeAlreadyReversed       Code = 73
	CodeEntryNotPosted        Code = 74
	CodeFundNeedsProposal     Code = 75
	CodeProposalNotPassed     Code = 76

	// Sharing: items and bookings (80-99).
	CodeItemNotFound         Code = 80
	CodeItemWithdrawn        Code = 81
	CodeNotItemOwner         Code = 82
	CodeBookingNotFound      Code = 83
	CodeBookingBadRange      Code = 84
	CodeBookingInPast        Code = 85
	CodeBookingOverlap       Code = 86
	CodeBookingOutsideWindow Code = 87
	CodeBookOwnItem          Code = 88
	CodeBookingState         Code = 89
	CodeNotBookingParty      Code = 90
	CodeBookingNotStarted    Code = 91
	CodeOwnerPriority        Code = 92

	// Community life: announcements, comments, repairs, disputes
	// (100-129).
	CodeAnnouncementNotFound Code = 100
	CodeExpiryInPast         Code = 101
	CodeCommentNotFound      Code = 102
	CodeCommentHidden        Code = 103
	CodeRepairNotFound       Code = 104
	CodeRepairState          Code = 105
	CodeNotFiler             Code = 106
	CodeDisputeNotFound      Code = 107
	CodeDisputeState         Code = 108
	CodeNotMediator          Code = 109
	CodeMediatorIsParty      Code = 110
	CodeNotDisputeParty      Code = 111
	CodeNotAssignedMediator  Code = 112

	// Validator set (130-139).
	CodeValidatorApproved       Code = 130
	CodeValidatorNotFound       Code = 131
	CodeLastValidator           Code = 132
	CodeValidatorUnchanged      Code = 133
	CodeValidatorChangeTooLarge Code = 134
	CodeValidatorBusy           Code = 135

	// Binding and privacy, issue #18 (140-149).
	CodeBindTriesBusy   Code = 140
	CodeOutcomeMismatch Code = 141

	// Paper ballots and scrutineers, issue #14 (160-169).
	CodeScrutineerNotMember Code = 160
	CodeSheetNotIssued      Code = 161
	CodeSheetUsed           Code = 162
	CodeSheetOtherDecision  Code = 163
	CodeSheetSameScrutineer Code = 164
	CodeSheetMismatched     Code = 165
	CodeSheetEntryNotFound  Code = 166
	CodeSheetsNotNoticed    Code = 167
	CodeSheetHasEntries     Code = 168
	CodeSheetCodeTaken      Code = 169

	// Proxies (委托投票), issue #14 (170-179).
	CodeProxyNotFound        Code = 170
	CodeProxyLimit           Code = 171
	CodeOwnerNotFound        Code = 172
	CodeAuthorisationMissing Code = 173
	CodeNotRepresented       Code = 174
	CodeAgentRefused         Code = 175
	CodeProxyEnded           Code = 176
	CodeOwnerVoted           Code = 177
	CodeAgentCodeWrong       Code = 178
	CodeProxyNotEligible     Code = 179
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

	CodeLedgerAccountNotFound: "ledger_account_not_found",
	CodeLedgerAccountExists:   "ledger_account_exists",
	CodeTooManyAccounts:       "too_many_ledger_accounts",
	CodeAmountNotPositive:     "amount_not_positive",
	CodeAmountTooLarge:        "amount_too_large",
	CodeBalanceOverflow:       "balance_overflow",
	CodeInsufficientFunds:     "insufficient_funds",
	CodeSameAccount:           "transfer_same_account",
	CodeEntryNotFound:         "entry_not_found",
	CodeEntryNotPending:       "entry_not_pending",
	CodeAlreadyApproved:       "entry_already_approved",
	CodeSelfApproval:          "entry_self_approval",
	CodeReverseReversal:       "reverse_reversal",
	CodeAlreadyReversed:       "entry_already_reversed",
	CodeEntryNotPosted:        "entry_not_posted",
	CodeFundNeedsProposal:     "fund_needs_proposal",
	CodeProposalNotPassed:     "proposal_not_passed",

	CodeItemNotFound:         "item_not_found",
	CodeItemWithdrawn:        "item_withdrawn",
	CodeNotItemOwner:         "not_item_owner",
	CodeBookingNotFound:      "booking_not_found",
	CodeBookingBadRange:      "booking_bad_range",
	CodeBookingInPast:        "booking_in_past",
	CodeBookingOverlap:       "booking_overlap",
	CodeBookingOutsideWindow: "booking_outside_window",
	CodeBookOwnItem:          "book_own_item",
	CodeBookingState:         "booking_state",
	CodeNotBookingParty:      "not_booking_party",
	CodeBookingNotStarted:    "booking_not_started",
	CodeOwnerPriority:        "parking_owner_priority",

	CodeAnnouncementNotFound: "announcement_not_found",
	CodeExpiryInPast:         "expiry_in_past",
	CodeCommentNotFound:      "comment_not_found",
	CodeCommentHidden:        "comment_already_hidden",
	CodeRepairNotFound:       "repair_not_found",
	CodeRepairState:          "repair_state",
	CodeNotFiler:             "not_filer",
	CodeDisputeNotFound:      "dispute_not_found",
	CodeDisputeState:         "dispute_state",
	CodeNotMediator:          "not_mediator",
	CodeMediatorIsParty:      "mediator_is_party",
	CodeNotDisputeParty:      "not_dispute_party",
	CodeNotAssignedMediator:  "not_assigned_mediator",

	CodeValidatorApproved:       "validator_update_already_approved",
	CodeValidatorNotFound:       "validator_not_found",
	CodeLastValidator:           "last_validator",
	CodeValidatorUnchanged:      "validator_unchanged",
	CodeValidatorChangeTooLarge: "validator_change_too_large",
	CodeValidatorBusy:           "validator_changed_this_block",
	CodeBindTriesBusy:           "bind_tries_this_block",
	CodeOutcomeMismatch:         "dispute_outcome_mismatch",
	CodeScrutineerNotMember:     "scrutineer_not_member",
	CodeSheetNotIssued:          "sheet_not_issued",
	CodeSheetUsed:               "sheet_already_used",
	CodeSheetOtherDecision:      "sheet_other_decision",
	CodeSheetSameScrutineer:     "sheet_same_scrutineer",
	CodeSheetMismatched:         "sheet_entries_disagree",
	CodeSheetEntryNotFound:      "sheet_entry_not_found",
	CodeSheetsNotNoticed:        "sheets_not_noticed",
	CodeSheetHasEntries:         "sheet_has_entries",
	CodeSheetCodeTaken:          "sheet_code_taken",

	CodeProxyNotFound:        "proxy_not_found",
	CodeProxyLimit:           "proxy_limit",
	CodeOwnerNotFound:        "owner_not_found",
	CodeAuthorisationMissing: "proxy_authorisation_missing",
	CodeNotRepresented:       "not_represented",
	CodeAgentRefused:         "agent_only_votes",
	CodeProxyEnded:           "proxy_ended",
	CodeOwnerVoted:           "owner_voted_in_person",
	CodeAgentCodeWrong:       "agent_code_wrong",
	CodeProxyNotEligible:     "proxy_not_eligible",
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
