package abci

import (
	"fmt"
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// The community's accounts (小区账目): named accounts with balances, and
// the entries a treasurer records against them.
//
// Money is int64 fen. An account's balance never goes negative, because
// the bank or cash account it stands for cannot: an expense, transfer or
// reversal that would take out more than the balance is rejected
// (CodeInsufficientFunds). Balances and every running total stay within
// ±MaxBalance (CodeBalanceOverflow), which with tx.MaxAmount per entry and
// at most MaxLedgerAccounts accounts keeps every sum far inside int64.
//
// Entries are never edited or deleted. A guarded entry waits as pending
// until enough admins approve it and moves no balance until then; a
// mistake is corrected by a reversal. Entries post in block order: each
// posting gets the next posting number and counts in the month (China
// Standard Time) of the block that posted it, which for a pending entry is
// the block of its last approval. A reversal counts in its own month, as a
// negative amount in the flow and category of the entry it reverses, so a
// month already reported never changes.

// Limits of the ledger.
const (
	// MaxBalance bounds every balance and running total, in fen (10^15
	// fen, ten trillion yuan).
	MaxBalance = 1_000_000_000_000_000
	// MaxLedgerAccounts bounds how many accounts a community may have.
	MaxLedgerAccounts = 64
)

// Entry statuses.
const (
	EntryPending   = "pending"   // waiting for approvals; moves nothing
	EntryPosted    = "posted"    // has moved the balances
	EntryWithdrawn = "withdrawn" // withdrawn while pending; never moved anything
)

// Flows name what a posting did to one account, in monthly totals.
const (
	FlowIncome      = "income"
	FlowExpense     = "expense"
	FlowTransferIn  = "transfer_in"
	FlowTransferOut = "transfer_out"
)

// LedgerAccount is one of the community's accounts. The id is a short
// ASCII code, the name what residents read.
type LedgerAccount struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// MaintenanceFund marks the 维修资金: spending from it needs a passed
	// owners' decision or an approved emergency.
	MaintenanceFund bool `json:"maintenance_fund"`
	// Threshold is the approval threshold in fen: an expense or transfer
	// out of the account above it waits for approvals.
	Threshold int64 `json:"threshold"`
	Balance   int64 `json:"balance"`
	// Height is the block that opened the account (0: genesis).
	Height int64 `json:"height"`
}

// standardAccounts are the accounts every community starts with.
var standardAccounts = []LedgerAccount{
	{ID: "mgmt", Name: "物业费"},
	{ID: "public", Name: "公共收益"},
	{ID: "fund", Name: "维修资金", MaintenanceFund: true},
	{ID: "committee", Name: "业委会经费"},
}

// Approval is one admin's approval of a pending entry.
type Approval struct {
	Admin  tx.Address `json:"admin"`
	Time   int64      `json:"time"`
	Height int64      `json:"height"`
	TxHash string     `json:"tx_hash"`
}

// Entry is a ledger entry: income, expense, transfer or the reversal of
// one of those.
type Entry struct {
	ID   uint64 `json:"id"`
	Kind string `json:"kind"`
	// Account is the account income goes into, an expense comes out of,
	// or a transfer goes from; To is a transfer's destination. A reversal
	// names the accounts of the entry it reverses.
	Account      string `json:"account"`
	To           string `json:"to"`
	Amount       int64  `json:"amount"`
	Category     string `json:"category"`
	Counterparty string `json:"counterparty"`
	Memo         string `json:"memo"`
	Evidence     string `json:"evidence"`
	Proposal     uint64 `json:"proposal"`
	// Reverses is the entry a reversal undoes; ReversedBy the reversal
	// recorded against this entry (pending or posted).
	Reverses   uint64 `json:"reverses"`
	ReversedBy uint64 `json:"reversed_by"`
	// Emergency marks a maintenance-fund expense without a passed
	// decision, in an emergency category, approved by admins.
	Emergency bool   `json:"emergency"`
	Status    string `json:"status"`
	// Required is how many admins' approvals a guarded entry needs (0: it
	// posted when recorded); Approvals are those given so far.
	Required  int64      `json:"required"`
	Approvals []Approval `json:"approvals"`
	Recorder  tx.Address `json:"recorder"`
	Time      int64      `json:"time"`
	Height    int64      `json:"height"`
	TxHash    string     `json:"tx_hash"`
	// Posting numbers the entry among all postings, in the order they
	// moved balances; PostedTime and PostedHeight say when.
	Posting      uint64 `json:"posting"`
	PostedTime   int64  `json:"posted_time"`
	PostedHeight int64  `json:"posted_height"`
	// WithdrawnBy and WithdrawReason record a withdrawal.
	WithdrawnBy    tx.Address `json:"withdrawn_by"`
	WithdrawReason string     `json:"withdraw_reason"`
}

