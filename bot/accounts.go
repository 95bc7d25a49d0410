package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// Accounts (小区账目): anyone, bound or not, sees every account's balance,
// this month's income and expense, recent entries and each entry in full.
// Treasurers and admins record entries (管理 记账); admins approve the
// large ones (管理 审批).

// yuan formats fen as yuan with two decimals and thousands separators.
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	s := strconv.FormatInt(fen/100, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return fmt.Sprintf("%s%s.%02d", sign, s, fen%100)
}

// amountPattern reads 300, 300元, 1,234.5 or 1234.56元.
var amountPattern = regexp.MustCompile(`^(\d{1,9})(?:\.(\d{1,2}))?元?$`)

// parseAmount reads an amount in yuan into fen.
func parseAmount(s string) (int64, bool) {
	m := amountPattern.FindStringSubmatch(strings.NewReplacer(",", "", " ", "").Replace(s))
	if m == nil {
		return 0, false
	}
	y, _ := strconv.ParseInt(m[1], 10, 64)
	c := int64(0)
	if m[2] != "" {
		c, _ = strconv.ParseInt(m[2], 10, 64)
		if len(m[2]) == 1 {
			c *= 10
		}
	}
	fen := y*100 + c
	return fen, fen > 0 && fen <= tx.MaxAmount
}

// month returns the month of unix time s as YYYY-MM in the engine's zone
// (the chain's months are China Standard Time too).
func (t *Turn) month(s int64) string { return t.e.unixTime(s).Format("2006-01") }

type accountsData struct {
	Items           []accountLine
	Month           string
	Income, Expense string
	// Pending are the entries waiting for approvals: public like every
	// entry, shown so that residents see spending before it posts.
	Pending     []pendingLine
	MorePending int
}

type accountData struct {
	Name, Balance string
	Fund          bool
	Items         []entryLine
	More          int
}

type pendingLine struct {
	N                              int
	Kind, Account, Amount, Summary string
	Approvals                      int
	Required                       int64
}

type pendingListData struct {
	Items []pendingLine
	More  int
}

type ledgerSummary struct {
	Kind, Account, To, Amount, Category, Counterparty, Proposal, Memo string
}

type approveSummary struct {
	ID               uint64
	Amount, Category string
}

type accountLine struct {
	N       int
	Name    string
	Balance string
	Fund    bool
}

func showAccounts(t *Turn, f *Frame) error {
	var accounts []abci.LedgerAccount
	if _, err := t.query("accounts", &accounts); err != nil {
		return err
	}
	m := t.month(t.now.Unix())
	var months []abci.MonthSummary
	if _, err := t.query("accounts/monthly/"+m, &months); err != nil {
		return err
	}
	d := accountsData{Month: t.e.unixTime(t.now.Unix()).Format("1月")}
	if len(months) > 0 {
		d.Income, d.Expense = yuan(months[0].Income), yuan(months[0].Expense)
	}
	// Accounts with money come first; empty ones are listed after them.
	slices.SortStableFunc(accounts, func(a, b abci.LedgerAccount) int {
		return cmpBool(a.Balance == 0, b.Balance == 0)
	})
	f.Choices = nil
	for i, a := range accounts[:min(len(accounts), maxList)] {
		d.Items = append(d.Items, accountLine{N: i + 1, Name: a.Name, Balance: yuan(a.Balance), Fund: a.MaintenanceFund})
		f.Choices = append(f.Choices, "acct:"+a.ID)
	}
	var pending []abci.Entry
	if _, err := t.query("accounts/pending", &pending); err != nil {
		return err
	}
	names := map[string]string{}
	for _, a := range accounts {
		names[a.ID] = a.Name
	}
	for _, e := range pending {
		if len(d.Pending) == pendingShown {
			d.MorePending++
			continue
		}
		d.Pending = append(d.Pending, pendingLine{len(f.Choices) + 1, e.Kind, names[e.Account], yuan(e.Amount), clip(entrySummary(e), 16), len(e.Approvals), e.Required})
		f.Choices = append(f.Choices, "entry:"+strconv.FormatUint(e.ID, 10))
	}
	t.say("bot.accounts", d)
	return nil
}

