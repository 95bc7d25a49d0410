package abci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// cst is China Standard Time, for writing test times as a treasurer
// reads them.
var cst = time.FixedZone("CST", 8*3600)

func TestMonthOf(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want int
	}{
		{"LastSecondOfJanuary", time.Date(2026, 1, 31, 23, 59, 59, 0, cst), 202601},
		{"FirstSecondOfFebruary", time.Date(2026, 2, 1, 0, 0, 0, 0, cst), 202602},
		{"UTCStillJanuaryIsFebruaryInChina", time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC), 202602},
		{"LastSecondOfTheYear", time.Date(2025, 12, 31, 23, 59, 59, 0, cst), 202512},
		{"FirstSecondOfTheYear", time.Date(2026, 1, 1, 0, 0, 0, 0, cst), 202601},
		{"LeapDay", time.Date(2024, 2, 29, 23, 59, 59, 0, cst), 202402},
		{"DayAfterLeapDay", time.Date(2024, 3, 1, 0, 0, 0, 0, cst), 202403},
		{"CenturyIsNotLeap", time.Date(2100, 3, 1, 0, 0, 0, 0, cst), 210003},
		{"FourHundredthYearIsLeap", time.Date(2000, 2, 29, 12, 0, 0, 0, cst), 200002},
		{"UnixEpoch", time.Unix(0, 0), 197001},
		{"BeforeTheEpochInChina", time.Date(1969, 12, 31, 23, 59, 59, 0, cst), 196912},
		{"ThirtyDayMonthEnd", time.Date(2026, 4, 30, 23, 59, 59, 0, cst), 202604},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := abci.MonthOf(tt.at.Unix()); got != tt.want {
				t.Errorf("MonthOf(%s) = %d, want %d", tt.at.In(cst), got, tt.want)
			}
		})
	}
}

// TestMonthOfAgreesWithTimePackage checks the integer arithmetic against
// Go's calendar over random times from 1970 to 2200, and MonthStart as its
// inverse.
func TestMonthOfAgreesWithTimePackage(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	end := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for range 100_000 {
		u := rng.Int64N(end)
		c := time.Unix(u, 0).In(cst)
		want := c.Year()*100 + int(c.Month())
		got := abci.MonthOf(u)
		if got != want {
			t.Fatalf("MonthOf(%d) = %d, want %d (%s)", u, got, want, c)
		}
		if s := abci.MonthStart(got); s > u || u >= abci.MonthStart(abci.NextMonth(got)) {
			t.Fatalf("month %d spans [%d, %d), which misses %d", got, s, abci.MonthStart(abci.NextMonth(got)), u)
		}
		if s := time.Unix(abci.MonthStart(got), 0).In(cst); s.Day() != 1 || s.Hour() != 0 || s.Minute() != 0 || s.Second() != 0 {
			t.Fatalf("MonthStart(%d) = %s, want midnight of the 1st", got, s)
		}
	}
}

func TestParseMonth(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"2026-03", 202603, true}, {"2026-12", 202612, true}, {"1970-01", 197001, true},
		{"2026-13", 0, false}, {"2026-00", 0, false}, {"2026-3", 0, false}, {"202603", 0, false},
		{"1969-12", 0, false}, {"2026/03", 0, false}, {"２０２６-03", 0, false}, {"+026-03", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, ok := abci.ParseMonth(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseMonth(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && abci.FormatMonth(got) != tt.in {
			t.Errorf("FormatMonth(%d) = %q, want %q", got, abci.FormatMonth(got), tt.in)
		}
	}
}

// grantLedgerRoles makes "treasurer" a treasurer and admin2-admin4 admins
// beside the genesis admin.
func grantLedgerRoles(c *testChain) {
	c.tb.Helper()
	c.mustOK(
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("treasurer")), Role: tx.RoleTreasurer}),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("admin2")), Role: tx.RoleAdmin}),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("admin3")), Role: tx.RoleAdmin}),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("admin4")), Role: tx.RoleAdmin}),
	)
}

// ledgerChain is a fresh chain with the ledger roles.
func ledgerChain(tb testing.TB) *testChain {
	c := newChain(tb)
	grantLedgerRoles(c)
	return c
}

func record(c *testChain, who, kind, account string, amount int64, category string) []byte {
	return c.sign(key(who), &tx.EntryRecord{Kind: kind, Account: account, Amount: amount, Category: category})
}

func transfer(c *testChain, who, from, to string, amount int64) []byte {
	return c.sign(key(who), &tx.EntryRecord{Kind: tx.EntryTransfer, Account: from, To: to, Amount: amount, Category: "调拨"})
}

func approve(c *testChain, who string, entry uint64) []byte {
	return c.sign(key(who), &tx.EntryApprove{Entry: entry})
}

func reverse(c *testChain, who string, entry uint64) []byte {
	return c.sign(key(who), &tx.EntryReverse{Entry: entry, Memo: "记错了"})
}

func withdraw(c *testChain, who string, entry uint64) []byte {
	return c.sign(key(who), &tx.EntryWithdraw{Entry: entry, Reason: "不再需要"})
}

func (c *testChain) entry(id uint64) abci.Entry {
	c.tb.Helper()
	var e abci.Entry
	if code := c.query(fmt.Sprintf("accounts/entry/%d", id), &e); code != 0 {
		c.tb.Fatalf("accounts/entry/%d: code %v", id, code)
	}
	return e
}

func (c *testChain) balances() map[string]int64 {
	c.tb.Helper()
	var list []abci.LedgerAccount
	if code := c.query("accounts", &list); code != 0 {
		c.tb.Fatalf("accounts: code %v", code)
	}
	out := map[string]int64{}
	for _, a := range list {
		out[a.ID] = a.Balance
	}
	return out
}

func (c *testChain) pending() []abci.Entry {
	c.tb.Helper()
	var list []abci.Entry
	if code := c.query("accounts/pending", &list); code != 0 {
		c.tb.Fatalf("accounts/pending: code %v", code)
	}
	return list
}

