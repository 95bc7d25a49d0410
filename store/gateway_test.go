package store_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// A damaged gateway.db never stops the node: it is moved aside and a
// fresh one started, saying what was lost.
func TestDamagedGatewayIsMovedAside(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, file string)
	}{
		{"NotADatabase", func(t *testing.T, file string) {
			if err := os.WriteFile(file, bytes.Repeat([]byte("not sqlite "), 1000), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"DamagedPages", func(t *testing.T, file string) {
			g, err := store.OpenGateway(file)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for i := range 200 {
				g.Sessions().Put(ctx, "wechat", fmt.Sprintf("user-%03d", i), bytes.Repeat([]byte("x"), 500), time.Now())
			}
			g.Close()
			// Overwrite a page in the middle, past the header.
			f, err := os.OpenFile(file, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, 4096), 4096*3); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "gateway.db")
			// Start from a checkpointed file: WAL frames would hide the damage.
			tc.damage(t, file)
			os.Remove(file + "-wal")
			os.Remove(file + "-shm")
			g, err := store.OpenGateway(file)
			if err != nil {
				t.Fatalf("a damaged gateway.db stops the node: %v", err)
			}
			defer g.Close()
			if !strings.Contains(g.Recovered, "moved to "+file+".damaged-") || !strings.Contains(g.Recovered, "sessions") {
				t.Errorf("Recovered = %q", g.Recovered)
			}
			matches, _ := filepath.Glob(file + ".damaged-*")
			if len(matches) != 1 {
				t.Errorf("moved aside: %v", matches)
			}
			if err := g.Sessions().Put(context.Background(), "wechat", "u", []byte("{}"), time.Now()); err != nil {
				t.Errorf("the fresh file does not work: %v", err)
			}
		})
	}
	// A sound file is not touched.
	file := filepath.Join(t.TempDir(), "gateway.db")
	mustOpenGateway(t, file).Close()
	if g := mustOpenGateway(t, file); g.Recovered != "" {
		t.Errorf("a sound file: %q", g.Recovered)
	}
}

// Deleted rows (pruned replies, sessions) are overwritten, not left in
// free pages.
func TestGatewaySecureDelete(t *testing.T) {
	g := mustOpenGateway(t, filepath.Join(t.TempDir(), "gateway.db"))
	if on, err := store.GatewaySecureDelete(g); err != nil || on != 1 {
		t.Errorf("secure_delete = %d, %v; want 1", on, err)
	}
}
