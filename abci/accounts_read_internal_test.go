package abci

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/linli-community/linli/abci/tx"
)

// TestScanRangeVisitsExactlyTheRange wants scanRange to call back every
// stored key of the range, in order, and nothing else, for ranges that
// start and end on and off every decimal boundary, including empty ones.
func TestScanRangeVisitsExactlyTheRange(t *testing.T) {
	s := &mapStore{m: map[string][]byte{}}
	var stored []int64
	for n := int64(0); n < 12_345; n++ {
		if n%7 != 3 { // some keys missing
			s.m[fmt.Sprintf("k/%020d", n)] = []byte("{}")
			stored = append(stored, n)
		}
	}
	s.m["k/x"], s.m["j/00000000000000000005"] = []byte("{}"), []byte("{}") // beside the range's keys
	rng := rand.New(rand.NewPCG(3, 4))
	ranges := [][2]int64{{0, 0}, {0, 1}, {0, 10}, {0, 12_345}, {0, 20_000}, {9, 11}, {99, 1_001}, {1_200, 1_530}, {10_000, 10_000}, {12_340, 99_999}}
	for range 80 {
		lo := rng.Int64N(13_000)
		ranges = append(ranges, [2]int64{lo, lo + rng.Int64N(3_000)})
	}
	for _, lh := range ranges {
		var got []int64
		scanRange(storeReader{s}, "k/", lh[0], lh[1], func(key string, _ []byte) {
			var n int64
			fmt.Sscanf(key, "k/%d", &n)
			got = append(got, n)
		})
		var want []int64
		for _, n := range stored {
			if n >= lh[0] && n < lh[1] {
				want = append(want, n)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("[%d, %d): %d keys, want %d", lh[0], lh[1], len(got), len(want))
		}
	}
}

// TestEntryBytesReadsEveryWantedEntry wants entryBytes to return each
// wanted entry that exists, and only those, whether the ids are close
// (scanned) or far apart (read one by one), in any order and repeated.
func TestEntryBytesReadsEveryWantedEntry(t *testing.T) {
	s := &mapStore{m: map[string][]byte{}}
	for id := uint64(1); id <= 5_000; id++ {
		if id%11 != 0 {
			s.m[keyEntry(id)] = fmt.Appendf(nil, `{"id":%d}`, id)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 50 {
		var ids []uint64
		for range rng.IntN(400) {
			switch rng.IntN(3) {
			case 0:
				ids = append(ids, 1+rng.Uint64N(5_100)) // anywhere, perhaps missing
			default:
				ids = append(ids, 2_000+rng.Uint64N(50+uint64(round)*20)) // dense
			}
		}
		got := entryBytes(storeReader{s}, ids)
		want := map[uint64]string{}
		for _, id := range ids {
			if b, ok := s.m[keyEntry(id)]; ok {
				want[id] = string(b)
			}
		}
		if len(got) != len(want) {
			t.Errorf("round %d: %d entries, want %d", round, len(got), len(want))
		}
		for id, b := range want {
			if string(got[id]) != b {
				t.Errorf("round %d: entry %d = %q, want %q", round, id, got[id], b)
			}
		}
	}
}

// TestParsePostingRefAgreesWithJSON wants the fast reading of a stored
// PostingRef to give what encoding/json gives, and to refuse every other
// form (which is then decoded as JSON).
func TestParsePostingRefAgreesWithJSON(t *testing.T) {
	for _, ref := range []PostingRef{{}, {Posting: 1, Time: 1_772_326_800, Entry: 7, Delta: -5_000, Balance: 0},
		{Posting: 1<<63 - 1, Time: -1, Entry: 1<<63 - 1, Delta: -1 << 63, Balance: 1<<63 - 1}} {
		got, ok := parsePostingRef(tx.Canonical(ref))
		if !ok || got != ref {
			t.Errorf("%s: %+v %v, want %+v", tx.Canonical(ref), got, ok, ref)
		}
	}
	for _, bad := range []string{``, `{}`, `{"posting":1,"time":2,"entry":3,"delta":4}`, `{"posting":1,"time":2,"entry":3,"delta":4,"balance":5} `,
		`{"posting":1,"time":2,"entry":3,"delta":4,"balance":5,"x":1}`, `{"posting":-1,"time":2,"entry":3,"delta":4,"balance":5}`,
		`{"posting":1,"time":2,"entry":3,"delta":4.5,"balance":5}`, `{"posting":,"time":2,"entry":3,"delta":4,"balance":5}`,
		`{"time":2,"posting":1,"entry":3,"delta":4,"balance":5}`, `{"posting":99999999999999999999,"time":2,"entry":3,"delta":4,"balance":5}`} {
		if got, ok := parsePostingRef([]byte(bad)); ok {
			t.Errorf("%s: read as %+v, want refused", bad, got)
		}
	}
}

// TestAppendNumberIsPercent020d: the keys built without fmt are the keys
// fmt builds.
func TestAppendNumberIsPercent020d(t *testing.T) {
	for _, n := range []uint64{0, 1, 9, 10, 12_345, 1<<63 - 1, 1<<64 - 1} {
		if got, want := string(appendNumber([]byte("p/"), n)), fmt.Sprintf("p/%020d", n); got != want {
			t.Errorf("%d: %s, want %s", n, got, want)
		}
	}
	if got, want := keyEntry(42), "ledger/entry/00000000000000000042"; got != want {
		t.Errorf("keyEntry(42) = %s, want %s", got, want)
	}
}

// TestLedgerReadsUseTheReadCache reads entries and postings through a
// read cache's snapshot: cold, warm, and with some of them forgotten. The
// answers must equal those read straight from the store, a warm read must
// reach the store for nothing, and a partly warm one only near what was
// forgotten.
func TestLedgerReadsUseTheReadCache(t *testing.T) {
	const n = 3_000
	state := map[string][]byte{}
	for i := range int64(n) {
		if i%13 != 5 { // some entries missing
			state[keyEntry(uint64(i))] = fmt.Appendf(nil, `{"id":%d}`, i)
		}
		state[keyPosting("mgmt", 202603, i)] = tx.Canonical(PostingRef{Posting: uint64(i + 1), Time: 1, Entry: uint64(i), Delta: i, Balance: 2 * i})
	}
	s := newVerStore(state)
	c := newReadCache(s, readCacheSize, 0)
	direct := storeReader{verSnapshot{s, 0}}
	rng := rand.New(rand.NewPCG(7, 8))
	// Postings name stored entries only; a wanted entry that is not
	// stored is read again each time (a scan remembers what it finds).
	var ids, absent []uint64
	for range 2_000 {
		id := rng.Uint64N(n + 50)
		if _, ok := state[keyEntry(id)]; ok {
			ids = append(ids, id)
		} else {
			absent = append(absent, id)
		}
	}
	wantEntries := entryBytes(direct, ids)
	wantRefs := monthRefs(direct, "mgmt", 202603, 100, n-100)
	check := func(label string, maxReads int) {
		t.Helper()
		snap, _ := c.Snapshot()
		r := storeReader{snap}
		before := s.readCount()
		got := entryBytes(r, ids)
		refs := monthRefs(r, "mgmt", 202603, 100, n-100)
		if reads := s.readCount() - before; reads > maxReads {
			t.Errorf("%s: %d reads reached the store, want at most %d", label, reads, maxReads)
		}
		if !maps.EqualFunc(got, wantEntries, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Errorf("%s: entries differ from the store's", label)
		}
		if !slices.Equal(refs, wantRefs) {
			t.Errorf("%s: %d postings differ from the store's %d", label, len(refs), len(wantRefs))
		}
	}
	check("cold", 2*n)
	check("warm", 0)
	// Forget every seventh key: the reads are those keys and the rows
	// between close ones, never the whole range again.
	forgot := 0
	for k := range c.cur {
		if len(k)%7 == 0 || k[len(k)-1] == '7' {
			delete(c.cur, k)
			forgot++
		}
	}
	check("partly warm", forgot*2)
	check("warm again", 0)
	ids = append(ids, absent...)
	wantEntries = entryBytes(direct, ids)
	check("with absent entries", 2*n)
	for _, id := range absent {
		if _, ok := wantEntries[id]; ok {
			t.Errorf("entry %d, not stored, was found", id)
		}
	}
}