func (c *testChain) monthly(from, to string) []abci.MonthSummary {
	c.tb.Helper()
	var list []abci.MonthSummary
	if code := c.query("accounts/monthly/"+from+"/"+to, &list); code != 0 {
		c.tb.Fatalf("accounts/monthly: code %v", code)
	}
	return list
}

// category returns a month's total of one account, flow and category.
func category(s abci.MonthSummary, account, flow, cat string) int64 {
	for _, ct := range s.Categories {
		if ct.Account == account && ct.Flow == flow && ct.Category == cat {
			return ct.Amount
		}
	}
	return 0
}

// event returns the first event of a type in a result, as a map.
func event(r *abcitypes.ExecTxResult, typ string) (map[string]string, bool) {
	for _, ev := range r.Events {
		if ev.Type == typ {
			m := map[string]string{}
			for _, a := range ev.Attributes {
				m[a.Key] = a.Value
			}
			return m, true
		}
	}
	return nil, false
}

func TestGenesisOpensStandardAccounts(t *testing.T) {
	c := newChain(t)
	c.mustOK() // InitChain's writes commit with the first block
	var list []abci.LedgerAccount
	c.query("accounts", &list)
	want := []abci.LedgerAccount{
		{ID: "committee", Name: "业委会经费", Threshold: abci.DefaultParams().AccountThreshold},
		{ID: "fund", Name: "维修资金", MaintenanceFund: true, Threshold: 0},
		{ID: "mgmt", Name: "物业费", Threshold: abci.DefaultParams().AccountThreshold},
		{ID: "public", Name: "公共收益", Threshold: abci.DefaultParams().AccountThreshold},
	}
	if fmt.Sprint(list) != fmt.Sprint(want) {
		t.Errorf("accounts = %+v\nwant %+v", list, want)
	}
}

func TestAccountOpenAndThreshold(t *testing.T) {
	c := ledgerChain(t)
	open := &tx.AccountOpen{ID: "parking", Name: "停车费", Threshold: 100_000}
	wantCodes(t, c.block(
		c.sign(key("treasurer"), open),
		c.sign(key("admin2"), open),
		c.sign(c.admin, open),
		c.sign(key("admin2"), &tx.AccountOpen{ID: "fund2", Name: "3栋维修资金", MaintenanceFund: true}),
		c.sign(key("treasurer"), &tx.AccountThreshold{Account: "parking", Threshold: 1}),
		c.sign(c.admin, &tx.AccountThreshold{Account: "nope", Threshold: 1}),
		c.sign(c.admin, &tx.AccountThreshold{Account: "parking", Threshold: 200_000}),
		c.sign(c.admin, &tx.AccountOpen{ID: "pending", Name: "保留字"}),
	), abci.CodeUnauthorized, 0, abci.CodeLedgerAccountExists, 0, abci.CodeUnauthorized, abci.CodeLedgerAccountNotFound, 0, abci.CodeInvalidBody)
	var p abci.LedgerAccount
	c.query("accounts/parking", &p)
	if p.Name != "停车费" || p.Threshold != 200_000 || p.MaintenanceFund || p.Balance != 0 {
		t.Errorf("parking = %+v, want 停车费 with threshold 200000", p)
	}
	var f abci.LedgerAccount
	c.query("accounts/fund2", &f)
	if !f.MaintenanceFund || f.Threshold != 0 {
		t.Errorf("fund2 = %+v, want a maintenance fund with threshold 0", f)
	}
}

func TestTooManyAccounts(t *testing.T) {
	c := ledgerChain(t)
	var txs [][]byte
	for i := len(c.balances()); i < abci.MaxLedgerAccounts; i++ {
		txs = append(txs, c.sign(c.admin, &tx.AccountOpen{ID: fmt.Sprintf("a%d", i), Name: "账户"}))
	}
	c.mustOK(txs...)
	if got := c.code(c.sign(c.admin, &tx.AccountOpen{ID: "onemore", Name: "账户"})); got != abci.CodeTooManyAccounts {
		t.Errorf("account %d: code %v, want %v", abci.MaxLedgerAccounts+1, got, abci.CodeTooManyAccounts)
	}
}

