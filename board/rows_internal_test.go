package board

import (
	"bytes"
	"encoding/json"
	"html/template"
	"strings"
	"testing"

	"github.com/linli-community/linli/templates"
)

// shapes returns rows of every shape the entry templates tell apart, with
// text that needs escaping, unknown codes and a hash the fast path leaves
// to the template.
func shapes() []EntryRow {
	texts := []string{"", "维修", `<a href="x">'&'+"` + "\x00" + `</a>`, "费用 · 2026"}
	var rows []EntryRow
	for mask := range 1 << 10 {
		bit := func(i int) bool { return mask&(1<<i) != 0 }
		e := EntryRow{ID: uint64(mask + 1), Date: "2026年12月1日", Account: "mgmt", AccountName: texts[mask%4], Kind: []string{"income", "expense", "transfer", "reversal", "x<y"}[mask%5],
			Category: texts[(mask/4)%4], Amount: int64(mask) * 12345, Status: []string{"posted", "pending", "withdrawn", "odd&"}[mask%4],
			Height: int64(mask) * 7, TxHash: "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"}
		if bit(0) {
			e.Counterparty = texts[1+mask%3]
		}
		if bit(1) {
			e.Memo = texts[1+(mask/2)%3]
		}
		switch {
		case bit(2) && bit(3):
			e.Delta = -int64(mask) * 100
		case bit(2):
			e.Delta = int64(mask) * 100
		}
		if bit(4) {
			e.Balance = int64(mask) * 1_000_001
		}
		if bit(5) {
			e.Required, e.Approvals = 2, []string{"AB"}[:mask%2]
		}
		if bit(6) {
			e.Proposal = uint64(mask)
		}
		if bit(7) {
			e.Emergency = true
		}
		if bit(8) {
			e.Reverses, e.ReversedBy = uint64(mask-1), uint64(mask+1)*uint64(mask%2)
		}
		if bit(9) {
			e.Evidence = []string{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "<b>"}[mask%2]
		}
		if mask%97 == 0 {
			e.TxHash = "not/hex?<>" // left to the template
		}
		if mask%101 == 0 {
			e.TxHash = ""
		}
		rows = append(rows, e)
	}
	return rows
}

