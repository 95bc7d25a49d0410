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
// byte (TestLedgerDeterminismAcrossStores checks it).

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
	refs := make([]PostingRef, 0, n)
	for i, v := range vals {
		if !found[i] {
			continue
		}
		ref, ok := parsePostingRef(v)
		if !ok {
			ref = decode[PostingRef](keyPosting(account, m, lo+int64(i)), v)
		}
		refs = append(refs, ref)
	}
	return refs
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

// accountRefs returns the PostingRefs of account in months from..to, in
// posting order; months are the account's (accountMonths).
func accountRefs(r reader, account string, months []AccountMonth, from, to int) []PostingRef {
	var refs []PostingRef
	for _, am := range months {
		m, _ := ParseMonth(am.Month)
		if m >= from && m <= to {
			refs = append(refs, monthRefs(r, account, m, 0, am.Postings)...)
		}
	}
	return refs
}

// refIDs returns the entries of refs.
func refIDs(refs ...[]PostingRef) []uint64 {
	var ids []uint64
	for _, rs := range refs {
		for _, ref := range rs {
			ids = append(ids, ref.Entry)
		}
	}
	return ids
}

// linesSize bounds the bytes appendLines writes for refs: each line's
// entry, field names and five numbers.
func linesSize(refs []PostingRef, entries map[uint64][]byte) int {
	n := 2
	for _, ref := range refs {
		n += 128 + len(entries[ref.Entry])
	}
	return n
}

// appendLines appends refs as a JSON array of StatementLines, each with
// its entry's stored bytes. It makes room for them first: an answer of
// thousands of lines grown by append would be copied over and over.
func appendLines(b []byte, refs []PostingRef, entries map[uint64][]byte) []byte {
	b = slices.Grow(b, linesSize(refs, entries))
	b = append(b, '[')
	for i, ref := range refs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"posting":`...)
		b = strconv.AppendUint(b, ref.Posting, 10)
		b = append(b, `,"time":`...)
		b = strconv.AppendInt(b, ref.Time, 10)
		b = append(b, `,"delta":`...)
		b = strconv.AppendInt(b, ref.Delta, 10)
		b = append(b, `,"balance":`...)
		b = strconv.AppendInt(b, ref.Balance, 10)
		b = append(b, `,"entry":`...)
		e, ok := entries[ref.Entry]
		if !ok {
			panic(fmt.Sprintf("abci: posting %d names entry %d, which is not stored", ref.Posting, ref.Entry))
		}
		b = append(b, e...)
		b = append(b, '}')
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
	refs := accountRefs(r, account, accountMonths(r, account), from, to)
	return appendLines(nil, refs, entryBytes(r, refIDs(refs)))
}

// postingPageAnswer is the answer to accounts/ACCOUNT/page/MONTH/OFFSET/LIMIT:
// a PostingPage. It reads the page's postings only, by their positions in
// the month, newest first.
func postingPageAnswer(r reader, account string, m, offset, limit int) rawJSON {
	total := monthPostings(r, account, m)
	hi := total - min(int64(offset), total)
	lo := max(0, hi-int64(limit))
	refs := monthRefs(r, account, m, lo, hi)
	slices.Reverse(refs)
	b := []byte{'{'}
	b = appendField(b, "account", account)
	b = appendField(b, "month", FormatMonth(m))
	b = appendField(b, "offset", offset)
	b = appendField(b, "limit", limit)
	b = appendField(b, "total", total)
	b = append(b, `,"lines":`...)
	b = appendLines(b, refs, entryBytes(r, refIDs(refs)))
	return append(b, '}')
}

// statementAnswer is the answer to accounts/statement/FROM/TO: an
// AccountsStatement. The entries of every account are read together, so
// that the period's entries are scanned in one pass of their ids.
func statementAnswer(r reader, from, to int) rawJSON {
	accounts := ledgerAccounts(r)
	refs := make([][]PostingRef, len(accounts))
	months := make([][]AccountMonth, len(accounts))
	for i, a := range accounts {
		months[i] = accountMonths(r, a.ID)
		refs[i] = accountRefs(r, a.ID, months[i], from, to)
	}
	entries := entryBytes(r, refIDs(refs...))
	size := 256
	for i := range accounts {
		size += 512 + linesSize(refs[i], entries)
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
		b = appendLines(b, refs[i], entries)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}
