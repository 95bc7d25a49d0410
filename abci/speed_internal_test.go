package abci

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
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
	c := newReadCache(s, 100, 0)
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
	c := newReadCache(s, 2, 0)
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

// verStore is a Store that keeps the state of every height, so that a
// snapshot shows the height it was taken at whatever commits follow, and
// counts the reads that reach it. A test pauses a Commit between its steps
// with beforeApply and afterApply, a read just after it read with
// afterRead, and a scan before it hands on a key with afterScan; each is
// called, when set, on the goroutine doing the work.
type verStore struct {
	mu       sync.Mutex
	versions []map[string][]byte // versions[h] is the state at height h
	reads    int
	fail     bool // Commit fails

	beforeApply, afterApply func()
	afterRead, afterScan    func(key string)
}

func newVerStore(state map[string][]byte) *verStore {
	return &verStore{versions: []map[string][]byte{state}}
}

func (s *verStore) at(h int64, key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	v, ok := s.versions[h][key]
	return v, ok
}

func (s *verStore) read(h int64, key string) ([]byte, bool, error) {
	v, ok := s.at(h, key)
	if s.afterRead != nil {
		s.afterRead(key)
	}
	return v, ok, nil
}

func (s *verStore) last() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.versions) - 1)
}

func (s *verStore) readCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func (s *verStore) Get(key string) ([]byte, bool, error) { return s.read(s.last(), key) }

func (s *verStore) scanAt(h int64, prefix string, fn func(string, []byte) bool) error {
	s.mu.Lock()
	m := s.versions[h]
	var keys []string
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	s.reads += len(keys)
	s.mu.Unlock()
	sort.Strings(keys)
	for _, k := range keys {
		if s.afterScan != nil {
			s.afterScan(k)
		}
		if !fn(k, m[k]) {
			break
		}
	}
	return nil
}

func (s *verStore) Scan(prefix string, fn func(string, []byte) bool) error {
	return s.scanAt(s.last(), prefix, fn)
}

func (s *verStore) LastBlock() (Block, error) { return Block{Height: s.last()}, nil }

func (s *verStore) Commit(b Block, ws []Write) error {
	if s.beforeApply != nil {
		s.beforeApply()
	}
	s.mu.Lock()
	if s.fail {
		s.mu.Unlock()
		return errors.New("verStore: disk full")
	}
	if b.Height != int64(len(s.versions)) {
		panic(fmt.Sprintf("verStore: commit of height %d after %d", b.Height, len(s.versions)-1))
	}
	next := maps.Clone(s.versions[len(s.versions)-1])
	for _, w := range ws {
		if w.Value == nil {
			delete(next, w.Key)
		} else {
			next[w.Key] = w.Value
		}
	}
	s.versions = append(s.versions, next)
	s.mu.Unlock()
	if s.afterApply != nil {
		s.afterApply()
	}
	return nil
}

func (s *verStore) Snapshot() (Snapshot, error) { return verSnapshot{s, s.last()}, nil }

type verSnapshot struct {
	s *verStore
	h int64
}

func (v verSnapshot) Get(key string) ([]byte, bool, error) { return v.s.read(v.h, key) }
func (v verSnapshot) Scan(prefix string, fn func(string, []byte) bool) error {
	return v.s.scanAt(v.h, prefix, fn)
}
func (v verSnapshot) Block() Block { return Block{Height: v.h} }
func (v verSnapshot) BlockWrites(int64) ([]Write, bool, error) {
	return nil, false, nil
}
func (v verSnapshot) Close() error { return nil }

// gate pauses one goroutine at a point until the test lets it go on.
type gate struct{ reached, release chan struct{} }

func newGate() gate { return gate{make(chan struct{}), make(chan struct{})} }

// pass is called where the work pauses.
func (g gate) pass() {
	close(g.reached)
	<-g.release
}

// snapGet reads key through snap and fails the test unless it is want
// ("" for absent); hit says whether the store may be reached.
func snapGet(t *testing.T, s *verStore, snap Snapshot, key, want string, fromMemory bool) {
	t.Helper()
	before := s.readCount()
	v, ok, err := snap.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	got := string(v)
	if !ok {
		got = ""
	}
	if got != want {
		t.Errorf("snapshot at %d: %s = %q, want %q", snap.Block().Height, key, got, want)
	}
	if read := s.readCount() > before; fromMemory && read {
		t.Errorf("snapshot at %d: %s came from the store, want from memory", snap.Block().Height, key)
	}
}