// pendingShown is how many waiting entries the accounts screen lists.
const pendingShown = 3

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func chooseAccount(t *Turn, f *Frame, c string) error {
	if strings.HasPrefix(c, "entry:") {
		return chooseEntry(t, f, c)
	}
	_, id, _ := strings.Cut(c, ":")
	return t.Open(Frame{Screen: "account", Form: map[string]string{"account": id}})
}

type entryLine struct {
	N       int
	When    string
	Kind    string
	Delta   string
	In      bool
	Summary string
	Balance string
}

// accountMonthsShown is how far back an account's screen looks.
const accountMonthsShown = 3

func showAccount(t *Turn, f *Frame) error {
	id := f.Form["account"]
	var a abci.LedgerAccount
	ok, err := t.query("accounts/"+id, &a)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	now := t.e.unixTime(t.now.Unix())
	from := time.Date(now.Year(), now.Month()-accountMonthsShown+1, 1, 0, 0, 0, 0, t.e.Location).Format("2006-01")
	var lines []abci.StatementLine
	if _, err := t.query("accounts/"+id+"/entries/"+from+"/"+now.Format("2006-01"), &lines); err != nil {
		return err
	}
	list, more := newestFirst(lines)
	d := accountData{Name: a.Name, Balance: yuan(a.Balance), Fund: a.MaintenanceFund, More: more}
	f.Choices = nil
	for i, l := range list {
		d.Items = append(d.Items, entryLine{N: i + 1, When: t.e.unixTime(l.Time).Format("1月2日"), Kind: l.Entry.Kind,
			Delta: yuan(max(l.Delta, -l.Delta)), In: l.Delta > 0, Summary: clip(entrySummary(l.Entry), 16), Balance: yuan(l.Balance)})
		f.Choices = append(f.Choices, "entry:"+strconv.FormatUint(l.Entry.ID, 10))
	}
	t.say("bot.account", d)
	return nil
}

// entrySummary is an entry's category, and its counterparty if any.
func entrySummary(e abci.Entry) string {
	if e.Counterparty != "" {
		return e.Category + " · " + e.Counterparty
	}
	return e.Category
}

func chooseEntry(t *Turn, _ *Frame, c string) error {
	id, err := idOf(c)
	if err != nil {
		return err
	}
	return t.Open(Frame{Screen: "entry", ID: id})
}

type entryData struct {
	ID           uint64
	Kind         string
	Account      string
	To           string
	Amount       string
	Category     string
	Counterparty string
	Memo         string
	Evidence     string
	Proposal     uint64
	Emergency    bool
	Status       string
	Required     int64
	Approvals    int
	Height       int64
	Hash         string
	Reverses     uint64
	ReversedBy   uint64
	CanApprove   bool
	// When the entry was recorded, by whom (role and unit, never a
	// name), and the approvals given so far.
	When      string
	Recorder  whoData
	Approvers []approvalLine
}

// whoData describes a member as the ledger knows them: roles and unit.
type whoData struct {
	Roles []string
	Unit  string
}

type approvalLine struct {
	When string
	Who  whoData
}

// who describes the member at address a by role and unit.
func (t *Turn) who(a tx.Address) (whoData, error) {
	var m abci.MemberView
	if _, err := t.query("members/"+string(a), &m); err != nil {
		return whoData{}, err
	}
	return whoData{Roles: m.Roles, Unit: m.Unit}, nil
}

