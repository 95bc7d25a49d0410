package board

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	gojson "github.com/goccy/go-json"
)

// oddRows are shapes() with memos that JSON escapes every way.
func oddRows() []EntryRow {
	rows := shapes()
	for i := range rows {
		rows[i].Memo += []string{"", "\u2028\u2029", "\xff\xfe", "\t\n\r\b\f\x01\x1f\x7f", `\"/`, "😀", `"entries": null`}[i%7]
	}
	return rows
}

// TestStatementDataIsDataJSON wants a period's notice data written from
// its entries' pieces byte for byte what DataJSON writes for the whole
// notice, with accounts that have no entries, one, and many, and text
// that looks like the key it looks for.
func TestStatementDataIsDataJSON(t *testing.T) {
	rows := oddRows()
	for _, sizes := range [][]int{{}, {0}, {1}, {0, 3, 0}, {len(rows), 1, 0, 2}} {
		n := accountsNotice{Community: `阳光"entries": null<花园>`, Period: "2026-Q4", From: "2026-10", To: "2026-12",
			FundUses: []fundUse{{EntryRow: rows[3], DecisionTitle: "屋顶 & 电梯"}}, PublicIncome: []categorySum{{"停车费", 1}}}
		var pieces [][][]byte
		for i, size := range sizes {
			ms := monthStatement{Account: fmt.Sprint("a", i), Name: `"entries": null`, Opening: int64(i), Entries: []EntryRow{}}
			var es [][]byte
			for _, e := range rows[:size] {
				ms.Entries = append(ms.Entries, e)
				piece, err := gojson.MarshalIndent(e, statementIndent, "  ")
				if err != nil {
					t.Fatal(err)
				}
				es = append(es, piece)
			}
			n.Accounts = append(n.Accounts, ms)
			pieces = append(pieces, es)
		}
		want, _, err := DataJSON(n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := statementData(n, pieces)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("accounts of %v entries: statementData differs from DataJSON (%v)", sizes, err)
		}
		if len(n.Accounts) > 0 && n.Accounts[0].Entries == nil {
			t.Fatal("statementData changed the caller's accounts")
		}
	}
	if _, err := statementData(accountsNotice{}, [][][]byte{{}}); err == nil {
		t.Error("statementData took more entries lists than the notice has accounts")
	}
}

// TestExportsFromPiecesAreTheWholeTable wants the entries exports written
// from each row's piece byte for byte what encoding them whole writes.
func TestExportsFromPiecesAreTheWholeTable(t *testing.T) {
	rows := oddRows()
	for _, rs := range [][]EntryRow{{}, rows[:1], rows} {
		want, err := jsonExport("x", rs)
		if err != nil {
			t.Fatal(err)
		}
		var elems [][]byte
		var recs [][]byte
		var whole bytes.Buffer
		whole.WriteString("\ufeff")
		cw := csv.NewWriter(&whole)
		cw.Write(entriesHeader)
		for _, e := range rs {
			piece, err := gojson.MarshalIndent(e, "  ", "  ")
			if err != nil {
				t.Fatal(err)
			}
			elems = append(elems, piece)
			recs = append(recs, csvRecord(entryRecord(e)))
			cw.Write(entryRecord(e))
		}
		cw.Flush()
		if got := jsonArray(elems); !bytes.Equal(got.body, want.body) || got.ctype != want.ctype {
			t.Errorf("%d rows: the JSON export from pieces differs from the whole encoding", len(rs))
		}
		if got := csvRows("x", entriesHeader, recs); !bytes.Equal(got.body, whole.Bytes()) {
			t.Errorf("%d rows: the CSV export from records differs from one csv.Writer's", len(rs))
		}
	}
}

// TestLineMemoWritesEachLineOnce wants a line written once however often
// it is asked for, written again when the names change, and the memo
// bounded to its two generations.
func TestLineMemoWritesEachLineOnce(t *testing.T) {
	var m lineMemo[string]
	writes := 0
	write := func(raw []byte) (string, error) {
		writes++
		return "<" + string(raw) + ">", nil
	}
	raws := func(keys ...string) []gojson.RawMessage {
		var out []gojson.RawMessage
		for _, k := range keys {
			out = append(out, gojson.RawMessage(k))
		}
		return out
	}
	names := map[string]string{"mgmt": "物业费"}
	for _, keys := range [][]string{{"a", "b"}, {"b", "a"}, {"a", "b"}} {
		got, err := m.lines(names, raws(keys...), write)
		if err != nil || fmt.Sprint(got) != fmt.Sprintf("[<%s> <%s>]", keys[0], keys[1]) {
			t.Fatalf("lines = %v, %v", got, err)
		}
	}
	if writes != 2 {
		t.Errorf("three asks of two lines wrote %d times, want 2", writes)
	}
	m.lines(map[string]string{"mgmt": "管理费"}, raws("a"), write)
	if writes != 3 {
		t.Errorf("new names: %d writes, want the line written again (3)", writes)
	}
	if _, err := m.lines(names, raws("c"), func([]byte) (string, error) { return "", fmt.Errorf("bad line") }); err == nil {
		t.Error("a line that failed to write gave no error")
	}
	many := make([]gojson.RawMessage, 2*memoLines+10)
	for i := range many {
		many[i] = gojson.RawMessage(fmt.Sprint(i))
	}
	m.lines(names, many, write)
	if n := m.size(); n > 2*memoLines {
		t.Errorf("the memo holds %d lines, want at most %d", n, 2*memoLines)
	}
	m.forget()
	if m.size() != 0 {
		t.Error("forget left lines")
	}
}

