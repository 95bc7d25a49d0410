package node

import (
	"fmt"
	"sync"
	"sync/atomic"

	dbm "github.com/cometbft/cometbft-db"
	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// failure records the first storage failure of a running node. CometBFT
// itself only logs most of them and keeps the process up: a tx index
// write that fails is logged and the block's receipts are lost, a failed
// consensus WAL write is logged, and a panic in consensus (the app's
// commit to app.db, the priv validator's state file) stops consensus but
// not the RPC server, so /health still answers and no supervisor restarts
// the node. Start reports every one of them on Node.Failed instead.
type failure struct {
	once sync.Once
	done chan struct{}
	err  error
	// stopping is set by Close: errors of a node being stopped (writes to
	// databases already closed) are not failures.
	stopping atomic.Bool
}

func newFailure() *failure { return &failure{done: make(chan struct{})} }

func (f *failure) report(err error) {
	if f.stopping.Load() {
		return
	}
	f.once.Do(func() {
		f.err = err
		close(f.done)
	})
}

// fatalLogs are the error lines with which CometBFT reports a failure it
// does not act on. The databases' own write errors are caught by
// watchedDB; these are the files that are not databases and the panics.
var fatalLogs = map[string]bool{
	"CONSENSUS FAILURE!!!":      true, // consensus caught a panic and stopped
	"failed writing to WAL":     true, // the consensus WAL
	"failed to index block":     true, // the tx indexer
	"failed to index block txs": true,
	"failed to add tx to batch": true,
}

// failLogger reports the fatalLogs lines it passes on.
type failLogger struct {
	cmtlog.Logger
	f *failure
}

func (l failLogger) Error(msg string, keyvals ...any) {
	if fatalLogs[msg] {
		l.f.report(fmt.Errorf("%s %v", msg, logErr(keyvals)))
	}
	l.Logger.Error(msg, keyvals...)
}

func (l failLogger) With(keyvals ...any) cmtlog.Logger {
	return failLogger{l.Logger.With(keyvals...), l.f}
}

// logErr returns the "err" value of a log line's key-value pairs.
func logErr(keyvals []any) any {
	for i := 0; i+1 < len(keyvals); i += 2 {
		if k, _ := keyvals[i].(string); k == "err" {
			return keyvals[i+1]
		}
	}
	return ""
}

// watchedDB reports the write errors of a CometBFT database: the block
// store, the state store, the evidence pool and the tx index all write
// through one.
type watchedDB struct {
	dbm.DB
	id string
	f  *failure
}

func (d *watchedDB) check(op string, err error) error {
	if err != nil {
		d.f.report(fmt.Errorf("database %s: %s: %w", d.id, op, err))
	}
	return err
}

func (d *watchedDB) Set(k, v []byte) error     { return d.check("write", d.DB.Set(k, v)) }
func (d *watchedDB) SetSync(k, v []byte) error { return d.check("write", d.DB.SetSync(k, v)) }
func (d *watchedDB) Delete(k []byte) error     { return d.check("delete", d.DB.Delete(k)) }
func (d *watchedDB) DeleteSync(k []byte) error { return d.check("delete", d.DB.DeleteSync(k)) }
func (d *watchedDB) NewBatch() dbm.Batch       { return &watchedBatch{d.DB.NewBatch(), d} }
func (d *watchedDB) Compact(start, end []byte) error {
	return d.check("compact", d.DB.Compact(start, end))
}

type watchedBatch struct {
	dbm.Batch
	d *watchedDB
}

func (b *watchedBatch) Write() error { return b.d.check("write batch", b.Batch.Write()) }
func (b *watchedBatch) WriteSync() error {
	return b.d.check("write batch", b.Batch.WriteSync())
}

// Failed is closed when the node hit a storage failure it cannot go on
// from: a database, a WAL or a state file could not be written, or
// consensus stopped on a panic. The node does not recover by itself: the
// caller should report Err, Close the node and exit, so that a supervisor
// sees it; after the disk is fixed, a restart re-indexes the heights the
// tx index missed (see Start).
func (n *Node) Failed() <-chan struct{} { return n.fail.done }

// Err returns the failure that closed Failed, or nil.
func (n *Node) Err() error {
	select {
	case <-n.fail.done:
		return n.fail.err
	default:
		return nil
	}
}