func showEntry(t *Turn, f *Frame) error {
	var e abci.Entry
	ok, err := t.query("accounts/entry/"+strconv.FormatUint(f.ID, 10), &e)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	names, err := t.accountNames()
	if err != nil {
		return err
	}
	d := entryData{ID: e.ID, Kind: e.Kind, Account: names[e.Account], To: names[e.To], Amount: yuan(e.Amount), Category: e.Category,
		Counterparty: e.Counterparty, Memo: e.Memo, Evidence: short(e.Evidence), Proposal: e.Proposal, Emergency: e.Emergency,
		Status: e.Status, Required: e.Required, Approvals: len(e.Approvals), Height: e.Height, Hash: short(e.TxHash),
		Reverses: e.Reverses, ReversedBy: e.ReversedBy, When: t.date(e.Time)}
	if d.Recorder, err = t.who(e.Recorder); err != nil {
		return err
	}
	for _, a := range e.Approvals {
		w, err := t.who(a.Admin)
		if err != nil {
			return err
		}
		d.Approvers = append(d.Approvers, approvalLine{When: t.date(a.Time), Who: w})
	}
	if e.Status == abci.EntryPending {
		m, err := t.Member()
		if err != nil {
			return err
		}
		d.CanApprove = hasRole(m, tx.RoleAdmin) && e.Recorder != m.Address &&
			!slices.ContainsFunc(e.Approvals, func(a abci.Approval) bool { return a.Admin == m.Address })
	}
	f.Choices = nil
	if d.CanApprove {
		f.Choices = []string{"approve"}
	}
	t.say("bot.entry", d)
	return nil
}

func chooseEntryAction(t *Turn, f *Frame, _ string) error {
	var e abci.Entry
	if ok, err := t.query("accounts/entry/"+strconv.FormatUint(f.ID, 10), &e); err != nil || !ok {
		return err
	}
	return t.confirmAction("approve", "bot.ledger.summary.approve", approveSummary{e.ID, yuan(e.Amount), e.Category}, f.ID)
}

func buildApprove(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.EntryApprove{Entry: a.ID}, &actionExtra{AfterEvents: entryOutcome("bot.ledger.approved.posted", "bot.ledger.approved.waiting")}, nil
}

// entryOutcome says, from a tx's events, whether the entry has posted.
func entryOutcome(posted, waiting string) func([]string) string {
	return func(events []string) string {
		if slices.Contains(events, "entry.posted") {
			return posted
		}
		return waiting
	}
}

func (t *Turn) accountNames() (map[string]string, error) {
	var accounts []abci.LedgerAccount
	if _, err := t.query("accounts", &accounts); err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, a := range accounts {
		names[a.ID] = a.Name
	}
	return names, nil
}

// showPending lists the entries waiting for approvals (管理 审批).
func showPending(t *Turn, f *Frame) error {
	var list []abci.Entry
	if _, err := t.query("accounts/pending", &list); err != nil {
		return err
	}
	names, err := t.accountNames()
	if err != nil {
		return err
	}
	var d struct {
		Items []struct {
			N                              int
			Kind, Account, Amount, Summary string
			Approvals                      int
			Required                       int64
		}
		More int
	}
	f.Choices = nil
	for i, e := range list {
		if i == maxList {
			d.More = len(list) - maxList
			break
		}
		d.Items = append(d.Items, pendingLine{i + 1, e.Kind, names[e.Account], yuan(e.Amount), clip(entrySummary(e), 16), len(e.Approvals), e.Required})
		f.Choices = append(f.Choices, "entry:"+strconv.FormatUint(e.ID, 10))
	}
	t.say("bot.ledger.pending", d)
	return nil
}

// The 记账 dialogue: kind, account, (destination), (passed decision),
// amount, category, counterparty, memo.

