package board

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	value, found, err := v.raw(path, out)
	if err != nil || !found {
		return found, err
	}
	// goccy/go-json decodes the same JSON into the same values as
	// encoding/json, several times faster: a month's statement is tens
	// of thousands of entries, and decoding them was the largest part of
	// its render.
	if err := gojson.Unmarshal(value, out); err != nil {
		return false, fmt.Errorf("query %s: %w", path, err)
	}
	return true, nil
}

// raw returns the answer to path as the chain wrote it; found is false for
// a record the chain does not have. An answer with another error code is
// decoded into out, to name the code in its error.
func (v *view) raw(path string, out any) (value []byte, found bool, err error) {
	res, err := v.ledger.Query(v.ctx, path)
	if err != nil {
		return nil, false, err
	}
	if res.Height != v.snap.Height {
		v.stale = true
	}
	switch abci.Code(res.Code) {
	case abci.CodeOK:
		return res.Value, true, nil
	case abci.CodeQueryNotFound:
		return nil, false, nil
	default:
		_, err := res.Decode(path, out) // its error names the code
		return nil, false, err
	}
}

// lines returns the lines of an accounts answer that is an array of them
// (accounts/ID/entries/FROM/TO), each as the chain wrote it, without
// decoding them: the board decodes only the lines it has not seen
// (lineMemo).
func (v *view) lines(path string) ([]gojson.RawMessage, error) {
	value, found, err := v.raw(path, &[]line{})
	if err == nil && !found {
		err = fmt.Errorf("board: query %s: not found", path)
	}
	if err != nil {
		return nil, err
	}
	lines, _, err := splitObjects(value)
	if err != nil {
		return nil, fmt.Errorf("board: query %s: %w", path, err)
	}
	return lines, nil
}

// splitObjects returns the elements of a JSON array of objects, each as it
// is written, and where each starts. It finds where each object ends (its
// strings, escapes and nesting) and checks nothing else: an object is
// checked whole when it is decoded.
func splitObjects(b []byte) ([]gojson.RawMessage, []int, error) {
	bad := errors.New("want a JSON array of objects")
	lines, starts := []gojson.RawMessage{}, []int{}
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '[' {
		return nil, nil, bad
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		if skipSpace(b, i+1) != len(b) {
			return nil, nil, bad
		}
		return lines, starts, nil
	}
	for {
		end := objectEnd(b, i)
		if end < 0 {
			return nil, nil, bad
		}
		lines, starts = append(lines, b[i:end:end]), append(starts, i)
		i = skipSpace(b, end)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == ']' && skipSpace(b, i+1) == len(b):
			return lines, starts, nil
		default:
			return nil, nil, bad
		}
	}
}

// objectEnd is the index just after the object that starts at b[i], or -1.
func objectEnd(b []byte, i int) int {
	if i >= len(b) || b[i] != '{' {
		return -1
	}
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			// The string ends at the next quote not escaped, one after
			// an even number of backslashes.
			for {
				j := bytes.IndexByte(b[i+1:], '"')
				if j < 0 {
					return -1
				}
				i += 1 + j
				k := i
				for k > 0 && b[k-1] == '\\' {
					k--
				}
				if (i-k)%2 == 0 {
					break
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
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

// accountPaths returns the queries that answer every posting to an
// account since it first moved, as arrays of lines, oldest first.
func (v *view) accountPaths(id string) (abci.LedgerAccount, []string, bool, error) {
	var a accountWithMonths
	found, err := v.query("accounts/"+id, &a)
	if err != nil || !found || len(a.Months) == 0 {
		return a.LedgerAccount, nil, found, err
	}
	var paths []string
	first, _ := abci.ParseMonth(a.Months[0].Month)
	last, _ := abci.ParseMonth(a.Months[len(a.Months)-1].Month)
	for from := first; from <= last; {
		to := from
		for n := 1; n < abci.MaxQueryMonths && to < last; n++ {
			to = abci.NextMonth(to)
		}
		paths = append(paths, fmt.Sprintf("accounts/%s/entries/%s/%s", id, abci.FormatMonth(from), abci.FormatMonth(to)))
		from = abci.NextMonth(to)
	}
	return a.LedgerAccount, paths, true, nil
}

// accountLines returns every posting to an account since it first moved,
// each line as the chain wrote it.
func (v *view) accountLines(id string) (abci.LedgerAccount, []gojson.RawMessage, bool, error) {
	a, paths, found, err := v.accountPaths(id)
	if err != nil || !found {
		return a, nil, found, err
	}
	lines := []gojson.RawMessage{}
	for _, path := range paths {
		part, err := v.lines(path)
		if err != nil {
			return a, nil, true, err
		}
		lines = append(lines, part...)
	}
	return a, lines, true, nil
}

// accountEntries is accountLines, decoded.
func (v *view) accountEntries(id string) (abci.LedgerAccount, []line, bool, error) {
	a, raws, found, err := v.accountLines(id)
	if err != nil || !found {
		return a, nil, found, err
	}
	lines := make([]line, len(raws))
	for i, raw := range raws {
		if lines[i], err = decodeLine(raw); err != nil {
			return a, nil, true, err
		}
	}
	return a, lines, true, nil
}

// decodeLine decodes one line of an accounts answer.
func decodeLine(raw []byte) (line, error) {
	var l line
	if err := gojson.Unmarshal(raw, &l); err != nil {
		return l, fmt.Errorf("board: an accounts line: %w", err)
	}
	return l, nil
}

// decode is json.Unmarshal for the tx body of the receipt page.
func decode(b []byte, v any) error { return json.Unmarshal(b, v) }
