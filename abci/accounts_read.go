package abci

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// The large accounts answers (an account's postings, a month's page, a
// period's statement) hold thousands of entries. They are read and written
// here without decoding an entry: a posting's line is its PostingRef and
// the entry's stored bytes, which are the entry's canonical JSON already
// (put wrote them with tx.Canonical from the current Entry type), and the
// answer is written as tx.Canonical would write the same value, byte for
// byte (TestLedgerDeterminismAcrossStores checks it). The app's read cache
// remembers the lines it was given (answerLines, lines.go), so an answer
// after a block builds only the lines the block added or changed and
// copies the others into place.

// rawJSON is a query answer already encoded as canonical JSON; Query
// answers it as it is.
type rawJSON []byte

// scanRange calls fn for every key base+%020d of n in [lo, hi), in key
// order. The store scans by prefix, so the range is read as the few
// decimal prefixes that tile it (at most 18 per digit): [1200, 1530) is
// 12, 13, 14, 150, 151, 152.
func scanRange(r reader, base string, lo, hi int64, fn func(key string, value []byte)) {
	for lo < hi {
		// The largest aligned block of 10^k that starts at lo and fits.
		k, size := 0, int64(1)
		for k < 19 && lo%(size*10) == 0 && lo+size*10 <= hi {
			k, size = k+1, size*10
		}
		digits := fmt.Sprintf("%020d", lo)
		r.scan(base+digits[:20-k], func(key string, value []byte) bool {
			fn(key, value)
			return true
		})
		lo += size
	}
}

// entryScanGap is how far apart two wanted entries may be and still be
// read by one scan over the entries between them: reading a row in a scan
// costs a fraction of a keyed read (a statement of its own).
const entryScanGap = 8

// appendNumber appends n zero-padded to 20 digits, as %020d writes it: the
// last part of an entry's and a posting's key. The readers below build
// thousands of keys an answer, too many for fmt.
func appendNumber(b []byte, n uint64) []byte {
	var d [20]byte
	for i := len(d) - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:]...)
}

// entryBytes returns the stored bytes of the entries ids (in any order,
// repeats allowed) by id. The entries the read cache knows (memo) come
// from memory; of the rest, runs of close ids are read by scanning their
// range, the others one by one, and what is read is remembered.
func entryBytes(r reader, ids []uint64) map[uint64][]byte {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	out := make(map[uint64][]byte, len(sorted))
	m := memoOf(r)
	missing := sorted
	if m != nil {
		missing = nil
		m.peekNumbered(prefixEntries, len(sorted), func(i int) uint64 { return sorted[i] }, func(i int, v []byte, ok, hit bool) {
			switch {
			case hit && ok:
				out[sorted[i]] = v
			case !hit:
				missing = append(missing, sorted[i])
			}
		})
	}
	for i := 0; i < len(missing); {
		j := i + 1
		for j < len(missing) && missing[j]-missing[j-1] <= entryScanGap {
			j++
		}
		if j-i == 1 {
			if b, ok := r.get(keyEntry(missing[i])); ok {
				out[missing[i]] = b
			}
		} else {
			want := missing[i:j]
			scanRange(r, prefixEntries, int64(want[0]), int64(want[len(want)-1])+1, func(key string, value []byte) {
				id, _ := strconv.ParseUint(key[len(prefixEntries):], 10, 64)
				if _, ok := slices.BinarySearch(want, id); ok {
					out[id] = value
					if m != nil {
						m.keep(key, value)
					}
				}
			})
		}
		i = j
	}
	return out
}

// monthRefs returns the PostingRefs of account in month m at positions
// [lo, hi) of the month, in posting order. The postings the read cache
// knows come from memory, the rest from scans of their runs of positions,
// remembered as they are read.
func monthRefs(r reader, account string, m int, lo, hi int64) []PostingRef {
	refs, _ := monthRefsAt(r, account, m, lo, hi)
	return refs
}

