package board

import (
	"context"
	"encoding/json"
	"fmt"

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
	return res.Decode(path, out)
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
func (v *view) accountEntries(id string) (abci.LedgerAccount, []abci.StatementLine, bool, error) {
	var a accountWithMonths
	found, err := v.query("accounts/"+id, &a)
	if err != nil || !found {
		return a.LedgerAccount, nil, found, err
	}
	lines := []abci.StatementLine{}
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
		var part []abci.StatementLine
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
