// Package testnode starts a real single-validator linli node for tests: a
// fresh home in the test's temp dir, free loopback ports, the linli app
// over a real app.db, stopped and closed when the test ends (also when it
// fails). It is for tests only and imports abci, store and node.
package testnode

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
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

// StartFork runs two nodes of one chain that share its first blocks and
// then never meet: prefix runs on the first node alone, which then stops;
// its home is copied, and both restart, each signing its own blocks at the
// same heights from there on with the same validator key. That is a fork
// (the validator equivocates) that a light client holding a header from
// the shared blocks and both nodes must catch as an attack.
func StartFork(tb testing.TB, o Options, prefix func(a *node.Node)) (a, b *node.Node) {
	tb.Helper()
	homeA := initHome(tb, o, filepath.Join(tb.TempDir(), "a"))
	first, stop := start(tb, homeA)
	prefix(first)
	stop()
	homeB := filepath.Join(tb.TempDir(), "b")
	if err := os.CopyFS(homeB, os.DirFS(homeA)); err != nil {
		tb.Fatal(err)
	}
	// CopyFS loosens modes; keys stay 0600 as the node requires.
	err := filepath.WalkDir(homeA, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(homeA, path)
		return os.Chmod(filepath.Join(homeB, rel), info.Mode().Perm())
	})
	if err != nil {
		tb.Fatal(err)
	}
	// B listens elsewhere.
	conf := filepath.Join(homeB, "config", "config.toml")
	text, err := os.ReadFile(conf)
	if err != nil {
		tb.Fatal(err)
	}
	nc, err := node.LoadConfig(homeA)
	if err != nil {
		tb.Fatal(err)
	}
	addrs, err := node.FreeLoopbackAddrs(2)
	if err != nil {
		tb.Fatal(err)
	}
	for i, old := range []string{nc.RPC.ListenAddress, nc.P2P.ListenAddress} {
		text = bytes.ReplaceAll(text, []byte(old), []byte(addrs[i]))
	}
	if err := os.WriteFile(conf, text, 0o600); err != nil {
		tb.Fatal(err)
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
	addrs, err := node.FreeLoopbackAddrs(2)
	if err != nil {
		tb.Fatal(err)
	}
	rpcAddr, p2pAddr := addrs[0], addrs[1]
	if _, _, err := node.InitHome(node.HomeOptions{Home: home, ChainID: o.ChainID, AppState: appState,
		RPCListen: rpcAddr, P2PListen: p2pAddr, TimeoutCommit: o.TimeoutCommit, EmptyBlocksInterval: o.EmptyBlocks}); err != nil {
		tb.Fatal(err)
	}
	return home
}

// run starts the node of an initialised home until the test ends.
func run(tb testing.TB, home string) *node.Node {
	tb.Helper()
	n, _ := start(tb, home)
	return n
}

// start is run with a stop that ends the node earlier; the test's end
// stops it too, once.
func start(tb testing.TB, home string) (*node.Node, func()) {
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
	var once sync.Once
	stop := func() {
		once.Do(func() {
			if err := n.Close(); err != nil {
				tb.Errorf("node Close: %v", err)
			}
			st.Close()
		})
	}
	tb.Cleanup(stop)
	return n, stop
}
