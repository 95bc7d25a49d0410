package board

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"

	gojson "github.com/goccy/go-json"

	"github.com/linli-community/linli/abci"
)

// EntryRow is one entry as pages and exports show it: no recorder, no
// approving admins' addresses, only how many approved and in which txs.
type EntryRow struct {
	ID           uint64 `json:"id"`
	Date         string `json:"date"`
	Account      string `json:"account"`
	AccountName  string `json:"account_name"`
	Kind         string `json:"kind"`
	To           string `json:"to,omitempty"`
	Category     string `json:"category"`
	Counterparty string `json:"counterparty,omitempty"`
	Memo         string `json:"memo,omitempty"`
	// Amount is the entry's amount; Delta what it did to this account's
	// balance and Balance the balance after it (posted entries only), in
	// fen.
	Amount     int64    `json:"amount"`
	Delta      int64    `json:"delta"`
	Balance    int64    `json:"balance"`
	Evidence   string   `json:"evidence,omitempty"`
	Proposal   uint64   `json:"proposal,omitempty"`
	Emergency  bool     `json:"emergency,omitempty"`
	Reverses   uint64   `json:"reverses,omitempty"`
	ReversedBy uint64   `json:"reversed_by,omitempty"`
	Status     string   `json:"status"`
	Required   int64    `json:"approvals_required,omitempty"`
	Approvals  []string `json:"approval_txs,omitempty"`
	Height     int64    `json:"height"`
	TxHash     string   `json:"tx_hash"`
}

func entryRow(e shownEntry, names map[string]string) EntryRow {
	t := e.PostedTime
	if t == 0 {
		t = e.Time
	}
	row := EntryRow{ID: e.ID, Date: date(t), Account: e.Account, AccountName: names[e.Account], Kind: e.Kind, To: e.To,
		Category: e.Category, Counterparty: e.Counterparty, Memo: e.Memo, Amount: e.Amount, Evidence: e.Evidence,
		Proposal: e.Proposal, Emergency: e.Emergency, Reverses: e.Reverses, ReversedBy: e.ReversedBy,
		Status: e.Status, Required: e.Required, Height: e.Height, TxHash: e.TxHash}
	for _, a := range e.Approvals {
		row.Approvals = append(row.Approvals, a.TxHash)
	}
	return row
}

func lineRow(l line, names map[string]string) EntryRow {
	row := entryRow(l.Entry, names)
	row.Delta, row.Balance = l.Delta, l.Balance
	return row
}

// accountsAt reads every account and a map of their names.
func (v *view) accountsAt() ([]abci.LedgerAccount, map[string]string, error) {
	var list []abci.LedgerAccount
	if err := v.must("accounts", &list); err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	for _, a := range list {
		names[a.ID] = a.Name
	}
	return list, names, nil
}

// accountChart is one account's monthly income and expense over the last
// twelve months.
type accountChart struct {
	abci.LedgerAccount
	Chart chart
}

func (b *Board) accounts(v *view, r *http.Request) (*response, error) {
	list, names, err := v.accountsAt()
	if err != nil {
		return nil, err
	}
	now := abci.MonthOf(v.snap.BlockTime)
	from := now
	for range 11 {
		from = prevMonth(from)
	}
	var sums []abci.MonthSummary
	if err := v.must(fmt.Sprintf("accounts/monthly/%s/%s", abci.FormatMonth(from), abci.FormatMonth(now)), &sums); err != nil {
		return nil, err
	}
	charts := make([]accountChart, 0, len(list))
	for _, a := range list {
		months := make([]abci.AccountMonth, len(sums))
		for i, s := range sums {
			months[i].Month = s.Month
			for _, am := range s.Accounts {
				if am.Account == a.ID {
					months[i] = am
				}
			}
		}
		charts = append(charts, accountChart{a, monthChart(months)})
	}
	var pending []shownEntry
	if err := v.must("accounts/pending", &pending); err != nil {
		return nil, err
	}
	var waiting []EntryRow
	for _, e := range pending {
		waiting = append(waiting, entryRow(e, names))
	}
	uses, err := v.fundUses(list, names, 0, 0)
	if err != nil {
		return nil, err
	}
	var active []abci.MonthSummary
	for i := len(sums) - 1; i >= 0; i-- {
		if len(sums[i].Accounts) > 0 {
			active = append(active, sums[i])
		}
	}
	return b.page(v, "accounts", "账目公开", "/accounts", struct {
		Accounts []accountChart
		Months   []abci.MonthSummary
		Pending  []EntryRow
		FundUses []fundUse
		Quarter  string
		Half     string
	}{charts, active, waiting, uses, quarterOf(now), halfOf(now)})
}

