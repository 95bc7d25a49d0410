package workload_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/workload"
)

// TestDefaultMixCommits sets a community up on a real node and drives the
// default mix until every kind of op in it has committed, each with code
// 0: the mix never sends a tx the chain refuses.
func TestDefaultMixCommits(t *testing.T) {
	lc, admin := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := workload.Setup(ctx, lc, admin, workload.Options{Members: 3, Treasurers: 1, Polls: 2})
	if err != nil {
		t.Fatal(err)
	}
	if c.Decision == 0 || len(c.Polls) != 2 || len(c.Items) != 3 {
		t.Fatalf("setup: decision %d, polls %v, items %v; want a decision, 2 polls, 3 items", c.Decision, c.Polls, c.Items)
	}

	var mu sync.Mutex
	seen := map[string]int{}
	dctx, stop := context.WithCancel(ctx)
	go func() {
		for dctx.Err() == nil {
			mu.Lock()
			all := true
			for _, op := range workload.DefaultMix() {
				all = all && seen[op.Name] > 0
			}
			mu.Unlock()
			if all {
				stop()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	c.Drive(dctx, []*ledger.Client{lc}, 10*time.Second, func(r workload.Receipt) {
		if r.Code != 0 {
			t.Errorf("%s of sender %d: code %d (%s): %s", r.Op, r.Sender, r.Code, abci.Code(r.Code), r.Log)
		}
		mu.Lock()
		seen[r.Op]++
		mu.Unlock()
	})
	stop()
	for _, op := range workload.DefaultMix() {
		if seen[op.Name] == 0 {
			t.Errorf("no %s committed within the time limit (seen %v)", op.Name, seen)
		}
	}
}

// startNode runs a one-validator node with fast blocks in this process
// and returns a client for it and the genesis admin's key.
func startNode(tb testing.TB) (*ledger.Client, ed25519.PrivateKey) {
	tb.Helper()
	home := tb.TempDir()
	admin, err := keys.Generate()
	if err != nil {
		tb.Fatal(err)
	}
	params := abci.DefaultParams()
	params.MinNotice = 0
	appState, _ := json.Marshal(abci.GenesisState{Community: "测试小区", Admins: []tx.Address{keys.Address(admin)}, Params: params})
	addrs, err := node.FreeLoopbackAddrs(2)
	if err != nil {
		tb.Fatal(err)
	}
	rpc, p2p := addrs[0], addrs[1]
	if _, _, err := node.InitHome(node.HomeOptions{Home: home, ChainID: "linli-load", AppState: appState,
		RPCListen: rpc, P2PListen: p2p, TimeoutCommit: 100 * time.Millisecond, EmptyBlocksInterval: 250 * time.Millisecond}); err != nil {
		tb.Fatal(err)
	}
	st, err := store.OpenAppState(filepath.Join(home, "data", "app.db"))
	if err != nil {
		tb.Fatal(err)
	}
	app, err := abci.New(st)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := node.Start(ctx, home, app, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		n.Close()
		st.Close()
	})
	lc := ledger.New(n.Local())
	lc.PollInterval = 10 * time.Millisecond
	return lc, admin
}