// TestEntryRecordRejects gives every bad entry its own code and checks
// that a rejected entry changes no balance and no total.
func TestEntryRecordRejects(t *testing.T) {
	over := func(c *testChain) {
		if err := abci.SeedLedgerBalance(c.app, "public", abci.MaxBalance-10); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		setup func(c *testChain)
		body  *tx.EntryRecord
		who   string
		want  abci.Code
	}{
		{"ErrZeroAmount", nil, &tx.EntryRecord{Kind: tx.EntryIncome, Account: "mgmt", Amount: 0, Category: "物业费"}, "treasurer", abci.CodeAmountNotPositive},
		{"ErrNegativeAmount", nil, &tx.EntryRecord{Kind: tx.EntryExpense, Account: "mgmt", Amount: -500, Category: "保洁"}, "treasurer", abci.CodeAmountNotPositive},
		{"ErrAmountAboveLimit", nil, &tx.EntryRecord{Kind: tx.EntryIncome, Account: "mgmt", Amount: tx.MaxAmount + 1, Category: "物业费"}, "treasurer", abci.CodeAmountTooLarge},
		{"ErrBalanceOverflow", over, &tx.EntryRecord{Kind: tx.EntryIncome, Account: "public", Amount: 11, Category: "广告"}, "treasurer", abci.CodeBalanceOverflow},
		{"ErrTransferOverflowsDestination", over, &tx.EntryRecord{Kind: tx.EntryTransfer, Account: "mgmt", To: "public", Amount: 11, Category: "调拨"}, "treasurer", abci.CodeBalanceOverflow},
		{"ErrTransferToSameAccount", nil, &tx.EntryRecord{Kind: tx.EntryTransfer, Account: "mgmt", To: "mgmt", Amount: 100, Category: "调拨"}, "treasurer", abci.CodeSameAccount},
		{"ErrUnknownAccount", nil, &tx.EntryRecord{Kind: tx.EntryIncome, Account: "nope", Amount: 100, Category: "物业费"}, "treasurer", abci.CodeLedgerAccountNotFound},
		{"ErrUnknownTransferTarget", nil, &tx.EntryRecord{Kind: tx.EntryTransfer, Account: "mgmt", To: "nope", Amount: 100, Category: "调拨"}, "treasurer", abci.CodeLedgerAccountNotFound},
		{"ErrExpenseAboveBalance", nil, &tx.EntryRecord{Kind: tx.EntryExpense, Account: "mgmt", Amount: 1_000_001, Category: "保洁"}, "treasurer", abci.CodeInsufficientFunds},
		{"ErrTransferAboveBalance", nil, &tx.EntryRecord{Kind: tx.EntryTransfer, Account: "mgmt", To: "committee", Amount: 1_000_001, Category: "调拨"}, "treasurer", abci.CodeInsufficientFunds},
		{"ErrFundExpenseWithoutProposal", nil, &tx.EntryRecord{Kind: tx.EntryExpense, Account: "fund", Amount: 100, Category: "电梯维修"}, "treasurer", abci.CodeFundNeedsProposal},
		{"ErrFundTransferWithoutProposal", nil, &tx.EntryRecord{Kind: tx.EntryTransfer, Account: "fund", To: "mgmt", Amount: 100, Category: "调拨"}, "treasurer", abci.CodeFundNeedsProposal},
		{"ErrFundEmergencyTransfer", nil, &tx.EntryRecord{Kind: tx.EntryTransfer, Account: "fund", To: "mgmt", Amount: 100, Category: "紧急维修"}, "treasurer", abci.CodeFundNeedsProposal},
		{"ErrProposalNotFound", nil, &tx.EntryRecord{Kind: tx.EntryExpense, Account: "fund", Amount: 100, Category: "电梯维修", Proposal: 99}, "treasurer", abci.CodeProposalNotFound},
		{"ErrResidentRecords", nil, &tx.EntryRecord{Kind: tx.EntryIncome, Account: "mgmt", Amount: 100, Category: "物业费"}, "w1", abci.CodeUnauthorized},
		{"ErrIncomeWithTo", nil, &tx.EntryRecord{Kind: tx.EntryIncome, Account: "mgmt", To: "fund", Amount: 100, Category: "物业费"}, "treasurer", abci.CodeInvalidBody},
		{"ErrBadEvidence", nil, &tx.EntryRecord{Kind: tx.EntryIncome, Account: "mgmt", Amount: 100, Category: "物业费", Evidence: "ABC"}, "treasurer", abci.CodeInvalidBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ledgerChain(t)
			c.mustOK(
				record(c, "treasurer", tx.EntryIncome, "mgmt", 1_000_000, "物业费"),
				record(c, "treasurer", tx.EntryIncome, "fund", 1_000_000, "维修资金续筹"),
			)
			if tt.setup != nil {
				tt.setup(c)
			}
			before, sumBefore := c.balances(), c.monthly("2026-03", "2026-03")
			if got := c.code(c.sign(key(tt.who), tt.body)); got != tt.want {
				t.Errorf("code %v, want %v", got, tt.want)
			}
			if after := c.balances(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("balances changed by a rejected entry: %v, then %v", before, after)
			}
			if sumAfter := c.monthly("2026-03", "2026-03"); fmt.Sprint(sumAfter) != fmt.Sprint(sumBefore) {
				t.Errorf("monthly totals changed by a rejected entry: %+v, then %+v", sumBefore, sumAfter)
			}
			if p := c.pending(); len(p) != 0 {
				t.Errorf("a rejected entry is pending: %+v", p)
			}
		})
	}
}

func TestEntriesPostAndTotal(t *testing.T) {
	c := ledgerChain(t)
	ev := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	res := c.block(
		c.sign(key("treasurer"), &tx.EntryRecord{Kind: tx.EntryIncome, Account: "mgmt", Amount: 300_000, Category: "物业费",
			Counterparty: "3-502", Memo: "三月物业费"}),
		record(c, "treasurer", tx.EntryIncome, "mgmt", 200_000, "物业费"),
		c.sign(key("treasurer"), &tx.EntryRecord{Kind: tx.EntryExpense, Account: "mgmt", Amount: 120_000, Category: "保洁",
			Counterparty: "某某保洁公司", Evidence: ev}),
		record(c, "admin", tx.EntryIncome, "public", 80_000, "广告"),
		transfer(c, "treasurer", "mgmt", "committee", 50_000),
	)
	wantCodes(t, res, 0, 0, 0, 0, 0)
	if got, want := c.balances(), map[string]int64{"mgmt": 330_000, "public": 80_000, "committee": 50_000, "fund": 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("balances = %v, want %v", got, want)
	}
	posted, ok := event(res[2], "entry.posted")
	if !ok || posted["id"] != "3" || posted["amount"] != "120000" || posted["month"] != "2026-03" || posted["posting"] != "3" {
		t.Errorf("expense's entry.posted = %v, want id 3 of 120000 fen in 2026-03 as posting 3", posted)
	}
	if e := c.entry(3); e.Status != abci.EntryPosted || e.Evidence != ev || e.Recorder != addr(key("treasurer")) || e.Required != 0 {
		t.Errorf("entry 3 = %+v, want posted at once with its evidence", e)
	}

	s := c.monthly("2026-03", "2026-03")[0]
	if s.Income != 580_000 || s.Expense != 120_000 {
		t.Errorf("March income %d expense %d, want 580000 and 120000 (transfers left out)", s.Income, s.Expense)
	}
	for _, tt := range []struct {
		account, flow, cat string
		want               int64
	}{
		{"mgmt", abci.FlowIncome, "物业费", 500_000},
		{"mgmt", abci.FlowExpense, "保洁", 120_000},
		{"public", abci.FlowIncome, "广告", 80_000},
		{"mgmt", abci.FlowTransferOut, "调拨", 50_000},
		{"committee", abci.FlowTransferIn, "调拨", 50_000},
	} {
		if got := category(s, tt.account, tt.flow, tt.cat); got != tt.want {
			t.Errorf("%s %s %s = %d, want %d", tt.account, tt.flow, tt.cat, got, tt.want)
		}
	}

	var lines []abci.StatementLine
	if code := c.query("accounts/mgmt/entries/2026-03/2026-03", &lines); code != 0 {
		t.Fatalf("entries: code %v", code)
	}
	var balances []int64
	for _, l := range lines {
		balances = append(balances, l.Balance)
	}
	if fmt.Sprint(balances) != "[300000 500000 380000 330000]" {
		t.Errorf("mgmt's balances after each posting = %v, want [300000 500000 380000 330000]", balances)
	}
	if code := c.query("accounts/mgmt/entries/2026-04/2026-05", &lines); code != 0 || len(lines) != 0 {
		t.Errorf("entries in April-May: code %v, %d lines; want none", code, len(lines))
	}
}

