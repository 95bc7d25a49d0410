package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/xuri/excelize/v2"
)

func TestYuan(t *testing.T) {
	tests := []struct {
		fen  int64
		want string
	}{
		{0, "0.00"}, {5, "0.05"}, {10, "0.10"}, {100, "1.00"}, {123456, "1234.56"},
		{-50, "-0.50"}, {-123456, "-1234.56"}, {tx.MaxAmount, "1000000000.00"},
		{math.MaxInt64, "92233720368547758.07"}, {math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := yuan(tt.fen); got != tt.want {
			t.Errorf("yuan(%d) = %q, want %q", tt.fen, got, tt.want)
		}
	}
}

// sampleStatement is March 2026 of two accounts: income, an approved
// emergency expense whose counterparty looks like a formula, a transfer.
func sampleStatement() abci.AccountsStatement {
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, cstZone).Unix()
	return abci.AccountsStatement{From: "2026-03", To: "2026-03", Start: march, End: time.Date(2026, 4, 1, 0, 0, 0, 0, cstZone).Unix(),
		Accounts: []abci.AccountStatement{
			{Account: "mgmt", Name: "物业费", Opening: 10_000, Income: 250_050, Expense: 1_000, TransferOut: 500, Closing: 258_550, Lines: []abci.StatementLine{
				{Posting: 7, Time: march + 3600, Delta: 250_050, Balance: 260_050,
					Entry: abci.Entry{ID: 3, Kind: tx.EntryIncome, Category: "物业费", Counterparty: "3-502", Memo: "三月, \"全额\""}},
				{Posting: 8, Time: march + 7200, Delta: -1_000, Balance: 259_050,
					Entry: abci.Entry{ID: 4, Kind: tx.EntryExpense, Category: "保洁", Counterparty: "=HYPERLINK(\"x\")", Evidence: strings.Repeat("ab", 32),
						Approvals: []abci.Approval{{}, {}}, Emergency: true, Proposal: 2}},
				{Posting: 9, Time: march + 7300, Delta: -500, Balance: 258_550,
					Entry: abci.Entry{ID: 5, Kind: tx.EntryTransfer, Account: "mgmt", To: "committee", Category: "调拨"}},
			}},
			{Account: "committee", Name: "业委会经费", TransferIn: 500, Closing: 500, Lines: []abci.StatementLine{
				{Posting: 9, Time: march + 7300, Delta: 500, Balance: 500,
					Entry: abci.Entry{ID: 5, Kind: tx.EntryTransfer, Account: "mgmt", To: "committee", Category: "调拨"}},
			}},
		}}
}

func TestWriteStatementCSV(t *testing.T) {
	st := sampleStatement()
	var buf bytes.Buffer
	if err := writeStatementCSV(&buf, st); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\xef\xbb\xbf账户,")) {
		t.Fatalf("export does not start with a UTF-8 BOM and the header: %q", buf.Bytes()[:min(20, buf.Len())])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	// Column indexes: 0 account, 2 time, 5 type, 7 counterparty, 8 memo,
	// 9 in, 10 out, 11 balance, 12 approvals, 13 proposal.
	want := [][]string{
		{"mgmt", "2026-03-01 00:00", "期初余额", "", "", "", "", "100.00", "", ""},
		{"mgmt", "2026-03-01 01:00", "收入", "3-502", "三月, \"全额\"", "2500.50", "", "2600.50", "", ""},
		{"mgmt", "2026-03-01 02:00", "支出", "'=HYPERLINK(\"x\")", "", "", "10.00", "2590.50", "紧急，2 位管理员", "第 2 号"},
		{"mgmt", "2026-03-01 02:01", "转出", "转至业委会经费", "", "", "5.00", "2585.50", "", ""},
		{"mgmt", "2026-03-31 23:59", "本期合计", "", "", "2500.50", "15.00", "", "", ""},
		{"mgmt", "2026-03-31 23:59", "期末余额", "", "", "", "", "2585.50", "", ""},
		{"committee", "2026-03-01 00:00", "期初余额", "", "", "", "", "0.00", "", ""},
		{"committee", "2026-03-01 02:01", "转入", "来自物业费", "", "5.00", "", "5.00", "", ""},
		{"committee", "2026-03-31 23:59", "本期合计", "", "", "5.00", "0.00", "", "", ""},
		{"committee", "2026-03-31 23:59", "期末余额", "", "", "", "", "5.00", "", ""},
	}
	if len(rows) != len(want)+1 || len(rows[0]) != len(statementColumns) {
		t.Fatalf("export has %d rows of %d columns, want %d of %d:\n%s", len(rows), len(rows[0]), len(want)+1, len(statementColumns), buf.String())
	}
	for i, w := range want {
		r := rows[i+1]
		got := []string{r[0], r[2], r[5], r[7], r[8], r[9], r[10], r[11], r[12], r[13]}
		if strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d = %q\nwant    %q", i+1, got, w)
		}
	}
	if rows[3][15] != strings.Repeat("ab", 32) {
		t.Errorf("evidence column = %q", rows[3][15])
	}
}