// TestSplitObjectsFindsEachLine wants an array of objects split where
// encoding/json would split it, whatever the strings hold, and anything
// else refused.
func TestSplitObjectsFindsEachLine(t *testing.T) {
	rows := oddRows()
	for _, rs := range [][]EntryRow{{}, rows[:1], rows} {
		for _, indent := range []string{"", "  "} {
			js, err := json.MarshalIndent(rs, "", indent)
			if err != nil {
				t.Fatal(err)
			}
			var whole []EntryRow // what encoding/json reads back (invalid UTF-8 becomes U+FFFD)
			if err := json.Unmarshal(js, &whole); err != nil {
				t.Fatal(err)
			}
			got, _, err := splitObjects(js)
			if err != nil || len(got) != len(rs) {
				t.Fatalf("%d rows: %d lines, %v", len(rs), len(got), err)
			}
			for i, raw := range got {
				var e EntryRow
				if err := json.Unmarshal(raw, &e); err != nil || !reflect.DeepEqual(e, whole[i]) {
					t.Fatalf("line %d decodes to %+v (%v), want %+v", i, e, err, whole[i])
				}
			}
		}
	}
	for _, bad := range []string{"", "{}", "[", "[{}", "[{},]", "[{}{}]", `[{"a":"}]`, `[{"a":"\"}]`, "[1]", "[{}] x", `[{"a":[}]`, "[}]"} {
		if got, _, err := splitObjects([]byte(bad)); err == nil {
			t.Errorf("%q split into %q", bad, got)
		}
	}
}

// TestReuseLaysOutEveryAnswer feeds reuse a long run of answers, each
// changed from the one before the way blocks change them (lines
// appended, changed, removed, the same answer again) and some not in the
// chain's layout, and wants the lines it lays out, reused or split,
// exactly the answer's lines, each with what was written for it.
func TestReuseLaysOutEveryAnswer(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	texts := []string{`a`, `{"x":1}`, `,`, `\"`, `\\`, `}]`, `"entries": null`, `[`, `é`}
	line := func() string {
		return fmt.Sprintf(`{"posting":%d,"memo":%q,"n":[%d,{"k":%q}]}`, rng.IntN(5), texts[rng.IntN(len(texts))], rng.IntN(3), texts[rng.IntN(len(texts))])
	}
	var lines []string
	var prev *answerLines[string]
	split, all := 0, 0
	for step := range 3000 {
		switch k := rng.IntN(10); {
		case k < 3:
			for range 1 + rng.IntN(3) {
				lines = append(lines, line())
			}
		case k < 5 && len(lines) > 0:
			lines[rng.IntN(len(lines))] = line()
		case k < 6 && len(lines) > 0:
			i := rng.IntN(len(lines))
			lines = append(lines[:i], lines[i+1:]...)
		case k < 7 && len(lines) > 0:
			lines = lines[:rng.IntN(len(lines))]
		case k < 8:
			lines = slices.Insert(lines, rng.IntN(len(lines)+1), line())
		}
		value := "[" + strings.Join(lines, ",") + "]"
		if step%50 == 49 {
			value = "[ " + strings.Join(lines, " , ") + " ]" // not the chain's layout
		}
		a, missing, err := reuse(prev, []byte(value))
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		for _, i := range missing {
			if a.out[i] != "" {
				t.Fatalf("step %d: line %d is missing but has %q", step, i, a.out[i])
			}
			a.out[i] = value[a.starts[i]:a.end[i]]
		}
		split, all = split+len(missing), all+len(lines)
		if len(a.out) != len(lines) || len(a.starts) != len(lines) || len(a.end) != len(lines) {
			t.Fatalf("step %d: %d lines laid out, want %d", step, len(a.out), len(lines))
		}
		for i, want := range lines {
			if a.out[i] != want || value[a.starts[i]:a.end[i]] != want {
				t.Fatalf("step %d, line %d: out %s at %d..%d, want %s in %s", step, i, a.out[i], a.starts[i], a.end[i], want, value)
			}
		}
		prev = a
	}
	if split*5 > all {
		t.Errorf("%d of %d lines split again; most should have been reused", split, all)
	}
	t.Logf("%d of %d lines split again", split, all)
	for _, bad := range []string{"", "[", `[{"a":1},]`, `[{"a":1}{"b":2}]`} {
		if _, _, err := reuse(prev, []byte(bad)); err == nil {
			t.Errorf("reuse took %q", bad)
		}
	}
}

// TestCommonPrefix wants the bytes two slices begin with alike counted
// exactly, across and within the blocks they are compared in.
func TestCommonPrefix(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		a := make([]byte, rng.IntN(20000))
		for i := range a {
			a[i] = byte(rng.IntN(2))
		}
		b := slices.Clone(a)
		if len(b) > 0 && rng.IntN(4) > 0 {
			b[rng.IntN(len(b))] ^= 1
		}
		b = append(b, make([]byte, rng.IntN(3))...)
		want := 0
		for want < min(len(a), len(b)) && a[want] == b[want] {
			want++
		}
		if p := commonPrefix(a, b); p != want {
			t.Fatalf("len %d/%d: prefix %d, want %d", len(a), len(b), p, want)
		}
	}
}