// TestPendingExpenseApprovedInLaterBlock follows an expense above the
// threshold: recorded on the last evening of March, it waits, moves
// nothing, takes one approval in a later block and posts with the second
// in April, so it counts in April.
func TestPendingExpenseApprovedInLaterBlock(t *testing.T) {
	c := ledgerChain(t)
	c.mustOK(record(c, "treasurer", tx.EntryIncome, "mgmt", 2_000_000, "物业费"))
	c.at(time.Date(2026, 3, 31, 23, 59, 0, 0, cst))
	res := c.block(record(c, "treasurer", tx.EntryExpense, "mgmt", 600_000, "电梯维保"))
	wantCodes(t, res, 0)
	if rec, _ := event(res[0], "entry.recorded"); rec["status"] != abci.EntryPending || rec["required"] != "2" {
		t.Errorf("entry.recorded = %v, want pending needing 2", rec)
	}
	if _, ok := event(res[0], "entry.posted"); ok {
		t.Errorf("a pending expense emitted entry.posted")
	}
	if got := c.balances()["mgmt"]; got != 2_000_000 {
		t.Errorf("mgmt = %d while the expense is pending, want 2000000", got)
	}
	if p := c.pending(); len(p) != 1 || p[0].ID != 2 || p[0].Required != 2 {
		t.Fatalf("pending = %+v, want entry 2 needing 2 approvals", p)
	}

	wantCodes(t, c.block(approve(c, "admin2", 2)), 0)
	if e := c.entry(2); e.Status != abci.EntryPending || len(e.Approvals) != 1 {
		t.Errorf("after one approval entry 2 = %s with %d approvals, want pending with 1", e.Status, len(e.Approvals))
	}
	c.at(time.Date(2026, 4, 1, 8, 0, 0, 0, cst))
	res = c.block(approve(c, "admin2", 2), approve(c, "treasurer", 2), approve(c, "admin3", 2))
	wantCodes(t, res, abci.CodeAlreadyApproved, abci.CodeUnauthorized, 0)
	if posted, ok := event(res[2], "entry.posted"); !ok || posted["month"] != "2026-04" {
		t.Errorf("entry.posted = %v, want the expense posted in 2026-04", posted)
	}
	e := c.entry(2)
	if e.Status != abci.EntryPosted || len(e.Approvals) != 2 || e.PostedHeight != c.height || e.Height >= e.PostedHeight {
		t.Errorf("entry 2 = %+v, want posted at height %d with 2 approvals", e, c.height)
	}
	if got := c.balances()["mgmt"]; got != 1_400_000 {
		t.Errorf("mgmt = %d, want 1400000", got)
	}
	if p := c.pending(); len(p) != 0 {
		t.Errorf("pending after posting = %+v, want none", p)
	}
	s := c.monthly("2026-03", "2026-04")
	if s[0].Expense != 0 || s[1].Expense != 600_000 || category(s[1], "mgmt", abci.FlowExpense, "电梯维保") != 600_000 {
		t.Errorf("expense in March %d, April %d; want it counted in April", s[0].Expense, s[1].Expense)
	}
	if got := c.code(approve(c, "admin4", 2)); got != abci.CodeEntryNotPending {
		t.Errorf("approving a posted entry: %v, want %v", got, abci.CodeEntryNotPending)
	}
}

func TestApprovalRules(t *testing.T) {
	c := ledgerChain(t)
	c.mustOK(record(c, "treasurer", tx.EntryIncome, "mgmt", 2_000_000, "物业费"))
	// An admin may record; then they may not approve their own entry.
	c.mustOK(record(c, "admin2", tx.EntryExpense, "mgmt", 600_000, "绿化"))
	wantCodes(t, c.block(approve(c, "admin2", 2), approve(c, "admin", 3), approve(c, "w1", 2)),
		abci.CodeSelfApproval, abci.CodeEntryNotFound, abci.CodeUnauthorized)

	// An approval counts only while its admin holds the role.
	c.mustOK(approve(c, "admin3", 2))
	c.mustOK(c.sign(c.admin, &tx.RoleRevoke{Address: addr(key("admin3")), Role: tx.RoleAdmin}))
	c.mustOK(approve(c, "admin4", 2))
	if e := c.entry(2); e.Status != abci.EntryPending {
		t.Errorf("with one of two approvers revoked entry 2 is %s, want pending", e.Status)
	}
	c.mustOK(approve(c, "admin", 2))
	if e := c.entry(2); e.Status != abci.EntryPosted || len(e.Approvals) != 3 {
		t.Errorf("entry 2 = %s with %d approvals, want posted with 3", e.Status, len(e.Approvals))
	}
}

func TestThresholdIsStrict(t *testing.T) {
	c := ledgerChain(t)
	c.mustOK(record(c, "treasurer", tx.EntryIncome, "mgmt", 2_000_000, "物业费"),
		c.sign(c.admin, &tx.AccountThreshold{Account: "committee", Threshold: 0}))
	c.mustOK(
		record(c, "treasurer", tx.EntryExpense, "mgmt", 500_000, "维修"), // at the threshold: posts
		record(c, "treasurer", tx.EntryExpense, "mgmt", 500_001, "维修"), // above it: waits
		transfer(c, "treasurer", "mgmt", "public", 500_001),            // a transfer out waits too
		transfer(c, "treasurer", "mgmt", "committee", 10),              // into a zero-threshold account: posts
		record(c, "treasurer", tx.EntryExpense, "committee", 1, "办公"),  // out of it: waits
	)
	var got []string
	for id := uint64(2); id <= 6; id++ {
		got = append(got, c.entry(id).Status)
	}
	if want := "[posted pending pending posted pending]"; fmt.Sprint(got) != want {
		t.Errorf("statuses = %v, want %s", got, want)
	}
}

