package abci

import (
	"crypto/sha256"
	"sync"

	"github.com/linli-community/linli/abci/tx"
)

// The two caches here make the shell faster without changing what it
// computes: each remembers the result of a pure function (a signature
// check of given bytes, the committed value of a key), so every node
// reaches the same results whether a value came from a cache or not.

// PreCheckTx decodes a tx and checks its signature into the signature
// cache, so that CheckTx, called next, need not. The node calls it outside
// its ABCI lock, from the goroutine that received the tx, so signatures of
// many txs are checked at once and beside FinalizeBlock. It is safe for
// concurrent use and changes no state (node.PreChecker).
func (a *App) PreCheckTx(raw []byte) { a.sigs.preverify(raw) }

// sigCache remembers the txs whose signature verified, by the SHA-256 of
// their bytes, so that a tx's signature is checked once, in CheckTx (or in
// FinalizeBlock when this node never saw it), and not again on every
// mempool recheck and in its block. It holds at most two generations of
// max entries; the older is dropped when the newer fills up. It is safe
// for concurrent use.
type sigCache struct {
	mu       sync.Mutex
	max      int
	cur, old map[[sha256.Size]byte]struct{}
}

func newSigCache(max int) *sigCache {
	return &sigCache{max: max, cur: make(map[[sha256.Size]byte]struct{})}
}

func (s *sigCache) known(h [sha256.Size]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.cur[h]
	if !ok {
		_, ok = s.old[h]
	}
	return ok
}

func (s *sigCache) add(h [sha256.Size]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cur) >= s.max {
		s.old, s.cur = s.cur, make(map[[sha256.Size]byte]struct{}, s.max)
	}
	s.cur[h] = struct{}{}
}

// verify checks t's signature unless raw (t's bytes) verified before.
func (s *sigCache) verify(raw []byte, t *tx.Tx) error {
	if s == nil {
		return t.Verify()
	}
	h := sha256.Sum256(raw)
	if s.known(h) {
		return nil
	}
	if err := t.Verify(); err != nil {
		return err
	}
	s.add(h)
	return nil
}

// preverify decodes raw and checks its signature into the cache, unless
// the cache knows it already.
func (s *sigCache) preverify(raw []byte) {
	if len(raw) > tx.MaxBytes || s.known(sha256.Sum256(raw)) {
		return
	}
	if t, err := tx.Decode(raw); err == nil {
		_ = s.verify(raw, t)
	}
}

// sigCacheSize is how many verified txs each generation of the cache
// holds: more than a mempool (CometBFT's default is 5,000 txs).
const sigCacheSize = 50_000

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
func (c *readCache) Commit(height int64, appHash []byte, writes []Write) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	// Until the store has them, a concurrent Get must not find the old
	// values of these keys: drop them first, and hold the lock.
	for _, w := range writes {
		delete(c.cur, w.Key)
		delete(c.old, w.Key)
	}
	if err := c.Store.Commit(height, appHash, writes); err != nil {
		return err
	}
	for _, w := range writes {
		c.remember(w.Key, cachedValue{w.Value, w.Value != nil})
	}
	return nil
}
