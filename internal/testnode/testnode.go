// Package testnode starts a real single-validator linli node for tests: a
// fresh home in the test's temp dir, free loopback ports, the linli app
// over a real app.db, stopped and closed when the test ends (also when it
// fails). It is for tests only and imports abci, store and node.
package testnode

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/node"
	"github.com/linli-community/linli/store"
)

// Options describe the chain to start.
type Options struct {
	ChainID string
	Genesis abci.GenesisState
	// TimeoutCommit is the pause between blocks; zero means 100 ms.
	TimeoutCommit time.Duration
	// EmptyBlocks is how long the idle chain waits before an empty block;
	// zero means 250 ms, so tests waiting for a deadline wait little.
	EmptyBlocks time.Duration
}

// Start initialises a home under tb.TempDir() and runs a node in it until
// the test ends. It returns the node and its home directory.
func Start(tb testing.TB, o Options) (*node.Node, string) {
	tb.Helper()
	home := initHome(tb, o, filepath.Join(tb.TempDir(), "home"))
	return run(tb, home), home
}

// StartFork runs two nodes of one genesis and one validator key that
// never meet: each signs its own blocks at the same heights, a fork (the
// validator equivocates) that a light client with both must catch.
func StartFork(tb testing.TB, o Options) (a, b *node.Node) {
	tb.Helper()
	if o.ChainID == "" {
		tb.Fatal("testnode: a fork needs a fixed ChainID")
	}
	homeA := initHome(tb, o, filepath.Join(tb.TempDir(), "a"))
	homeB := initHome(tb, o, filepath.Join(tb.TempDir(), "b"))
	// B takes A's genesis and validator key: the same chain, signed by
	// the same validator, with its own ports and its own blocks.
	for _, f := range []string{"config/genesis.json", "config/priv_validator_key.json"} {
		data, err := os.ReadFile(filepath.Join(homeA, f))
		if err == nil {
			err = os.WriteFile(filepath.Join(homeB, f), data, 0o600)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	return run(tb, homeA), run(tb, homeB)
}

func initHome(tb testing.TB, o Options, home string) string {
	tb.Helper()
	if o.TimeoutCommit == 0 {
		o.TimeoutCommit = 100 * time.Millisecond
	}
	if o.EmptyBlocks == 0 {
		o.EmptyBlocks = 250 * time.Millisecond
	}
	appState, err := json.Marshal(o.Genesis)
	if err != nil {
		tb.Fatal(err)
	}
	rpcAddr, err := node.FreeLoopbackAddr()
	if err != nil {
		tb.Fatal(err)
	}
	p2pAddr, err := node.FreeLoopbackAddr()
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := node.InitHome(node.HomeOptions{Home: home, ChainID: o.ChainID, AppState: appState,
		RPCListen: rpcAddr, P2PListen: p2pAddr, TimeoutCommit: o.TimeoutCommit, EmptyBlocksInterval: o.EmptyBlocks}); err != nil {
		tb.Fatal(err)
	}
	return home
}

// run starts the node of an initialised home until the test ends.
func run(tb testing.TB, home string) *node.Node {
	tb.Helper()
	st, err := store.OpenAppState(filepath.Join(home, "data", "app.db"))
	if err != nil {
		tb.Fatal(err)
	}
	app, err := abci.New(st)
	if err != nil {
		st.Close()
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := node.Start(ctx, home, app, nil)
	if err != nil {
		st.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := n.Close(); err != nil {
			tb.Errorf("node Close: %v", err)
		}
		st.Close()
	})
	return n
}
