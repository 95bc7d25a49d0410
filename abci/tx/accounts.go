package tx

import (
	"crypto/sha256"
	"strings"
)

// Kinds of ledger entries. A treasurer records income, expense and
// transfer entries; a reversal is recorded by EntryReverse and undoes one
// posted entry.
const (
	EntryIncome   = "income"
	EntryExpense  = "expense"
	EntryTransfer = "transfer"
	EntryReversal = "reversal"
)

// Limits on the accounts (小区账目).
const (
	// MaxAmount bounds one entry's amount in fen: 1,000,000,000 yuan (十亿
	// 元), far above any community's single payment.
	MaxAmount = 100_000_000_000
	// MaxAccountIDBytes bounds an account id.
	MaxAccountIDBytes = 16
	// MaxAccountNameBytes bounds an account's display name (about 20
	// Chinese characters).
	MaxAccountNameBytes = 60
	// MaxCounterpartyBytes bounds an entry's counterparty (about 40
	// Chinese characters: a company's full name).
	MaxCounterpartyBytes = 120
	// MaxMemoBytes bounds an entry's memo.
	MaxMemoBytes = MaxReasonBytes
)

// EmergencyPrefix starts the name of every emergency category (紧急维修,
// 紧急-电梯, ...). An expense from the maintenance fund in such a category
// may go ahead without a passed owners' decision once the chain's required
// number of admins approve it, recorded as an emergency (the emergency use
// of the fund that the 住宅专项维修资金管理办法 §29 provides for).
const EmergencyPrefix = "紧急"

// IsEmergencyCategory reports whether category names an emergency.
func IsEmergencyCategory(category string) bool { return strings.HasPrefix(category, EmergencyPrefix) }

// reservedAccountIDs are words the accounts queries use as path segments
// (accounts/pending, accounts/entry/ID, ...), so no account may take them.
var reservedAccountIDs = []string{"entry", "pending", "monthly", "statement"}

// ValidAccountID reports whether s may identify a ledger account: a short
// ASCII code (1-16 bytes of lowercase letters, digits, '-' or '_',
// starting with a letter) such as "mgmt" or "fund", not one of the words
// the queries reserve. The display name carries the Chinese.
func ValidAccountID(s string) bool {
	if s == "" || len(s) > MaxAccountIDBytes || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	for _, r := range reservedAccountIDs {
		if s == r {
			return false
		}
	}
	return true
}

func validAccountField(field, id string) error {
	if !ValidAccountID(id) {
		return fieldErr(field, "must be an account id: 1-%d lowercase ASCII letters, digits, '-' or '_', starting with a letter", MaxAccountIDBytes)
	}
	return nil
}

func validThreshold(t int64) error {
	if t < 0 || t > MaxAmount {
		return fieldErr("threshold", "must be 0 to %d fen", MaxAmount)
	}
	return nil
}

// AccountOpen adds a ledger account (admin only). Threshold is the
// account's approval threshold in fen: an expense or transfer out of the
// account above it waits for admins' approvals (0: every one waits). An
// account marked MaintenanceFund is the 维修资金: spending from it needs a
// passed owners' decision, or an emergency. Neither the id nor the flag
// changes later.
type AccountOpen struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	MaintenanceFund bool   `json:"maintenance_fund,omitempty"`
	Threshold       int64  `json:"threshold"`
}

func (*AccountOpen) Type() Type { return TypeAccountOpen }

func (b *AccountOpen) Validate() error {
	if err := validAccountField("id", b.ID); err != nil {
		return err
	}
	if err := validText("name", b.Name, MaxAccountNameBytes, true); err != nil {
		return err
	}
	return validThreshold(b.Threshold)
}

// AccountThreshold sets an account's approval threshold in fen (admin
// only). It applies to entries recorded from then on.
type AccountThreshold struct {
	Account   string `json:"account"`
	Threshold int64  `json:"threshold"`
}

func (*AccountThreshold) Type() Type { return TypeAccountThreshold }

func (b *AccountThreshold) Validate() error {
	if err := validAccountField("account", b.Account); err != nil {
		return err
	}
	return validThreshold(b.Threshold)
}

