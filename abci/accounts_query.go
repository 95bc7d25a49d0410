package abci

import (
	"strconv"
)

// MaxQueryMonths bounds the months one accounts query covers (ten years).
const MaxQueryMonths = 120

// queryAccounts answers (months are YYYY-MM in China Standard Time, FROM
// and TO inclusive):
//
//	accounts                            every account with its balance, by id
//	accounts/ACCOUNT                    one account with its figures for every month it moved
//	accounts/ACCOUNT/entries/FROM/TO    the postings to ACCOUNT in FROM..TO, in posting order, each with its entry and the balance after
//	accounts/ACCOUNT/page/MONTH/OFFSET/LIMIT
//	                                    one page of ACCOUNT's postings in MONTH, newest first: LIMIT (1..MaxPageLimit) of them after skipping the OFFSET newest, with how many the month has
//	accounts/entry/ID                   one entry
//	accounts/pending                    the entries waiting for approvals, by id
//	accounts/monthly/FROM[/TO]          per month: the community's income and expense, each account's figures, and totals by account, flow and category
//	accounts/statement/FROM/TO          per account: opening balance, totals, every posting and closing balance (what `linli accounts export` writes as CSV)
func queryAccounts(r reader, parts []string) (any, *Error) {
	switch {
	case len(parts) == 1:
		return ledgerAccounts(r), nil
	case len(parts) == 2 && parts[1] == "pending":
		list := []Entry{}
		for _, s := range suffixes(r, prefixPendingEntries) {
			id, _ := strconv.ParseUint(s, 10, 64)
			e, _ := get[Entry](r, keyEntry(id))
			list = append(list, e)
		}
		return list, nil
	case len(parts) == 3 && parts[1] == "entry":
		id, err := parseRecordID(parts[2], "entry")
		if err != nil {
			return nil, err
		}
		e, ok := get[Entry](r, keyEntry(id))
		if !ok {
			return nil, reject(CodeQueryNotFound, "no entry %d", id)
		}
		return e, nil
	case (len(parts) == 3 || len(parts) == 4) && parts[1] == "monthly":
		to := parts[2]
		if len(parts) == 4 {
			to = parts[3]
		}
		from, until, err := parsePeriod(parts[2], to)
		if err != nil {
			return nil, err
		}
		return monthlySummaries(r, from, until), nil
	case len(parts) == 4 && parts[1] == "statement":
		from, to, err := parsePeriod(parts[2], parts[3])
		if err != nil {
			return nil, err
		}
		return statementAnswer(r, from, to), nil
	case len(parts) == 2:
		a, ok := get[LedgerAccount](r, keyLedgerAccount(parts[1]))
		if !ok {
			return nil, reject(CodeQueryNotFound, "no account %q", parts[1])
		}
		return struct {
			LedgerAccount
			Months []AccountMonth `json:"months"`
		}{a, accountMonths(r, a.ID)}, nil
	case len(parts) == 6 && parts[2] == "page":
		a, ok := get[LedgerAccount](r, keyLedgerAccount(parts[1]))
		if !ok {
			return nil, reject(CodeQueryNotFound, "no account %q", parts[1])
		}
		m, ok := ParseMonth(parts[3])
		if !ok {
			return nil, reject(CodeQueryBad, "months are written YYYY-MM, got %q", parts[3])
		}
		offset, ok1 := parseCount(parts[4])
		limit, ok2 := parseCount(parts[5])
		switch {
		case !ok1:
			return nil, reject(CodeQueryBad, "offset %q is not a whole number", parts[4])
		case !ok2 || limit < 1 || limit > MaxPageLimit:
			return nil, reject(CodeQueryBad, "limit %q is not a number from 1 to %d", parts[5], MaxPageLimit)
		}
		return postingPageAnswer(r, a.ID, m, offset, limit), nil
	case len(parts) == 5 && parts[2] == "entries":
		a, ok := get[LedgerAccount](r, keyLedgerAccount(parts[1]))
		if !ok {
			return nil, reject(CodeQueryNotFound, "no account %q", parts[1])
		}
		from, to, err := parsePeriod(parts[3], parts[4])
		if err != nil {
			return nil, err
		}
		return postingsAnswer(r, a.ID, from, to), nil
	}
	return nil, reject(CodeQueryBad, "unknown accounts query")
}

// parsePeriod reads FROM and TO months (YYYY-MM): FROM no later than TO,
// at most MaxQueryMonths months in all.
func parsePeriod(from, to string) (int, int, *Error) {
	f, ok1 := ParseMonth(from)
	t, ok2 := ParseMonth(to)
	switch {
	case !ok1 || !ok2:
		return 0, 0, reject(CodeQueryBad, "months are written YYYY-MM, got %q and %q", from, to)
	case f > t:
		return 0, 0, reject(CodeQueryBad, "period %s to %s ends before it starts", from, to)
	case (t/100-f/100)*12+t%100-f%100 >= MaxQueryMonths:
		return 0, 0, reject(CodeQueryBad, "a period covers at most %d months", MaxQueryMonths)
	}
	return f, t, nil
}

