package node_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	"github.com/cometbft/cometbft/types"

	"github.com/linli-community/linli/internal/testnode"
	"github.com/linli-community/linli/node"
)

// startKV starts a node on home over a persistent kvstore in dir, so that a
// restart does not replay every block into a fresh app (and index them
// on the way). The returned stop closes node and app once.
func startKV(tb testing.TB, home, dir string) (*node.Node, func()) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	app := kvstore.NewPersistentApplication(dir)
	n, err := node.Start(ctx, home, app, testLogger(tb))
	if err != nil {
		app.Close()
		tb.Fatalf("Start: %v", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		done := make(chan error, 1)
		go func() { done <- n.Close() }()
		select {
		case err := <-done:
			if err != nil {
				tb.Logf("Close: %v", err)
			}
		case <-time.After(30 * time.Second):
			tb.Errorf("Close did not return within 30 s")
		}
		app.Close()
	}
	tb.Cleanup(stop)
	return n, stop
}

// commitTxs commits count kvstore txs and returns their hashes.
func commitTxs(tb testing.TB, n *node.Node, prefix string, count int) [][]byte {
	tb.Helper()
	var hashes [][]byte
	for i := range count {
		t := types.Tx(fmt.Sprintf("%s%d=v", prefix, i))
		res, err := n.Local().BroadcastTxCommit(context.Background(), t)
		if err != nil || res.CheckTx.Code != 0 || res.TxResult.Code != 0 {
			tb.Fatalf("broadcast %s: %v %+v", t, err, res)
		}
		hashes = append(hashes, t.Hash())
	}
	return hashes
}

// missingReceipts returns how many txs of the committed blocks the node's
// tx index cannot find.
func missingReceipts(tb testing.TB, n *node.Node) (missing, total int) {
	tb.Helper()
	ctx := context.Background()
	st, err := n.Local().Status(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	for h := st.SyncInfo.EarliestBlockHeight; h <= st.SyncInfo.LatestBlockHeight; h++ {
		b, err := n.Local().Block(ctx, &h)
		if err != nil {
			tb.Fatalf("block %d: %v", h, err)
		}
		for _, t := range b.Block.Txs {
			total++
			if r, err := n.Local().Tx(ctx, t.Hash(), false); err != nil || r.Height != h {
				missing++
			}
		}
	}
	return missing, total
}

// TestStartReindexesHeightsTheTxIndexLacks loses the whole tx index of a
// stopped node: the next start indexes every committed height again, so
// every receipt is found as soon as Start returns.
func TestStartReindexesHeightsTheTxIndexLacks(t *testing.T) {
	home, opts := newTestHome(t)
	if _, _, err := node.InitHome(opts); err != nil {
		t.Fatal(err)
	}
	kv := t.TempDir()
	n, stop := startKV(t, home, kv)
	hashes := commitTxs(t, n, "k", 6)
	stop()

	if err := os.RemoveAll(filepath.Join(home, "data", "tx_index.db")); err != nil {
		t.Fatal(err)
	}
	n, _ = startKV(t, home, kv)
	for i, h := range hashes {
		if _, err := n.Local().Tx(context.Background(), h, false); err != nil {
			t.Errorf("tx %d after restart: %v", i, err)
		}
	}
	if missing, total := missingReceipts(t, n); missing != 0 || total != len(hashes) {
		t.Errorf("%d of %d committed txs missing from the tx index, want 0 of %d", missing, total, len(hashes))
	}
	res, err := n.Local().BlockSearch(context.Background(), "block.height >= 1", nil, nil, "asc")
	if err != nil || res.TotalCount < 2 {
		t.Errorf("block index after restart: %v, %d blocks", err, res.TotalCount)
	}
}

// TestStartReindexesTheHeightsAboveTheLastIndexed gives a stopped node
// back the tx index it had some blocks earlier, as a full disk or a kill
// leaves it: the heights above the last indexed one are indexed on start,
// and the ones below are kept.
func TestStartReindexesTheHeightsAboveTheLastIndexed(t *testing.T) {
	home, opts := newTestHome(t)
	if _, _, err := node.InitHome(opts); err != nil {
		t.Fatal(err)
	}
	kv := t.TempDir()
	n, stop := startKV(t, home, kv)
	early := commitTxs(t, n, "early", 3)
	stop()
	index := filepath.Join(home, "data", "tx_index.db")
	saved := filepath.Join(t.TempDir(), "tx_index.db")
	if err := os.CopyFS(saved, os.DirFS(index)); err != nil {
		t.Fatal(err)
	}

	n, stop = startKV(t, home, kv)
	late := commitTxs(t, n, "late", 3)
	stop()
	if err := os.RemoveAll(index); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(index, os.DirFS(saved)); err != nil {
		t.Fatal(err)
	}

	n, _ = startKV(t, home, kv)
	for i, h := range append(early, late...) {
		if _, err := n.Local().Tx(context.Background(), h, false); err != nil {
			t.Errorf("tx %d after restart: %v", i, err)
		}
	}
	if missing, total := missingReceipts(t, n); missing != 0 || total != 6 {
		t.Errorf("%d of %d committed txs missing from the tx index, want 0 of 6", missing, total)
	}
}

// TestFullDiskFailsLoudlyAndHealsOnRestart runs a node on a small tmpfs and
// fills it: the node reports the failure on Failed instead of carrying on
// half-stopped, and once space is freed a restart finds every committed
// tx in the tx index, including those of the blocks committed while the
// index could not be written.
func TestFullDiskFailsLoudlyAndHealsOnRestart(t *testing.T) {
	disk := testnode.LimitedDir(t, "64m")
	if disk == "" {
		return // ran in a user namespace, see LimitedDir
	}
	home := filepath.Join(disk, "home")
	_, opts := newTestHome(t)
	opts.Home = home
	if _, _, err := node.InitHome(opts); err != nil {
		t.Fatal(err)
	}
	kv := filepath.Join(disk, "kv")
	n, stop := startKV(t, home, kv)
	acked := commitTxs(t, n, "before", 3)

	filler := filepath.Join(disk, "filler")
	testnode.Fill(t, filler)
	value := strings.Repeat("x", 2000)
	deadline := time.After(60 * time.Second)
	sent := 0
send:
	for {
		select {
		case <-n.Failed():
			break send
		case <-deadline:
			t.Fatalf("the node did not report a failure within 60 s of the disk filling up (%d txs sent)", sent)
		default:
		}
		// Errors are expected once the disk is full; the node must say so
		// on Failed.
		n.Local().BroadcastTxSync(context.Background(), types.Tx(fmt.Sprintf("full%d=%s", sent, value)))
		sent++
	}
	err := n.Err()
	t.Logf("failure after %d txs: %v", sent, err)
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("Err = %v, want the storage failure (no space left on device)", err)
	}
	stop()

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	n, _ = startKV(t, home, kv)
	for i, h := range acked {
		if _, err := n.Local().Tx(context.Background(), h, false); err != nil {
			t.Errorf("tx %d acknowledged before the disk filled: %v", i, err)
		}
	}
	missing, total := missingReceipts(t, n)
	t.Logf("%d committed txs after restart", total)
	if missing != 0 {
		t.Errorf("%d of %d committed txs are missing from the tx index after restart", missing, total)
	}
	commitTxs(t, n, "after", 2)
	if n.Err() != nil {
		t.Errorf("restarted node reports %v", n.Err())
	}
}