// PostingRef is an account's line for one posting: the posting's number
// and block time, the entry, how much it changed the account's balance,
// and the balance after. It holds all of a statement line but the entry,
// so that a query reads the entry's stored bytes and answers them as they
// are, without decoding them.
type PostingRef struct {
	Posting uint64 `json:"posting"`
	Time    int64  `json:"time"`
	Entry   uint64 `json:"entry"`
	Delta   int64  `json:"delta"`
	Balance int64  `json:"balance"`
}

// AccountMonth is an account's figures for one month (China Standard
// Time): Closing = Opening + Income - Expense + TransferIn - TransferOut.
type AccountMonth struct {
	Account     string `json:"account"`
	Month       string `json:"month"`
	Opening     int64  `json:"opening"`
	Income      int64  `json:"income"`
	Expense     int64  `json:"expense"`
	TransferIn  int64  `json:"transfer_in"`
	TransferOut int64  `json:"transfer_out"`
	Closing     int64  `json:"closing"`
	// Postings counts the account's postings in the month; the n-th of
	// them (from 0) is at keyPosting(Account, month, n), so a page of the
	// month is read by its position without counting the keys before it.
	Postings int64 `json:"postings"`
}

// CategoryTotal is what one account's postings of one flow and category
// came to in a month, reversals netted.
type CategoryTotal struct {
	Account  string `json:"account"`
	Flow     string `json:"flow"`
	Category string `json:"category"`
	Amount   int64  `json:"amount"`
}

// Ledger state keys. Months are year*100+month in six digits and numbers
// are zero-padded, so scans run in time and numeric order. An account's
// postings in a month are keyed by their position in the month (0, 1, …),
// which is also their posting order.
const (
	prefixLedgerAccounts = "ledger/account/"
	prefixPendingEntries = "ledger/pending/"
	prefixEntries        = "ledger/entry/"
	seqEntry             = "seq/entry"
	seqPosting           = "seq/posting"
)

func keyLedgerAccount(id string) string { return prefixLedgerAccounts + id }
func keyEntry(id uint64) string         { return string(appendNumber([]byte(prefixEntries), id)) }
func keyPendingEntry(id uint64) string  { return fmt.Sprintf("%s%020d", prefixPendingEntries, id) }
func keyPosting(account string, month int, n int64) string {
	return fmt.Sprintf("ledger/post/%s/%06d/%020d", account, month, n)
}
func prefixPostings(account string, month int) string {
	return fmt.Sprintf("ledger/post/%s/%06d/", account, month)
}
func keyAccountMonth(account string, month int) string {
	return fmt.Sprintf("ledger/month/%s/%06d", account, month)
}
func prefixAccountMonths(account string) string { return "ledger/month/" + account + "/" }
func keyCategoryTotal(month int, account, flow, category string) string {
	return fmt.Sprintf("ledger/cat/%06d/%s/%s/%s", month, account, flow, category)
}
func prefixCategoryTotals(month int) string { return fmt.Sprintf("ledger/cat/%06d/", month) }

// writeGenesisAccounts opens the standard accounts: the maintenance fund
// with threshold 0, the others with the chain's AccountThreshold.
func writeGenesisAccounts(c *cache, p Params) {
	for _, a := range standardAccounts {
		if !a.MaintenanceFund {
			a.Threshold = p.AccountThreshold
		}
		put(c, keyLedgerAccount(a.ID), a)
	}
}

// cstOffset is China Standard Time's fixed offset from UTC in seconds (no
// daylight saving since 1991).
const cstOffset = 8 * 3600

// MonthOf returns the calendar month, as year*100+month (202603 for March
// 2026), that unix time t falls in in China Standard Time. It is integer
// arithmetic on a fixed offset: no time zone database, the same on every
// node.
func MonthOf(t int64) int {
	days := t + cstOffset
	if days < 0 {
		days -= 86400 - 1 // floor division for times before 1970
	}
	y, m := civilFromDays(days / 86400)
	return int(y*100 + m)
}