func prevMonth(ym int) int {
	if ym%100 == 1 {
		return (ym/100-1)*100 + 12
	}
	return ym - 1
}

// fundUse is a maintenance-fund expense with the decision that allowed it.
type fundUse struct {
	EntryRow
	DecisionTitle string `json:"decision_title,omitempty"`
}

// fundUses lists the maintenance funds' expenses (and their reversals)
// posted in the unix time range [start, end), or all when end is 0.
func (v *view) fundUses(list []abci.LedgerAccount, names map[string]string, start, end int64) ([]fundUse, error) {
	titles := map[uint64]string{}
	var uses []fundUse
	for _, a := range list {
		if !a.MaintenanceFund {
			continue
		}
		_, lines, _, err := v.accountEntries(a.ID)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			if l.Delta >= 0 || end != 0 && (l.Time < start || l.Time >= end) {
				continue
			}
			u := fundUse{EntryRow: lineRow(l, names)}
			if id := l.Entry.Proposal; id != 0 {
				if _, ok := titles[id]; !ok {
					var p Proposal
					if _, err := v.query(fmt.Sprintf("proposals/%d", id), &p); err != nil {
						return nil, err
					}
					titles[id] = p.Title
				}
				u.DecisionTitle = titles[id]
			}
			uses = append(uses, u)
		}
	}
	return uses, nil
}

// monthStatement is one account's part of a month's or a period's
// statement, as pages and sheets show it.
type monthStatement struct {
	Account     string     `json:"account"`
	Name        string     `json:"name"`
	Opening     int64      `json:"opening"`
	Income      int64      `json:"income"`
	Expense     int64      `json:"expense"`
	TransferIn  int64      `json:"transfer_in"`
	TransferOut int64      `json:"transfer_out"`
	Closing     int64      `json:"closing"`
	Entries     []EntryRow `json:"entries"`
	// Total is how many entries the month has when a page shows a part.
	Total int `json:"-"`
}

// statementAccount is one account's part of a period's printed statement:
// its figures and entries as the notice's data holds them (Entries left
// out: statementData puts them in), and its rows as the sheet shows them.
type statementAccount struct {
	monthStatement
	// Count is how many entries the account has in the period; Rows are
	// their rows in the sheet's table, and Data their data, one indented
	// JSON object each (see sheetLine).
	Count int
	Rows  []template.HTML
	Data  [][]byte
}

// sheetLine is what the printed statement writes for one line: its row in
// the sheet's table, and its entry in the notice's data, indented as an
// element of an account's "entries" (statementData).
type sheetLine struct {
	html template.HTML
	data []byte
}

// statement reads every account's figures and entries in months
// from..to, as the statement query answers them, each line written once
// (sheetLines, see lineMemo). It asks for each account's lines on their
// own, an array the board splits without decoding.
func (b *Board) statement(v *view, list []abci.LedgerAccount, from, to int, names map[string]string) ([]statementAccount, error) {
	out := make([]statementAccount, 0, len(list))
	for _, a := range list {
		var am accountWithMonths
		if err := v.must("accounts/"+a.ID, &am); err != nil {
			return nil, err
		}
		path := fmt.Sprintf("accounts/%s/entries/%s/%s", a.ID, abci.FormatMonth(from), abci.FormatMonth(to))
		lines, err := b.sheetLines.answer(v, path, names, func(raw []byte) (sheetLine, error) {
			row, err := rowOf(raw, names)
			if err != nil {
				return sheetLine{}, err
			}
			html, err := b.sheetRows([]EntryRow{row})
			if err != nil {
				return sheetLine{}, err
			}
			data, err := gojson.MarshalIndent(row, statementIndent, "  ")
			return sheetLine{html, data}, err
		})
		if err != nil {
			return nil, err
		}
		sa := statementAccount{monthStatement: monthFigures(am, from, to), Count: len(lines),
			Rows: make([]template.HTML, len(lines)), Data: make([][]byte, len(lines))}
		for i, l := range lines {
			sa.Rows[i], sa.Data[i] = l.html, l.data
		}
		out = append(out, sa)
	}
	return out, nil
}

// rowOf is one line of an accounts answer as pages show it.
func rowOf(raw []byte, names map[string]string) (EntryRow, error) {
	l, err := decodeLine(raw)
	return lineRow(l, names), err
}

