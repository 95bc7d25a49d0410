package board

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"
)

// The pages with thousands of entries (a month's page, a period's printed
// statement) spend most of their render in html/template, which evaluates
// every field and escaper of every row by reflection: tens of
// microseconds a row. Their rows are written here instead, directly, as
// exactly the bytes the "entry" and "sheetrow" templates write; those
// templates stay the definition of a row, TestFastRowsMatchTemplates holds
// the two equal over rows of every shape, and a row this code does not
// handle (a transaction hash that is not hex) is rendered by the template.
// A closed decision's published rows (thousands in a large community) are
// written the same way, from the "pagerow" and "printrow" templates.

// escaper escapes text and quoted attribute values as html/template does.
var escaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

type rowWriter struct {
	bytes.Buffer
	b *Board
}

func (w *rowWriter) text(s string) { escaper.WriteString(w, s) }
func (w *rowWriter) num(n uint64)  { w.Write(strconv.AppendUint(w.AvailableBuffer(), n, 10)) }
func (w *rowWriter) int(n int64)   { w.Write(strconv.AppendInt(w.AvailableBuffer(), n, 10)) }

// fastRow reports whether a row is one the fast path writes: one whose
// transaction hash, written into a link, is plain hex as the chain gives
// it (html/template would normalise anything else as a URL).
func fastRow(e *EntryRow) bool {
	for i := 0; i < len(e.TxHash); i++ {
		if c := e.TxHash[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// cards writes rows as the "entry" template writes each.
func (b *Board) cards(rows []EntryRow) (template.HTML, error) {
	w := &rowWriter{b: b}
	w.Grow(1200 * len(rows))
	for i := range rows {
		e := &rows[i]
		if !fastRow(e) {
			if err := b.pages.ExecuteTemplate(w, "entry", e); err != nil {
				return "", fmt.Errorf("board: template entry: %w", err)
			}
			continue
		}
		w.WriteString(`<div class="card" id="entry-`)
		w.num(e.ID)
		w.WriteString("\">\n<div><b>")
		w.text(e.Date)
		w.WriteString("</b> ")
		w.text(b.label("entrykind", e.Kind))
		w.WriteString(" · ")
		w.text(e.AccountName)
		w.WriteString(" · ")
		w.text(e.Category)
		if e.Counterparty != "" {
			w.WriteString(" · ")
			w.text(e.Counterparty)
		}
		w.WriteString("</div>\n<div class=\"figure ")
		if e.Delta < 0 {
			w.WriteString("no")
		} else {
			w.WriteString("ok")
		}
		w.WriteString(`">`)
		if e.Delta != 0 {
			w.WriteString(yuan(e.Delta))
		} else {
			w.WriteString(yuan(e.Amount))
		}
		w.WriteString(" 元</div>\n")
		if e.Memo != "" {
			w.WriteString("<div>")
			w.text(e.Memo)
			w.WriteString("</div>")
		}
		w.WriteString("\n<div class=\"muted\">第 ")
		w.num(e.ID)
		w.WriteString(" 笔 · ")
		w.text(b.label("entrystatus", e.Status))
		if e.Balance != 0 {
			w.WriteString(" · 余额 ")
			w.WriteString(yuan(e.Balance))
			w.WriteString(" 元")
		}
		if e.Required != 0 {
			w.WriteString(" · 审批 ")
			w.int(int64(len(e.Approvals)))
			w.WriteString("/")
			w.int(e.Required)
		}
		if e.Proposal != 0 {
			w.WriteString(` · 依据 <a href="/decisions/`)
			w.num(e.Proposal)
			w.WriteString(`">第 `)
			w.num(e.Proposal)
			w.WriteString(" 项表决</a>")
		}
		if e.Emergency {
			w.WriteString(" · 紧急使用")
		}
		w.WriteString("</div>\n")
		if e.Reverses != 0 {
			w.WriteString(`<div>冲正 <a href="#entry-`)
			w.num(e.Reverses)
			w.WriteString(`">第 `)
			w.num(e.Reverses)
			w.WriteString(" 笔</a></div>")
		}
		if e.ReversedBy != 0 {
			w.WriteString(`<div>已被 <a href="#entry-`)
			w.num(e.ReversedBy)
			w.WriteString(`">第 `)
			w.num(e.ReversedBy)
			w.WriteString(" 笔</a> 冲正</div>")
		}
		w.WriteString("\n")
		if e.Evidence != "" {
			w.WriteString(`<div class="muted">凭证哈希 <span class="hash">`)
			w.text(e.Evidence)
			w.WriteString("</span></div>")
		}
		w.WriteString("\n<div class=\"muted\">区块 #")
		w.int(e.Height)
		w.WriteString(` · <a class="hash" href="/tx/`)
		w.WriteString(e.TxHash)
		w.WriteString(`">`)
		w.WriteString(short(e.TxHash))
		w.WriteString("</a></div>\n</div>")
	}
	return template.HTML(w.String()), nil // every value escaped above
}

// sheetRows writes rows as the "sheetrow" template writes each.
func (b *Board) sheetRows(rows []EntryRow) (template.HTML, error) {
	w := &rowWriter{b: b}
	w.Grow(400 * len(rows))
	for i := range rows {
		e := &rows[i]
		if !fastRow(e) {
			if err := b.pages.ExecuteTemplate(w, "sheetrow", e); err != nil {
				return "", fmt.Errorf("board: template sheetrow: %w", err)
			}
			continue
		}
		w.WriteString("<tr><td>")
		w.text(e.Date)
		w.WriteString("</td><td>")
		w.text(b.label("entrykind", e.Kind))
		w.WriteString("</td><td>第")
		w.num(e.ID)
		w.WriteString("笔 ")
		w.text(e.Category)
		if e.Counterparty != "" {
			w.WriteString(" · ")
			w.text(e.Counterparty)
		}
		if e.Memo != "" {
			w.WriteString(" · ")
			w.text(e.Memo)
		}
		if e.Reverses != 0 {
			w.WriteString(" · 冲正第")
			w.num(e.Reverses)
			w.WriteString("笔")
		}
		if e.ReversedBy != 0 {
			w.WriteString(" · 已被第")
			w.num(e.ReversedBy)
			w.WriteString("笔冲正")
		}
		if e.Evidence != "" {
			w.WriteString(" · 凭证哈希 ")
			w.text(short(e.Evidence))
		}
		w.WriteString(`</td><td class="num">`)
		w.WriteString(yuan(e.Delta))
		w.WriteString(`</td><td class="num">`)
		w.WriteString(yuan(e.Balance))
		w.WriteString("</td><td>")
		if e.Required != 0 {
			w.int(int64(len(e.Approvals)))
			w.WriteString("/")
			w.int(e.Required)
		}
		w.WriteString(`</td><td class="hash">#`)
		w.int(e.Height)
		w.WriteString(" ")
		w.text(e.TxHash)
		w.WriteString("</td></tr>")
	}
	return template.HTML(w.String()), nil // every value escaped above
}

// resultRow is what the "pagerow" and "printrow" templates see.
type resultRow struct {
	R    Row
	Poll bool
}

// pageRows writes a result's rows as the "pagerow" template writes each.
func (b *Board) pageRows(rows []Row, poll bool) (template.HTML, error) {
	return b.resultRows(rows, poll, "pagerow")
}

// printRows writes a result's rows as the "printrow" template writes each.
func (b *Board) printRows(rows []Row, poll bool) (template.HTML, error) {
	return b.resultRows(rows, poll, "printrow")
}

func (b *Board) resultRows(rows []Row, poll bool, name string) (template.HTML, error) {
	w := &rowWriter{b: b}
	w.Grow(160 * len(rows))
	for _, r := range rows {
		if !fastRow(&EntryRow{TxHash: r.TxHash}) {
			if err := b.pages.ExecuteTemplate(w, name, resultRow{r, poll}); err != nil {
				return "", fmt.Errorf("board: template %s: %w", name, err)
			}
			continue
		}
		w.WriteString("<tr><td>")
		w.text(r.Unit)
		w.WriteString("</td>")
		if !poll {
			w.WriteString("<td>")
			w.text(r.Building)
			if name == "printrow" {
				w.WriteString(`</td><td class="num">`)
				w.text(r.AreaM2)
				w.WriteString("</td><td>")
				w.text(r.Owner)
			} else {
				w.WriteString("</td><td>")
				w.text(r.AreaM2)
			}
			w.WriteString("</td>")
		}
		w.WriteString("<td>")
		if r.Choice != "" {
			w.text(r.Choice)
		} else {
			w.WriteString("未投")
		}
		if !poll {
			w.WriteString("</td><td>")
			if r.Channel != "" {
				w.text(b.label("channel", r.Channel))
			}
		}
		if name == "printrow" {
			w.WriteString(`</td><td class="hash">`)
			w.WriteString(r.TxHash)
		} else {
			w.WriteString("</td><td>")
			if r.TxHash != "" {
				w.WriteString(`<a class="hash" href="/tx/`)
				w.WriteString(r.TxHash)
				w.WriteString(`">`)
				w.WriteString(short(r.TxHash))
				w.WriteString("</a>")
			}
		}
		w.WriteString("</td></tr>")
	}
	return template.HTML(w.String()), nil // every value escaped above
}