// TestApprovalRejectedWhenBalanceNoLongerCovers: two pending expenses each
// fit the balance but not both; the second's last approval is refused
// until money comes in, and can then be given again.
func TestApprovalRejectedWhenBalanceNoLongerCovers(t *testing.T) {
	c := ledgerChain(t)
	c.mustOK(record(c, "treasurer", tx.EntryIncome, "mgmt", 1_000_000, "物业费"))
	c.mustOK(record(c, "treasurer", tx.EntryExpense, "mgmt", 600_000, "电梯"), record(c, "treasurer", tx.EntryExpense, "mgmt", 600_000, "消防"))
	c.mustOK(approve(c, "admin", 2), approve(c, "admin2", 2), approve(c, "admin", 3))
	if got := c.code(approve(c, "admin2", 3)); got != abci.CodeInsufficientFunds {
		t.Errorf("last approval without funds: %v, want %v", got, abci.CodeInsufficientFunds)
	}
	if e := c.entry(3); e.Status != abci.EntryPending || len(e.Approvals) != 1 {
		t.Errorf("entry 3 = %s with %d approvals, want pending with 1", e.Status, len(e.Approvals))
	}
	c.mustOK(record(c, "treasurer", tx.EntryIncome, "mgmt", 300_000, "物业费"))
	c.mustOK(approve(c, "admin2", 3))
	if got := c.balances()["mgmt"]; got != 100_000 {
		t.Errorf("mgmt = %d, want 100000", got)
	}
}

// decide opens an owners' decision, has every owner of community vote
// for it (or against) and closes it; it returns the proposal's id.
func decide(t *testing.T, c *testChain, agree bool) uint64 {
	t.Helper()
	now := c.time
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "使用维修资金更换3栋电梯", Class: tx.ClassOrdinary,
		NoticeAt: now.Unix(), VoteStart: now.Add(16 * day).Unix(), VoteEnd: now.Add(17 * day).Unix()}))
	var ps []struct{ ID uint64 }
	c.query("proposals", &ps)
	id := ps[len(ps)-1].ID
	choice := tx.DecisionOptionYes
	if !agree {
		choice = tx.DecisionOptionNo
	}
	c.at(now.Add(16 * day))
	c.mustOK(vote(c, "w1", id, choice), vote(c, "o2", id, choice), vote(c, "o3", id, choice), vote(c, "dev", id, choice))
	c.at(now.Add(17 * day))
	c.mustOK()
	var p abci.Proposal
	c.query(fmt.Sprintf("proposals/%d", id), &p)
	if want := map[bool]string{true: abci.OutcomePassed, false: abci.OutcomeRejected}[agree]; p.Outcome != want {
		t.Fatalf("proposal %d closed %q, want %q", id, p.Outcome, want)
	}
	return id
}

func TestMaintenanceFundGuard(t *testing.T) {
	c := community(t)
	grantLedgerRoles(c)
	c.mustOK(record(c, "treasurer", tx.EntryIncome, "fund", 10_000_000, "维修资金续筹"))
	passed, rejected := decide(t, c, true), decide(t, c, false)
	fundExpense := func(amount int64, cat string, proposal uint64) []byte {
		return c.sign(key("treasurer"), &tx.EntryRecord{Kind: tx.EntryExpense, Account: "fund", Amount: amount, Category: cat, Proposal: proposal})
	}
	wantCodes(t, c.block(
		fundExpense(100, "电梯维修", 0),
		fundExpense(100, "电梯维修", rejected),
		c.sign(key("treasurer"), &tx.EntryRecord{Kind: tx.EntryTransfer, Account: "fund", To: "mgmt", Amount: 100, Category: "调拨", Proposal: rejected}),
		fundExpense(3_000_000, "电梯维修", passed),  // entry 2
		fundExpense(200_000, "紧急维修", 0),         // entry 3
		fundExpense(200_000, "紧急-屋面渗漏", passed), // entry 4: a decision, not an emergency
	), abci.CodeFundNeedsProposal, abci.CodeProposalNotPassed, abci.CodeProposalNotPassed, 0, 0, 0)

	// The fund's threshold is 0: with a decision or in an emergency, every
	// expense from it still waits for two admins.
	for id, emergency := range map[uint64]bool{2: false, 3: true, 4: false} {
		if e := c.entry(id); e.Status != abci.EntryPending || e.Emergency != emergency || e.Required != 2 {
			t.Errorf("entry %d = %s emergency %v needing %d, want pending emergency %v needing 2", id, e.Status, e.Emergency, e.Required, emergency)
		}
	}
	res := c.block(approve(c, "admin", 3), approve(c, "admin2", 3), approve(c, "admin", 2), approve(c, "admin3", 2))
	wantCodes(t, res, 0, 0, 0, 0)
	if ap, _ := event(res[1], "entry.approved"); ap["emergency"] != "true" {
		t.Errorf("emergency approval's event = %v, want emergency=true", ap)
	}
	if got := c.balances()["fund"]; got != 10_000_000-3_000_000-200_000 {
		t.Errorf("fund = %d, want %d", got, 10_000_000-3_000_000-200_000)
	}
	if e := c.entry(2); e.Proposal != passed || e.Status != abci.EntryPosted {
		t.Errorf("entry 2 = %+v, want posted linked to proposal %d", e, passed)
	}

	// A passed decision may be linked to any entry; an open one may not.
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "续聘物业", Class: tx.ClassOrdinary,
		NoticeAt: c.time.Unix(), VoteStart: c.time.Add(16 * day).Unix(), VoteEnd: c.time.Add(17 * day).Unix()}))
	wantCodes(t, c.block(
		c.sign(key("treasurer"), &tx.EntryRecord{Kind: tx.EntryIncome, Account: "public", Amount: 5_000, Category: "场地", Proposal: passed}),
		c.sign(key("treasurer"), &tx.EntryRecord{Kind: tx.EntryIncome, Account: "public", Amount: 5_000, Category: "场地", Proposal: rejected + 1}),
	), 0, abci.CodeProposalNotPassed)
}

