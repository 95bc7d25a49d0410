package abci

import (
	"crypto/sha256"
	"sync"

	"github.com/linli-community/linli/abci/tx"
)

// The caches here make the shell faster without changing what it
// computes: each remembers the result of a pure function (decoding and
// checking the signature of given bytes, the committed value of a key at
// a height, an accounts answer's line from two such values: lines.go), so
// every node reaches the same results, and every query the same answer,
// whether a value came from a cache or not.

// PreCheckTx decodes a tx and checks its signature into the cache of
// checked txs, so that CheckTx, called next, need not. The node calls it
// outside its ABCI lock, from the goroutine that received the tx, so many
// txs are decoded and checked at once and beside FinalizeBlock. It is
// safe for concurrent use and changes no state (node.PreChecker).
func (a *App) PreCheckTx(raw []byte) { a.checked.precheck(raw) }

// checkedTxs remembers the txs that decoded and whose signature verified,
// by the SHA-256 of their bytes, with their decoded form: a tx is decoded
// and checked once on a node (in PreCheckTx, or in FinalizeBlock when the
// node never saw it before its block), not again in CheckTx, on every
// mempool recheck and in its block. FinalizeBlock forgets a tx once it is
// in a block; what never gets there (refused in CheckTx, or evicted from
// the mempool) is dropped with its generation: at most two generations are
// kept, each of at most max txs and maxBytes bytes of them (anyone can
// send well-signed txs, so the bytes are bounded, not just the count). It
// is safe for concurrent use.
//
// The decoded txs are shared by every execution of the same bytes, so a
// handler must never change its tx or body; the package's tests check
// that after every tx they run (mustNotChangeTx).
type checkedTxs struct {
	mu            sync.Mutex
	max, maxBytes int
	cur, old      map[[sha256.Size]byte]checkedTx
	curBytes      int
}

// checkedTx is a decoded tx and the length of its bytes.
type checkedTx struct {
	t *tx.Tx
	n int
}

func newCheckedTxs(max, maxBytes int) *checkedTxs {
	return &checkedTxs{max: max, maxBytes: maxBytes, cur: make(map[[sha256.Size]byte]checkedTx)}
}

// get returns raw decoded, if it decoded and verified before.
func (s *checkedTxs) get(raw []byte) (*tx.Tx, bool) {
	if s == nil {
		return nil, false
	}
	return s.lookup(sha256.Sum256(raw))
}

func (s *checkedTxs) lookup(h [sha256.Size]byte) (*tx.Tx, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cur[h]
	if !ok {
		c, ok = s.old[h]
	}
	return c.t, ok
}

func (s *checkedTxs) add(h [sha256.Size]byte, t *tx.Tx, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cur[h]; ok {
		return
	}
	if len(s.cur) >= s.max || s.curBytes+n > s.maxBytes {
		s.old, s.cur, s.curBytes = s.cur, make(map[[sha256.Size]byte]checkedTx), 0
	}
	s.cur[h] = checkedTx{t, n}
	s.curBytes += n
}