// MonthStart returns the unix time at which month ym (year*100+month)
// begins in China Standard Time.
func MonthStart(ym int) int64 {
	return daysFromCivil(int64(ym/100), int64(ym%100))*86400 - cstOffset
}

// NextMonth returns the month after ym.
func NextMonth(ym int) int {
	if ym%100 == 12 {
		return (ym/100+1)*100 + 1
	}
	return ym + 1
}

// FormatMonth writes month ym as YYYY-MM.
func FormatMonth(ym int) string { return fmt.Sprintf("%04d-%02d", ym/100, ym%100) }

// ParseMonth reads a month written YYYY-MM (years 1970-9999) and returns
// it as year*100+month.
func ParseMonth(s string) (int, bool) {
	if len(s) != 7 || s[4] != '-' {
		return 0, false
	}
	for i, c := range []byte(s) {
		if i != 4 && (c < '0' || c > '9') {
			return 0, false
		}
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:])
	if y < 1970 || m < 1 || m > 12 {
		return 0, false
	}
	return y*100 + m, true
}

// civilFromDays converts days since 1970-01-01 to a proleptic Gregorian
// year and month (Howard Hinnant's algorithm).
func civilFromDays(z int64) (year, month int64) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	month = mp + 3
	if mp >= 10 {
		month = mp - 9
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month
}

// daysFromCivil returns the days since 1970-01-01 of the first day of a
// month (the inverse of civilFromDays).
func daysFromCivil(y, m int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := m - 3
	if m <= 2 {
		mp = m + 9
	}
	doy := (153*mp + 2) / 5
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// ledgerAccount loads an account or rejects with CodeLedgerAccountNotFound.
func ledgerAccount(r reader, id string) (LedgerAccount, error) {
	a, ok := get[LedgerAccount](r, keyLedgerAccount(id))
	if !ok {
		return a, reject(CodeLedgerAccountNotFound, "no account %q", id)
	}
	return a, nil
}

func getEntry(r reader, id uint64) (Entry, error) {
	e, ok := get[Entry](r, keyEntry(id))
	if !ok {
		return e, reject(CodeEntryNotFound, "no entry %d", id)
	}
	return e, nil
}

// requireRecorder admits treasurers and admins, who record entries.
func (c *Context) requireRecorder() error {
	if hasRole(c.st, c.Signer, tx.RoleTreasurer) || hasRole(c.st, c.Signer, tx.RoleAdmin) {
		return nil
	}
	return reject(CodeUnauthorized, "signer %s is neither treasurer nor admin", c.Signer)
}

func execAccountOpen(ctx *Context, b *tx.AccountOpen) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	if has(ctx.st, keyLedgerAccount(b.ID)) {
		return reject(CodeLedgerAccountExists, "account %q exists", b.ID)
	}
	if countPrefix(ctx.st, prefixLedgerAccounts) >= MaxLedgerAccounts {
		return reject(CodeTooManyAccounts, "a community has at most %d accounts", MaxLedgerAccounts)
	}
	put(ctx.st, keyLedgerAccount(b.ID), LedgerAccount{
		ID: b.ID, Name: b.Name, MaintenanceFund: b.MaintenanceFund, Threshold: b.Threshold, Height: ctx.Height,
	})
	ctx.emit("account.opened", "account", b.ID, "name", b.Name,
		"maintenance_fund", strconv.FormatBool(b.MaintenanceFund), "threshold", fen(b.Threshold))
	ctx.created("account", b.ID)
	return nil
}

// execAccountThreshold changes an account's approval threshold. Entries
// already pending keep the approvals they were recorded to need.
func execAccountThreshold(ctx *Context, b *tx.AccountThreshold) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	a, err := ledgerAccount(ctx.st, b.Account)
	if err != nil {
		return err
	}
	prev := a.Threshold
	a.Threshold = b.Threshold
	put(ctx.st, keyLedgerAccount(a.ID), a)
	ctx.emit("account.threshold", "account", a.ID, "threshold", fen(b.Threshold), "previous", fen(prev))
	return nil
}

// move is one account's side of an entry.
type move struct {
	account string
	delta   int64
	flow    string
}

