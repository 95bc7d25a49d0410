package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
)

// TestFourValidatorsSurviveFaults runs four validators and a full node
// under a mixed load. One validator stops and the other three keep
// committing; it restarts and catches up. Another loses its app.db and
// rebuilds it from its block store. Then the admins make the full node a
// fifth validator. Every node reports the same app hash at every height.
func TestFourValidatorsSurviveFaults(t *testing.T) {
	nodes := testnet(t, 4, 1)
	procs := make([]*proc, len(nodes))
	clients := make([]*ledger.Client, len(nodes))
	for i, n := range nodes {
		procs[i] = start(t, n.Home)
		clients[i] = dial(t, n.url())
	}
	for i, n := range nodes {
		waitHeight(t, n.Name, clients[i], 2, 30*time.Second)
	}
	c := setup(t, clients[0], nodes[0].Home, 6)
	l := startLoad(c, clients[:4])
	defer l.stop()
	l.waitReceipts(t, 30, 30*time.Second)

	// node3 stops; the other three hold 30 of 40 votes and go on.
	procs[3].stop()
	stoppedAt := height(clients[0])
	waitHeight(t, "node0 without node3", clients[0], stoppedAt+8, 30*time.Second)
	l.waitReceipts(t, 30, 30*time.Second)
	procs[3] = start(t, nodes[3].Home)
	caughtUp := waitHeight(t, "node3 after restart", clients[3], height(clients[0]), 60*time.Second)
	if caughtUp <= stoppedAt+8 {
		t.Errorf("node3 caught up to %d, want past %d", caughtUp, stoppedAt+8)
	}

	// node2 loses its app state: CometBFT replays every block into a
	// new app.db at start-up.
	procs[2].stop()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(nodes[2].appDB() + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	procs[2] = start(t, nodes[2].Home)
	waitHeight(t, "node2 with a new app.db", clients[2], height(clients[0]), 60*time.Second)
	l.waitReceipts(t, 30, 30*time.Second)

	// Three of the four admins (a majority) make full0 a validator. node0's
	// admin key is busy with the load, so the others sign.
	body := fmt.Sprintf(`{"pub_key":%q,"power":10}`, validatorPubKey(t, nodes[4].Home))
	for _, n := range nodes[1:4] {
		linli(t, "tx", "validator.update", body, "--home", n.Home)
	}
	deadline := time.Now().Add(30 * time.Second)
	for votingPower(t, nodes[4].url()) != 10 {
		if time.Now().After(deadline) {
			t.Fatal("full0 did not become a validator within 30s of the majority's approval")
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.waitReceipts(t, 20, 30*time.Second)

	checkReceipts(t, l.stop())
	top := height(clients[0])
	for i, n := range nodes {
		top = min(top, waitHeight(t, n.Name, clients[i], top, 30*time.Second))
	}
	sameAppHashes(t, nodes, top)
}

// TestKillNineUnderLoad kills a single-validator node with SIGKILL while it
// commits under load. After a restart every receipt handed out before the
// kill is still there, and a fresh audit node that replays the chain from
// genesis reaches the same app hash at every height and answers queries
// alike.
func TestKillNineUnderLoad(t *testing.T) {
	nodes := testnet(t, 1, 0)
	n := nodes[0]
	p := start(t, n.Home)
	lc := dial(t, n.url())
	waitHeight(t, n.Name, lc, 2, 30*time.Second)
	c := setup(t, lc, n.Home, 4)
	l := startLoad(c, []*ledger.Client{lc})
	l.waitReceipts(t, 60, 30*time.Second)

	p.kill()
	receipts := l.stop()
	var last int64
	for _, r := range receipts {
		last = max(last, r.Height)
	}

	p = start(t, n.Home)
	waitHeight(t, "node0 after SIGKILL", lc, last+1, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, r := range receipts {
		got, err := lc.Wait(ctx, r.Hash)
		if err != nil {
			t.Fatalf("receipt %s (height %d) after the restart: %v", r.Hash, r.Height, err)
		}
		if got.Height != r.Height || got.Code != r.Code {
			t.Errorf("receipt %s: height %d code %d after the restart, was height %d code %d", r.Hash, got.Height, got.Code, r.Height, r.Code)
		}
	}
	checkReceipts(t, receipts)

	// An audit node joins with only the genesis file and a peer, and
	// re-executes every block.
	audit := testnetNode{Name: "audit", Home: filepath.Join(t.TempDir(), "audit"), RPC: freeAddr(t), P2P: freeAddr(t)}
	linli(t, "init", "--home", audit.Home, "--genesis", n.genesis(), "--peers", n.peer(),
		"--rpc", audit.RPC, "--p2p", audit.P2P, "--timeout-commit", "150ms", "--empty-blocks", "250ms")
	if _, err := os.Stat(filepath.Join(audit.Home, "config", "admin_key.json")); err == nil {
		t.Error("an audit node got an admin key")
	}
	quietConfig(t, audit.Home)
	start(t, audit.Home)
	alc := dial(t, audit.url())
	top := waitHeight(t, "audit", alc, height(lc), 60*time.Second)
	sameAppHashes(t, []testnetNode{n, audit}, top)
	unit := "units/" + c.Prefix + "-0001"
	if got, want := linli(t, "query", unit, "--node", audit.url()), linli(t, "query", unit, "--node", n.url()); got != want {
		t.Errorf("audit node answers %s with\n%s\nthe validator with\n%s", unit, got, want)
	}
}

// validatorPubKey returns the hex ed25519 public key of a home's
// validator key, as `linli keys` prints it for validator.update.
func validatorPubKey(tb testing.TB, home string) string {
	tb.Helper()
	var out struct {
		Validator string `json:"validator_pub_key"`
	}
	if err := json.Unmarshal([]byte(linli(tb, "keys", "--home", home)), &out); err != nil || len(out.Validator) != 64 {
		tb.Fatalf("linli keys: %v, validator_pub_key %q", err, out.Validator)
	}
	return out.Validator
}

// votingPower returns the voting power the node at url reports for itself.
func votingPower(tb testing.TB, url string) int64 {
	tb.Helper()
	c, err := rpchttp.New(url, "/websocket")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return -1
	}
	return st.ValidatorInfo.VotingPower
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	a, err := node.FreeLoopbackAddr()
	if err != nil {
		tb.Fatal(err)
	}
	return a
}
