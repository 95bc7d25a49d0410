package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/node"
)

// TestTestnetWritesALocalNetwork checks the homes `linli testnet` writes:
// one genesis naming every validator's key and admin, distinct loopback
// ports, every validator in every other node's persistent_peers, full
// nodes without admin keys, and nothing overwritten by a second run.
func TestTestnetWritesALocalNetwork(t *testing.T) {
	out := filepath.Join(t.TempDir(), "net")
	args := []string{"testnet", "--validators", "3", "--full", "1", "--out", out, "--base-port", "0", "--chain-id", "linli-tn"}
	net := decode[struct {
		ChainID string        `json:"chain_id"`
		Nodes   []testnetNode `json:"nodes"`
	}](t, mustRun(t, args...))
	if len(net.Nodes) != 4 || net.ChainID != "linli-tn" {
		t.Fatalf("testnet printed %d nodes of chain %q, want 4 of linli-tn", len(net.Nodes), net.ChainID)
	}

	genesis, err := os.ReadFile(home(net.Nodes[0].Home).genesis())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := types.GenesisDocFromJSON(genesis)
	if err != nil {
		t.Fatal(err)
	}
	g, err := abci.ParseGenesis(doc.AppState)
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]bool{}
	for i, n := range net.Nodes {
		wantName, wantValidator := []string{"node0", "node1", "node2", "full0"}[i], i < 3
		if n.Name != wantName || n.Validator != wantValidator || n.Home != filepath.Join(out, wantName) {
			t.Errorf("node %d = %+v, want %s (validator %v) in %s", i, n, wantName, wantValidator, out)
		}
		if b, _ := os.ReadFile(home(n.Home).genesis()); !bytes.Equal(b, genesis) {
			t.Errorf("%s's genesis differs from node0's", n.Name)
		}
		for _, addr := range []string{n.RPC, n.P2P} {
			if !strings.HasPrefix(addr, "tcp://127.0.0.1:") || ports[addr] {
				t.Errorf("%s listens at %s: want a loopback port no other node uses", n.Name, addr)
			}
			ports[addr] = true
		}
		_, keyErr := os.Stat(home(n.Home).adminKey())
		if n.Validator != (keyErr == nil) {
			t.Errorf("%s: admin key present = %v, want %v", n.Name, keyErr == nil, n.Validator)
		}
		if n.Validator {
			pub, err := node.ValidatorKey(n.Home)
			if err != nil {
				t.Fatal(err)
			}
			if !doc.Validators[i].PubKey.Equals(pub) || doc.Validators[i].Power != node.DefaultValidatorPower {
				t.Errorf("genesis validator %d = %v, want %s's key with power 10", i, doc.Validators[i], n.Name)
			}
			if !slices.Contains(g.Admins, n.Admin) {
				t.Errorf("%s's admin %s is not a genesis admin %v", n.Name, n.Admin, g.Admins)
			}
		}
		conf, err := node.LoadConfig(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		if conf.RPC.ListenAddress != n.RPC || conf.P2P.ListenAddress != n.P2P || !conf.P2P.AllowDuplicateIP {
			t.Errorf("%s's config: rpc %s p2p %s allow_duplicate_ip %v", n.Name, conf.RPC.ListenAddress, conf.P2P.ListenAddress, conf.P2P.AllowDuplicateIP)
		}
		for _, v := range net.Nodes[:3] {
			if listed := strings.Contains(conf.P2P.PersistentPeers, v.Peer()); listed != (v.Name != n.Name) {
				t.Errorf("%s's persistent_peers %q lists %s: %v", n.Name, conf.P2P.PersistentPeers, v.Name, listed)
			}
		}
	}
	if len(doc.Validators) != 3 || len(g.Admins) != 3 {
		t.Errorf("genesis names %d validators and %d admins, want 3 and 3", len(doc.Validators), len(g.Admins))
	}

	mustRun(t, args...)
	if b, _ := os.ReadFile(home(net.Nodes[2].Home).genesis()); !bytes.Equal(b, genesis) {
		t.Error("a second testnet run changed the genesis")
	}
}