// movesOf returns what an income, expense or transfer does to balances.
func movesOf(kind, account, to string, amount int64) []move {
	switch kind {
	case tx.EntryIncome:
		return []move{{account, amount, FlowIncome}}
	case tx.EntryExpense:
		return []move{{account, -amount, FlowExpense}}
	case tx.EntryTransfer:
		return []move{{account, -amount, FlowTransferOut}, {to, amount, FlowTransferIn}}
	}
	panic("abci: no moves for entry kind " + kind)
}

// entryMoves returns what e does to balances: a reversal undoes the moves
// of the entry it reverses, in the same flows.
func entryMoves(r reader, e Entry) []move {
	if e.Kind != tx.EntryReversal {
		return movesOf(e.Kind, e.Account, e.To, e.Amount)
	}
	orig, _ := get[Entry](r, keyEntry(e.Reverses))
	ms := movesOf(orig.Kind, orig.Account, orig.To, orig.Amount)
	for i := range ms {
		ms[i].delta = -ms[i].delta
	}
	return ms
}

// outflow returns the move that takes money out of an account, if any.
func outflow(ms []move) (move, bool) {
	for _, m := range ms {
		if m.delta < 0 {
			return m, true
		}
	}
	return move{}, false
}

func checkAmount(amount int64) error {
	switch {
	case amount <= 0:
		return reject(CodeAmountNotPositive, "amount %d fen is not positive", amount)
	case amount > tx.MaxAmount:
		return reject(CodeAmountTooLarge, "amount %d fen is above the limit of %d", amount, int64(tx.MaxAmount))
	}
	return nil
}

// execEntryRecord records income, an expense or a transfer. It posts at
// once unless the spending guard holds it: money leaving an account above
// the account's threshold, or an emergency expense from the maintenance
// fund, waits for AccountApprovals admins. Money leaving the maintenance
// fund needs a passed owners' decision linked, except an expense in an
// emergency category, which is recorded as an emergency.
func execEntryRecord(ctx *Context, b *tx.EntryRecord) error {
	if err := ctx.requireRecorder(); err != nil {
		return err
	}
	if err := checkAmount(b.Amount); err != nil {
		return err
	}
	if b.Kind == tx.EntryTransfer && b.To == b.Account {
		return reject(CodeSameAccount, "transfer from %q to itself", b.Account)
	}
	from, err := ledgerAccount(ctx.st, b.Account)
	if err != nil {
		return err
	}
	if b.Kind == tx.EntryTransfer {
		if _, err := ledgerAccount(ctx.st, b.To); err != nil {
			return err
		}
	}
	if b.Proposal != 0 {
		switch {
		case !proposalExists(ctx.st, b.Proposal):
			return reject(CodeProposalNotFound, "no proposal %d", b.Proposal)
		case !proposalPassed(ctx.st, b.Proposal):
			return reject(CodeProposalNotPassed, "proposal %d is not a passed owners' decision", b.Proposal)
		}
	}
	e := Entry{
		Kind: b.Kind, Account: b.Account, To: b.To, Amount: b.Amount, Category: b.Category,
		Counterparty: b.Counterparty, Memo: b.Memo, Evidence: b.Evidence, Proposal: b.Proposal,
	}
	ms := movesOf(b.Kind, b.Account, b.To, b.Amount)
	guarded := false
	if _, out := outflow(ms); out {
		if from.MaintenanceFund && b.Proposal == 0 {
			// Only an expense can be an emergency: moving the fund's
			// money to another account always needs a decision.
			if b.Kind != tx.EntryExpense || !tx.IsEmergencyCategory(b.Category) {
				return reject(CodeFundNeedsProposal, "spending from %q needs a passed decision, or an expense in an emergency category", from.ID)
			}
			e.Emergency = true
		}
		if b.Amount > from.Balance {
			return reject(CodeInsufficientFunds, "account %q holds %d fen, not %d", from.ID, from.Balance, b.Amount)
		}
		guarded = e.Emergency || b.Amount > from.Threshold
	}
	_, err = recordEntry(ctx, e, ms, guarded)
	return err
}

