package board

import (
	"context"
	"encoding/json"
	"fmt"

	gojson "github.com/goccy/go-json"

	"github.com/linli-community/linli/abci"
)

// view reads one page's data from one committed height.
type view struct {
	ctx    context.Context
	ledger Ledger
	snap   snapshot
	// stale is set when a query answered from another height than snap's.
	stale bool
}

func (b *Board) newView(ctx context.Context) (*view, error) {
	v := &view{ctx: ctx, ledger: b.ledger}
	res, err := b.ledger.Query(ctx, "chain")
	if err != nil {
		return nil, err
	}
	if _, err := res.Decode("chain", &v.snap); err != nil {
		return nil, err
	}
	return v, nil
}

// query decodes the answer to path into out; found is false for a record
// the chain does not have.
func (v *view) query(path string, out any) (found bool, err error) {
	res, err := v.ledger.Query(v.ctx, path)
	if err != nil {
		return false, err
	}
	if res.Height != v.snap.Height {
		v.stale = true
	}
	switch abci.Code(res.Code) {
	case abci.CodeOK:
	case abci.CodeQueryNotFound:
		return false, nil
	default:
		return res.Decode(path, out) // its error names the code
	}
	// goccy/go-json decodes the same JSON into the same values as
	// encoding/json, several times faster: a month's statement is tens
	// of thousands of entries, and decoding them was the largest part of
	// its render.
	if err := gojson.Unmarshal(res.Value, out); err != nil {
		return false, fmt.Errorf("query %s: %w", path, err)
	}
	return true, nil
}

// must is query for records that always exist (lists, the accounts).
func (v *view) must(path string, out any) error {
	found, err := v.query(path, out)
	if err == nil && !found {
		err = fmt.Errorf("board: query %s: not found", path)
	}
	return err
}

// Proposal is an owners' decision or a poll as the chain answers it.
type Proposal struct {
	abci.Proposal
	Phase string `json:"phase"`
}

// ProposalResult is a closed proposal's result with its published rows.
type ProposalResult struct {
	abci.Result
	Rows []abci.ResultRow `json:"rows"`
}

// StatementAccount and friends are the accounts queries' answers.
type (
	accountWithMonths struct {
		abci.LedgerAccount
		Months []abci.AccountMonth `json:"months"`
	}
)

// The accounts queries' answers as the board reads them: only the fields
// its pages and exports show, so that decoding thousands of entries skips
// the rest (the recorder, the approving admins' addresses, a withdrawal),
// which no page may show anyway.
type (
	shownEntry struct {
		ID           uint64 `json:"id"`
		Kind         string `json:"kind"`
		Account      string `json:"account"`
		To           string `json:"to"`
		Amount       int64  `json:"amount"`
		Category     string `json:"category"`
		Counterparty string `json:"counterparty"`
		Memo         string `json:"memo"`
		Evidence     string `json:"evidence"`
		Proposal     uint64 `json:"proposal"`
		Reverses     uint64 `json:"reverses"`
		ReversedBy   uint64 `json:"reversed_by"`
		Emergency    bool   `json:"emergency"`
		Status       string `json:"status"`
		Required     int64  `json:"required"`
		Approvals    []struct {
			TxHash string `json:"tx_hash"`
		} `json:"approvals"`
		Time       int64  `json:"time"`
		Height     int64  `json:"height"`
		TxHash     string `json:"tx_hash"`
		PostedTime int64  `json:"posted_time"`
	}
	// line is an abci.StatementLine.
	line struct {
		Time    int64      `json:"time"`
		Delta   int64      `json:"delta"`
		Balance int64      `json:"balance"`
		Entry   shownEntry `json:"entry"`
	}
	// linePage is an abci.PostingPage.
	linePage struct {
		Total int    `json:"total"`
		Lines []line `json:"lines"`
	}
	// statementAnswer is an abci.AccountsStatement.
	statementAnswer struct {
		Accounts []struct {
			Account     string `json:"account"`
			Name        string `json:"name"`
			Opening     int64  `json:"opening"`
			Income      int64  `json:"income"`
			Expense     int64  `json:"expense"`
			TransferIn  int64  `json:"transfer_in"`
			TransferOut int64  `json:"transfer_out"`
			Closing     int64  `json:"closing"`
			Lines       []line `json:"lines"`
		} `json:"accounts"`
	}
)

// proposals returns every proposal and poll, newest first.
func (v *view) proposals() ([]Proposal, error) {
	var list []Proposal
	if err := v.must("proposals", &list); err != nil {
		return nil, err
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list, nil
}

func (v *view) turnout(id uint64) (abci.Turnout, error) {
	var t abci.Turnout
	err := v.must(fmt.Sprintf("proposals/%d/turnout", id), &t)
	return t, err
}

// accountEntries returns every posting to an account since it first moved.
func (v *view) accountEntries(id string) (abci.LedgerAccount, []line, bool, error) {
	var a accountWithMonths
	found, err := v.query("accounts/"+id, &a)
	if err != nil || !found {
		return a.LedgerAccount, nil, found, err
	}
	lines := []line{}
	if len(a.Months) == 0 {
		return a.LedgerAccount, lines, true, nil
	}
	first, _ := abci.ParseMonth(a.Months[0].Month)
	last, _ := abci.ParseMonth(a.Months[len(a.Months)-1].Month)
	for from := first; from <= last; {
		to := from
		for n := 1; n < abci.MaxQueryMonths && to < last; n++ {
			to = abci.NextMonth(to)
		}
		var part []line
		if err := v.must(fmt.Sprintf("accounts/%s/entries/%s/%s", id, abci.FormatMonth(from), abci.FormatMonth(to)), &part); err != nil {
			return a.LedgerAccount, nil, true, err
		}
		lines = append(lines, part...)
		from = abci.NextMonth(to)
	}
	return a.LedgerAccount, lines, true, nil
}

// decode is json.Unmarshal for the tx body of the receipt page.
func decode(b []byte, v any) error { return json.Unmarshal(b, v) }
