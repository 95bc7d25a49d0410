package board

import (
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
}

// lines returns write(raw) for each of raws, from memory for the lines
// written before with the same names. write runs without the memo's lock,
// so two renders may both write a new line; they write the same thing.
func (m *lineMemo[T]) lines(names map[string]string, raws []gojson.RawMessage, write func(raw []byte) (T, error)) ([]T, error) {
	out := make([]T, len(raws))
	var missing []int
	m.mu.Lock()
	if m.cur == nil || !maps.Equal(m.names, names) {
		m.names, m.cur, m.old = maps.Clone(names), map[string]T{}, nil
		m.epoch++
	}
	epoch := m.epoch
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
	m.cur, m.old = nil, nil
}

// size is how many lines the memo holds.
func (m *lineMemo[T]) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.cur) + len(m.old)
}