func TestReversal(t *testing.T) {
	c := ledgerChain(t)
	c.mustOK(
		record(c, "treasurer", tx.EntryIncome, "mgmt", 400_000, "物业费"),    // 1
		record(c, "treasurer", tx.EntryExpense, "mgmt", 100_000, "保洁"),    // 2
		record(c, "treasurer", tx.EntryIncome, "public", 900_000, "停车"),   // 3
		record(c, "treasurer", tx.EntryExpense, "public", 600_000, "设备"),  // 4: pending
		record(c, "treasurer", tx.EntryExpense, "public", 550_000, "设备2"), // 5: pending
	)
	res := c.block(reverse(c, "treasurer", 2)) // 6
	wantCodes(t, res, 0)
	if rec, _ := event(res[0], "entry.recorded"); rec["kind"] != tx.EntryReversal || rec["reverses"] != "2" || rec["status"] != abci.EntryPosted {
		t.Errorf("entry.recorded = %v, want a reversal of 2 posted at once", rec)
	}
	if got := c.balances()["mgmt"]; got != 400_000 {
		t.Errorf("after reversing the expense mgmt = %d, want 400000", got)
	}
	if orig, r := c.entry(2), c.entry(6); orig.ReversedBy != 6 || r.Reverses != 2 || r.Status != abci.EntryPosted || r.Amount != 100_000 || r.Category != "保洁" {
		t.Errorf("original %+v, reversal %+v; want 2 reversed by posted 6", orig, r)
	}
	wantCodes(t, c.block(
		reverse(c, "treasurer", 2),
		reverse(c, "treasurer", 6),
		reverse(c, "treasurer", 4),
		reverse(c, "treasurer", 99),
		reverse(c, "w1", 1),
		withdraw(c, "treasurer", 4), // the recorder withdraws a pending entry
		withdraw(c, "w1", 5),
	), abci.CodeAlreadyReversed, abci.CodeReverseReversal, abci.CodeEntryNotPosted, abci.CodeEntryNotFound, abci.CodeUnauthorized, 0, abci.CodeUnauthorized)
	if e := c.entry(4); e.Status != abci.EntryWithdrawn || e.WithdrawnBy != addr(key("treasurer")) || e.WithdrawReason != "不再需要" {
		t.Errorf("entry 4 = %+v, want withdrawn by the treasurer", e)
	}
	wantCodes(t, c.block(
		reverse(c, "treasurer", 4),
		approve(c, "admin", 4),
		withdraw(c, "admin", 4),
		withdraw(c, "admin", 5), // an admin may withdraw too
	), abci.CodeEntryNotPosted, abci.CodeEntryNotPending, abci.CodeEntryNotPending, 0)
	if p := c.pending(); len(p) != 0 {
		t.Errorf("pending = %+v, want none", p)
	}
	if got := c.balances()["public"]; got != 900_000 {
		t.Errorf("withdrawn entries moved public to %d, want 900000", got)
	}

	// Reversing income takes money out: above the threshold it waits,
	// the original cannot be reversed a second time meanwhile, and
	// withdrawing the reversal frees it again.
	c.mustOK(reverse(c, "treasurer", 3)) // 7: pending
	if got := c.code(reverse(c, "admin", 3)); got != abci.CodeAlreadyReversed {
		t.Errorf("second reversal while the first is pending: %v, want %v", got, abci.CodeAlreadyReversed)
	}
	if got := c.balances()["public"]; got != 900_000 {
		t.Errorf("a pending reversal moved public to %d", got)
	}
	c.mustOK(withdraw(c, "treasurer", 7))
	if e := c.entry(3); e.ReversedBy != 0 {
		t.Errorf("after withdrawing its reversal entry 3 is reversed by %d, want 0", e.ReversedBy)
	}
	c.mustOK(record(c, "treasurer", tx.EntryExpense, "public", 400_000, "设备")) // 8
	if got := c.code(reverse(c, "treasurer", 3)); got != abci.CodeInsufficientFunds {
		t.Errorf("reversing income the account no longer holds: %v, want %v", got, abci.CodeInsufficientFunds)
	}
	c.mustOK(reverse(c, "treasurer", 8), reverse(c, "treasurer", 3), approve(c, "admin", 10), approve(c, "admin2", 10))
	if got := c.balances()["public"]; got != 0 {
		t.Errorf("public after reversing everything = %d, want 0", got)
	}
}

// TestReversalCountsInItsOwnMonth: an April reversal of March income
// leaves March as reported and nets out in April.
func TestReversalCountsInItsOwnMonth(t *testing.T) {
	c := ledgerChain(t)
	c.mustOK(record(c, "treasurer", tx.EntryIncome, "public", 50_000, "广告"), transfer(c, "treasurer", "public", "committee", 20_000))
	before := c.monthly("2026-03", "2026-03")
	c.at(time.Date(2026, 4, 2, 10, 0, 0, 0, cst))
	c.mustOK(reverse(c, "treasurer", 2), reverse(c, "treasurer", 1))
	s := c.monthly("2026-03", "2026-04")
	if fmt.Sprint(s[0]) != fmt.Sprint(before[0]) {
		t.Errorf("March changed after an April reversal:\n%+v\nwas\n%+v", s[0], before[0])
	}
	if s[1].Income != -50_000 || category(s[1], "public", abci.FlowIncome, "广告") != -50_000 ||
		category(s[1], "public", abci.FlowTransferOut, "调拨") != -20_000 || category(s[1], "committee", abci.FlowTransferIn, "调拨") != -20_000 {
		t.Errorf("April = %+v, want the reversals as negative income and transfers", s[1])
	}
	for _, am := range s[1].Accounts {
		if am.Opening+am.Income-am.Expense+am.TransferIn-am.TransferOut != am.Closing || am.Closing != 0 {
			t.Errorf("April %s = %+v, want it to add up to a closing of 0", am.Account, am)
		}
	}
}

