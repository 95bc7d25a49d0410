package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/internal/sheet"
)

// runAccounts prints the accounts' balances, or with export writes a
// period's statement as a CSV file.
func runAccounts(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "export" {
		return runAccountsExport(ctx, env, args[1:])
	}
	fs := newFlags(env, "accounts", "   (balances)  |  accounts export --from YYYY-MM [--to YYYY-MM] [FILE.csv]")
	cf := addClientFlags(fs)
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 0 {
		fs.Usage()
		return fmt.Errorf("accounts: unknown action %q (export, or nothing for the balances)", args[0])
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	var list []abci.LedgerAccount
	if err := c.query(ctx, "accounts", &list); err != nil {
		return err
	}
	type balance struct {
		ID              string `json:"id"`
		Name            string `json:"name"`
		MaintenanceFund bool   `json:"maintenance_fund,omitempty"`
		Balance         string `json:"balance"`
		BalanceFen      int64  `json:"balance_fen"`
		Threshold       string `json:"threshold"`
	}
	out := make([]balance, len(list))
	for i, a := range list {
		out[i] = balance{a.ID, a.Name, a.MaintenanceFund, yuan(a.Balance), a.Balance, yuan(a.Threshold)}
	}
	printJSON(env, out)
	return nil
}

// runAccountsExport writes the statement of whole months (China Standard
// Time) as CSV for a spreadsheet.
func runAccountsExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "accounts export", "--from YYYY-MM [--to YYYY-MM] [FILE.xlsx|FILE.csv]   (default: CSV on standard output)")
	cf := addClientFlags(fs)
	from := fs.String("from", "", "first month of the statement, YYYY-MM (China Standard Time)")
	to := fs.String("to", "", "last month of the statement, YYYY-MM (default: the --from month)")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *to == "" {
		*to = *from
	}
	if len(args) > 1 {
		fs.Usage()
		return fmt.Errorf("accounts export wants at most one FILE")
	}
	f, ok1 := abci.ParseMonth(*from)
	t, ok2 := abci.ParseMonth(*to)
	switch {
	case !ok1 || !ok2:
		fs.Usage()
		return fmt.Errorf("accounts export wants --from and --to as YYYY-MM, e.g. --from 2026-01 --to 2026-03")
	case f > t:
		return fmt.Errorf("accounts export: --to %s is before --from %s", *to, *from)
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	var st abci.AccountsStatement
	if err := c.query(ctx, "accounts/statement/"+*from+"/"+*to, &st); err != nil {
		return err
	}
	if len(args) == 0 {
		return writeStatementCSV(env.Stdout, st)
	}
	xlsx, err := spreadsheetKind(args[0])
	if err != nil {
		return err
	}
	write := writeStatementCSV
	if xlsx {
		write = writeStatementXLSX
	}
	if err := writeFile(args[0], func(w io.Writer) error { return write(w, st) }); err != nil {
		return err
	}
	lines := 0
	for _, a := range st.Accounts {
		lines += len(a.Lines)
	}
	fmt.Fprintf(env.Stderr, "linli: %s 至 %s 的账目（%d 个账户，%d 笔）已写入 %s\n", st.From, st.To, len(st.Accounts), lines, args[0])
	return nil
}

// statementColumns are the CSV header of an exported statement.
var statementColumns = []string{"账户", "账户名称", "入账时间", "流水号", "记账编号", "类型", "类别", "对方", "摘要",
	"收入(元)", "支出(元)", "余额(元)", "审批", "关联表决", "冲销", "凭证SHA-256", "交易哈希"}

// moneyColumns are the statement's columns of yuan amounts.
var moneyColumns = map[int]bool{9: true, 10: true, 11: true}

// writeStatementCSV writes a statement as UTF-8 CSV with a byte order mark,
// so that Excel opens it as UTF-8, with text that a spreadsheet could take
// for a formula quoted (cell).
func writeStatementCSV(w io.Writer, st abci.AccountsStatement) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	cw.Write(statementColumns)
	for _, r := range statementRows(st) {
		for i := range r {
			if !moneyColumns[i] {
				r[i] = cell(r[i])
			}
		}
		cw.Write(r)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("accounts export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("accounts export: %w", err)
	}
	return nil
}

// statementWidths are the column widths of an .xlsx statement, in
// characters.
var statementWidths = []float64{10, 14, 17, 8, 9, 8, 12, 18, 24, 12, 12, 14, 14, 10, 14, 20, 20}

