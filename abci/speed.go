package abci

import (
	"crypto/sha256"
	"sync"

	"github.com/linli-community/linli/abci/tx"
)

// The two caches here make the shell faster without changing what it
// computes: each remembers the result of a pure function (decoding and
// checking the signature of given bytes, the committed value of a key),
// so every node reaches the same results whether a value came from a
// cache or not.

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
// The app is the store's only writer, so the cache never goes stale. Scans
// go to the store. It is safe for concurrent use.
type readCache struct {
	Store
	mu       sync.Mutex
	max      int
	cur, old map[string]cachedValue
	// gen counts commits, so a Get that read the store while a Commit ran
	// does not cache what it read.
	gen uint64
}

type cachedValue struct {
	v  []byte
	ok bool
}

// readCacheSize is how many keys each generation of the read cache holds.
const readCacheSize = 50_000

func newReadCache(s Store, max int) *readCache {
	return &readCache{Store: s, max: max, cur: make(map[string]cachedValue)}
}

// Get implements Store.
func (c *readCache) Get(key string) ([]byte, bool, error) {
	c.mu.Lock()
	cv, hit := c.cur[key]
	if !hit {
		if cv, hit = c.old[key]; hit {
			c.remember(key, cv)
		}
	}
	gen := c.gen
	c.mu.Unlock()
	if hit {
		// A full slice: a caller's append must not write into the cache.
		return cv.v[:len(cv.v):len(cv.v)], cv.ok, nil
	}
	v, ok, err := c.Store.Get(key)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.remember(key, cachedValue{v, ok})
	}
	c.mu.Unlock()
	return v, ok, nil
}

// remember caches a value; c.mu is held.
func (c *readCache) remember(key string, cv cachedValue) {
	if len(c.cur) >= c.max {
		c.old, c.cur = c.cur, make(map[string]cachedValue, c.max)
	}
	c.cur[key] = cv
}

// Commit implements Store: the writes go to the store, then replace what
// the cache held for their keys.
func (c *readCache) Commit(b Block, writes []Write) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	// Until the store has them, a concurrent Get must not find the old
	// values of these keys: drop them first, and hold the lock.
	for _, w := range writes {
		delete(c.cur, w.Key)
		delete(c.old, w.Key)
	}
	if err := c.Store.Commit(b, writes); err != nil {
		return err
	}
	for _, w := range writes {
		c.remember(w.Key, cachedValue{w.Value, w.Value != nil})
	}
	return nil
}