func TestStatement(t *testing.T) {
	c := ledgerChain(t)
	c.mustOK(record(c, "treasurer", tx.EntryIncome, "mgmt", 1_000_000, "物业费"), record(c, "treasurer", tx.EntryExpense, "mgmt", 50_000, "保洁"))
	c.at(time.Date(2026, 4, 10, 9, 0, 0, 0, cst))
	c.mustOK(record(c, "treasurer", tx.EntryIncome, "mgmt", 200_000, "物业费"), transfer(c, "treasurer", "mgmt", "committee", 30_000))
	c.at(time.Date(2026, 5, 31, 23, 0, 0, 0, cst))
	c.mustOK(record(c, "treasurer", tx.EntryExpense, "mgmt", 600_000, "电梯")) // pending across the month end
	c.at(time.Date(2026, 6, 1, 9, 0, 0, 0, cst))
	c.mustOK(approve(c, "admin", 5), approve(c, "admin2", 5), reverse(c, "treasurer", 2))

	var st abci.AccountsStatement
	if code := c.query("accounts/statement/2026-04/2026-05", &st); code != 0 {
		t.Fatalf("statement: code %v", code)
	}
	if st.From != "2026-04" || st.To != "2026-05" || st.Start != time.Date(2026, 4, 1, 0, 0, 0, 0, cst).Unix() || st.End != time.Date(2026, 6, 1, 0, 0, 0, 0, cst).Unix() {
		t.Errorf("statement period = %s..%s [%d, %d)", st.From, st.To, st.Start, st.End)
	}
	byID := map[string]abci.AccountStatement{}
	for _, as := range st.Accounts {
		byID[as.Account] = as
		sum := as.Opening
		for _, l := range as.Lines {
			sum += l.Delta
			if l.Balance != sum {
				t.Errorf("%s posting %d: balance %d, want %d", as.Account, l.Posting, l.Balance, sum)
			}
		}
		if sum != as.Closing || as.Opening+as.Income-as.Expense+as.TransferIn-as.TransferOut != as.Closing {
			t.Errorf("%s does not add up: %+v", as.Account, as)
		}
	}
	m := byID["mgmt"]
	if m.Opening != 950_000 || m.Income != 200_000 || m.TransferOut != 30_000 || m.Closing != 1_120_000 || len(m.Lines) != 2 {
		t.Errorf("mgmt = opening %d income %d transfer_out %d closing %d with %d lines; want 950000, 200000, 30000, 1120000 and 2 lines",
			m.Opening, m.Income, m.TransferOut, m.Closing, len(m.Lines))
	}
	if m.Lines[0].Entry.ID != 3 || m.Lines[1].Entry.ID != 4 || m.Lines[1].Delta != -30_000 {
		t.Errorf("mgmt lines = %+v, want entries 3 and 4", m.Lines)
	}
	if f := byID["fund"]; f.Name != "维修资金" || !f.MaintenanceFund || f.Opening != 0 || f.Closing != 0 || len(f.Lines) != 0 {
		t.Errorf("fund = %+v, want an empty 维修资金", f)
	}

	// May moved nothing (the expense recorded then was still pending): it
	// opens and closes with April's closing balance.
	c.query("accounts/statement/2026-05/2026-05", &st)
	for _, as := range st.Accounts {
		if as.Account == "mgmt" && (as.Opening != 1_120_000 || as.Closing != 1_120_000 || len(as.Lines) != 0) {
			t.Errorf("May mgmt = %+v, want 1120000 throughout and no lines", as)
		}
	}

	// June: the May expense posted with its approval, then the March
	// expense was reversed.
	c.query("accounts/statement/2026-06/2026-06", &st)
	for _, as := range st.Accounts {
		if as.Account != "mgmt" {
			continue
		}
		if as.Opening != 1_120_000 || as.Expense != 600_000-50_000 || as.Closing != 570_000 || len(as.Lines) != 2 || as.Lines[1].Entry.Kind != tx.EntryReversal {
			t.Errorf("June mgmt = %+v, want 1120000 - 600000 + 50000 = 570000 over 2 lines", as)
		}
	}
}

func TestAccountsQueries(t *testing.T) {
	c := ledgerChain(t)
	c.mustOK(record(c, "treasurer", tx.EntryIncome, "mgmt", 1_000, "物业费"))
	tests := []struct {
		path string
		want abci.Code
	}{
		{"accounts", 0},
		{"accounts/mgmt", 0},
		{"accounts/nope", abci.CodeQueryNotFound},
		{"accounts/entry/1", 0},
		{"accounts/entry/2", abci.CodeQueryNotFound},
		{"accounts/entry/x", abci.CodeQueryBad},
		{"accounts/pending", 0},
		{"accounts/monthly/2026-03", 0},
		{"accounts/monthly/2026-03/2026-02", abci.CodeQueryBad},
		{"accounts/monthly/2026-13", abci.CodeQueryBad},
		{"accounts/monthly/2016-03/2026-02", 0},
		{"accounts/monthly/2016-03/2026-03", abci.CodeQueryBad},
		{"accounts/statement/2026-01/2026-03", 0},
		{"accounts/statement/2026-01", abci.CodeQueryBad},
		{"accounts/mgmt/entries/2026-03/2026-03", 0},
		{"accounts/nope/entries/2026-03/2026-03", abci.CodeQueryNotFound},
		{"accounts/mgmt/entries/march/2026-03", abci.CodeQueryBad},
		{"accounts/mgmt/other/2026-03/2026-03", abci.CodeQueryBad},
	}
	for _, tt := range tests {
		if got := c.query(tt.path, nil); got != tt.want {
			t.Errorf("%s: code %v, want %v", tt.path, got, tt.want)
		}
	}
	var a struct {
		abci.LedgerAccount
		Months []abci.AccountMonth
	}
	c.query("accounts/mgmt", &a)
	if a.Balance != 1_000 || len(a.Months) != 1 || a.Months[0] != (abci.AccountMonth{Account: "mgmt", Month: "2026-03", Income: 1_000, Closing: 1_000, Postings: 1}) {
		t.Errorf("accounts/mgmt = %+v", a)
	}
}