// monthPageSize is how many entries of each account a month's page shows,
// newest first; more are on the following pages, and all of them in the
// exports and the printed notice.
const monthPageSize = 300

func (b *Board) accountsMonth(v *view, r *http.Request) (*response, error) {
	m, ok := abci.ParseMonth(r.PathValue("month"))
	if !ok {
		return nil, errNotFound
	}
	page := 1
	if s := r.PathValue("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 2 || strconv.Itoa(n) != s {
			return nil, errNotFound // page 1 is /accounts/MONTH itself
		}
		page = n
	}
	list, names, err := v.accountsAt()
	if err != nil {
		return nil, err
	}
	// The page asks for the entries it shows only; the figures come from
	// each account's monthly totals and the count from the page query, so
	// both stay exact however many entries the month has.
	st := make([]monthStatement, 0, len(list))
	more := false
	for _, a := range list {
		var am accountWithMonths
		if err := v.must("accounts/"+a.ID, &am); err != nil {
			return nil, err
		}
		ms := monthFigures(am, m, m)
		var p linePage
		if err := v.must(fmt.Sprintf("accounts/%s/page/%s/%d/%d", a.ID, abci.FormatMonth(m), (page-1)*monthPageSize, monthPageSize), &p); err != nil {
			return nil, err
		}
		ms.Entries = make([]EntryRow, 0, len(p.Lines))
		for _, l := range p.Lines {
			ms.Entries = append(ms.Entries, lineRow(l, names))
		}
		ms.Total = p.Total
		more = more || page*monthPageSize < p.Total
		st = append(st, ms)
	}
	if page > 1 && !more && allEmpty(st) {
		return nil, errNotFound
	}
	next := 0
	if more {
		next = page + 1
	}
	return b.page(v, "month", abci.FormatMonth(m)+" 账目明细", r.URL.Path, struct {
		Month    string
		Page     int
		Next     int
		Accounts []monthStatement
	}{abci.FormatMonth(m), page, next, st})
}

// monthFigures is an account's opening, totals and closing for months
// from..to, worked out as the statement query works them out.
func monthFigures(a accountWithMonths, from, to int) monthStatement {
	p := abci.Period(a.Months, from, to)
	return monthStatement{Account: a.ID, Name: a.Name, Opening: p.Opening, Income: p.Income, Expense: p.Expense,
		TransferIn: p.TransferIn, TransferOut: p.TransferOut, Closing: p.Closing}
}

func allEmpty(st []monthStatement) bool {
	for _, s := range st {
		if len(s.Entries) > 0 {
			return false
		}
	}
	return true
}

// entriesHeader is the entries export's CSV header, entryRecord a row's
// record under it.
var entriesHeader = []string{"id", "date", "account", "kind", "to", "category", "counterparty", "memo", "amount_yuan",
	"delta_yuan", "balance_yuan", "evidence", "proposal", "emergency", "reverses", "reversed_by", "status", "approvals", "height", "tx_hash"}

func entryRecord(e EntryRow) []string {
	return []string{strconv.FormatUint(e.ID, 10), e.Date, e.Account, e.Kind, e.To, e.Category, e.Counterparty, e.Memo,
		yuan(e.Amount), yuan(e.Delta), yuan(e.Balance), e.Evidence, id0(e.Proposal), strconv.FormatBool(e.Emergency),
		id0(e.Reverses), id0(e.ReversedBy), e.Status, strings.Join(e.Approvals, " "), height(e.Height), e.TxHash}
}

// entriesExport answers an account's every entry as CSV or JSON, each line
// written once (csvLines, jsonLines; see lineMemo).
func (b *Board) entriesExport(v *view, r *http.Request) (*response, error) {
	id := r.PathValue("account")
	_, names, err := v.accountsAt()
	if err != nil {
		return nil, err
	}
	_, paths, found, err := v.accountPaths(id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNotFound
	}
	name := "account-" + id + "-entries"
	// each writes every line of the account with memo, in order.
	each := func(memo *lineMemo[[]byte], write func(EntryRow) ([]byte, error)) ([][]byte, error) {
		var out [][]byte
		for _, path := range paths {
			part, err := memo.answer(v, path, names, func(raw []byte) ([]byte, error) {
				row, err := rowOf(raw, names)
				if err != nil {
					return nil, err
				}
				return write(row)
			})
			if err != nil {
				return nil, err
			}
			out = append(out, part...)
		}
		return out, nil
	}
	if strings.HasSuffix(r.URL.Path, ".json") {
		elems, err := each(&b.jsonLines, func(row EntryRow) ([]byte, error) { return gojson.MarshalIndent(row, "  ", "  ") })
		if err != nil {
			return nil, err
		}
		return jsonArray(elems), nil
	}
	recs, err := each(&b.csvLines, func(row EntryRow) ([]byte, error) { return csvRecord(entryRecord(row)), nil })
	if err != nil {
		return nil, err
	}
	return csvRows(name, entriesHeader, recs), nil
}