// writeStatementXLSX writes a statement as an .xlsx workbook: the rows of
// the CSV, amounts as numbers with two decimals under a frozen header.
func writeStatementXLSX(w io.Writer, st abci.AccountsStatement) error {
	cols := make([]sheet.Column, len(statementColumns))
	for i, name := range statementColumns {
		cols[i] = sheet.Column{Name: name, Width: statementWidths[i], Decimal: moneyColumns[i]}
	}
	return sheet.Write(w, sheet.Table{Name: st.From + "至" + st.To, Columns: cols, Rows: statementRows(st)})
}

// statementRows lays a statement out as rows of statementColumns. Each
// account has an opening-balance row, one row per posting in posting order
// (money in and out in separate columns, amounts as yuan with two
// decimals), a row of the period's totals and a closing-balance row. Times
// are China Standard Time.
func statementRows(st abci.AccountsStatement) [][]string {
	var rows [][]string
	names := map[string]string{}
	for _, a := range st.Accounts {
		names[a.Account] = a.Name
	}
	for _, a := range st.Accounts {
		row := func(at int64, kind string, in, out, balance string) []string {
			r := make([]string, len(statementColumns))
			r[0], r[1], r[2], r[5], r[9], r[10], r[11] = a.Account, a.Name, cstTime(at), kind, in, out, balance
			return r
		}
		rows = append(rows, row(st.Start, "期初余额", "", "", yuan(a.Opening)))
		var in, out int64
		for _, l := range a.Lines {
			r := row(l.Time, "", "", "", yuan(l.Balance))
			e := l.Entry
			r[3], r[4] = strconv.FormatUint(l.Posting, 10), strconv.FormatUint(e.ID, 10)
			r[5], r[6], r[7], r[8] = kindLabel(e, l.Delta), e.Category, counterparty(e, a.Account, names), e.Memo
			if l.Delta >= 0 {
				r[9], in = yuan(l.Delta), in+l.Delta
			} else {
				r[10], out = yuan(-l.Delta), out-l.Delta
			}
			if len(e.Approvals) > 0 {
				r[12] = fmt.Sprintf("%d 位管理员", len(e.Approvals))
				if e.Emergency {
					r[12] = "紧急，" + r[12]
				}
			}
			if e.Proposal != 0 {
				r[13] = fmt.Sprintf("第 %d 号", e.Proposal)
			}
			switch {
			case e.Reverses != 0:
				r[14] = fmt.Sprintf("冲销第 %d 笔", e.Reverses)
			case e.ReversedBy != 0:
				r[14] = fmt.Sprintf("被第 %d 笔冲销", e.ReversedBy)
			}
			r[15], r[16] = e.Evidence, e.TxHash
			rows = append(rows, r)
		}
		rows = append(rows, row(st.End-1, "本期合计", yuan(in), yuan(out), ""),
			row(st.End-1, "期末余额", "", "", yuan(a.Closing)))
	}
	return rows
}

// kindLabel names what a posting did to the account in Chinese.
func kindLabel(e abci.Entry, delta int64) string {
	switch e.Kind {
	case tx.EntryIncome:
		return "收入"
	case tx.EntryExpense:
		return "支出"
	case tx.EntryTransfer:
		if delta < 0 {
			return "转出"
		}
		return "转入"
	case tx.EntryReversal:
		return "冲销"
	}
	return e.Kind
}

// counterparty is the entry's counterparty, or for a transfer without one
// the other account.
func counterparty(e abci.Entry, account string, names map[string]string) string {
	if e.Counterparty != "" || e.To == "" {
		return e.Counterparty
	}
	if account == e.Account {
		return "转至" + names[e.To]
	}
	return "来自" + names[e.Account]
}

// cell keeps a spreadsheet from reading text as a formula: text starting
// with =, +, -, @ or a tab gets a leading apostrophe, which Excel shows as
// plain text.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

var cstZone = time.FixedZone("CST", 8*3600)

// cstTime formats unix seconds as China Standard Time to the minute.
func cstTime(t int64) string { return time.Unix(t, 0).In(cstZone).Format("2006-01-02 15:04") }

// yuan formats an amount in fen as yuan with two decimals (123456 is
// "1234.56"), in integers only.
func yuan(fen int64) string {
	u, sign := uint64(fen), ""
	if fen < 0 {
		u, sign = -u, "-"
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}