func TestInitJoinsAChain(t *testing.T) {
	dir := t.TempDir()
	net := decode[struct{ Nodes []testnetNode }](t, mustRun(t, "testnet", "--validators", "1", "--out", filepath.Join(dir, "net"), "--base-port", "0"))
	genesisFile := home(net.Nodes[0].Home).genesis()
	audit := filepath.Join(dir, "audit")
	_, errOut, err := run(t, "init", "--home", audit, "--genesis", genesisFile, "--peers", net.Nodes[0].Peer(), "--rpc", "tcp://127.0.0.1:1", "--p2p", "tcp://127.0.0.1:2")
	if err != nil || !strings.Contains(errOut, "audit node") {
		t.Fatalf("init --genesis: %v\n%s", err, errOut)
	}
	want, _ := os.ReadFile(genesisFile)
	if got, _ := os.ReadFile(home(audit).genesis()); !bytes.Equal(got, want) {
		t.Error("the audit node's genesis differs from the chain's")
	}
	if _, err := os.Stat(home(audit).adminKey()); err == nil {
		t.Error("an audit node got an admin key")
	}
	conf, err := node.LoadConfig(audit)
	if err != nil {
		t.Fatal(err)
	}
	if conf.P2P.PersistentPeers != net.Nodes[0].Peer() || !conf.P2P.AllowDuplicateIP {
		t.Errorf("persistent_peers %q, allow_duplicate_ip %v; want %q and true", conf.P2P.PersistentPeers, conf.P2P.AllowDuplicateIP, net.Nodes[0].Peer())
	}

	for _, tc := range []struct{ name, peers string }{
		{"ErrNoID", "127.0.0.1:26656"},
		{"ErrShortID", "abc@127.0.0.1:26656"},
		{"ErrNoPort", strings.Repeat("a", 40) + "@127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := run(t, "init", "--home", filepath.Join(t.TempDir(), "h"), "--genesis", genesisFile, "--peers", tc.peers); err == nil {
				t.Errorf("init --peers %q: got nil error", tc.peers)
			}
		})
	}
	notLinli := filepath.Join(dir, "other.json")
	g := bytes.Replace(want, []byte(`"app_state": {`), []byte(`"app_state": {"foreign": 1,`), 1)
	os.WriteFile(notLinli, g, 0o644)
	if _, _, err := run(t, "init", "--home", filepath.Join(dir, "bad"), "--genesis", notLinli); err == nil || !strings.Contains(err.Error(), "linli") {
		t.Errorf("init with another app's genesis: err %v, want it named not a linli chain's", err)
	}
}

// TestBenchSideBySide runs a tiny benchmark of linli beside kvstore and a
// replay, and checks that the report has both apps, their ratio and the
// replay figures.
func TestBenchSideBySide(t *testing.T) {
	out := mustRun(t, "bench", "--app", "kvstore", "--txs", "300", "--senders", "4", "--timeout-commit", "100ms", "--replay")
	for _, want := range []string{"\nlinli ", "\nkvstore ", "linli / kvstore: ", "replay by a fresh audit node: ", "linli disk per committed tx: "} {
		if !strings.Contains(out, want) {
			t.Errorf("bench report has no %q:\n%s", want, out)
		}
	}
	rows := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 10 || f[0] != "linli" && f[0] != "kvstore" {
			continue
		}
		rows++
		if f[1] != "300" || f[2] != "0" {
			t.Errorf("%s committed %s txs with %s failed, want 300 and 0:\n%s", f[0], f[1], f[2], out)
		}
	}
	if rows != 2 {
		t.Errorf("bench report has %d result rows, want 2:\n%s", rows, out)
	}
}

// TestBenchAgainstARunningNode loads a node started separately, signing
// the community's setup with its home's admin key.
func TestBenchAgainstARunningNode(t *testing.T) {
	h, rpc := testHome(t)
	runNode(t, h, rpc)
	out := mustRun(t, "bench", "--node", rpc, "--home", h, "--txs", "200", "--senders", "3")
	if !strings.Contains(out, "\nlinli ") || !strings.Contains(out, "of this client only") {
		t.Errorf("bench --node report:\n%s", out)
	}
	units := decode[[]struct{ Unit string }](t, mustRun(t, "query", "units", "--home", h, "--node", rpc))
	if len(units) < 3 {
		t.Errorf("after bench --node the chain has %d units, want the benchmark community's 3", len(units))
	}
}
