package node

import (
	"testing"

	dbm "github.com/cometbft/cometbft-db"
)

// A straggling reader after Close finds nothing instead of an error the
// block store would panic on; writes still fail.
func TestQuietClosedDBReadsNothingAfterClose(t *testing.T) {
	raw, err := dbm.NewGoLevelDB("blockstore", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db := &quietClosedDB{DB: raw}
	if err := db.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, err := db.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("Get before Close = %q, %v", v, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Get([]byte("k")); err == nil {
		t.Fatal("the underlying database still reads after Close; the test proves nothing")
	}
	if v, err := db.Get([]byte("k")); err != nil || v != nil {
		t.Errorf("Get after Close = %q, %v; want nothing and no error", v, err)
	}
	if ok, err := db.Has([]byte("k")); err != nil || ok {
		t.Errorf("Has after Close = %v, %v; want false and no error", ok, err)
	}
	if err := db.Set([]byte("k"), []byte("w")); err == nil {
		t.Error("Set after Close succeeded")
	}
}
