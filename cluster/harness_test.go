package cluster_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/workload"
)

// linliBin is the linli binary TestMain builds.
var linliBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "linli-cluster-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	linliBin = filepath.Join(dir, "linli")
	build := exec.Command("go", "build", "-o", linliBin, "github.com/linli-community/linli/cmd/linli")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build linli: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// linli runs a linli command to completion and returns its stdout.
func linli(tb testing.TB, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, linliBin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("linli %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// testnetNode is one home `linli testnet` wrote, as it prints them.
type testnetNode struct {
	Name      string `json:"name"`
	Home      string `json:"home"`
	Validator bool   `json:"validator"`
	ID        string `json:"id"`
	RPC       string `json:"rpc"`
	P2P       string `json:"p2p"`
	Admin     string `json:"admin"`
}

func (n testnetNode) url() string     { return strings.Replace(n.RPC, "tcp://", "http://", 1) }
func (n testnetNode) peer() string    { return n.ID + "@" + strings.TrimPrefix(n.P2P, "tcp://") }
func (n testnetNode) appDB() string   { return filepath.Join(n.Home, "data", "app.db") }
func (n testnetNode) genesis() string { return filepath.Join(n.Home, "config", "genesis.json") }

// testnet writes a local network with fast blocks on free ports.
func testnet(tb testing.TB, validators, full int) []testnetNode {
	tb.Helper()
	out := linli(tb, "testnet", "--validators", fmt.Sprint(validators), "--full", fmt.Sprint(full),
		"--out", filepath.Join(tb.TempDir(), "net"), "--base-port", "0", "--timeout-commit", "150ms", "--empty-blocks", "250ms", "--min-notice", "0s")
	var net struct {
		Nodes []testnetNode `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(out), &net); err != nil {
		tb.Fatalf("testnet output: %v\n%s", err, out)
	}
	for _, n := range net.Nodes {
		quietConfig(tb, n.Home)
	}
	return net.Nodes
}

// quietConfig writes a home's linli.toml: quiet nodes, but CometBFT's
// errors kept for the log file, and the notice board on a free port so
// that nodes on one host never share 127.0.0.1:8090.
func quietConfig(tb testing.TB, home string) {
	tb.Helper()
	conf := "log_level = \"error\"\n[board]\nlisten = \"127.0.0.1:0\"\n"
	if err := os.WriteFile(filepath.Join(home, "linli.toml"), []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// proc is a `linli start` child process.
type proc struct {
	tb   testing.TB
	home string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// start runs `linli start --home home` until stopped, killed or the test
// ends. Its output goes to a log file that a failing test prints. The child
// is killed if the test process dies.
func start(tb testing.TB, home string) *proc {
	tb.Helper()
	p := &proc{tb: tb, home: home, log: filepath.Join(home, fmt.Sprintf("start-%d.log", time.Now().UnixNano())), done: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		tb.Fatal(err)
	}
	p.cmd = exec.Command(linliBin, "start", "--home", home)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.kill()
		if tb.Failed() {
			b, _ := os.ReadFile(p.log)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			tb.Logf("log of %s (tail):\n%s", home, b)
		}
	})
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() {
	p.tb.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			p.tb.Errorf("linli start --home %s: %v", p.home, p.err)
		}
	case <-time.After(30 * time.Second):
		p.tb.Errorf("linli start --home %s did not stop within 30s", p.home)
		p.kill()
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// dial returns a ledger client for url.
func dial(tb testing.TB, url string) *ledger.Client {
	tb.Helper()
	lc, err := ledger.Dial(url)
	if err != nil {
		tb.Fatal(err)
	}
	lc.PollInterval = 10 * time.Millisecond
	tb.Cleanup(func() { lc.Close() })
	return lc
}

// height returns a node's latest height, or -1 when it does not answer.
func height(lc *ledger.Client) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	h, _, err := lc.Status(ctx)
	if err != nil {
		return -1
	}
	return h
}

// waitHeight waits until the node at lc is at least at height h.
func waitHeight(tb testing.TB, name string, lc *ledger.Client, h int64, within time.Duration) int64 {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		got := height(lc)
		if got >= h {
			return got
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s is at height %d, not %d, after %s", name, got, h, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// appHashAt returns the app hash that the node's app returned from
// FinalizeBlock at height h.
func appHashAt(tb testing.TB, url string, h int64) string {
	tb.Helper()
	c, err := rpchttp.New(url, "/websocket")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.BlockResults(ctx, &h)
	if err != nil {
		tb.Fatalf("block_results %d at %s: %v", h, url, err)
	}
	return hex.EncodeToString(res.AppHash)
}

// appInfo returns the height and app hash the node's app reports as its
// last commit (ABCI Info).
func appInfo(tb testing.TB, url string) (int64, string) {
	tb.Helper()
	c, err := rpchttp.New(url, "/websocket")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.ABCIInfo(ctx)
	if err != nil {
		tb.Fatalf("abci_info at %s: %v", url, err)
	}
	return res.Response.LastBlockHeight, hex.EncodeToString(res.Response.LastBlockAppHash)
}

// sameAppHashes checks that every node reports the same app hash at every
// height from 1 to to, and that each node's app, at its last commit,
// holds the state the network agreed on for that height.
func sameAppHashes(tb testing.TB, nodes []testnetNode, to int64) {
	tb.Helper()
	for h := int64(1); h <= to; h++ {
		want := appHashAt(tb, nodes[0].url(), h)
		for _, n := range nodes[1:] {
			if got := appHashAt(tb, n.url(), h); got != want {
				tb.Fatalf("height %d: %s reports app hash %s, %s reports %s", h, n.Name, got, nodes[0].Name, want)
			}
		}
	}
	ref := dial(tb, nodes[0].url())
	for _, n := range nodes {
		h, got := appInfo(tb, n.url())
		// The chain goes on meanwhile: n may already be a block ahead of
		// nodes[0].
		waitHeight(tb, nodes[0].Name, ref, h, 10*time.Second)
		if want := appHashAt(tb, nodes[0].url(), h); got != want {
			tb.Errorf("%s's app at height %d has app hash %s, the network's is %s", n.Name, h, got, want)
		}
	}
}

// load runs a community's mixed load in the background until stop is
// called, and collects every receipt.
type load struct {
	cancel   context.CancelFunc
	done     chan struct{}
	mu       sync.Mutex
	receipts []workload.Receipt
}

func startLoad(c *workload.Community, clients []*ledger.Client) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		c.Drive(ctx, clients, 5*time.Second, func(r workload.Receipt) {
			l.mu.Lock()
			l.receipts = append(l.receipts, r)
			l.mu.Unlock()
		})
	}()
	return l
}

// stop ends the load and returns the receipts handed out.
func (l *load) stop() []workload.Receipt {
	l.cancel()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]workload.Receipt(nil), l.receipts...)
}

// count returns how many receipts the load has handed out so far.
func (l *load) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.receipts)
}

// waitReceipts waits until the load has handed out n more receipts.
func (l *load) waitReceipts(tb testing.TB, n int, within time.Duration) {
	tb.Helper()
	target := l.count() + n
	deadline := time.Now().Add(within)
	for l.count() < target {
		if time.Now().After(deadline) {
			tb.Fatalf("load committed %d txs, not %d, within %s", l.count(), target, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// setup prepares a small community for load, signed by the admin key of
// home.
func setup(tb testing.TB, lc *ledger.Client, home string, members int) *workload.Community {
	tb.Helper()
	admin, err := keys.Load(filepath.Join(home, "config", "admin_key.json"))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := workload.Setup(ctx, lc, admin, workload.Options{Members: members, Polls: 2})
	if err != nil {
		tb.Fatalf("workload setup: %v", err)
	}
	return c
}

// checkReceipts checks that every op of the load committed with code 0,
// and that the load had registry txs, ballots, entries and bookings.
func checkReceipts(tb testing.TB, rs []workload.Receipt) {
	tb.Helper()
	ops := map[string]int{}
	for _, r := range rs {
		if r.Code != 0 {
			tb.Errorf("%s of sender %d at height %d: code %d: %s", r.Op, r.Sender, r.Height, r.Code, r.Log)
		}
		ops[r.Op]++
	}
	for _, op := range []string{"unit", "ballot", "entry", "booking"} {
		if ops[op] == 0 {
			tb.Errorf("the load committed no %s tx (ops %v)", op, ops)
		}
	}
}