// forget drops raw, whose block has run.
func (s *checkedTxs) forget(raw []byte) {
	if s == nil {
		return
	}
	h := sha256.Sum256(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cur[h]; ok {
		s.curBytes -= c.n
		delete(s.cur, h)
	}
	delete(s.old, h)
}

// verify checks the signature of t, decoded from raw, and remembers both
// when it holds.
func (s *checkedTxs) verify(raw []byte, t *tx.Tx) error {
	if err := t.Verify(); err != nil {
		return err
	}
	if s != nil {
		s.add(sha256.Sum256(raw), t, len(raw))
	}
	return nil
}

// precheck decodes raw and checks its signature into the cache, unless
// the cache knows it already.
func (s *checkedTxs) precheck(raw []byte) {
	if len(raw) > tx.MaxBytes {
		return
	}
	if _, ok := s.get(raw); ok {
		return
	}
	if t, err := tx.Decode(raw); err == nil {
		_ = s.verify(raw, t)
	}
}

// checkedTxsSize and checkedTxsBytes bound each generation of the cache
// of checked txs: more than a mempool of governance txs (CometBFT's
// default is 5,000 txs; linli's are about 300 bytes), while the two
// generations' decoded txs stay within some tens of MiB.
const (
	checkedTxsSize  = 50_000
	checkedTxsBytes = 16 << 20
)

// readCache is a Store that remembers committed values (and absent keys)
// read through it, up to about max keys, and keeps them right on Commit.
// The app is the store's only writer, so the cache never goes stale. Its
// snapshots (Snapshot) read through it too, each at its own height. Scans
// go to the store. It is safe for concurrent use; Commit is called by one
// goroutine at a time (the app's, under its lock).
//
// Each cached value carries since, a height from which it is known to be
// the committed value, up to height, the last commit applied to the cache.
// The invariant: every entry (key, v, since) has v = the committed value of
// key at every height in [since, height]. Everything below keeps it:
//
//   - Commit of block h+1 runs in three steps. Locked: it sets committing,
//     counts the commit in gen and drops the keys it writes. Unlocked: the
//     store commits (a big block's SQLite commit must not stall queries).
//     Locked: it remembers each write with since = h+1, sets height = h+1
//     and clears committing. An entry left after the first step was not
//     written by the block, so its value holds at h+1 as well.
//   - A snapshot at height s uses an entry only when since ≤ s. The store
//     is at height or, from the second step of a Commit to its third, at
//     height+1, so s ≤ height+1. When s ≤ height the invariant gives the
//     value at s. When s = height+1 the store committed s and its Commit
//     is between its steps: every key it wrote was dropped and none was
//     added since (see the next two rules), so an entry's value is the one
//     at height, unchanged at s.
//   - A value a snapshot at s read from the store is remembered (since = s)
//     only when, under the lock, no commit is under way and height = s:
//     the store is then at s, so the value is the committed one at
//     [s, height]. A snapshot older than height, or one taken during a
//     commit, keeps nothing; a commit that starts later drops the key.
//   - Get, the execution path's read of the store's latest state, remembers
//     a value (since = height) only when no commit was under way as it
//     started (committing clear) and none started while it read (gen
//     unchanged): the store held height's state throughout.
//   - A hit in the older generation is moved to the newer with its since.
//
// The cache also keeps the accounts answers' lines (answerLines), each a
// function of a posting's and an entry's committed values. They have no
// since: all are those of height. The first locked step of a Commit
// forgets every line whose keys the block writes, so a line left holds at
// h+1 as well. A snapshot at s uses the lines only when, under the lock,
// no commit is under way and s = height: they are then those of s. The
// lines it built from its own values at s it adds under the same
// condition, checked again as it adds them: a commit that began meanwhile
// may write their keys after its first step found nothing to forget, and
// one that ended moved height past s. (A snapshot at height+1 taken during
// a commit adds its lines once that commit has ended: height is then s.)
//
// A Commit that fails leaves committing set and empties the cache: the
// store's state is then unknown to it, so it serves and remembers nothing
// more (the app panics on the error anyway).
type readCache struct {
	Store
	mu       sync.Mutex
	max      int
	cur, old map[string]cachedValue
	// height is the last commit applied to the cache.
	height int64
	// committing is set while a Commit is between dropping its keys and
	// remembering its writes.
	committing bool
	// gen counts the commits started, so a Get that read the store while
	// a Commit began does not remember what it read.
	gen uint64
	// lines are the accounts answers' lines at height.
	lines *answerLines
}

// cachedValue is a committed value (ok=false: the key is absent), known
// to hold from height since on.
type cachedValue struct {
	v     []byte
	ok    bool
	since int64
}

// readCacheSize is how many keys each generation of the read cache holds:
// more than a period's statement of 10,000 entries and their 10,000
// postings, with a block's other traffic beside it
// (TestReadCacheKeepsAStatementAcrossBlocks).
const readCacheSize = 50_000

// newReadCache returns a cache over s, whose last commit is height.
func newReadCache(s Store, max int, height int64) *readCache {
	return &readCache{Store: s, max: max, cur: make(map[string]cachedValue), height: height,
		lines: newAnswerLines(answerLinesMax, answerLinesBytes)}
}

// lookup returns key's cached value, moving it to the newer generation;
// c.mu is held.
func (c *readCache) lookup(key string) (cachedValue, bool) {
	if cv, ok := c.cur[key]; ok {
		return cv, true
	}
	cv, ok := c.old[key]
	if ok {
		c.remember(key, cv)
	}
	return cv, ok
}

// remember caches a value; c.mu is held.
func (c *readCache) remember(key string, cv cachedValue) {
	if len(c.cur) >= c.max {
		c.old, c.cur = c.cur, make(map[string]cachedValue, c.max)
	}
	c.cur[key] = cv
}

// full returns v with its capacity cut to its length: a caller's append
// must not write into the cache.
func full(v []byte) []byte { return v[:len(v):len(v)] }

// Get implements Store: the execution path's read of the latest commit.
func (c *readCache) Get(key string) ([]byte, bool, error) {
	c.mu.Lock()
	cv, hit := c.lookup(key)
	quiet, gen := !c.committing, c.gen
	c.mu.Unlock()
	if hit {
		return full(cv.v), cv.ok, nil
	}
	v, ok, err := c.Store.Get(key)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	if quiet && c.gen == gen {
		c.remember(key, cachedValue{v, ok, c.height})
	}
	c.mu.Unlock()
	return v, ok, nil
}

// peekAt returns key's cached value if a snapshot at height h may use it.
func (c *readCache) peekAt(h int64, key string) ([]byte, bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cv, hit := c.lookup(key)
	if !hit || cv.since > h {
		return nil, false, false
	}
	return full(cv.v), cv.ok, true
}

// peekNumberedAt is peekAt of the keys prefix+%020d of num(i) for i < n,
// calling fn with each answer. It takes the lock once for each batch of
// keys, not for each key, and builds no string for a key it finds: a
// period's statement looks up 20,000 keys, and the lookups were most of
// its answer's time. fn runs without the lock.
func (c *readCache) peekNumberedAt(h int64, prefix string, n int, num func(int) uint64, fn func(int, []byte, bool, bool)) {
	const batch = 256 // a short hold of the lock that Commit and Get wait for
	key := append(make([]byte, 0, len(prefix)+20), prefix...)
	var found [batch]cachedValue
	var hits [batch]bool
	for start := 0; start < n; start += batch {
		end := min(n, start+batch)
		c.mu.Lock()
		for i := start; i < end; i++ {
			key = appendNumber(key[:len(prefix)], num(i))
			cv, hit := c.cur[string(key)]
			if !hit {
				if cv, hit = c.old[string(key)]; hit {
					c.remember(string(key), cv)
				}
			}
			found[i-start], hits[i-start] = cv, hit && cv.since <= h
		}
		c.mu.Unlock()
		for i := start; i < end; i++ {
			if cv := found[i-start]; hits[i-start] {
				fn(i, full(cv.v), cv.ok, true)
			} else {
				fn(i, nil, false, false)
			}
		}
	}
}

// peekLinesAt returns the remembered lines of account's month m at
// positions [lo, hi) for a snapshot at height h: lines[i] is position
// lo+i's, nil where none is remembered, and all are nil unless the
// snapshot may use them (readCache).
func (c *readCache) peekLinesAt(h int64, account string, m int, lo, hi int64) [][]byte {
	out := make([][]byte, max(0, hi-lo))
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.committing && c.height == h {
		c.lines.peek(lineMonth{account, m}, lo, out)
	}
	return out
}

// keepLinesAt remembers lines of account's month m that a snapshot at
// height h built, when they are those of c.height (see readCache).
func (c *readCache) keepLinesAt(h int64, account string, m int, built []builtLine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.committing && c.height == h {
		c.lines.keep(lineMonth{account, m}, built)
	}
}

// keepAt remembers a value that a snapshot at height h read from the
// store, when that is the committed value up to c.height (see readCache).
func (c *readCache) keepAt(h int64, key string, v []byte, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.committing || c.height != h {
		return
	}
	if _, hit := c.lookup(key); !hit {
		c.remember(key, cachedValue{v, ok, h})
	}
}

// Commit implements Store: the writes go to the store, then replace what
// the cache held for their keys (see readCache for the steps).
func (c *readCache) Commit(b Block, writes []Write) error {
	c.mu.Lock()
	c.committing = true
	c.gen++
	// Until the cache has the new values, nothing may find the old ones
	// of these keys.
	for _, w := range writes {
		delete(c.cur, w.Key)
		delete(c.old, w.Key)
	}
	c.lines.forget(writes)
	c.mu.Unlock()
	err := c.Store.Commit(b, writes)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.cur, c.old = make(map[string]cachedValue), nil
		c.lines.reset()
		return err
	}
	for _, w := range writes {
		c.remember(w.Key, cachedValue{w.Value, w.Value != nil, b.Height})
	}
	c.height, c.committing = b.Height, false
	return nil
}