func id0(n uint64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatUint(n, 10)
}

// quarterOf and halfOf name the period a month is in: 2026-Q4, 2026-H2.
func quarterOf(ym int) string { return fmt.Sprintf("%04d-Q%d", ym/100, (ym%100-1)/3+1) }
func halfOf(ym int) string    { return fmt.Sprintf("%04d-H%d", ym/100, (ym%100-1)/6+1) }

// parsePeriod reads 2026-Q4 or 2026-H2 into its first and last month.
func parsePeriod(s string) (from, to int, ok bool) {
	y, rest, found := strings.Cut(s, "-")
	year, err := strconv.Atoi(y)
	if !found || err != nil || len(y) != 4 || year < 1970 || len(rest) != 2 {
		return 0, 0, false
	}
	n := int(rest[1] - '0')
	switch {
	case rest[0] == 'Q' && n >= 1 && n <= 4:
		return year*100 + 3*n - 2, year*100 + 3*n, true
	case rest[0] == 'H' && n >= 1 && n <= 2:
		return year*100 + 6*n - 5, year*100 + 6*n, true
	}
	return 0, 0, false
}

// accountsNotice is the data of a period's accounts notice, hashed into
// its proof.
type accountsNotice struct {
	Community    string           `json:"community"`
	Period       string           `json:"period"`
	From         string           `json:"from"`
	To           string           `json:"to"`
	Accounts     []monthStatement `json:"accounts"`
	FundUses     []fundUse        `json:"fund_uses"`
	PublicIncome []categorySum    `json:"public_income"`
}

type categorySum struct {
	Category string `json:"category"`
	Amount   int64  `json:"amount"`
}

func (b *Board) printAccounts(v *view, r *http.Request) (*response, error) {
	period := r.PathValue("period")
	from, to, ok := parsePeriod(period)
	if !ok {
		return nil, errNotFound
	}
	list, names, err := v.accountsAt()
	if err != nil {
		return nil, err
	}
	st, err := b.statement(v, list, from, to, names)
	if err != nil {
		return nil, err
	}
	uses, err := v.fundUses(list, names, abci.MonthStart(from), abci.MonthStart(abci.NextMonth(to)))
	if err != nil {
		return nil, err
	}
	var sums []abci.MonthSummary
	if err := v.must(fmt.Sprintf("accounts/monthly/%s/%s", abci.FormatMonth(from), abci.FormatMonth(to)), &sums); err != nil {
		return nil, err
	}
	var public []categorySum
	for _, s := range sums {
		for _, c := range s.Categories {
			if c.Account != "public" || c.Flow != abci.FlowIncome {
				continue
			}
			found := false
			for i := range public {
				if public[i].Category == c.Category {
					public[i].Amount += c.Amount
					found = true
				}
			}
			if !found {
				public = append(public, categorySum{c.Category, c.Amount})
			}
		}
	}
	n := accountsNotice{Community: v.snap.Community, Period: period, From: abci.FormatMonth(from), To: abci.FormatMonth(to),
		FundUses: uses, PublicIncome: public}
	entries := make([][][]byte, len(st))
	for i, a := range st {
		n.Accounts = append(n.Accounts, a.monthStatement)
		entries[i] = a.Data
	}
	if n.FundUses == nil {
		n.FundUses = []fundUse{}
	}
	if n.PublicIncome == nil {
		n.PublicIncome = []categorySum{}
	}
	path := "/print/accounts/" + period
	data := func(w io.Writer) error { return writeStatementData(w, n, entries) }
	return b.notice(v, r, path, data, "accounts_sheet", func(w *bytes.Buffer) error { return b.accountsBody(w, n, st) }, Sheet{
		Title:   b.label("period", period[5:6]) + "账目公示（" + periodName(from, to) + "）",
		Legal:   b.label("legal", "accounts"),
		Posting: b.posting(v.snap.BlockTime),
	})
}