// TestReadCacheSnapshotsAcrossACommit runs snapshot reads before, during
// (both before and after the store applied the writes) and after a commit,
// with snapshots taken at each point and used at the later ones: each must
// see its own height's values, never a later one's, and memory is used
// only where it holds.
func TestReadCacheSnapshotsAcrossACommit(t *testing.T) {
	s := newVerStore(map[string][]byte{"k": []byte("v0"), "other": []byte("o0")})
	c := newReadCache(s, 100, 0)
	a, _ := c.Snapshot()
	snapGet(t, s, a, "k", "v0", false)
	snapGet(t, s, a, "k", "v0", true) // remembered at height 0
	snapGet(t, s, a, "other", "o0", false)

	before, after := newGate(), newGate()
	s.beforeApply, s.afterApply = before.pass, after.pass
	done := make(chan error)
	go func() { done <- c.Commit(Block{Height: 1}, []Write{{"k", []byte("v1")}, {"new", []byte("n1")}}) }()

	<-before.reached // the cache dropped k; the store is still at 0
	snapGet(t, s, a, "k", "v0", false)
	snapGet(t, s, a, "k", "v0", false) // not remembered during a commit
	snapGet(t, s, a, "other", "o0", true)
	b, _ := c.Snapshot()
	snapGet(t, s, b, "k", "v0", false)
	snapGet(t, s, b, "new", "", false)
	close(before.release)

	<-after.reached // the store is at 1, the cache still at 0
	d, _ := c.Snapshot()
	if d.Block().Height != 1 {
		t.Fatalf("snapshot during the commit at height %d, want 1", d.Block().Height)
	}
	snapGet(t, s, d, "k", "v1", false)
	snapGet(t, s, d, "other", "o0", true) // not written: height 0's value holds at 1
	snapGet(t, s, d, "new", "n1", false)
	snapGet(t, s, d, "new", "n1", false)
	snapGet(t, s, a, "k", "v0", false)
	snapGet(t, s, b, "new", "", false)
	close(after.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// After the commit: the writes are remembered at height 1, which the
	// snapshots at 0 must not use.
	for _, snap := range []Snapshot{a, b} {
		snapGet(t, s, snap, "k", "v0", false)
		snapGet(t, s, snap, "k", "v0", false) // a snapshot behind keeps nothing
		snapGet(t, s, snap, "new", "", false)
		snapGet(t, s, snap, "other", "o0", true)
	}
	snapGet(t, s, d, "k", "v1", true)
	snapGet(t, s, d, "new", "n1", true)
	e, _ := c.Snapshot()
	snapGet(t, s, e, "k", "v1", true)
	snapGet(t, s, e, "absent", "", false)
	snapGet(t, s, e, "absent", "", true)
	// The execution path's Get sees the latest commit.
	if v, _, _ := c.Get("k"); string(v) != "v1" {
		t.Errorf("Get(k) after the commit = %q, want v1", v)
	}
}

// TestReadCacheSnapshotReadRacingACommit has a snapshot read a value just
// before a whole commit changes it: the value is right for the snapshot,
// but must not be remembered for the heights after.
func TestReadCacheSnapshotReadRacingACommit(t *testing.T) {
	s := newVerStore(map[string][]byte{"k": []byte("v0")})
	c := newReadCache(s, 100, 0)
	a, _ := c.Snapshot()
	read := newGate()
	s.afterRead = func(string) { s.afterRead = nil; read.pass() }
	got := make(chan string)
	go func() { v, _, _ := a.Get("k"); got <- string(v) }()
	<-read.reached
	s.afterRead = nil
	if err := c.Commit(Block{Height: 1}, []Write{{"k", []byte("v1")}}); err != nil {
		t.Fatal(err)
	}
	close(read.release)
	if v := <-got; v != "v0" {
		t.Errorf("snapshot at 0 read k = %q, want v0", v)
	}
	e, _ := c.Snapshot()
	snapGet(t, s, e, "k", "v1", true)
	if v, _, _ := c.Get("k"); string(v) != "v1" {
		t.Errorf("Get(k) = %q, want v1", v)
	}
}

// TestReadCacheGetRacingACommit has the execution path's Get read the
// store just before a commit changes the key, once started before the
// commit and once during it: neither may remember the old value over the
// commit's.
func TestReadCacheGetRacingACommit(t *testing.T) {
	for _, during := range []bool{false, true} {
		s := newVerStore(map[string][]byte{"k": []byte("v0")})
		c := newReadCache(s, 100, 0)
		commit := func() error { return c.Commit(Block{Height: 1}, []Write{{"k", []byte("v1")}}) }
		read := newGate()
		got := make(chan string)
		done := make(chan error)
		if during {
			// The commit pauses before the store applies it; the Get
			// starts then, reads v0, and pauses while the commit ends.
			apply := newGate()
			s.beforeApply = apply.pass
			go func() { done <- commit() }()
			<-apply.reached
			s.beforeApply = nil
			s.afterRead = func(string) { read.pass() }
			go func() { v, _, _ := c.Get("k"); got <- string(v) }()
			<-read.reached
			s.afterRead = nil
			close(apply.release)
		} else {
			s.afterRead = func(string) { read.pass() }
			go func() { v, _, _ := c.Get("k"); got <- string(v) }()
			<-read.reached
			s.afterRead = nil
			go func() { done <- commit() }()
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		close(read.release)
		if v := <-got; v != "v0" {
			t.Errorf("during=%v: the racing Get = %q, want v0 (what the store held)", during, v)
		}
		if v, _, _ := c.Get("k"); string(v) != "v1" {
			t.Errorf("during=%v: Get(k) after the commit = %q, want v1", during, v)
		}
		e, _ := c.Snapshot()
		snapGet(t, s, e, "k", "v1", true)
	}
}

// TestReadCacheFailedCommitForgets: after a commit the store refused, the
// cache does not know the store's state, so it serves nothing from memory
// and remembers nothing.
func TestReadCacheFailedCommitForgets(t *testing.T) {
	s := newVerStore(map[string][]byte{"k": []byte("v0"), "j": []byte("j0")})
	c := newReadCache(s, 100, 0)
	c.Get("k")
	s.fail = true
	if err := c.Commit(Block{Height: 1}, []Write{{"j", []byte("j1")}}); err == nil {
		t.Fatal("the failing commit succeeded")
	}
	for range 2 {
		before := s.readCount()
		if v, _, _ := c.Get("k"); string(v) != "v0" {
			t.Errorf("Get(k) = %q, want v0", v)
		}
		snap, _ := c.Snapshot()
		snapGet(t, s, snap, "j", "j0", false)
		if s.readCount() != before+2 {
			t.Errorf("after a failed commit %d reads reached the store, want 2", s.readCount()-before)
		}
	}
}

// TestReadCacheMemoKeepsFullSlices: what a snapshot's peek returns cannot
// be appended into the cache, and keep follows the same rules as Get.
func TestReadCacheMemoKeepsFullSlices(t *testing.T) {
	s := newVerStore(map[string][]byte{"k": []byte("v0")})
	c := newReadCache(s, 100, 0)
	snap, _ := c.Snapshot()
	m := snap.(memo)
	if _, _, hit := m.peek("k"); hit {
		t.Fatal("peek found a key never read")
	}
	m.keep("k", append(make([]byte, 0, 10), "v0"...))
	v, ok, hit := m.peek("k")
	if !hit || !ok || string(v) != "v0" {
		t.Fatalf("peek after keep = %q %v %v", v, ok, hit)
	}
	if cap(v) != len(v) {
		t.Errorf("peek returned a slice of cap %d for %d bytes", cap(v), len(v))
	}
	_ = append(v, '!')
	if v, _, _ := m.peek("k"); string(v) != "v0" {
		t.Errorf("an append changed the cache: %q", v)
	}
	if err := c.Commit(Block{Height: 1}, []Write{{"other", []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	m.keep("j", []byte("stale")) // a snapshot behind the cache keeps nothing
	if _, _, hit := m.peek("j"); hit {
		t.Error("a snapshot behind the cache kept a value")
	}
}

// TestPeekNumberedIsPeek wants the batched lookup of numbered keys to
// answer each key as peek does, for keys known before and after a
// commit, absent, never read, and more than a batch of them, from a
// snapshot at the commit's height and from one behind it.
func TestPeekNumberedIsPeek(t *testing.T) {
	const n = 700 // more than one batch
	state := map[string][]byte{}
	for i := range n {
		if i%3 != 0 {
			state[string(appendNumber([]byte("p/"), uint64(i)))] = []byte(fmt.Sprint("v", i))
		}
	}
	s := newVerStore(state)
	c := newReadCache(s, 100_000, 0)
	old, _ := c.Snapshot()
	for i := range n {
		if i%5 != 0 { // some never read
			old.Get(string(appendNumber([]byte("p/"), uint64(i))))
		}
	}
	var writes []Write
	for i := 0; i < n; i += 7 {
		writes = append(writes, Write{string(appendNumber([]byte("p/"), uint64(i))), []byte(fmt.Sprint("w", i))})
	}
	if err := c.Commit(Block{Height: 1}, writes); err != nil {
		t.Fatal(err)
	}
	cur, _ := c.Snapshot()
	for _, snap := range []Snapshot{old, cur} {
		m := snap.(memo)
		calls := 0
		m.peekNumbered("p/", n, func(i int) uint64 { return uint64(i) }, func(i int, v []byte, ok, hit bool) {
			calls++
			wv, wok, whit := m.peek(string(appendNumber([]byte("p/"), uint64(i))))
			if string(v) != string(wv) || ok != wok || hit != whit || hit && cap(v) != len(v) {
				t.Fatalf("key %d at %d: peekNumbered %q %v %v, peek %q %v %v", i, snap.Block().Height, v, ok, hit, wv, wok, whit)
			}
		})
		if calls != n {
			t.Errorf("fn called %d times, want %d", calls, n)
		}
	}
}

// TestReadCacheKeepsAStatementAcrossBlocks renders a statement's records
// (10,000 entries and their 10,000 postings) once a block, while each
// block brings other traffic: 5,000 keys read by its txs and 5,000
// written. The cache's two generations of readCacheSize keys must keep
// every record of the statement from one render to the next, also as the
// generations turn over.
func TestReadCacheKeepsAStatementAcrossBlocks(t *testing.T) {
	const entries, traffic = 10_000, 5_000
	state := map[string][]byte{}
	ids := make([]uint64, entries)
	for i := range int64(entries) {
		ids[i] = uint64(i + 1)
		state[keyEntry(ids[i])] = fmt.Appendf(nil, `{"id":%d,"memo":"%0200d"}`, i+1, 0)
		state[keyPosting("mgmt", 202603, i)] = tx.Canonical(PostingRef{Posting: uint64(i + 1), Entry: ids[i], Delta: 1, Balance: i + 1})
	}
	s := newVerStore(state)
	c := newReadCache(s, readCacheSize, 0)
	render := func() int {
		snap, _ := c.Snapshot()
		r := storeReader{snap}
		before := s.readCount()
		refs := monthRefs(r, "mgmt", 202603, 0, entries)
		ids := make([]uint64, len(refs))
		for i, ref := range refs {
			ids[i] = ref.Entry
		}
		got := entryBytes(r, ids)
		if len(refs) != entries || len(got) != entries {
			t.Fatalf("rendered %d postings and %d entries, want %d", len(refs), len(got), entries)
		}
		return s.readCount() - before
	}
	if reads := render(); reads < 2*entries {
		t.Fatalf("the cold render read %d records, want %d", reads, 2*entries)
	}
	rotations := 0
	for h := int64(1); h <= 12; h++ {
		old := c.old
		for i := range traffic {
			c.Get(fmt.Sprintf("unit/%d/%d", h, i))
		}
		ws := make([]Write, traffic)
		for i := range ws {
			ws[i] = Write{fmt.Sprintf("member/%d/%d", h, i), []byte("{}")}
		}
		if err := c.Commit(Block{Height: h}, ws); err != nil {
			t.Fatal(err)
		}
		if reads := render(); reads != 0 {
			t.Errorf("the render after block %d read %d records from the store, want 0", h, reads)
		}
		if fmt.Sprintf("%p", old) != fmt.Sprintf("%p", c.old) {
			rotations++
		}
	}
	if rotations == 0 {
		t.Error("the generations never turned over: the test shows nothing about them")
	}
}
