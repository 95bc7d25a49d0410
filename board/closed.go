package board

import (
	"bytes"
	"fmt"
	"html/template"
)

// maxClosed bounds the closed results kept in memory.
const maxClosed = 64

// closed is a closed proposal's result with what is derived from it.
// Results and their published rows never change once the closing block
// wrote them, so they are read, decoded and their row tables rendered once
// per process, not once per height: a 5,000-unit result is most of a
// decision page's cost.
type closed struct {
	height int64 // the closing block, which identifies the result
	res    *ProposalResult
	rows   []Row
	// page and sheet are the rows as the decision page's and the printed
	// notice's tables show them.
	page, sheet template.HTML
}

// closedResult returns the result of proposal p, which is closed.
func (b *Board) closedResult(v *view, p Proposal) (*closed, error) {
	b.mu.Lock()
	c := b.closed[p.ID]
	b.mu.Unlock()
	if c != nil && c.height == p.ClosedHeight {
		return c, nil
	}
	var res ProposalResult
	found, err := v.query(fmt.Sprintf("proposals/%d/result", p.ID), &res)
	if err != nil || !found {
		return nil, err
	}
	c = &closed{height: p.ClosedHeight, res: &res, rows: rows(&res)}
	data := struct {
		Rows []Row
		Poll bool
	}{c.rows, p.Kind != "decision"}
	if c.page, err = b.fragment("rows_page", data); err != nil {
		return nil, err
	}
	if c.sheet, err = b.fragment("rows_sheet", data); err != nil {
		return nil, err
	}
	b.mu.Lock()
	if len(b.closed) >= maxClosed {
		b.closed = map[uint64]*closed{}
	}
	b.closed[p.ID] = c
	b.mu.Unlock()
	return c, nil
}

// fragment renders a template into safe HTML for another template.
func (b *Board) fragment(name string, data any) (template.HTML, error) {
	var buf bytes.Buffer
	if err := b.pages.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("board: template %s: %w", name, err)
	}
	return template.HTML(buf.String()), nil // html/template escaped it
}
