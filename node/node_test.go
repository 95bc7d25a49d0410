package node_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtlog "github.com/cometbft/cometbft/libs/log"

	"github.com/linli-community/linli/node"
)

func TestStartRestartsFromPreviousHeight(t *testing.T) {
	home, opts := newTestHome(t)
	// Prometheus on both runs checks that a second node in one process
	// starts although CometBFT's metrics are already registered.
	opts.Prometheus = true
	opts.PrometheusListen = strings.TrimPrefix(mustFreeAddr(t), "tcp://")
	if _, _, err := node.InitHome(opts); err != nil {
		t.Fatal(err)
	}

	n := mustStart(t, home)
	if got, want := n.RPCAddr(), "http://"+strings.TrimPrefix(opts.RPCListen, "tcp://"); got != want {
		t.Errorf("RPCAddr = %q, want %q", got, want)
	}
	resp, err := http.Get(n.RPCAddr() + "/health")
	if err != nil {
		t.Fatalf("RPC health: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("RPC health status = %d, want 200", resp.StatusCode)
	}
	first := waitHeight(t, n, 3)

	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	assertClosed(t, opts.RPCListen)
	assertClosed(t, opts.P2PListen)

	// A fresh in-memory kvstore makes CometBFT replay every block into it.
	n = mustStart(t, home)
	if h := waitHeight(t, n, first+1); h <= first {
		t.Errorf("height after restart = %d, want more than %d", h, first)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("Close after restart: %v", err)
	}
	assertClosed(t, opts.RPCListen)
}

func TestStartFailsCleanlyWhenPortIsTaken(t *testing.T) {
	home, opts := newTestHome(t)
	if _, _, err := node.InitHome(opts); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", strings.TrimPrefix(opts.RPCListen, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if n, err := node.Start(ctx, home, kvstore.NewInMemoryApplication(), nil); err == nil {
		n.Close()
		t.Fatal("Start with the RPC port taken: got nil error")
	}
	l.Close()
	// The failed start must have released its databases and P2P port.
	n := mustStart(t, home)
	waitHeight(t, n, 1)
}

func TestStartMissingHome(t *testing.T) {
	_, err := node.Start(context.Background(), t.TempDir(), kvstore.NewInMemoryApplication(), nil)
	if err == nil {
		t.Fatal("Start of an empty directory: got nil error")
	}
}

func TestStartRejectsBadPrivValidatorState(t *testing.T) {
	home, opts := newTestHome(t)
	if _, _, err := node.InitHome(opts); err != nil {
		t.Fatal(err)
	}
	writeFile(t, home+"/data/priv_validator_state.json", "not json")
	// privval.LoadFilePV would exit the test binary here.
	_, err := node.Start(context.Background(), home, kvstore.NewInMemoryApplication(), nil)
	if err == nil || !strings.Contains(err.Error(), "priv validator state") {
		t.Fatalf("Start with a corrupt priv validator state: err = %v", err)
	}
}

func TestFreeLoopbackAddr(t *testing.T) {
	addr, err := node.FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(addr, "tcp://127.0.0.1:") {
		t.Fatalf("FreeLoopbackAddr = %q, want tcp://127.0.0.1:PORT", addr)
	}
	l, err := net.Listen("tcp", strings.TrimPrefix(addr, "tcp://"))
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	l.Close()
}

// TestFreeLoopbackAddrsAreDistinct wants many addresses picked at once
// all different, all free to listen on together, and, where the kernel
// says which ports it hands out by itself, none of those.
func TestFreeLoopbackAddrsAreDistinct(t *testing.T) {
	addrs, err := node.FreeLoopbackAddrs(50)
	if err != nil {
		t.Fatal(err)
	}
	ephemeral := 0
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		fmt.Sscan(string(b), &ephemeral)
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] || !strings.HasPrefix(a, "tcp://127.0.0.1:") {
			t.Fatalf("FreeLoopbackAddrs gave %q twice or not on loopback: %v", a, addrs)
		}
		seen[a] = true
		port, err := strconv.Atoi(strings.TrimPrefix(a, "tcp://127.0.0.1:"))
		if err != nil {
			t.Fatalf("FreeLoopbackAddrs gave %q: %v", a, err)
		}
		if ephemeral > 11000 && (port < 10000 || port >= ephemeral) {
			t.Errorf("FreeLoopbackAddrs gave port %d, want one in [10000, %d), below the kernel's ephemeral ports", port, ephemeral)
		}
		l, err := net.Listen("tcp", strings.TrimPrefix(a, "tcp://"))
		if err != nil {
			t.Fatalf("listen on %s: %v", a, err)
		}
		defer l.Close()
	}
}