// monthRefsAt is monthRefs with the position of each ref: a position with
// no posting stored has none.
func monthRefsAt(r reader, account string, m int, lo, hi int64) ([]PostingRef, []int64) {
	base := prefixPostings(account, m)
	n := max(0, hi-lo)
	// vals[i] is the stored ref at position lo+i, when found[i].
	vals, found := make([][]byte, n), make([]bool, n)
	// runs are the ranges of positions to read from the store.
	var runs [][2]int64
	mm := memoOf(r)
	if mm == nil {
		if n > 0 {
			runs = [][2]int64{{lo, hi}}
		}
	} else {
		mm.peekNumbered(base, int(n), func(i int) uint64 { return uint64(lo) + uint64(i) }, func(k int, v []byte, ok, hit bool) {
			i := int64(k)
			switch {
			case hit && ok:
				vals[i], found[i] = v, true
			case !hit && len(runs) > 0 && lo+i-runs[len(runs)-1][1] < entryScanGap:
				runs[len(runs)-1][1] = lo + i + 1
			case !hit:
				runs = append(runs, [2]int64{lo + i, lo + i + 1})
			}
		})
	}
	for _, run := range runs {
		scanRange(r, base, run[0], run[1], func(key string, value []byte) {
			p, err := strconv.ParseInt(key[len(base):], 10, 64)
			if k := p - lo; err == nil && k >= 0 && k < n && !found[k] {
				vals[k], found[k] = value, true
				if mm != nil {
					mm.keep(key, value)
				}
			}
		})
	}
	refs, pos := make([]PostingRef, 0, n), make([]int64, 0, n)
	for i, v := range vals {
		if !found[i] {
			continue
		}
		ref, ok := parsePostingRef(v)
		if !ok {
			ref = decode[PostingRef](keyPosting(account, m, lo+int64(i)), v)
		}
		refs, pos = append(refs, ref), append(pos, lo+int64(i))
	}
	return refs, pos
}

// parsePostingRef reads a PostingRef in the one form put writes it,
// {"posting":N,"time":N,"entry":N,"delta":N,"balance":N}, several times
// faster than encoding/json; anything else is not ok, and the caller
// decodes it as JSON.
func parsePostingRef(b []byte) (PostingRef, bool) {
	var ref PostingRef
	var n [5]int64
	for i, name := range [...]string{`{"posting":`, `,"time":`, `,"entry":`, `,"delta":`, `,"balance":`} {
		if len(b) < len(name) || string(b[:len(name)]) != name {
			return ref, false
		}
		b = b[len(name):]
		j := 0
		if j < len(b) && b[j] == '-' {
			j++
		}
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		v, err := strconv.ParseInt(string(b[:j]), 10, 64)
		if err != nil || (i == 0 || i == 2) && v < 0 {
			return ref, false
		}
		n[i], b = v, b[j:]
	}
	if string(b) != "}" {
		return ref, false
	}
	return PostingRef{Posting: uint64(n[0]), Time: n[1], Entry: uint64(n[2]), Delta: n[3], Balance: n[4]}, true
}

// monthPostings is how many postings account has in month m.
func monthPostings(r reader, account string, m int) int64 {
	am, _ := get[AccountMonth](r, keyAccountMonth(account, m))
	return am.Postings
}

// monthSpan is the positions [lo, hi) of account's postings in month m
// and, once readLines filled it, their answer lines: lines[i] is position
// lo+i's, nil where the month has no posting.
type monthSpan struct {
	account string
	month   int
	lo, hi  int64
	lines   [][]byte
}

// accountSpans returns the spans of all postings of account in months
// from..to; months are the account's (accountMonths).
func accountSpans(account string, months []AccountMonth, from, to int) []monthSpan {
	var spans []monthSpan
	for _, am := range months {
		m, _ := ParseMonth(am.Month)
		if m >= from && m <= to {
			spans = append(spans, monthSpan{account: account, month: m, hi: am.Postings})
		}
	}
	return spans
}

