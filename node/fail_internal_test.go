package node

import (
	"errors"
	"strings"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// failingDB fails every write, as a database on a full disk does.
type failingDB struct{ dbm.DB }

var errFull = errors.New("write tx_index.db/000042.log: no space left on device")

func (failingDB) Set([]byte, []byte) error { return errFull }
func (d failingDB) NewBatch() dbm.Batch    { return failingBatch{d.DB.NewBatch()} }

type failingBatch struct{ dbm.Batch }

func (failingBatch) Write() error { return errFull }

func TestWatchedDBReportsWriteErrors(t *testing.T) {
	f := newFailure()
	db := &watchedDB{DB: failingDB{dbm.NewMemDB()}, id: "tx_index", f: f}
	if _, err := db.Get([]byte("k")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.done:
		t.Fatal("a read reported a failure")
	default:
	}
	b := db.NewBatch()
	b.Set([]byte("k"), []byte("v"))
	if err := b.Write(); !errors.Is(err, errFull) {
		t.Errorf("batch Write = %v, want the database's error", err)
	}
	select {
	case <-f.done:
	default:
		t.Fatal("a failed batch write was not reported")
	}
	if !strings.Contains(f.err.Error(), "tx_index") || !errors.Is(f.err, errFull) {
		t.Errorf("failure = %v, want it to name the database and wrap its error", f.err)
	}
	// Only the first failure is kept.
	db.Set([]byte("k"), []byte("v"))
	if !strings.Contains(f.err.Error(), "write batch") {
		t.Errorf("failure replaced by a later one: %v", f.err)
	}
}

func TestFailureIgnoresErrorsWhileStopping(t *testing.T) {
	f := newFailure()
	f.stopping.Store(true)
	db := &watchedDB{DB: failingDB{dbm.NewMemDB()}, id: "state", f: f}
	db.Set([]byte("k"), []byte("v"))
	failLogger{cmtlog.NewNopLogger(), f}.Error("CONSENSUS FAILURE!!!", "err", "closed")
	select {
	case <-f.done:
		t.Fatalf("a stopping node reported %v", f.err)
	default:
	}
}

func TestFailLoggerReportsCometBFTsFatalLines(t *testing.T) {
	for msg, fatal := range map[string]bool{
		"CONSENSUS FAILURE!!!":      true,
		"failed writing to WAL":     true,
		"failed to index block":     true,
		"failed to index block txs": true,
		"Stopping peer for error":   false,
		"Error dialing peer":        false,
	} {
		f := newFailure()
		l := failLogger{cmtlog.NewNopLogger(), f}.With("module", "consensus")
		l.Error(msg, "height", 7, "err", errFull)
		select {
		case <-f.done:
			if !fatal {
				t.Errorf("%q reported as a failure", msg)
			} else if !strings.Contains(f.err.Error(), msg) || !strings.Contains(f.err.Error(), "no space") {
				t.Errorf("%q: failure = %v, want the line and its error", msg, f.err)
			}
		default:
			if fatal {
				t.Errorf("%q not reported", msg)
			}
		}
	}
}
