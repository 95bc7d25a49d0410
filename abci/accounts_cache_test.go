package abci_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// ledgerReadStore counts the ledger records (entries and postings) that
// its snapshots read from the store below: what the app's read cache did
// not have.
type ledgerReadStore struct {
	abci.Store
	reads atomic.Int64
}

func (s *ledgerReadStore) Snapshot() (abci.Snapshot, error) {
	snap, err := s.Store.Snapshot()
	if err != nil {
		return nil, err
	}
	return ledgerReadSnapshot{snap, s}, nil
}

func (s *ledgerReadStore) count(key string) {
	if strings.HasPrefix(key, "ledger/entry/") || strings.HasPrefix(key, "ledger/post/") {
		s.reads.Add(1)
	}
}

type ledgerReadSnapshot struct {
	abci.Snapshot
	s *ledgerReadStore
}

func (l ledgerReadSnapshot) Get(key string) ([]byte, bool, error) {
	l.s.count(key)
	return l.Snapshot.Get(key)
}

func (l ledgerReadSnapshot) Scan(prefix string, fn func(string, []byte) bool) error {
	return l.Snapshot.Scan(prefix, func(k string, v []byte) bool {
		l.s.count(k)
		return fn(k, v)
	})
}

// TestLedgerAnswersFromTheReadCache asks for a statement, an account's
// entries and a page of them cold, then again from the read cache, then
// after a block that reverses an entry (rewriting it) and records more
// (new postings): every answer must be byte for byte the one a fresh app
// over the same SQLite file gives with an empty cache, and the warm
// answers must come from memory.
func TestLedgerAnswersFromTheReadCache(t *testing.T) {
	counter := &ledgerReadStore{}
	c := newChainWrapped(t, func(s abci.Store) abci.Store { counter.Store = s; return counter })
	grantLedgerRoles(c)
	c.at(time.Date(2026, 3, 2, 9, 0, 0, 0, cst))
	for blk := range 4 {
		var txs [][]byte
		for i := range 60 {
			acct := []string{"mgmt", "public", "committee"}[i%3]
			txs = append(txs, record(c, "treasurer", tx.EntryIncome, acct, int64(10_000+blk*100+i), "物业费"))
		}
		c.mustOK(txs...)
	}
	paths := []string{"accounts/statement/2026-03/2026-03", "accounts/mgmt/entries/2026-03/2026-03", "accounts/public/page/2026-03/5/30"}
	ask := func(app *abci.App, path string) []byte {
		t.Helper()
		res, err := app.Query(context.Background(), queryReq(path))
		if err != nil || res.Code != 0 {
			t.Fatalf("%s: %v code %d %s", path, err, res.Code, res.Log)
		}
		return res.Value
	}
	compare := func(label string, wantReads bool) {
		t.Helper()
		fresh, err := abci.New(c.store)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			before := counter.reads.Load()
			got := ask(c.app, path)
			reads := counter.reads.Load() - before
			if want := ask(fresh, path); !bytes.Equal(got, want) {
				t.Errorf("%s: %s differs from a fresh app's answer:\n%s\nwant\n%s", label, path, got, want)
			}
			if !wantReads && reads != 0 {
				t.Errorf("%s: %s read %d ledger records from the store, want all from memory", label, path, reads)
			}
			if wantReads && reads == 0 && path == paths[0] {
				t.Errorf("%s: %s read nothing from the store", label, path)
			}
		}
	}
	// The blocks' commits left their records in the cache; a restarted
	// app starts with it empty.
	app, err := abci.New(counter)
	if err != nil {
		t.Fatal(err)
	}
	c.app = app
	compare("cold", true)
	compare("warm", false)

	// Entry 7 (mgmt) is reversed, which rewrites it and posts the
	// reversal; two more entries post at the month's end.
	c.mustOK(reverse(c, "treasurer", 7), record(c, "treasurer", tx.EntryIncome, "mgmt", 555, "停车费"),
		record(c, "treasurer", tx.EntryExpense, "public", 444, "保洁"))
	if e := c.entry(7); e.ReversedBy == 0 {
		t.Fatalf("entry 7 was not reversed: %+v", e)
	}
	// The block's writes are remembered as it commits: the reversed entry
	// and the new postings come from memory too.
	compare("after a reversal", false)
}

