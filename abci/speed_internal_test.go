package abci

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"sort"
	"strings"
	"testing"

	"github.com/linli-community/linli/abci/tx"
)

// mapStore is a Store in a map that counts its reads.
type mapStore struct {
	m    map[string][]byte
	gets int
	h    int64
	hash []byte
}

func (s *mapStore) Get(key string) ([]byte, bool, error) {
	s.gets++
	v, ok := s.m[key]
	return v, ok, nil
}

func (s *mapStore) Scan(prefix string, fn func(string, []byte) bool) error {
	var keys []string
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn(k, s.m[k]) {
			break
		}
	}
	return nil
}

func (s *mapStore) LastBlock() (Block, error) { return Block{Height: s.h, AppHash: s.hash}, nil }

func (s *mapStore) Snapshot() (Snapshot, error) { panic("mapStore: no snapshots") }

func (s *mapStore) Commit(b Block, ws []Write) error {
	h, hash := b.Height, b.AppHash
	for _, w := range ws {
		if w.Value == nil {
			delete(s.m, w.Key)
		} else {
			s.m[w.Key] = w.Value
		}
	}
	s.h, s.hash = h, hash
	return nil
}

func TestReadCacheFollowsCommits(t *testing.T) {
	s := &mapStore{m: map[string][]byte{"a": []byte("1"), "b": []byte("2")}}
	c := newReadCache(s, 100)
	get := func(k string) string {
		v, ok, err := c.Get(k)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return "<absent>"
		}
		return string(v)
	}
	for _, k := range []string{"a", "b", "c", "a", "b", "c"} {
		get(k)
	}
	if s.gets != 3 {
		t.Errorf("six reads of three keys reached the store %d times, want 3", s.gets)
	}
	if err := c.Commit(Block{Height: 1}, []Write{{"a", []byte("10")}, {"b", nil}, {"c", []byte("30")}}); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"a": "10", "b": "<absent>", "c": "30"} {
		if got := get(k); got != want {
			t.Errorf("after commit %s = %s, want %s", k, got, want)
		}
	}
	if s.gets != 3 {
		t.Errorf("reads after a commit reached the store %d more times, want 0", s.gets-3)
	}
	v, _, _ := c.Get("a")
	_ = append(v, '!')
	if got := get("a"); got != "10" {
		t.Errorf("an append to a returned value changed the cache: a = %s", got)
	}
}

func TestReadCacheEvictsOldGeneration(t *testing.T) {
	s := &mapStore{m: map[string][]byte{}}
	c := newReadCache(s, 2)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		c.Get(k)
	}
	before := s.gets
	c.Get("a")
	if s.gets != before+1 {
		t.Error("a key two generations old was still cached")
	}
	if len(c.cur)+len(c.old) > 4 {
		t.Errorf("cache holds %d keys, want at most 2 generations of 2", len(c.cur)+len(c.old))
	}
}

func TestCheckedTxsDecodesAndChecksEachTxOnce(t *testing.T) {
	seed := sha256.Sum256([]byte("signer"))
	k := ed25519.NewKeyFromSeed(seed[:])
	good := tx.New("c", 1, &tx.RoleGrant{Address: tx.Address(strings.Repeat("a", 40)), Role: tx.RoleAdmin})
	good.Sign(k)
	raw := good.Encode()
	forged := *good
	forged.Nonce = 2 // the signature no longer covers it

	s := newCheckedTxs(10, 1<<20)
	if err := s.verify(raw, &forged); err == nil {
		t.Fatal("a forged tx verified")
	}
	if _, ok := s.get(raw); ok {
		t.Fatal("a failed check was remembered")
	}
	s.precheck(forged.Encode())
	if _, ok := s.get(forged.Encode()); ok {
		t.Fatal("precheck remembered a tx whose signature does not hold")
	}
	s.precheck(raw)
	got, ok := s.get(raw)
	if !ok {
		t.Fatal("precheck did not remember a good tx")
	}
	if !bytes.Equal(got.Encode(), raw) {
		t.Fatalf("the remembered tx encodes to %s, want %s", got.Encode(), raw)
	}
	s.forget(raw)
	if _, ok := s.get(raw); ok {
		t.Error("a forgotten tx is still remembered")
	}
	var nilCache *checkedTxs
	if err := nilCache.verify(raw, &forged); err == nil {
		t.Error("without a cache a forged tx verified")
	}
	if _, ok := nilCache.get(raw); ok {
		t.Error("a nil cache remembers a tx")
	}
}

// A tx that decoded and verified before runs in CheckTx and in its block
// without being decoded again: execTx takes the remembered form. Shown by
// remembering a different (valid) tx under raw's hash, which only the
// cache could have produced.
func TestExecTxUsesTheCheckedTx(t *testing.T) {
	seed := sha256.Sum256([]byte("signer"))
	k := ed25519.NewKeyFromSeed(seed[:])
	grant := tx.New("c", 1, &tx.RoleGrant{Address: tx.Address(strings.Repeat("a", 40)), Role: tx.RoleAdmin})
	grant.Sign(k)
	raw := grant.Encode()
	other := tx.New("other-chain", 1, &tx.RoleGrant{Address: tx.Address(strings.Repeat("b", 40)), Role: tx.RoleAdmin})
	other.Sign(k)

	s := newCheckedTxs(10, 1<<20)
	s.add(sha256.Sum256(raw), other, len(raw))
	c := newCache(storeReader{&mapStore{m: map[string][]byte{}}})
	saved := mustNotChangeTx
	mustNotChangeTx = false // the planted tx does not encode to raw
	defer func() { mustNotChangeTx = saved }()
	r := execTx(c, "c", 1, 0, true, Params{}, raw, s)
	if Code(r.Code) != CodeWrongChain {
		t.Errorf("execTx of a remembered tx = code %d (%s), want %d: it decoded raw again", r.Code, r.Log, CodeWrongChain)
	}
}

// Each generation is bounded by bytes as well as by count: a few large
// txs rotate it as many small ones would.
func TestCheckedTxsBoundsBytes(t *testing.T) {
	s := newCheckedTxs(100, 1000)
	h := func(i int) [sha256.Size]byte { return sha256.Sum256([]byte{byte(i)}) }
	for i := range 5 {
		s.add(h(i), &tx.Tx{Nonce: uint64(i)}, 400)
	}
	if len(s.cur)+len(s.old) > 4 || s.curBytes > 1000 {
		t.Errorf("after 5 txs of 400 bytes with a budget of 1000: %d current (%d bytes) and %d old txs", len(s.cur), s.curBytes, len(s.old))
	}
	if _, ok := s.lookup(h(4)); !ok {
		t.Error("the newest tx is gone")
	}
	if _, ok := s.lookup(h(0)); ok {
		t.Error("the oldest tx, two generations back, is still there")
	}
	s.forget([]byte{4})
	if s.curBytes != 0 {
		t.Errorf("after forgetting the only current tx: %d bytes counted", s.curBytes)
	}
}