// TestWriteStatementXLSX writes the statement as a workbook: the rows of
// the CSV (text as it is, no formula quoting needed), amounts as numbers
// shown with two decimals.
func TestWriteStatementXLSX(t *testing.T) {
	st := sampleStatement()
	var buf bytes.Buffer
	if err := writeStatementXLSX(&buf, st); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	name := f.GetSheetList()[0]
	got, err := f.GetRows(name)
	if err != nil {
		t.Fatal(err)
	}
	want := append([][]string{statementColumns}, statementRows(st)...)
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		w := slices.Clone(want[i])
		for len(w) > 0 && w[len(w)-1] == "" {
			w = w[:len(w)-1]
		}
		if !slices.Equal(got[i], w) {
			t.Errorf("row %d = %q\nwant    %q", i+1, got[i], w)
		}
	}
	if got[3][7] != `=HYPERLINK("x")` {
		t.Errorf("counterparty cell = %q, want the text as it is", got[3][7])
	}
	if f, _ := f.GetCellFormula(name, "H4"); f != "" {
		t.Errorf("counterparty cell has a formula %q", f)
	}
	raw, _ := f.GetCellValue(name, "J3", excelize.Options{RawCellValue: true})
	if typ, _ := f.GetCellType(name, "J3"); raw != "2500.50" || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("income cell raw %q type %v, want the number 2500.50", raw, typ)
	}
}

// TestAccountsEndToEnd records entries on a real node through `linli tx`
// and reads them back with `linli accounts` and `linli accounts export`.
func TestAccountsEndToEnd(t *testing.T) {
	h, rpc := testHome(t)
	runNode(t, h, rpc)
	cl := []string{"--home", h, "--node", rpc}
	mustRun(t, append([]string{"tx", "entry.record", `{"kind":"income","account":"mgmt","amount":1234567,"category":"物业费","counterparty":"3-502"}`}, cl...)...)
	mustRun(t, append([]string{"tx", "entry.record", `{"kind":"expense","account":"mgmt","amount":4500,"category":"保洁","memo":"=1+1"}`}, cl...)...)
	out, _, err := run(t, append([]string{"tx", "entry.record", `{"kind":"income","account":"mgmt","amount":0,"category":"物业费"}`}, cl...)...)
	if r := decode[receiptJSON](t, out); !errors.Is(err, errReported) || r.Name != "amount_not_positive" || !strings.Contains(r.Message, "金额要大于零") {
		t.Errorf("zero amount: err %v, receipt %+v", err, r)
	}

	bal := decode[[]struct {
		ID, Balance string
		BalanceFen  int64 `json:"balance_fen"`
	}](t, mustRun(t, append([]string{"accounts"}, cl...)...))
	var mgmt string
	for _, b := range bal {
		if b.ID == "mgmt" {
			mgmt = b.Balance
		}
	}
	if len(bal) != 4 || mgmt != "12300.67" {
		t.Errorf("accounts = %+v, want four with mgmt at 12300.67", bal)
	}

	// The block time decides the month: ask for the months around now.
	now := abci.MonthOf(time.Now().Unix())
	prev := now - 1
	if now%100 == 1 {
		prev = now - 100 + 11
	}
	file := filepath.Join(t.TempDir(), "账目.csv")
	mustRun(t, append([]string{"accounts", "export", "--from", abci.FormatMonth(prev), "--to", abci.FormatMonth(abci.NextMonth(now)), file}, cl...)...)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"\ufeff账户,账户名称,", "mgmt,物业费,", ",收入,物业费,3-502,,12345.67,,12345.67,", ",支出,保洁,,'=1+1,,45.00,12300.67,", ",期末余额,,,,,,12300.67,"} {
		if !strings.Contains(s, want) {
			t.Errorf("export lacks %q:\n%s", want, s)
		}
	}
	book := filepath.Join(t.TempDir(), "账目.xlsx")
	mustRun(t, append([]string{"accounts", "export", "--from", abci.FormatMonth(prev), "--to", abci.FormatMonth(abci.NextMonth(now)), book}, cl...)...)
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows(f.GetSheetList()[0])
	closing := ""
	for _, r := range rows {
		if len(r) > 11 && r[0] == "mgmt" && r[5] == "期末余额" {
			closing = r[11]
		}
	}
	if closing != "12300.67" {
		t.Errorf("xlsx export: mgmt closes at %q, want 12300.67:\n%q", closing, rows)
	}
	if _, _, err := run(t, append([]string{"accounts", "export", "--from", abci.FormatMonth(now), filepath.Join(t.TempDir(), "a.xls")}, cl...)...); err == nil || !strings.Contains(err.Error(), "另存为") {
		t.Errorf("export to .xls: %v, want a hint to use .xlsx", err)
	}
	if _, _, err := run(t, append([]string{"accounts", "export", "--from", "2026-3"}, cl...)...); err == nil {
		t.Errorf("export --from 2026-3 succeeded, want a usage error")
	}
}