// accountsBody writes a period's statement: the figures, public income
// and fund use, then each account's entries, their rows written straight
// into w.
func (b *Board) accountsBody(w *bytes.Buffer, n accountsNotice, st []statementAccount) error {
	if err := b.pages.ExecuteTemplate(w, "accounts_sheet", n); err != nil {
		return fmt.Errorf("board: template accounts_sheet: %w", err)
	}
	for _, a := range st {
		if err := b.pages.ExecuteTemplate(w, "accounts_sheet_account", a); err != nil {
			return fmt.Errorf("board: template accounts_sheet_account: %w", err)
		}
		for _, row := range a.Rows {
			w.WriteString(string(row)) // escaped by sheetRows
		}
		if err := b.pages.ExecuteTemplate(w, "accounts_sheet_account_end", a); err != nil {
			return fmt.Errorf("board: template accounts_sheet_account_end: %w", err)
		}
	}
	return nil
}

func periodName(from, to int) string {
	return fmt.Sprintf("%d年%d月至%d月", from/100, from%100, to%100)
}

// posting is the posting period of a notice printed at block time t: at
// least 15 days, as the strictest city rule asks.
func (b *Board) posting(t int64) string {
	return fmt.Sprintf(b.label("posting", "window"), date(t), date(t+15*24*3600))
}

// notice answers a printed notice: its data, which data writes, at
// path/data.json, or the sheet with the data's hash in the proof block and
// the body that body writes (kind names it for sheet).
func (b *Board) notice(v *view, r *http.Request, path string, data func(io.Writer) error, kind string, body func(*bytes.Buffer) error, s Sheet) (*response, error) {
	if strings.HasSuffix(r.URL.Path, "/data.json") {
		var js bytes.Buffer
		if err := data(&js); err != nil {
			return nil, err
		}
		return &response{status: 200, ctype: "application/json; charset=utf-8", body: js.Bytes()}, nil
	}
	// The sheet needs only the data's hash: hashed as it is written, a
	// statement's megabytes of data are never held.
	h := sha256.New()
	if err := data(h); err != nil {
		return nil, err
	}
	s.Community = v.snap.Community
	s.URL = b.url(path)
	s.Proof = Proof{ChainID: v.snap.ChainID, Height: v.snap.Height, BlockTime: v.snap.BlockTime, AppHash: v.snap.AppHash,
		DataHash: hex.EncodeToString(h.Sum(nil)), DataURL: b.url(path + "/data.json")}
	return b.sheet(kind, body, s)
}

// decisionNotice is the data of a decision's or poll's result notice.
type decisionNotice struct {
	Community    string             `json:"community"`
	Proposal     uint64             `json:"proposal"`
	Kind         string             `json:"kind"`
	Title        string             `json:"title"`
	Class        string             `json:"class,omitempty"`
	Buildings    []string           `json:"buildings,omitempty"`
	NoticeAt     int64              `json:"notice_at"`
	VoteStart    int64              `json:"vote_start"`
	VoteEnd      int64              `json:"vote_end"`
	ClosedHeight int64              `json:"closed_height"`
	Outcome      string             `json:"outcome,omitempty"`
	Tally        *abci.Tally        `json:"tally,omitempty"`
	Counts       []abci.OptionCount `json:"counts"`
	Winners      []string           `json:"winners,omitempty"`
	Rows         []Row              `json:"rows"`
}

func (b *Board) printDecision(v *view, r *http.Request) (*response, error) {
	p, d, err := b.decisionOf(v, r)
	if err != nil {
		return nil, err
	}
	if d.Result == nil {
		return nil, errNotFound // a result notice exists only after the close
	}
	res := d.Result
	n := decisionNotice{Community: v.snap.Community, Proposal: p.ID, Kind: p.Kind, Title: p.Title, Class: p.Class, Buildings: p.Buildings,
		NoticeAt: p.NoticeAt, VoteStart: p.VoteStart, VoteEnd: p.VoteEnd, ClosedHeight: res.ClosedHeight, Outcome: res.Outcome,
		Tally: res.Tally, Counts: res.Counts, Winners: res.Winners, Rows: d.Rows}
	legal := "poll"
	if p.Kind == abci.KindDecision {
		legal = "decision"
	}
	data := func(w io.Writer) error {
		js, _, err := DataJSON(n)
		if err == nil {
			_, err = w.Write(js)
		}
		return err
	}
	return b.notice(v, r, fmt.Sprintf("/print/decisions/%d", p.ID), data, "decision_sheet", b.body("decision_sheet", struct {
		N decisionNotice
		D decisionView
	}{n, d}), Sheet{
		Title:   p.Title + " " + b.label("sheet", legal),
		Legal:   b.label("legal", legal),
		Posting: b.posting(v.snap.BlockTime),
	})
}