// TestLedgerDeterminismAcrossStores runs the same blocks on two fresh
// chains, each over its own SQLite file, and wants the same app hash at
// every height and the same answers at the end. One of them also runs
// CheckTx on every tx before its block, which must change nothing.
func TestLedgerDeterminismAcrossStores(t *testing.T) {
	a, b := newChain(t), newChain(t)
	step := func(at time.Time, txs ...[]byte) {
		t.Helper()
		if !at.IsZero() {
			a.at(at)
			b.at(at)
		}
		for _, x := range txs {
			a.check(x)
		}
		ra, rb := a.block(txs...), b.block(txs...)
		for i := range ra {
			if ra[i].Code != rb[i].Code || ra[i].Log != rb[i].Log || fmt.Sprint(ra[i].Events) != fmt.Sprint(rb[i].Events) {
				t.Fatalf("height %d tx %d: results differ: %v %q / %v %q", a.height, i, ra[i].Code, ra[i].Log, rb[i].Code, rb[i].Log)
			}
		}
		if ha, hb := a.appHash(), b.appHash(); !bytes.Equal(ha, hb) {
			t.Fatalf("height %d: app hash %x on one store, %x on the other", a.height, ha, hb)
		}
	}
	// a signs for both: the same bytes go to each chain.
	step(time.Time{}, a.sign(a.admin, &tx.RoleGrant{Address: addr(key("treasurer")), Role: tx.RoleTreasurer}),
		a.sign(a.admin, &tx.RoleGrant{Address: addr(key("admin2")), Role: tx.RoleAdmin}),
		a.sign(a.admin, &tx.RoleGrant{Address: addr(key("admin3")), Role: tx.RoleAdmin}),
		a.sign(a.admin, &tx.AccountOpen{ID: "parking", Name: "停车费", Threshold: 10_000}))
	rng := rand.New(rand.NewPCG(1, 2))
	accounts := []string{"mgmt", "public", "committee", "parking"}
	cats := []string{"物业费", "保洁", "绿化", "停车", "广告", "电梯"}
	day0 := time.Date(2026, 3, 20, 9, 0, 0, 0, cst)
	id := uint64(0)
	for blk := range 30 {
		var txs [][]byte
		for range 12 {
			acct, cat := accounts[rng.IntN(len(accounts))], cats[rng.IntN(len(cats))]
			amount := rng.Int64N(800_000) - 1_000 // now and then not positive
			switch rng.IntN(6) {
			case 0, 1, 2:
				txs = append(txs, record(a, "treasurer", tx.EntryIncome, acct, amount, cat))
			case 3:
				txs = append(txs, record(a, "treasurer", tx.EntryExpense, acct, amount/2, cat))
			case 4:
				txs = append(txs, transfer(a, "treasurer", acct, accounts[rng.IntN(len(accounts))], amount/3))
			case 5:
				if id > 0 {
					target := 1 + rng.Uint64N(id)
					switch rng.IntN(4) {
					case 0:
						txs = append(txs, reverse(a, "treasurer", target))
					case 1:
						txs = append(txs, withdraw(a, "treasurer", target))
					default:
						txs = append(txs, approve(a, []string{"admin", "admin2", "admin3"}[rng.IntN(3)], target))
					}
				}
			}
		}
		id += uint64(len(txs)) // an upper bound on the entries so far
		step(day0.Add(time.Duration(blk)*37*time.Hour), txs...)
	}
	for _, path := range []string{"accounts", "accounts/pending", "accounts/monthly/2026-03/2026-05", "accounts/statement/2026-03/2026-05"} {
		ra, _ := a.app.Query(context.Background(), queryReq(path))
		rb, _ := b.app.Query(context.Background(), queryReq(path))
		if !bytes.Equal(ra.Value, rb.Value) || ra.Code != 0 {
			t.Errorf("%s: code %d, answers differ", path, ra.Code)
		}
	}
	// The large answers are written from the entries' stored bytes, not
	// encoded from their types: each must still be exactly what
	// tx.Canonical writes for the value it decodes to, on both stores.
	answers := map[string]func() any{"accounts/statement/2026-03/2026-05": func() any { return new(abci.AccountsStatement) }}
	for _, acct := range accounts {
		answers["accounts/"+acct+"/entries/2026-03/2026-05"] = func() any { return new([]abci.StatementLine) }
		for _, page := range []string{"2026-03/0/1000", "2026-04/0/5", "2026-04/3/7", "2026-04/1000/3", "2026-07/0/9"} {
			answers["accounts/"+acct+"/page/"+page] = func() any { return new(abci.PostingPage) }
		}
	}
	for path, typed := range answers {
		ra, _ := a.app.Query(context.Background(), queryReq(path))
		rb, _ := b.app.Query(context.Background(), queryReq(path))
		v := typed()
		if err := json.Unmarshal(ra.Value, v); err != nil || ra.Code != 0 {
			t.Fatalf("%s: code %d, %v", path, ra.Code, err)
		}
		if got := tx.Canonical(v); !bytes.Equal(got, ra.Value) || !bytes.Equal(ra.Value, rb.Value) {
			t.Errorf("%s: answer is not canonical or differs between stores:\n%s\n%s", path, ra.Value, got)
		}
	}
	var pending []abci.Entry
	a.query("accounts/pending", &pending)
	var st abci.AccountsStatement
	a.query("accounts/statement/2026-03/2026-05", &st)
	lines := 0
	for _, as := range st.Accounts {
		lines += len(as.Lines)
	}
	if lines < 100 || len(pending) == 0 {
		t.Errorf("the random blocks posted %d lines and left %d pending; want a busier ledger", lines, len(pending))
	}
}
