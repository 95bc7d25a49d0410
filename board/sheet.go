package board

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"slices"

	gojson "github.com/goccy/go-json"

	"github.com/linli-community/linli/internal/qr"
)

// Proof is the block printed at the foot of every notice: which chain and
// height the figures were read from, and the SHA-256 of the notice's own
// data, so that someone comparing a posted sheet with the chain can see
// they match.
type Proof struct {
	ChainID string
	// Height, BlockTime and AppHash are the committed block the data was
	// read at and the app hash after it (the one in the next header).
	Height    int64
	BlockTime int64
	AppHash   string
	// DataHash is the hex SHA-256 of the notice's data as DataJSON
	// encodes it; DataURL is where anyone can download those bytes.
	DataHash string
	DataURL  string
}

// DataJSON encodes a notice's data the one way its hash is taken: JSON as
// encoding/json writes a struct (fields in declaration order), indented,
// with a final newline. `sha256sum data.json` gives the same hash.
//
// It encodes with goccy/go-json, which writes the same bytes as
// encoding/json (TestDataJSONIsEncodingJSON) several times faster: a
// period's notice holds thousands of entries.
func DataJSON(data any) ([]byte, string, error) {
	b, err := gojson.MarshalIndent(data, "", "  ")
	if err != nil {
		return nil, "", fmt.Errorf("board: notice data: %w", err)
	}
	b = append(b, '\n')
	return b, dataHash(b), nil
}

// dataHash is the hex SHA-256 a notice's proof block prints for its data.
func dataHash(js []byte) string {
	sum := sha256.Sum256(js)
	return hex.EncodeToString(sum[:])
}

// statementIndent is how deep an entry of an account's "entries" sits in
// a period's notice data: notice, "accounts", an account, "entries".
const statementIndent = "        "

// statementData is DataJSON(n) with each account's Entries given as
// entries[i], one object each as gojson.MarshalIndent(row,
// statementIndent, "  ") writes it, so that a statement of thousands of
// entries encodes only the entries that changed (see lineMemo). It encodes
// n with every account's Entries nil, then writes each account's entries
// where its "entries": null is: that text is a key and its value, never
// part of a string, which encodes a quote as \" (TestStatementDataIsDataJSON).
func statementData(n accountsNotice, entries [][][]byte) ([]byte, error) {
	var buf bytes.Buffer
	err := writeStatementData(&buf, n, entries)
	return buf.Bytes(), err
}

// writeStatementData writes statementData(n, entries) to w, piece by
// piece: a sheet hashes it as it is written.
func writeStatementData(w io.Writer, n accountsNotice, entries [][][]byte) error {
	n.Accounts = slices.Clone(n.Accounts)
	for i := range n.Accounts {
		n.Accounts[i].Entries = nil
	}
	js, _, err := DataJSON(n)
	if err != nil {
		return err
	}
	const null = `"entries": null`
	if c := bytes.Count(js, []byte(null)); c != len(entries) {
		return fmt.Errorf("board: notice data: %d accounts, %d entries lists", c, len(entries))
	}
	if buf, ok := w.(*bytes.Buffer); ok {
		size := len(js)
		for _, es := range entries {
			for _, e := range es {
				size += len(e) + len(statementIndent) + 2
			}
		}
		buf.Grow(size + len(entries)*16)
	}
	// Each piece is small: write them through one buffer.
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, es := range entries {
		i := bytes.Index(js, []byte(null))
		bw.Write(js[:i])
		bw.WriteString(`"entries": [`)
		for k, e := range es {
			if k > 0 {
				bw.WriteByte(',')
			}
			bw.WriteByte('\n')
			bw.WriteString(statementIndent)
			bw.Write(e)
		}
		if len(es) > 0 {
			bw.WriteByte('\n')
			bw.WriteString(statementIndent[2:])
		}
		bw.WriteByte(']')
		js = js[i+len(null):]
	}
	bw.Write(js)
	return bw.Flush()
}

// Sheet is one printable A4 notice: its own content inside the board's
// print layout (A4 print CSS, title, legal basis, posting period, the proof
// block and a QR code to the same page online).
type Sheet struct {
	Title     string
	Community string
	// Legal is the legal basis line; Posting the posting period.
	Legal   string
	Posting string
	// Body is the sheet's own content, already safe HTML (render it with
	// html/template).
	Body  template.HTML
	Proof Proof
	// URL is the page's public address, which the QR code holds.
	URL string
}

// RenderSheet writes s as a complete HTML page in the print layout. Other
// packages (ballot sheets, binding-code slips) print through it.
func (b *Board) RenderSheet(w io.Writer, s Sheet) error {
	if err := b.pages.ExecuteTemplate(w, "sheet", s); err != nil {
		return fmt.Errorf("board: sheet: %w", err)
	}
	return nil
}

// Body renders one of the board's templates (templates/board) as a
// sheet's Body, for the pages other packages print through RenderSheet:
// ballot sheets ("ballot_sheets") and the door-to-door list
// ("notvoted_sheet").
func (b *Board) Body(name string, data any) (template.HTML, error) { return b.fragment(name, data) }

// URL is the public address of path on the board.
func (b *Board) URL(path string) string { return b.url(path) }

// body writes the template name with data, for sheet.
func (b *Board) body(name string, data any) func(*bytes.Buffer) error {
	return func(w *bytes.Buffer) error {
		if err := b.pages.ExecuteTemplate(w, name, data); err != nil {
			return fmt.Errorf("board: template %s: %w", name, err)
		}
		return nil
	}
}

// sheet writes the layout with the body that body writes between its two
// halves, as RenderSheet does with a Body. The page starts as large as the
// last one of its kind: a statement's 3 MB page grown by doubling was
// copied and cleared over and over.
func (b *Board) sheet(kind string, body func(*bytes.Buffer) error, s Sheet) (*response, error) {
	b.mu.Lock()
	size := b.pageSize[kind]
	b.mu.Unlock()
	var page bytes.Buffer
	page.Grow(max(size+size/8, 32<<10))
	if err := b.pages.ExecuteTemplate(&page, "sheethead", s); err != nil {
		return nil, fmt.Errorf("board: sheet: %w", err)
	}
	if err := body(&page); err != nil {
		return nil, err
	}
	if err := b.pages.ExecuteTemplate(&page, "sheetfoot", s); err != nil {
		return nil, fmt.Errorf("board: sheet: %w", err)
	}
	b.mu.Lock()
	if b.pageSize == nil {
		b.pageSize = map[string]int{}
	}
	b.pageSize[kind] = page.Len()
	b.mu.Unlock()
	return &response{status: 200, ctype: "text/html; charset=utf-8", body: page.Bytes()}, nil
}

// qrSVG draws a QR code for text as inline SVG. qr.SVG writes only
// numbers it computed, never the text, so it is safe HTML.
func qrSVG(text string, size int) (template.HTML, error) {
	svg, err := qr.SVG(text, size)
	if err != nil {
		return "", err
	}
	return template.HTML(svg), nil
}
