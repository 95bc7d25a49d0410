package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/linli-community/linli/store"
)

func TestWxGroupLoginRoundTripsAndStaysPrivate(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "gateway.db")
	w := mustOpenGateway(t, file).WxGroup()
	if _, ok, err := w.Login(ctx); ok || err != nil {
		t.Fatalf("fresh Login = ok %v, err %v; want nothing", ok, err)
	}
	at := time.UnixMilli(1_790_000_000_000)
	if err := w.SaveLogin(ctx, []byte(`{"Jar":{"a":1}}`), at); err != nil {
		t.Fatal(err)
	}
	if err := w.SaveLogin(ctx, []byte(`{"Jar":{"b":2}}`), at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Reopened, as `linli start` after `linli wxgroup login`.
	w2 := mustOpenGateway(t, file).WxGroup()
	got, ok, err := w2.Login(ctx)
	if err != nil || !ok || !bytes.Equal(got, []byte(`{"Jar":{"b":2}}`)) {
		t.Fatalf("Login = %q, %v, %v; want the last saved", got, ok, err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		fi, err := os.Stat(file + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", file+suffix, m)
		}
	}
	if err := w2.DeleteLogin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := w2.Login(ctx); ok {
		t.Error("Login after DeleteLogin found one")
	}
}

func TestWxGroupGatewayMadePrivateWhenItWasReadable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gateway.db")
	mustOpenGateway(t, file)
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	mustOpenGateway(t, file)
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("reopened gateway.db has mode %04o, want 0600", m)
	}
}

func TestWxGroupCodeBindsOnceAndExpires(t *testing.T) {
	ctx := context.Background()
	w := mustOpenGateway(t, filepath.Join(t.TempDir(), "gateway.db")).WxGroup()
	now := time.UnixMilli(1_790_000_000_000)
	if err := w.AddCode(ctx, "h3", "3", now.Add(time.Hour), now); err != nil {
		t.Fatal(err)
	}
	if err := w.AddCode(ctx, "hold", "", now.Add(time.Minute), now); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := w.UseCode(ctx, "unknown", "3号楼群", now); ok || err != nil {
		t.Fatalf("unknown code: ok %v, err %v", ok, err)
	}
	b, ok, err := w.UseCode(ctx, "h3", "3号楼群", now)
	if err != nil || !ok || b != "3" {
		t.Fatalf("UseCode = %q, %v, %v; want building 3", b, ok, err)
	}
	if _, ok, _ := w.UseCode(ctx, "h3", "别的群", now); ok {
		t.Error("a code bound twice")
	}
	if _, ok, _ := w.UseCode(ctx, "hold", "过期群", now.Add(time.Minute)); ok {
		t.Error("an expired code bound")
	}
	got, err := w.Bindings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["3号楼群"] != "3" {
		t.Fatalf("Bindings = %v; want only 3号楼群 → 3", got)
	}
	if ok, err := w.Unbind(ctx, "3号楼群"); !ok || err != nil {
		t.Fatalf("Unbind = %v, %v", ok, err)
	}
	if ok, _ := w.Unbind(ctx, "3号楼群"); ok {
		t.Error("Unbind twice reported a binding")
	}
}

func TestWxGroupSendLogCountsAndDedups(t *testing.T) {
	ctx := context.Background()
	w := mustOpenGateway(t, filepath.Join(t.TempDir(), "gateway.db")).WxGroup()
	at := time.UnixMilli(1_790_000_000_000)
	for i, s := range []struct{ group, key string }{{"A", "proposal/1/opened"}, {"A", ""}, {"A", ""}, {"B", "proposal/1/opened"}, {"A", "proposal/1/opened"}} {
		if err := w.RecordSent(ctx, s.group, s.key, at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := w.WasSent(ctx, "A", "proposal/1/opened"); !ok {
		t.Error("WasSent(A) = false")
	}
	if ok, _ := w.WasSent(ctx, "C", "proposal/1/opened"); ok {
		t.Error("WasSent(C) = true")
	}
	var groups []string
	if err := w.SentSince(ctx, at.Add(time.Minute), func(g string, _ time.Time) { groups = append(groups, g) }); err != nil {
		t.Fatal(err)
	}
	// The key sent twice to A is logged once; the answers both count.
	if want := []string{"A", "A", "B"}; len(groups) != len(want) || groups[0] != "A" || groups[2] != "B" {
		t.Fatalf("SentSince = %v, want %v", groups, want)
	}
}

// Two handles opening one new gateway.db at once (linli start, and a
// command or test beside it) must not both apply its migrations.
func TestGatewayOpenedTwiceAtOnceMigratesOnce(t *testing.T) {
	for i := range 10 {
		file := filepath.Join(t.TempDir(), "gateway.db")
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				g, err := store.OpenGateway(file)
				if err == nil {
					g.Close()
				}
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", i+1, err)
			}
		}
	}
}