// EntryRecord records a ledger entry (treasurer or admin): income into
// Account, an expense out of it, or a transfer from it to To. Amount is in
// fen. Evidence, when given, is the SHA-256 (lowercase hex) of the invoice
// photo or PDF kept off the chain; Proposal, when given, links a passed
// owners' decision.
//
// Validate checks the fields' shapes only: whether the amount is positive
// and within MaxAmount, and whether a transfer names two different
// accounts, are checked by the state machine, which answers each with its
// own result code.
type EntryRecord struct {
	Kind         string `json:"kind"`
	Account      string `json:"account"`
	To           string `json:"to,omitempty"`
	Amount       int64  `json:"amount"`
	Category     string `json:"category"`
	Counterparty string `json:"counterparty,omitempty"`
	Memo         string `json:"memo,omitempty"`
	Evidence     string `json:"evidence,omitempty"`
	Proposal     uint64 `json:"proposal,omitempty"`
}

func (*EntryRecord) Type() Type { return TypeEntryRecord }

func (b *EntryRecord) Validate() error {
	if b.Kind != EntryIncome && b.Kind != EntryExpense && b.Kind != EntryTransfer {
		return fieldErr("kind", "must be %q, %q or %q", EntryIncome, EntryExpense, EntryTransfer)
	}
	if err := validAccountField("account", b.Account); err != nil {
		return err
	}
	switch {
	case b.Kind == EntryTransfer:
		if err := validAccountField("to", b.To); err != nil {
			return err
		}
	case b.To != "":
		return fieldErr("to", "is only for transfers")
	}
	if !ValidLabel(b.Category, MaxLabelBytes) {
		return fieldErr("category", "must be 1-%d bytes of letters, digits, '-', '_' or '.'", MaxLabelBytes)
	}
	if err := validText("counterparty", b.Counterparty, MaxCounterpartyBytes, false); err != nil {
		return err
	}
	if err := validText("memo", b.Memo, MaxMemoBytes, false); err != nil {
		return err
	}
	return validEvidence(b.Evidence)
}

func validEvidence(e string) error {
	if e != "" && !isLowerHex(e, 2*sha256.Size) {
		return fieldErr("evidence", "must be a SHA-256 in %d lowercase hex digits", 2*sha256.Size)
	}
	return nil
}

// EntryApprove approves a pending entry (admin only, not its recorder,
// once per admin). The entry posts when the chain's required number of
// distinct admins have approved it.
type EntryApprove struct {
	Entry uint64 `json:"entry"`
}

func (*EntryApprove) Type() Type { return TypeEntryApprove }

func (b *EntryApprove) Validate() error { return requireRecordID("entry", b.Entry) }

// EntryReverse corrects a posted entry (treasurer or admin) by recording a
// reversal that undoes its effect on the balances. Entries are never
// edited or deleted; an entry can be reversed once, and a reversal cannot
// itself be reversed (record the entry again instead).
type EntryReverse struct {
	Entry    uint64 `json:"entry"`
	Memo     string `json:"memo"`
	Evidence string `json:"evidence,omitempty"`
}

func (*EntryReverse) Type() Type { return TypeEntryReverse }

func (b *EntryReverse) Validate() error {
	if err := requireRecordID("entry", b.Entry); err != nil {
		return err
	}
	if err := validText("memo", b.Memo, MaxMemoBytes, true); err != nil {
		return err
	}
	return validEvidence(b.Evidence)
}

// EntryWithdraw withdraws a pending entry that should not go ahead (its
// recorder or an admin). The entry stays on record as withdrawn and never
// moves a balance.
type EntryWithdraw struct {
	Entry  uint64 `json:"entry"`
	Reason string `json:"reason"`
}

func (*EntryWithdraw) Type() Type { return TypeEntryWithdraw }

func (b *EntryWithdraw) Validate() error {
	if err := requireRecordID("entry", b.Entry); err != nil {
		return err
	}
	return validText("reason", b.Reason, MaxReasonBytes, true)
}
