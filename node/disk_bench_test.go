package node_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/internal/testnode"
	"github.com/linli-community/linli/node"
)

// diskUsage returns the bytes the files under dir occupy on disk.
func diskUsage(tb testing.TB, dir string) int64 {
	tb.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			n += st.Blocks * 512
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkIdleBlockDisk measures what one empty block of an idle linli
// chain costs on disk (block store, state store, consensus WAL, tx index,
// app.db), over b.N blocks made fast (an empty block every 20 ms), and
// what that comes to per idle day at the default settings: one empty
// block per DefaultEmptyBlocksInterval plus the commit pause. Run it with
// a fixed count, such as -benchtime 3000x: leveldb compacts in steps.
func BenchmarkIdleBlockDisk(b *testing.B) {
	g := abci.GenesisState{Community: "阳光花园", Admins: []tx.Address{tx.AddressOf(make([]byte, 32))}, Params: abci.DefaultParams()}
	n, home := testnode.Start(b, testnode.Options{ChainID: "linli-disk", Genesis: g, TimeoutCommit: time.Millisecond, EmptyBlocks: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	blocks, err := n.Local().Subscribe(ctx, "disk-bench", types.EventQueryNewBlock.String(), 1000)
	if err != nil {
		b.Fatal(err)
	}
	<-blocks // the first blocks settle genesis
	<-blocks
	before := diskUsage(b, home)
	b.ResetTimer()
	for range b.N {
		select {
		case <-blocks:
		case <-ctx.Done():
			b.Fatal(ctx.Err())
		}
	}
	b.StopTimer()
	perBlock := float64(diskUsage(b, home)-before) / float64(b.N)
	perDay := 24 * time.Hour / (node.DefaultEmptyBlocksInterval + node.DefaultTimeoutCommit)
	b.ReportMetric(perBlock, "B/block")
	logUsage(b, home)
	b.ReportMetric(perBlock*float64(perDay)/1e6, "MB/idle-day")
}

// logUsage logs what each part of a home's data takes.
func logUsage(b *testing.B, home string) {
	for _, d := range []string{"blockstore.db", "state.db", "tx_index.db", "cs.wal", "app.db"} {
		b.Logf("%s: %d bytes", d, diskUsage(b, filepath.Join(home, "data", d)))
	}
}

// BenchmarkSparseTxDisk measures what a tx costs on disk on a chain that
// is otherwise idle: an announcement of 200 characters, alone in its
// block, with the block after it that signs the new app hash, and the
// empty blocks between (one per 20 ms interval while the client waits).
// The figure is per tx, empty blocks included; compare with
// BenchmarkIdleBlockDisk for what the txs alone add.
func BenchmarkSparseTxDisk(b *testing.B) {
	seed := sha256.Sum256([]byte("disk admin"))
	admin := ed25519.NewKeyFromSeed(seed[:])
	g := abci.GenesisState{Community: "阳光花园", Admins: []tx.Address{tx.AddressOf(admin.Public().(ed25519.PublicKey))}, Params: abci.DefaultParams()}
	n, home := testnode.Start(b, testnode.Options{ChainID: "linli-disk", Genesis: g, TimeoutCommit: time.Millisecond, EmptyBlocks: 20 * time.Millisecond})
	ctx := context.Background()
	text := string([]rune(strings.Repeat("本周六上午九点清洗二次供水水箱，届时停水两小时，请提前储水。", 7))[:200])
	post := func(nonce uint64) {
		t := tx.New("linli-disk", nonce, &tx.AnnouncementPost{Title: "停水通知", Text: text})
		t.Sign(admin)
		res, err := n.Local().BroadcastTxCommit(ctx, t.Encode())
		if err != nil || res.CheckTx.Code != 0 || res.TxResult.Code != 0 {
			b.Fatalf("announcement: %v %+v", err, res)
		}
	}
	post(1)
	st, _ := n.Local().Status(ctx)
	h0 := st.SyncInfo.LatestBlockHeight
	before := diskUsage(b, home)
	b.ResetTimer()
	for i := range b.N {
		post(uint64(i + 2))
	}
	b.StopTimer()
	st, _ = n.Local().Status(ctx)
	b.ReportMetric(float64(diskUsage(b, home)-before)/float64(b.N), "B/tx")
	b.ReportMetric(float64(st.SyncInfo.LatestBlockHeight-h0)/float64(b.N), "blocks/tx")
	logUsage(b, home)
}