// recordEntry stores a new entry, pending when guarded and posted at once
// otherwise, and returns it.
func recordEntry(ctx *Context, e Entry, ms []move, guarded bool) (Entry, error) {
	e.ID = nextID(ctx.st, seqEntry)
	e.Recorder, e.Time, e.Height, e.TxHash = ctx.Signer, ctx.Time, ctx.Height, ctx.TxHash
	e.Status = EntryPending
	status := EntryPosted
	if guarded {
		e.Required, status = ctx.Params.AccountApprovals, EntryPending
		ctx.st.set(keyPendingEntry(e.ID), marker)
	}
	ctx.emit("entry.recorded", "id", uintStr(e.ID), "kind", e.Kind, "account", e.Account, "to", e.To,
		"amount", fen(e.Amount), "category", e.Category, "status", status, "required", strconv.FormatInt(e.Required, 10),
		"reverses", uintStr(e.Reverses), "emergency", strconv.FormatBool(e.Emergency))
	ctx.created("entry", uintStr(e.ID))
	if !guarded {
		if err := post(ctx, &e, ms); err != nil {
			return e, err
		}
	}
	put(ctx.st, keyEntry(e.ID), e)
	return e, nil
}

// post applies an entry's moves to the balances and the month's totals
// and marks it posted. It rejects a move that would take an account below
// zero or past MaxBalance; the handler's writes are then discarded.
func post(ctx *Context, e *Entry, ms []move) error {
	month := MonthOf(ctx.Time)
	posting := nextID(ctx.st, seqPosting)
	for _, m := range ms {
		a, err := ledgerAccount(ctx.st, m.account)
		if err != nil {
			return err
		}
		bal := a.Balance + m.delta
		switch {
		case bal < 0:
			return reject(CodeInsufficientFunds, "account %q holds %d fen, not %d", a.ID, a.Balance, -m.delta)
		case bal > MaxBalance:
			return reject(CodeBalanceOverflow, "account %q would hold more than %d fen", a.ID, int64(MaxBalance))
		}
		mk := keyAccountMonth(a.ID, month)
		am, ok := get[AccountMonth](ctx.st, mk)
		if !ok {
			am = AccountMonth{Account: a.ID, Month: FormatMonth(month), Opening: a.Balance, Closing: a.Balance}
		}
		// A flow's total grows by the amount it moved: income and
		// transfers in add to the balance, expenses and transfers out
		// take from it. A reversal moves the other way and so nets out.
		amount := m.delta
		if m.flow == FlowExpense || m.flow == FlowTransferOut {
			amount = -amount
		}
		field := &am.Income
		switch m.flow {
		case FlowExpense:
			field = &am.Expense
		case FlowTransferIn:
			field = &am.TransferIn
		case FlowTransferOut:
			field = &am.TransferOut
		}
		ck := keyCategoryTotal(month, a.ID, m.flow, e.Category)
		ct, _ := get[CategoryTotal](ctx.st, ck)
		ct.Account, ct.Flow, ct.Category = a.ID, m.flow, e.Category
		if !inBounds(*field+amount) || !inBounds(ct.Amount+amount) {
			return reject(CodeBalanceOverflow, "account %q's %s total for %s would pass %d fen", a.ID, m.flow, FormatMonth(month), int64(MaxBalance))
		}
		*field += amount
		ct.Amount += amount
		am.Closing = bal
		a.Balance = bal
		put(ctx.st, keyLedgerAccount(a.ID), a)
		put(ctx.st, ck, ct)
		put(ctx.st, keyPosting(a.ID, month, am.Postings), PostingRef{Posting: posting, Time: ctx.Time, Entry: e.ID, Delta: m.delta, Balance: bal})
		am.Postings++
		put(ctx.st, mk, am)
	}
	e.Status, e.Posting, e.PostedTime, e.PostedHeight = EntryPosted, posting, ctx.Time, ctx.Height
	ctx.emit("entry.posted", "id", uintStr(e.ID), "posting", uintStr(posting), "month", FormatMonth(month),
		"kind", e.Kind, "account", e.Account, "to", e.To, "amount", fen(e.Amount))
	return nil
}

func inBounds(v int64) bool { return -MaxBalance <= v && v <= MaxBalance }