// readLines fills the lines of spans. The lines the read cache remembers
// (memo.peekLines) are taken as they are; only the rest are built, from
// their PostingRefs and entries read as monthRefs and entryBytes read
// them (those of all spans at once, so that close entry ids are scanned
// together), and handed to the cache to remember. After a block, an
// answer's lines are mostly remembered: the block's new postings and the
// old ones whose entry it rewrote (a reversal) are built.
func readLines(r reader, spans []monthSpan) {
	mm := memoOf(r)
	type missing struct {
		span int
		pos  int64
		ref  PostingRef
	}
	var todo []missing
	for s := range spans {
		sp := &spans[s]
		if mm != nil {
			sp.lines = mm.peekLines(sp.account, sp.month, sp.lo, sp.hi)
		} else {
			sp.lines = make([][]byte, max(0, sp.hi-sp.lo))
		}
		// The positions without a line, in runs that take in gaps
		// shorter than entryScanGap: one read of a run costs less than
		// one of each piece.
		var runs [][2]int64
		for i := range int64(len(sp.lines)) {
			switch {
			case sp.lines[i] != nil:
			case len(runs) > 0 && i-runs[len(runs)-1][1] < entryScanGap:
				runs[len(runs)-1][1] = i + 1
			default:
				runs = append(runs, [2]int64{i, i + 1})
			}
		}
		for _, run := range runs {
			refs, pos := monthRefsAt(r, sp.account, sp.month, sp.lo+run[0], sp.lo+run[1])
			for k, ref := range refs {
				if sp.lines[pos[k]-sp.lo] == nil {
					todo = append(todo, missing{s, pos[k], ref})
				}
			}
		}
	}
	if len(todo) == 0 {
		return
	}
	ids := make([]uint64, len(todo))
	for i, t := range todo {
		ids[i] = t.ref.Entry
	}
	entries := entryBytes(r, ids)
	var built []builtLine
	for i, t := range todo {
		e, ok := entries[t.ref.Entry]
		if !ok {
			panic(fmt.Sprintf("abci: posting %d names entry %d, which is not stored", t.ref.Posting, t.ref.Entry))
		}
		line := appendLine(make([]byte, 0, lineSize+len(e)), t.ref, e)
		sp := &spans[t.span]
		sp.lines[t.pos-sp.lo] = line
		built = append(built, builtLine{t.pos, t.ref.Entry, line})
		if mm != nil && (i+1 == len(todo) || todo[i+1].span != t.span) {
			mm.keepLines(sp.account, sp.month, built)
			built = nil
		}
	}
}

// lineSize bounds the bytes of a line but its entry: the field names
// and four numbers.
const lineSize = 128

// appendLine appends the StatementLine of ref, whose entry's stored bytes
// are entry: {"posting":…,"time":…,"delta":…,"balance":…,"entry":…}, the
// fields in the order tx.Canonical writes them.
func appendLine(b []byte, ref PostingRef, entry []byte) []byte {
	b = append(b, `{"posting":`...)
	b = strconv.AppendUint(b, ref.Posting, 10)
	b = append(b, `,"time":`...)
	b = strconv.AppendInt(b, ref.Time, 10)
	b = append(b, `,"delta":`...)
	b = strconv.AppendInt(b, ref.Delta, 10)
	b = append(b, `,"balance":`...)
	b = strconv.AppendInt(b, ref.Balance, 10)
	b = append(b, `,"entry":`...)
	b = append(b, entry...)
	return append(b, '}')
}

// linesSize is the bytes appendLines writes for spans.
func linesSize(spans []monthSpan) int {
	n := 2 // the brackets
	for _, sp := range spans {
		for _, l := range sp.lines {
			if l != nil {
				n += len(l) + 1 // and a comma (one too many, for the last)
			}
		}
	}
	return n
}

