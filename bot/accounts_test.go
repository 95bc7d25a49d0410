package bot

import (
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// accountsFixture has the standard accounts, two entries on 物业费 and a
// pending maintenance-fund expense (entry 3) recorded by caiwu, the
// treasurer.
func accountsFixture(t *testing.T) *fixture {
	f := newFixture(t)
	caiwu := f.addr("caiwu")
	f.l.set("members/"+string(caiwu), abci.MemberView{Address: caiwu, Roles: []string{tx.RoleTreasurer}})
	f.admin("boss")
	f.l.set("accounts", []abci.LedgerAccount{
		{ID: "committee", Name: "业委会经费"}, {ID: "fund", Name: "维修资金", MaintenanceFund: true, Balance: 156_000_000},
		{ID: "mgmt", Name: "物业费", Balance: 12_343_980, Threshold: 500_000}, {ID: "public", Name: "公共收益", Balance: 320_000},
	})
	f.l.set("accounts/monthly/2026-03", []abci.MonthSummary{{Month: "2026-03", Income: 12_800_000, Expense: 456_020}})
	day := func(d int) int64 { return time.Date(2026, 3, d, 10, 0, 0, 0, f.e.Location).Unix() }
	income := abci.Entry{ID: 1, Kind: tx.EntryIncome, Account: "mgmt", Amount: 12_800_000, Category: "物业费", Status: abci.EntryPosted, Recorder: caiwu, Height: 30, TxHash: "aa11bb22cc"}
	power := abci.Entry{ID: 2, Kind: tx.EntryExpense, Account: "mgmt", Amount: 456_020, Category: "电费", Counterparty: "供电局", Status: abci.EntryPosted, Recorder: caiwu, Height: 31, TxHash: "dd33ee44ff",
		Time: day(9)}
	lift := abci.Entry{ID: 3, Kind: tx.EntryExpense, Account: "fund", Amount: 46_000_000, Category: "电梯", Counterparty: "某电梯公司", Proposal: 1,
		Status: abci.EntryPending, Required: 2, Recorder: caiwu, Height: 32, TxHash: "1234567890", Time: day(9)}
	f.l.set("accounts/mgmt", abci.LedgerAccount{ID: "mgmt", Name: "物业费", Balance: 12_343_980})
	f.l.set("accounts/mgmt/entries/2026-01/2026-03", []abci.StatementLine{
		{Posting: 1, Time: day(2), Delta: 12_800_000, Balance: 12_800_000, Entry: income},
		{Posting: 2, Time: day(9), Delta: -456_020, Balance: 12_343_980, Entry: power},
	})
	f.l.set("accounts/entry/2", power)
	f.l.set("accounts/entry/3", lift)
	f.l.set("accounts/pending", []abci.Entry{lift})
	return f
}

func TestAccountsAreOpenToEveryone(t *testing.T) {
	f := accountsFixture(t)
	got := f.run("li", "菜单", "2")
	contains(t, "accounts", got, "1 维修资金 1,560,000.00\n2 物业费 123,439.80\n3 公共收益 3,200.00\n4 业委会经费 0.00", "3月收入 128,000.00 元，支出 4,560.20 元。")
	lacks(t, "accounts", got, "冲正")
	contains(t, "account", f.say("li", "2"), "【物业费】余额 123,439.80 元", "1 3月9日 支出 -4,560.20 电费 · 供电局\n2 3月2日 收入 +128,000.00 物业费")
	got = f.say("li", "1")
	contains(t, "entry", got, "第 2 笔：支出 4,560.20 元\n账户：物业费\n类别：电费\n对方：供电局", "状态：已入账", "记账：3月9日（周一）10:00 财务 · 区块 #31 · 凭证 dd33ee44")
	lacks(t, "entry", got, "1 批准")
	r, err := f.e.Handle(t.Context(), &Request{Channel: "wxgroup", User: "li", Group: "g", Text: "账目"})
	if err != nil || r == nil {
		t.Fatal(err)
	}
	contains(t, "group", r.Text(), "· 物业费 123,439.80", "看明细请私聊我")
}

func TestTreasurerRecordsAnEntry(t *testing.T) {
	f := accountsFixture(t)
	contains(t, "kind", f.run("caiwu", "管理", "3"), "记一笔什么？")
	contains(t, "account", f.say("caiwu", "2"), "从哪个账户？\n1 业委会经费（余额 0.00）\n2 维修资金")
	contains(t, "amount", f.say("caiwu", "3"), "金额多少元？")
	contains(t, "back skips what was not asked", f.say("caiwu", "0"), "从哪个账户？")
	f.say("caiwu", "3")
	contains(t, "bad amount", f.say("caiwu", "四千"), "没看懂金额")
	contains(t, "category", f.say("caiwu", "4,560.2元"), "类别是什么？")
	contains(t, "bad category", f.say("caiwu", "电费！！(3月)"), "类别请用字和数字写")
	f.say("caiwu", "电费")
	f.say("caiwu", "供电局")
	got := f.say("caiwu", "无")
	if want := "您将记支出 4,560.20 元\n账户：物业费，类别：电费，对方：供电局\n确认请回复 1，重选请回复 2"; got != want {
		t.Errorf("confirmation =\n%s\nwant\n%s", got, want)
	}
	f.say("caiwu", "1")
	want := tx.EntryRecord{Kind: tx.EntryExpense, Account: "mgmt", Amount: 456_020, Category: "电费", Counterparty: "供电局"}
	if subs := f.l.submitted(); len(subs) != 1 || *subs[0].(*tx.EntryRecord) != want {
		t.Errorf("submitted %v, want %+v", subs, want)
	}
}

func TestFundExpenseAsksForTheDecision(t *testing.T) {
	f := accountsFixture(t)
	f.run("caiwu", "管理 记账", "2")
	contains(t, "fund", f.say("caiwu", "2"), "维修资金的支出要有业主表决通过")
	f.run("caiwu", "1", "460000", "电梯", "某电梯公司")
	contains(t, "confirm", f.say("caiwu", "更换3栋两部电梯"), "依据第 1 项表决")
	f.say("caiwu", "1")
	if subs := f.l.submitted(); len(subs) != 1 || subs[0].(*tx.EntryRecord).Proposal != 1 || subs[0].(*tx.EntryRecord).Memo != "更换3栋两部电梯" {
		t.Errorf("submitted %v", subs)
	}
	// Going back to the kind forgets what it decided.
	contains(t, "back to the kind", f.run("caiwu", "管理 记账", "1", "0"), "记一笔什么？")
	contains(t, "transfer", f.run("caiwu", "3", "4"), "转到哪个账户？")
	contains(t, "transfer", f.say("caiwu", "2"), "金额多少元？")
}

// TestResidentSeesPendingSpending: spending waiting for approvals is
// public: the accounts screen lists it, marked as waiting, and its detail
// says who recorded it and who approved it, by role and unit.
func TestResidentSeesPendingSpending(t *testing.T) {
	f := accountsFixture(t)
	lift := abci.Entry{ID: 3, Kind: tx.EntryExpense, Account: "fund", Amount: 46_000_000, Category: "电梯", Counterparty: "某电梯公司", Proposal: 1,
		Status: abci.EntryPending, Required: 2, Recorder: f.addr("caiwu"), Height: 32, TxHash: "1234567890", Time: fixedNow.Unix() - 3600,
		Approvals: []abci.Approval{{Admin: f.addr("boss"), Time: fixedNow.Unix() - 600}}}
	f.l.set("accounts/entry/3", lift)
	f.l.set("accounts/pending", []abci.Entry{lift})
	boss := f.addr("boss")
	f.l.set("members/"+string(boss), abci.MemberView{Address: boss, Roles: []string{tx.RoleAdmin}, Unit: "5-101"})
	got := f.run("li", "菜单", "2")
	contains(t, "accounts", got, "等待审批、还没入账的：\n5 支出 维修资金 460,000.00 元 电梯 · 某电梯公司（已批 1/2）")
	got = f.say("li", "5")
	contains(t, "entry", got, "第 3 笔：支出 460,000.00 元", "状态：等待审批（要 2 位管理员批准，已批 1 位；批准够了才入账）\n· 3月10日（周二）09:50 管理员 5-101 批准",
		"记账：3月10日（周二）09:00 财务 · 区块 #32")
	lacks(t, "resident cannot approve", got, "\n1 批准")
}

func TestAdminApprovesAPendingEntry(t *testing.T) {
	f := accountsFixture(t)
	contains(t, "pending", f.run("boss", "管理", "4"), "1 支出 维修资金 460,000.00 元 电梯 · 某电梯公司（已批 0/2）")
	contains(t, "entry", f.say("boss", "1"), "依据：第 1 项业主表决", "状态：等待审批（要 2 位管理员批准，已批 0 位；批准够了才入账）", "1 批准")
	contains(t, "confirm", f.say("boss", "1"), "您将批准第 3 笔（电梯 460,000.00 元）")
	f.say("boss", "1")
	if subs := f.l.submitted(); len(subs) != 1 || *subs[0].(*tx.EntryApprove) != (tx.EntryApprove{Entry: 3}) {
		t.Errorf("submitted %v", subs)
	}
	// The treasurer who recorded it may not approve it, and is no admin.
	contains(t, "treasurer", f.say("caiwu", "管理 审批"), "只有业委会的管理人员才能办理")
	f.bind("wang")
	contains(t, "resident", f.say("wang", "管理 记账"), "只有业委会的管理人员才能办理")
	if n := len(f.l.submitted()); n != 1 {
		t.Errorf("%d txs submitted, want 1", n)
	}
}

func TestYuanAndAmounts(t *testing.T) {
	for _, tc := range []struct {
		fen  int64
		want string
	}{{0, "0.00"}, {5, "0.05"}, {123_456_789, "1,234,567.89"}, {-456_020, "-4,560.20"}, {100_000, "1,000.00"}} {
		if got := yuan(tc.fen); got != tc.want {
			t.Errorf("yuan(%d) = %q, want %q", tc.fen, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in  string
		fen int64
		ok  bool
	}{{"300", 30000, true}, {"1,234.5", 123450, true}, {"1234.56元", 123456, true}, {"0", 0, false}, {"3.456", 0, false}, {"abc", 0, false}} {
		if fen, ok := parseAmount(tc.in); ok != tc.ok || ok && fen != tc.fen {
			t.Errorf("parseAmount(%q) = %d %v, want %d %v", tc.in, fen, ok, tc.fen, tc.ok)
		}
	}
}