// execEntryApprove records an admin's approval of a pending entry and
// posts the entry once the approvals of admins who still hold the role
// reach the number it needs. If posting fails (the balance no longer
// covers it), the approval is rejected too and can be given again later.
func execEntryApprove(ctx *Context, b *tx.EntryApprove) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	e, err := getEntry(ctx.st, b.Entry)
	if err != nil {
		return err
	}
	switch {
	case e.Status != EntryPending:
		return reject(CodeEntryNotPending, "entry %d is %s", e.ID, e.Status)
	case e.Recorder == ctx.Signer:
		return reject(CodeSelfApproval, "entry %d was recorded by the signer", e.ID)
	}
	for _, a := range e.Approvals {
		if a.Admin == ctx.Signer {
			return reject(CodeAlreadyApproved, "signer approved entry %d at height %d", e.ID, a.Height)
		}
	}
	e.Approvals = append(e.Approvals, Approval{Admin: ctx.Signer, Time: ctx.Time, Height: ctx.Height, TxHash: ctx.TxHash})
	n := int64(0)
	for _, a := range e.Approvals {
		if hasRole(ctx.st, a.Admin, tx.RoleAdmin) {
			n++
		}
	}
	ctx.emit("entry.approved", "id", uintStr(e.ID), "admin", string(ctx.Signer),
		"approvals", strconv.FormatInt(n, 10), "required", strconv.FormatInt(e.Required, 10),
		"emergency", strconv.FormatBool(e.Emergency))
	if n >= e.Required {
		if err := post(ctx, &e, entryMoves(ctx.st, e)); err != nil {
			return err
		}
		ctx.st.delete(keyPendingEntry(e.ID))
	}
	put(ctx.st, keyEntry(e.ID), e)
	return nil
}

// execEntryReverse records the reversal of a posted entry. The reversal is
// guarded like any other money leaving an account: reversing income (or a
// transfer) above the threshold of the account it takes money from waits
// for approvals. The original is marked reversed at once, so a second
// reversal is refused even while the first is pending.
func execEntryReverse(ctx *Context, b *tx.EntryReverse) error {
	if err := ctx.requireRecorder(); err != nil {
		return err
	}
	orig, err := getEntry(ctx.st, b.Entry)
	if err != nil {
		return err
	}
	switch {
	case orig.Kind == tx.EntryReversal:
		return reject(CodeReverseReversal, "entry %d is itself a reversal", orig.ID)
	case orig.ReversedBy != 0:
		return reject(CodeAlreadyReversed, "entry %d is reversed by entry %d", orig.ID, orig.ReversedBy)
	case orig.Status != EntryPosted:
		return reject(CodeEntryNotPosted, "entry %d is %s", orig.ID, orig.Status)
	}
	r := Entry{
		Kind: tx.EntryReversal, Account: orig.Account, To: orig.To, Amount: orig.Amount, Category: orig.Category,
		Counterparty: orig.Counterparty, Memo: b.Memo, Evidence: b.Evidence, Reverses: orig.ID,
	}
	ms := entryMoves(ctx.st, r)
	guarded := false
	if out, ok := outflow(ms); ok {
		a, err := ledgerAccount(ctx.st, out.account)
		if err != nil {
			return err
		}
		if r.Amount > a.Balance {
			return reject(CodeInsufficientFunds, "account %q holds %d fen, not %d", a.ID, a.Balance, r.Amount)
		}
		guarded = r.Amount > a.Threshold
	}
	r, err = recordEntry(ctx, r, ms, guarded)
	if err != nil {
		return err
	}
	orig.ReversedBy = r.ID
	put(ctx.st, keyEntry(orig.ID), orig)
	return nil
}

// execEntryWithdraw withdraws a pending entry (its recorder or an admin).
// Withdrawing a pending reversal frees its original to be reversed again.
func execEntryWithdraw(ctx *Context, b *tx.EntryWithdraw) error {
	e, err := getEntry(ctx.st, b.Entry)
	if err != nil {
		return err
	}
	switch {
	case e.Recorder != ctx.Signer && !hasRole(ctx.st, ctx.Signer, tx.RoleAdmin):
		return reject(CodeUnauthorized, "only entry %d's recorder or an admin may withdraw it", e.ID)
	case e.Status != EntryPending:
		return reject(CodeEntryNotPending, "entry %d is %s", e.ID, e.Status)
	}
	e.Status, e.WithdrawnBy, e.WithdrawReason = EntryWithdrawn, ctx.Signer, b.Reason
	put(ctx.st, keyEntry(e.ID), e)
	ctx.st.delete(keyPendingEntry(e.ID))
	if e.Reverses != 0 {
		orig, _ := get[Entry](ctx.st, keyEntry(e.Reverses))
		orig.ReversedBy = 0
		put(ctx.st, keyEntry(orig.ID), orig)
	}
	ctx.emit("entry.withdrawn", "id", uintStr(e.ID), "reason", b.Reason)
	return nil
}

// fen formats an amount in fen for an event attribute.
func fen(v int64) string { return strconv.FormatInt(v, 10) }
