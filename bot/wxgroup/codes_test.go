package wxgroup_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/bot/wxgroup"
	"github.com/linli-community/linli/store"
)

func TestCodesStoreTheHashBuildingAndExpiry(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gateway.db")
	gw, err := store.OpenGateway(file)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	now := time.Date(2026, 3, 10, 2, 0, 0, 500, time.UTC)
	c := &wxgroup.Codes{Store: gw.WxGroup(), TTL: 2 * time.Hour, Now: func() time.Time { return now }}
	ctx := context.Background()
	code, expires, err := c.NewGroupCode(ctx, "3")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d{4} \d{4} \d{4}$`).MatchString(code) {
		t.Errorf("code %q is not three groups of four digits", code)
	}
	if want := time.Date(2026, 3, 10, 4, 0, 0, 0, time.UTC); !expires.Equal(want) {
		t.Errorf("expires %v, want %v", expires, want)
	}
	other, _, err := c.NewGroupCode(ctx, "")
	if err != nil || other == code {
		t.Fatalf("a second code %q (%v), first %q", other, err, code)
	}

	// What gateway.db holds: the hash, the building and the expiry, never
	// the code.
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var building string
	var at int64
	if err := db.QueryRow(`SELECT building, expires_at FROM wxgroup_codes WHERE hash = ?`, wxgroup.HashBindCode(code)).Scan(&building, &at); err != nil {
		t.Fatalf("no row under the code's hash: %v", err)
	}
	if building != "3" || at != expires.UnixMilli() {
		t.Errorf("stored building %q, expiry %d; want 3, %d", building, at, expires.UnixMilli())
	}
	digits := strings.ReplaceAll(code, " ", "")
	rows, err := db.Query(`SELECT hash || '|' || building FROM wxgroup_codes`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var row string
		rows.Scan(&row)
		if strings.Contains(row, digits) {
			t.Errorf("a row holds the code: %s", row)
		}
	}
	for _, f := range []string{file, file + "-wal"} {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), digits) {
			t.Errorf("%s holds the code", filepath.Base(f))
		}
	}

	// The code binds until its expiry, once.
	if _, ok, err := gw.WxGroup().UseCode(ctx, wxgroup.HashBindCode(code), "3号楼业主群", expires); err != nil || ok {
		t.Errorf("the code bound at its expiry: %v %v", ok, err)
	}
	if b, ok, err := gw.WxGroup().UseCode(ctx, wxgroup.HashBindCode(code), "3号楼业主群", expires.Add(-time.Second)); err != nil || !ok || b != "3" {
		t.Errorf("the code before its expiry: %q %v %v", b, ok, err)
	}
	if _, ok, _ := gw.WxGroup().UseCode(ctx, wxgroup.HashBindCode(code), "5号楼群", now); ok {
		t.Error("the code bound twice")
	}
}

func TestCodesDefaultTTL(t *testing.T) {
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	now := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	_, expires, err := (&wxgroup.Codes{Store: gw.WxGroup(), Now: func() time.Time { return now }}).NewGroupCode(context.Background(), "")
	if err != nil || !expires.Equal(now.Add(24*time.Hour)) {
		t.Errorf("expires %v (%v), want 24 h on", expires, err)
	}
}