// readLedgerStep reads the 记账 dialogue's own questions; the others are
// readStep's.
func readLedgerStep(t *Turn, f *Frame, step string) (bool, error) {
	in := t.In
	word := strings.TrimFunc(in.Norm, isSpaceOrPunct)
	num := -1
	if in.Kind == KindNumber && len(in.Nums) == 1 {
		num = in.Nums[0]
	}
	bad := func(reason string) (bool, error) {
		t.say("bot.admin.bad", struct{ Reason string }{reason})
		return false, nil
	}
	none := word == "无" || word == "没有" || word == "跳过"
	switch step {
	case "kind":
		kinds := []string{tx.EntryIncome, tx.EntryExpense, tx.EntryTransfer}
		if num < 1 || num > len(kinds) {
			return bad("pick")
		}
		f.Form["kind"] = kinds[num-1]
	case "account", "to":
		if num < 1 || num > len(f.Choices) {
			return bad("pick")
		}
		id, fund, _ := strings.Cut(f.Choices[num-1], ":")
		f.Form[step] = id
		if step == "account" {
			f.Form["fund"] = fund
		}
	case "proposal":
		if none {
			f.Form["proposal"] = ""
			break
		}
		if num < 1 {
			return bad("proposal")
		}
		f.Form["proposal"] = strconv.Itoa(num)
	case "amount":
		fen, ok := parseAmount(word)
		if !ok {
			return bad("amount")
		}
		f.Form["amount"] = strconv.FormatInt(fen, 10)
	case "category":
		if reflex(in) {
			return bad("words")
		}
		c := strings.ReplaceAll(word, " ", "")
		if !tx.ValidLabel(c, tx.MaxLabelBytes) {
			return bad("category")
		}
		f.Form["category"] = c
	case "counterparty", "memo":
		if !none && reflex(in) {
			return bad("words")
		}
		v := strings.Join(strings.Fields(in.Text), " ")
		if none {
			v = ""
		}
		limit := tx.MaxCounterpartyBytes
		if step == "memo" {
			limit = tx.MaxMemoBytes
		}
		if len(v) > limit {
			return bad("text_long")
		}
		f.Form[step] = v
	default:
		return readStep(t, f, step)
	}
	// Only a transfer has a destination, and only a maintenance-fund
	// expense names the decision it rests on.
	if _, ok := f.Form["to"]; !ok && f.Form["kind"] != "" && f.Form["kind"] != tx.EntryTransfer {
		autoFill(f, "to", "")
	}
	if _, ok := f.Form["proposal"]; !ok && f.Form["account"] != "" && (f.Form["fund"] != "fund" || f.Form["kind"] != tx.EntryExpense) {
		autoFill(f, "proposal", "")
	}
	return true, nil
}

// autoFill answers a question the dialogue need not ask, marked so that
// going back skips it (and the answer it rests on is asked again).
func autoFill(f *Frame, step, v string) {
	f.Form[step] = v
	f.Form["auto."+step] = "1"
}

// showLedgerStep lists the accounts for the account questions.
func (t *Turn) ledgerChoices(f *Frame) ([]accountLine, error) {
	var accounts []abci.LedgerAccount
	if _, err := t.query("accounts", &accounts); err != nil {
		return nil, err
	}
	var lines []accountLine
	f.Choices = nil
	for _, a := range accounts {
		if f.Step == "to" && a.ID == f.Form["account"] || len(lines) == maxList {
			continue
		}
		lines = append(lines, accountLine{N: len(lines) + 1, Name: a.Name, Balance: yuan(a.Balance), Fund: a.MaintenanceFund})
		c := a.ID + ":"
		if a.MaintenanceFund {
			c += "fund"
		}
		f.Choices = append(f.Choices, c)
	}
	return lines, nil
}

func ledgerAction(t *Turn, f *Frame) (*Action, error) {
	names, err := t.accountNames()
	if err != nil {
		return nil, err
	}
	fen, _ := strconv.ParseInt(f.Form["amount"], 10, 64)
	d := ledgerSummary{f.Form["kind"], names[f.Form["account"]], names[f.Form["to"]], yuan(fen), f.Form["category"], f.Form["counterparty"], f.Form["proposal"], f.Form["memo"]}
	return t.action("ledger", "bot.ledger.summary", d, f.Form)
}

func buildLedger(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	fen, _ := strconv.ParseInt(a.Args["amount"], 10, 64)
	p, _ := strconv.ParseUint(a.Args["proposal"], 10, 64)
	return &tx.EntryRecord{Kind: a.Args["kind"], Account: a.Args["account"], To: a.Args["to"], Amount: fen,
			Category: a.Args["category"], Counterparty: a.Args["counterparty"], Memo: a.Args["memo"], Proposal: p},
		&actionExtra{AfterEvents: entryOutcome("bot.ledger.posted", "bot.ledger.waiting")}, nil
}
