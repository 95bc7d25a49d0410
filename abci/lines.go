package abci

import (
	"strconv"
	"strings"
)

// answerLines is the read cache's memory of the large accounts answers'
// lines (accounts_read.go): for an account's month, the line each posting
// position has in an answer, {"posting":…,"time":…,"delta":…,"balance":…,
// "entry":…}, as appendLine writes it. After a block an answer of 8,500
// lines then builds only the few the block changed or added, and the rest
// are copied as they are, not looked up and rebuilt.
//
// A line is a function of two committed values only: the PostingRef at
// its posting key ledger/post/A/M/P, which gives every number in it and
// the entry it names, and that entry's bytes at ledger/entry/ID, which
// are copied into it as they are. So a line stays right as long as
// neither key is written, and readCache.Commit forgets, in its first
// locked step, the line of every posting key the block writes and every
// line holding an entry it writes (entries, below, finds them: a
// transfer's entry has a line in each of its two accounts). The lines
// kept are those of the cache's height (see readCache for when a snapshot
// may use or add them). A new posting position has no line until a query
// builds it.
//
// The memory is bounded by the lines and bytes kept since it was last
// emptied: when a keep would pass either bound, everything is forgotten
// and the memory starts again, which is simple and bounded. The lines
// are full slices that no one appends into; forgetting a line or an entry
// does not lower the counts, so they also bound the index's stale places.
// Its fields are guarded by the readCache's mu.
type answerLines struct {
	maxLines, maxBytes int
	// months holds, by account-month, the line of each position (nil:
	// none remembered).
	months map[lineMonth][][]byte
	// entries holds, by entry id, the places of the lines kept with it
	// (some may since have been forgotten or replaced).
	entries      map[uint64][]linePlace
	lines, bytes int
}

// lineMonth is an account's month, as in its posting keys.
type lineMonth struct {
	account string
	month   int
}

// linePlace is a posting position in an account's month.
type linePlace struct {
	lineMonth
	pos int64
}

// builtLine is a line a query built, for answerLines.keep: the line of
// position pos, holding entry.
type builtLine struct {
	pos   int64
	entry uint64
	line  []byte
}

// answerLinesMax and answerLinesBytes bound the memory of answer lines:
// twenty times the board's largest answer (a quarter's statement of 10,000
// entries), in lines of about 400 bytes.
const (
	answerLinesMax   = 200_000
	answerLinesBytes = 96 << 20
)

func newAnswerLines(maxLines, maxBytes int) *answerLines {
	a := &answerLines{maxLines: maxLines, maxBytes: maxBytes}
	a.reset()
	return a
}

// reset forgets every line.
func (a *answerLines) reset() {
	a.months, a.entries = make(map[lineMonth][][]byte), make(map[uint64][]linePlace)
	a.lines, a.bytes = 0, 0
}

// peek copies the lines of month m at positions [lo, lo+len(out)) into
// out; a position without a line is left nil.
func (a *answerLines) peek(m lineMonth, lo int64, out [][]byte) {
	ls := a.months[m]
	if lo < int64(len(ls)) {
		copy(out, ls[lo:])
	}
}

// keep remembers lines built for month m.
func (a *answerLines) keep(m lineMonth, built []builtLine) {
	size := 0
	for _, b := range built {
		size += len(b.line)
	}
	if a.lines+len(built) > a.maxLines || a.bytes+size > a.maxBytes {
		a.reset()
		if len(built) > a.maxLines || size > a.maxBytes {
			return
		}
	}
	ls := a.months[m]
	for _, b := range built {
		if b.pos >= int64(len(ls)) {
			ls = append(ls, make([][]byte, b.pos+1-int64(len(ls)))...)
		}
		ls[b.pos] = full(b.line)
		a.entries[b.entry] = append(a.entries[b.entry], linePlace{m, b.pos})
	}
	a.months[m] = ls
	a.lines += len(built)
	a.bytes += size
}

// forget drops the lines that writes may change: those of the posting
// keys written and those holding the entries written.
func (a *answerLines) forget(writes []Write) {
	if a.lines == 0 {
		return
	}
	for _, w := range writes {
		if p, ok := parsePostingKey(w.Key); ok {
			if ls := a.months[p.lineMonth]; p.pos >= 0 && p.pos < int64(len(ls)) {
				ls[p.pos] = nil
			}
		} else if id, ok := parseEntryKey(w.Key); ok {
			for _, p := range a.entries[id] {
				if ls := a.months[p.lineMonth]; p.pos < int64(len(ls)) {
					ls[p.pos] = nil
				}
			}
			delete(a.entries, id)
		}
	}
}

// parsePostingKey reads the account, month and position of a key written
// as keyPosting writes it. Account ids hold no '/' (tx.AccountOpen), so
// the parts are split at the slashes, whatever their lengths.
func parsePostingKey(key string) (linePlace, bool) {
	const prefix = "ledger/post/"
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return linePlace{}, false
	}
	account, rest, ok1 := strings.Cut(rest, "/")
	month, pos, ok2 := strings.Cut(rest, "/")
	m, err1 := strconv.Atoi(month)
	p, err2 := strconv.ParseInt(pos, 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return linePlace{}, false
	}
	return linePlace{lineMonth{account, m}, p}, true
}

// parseEntryKey reads the id of a key written as keyEntry writes it.
func parseEntryKey(key string) (uint64, bool) {
	if !strings.HasPrefix(key, prefixEntries) || len(key) != len(prefixEntries)+20 {
		return 0, false
	}
	id, err := strconv.ParseUint(key[len(prefixEntries):], 10, 64)
	return id, err == nil
}