// accountMonths returns an account's figures for every month it moved, in
// month order.
func accountMonths(r reader, account string) []AccountMonth {
	list := []AccountMonth{}
	r.scan(prefixAccountMonths(account), func(k string, b []byte) bool {
		list = append(list, decode[AccountMonth](k, b))
		return true
	})
	return list
}

// StatementLine is one posting to an account: the entry, how much it
// changed the account's balance and the balance after it.
type StatementLine struct {
	Posting uint64 `json:"posting"`
	Time    int64  `json:"time"`
	Delta   int64  `json:"delta"`
	Balance int64  `json:"balance"`
	Entry   Entry  `json:"entry"`
}

// MaxPageLimit bounds how many postings one page query answers.
const MaxPageLimit = 1000

// parseCount reads a non-negative decimal written canonically (no sign,
// no leading zero) and no larger than a billion.
func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 10 || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1_000_000_000 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// PostingPage is one page of an account's postings in a month, newest
// first. Total is how many postings the month has, whatever the page.
type PostingPage struct {
	Account string          `json:"account"`
	Month   string          `json:"month"`
	Offset  int             `json:"offset"`
	Limit   int             `json:"limit"`
	Total   int             `json:"total"`
	Lines   []StatementLine `json:"lines"`
}

// MonthSummary is the community's accounts for one month. Income and
// Expense are summed over every account and leave out transfers between
// them; reversals net out.
type MonthSummary struct {
	Month      string          `json:"month"`
	Income     int64           `json:"income"`
	Expense    int64           `json:"expense"`
	Accounts   []AccountMonth  `json:"accounts"`
	Categories []CategoryTotal `json:"categories"`
}

// monthlySummaries reads the totals kept as entries post: a few keys a
// month, however many entries there are.
func monthlySummaries(r reader, from, to int) []MonthSummary {
	accounts := ledgerAccounts(r)
	out := []MonthSummary{}
	for m := from; m <= to; m = NextMonth(m) {
		s := MonthSummary{Month: FormatMonth(m), Accounts: []AccountMonth{}, Categories: []CategoryTotal{}}
		for _, a := range accounts {
			if am, ok := get[AccountMonth](r, keyAccountMonth(a.ID, m)); ok {
				s.Accounts = append(s.Accounts, am)
				s.Income += am.Income
				s.Expense += am.Expense
			}
		}
		r.scan(prefixCategoryTotals(m), func(k string, b []byte) bool {
			s.Categories = append(s.Categories, decode[CategoryTotal](k, b))
			return true
		})
		out = append(out, s)
	}
	return out
}

// AccountsStatement is the accounts for a period of whole months, as a
// treasurer reports them.
type AccountsStatement struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Start and End are the unix times the period starts and ends
	// (exclusive), China Standard Time.
	Start    int64              `json:"start"`
	End      int64              `json:"end"`
	Accounts []AccountStatement `json:"accounts"`
}

// AccountStatement is one account's part of a statement: Closing =
// Opening + Income - Expense + TransferIn - TransferOut, and also Opening
// plus every line's Delta.
type AccountStatement struct {
	Account         string          `json:"account"`
	Name            string          `json:"name"`
	MaintenanceFund bool            `json:"maintenance_fund"`
	Opening         int64           `json:"opening"`
	Income          int64           `json:"income"`
	Expense         int64           `json:"expense"`
	TransferIn      int64           `json:"transfer_in"`
	TransferOut     int64           `json:"transfer_out"`
	Closing         int64           `json:"closing"`
	Lines           []StatementLine `json:"lines"`
}

// PeriodFigures are an account's opening balance, totals and closing
// balance over a range of months.
type PeriodFigures struct {
	Opening, Income, Expense, TransferIn, TransferOut, Closing int64
}

// Period works out PeriodFigures for months from..to from an account's
// monthly figures in month order (as accounts/ID answers them): the
// opening is the first month's opening in the range, or the closing of the
// last month before it. The statement query and the notice board both use
// it, so a posted notice and the chain agree.
func Period(months []AccountMonth, from, to int) PeriodFigures {
	var p PeriodFigures
	opened := false
	for _, am := range months {
		m, _ := ParseMonth(am.Month)
		switch {
		case m < from:
			p.Opening = am.Closing
		case m <= to:
			if !opened {
				p.Opening, opened = am.Opening, true
			}
			p.Income += am.Income
			p.Expense += am.Expense
			p.TransferIn += am.TransferIn
			p.TransferOut += am.TransferOut
		}
	}
	p.Closing = p.Opening + p.Income - p.Expense + p.TransferIn - p.TransferOut
	return p
}

// ledgerAccounts returns every account, by id.
func ledgerAccounts(r reader) []LedgerAccount {
	list := []LedgerAccount{}
	r.scan(prefixLedgerAccounts, func(k string, b []byte) bool {
		list = append(list, decode[LedgerAccount](k, b))
		return true
	})
	return list
}
