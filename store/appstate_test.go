package store_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/store"
)

func mustOpen(tb testing.TB, file string) *store.AppState {
	tb.Helper()
	s, err := store.OpenAppState(file)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestCommitIsDurableAndOrdered(t *testing.T) {
	file := filepath.Join(t.TempDir(), "app.db")
	s := mustOpen(t, file)
	if b, err := s.LastBlock(); err != nil || b.Height != 0 || b.AppHash != nil || b.Time != 0 {
		t.Fatalf("fresh store LastBlock = %+v %v", b, err)
	}
	writes := []abci.Write{
		{Key: "unit/10-101", Value: []byte(`{"a":1}`)},
		{Key: "unit/2-101", Value: []byte(`{"a":2}`)},
		{Key: "unit/", Value: []byte(`{}`)},
		{Key: "units", Value: []byte(`{"not":"in prefix unit/"}`)},
		{Key: "unit\xff", Value: []byte(`{}`)},
	}
	if err := s.Commit(abci.Block{Height: 1, AppHash: []byte{1, 2, 3}, Time: 1_700_000_000}, writes); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(abci.Block{Height: 2, AppHash: []byte{4}, Time: 1_700_000_030}, []abci.Write{{Key: "unit/2-101", Value: nil}}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = mustOpen(t, file)
	b, err := s.LastBlock()
	if err != nil || b.Height != 2 || !bytes.Equal(b.AppHash, []byte{4}) || b.Time != 1_700_000_030 {
		t.Fatalf("LastBlock after reopen = %+v %v, want height 2, hash 04, time 1700000030", b, err)
	}
	var keys []string
	if err := s.Scan("unit/", func(k string, _ []byte) bool { keys = append(keys, k); return true }); err != nil {
		t.Fatal(err)
	}
	if got, want := keys, []string{"unit/", "unit/10-101"}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Scan(unit/) = %q, want %q (2-101 deleted, bytewise order)", got, want)
	}
	if _, ok, _ := s.Get("unit/2-101"); ok {
		t.Errorf("deleted key still present")
	}
	v, ok, err := s.Get("unit/10-101")
	if err != nil || !ok || string(v) != `{"a":1}` {
		t.Errorf("Get = %q %v %v", v, ok, err)
	}
}

func TestFileIsInWALModeAndNewerSchemaIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "app.db")
	s := mustOpen(t, file)
	s.Close()
	mode, err := store.JournalMode(file)
	if err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	// A schema version from the future must not be silently used.
	if err := store.SetUserVersion(file, 99); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenAppState(file); err == nil {
		t.Fatal("opened a file with a newer schema")
	}
}

func TestSnapshotShowsOneCommitWhileLaterOnesLand(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "app.db"))
	if err := s.Commit(abci.Block{Height: 1, AppHash: []byte{1}, Time: 100}, []abci.Write{
		{Key: "k/a", Value: []byte("a1")}, {Key: "k/b", Value: []byte("b1")},
	}); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	// A commit while the snapshot is open must neither wait for it nor
	// show through it.
	if err := s.Commit(abci.Block{Height: 2, AppHash: []byte{2}, Time: 130}, []abci.Write{
		{Key: "k/a", Value: []byte("a2")}, {Key: "k/b", Value: nil}, {Key: "k/c", Value: []byte("c2")},
	}); err != nil {
		t.Fatalf("commit beside an open snapshot: %v", err)
	}
	if b := snap.Block(); b.Height != 1 || b.Time != 100 || !bytes.Equal(b.AppHash, []byte{1}) {
		t.Errorf("snapshot Block = %+v, want height 1, time 100", b)
	}
	if v, ok, err := snap.Get("k/a"); err != nil || !ok || string(v) != "a1" {
		t.Errorf("snapshot Get(k/a) = %q %v %v, want a1", v, ok, err)
	}
	var got []string
	if err := snap.Scan("k/", func(k string, v []byte) bool {
		// A read inside a scan's callback uses the same snapshot.
		again, _, err := snap.Get(k)
		if err != nil {
			t.Errorf("Get inside Scan: %v", err)
		}
		got = append(got, k+"="+string(v)+"/"+string(again))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if want := "k/a=a1/a1 k/b=b1/b1"; strings.Join(got, " ") != want {
		t.Errorf("snapshot Scan = %q, want %q", strings.Join(got, " "), want)
	}
	if v, ok, _ := s.Get("k/a"); !ok || string(v) != "a2" {
		t.Errorf("store Get(k/a) = %q, want the new commit's a2", v)
	}
	if err := snap.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	snap2, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap2.Close()
	if b := snap2.Block(); b.Height != 2 || b.Time != 130 {
		t.Errorf("new snapshot Block = %+v, want height 2", b)
	}
	if _, ok, _ := snap2.Get("k/b"); ok {
		t.Errorf("new snapshot still has the deleted k/b")
	}
}