// newTestHome returns a home directory and options for a fast node on free
// loopback ports.
func newTestHome(tb testing.TB) (string, node.HomeOptions) {
	tb.Helper()
	home := tb.TempDir()
	addrs, err := node.FreeLoopbackAddrs(2)
	if err != nil {
		tb.Fatal(err)
	}
	return home, node.HomeOptions{
		Home:          home,
		ChainID:       "linli-test",
		Moniker:       "test",
		RPCListen:     addrs[0],
		P2PListen:     addrs[1],
		TimeoutCommit: 100 * time.Millisecond,
		// kvstore keeps its app hash on empty blocks, as linli does:
		// the chain makes an empty block every interval.
		EmptyBlocksInterval: 200 * time.Millisecond,
	}
}

// mustStart starts a node on home with a fresh in-memory kvstore. The node
// logs into a buffer that is printed only if the test fails, and is closed
// when the test ends.
func mustStart(tb testing.TB, home string) *node.Node {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := node.Start(ctx, home, kvstore.NewInMemoryApplication(), testLogger(tb))
	if err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		if err := n.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return n
}

// waitHeight waits until the node has committed at least height blocks and
// returns its latest height.
func waitHeight(tb testing.TB, n *node.Node, height int64) int64 {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := n.Local().Status(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		if h := st.SyncInfo.LatestBlockHeight; h >= height {
			return h
		}
		if time.Now().After(deadline) {
			tb.Fatalf("height %d after 15s, want %d", st.SyncInfo.LatestBlockHeight, height)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func assertClosed(tb testing.TB, addr string) {
	tb.Helper()
	l, err := net.Listen("tcp", strings.TrimPrefix(addr, "tcp://"))
	if err != nil {
		tb.Errorf("%s still in use after Close: %v", addr, err)
		return
	}
	l.Close()
}

func mustFreeAddr(tb testing.TB) string {
	tb.Helper()
	addr, err := node.FreeLoopbackAddr()
	if err != nil {
		tb.Fatal(err)
	}
	return addr
}

func testLogger(tb testing.TB) cmtlog.Logger {
	tb.Helper()
	buf := &syncBuffer{}
	logger, err := node.NewLogger(buf, "info")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("node log:\n%s", buf.String())
		}
	})
	return logger
}

type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// preCheckingKV is a kvstore that records which txs PreCheckTx saw before
// CheckTx.
type preCheckingKV struct {
	*kvstore.Application
	mu      sync.Mutex
	pre     map[string]bool
	ordered bool // every CheckTx so far came after its PreCheckTx
	checks  int
}

func (a *preCheckingKV) PreCheckTx(tx []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pre[string(tx)] = true
}

func (a *preCheckingKV) CheckTx(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	a.mu.Lock()
	a.ordered = a.ordered && a.pre[string(req.Tx)]
	a.checks++
	a.mu.Unlock()
	return a.Application.CheckTx(ctx, req)
}

func TestStartCallsPreCheckTxBeforeCheckTx(t *testing.T) {
	home, opts := newTestHome(t)
	if _, _, err := node.InitHome(opts); err != nil {
		t.Fatal(err)
	}
	app := &preCheckingKV{Application: kvstore.NewInMemoryApplication(), pre: map[string]bool{}, ordered: true}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := node.Start(ctx, home, app, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	waitHeight(t, n, 1)
	for i := range 5 {
		res, err := n.Local().BroadcastTxCommit(ctx, []byte(fmt.Sprintf("k%d=v", i)))
		if err != nil || res.TxResult.Code != 0 {
			t.Fatalf("broadcast: %v %+v", err, res)
		}
	}
	app.mu.Lock()
	defer app.mu.Unlock()
	if app.checks < 5 || !app.ordered {
		t.Errorf("%d CheckTx calls, each after its PreCheckTx: %v; want at least 5, true", app.checks, app.ordered)
	}
}

func TestStartRefusesKeyFilesOthersCanRead(t *testing.T) {
	for _, file := range []string{"config/priv_validator_key.json", "config/node_key.json"} {
		for _, mode := range []os.FileMode{0o640, 0o604, 0o666} {
			t.Run(fmt.Sprintf("%s/%04o", file, mode), func(t *testing.T) {
				home, opts := newTestHome(t)
				if _, _, err := node.InitHome(opts); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(home, file)
				if err := os.Chmod(path, mode); err != nil {
					t.Fatal(err)
				}
				n, err := node.Start(context.Background(), home, kvstore.NewInMemoryApplication(), nil)
				if err == nil {
					n.Close()
					t.Fatalf("Start with %s at mode %04o: got nil error", file, mode)
				}
				if !strings.Contains(err.Error(), "readable by others") || !strings.Contains(err.Error(), "chmod 600 "+path) {
					t.Errorf("Start error = %q, want it to say the file is readable by others and how to fix it", err)
				}
				// After the fix the same home starts.
				if err := os.Chmod(path, 0o600); err != nil {
					t.Fatal(err)
				}
				waitHeight(t, mustStart(t, home), 1)
			})
		}
	}
}