// TestFastRowsMatchTemplates wants the fast path's cards and statement
// rows byte for byte what the "entry" and "sheetrow" templates write.
func TestFastRowsMatchTemplates(t *testing.T) {
	b, err := New(nil, templates.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	rows := shapes()
	for _, tt := range []struct {
		name string
		fast func([]EntryRow) (string, error)
	}{
		{"entry", func(rs []EntryRow) (string, error) { h, err := b.cards(rs); return string(h), err }},
		{"sheetrow", func(rs []EntryRow) (string, error) { h, err := b.sheetRows(rs); return string(h), err }},
	} {
		var want bytes.Buffer
		for i, e := range rows {
			var one bytes.Buffer
			if err := b.pages.ExecuteTemplate(&one, tt.name, e); err != nil {
				t.Fatal(err)
			}
			got, err := tt.fast(rows[i : i+1])
			if err != nil || got != one.String() {
				t.Fatalf("%s, row %d (%+v):\n got %q, %v\nwant %q", tt.name, i, e, got, err, one.String())
			}
			want.Write(one.Bytes())
		}
		if got, err := tt.fast(rows); err != nil || got != want.String() {
			t.Errorf("%s: all rows together differ from the template's (%v)", tt.name, err)
		}
	}
	if h, err := b.cards(nil); err != nil || h != "" {
		t.Errorf("no cards: %q %v", h, err)
	}
}

// TestFastResultRowsMatchTemplates wants the fast path's published rows
// byte for byte what the "pagerow" and "printrow" templates write, for a
// decision's rows and a poll's.
func TestFastResultRowsMatchTemplates(t *testing.T) {
	b, err := New(nil, templates.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for i, e := range shapes() {
		r := Row{Unit: e.AccountName + "3-502", Building: e.Category, AreaM2: e.Counterparty, Owner: e.Memo, Choice: e.Kind, TxHash: e.TxHash}
		if i%3 == 0 {
			r.Choice = ""
		}
		r.Channel = []string{"chat", "paper", "proxy", "", "x<y"}[i%5]
		rows = append(rows, r)
	}
	for _, name := range []string{"pagerow", "printrow"} {
		for _, poll := range []bool{false, true} {
			var want bytes.Buffer
			for _, r := range rows {
				if err := b.pages.ExecuteTemplate(&want, name, resultRow{r, poll}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := b.resultRows(rows, poll, name)
			if err != nil || string(got) != want.String() {
				t.Errorf("%s, poll %v: fast rows differ from the template's (%v)", name, poll, err)
			}
		}
	}
}

// TestDataJSONIsEncodingJSON wants a notice's data encoded byte for byte as
// encoding/json encodes it, whatever its text holds, so that anyone can
// check the printed hash with the standard library.
func TestDataJSONIsEncodingJSON(t *testing.T) {
	rows := shapes()
	for i := range rows {
		rows[i].Memo += []string{"", "\u2028\u2029", "\xff\xfe", "\t\n\r\b\f\x01\x1f\x7f", `\"/`, "😀"}[i%6]
	}
	for _, data := range []any{
		accountsNotice{Community: "阳光<花园>", Period: "2026-Q4", Accounts: []monthStatement{{Name: "物业费", Entries: rows}}, FundUses: []fundUse{{EntryRow: rows[3], DecisionTitle: "屋顶 & 电梯"}}, PublicIncome: []categorySum{}},
		decisionNotice{Title: "x", Rows: []Row{{Unit: "1-101", Choice: "同意"}, {Unit: "<script>"}}},
	} {
		got, _, err := DataJSON(data)
		want, werr := json.MarshalIndent(data, "", "  ")
		if err != nil || werr != nil || !bytes.Equal(got, append(want, '\n')) {
			t.Errorf("%T: DataJSON differs from encoding/json (%v, %v)", data, err, werr)
		}
	}
}

// TestSheetIsRenderSheet wants a sheet the board prints for itself byte
// for byte what RenderSheet, which other packages print through, writes
// for the same body.
func TestSheetIsRenderSheet(t *testing.T) {
	b, err := New(nil, templates.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	data := accountsNotice{Community: "阳光<花园>", Period: "2026-Q4", FundUses: []fundUse{}, PublicIncome: []categorySum{}}
	s := Sheet{Title: "账目<公示>", Community: "阳光花园", Legal: "依据", Posting: "张贴", URL: "http://127.0.0.1:8090/print/x",
		Proof: Proof{ChainID: "c", Height: 7, BlockTime: 1_780_000_000, AppHash: "ab", DataHash: "cd", DataURL: "http://x/data.json"}}
	st := []statementAccount{{monthStatement: monthStatement{Name: "物业费"}, Count: 1, Rows: []template.HTML{"<tr><td>1</td></tr>"}},
		{monthStatement: monthStatement{Name: "公共<收益>"}}}
	body := func(w *bytes.Buffer) error { return b.accountsBody(w, data, st) }
	got, err := b.sheet("accounts_sheet", body, s)
	if err != nil {
		t.Fatal(err)
	}
	var one bytes.Buffer
	if err := body(&one); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h2>物业费 明细（1 笔）</h2>\n<table><thead>", "</thead>\n<tr><td>1</td></tr></table>\n<h2>公共&lt;收益&gt; 明细（0 笔）</h2>\n<p>本期没有收支。</p>\n"} {
		if !strings.Contains(one.String(), want) {
			t.Errorf("the statement's body has no %q:\n%s", want, one.String())
		}
	}
	s.Body = template.HTML(one.String())
	var want bytes.Buffer
	if err := b.RenderSheet(&want, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.body, want.Bytes()) {
		t.Errorf("the board's sheet differs from RenderSheet's:\n%s\n---\n%s", got.body, want.Bytes())
	}
}
