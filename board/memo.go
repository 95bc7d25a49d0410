package board

import (
	"bytes"
	"fmt"
	"maps"
	"sync"

	gojson "github.com/goccy/go-json"
)

// The two documents that hold every entry of an account or a period (the
// entries export, the printed statement) are written again at each height,
// and most of their thousands of lines are the same as at the height
// before: a block adds a few entries, and reverses or approves a few
// more. A lineMemo remembers what a document wrote for each line of the
// ledger's answer, keyed by the line's raw bytes, so that a render after a
// block writes only the lines that are new or changed.
//
// The raw bytes of a line are the posting (its number, time, delta and
// balance) and the entry as the chain stores it (status, approvals,
// reversal links and all), so a line whose output could differ has
// different bytes: nothing has to know which of an entry's fields can
// change or when. What else a line's output depends on is the board's
// labels (fixed) and the accounts' names, and the memo starts again when
// the names change.

// memoLines is how many lines each of a memo's two generations holds: an
// account's or a period's entries for years of a large community, while a
// memo stays within some tens of MiB.
const memoLines = 50_000

// lineMemo maps a line's raw bytes to what a document wrote for it. It is
// safe for concurrent use; renders of different heights share it.
type lineMemo[T any] struct {
	mu    sync.Mutex
	names map[string]string
	// epoch counts resets, so that a line written with the old names is
	// not remembered under the new ones.
	epoch    uint64
	cur, old map[string]T
	// last is the last answer to each query path, with its lines and what
	// was written for them (answer).
	last      map[string]*answerLines[T]
	lastBytes int
}

// answerLines is an answer of lines with where each line is and what was
// written for it.
type answerLines[T any] struct {
	value       []byte
	starts, end []int
	out         []T
}

// maxAnswers and maxAnswerBytes bound the answers a memo keeps for
// answer: the accounts of a few documents and periods.
const (
	maxAnswers     = 64
	maxAnswerBytes = 64 << 20
)