// Snapshot implements Store: a snapshot of the store whose Get reads
// through the cache at the snapshot's height.
func (c *readCache) Snapshot() (Snapshot, error) {
	snap, err := c.Store.Snapshot()
	if err != nil {
		return nil, err
	}
	return &cachedSnapshot{Snapshot: snap, c: c, h: snap.Block().Height}, nil
}

// cachedSnapshot is a store snapshot at height h read through a readCache:
// Get takes a value from memory when the cache knows it at h and remembers
// what it reads when it may (readCache); Scan and BlockWrites go to the
// snapshot. It implements memo, for the readers of many records
// (accounts_read.go).
type cachedSnapshot struct {
	Snapshot
	c *readCache
	h int64
}

var _ memo = (*cachedSnapshot)(nil)

// Get implements Snapshot.
func (s *cachedSnapshot) Get(key string) ([]byte, bool, error) {
	if v, ok, hit := s.c.peekAt(s.h, key); hit {
		return v, ok, nil
	}
	v, ok, err := s.Snapshot.Get(key)
	if err != nil {
		return nil, false, err
	}
	s.c.keepAt(s.h, key, v, ok)
	return v, ok, nil
}

// peek implements memo.
func (s *cachedSnapshot) peek(key string) ([]byte, bool, bool) { return s.c.peekAt(s.h, key) }

// peekNumbered implements memo.
func (s *cachedSnapshot) peekNumbered(prefix string, n int, num func(int) uint64, fn func(int, []byte, bool, bool)) {
	s.c.peekNumberedAt(s.h, prefix, n, num, fn)
}

// keep implements memo.
func (s *cachedSnapshot) keep(key string, value []byte) { s.c.keepAt(s.h, key, value, true) }

// peekLines implements memo.
func (s *cachedSnapshot) peekLines(account string, m int, lo, hi int64) [][]byte {
	return s.c.peekLinesAt(s.h, account, m, lo, hi)
}

// keepLines implements memo.
func (s *cachedSnapshot) keepLines(account string, m int, built []builtLine) {
	s.c.keepLinesAt(s.h, account, m, built)
}
