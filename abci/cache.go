package abci

import (
	"strings"

	"github.com/google/btree"
)

// reader is what state reads go through: the committed store or a cache
// layered over it.
type reader interface {
	get(key string) ([]byte, bool)
	scan(prefix string, fn func(key string, value []byte) bool)
}

// storeReader reads committed state, a Store or a Snapshot, and panics on
// storage errors.
type storeReader struct{ s committed }

// committed is what Store and Snapshot have in common.
type committed interface {
	Get(key string) ([]byte, bool, error)
	Scan(prefix string, fn func(key string, value []byte) bool) error
}

// memo is what a readCache's snapshot adds to reading committed state:
// the readers of many records at once (accounts_read.go) look each one up
// in memory first and read only the rest from the store.
type memo interface {
	// peek returns key's value from memory only; hit=false when memory
	// does not know it at the snapshot's height.
	peek(key string) (value []byte, ok, hit bool)
	// peekNumbered is peek of the n keys prefix+%020d of num(i), i < n,
	// a batch at a time: it calls fn(i, …) with each key's answer.
	peekNumbered(prefix string, n int, num func(i int) uint64, fn func(i int, value []byte, ok, hit bool))
	// keep remembers value, read from the snapshot, as key's (present)
	// value, when the cache may (readCache).
	keep(key string, value []byte)
	// peekLines returns the accounts answers' lines of account's month m
	// at positions [lo, hi) from memory: lines[i] is position lo+i's, nil
	// where memory has none that holds at the snapshot's height.
	peekLines(account string, m int, lo, hi int64) (lines [][]byte)
	// keepLines remembers lines of account's month m built from the
	// snapshot, when the cache may (readCache).
	keepLines(account string, m int, built []builtLine)
}

// memoOf returns the memo under r, or nil when r does not read committed
// state through one (a block's cache, a store without a read cache).
func memoOf(r reader) memo {
	if sr, ok := r.(storeReader); ok {
		if m, ok := sr.s.(memo); ok {
			return m
		}
	}
	return nil
}

func (r storeReader) get(key string) ([]byte, bool) {
	v, ok, err := r.s.Get(key)
	if err != nil {
		panic("abci: read state: " + err.Error())
	}
	return v, ok
}

func (r storeReader) scan(prefix string, fn func(string, []byte) bool) {
	if err := r.s.Scan(prefix, fn); err != nil {
		panic("abci: scan state: " + err.Error())
	}
}

// cache buffers writes over a parent reader. A block's writes live in one
// cache over the store until Commit; each tx runs in its own cache over the
// block's, merged only when the tx succeeds.
type cache struct {
	parent reader
	writes map[string][]byte // nil value: deleted
	// keys orders the written keys, so a scan finds its prefix in
	// O(log n) instead of walking every write of a busy block.
	keys *btree.BTreeG[string]
}

func newCache(parent reader) *cache {
	return &cache{parent: parent, writes: make(map[string][]byte), keys: btree.NewOrderedG[string](32)}
}

func (c *cache) get(key string) ([]byte, bool) {
	if v, ok := c.writes[key]; ok {
		return v, v != nil
	}
	return c.parent.get(key)
}

func (c *cache) set(key string, value []byte) {
	if value == nil {
		value = []byte{}
	}
	c.put(key, value)
}

func (c *cache) delete(key string) { c.put(key, nil) }

func (c *cache) put(key string, value []byte) {
	if _, ok := c.writes[key]; !ok {
		c.keys.ReplaceOrInsert(key)
	}
	c.writes[key] = value
}

// scan merges the parent's keys with this cache's writes, in key order.
func (c *cache) scan(prefix string, fn func(string, []byte) bool) {
	var own []string
	c.keys.AscendGreaterOrEqual(prefix, func(k string) bool {
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		own = append(own, k)
		return true
	})
	if len(own) == 0 {
		c.parent.scan(prefix, fn)
		return
	}
	i := 0
	stopped := false
	// emitOwn yields this cache's live writes that sort before limit (all
	// of them when all is true).
	emitOwn := func(limit string, all bool) bool {
		for ; i < len(own) && (all || own[i] < limit); i++ {
			if v := c.writes[own[i]]; v != nil {
				if !fn(own[i], v) {
					return false
				}
			}
		}
		return true
	}
	c.parent.scan(prefix, func(k string, v []byte) bool {
		if !emitOwn(k, false) {
			stopped = true
			return false
		}
		if _, ok := c.writes[k]; ok {
			return true // overridden or deleted here; emitted by emitOwn
		}
		if !fn(k, v) {
			stopped = true
			return false
		}
		return true
	})
	if !stopped {
		emitOwn("", true)
	}
}

// flush moves this cache's writes into its parent cache.
func (c *cache) flush(into *cache) {
	for k, v := range c.writes {
		into.put(k, v)
	}
}

// sorted returns the writes in key order, the order the app hash commits
// to and the store applies.
func (c *cache) sorted() []Write {
	ws := make([]Write, 0, len(c.writes))
	c.keys.Ascend(func(k string) bool {
		ws = append(ws, Write{Key: k, Value: c.writes[k]})
		return true
	})
	return ws
}