// lines returns write(raw) for each of raws, from memory for the lines
// written before with the same names. write runs without the memo's lock,
// so two renders may both write a new line; they write the same thing.
func (m *lineMemo[T]) lines(names map[string]string, raws []gojson.RawMessage, write func(raw []byte) (T, error)) ([]T, error) {
	out := make([]T, len(raws))
	var missing []int
	m.mu.Lock()
	epoch := m.use(names)
	for i, raw := range raws {
		if t, ok := m.cur[string(raw)]; ok {
			out[i] = t
		} else if t, ok := m.old[string(raw)]; ok {
			out[i] = t
			m.keep(string(raw), t)
		} else {
			missing = append(missing, i)
		}
	}
	m.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	for _, i := range missing {
		t, err := write(raws[i])
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.epoch == epoch {
		for _, i := range missing {
			m.keep(string(raws[i]), out[i])
		}
	}
	return out, nil
}

// answer returns write(line) for each line of the answer to path, an
// array of lines (accounts/ID/entries/FROM/TO). Most of an answer is the
// same as the last answer to the same path, byte for byte: a block
// appends lines, or changes one or two. The lines in the bytes that both
// answers begin with, and those in the bytes both end with, are the last
// answer's lines, with what was written for them; only the lines between
// are split and looked up (lines). The lines after the common beginning
// are split from where a line must start, so the lines of the common end
// are lines of the new answer too: from the same state, the same bytes
// parse the same.
func (m *lineMemo[T]) answer(v *view, path string, names map[string]string, write func(raw []byte) (T, error)) ([]T, error) {
	value, found, err := v.raw(path, &[]line{})
	if err == nil && !found {
		err = fmt.Errorf("board: query %s: not found", path)
	}
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	epoch := m.use(names)
	prev := m.last[path]
	m.mu.Unlock()
	a, mid, lo, err := reuse(prev, value)
	if err != nil {
		return nil, fmt.Errorf("board: query %s: %w", path, err)
	}
	out, err := m.lines(names, mid, write)
	if err != nil {
		return nil, err
	}
	copy(a.out[lo:], out)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.epoch == epoch {
		if old := m.last[path]; old != nil {
			m.lastBytes -= len(old.value)
			delete(m.last, path)
		}
		if m.last == nil || len(m.last) >= maxAnswers || m.lastBytes+len(value) > maxAnswerBytes {
			m.last, m.lastBytes = map[string]*answerLines[T]{}, 0
		}
		m.last[path], m.lastBytes = a, m.lastBytes+len(value)
	}
	return a.out, nil
}

// reuse lays out the lines of value: those it shares with prev, with what
// was written for them, and mid, the lines to write, which go at
// a.out[lo:].
func reuse[T any](prev *answerLines[T], value []byte) (a *answerLines[T], mid []gojson.RawMessage, lo int, err error) {
	// np lines of prev are in the bytes both answers begin with, ns in
	// those they end with.
	np, ns := 0, 0
	if prev != nil {
		p := commonPrefix(prev.value, value)
		s := commonSuffix(prev.value[p:], value[p:])
		for np < len(prev.starts) && prev.end[np] <= p {
			np++
		}
		for ns < len(prev.starts)-np && prev.starts[len(prev.starts)-1-ns] >= len(prev.value)-s {
			ns++
		}
	}
	from, to, shift := 1, len(value)-1, 0
	if np > 0 {
		from = prev.end[np-1]
	}
	if ns > 0 {
		shift = len(value) - len(prev.value)
		to = prev.starts[len(prev.starts)-ns] + shift
	}
	mid, starts, ok := splitBetween(value, from, to, np > 0, ns > 0)
	if !ok {
		// Not the canonical layout the chain writes: split it all.
		np, ns = 0, 0
		if mid, starts, err = splitObjects(value); err != nil {
			return nil, nil, 0, err
		}
	}
	total := np + len(mid) + ns
	a = &answerLines[T]{value: value, starts: make([]int, 0, total), end: make([]int, 0, total), out: make([]T, total)}
	a.starts, a.end = append(a.starts, prev.startsTo(np)...), append(a.end, prev.endsTo(np)...)
	for i := range np {
		a.out[i] = prev.out[i]
	}
	for i, l := range mid {
		a.starts, a.end = append(a.starts, starts[i]), append(a.end, starts[i]+len(l))
	}
	for k := range ns {
		i := len(prev.starts) - ns + k
		a.starts, a.end = append(a.starts, prev.starts[i]+shift), append(a.end, prev.end[i]+shift)
		a.out[np+len(mid)+k] = prev.out[i]
	}
	return a, mid, np, nil
}

// commonPrefix is how many bytes a and b begin with alike. It compares
// a block at a time (bytes.Equal is vectorised) and then byte by byte.
func commonPrefix(a, b []byte) int {
	const block = 4096
	n, p := min(len(a), len(b)), 0
	for p+block <= n && bytes.Equal(a[p:p+block], b[p:p+block]) {
		p += block
	}
	for p < n && a[p] == b[p] {
		p++
	}
	return p
}

// commonSuffix is how many bytes a and b end with alike.
func commonSuffix(a, b []byte) int {
	const block = 4096
	n, s := min(len(a), len(b)), 0
	for s+block <= n && bytes.Equal(a[len(a)-s-block:len(a)-s], b[len(b)-s-block:len(b)-s]) {
		s += block
	}
	for s < n && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	return s
}

func (a *answerLines[T]) startsTo(n int) []int {
	if a == nil {
		return nil
	}
	return a.starts[:n]
}

func (a *answerLines[T]) endsTo(n int) []int {
	if a == nil {
		return nil
	}
	return a.end[:n]
}

// splitBetween splits value[from:to], the part of an array of lines that
// follows a line (after; else the array's "[") and comes before a line
// (before; else the array's "]"), into its lines and where each starts,
// in the layout the chain writes (no spaces). ok is false for anything
// else.
func splitBetween(value []byte, from, to int, after, before bool) (lines []gojson.RawMessage, starts []int, ok bool) {
	if len(value) < 2 || value[0] != '[' || value[len(value)-1] != ']' || from < 1 || to > len(value)-1 || from > to {
		return nil, nil, false
	}
	part := value[from:to]
	// after and before: ",", ",L,", ",L,L,"…; after: "", ",L", ",L,L"…;
	// before: "", "L,", "L,L,"…; neither: "", "L", "L,L"….
	if after && (len(part) > 0 || before) {
		if len(part) == 0 || part[0] != ',' {
			return nil, nil, false
		}
		part, from = part[1:], from+1
	}
	if before && len(part) > 0 {
		if part[len(part)-1] != ',' {
			return nil, nil, false
		}
		part = part[:len(part)-1]
	}
	for i := 0; i < len(part); {
		end := objectEnd(part, i)
		if end < 0 {
			return nil, nil, false
		}
		lines, starts = append(lines, part[i:end:end]), append(starts, from+i)
		if i = end; i < len(part) {
			if part[i] != ',' || i+1 == len(part) {
				return nil, nil, false
			}
			i++
		}
	}
	return lines, starts, true
}

// use starts the memo again when names are not the ones its lines were
// written with, and returns its epoch; m.mu is held. Whatever the memo
// holds was written with m.names.
func (m *lineMemo[T]) use(names map[string]string) uint64 {
	if m.cur == nil || !maps.Equal(m.names, names) {
		m.names, m.cur, m.old, m.last, m.lastBytes = maps.Clone(names), map[string]T{}, nil, nil, 0
		m.epoch++
	}
	return m.epoch
}

// keep remembers one line; m.mu is held.
func (m *lineMemo[T]) keep(raw string, t T) {
	if len(m.cur) >= memoLines {
		m.old, m.cur = m.cur, make(map[string]T, memoLines)
	}
	m.cur[raw] = t
}

// forget empties the memo.
func (m *lineMemo[T]) forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cur, m.old, m.last, m.lastBytes = nil, nil, nil, 0
	m.epoch++
}

// size is how many lines the memo holds.
func (m *lineMemo[T]) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.cur) + len(m.old)
}
