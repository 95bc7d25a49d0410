package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/node"
	"github.com/linli-community/linli/store"
)

// diverging is a test double between CometBFT and the app: from height at
// on, it reports an app hash the app did not compute, as a node with a bug
// or a tampered app.db would.
type diverging struct {
	abcitypes.Application
	at int64
}

func (d *diverging) FinalizeBlock(ctx context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	res, err := d.Application.FinalizeBlock(ctx, req)
	if err == nil && req.Height >= d.at {
		res.AppHash = append([]byte{^res.AppHash[0]}, res.AppHash[1:]...)
	}
	return res, err
}

// TestDivergentNodeHalts runs four in-process validators, one of which
// reports a wrong app hash at height 5. That node must stop at height 5
// with a consensus failure instead of going on with a state the others do
// not share, while the other three keep committing.
func TestDivergentNodeHalts(t *testing.T) {
	const at = 5
	dir := t.TempDir()
	admin, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	appState, _ := json.Marshal(abci.GenesisState{Community: "分叉小区", Admins: []tx.Address{keys.Address(admin)}, Params: abci.DefaultParams()})
	var homes, peers []string
	var vals []node.Validator
	var rpcs, p2ps []string
	for i := range 4 {
		h := filepath.Join(dir, fmt.Sprintf("node%d", i))
		pub, err := node.ValidatorKey(h)
		if err != nil {
			t.Fatal(err)
		}
		id, err := node.NodeID(h)
		if err != nil {
			t.Fatal(err)
		}
		homes, rpcs, p2ps = append(homes, h), append(rpcs, freeAddr(t)), append(p2ps, freeAddr(t))
		peers = append(peers, node.PeerAddress(id, p2ps[i]))
		vals = append(vals, node.Validator{PubKey: pub, Power: node.DefaultValidatorPower, Name: fmt.Sprintf("node%d", i)})
	}
	genesisTime := time.Now().UTC()
	for i, h := range homes {
		others := append(append([]string{}, peers[:i]...), peers[i+1:]...)
		if _, _, err := node.InitHome(node.HomeOptions{
			Home: h, ChainID: "linli-fork", AppState: appState, GenesisTime: genesisTime, Validators: vals,
			RPCListen: rpcs[i], P2PListen: p2ps[i], TimeoutCommit: 100 * time.Millisecond, EmptyBlocksInterval: 250 * time.Millisecond,
			PersistentPeers: strings.Join(others, ","), LocalNetwork: true,
		}); err != nil {
			t.Fatal(err)
		}
	}

	var log3 syncBuffer
	nodes := make([]*node.Node, 4)
	for i, h := range homes {
		st, err := store.OpenAppState(filepath.Join(h, "data", "app.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		app, err := abci.New(st)
		if err != nil {
			t.Fatal(err)
		}
		var a abcitypes.Application = app
		logger, _ := node.NewLogger(&bytes.Buffer{}, "none")
		if i == 3 {
			a = &diverging{Application: app, at: at}
			logger, _ = node.NewLogger(&log3, "error")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		nodes[i], err = node.Start(ctx, h, a, logger)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		n := nodes[i]
		t.Cleanup(func() { closeWithin(t, n, 20*time.Second) })
	}

	heightOf := func(n *node.Node) int64 {
		st, err := n.Local().Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st.SyncInfo.LatestBlockHeight
	}
	deadline := time.Now().Add(60 * time.Second)
	for heightOf(nodes[0]) < at+8 {
		if time.Now().After(deadline) {
			t.Fatalf("the three honest validators reached only height %d in 60s", heightOf(nodes[0]))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := heightOf(nodes[3]); got != at {
		t.Errorf("the diverging node is at height %d, want it halted at %d", got, at)
	}
	if !strings.Contains(log3.String(), "CONSENSUS FAILURE") || !strings.Contains(log3.String(), "AppHash") {
		t.Errorf("the diverging node did not report a consensus failure over the app hash; its log:\n%s", log3.String())
	}
	for i := range 3 {
		if got := heightOf(nodes[i]); got < at+7 {
			t.Errorf("node%d is at height %d, want past %d", i, got, at+7)
		}
	}
}

// closeWithin closes a node, failing the test if that takes too long.
func closeWithin(tb testing.TB, n *node.Node, d time.Duration) {
	done := make(chan error, 1)
	go func() { done <- n.Close() }()
	select {
	case err := <-done:
		if err != nil {
			tb.Errorf("close: %v", err)
		}
	case <-time.After(d):
		tb.Errorf("node did not close within %s", d)
	}
}

// syncBuffer is a bytes.Buffer safe for a node's goroutines to write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
