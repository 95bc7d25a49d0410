package store_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/linli-community/linli/store"
)

func mustOpenGateway(tb testing.TB, file string) *store.Gateway {
	tb.Helper()
	g, err := store.OpenGateway(file)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { g.Close() })
	return g
}

func TestSessionsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "gateway.db")
	s := mustOpenGateway(t, file).Sessions()
	at := time.UnixMilli(1_790_000_000_123)
	if _, _, ok, err := s.Get(ctx, "console", "wang"); ok || err != nil {
		t.Fatalf("fresh Get = ok %v, err %v; want nothing", ok, err)
	}
	if err := s.Put(ctx, "console", "wang", []byte(`{"s":"home"}`), at); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "console", "wang", []byte(`{"s":"votes"}`), at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "wechat", "wang", []byte(`{"s":"other channel"}`), at); err != nil {
		t.Fatal(err)
	}

	s = mustOpenGateway(t, file).Sessions()
	state, updated, ok, err := s.Get(ctx, "console", "wang")
	if err != nil || !ok || string(state) != `{"s":"votes"}` || !updated.Equal(at.Add(time.Second)) {
		t.Fatalf("after reopen Get = %q %v %v %v; want the second Put", state, updated, ok, err)
	}
	if err := s.Delete(ctx, "console", "wang"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.Get(ctx, "console", "wang"); ok {
		t.Error("session still there after Delete")
	}
	if _, _, ok, _ := s.Get(ctx, "wechat", "wang"); !ok {
		t.Error("Delete removed another channel's session")
	}
	if err := s.Delete(ctx, "console", "nobody"); err != nil {
		t.Errorf("Delete of a missing session: %v", err)
	}
}

// User ids and states are bound parameters: text that looks like SQL is
// stored and found as it is and does nothing else.
func TestSessionsStoreSQLLookingTextLiterally(t *testing.T) {
	ctx := context.Background()
	s := mustOpenGateway(t, filepath.Join(t.TempDir(), "gateway.db")).Sessions()
	user := `x'); DROP TABLE sessions; --`
	state := []byte(`'; DELETE FROM sessions WHERE '1'='1`)
	if err := s.Put(ctx, "console", "a", []byte("keep"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "console", user, state, time.Now()); err != nil {
		t.Fatal(err)
	}
	got, _, ok, err := s.Get(ctx, "console", user)
	if err != nil || !ok || !bytes.Equal(got, state) {
		t.Fatalf("Get = %q %v %v, want the state back", got, ok, err)
	}
	if got, _, ok, _ := s.Get(ctx, "console", "a"); !ok || string(got) != "keep" {
		t.Errorf("another session changed: %q %v", got, ok)
	}
}

func TestGatewayIsInWALModeAndApartFromAppState(t *testing.T) {
	dir := t.TempDir()
	g := mustOpenGateway(t, filepath.Join(dir, "gateway.db"))
	g.Close()
	mode, err := store.GatewayJournalMode(filepath.Join(dir, "gateway.db"))
	if err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	// The two files have their own schemas: the app's tables are not in
	// gateway.db.
	if err := store.HasTable(filepath.Join(dir, "gateway.db"), "gateway", "state"); err == nil {
		t.Error("gateway.db has the app's state table")
	}
	if err := store.HasTable(filepath.Join(dir, "gateway.db"), "gateway", "sessions"); err != nil {
		t.Errorf("gateway.db lacks sessions: %v", err)
	}
}
