package store_test

import (
	"bytes"
	"path/filepath"
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
	if h, hash, err := s.LastBlock(); err != nil || h != 0 || hash != nil {
		t.Fatalf("fresh store LastBlock = %d %x %v", h, hash, err)
	}
	writes := []abci.Write{
		{Key: "unit/10-101", Value: []byte(`{"a":1}`)},
		{Key: "unit/2-101", Value: []byte(`{"a":2}`)},
		{Key: "unit/", Value: []byte(`{}`)},
		{Key: "units", Value: []byte(`{"not":"in prefix unit/"}`)},
		{Key: "unit\xff", Value: []byte(`{}`)},
	}
	if err := s.Commit(1, []byte{1, 2, 3}, writes); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(2, []byte{4}, []abci.Write{{Key: "unit/2-101", Value: nil}}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = mustOpen(t, file)
	h, hash, err := s.LastBlock()
	if err != nil || h != 2 || !bytes.Equal(hash, []byte{4}) {
		t.Fatalf("LastBlock after reopen = %d %x %v, want 2 04", h, hash, err)
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