// appendLines appends the lines of spans as a JSON array, in the spans'
// order or, when newestFirst, the reverse. The caller sizes b
// (linesSize): an answer of thousands of lines grown by append would be
// copied over and over.
func appendLines(b []byte, spans []monthSpan, newestFirst bool) []byte {
	b = append(b, '[')
	first := true
	add := func(l []byte) {
		if l == nil {
			return
		}
		if !first {
			b = append(b, ',')
		}
		b, first = append(b, l...), false
	}
	for s := range spans {
		if newestFirst {
			ls := spans[len(spans)-1-s].lines
			for i := len(ls) - 1; i >= 0; i-- {
				add(ls[i])
			}
		} else {
			for _, l := range spans[s].lines {
				add(l)
			}
		}
	}
	return append(b, ']')
}

// appendField appends `"name":` and v in canonical JSON, after a comma
// unless it is an object's first field.
func appendField(b []byte, name string, v any) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...) // a fixed field name, nothing to escape
	b = append(b, `":`...)
	js, err := json.Marshal(v)
	if err != nil {
		panic("abci: encode answer: " + err.Error())
	}
	return append(b, js...)
}

// postingsAnswer is the answer to accounts/ACCOUNT/entries/FROM/TO: a JSON
// array of StatementLines.
func postingsAnswer(r reader, account string, from, to int) rawJSON {
	spans := accountSpans(account, accountMonths(r, account), from, to)
	readLines(r, spans)
	return appendLines(make([]byte, 0, linesSize(spans)), spans, false)
}

// postingPageAnswer is the answer to accounts/ACCOUNT/page/MONTH/OFFSET/LIMIT:
// a PostingPage. It reads the page's lines only, by their positions in
// the month, newest first.
func postingPageAnswer(r reader, account string, m, offset, limit int) rawJSON {
	total := monthPostings(r, account, m)
	hi := total - min(int64(offset), total)
	lo := max(0, hi-int64(limit))
	spans := []monthSpan{{account: account, month: m, lo: lo, hi: hi}}
	readLines(r, spans)
	b := append(make([]byte, 0, 256+linesSize(spans)), '{')
	b = appendField(b, "account", account)
	b = appendField(b, "month", FormatMonth(m))
	b = appendField(b, "offset", offset)
	b = appendField(b, "limit", limit)
	b = appendField(b, "total", total)
	b = append(b, `,"lines":`...)
	b = appendLines(b, spans, true)
	return append(b, '}')
}

// statementAnswer is the answer to accounts/statement/FROM/TO: an
// AccountsStatement. The lines of every account are read together, so
// that the period's missing entries are read in one pass of their ids.
func statementAnswer(r reader, from, to int) rawJSON {
	accounts := ledgerAccounts(r)
	months := make([][]AccountMonth, len(accounts))
	var spans []monthSpan
	// spans[first[i]:first[i+1]] are account i's.
	first := make([]int, len(accounts)+1)
	for i, a := range accounts {
		months[i] = accountMonths(r, a.ID)
		first[i] = len(spans)
		spans = append(spans, accountSpans(a.ID, months[i], from, to)...)
	}
	first[len(accounts)] = len(spans)
	readLines(r, spans)
	size := 256
	for i := range accounts {
		size += 512 + linesSize(spans[first[i]:first[i+1]])
	}
	b := append(make([]byte, 0, size), '{')
	b = appendField(b, "from", FormatMonth(from))
	b = appendField(b, "to", FormatMonth(to))
	b = appendField(b, "start", MonthStart(from))
	b = appendField(b, "end", MonthStart(NextMonth(to)))
	b = append(b, `,"accounts":[`...)
	for i, a := range accounts {
		if i > 0 {
			b = append(b, ',')
		}
		p := Period(months[i], from, to)
		b = append(b, '{')
		b = appendField(b, "account", a.ID)
		b = appendField(b, "name", a.Name)
		b = appendField(b, "maintenance_fund", a.MaintenanceFund)
		b = appendField(b, "opening", p.Opening)
		b = appendField(b, "income", p.Income)
		b = appendField(b, "expense", p.Expense)
		b = appendField(b, "transfer_in", p.TransferIn)
		b = appendField(b, "transfer_out", p.TransferOut)
		b = appendField(b, "closing", p.Closing)
		b = append(b, `,"lines":`...)
		b = appendLines(b, spans[first[i]:first[i+1]], false)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}