// TestLedgerAnswersDuringCommits asks for an account's entries and the
// statement over and over while blocks commit (each recording entries and
// reversing an earlier one, which rewrites it): every answer must be the
// one a fresh app gave at the height the answer reports, whichever step
// of a commit the query met.
func TestLedgerAnswersDuringCommits(t *testing.T) {
	c := ledgerChain(t)
	c.at(time.Date(2026, 3, 2, 9, 0, 0, 0, cst))
	paths := []string{"accounts/mgmt/entries/2026-03/2026-03", "accounts/statement/2026-03/2026-03"}
	type answer struct {
		height int64
		value  string
	}
	want := map[string]map[int64]string{}
	remember := func() {
		fresh, err := abci.New(c.store)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			res, err := fresh.Query(context.Background(), queryReq(path))
			if err != nil || res.Code != 0 {
				t.Fatalf("%s: %v %+v", path, err, res)
			}
			if want[path] == nil {
				want[path] = map[int64]string{}
			}
			want[path][res.Height] = string(res.Value)
		}
	}
	remember()
	done := make(chan struct{})
	got := make(chan []answer)
	go func() {
		var as []answer
		for i := 0; ; i++ {
			path := paths[i%len(paths)]
			res, err := c.app.Query(context.Background(), queryReq(path))
			if err != nil || res.Code != 0 {
				t.Errorf("%s during the commits: %v %+v", path, err, res)
			}
			as = append(as, answer{res.Height, path + "\n" + string(res.Value)})
			select {
			case <-done:
				got <- as
				return
			default:
			}
		}
	}()
	for blk := range 15 {
		var txs [][]byte
		if blk > 0 {
			txs = append(txs, reverse(c, "treasurer", uint64(1+blk*3)))
		}
		for i := range 20 {
			txs = append(txs, record(c, "treasurer", tx.EntryIncome, "mgmt", int64(1_000+blk*100+i), "物业费"))
		}
		c.mustOK(txs...)
		remember()
	}
	close(done)
	answers := <-got
	t.Logf("%d answers, last at height %d", len(answers), answers[len(answers)-1].height)
	for _, a := range answers {
		path, value, _ := strings.Cut(a.value, "\n")
		if w, ok := want[path][a.height]; !ok || value != w {
			t.Errorf("%s at height %d differs from a fresh app's answer at that height", path, a.height)
		}
	}
}

// TestLedgerLinesAfterBlocks asks for every large accounts answer, warm,
// after each kind of block that adds or changes lines the read cache
// remembers: new postings, the reversal of an old entry (which rewrites
// its line), the approval of a pending spending (whose lines appear
// only then), a transfer between two accounts (a line in each) and its
// reversal (which rewrites both). Each answer, asked twice, must be byte
// for byte a fresh app's over the same SQLite file.
func TestLedgerLinesAfterBlocks(t *testing.T) {
	c := ledgerChain(t)
	c.at(time.Date(2026, 3, 2, 9, 0, 0, 0, cst))
	for blk := range 3 {
		var txs [][]byte
		for i := range 30 {
			acct := []string{"mgmt", "public", "committee"}[i%3]
			txs = append(txs, record(c, "treasurer", tx.EntryIncome, acct, int64(100_000+blk*100+i), "物业费"))
		}
		c.mustOK(txs...)
	}
	var paths []string
	for _, acct := range []string{"mgmt", "public", "committee"} {
		paths = append(paths, "accounts/"+acct+"/entries/2026-03/2026-04", "accounts/"+acct+"/page/2026-03/0/7",
			"accounts/"+acct+"/page/2026-03/3/200", "accounts/"+acct+"/page/2026-04/0/5")
	}
	paths = append(paths, "accounts/statement/2026-03/2026-04", "accounts/statement/2026-04/2026-04")
	ask := func(app *abci.App, path string) []byte {
		t.Helper()
		res, err := app.Query(context.Background(), queryReq(path))
		if err != nil || res.Code != 0 {
			t.Fatalf("%s: %v code %d %s", path, err, res.Code, res.Log)
		}
		return res.Value
	}
	compare := func(label string) {
		t.Helper()
		fresh, err := abci.New(c.store)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			want := ask(fresh, path)
			for _, round := range []string{"first", "again"} {
				if got := ask(c.app, path); !bytes.Equal(got, want) {
					t.Errorf("%s, %s answer: %s differs from a fresh app's:\n%s\nwant\n%s", label, round, path, got, want)
				}
			}
		}
	}
	// id returns the entry that tx i of a block's results recorded.
	id := func(res []*abcitypes.ExecTxResult, i int) uint64 {
		t.Helper()
		wantCodes(t, res, make([]abci.Code, len(res))...)
		rec, ok := event(res[i], "entry.recorded")
		if !ok {
			t.Fatalf("tx %d recorded no entry", i)
		}
		n, err := strconv.ParseUint(rec["id"], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	compare("before any change")

	c.mustOK(record(c, "treasurer", tx.EntryIncome, "mgmt", 321, "停车费"), record(c, "treasurer", tx.EntryExpense, "public", 123, "保洁"))
	compare("after new postings")

	c.mustOK(reverse(c, "treasurer", 4))
	if e := c.entry(4); e.ReversedBy == 0 {
		t.Fatalf("entry 4 was not reversed: %+v", e)
	}
	compare("after an old entry's reversal")

	pending := id(c.block(record(c, "treasurer", tx.EntryExpense, "mgmt", 600_000, "电梯维保")), 0)
	if e := c.entry(pending); e.Status != abci.EntryPending {
		t.Fatalf("entry %d = %s, want pending", pending, e.Status)
	}
	compare("while a spending waits")
	c.mustOK(approve(c, "admin2", pending))
	compare("after its first approval")
	c.at(time.Date(2026, 4, 1, 8, 0, 0, 0, cst))
	c.mustOK(approve(c, "admin3", pending))
	if e := c.entry(pending); e.Status != abci.EntryPosted {
		t.Fatalf("entry %d = %s after its approvals, want posted", pending, e.Status)
	}
	compare("after it was approved")

	moved := id(c.block(transfer(c, "treasurer", "mgmt", "public", 5_000)), 0)
	compare("after a transfer")
	c.mustOK(reverse(c, "treasurer", moved))
	if e := c.entry(moved); e.ReversedBy == 0 {
		t.Fatalf("transfer %d was not reversed: %+v", moved, e)
	}
	compare("after the transfer's reversal")
}
