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
// appends lines, or changes one or two. The lines the last answer had
// are taken with what was written for them (reuse); only the others are
// looked up (lines).
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
	a, missing, err := reuse(prev, value)
	if err != nil {
		return nil, fmt.Errorf("board: query %s: %w", path, err)
	}
	raws := make([]gojson.RawMessage, len(missing))
	for k, i := range missing {
		raws[k] = value[a.starts[i]:a.end[i]:a.end[i]]
	}
	out, err := m.lines(names, raws, write)
	if err != nil {
		return nil, err
	}
	for k, i := range missing {
		a.out[i] = out[k]
	}
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

// reuse lays out the lines of value, taking those it shares with prev
// with what was written for them; missing are the lines left to write
// (their a.out is empty). The lines in the bytes both answers begin with
// are prev's; after them it walks value a line at a time: where prev's
// next line is there byte for byte (a line starts where the walk is, so
// the same bytes are the same line), it is taken, else the line is split
// and is missing. The walk follows a line changed, added or removed (a
// block changes a line or two and adds some at the end); after other
// changes it finds fewer lines to take, never a wrong one. Anything but
// the chain's layout (no spaces) is split whole.
func reuse[T any](prev *answerLines[T], value []byte) (a *answerLines[T], missing []int, err error) {
	a = &answerLines[T]{value: value}
	take := func(j, start, end int) {
		a.starts, a.end, a.out = append(a.starts, start), append(a.end, end), append(a.out, prev.out[j])
	}
	last := len(value) - 1 // the array's "]"
	ok := len(value) >= 2 && value[0] == '[' && value[last] == ']'
	i, j := 1, 0 // where the walk is in value, and prev's next line
	if ok && prev != nil {
		p := commonPrefix(prev.value, value)
		for j < len(prev.starts) && prev.end[j] <= p {
			take(j, prev.starts[j], prev.end[j])
			j++
		}
		if j > 0 {
			i = prev.end[j-1]
		}
	}
	for ok {
		if len(a.starts) > 0 { // after a line: a comma, or the end
			if i == last {
				break
			}
			if value[i] != ',' {
				ok = false
				break
			}
			i++
		} else if i == last {
			break // no lines
		}
		// prev's line j, or the one after it (j was removed), is here.
		if n := at(prev, j, value, i); n > 0 {
			take(j, i, i+n)
			i, j = i+n, j+1
			continue
		}
		if n := at(prev, j+1, value, i); n > 0 {
			take(j+1, i, i+n)
			i, j = i+n, j+2
			continue
		}
		end := objectEnd(value, i)
		if end < 0 || end > last {
			ok = false
			break
		}
		missing = append(missing, len(a.starts))
		a.starts, a.end = append(a.starts, i), append(a.end, end)
		a.out = append(a.out, *new(T))
		// The new line replaced prev's line j, unless prev's line j comes
		// next (the new line was put before it).
		if next := end + 1; end == last || at(prev, j, value, next) <= 0 {
			j++
		}
		i = end
	}
	if !ok {
		lines, starts, err := splitObjects(value)
		if err != nil {
			return nil, nil, err
		}
		a.starts, a.end, a.out, missing = starts, make([]int, len(lines)), make([]T, len(lines)), make([]int, len(lines))
		for k, l := range lines {
			a.end[k], missing[k] = starts[k]+len(l), k
		}
	}
	return a, missing, nil
}

// at returns the length of prev's line j if value has it byte for byte at
// i, followed by a comma or the array's end, or 0.
func at[T any](prev *answerLines[T], j int, value []byte, i int) int {
	if prev == nil || j >= len(prev.starts) {
		return 0
	}
	n, last := prev.end[j]-prev.starts[j], len(value)-1
	if i+n > last || value[i+n] != ',' && i+n != last || !bytes.Equal(value[i:i+n], prev.value[prev.starts[j]:prev.end[j]]) {
		return 0
	}
	return n
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
