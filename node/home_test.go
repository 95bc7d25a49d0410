package node_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"

	"github.com/linli-community/linli/node"
)

var homeFiles = []string{
	"config/config.toml",
	"config/genesis.json",
	"config/node_key.json",
	"config/priv_validator_key.json",
	"data/priv_validator_state.json",
}

func TestInitHome(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	genesisTime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CST", 8*3600))
	opts := node.HomeOptions{
		Home:        home,
		ChainID:     "linli-test",
		AppState:    json.RawMessage(`{"admins":["a"]}`),
		GenesisTime: genesisTime,
	}
	created, existing, err := node.InitHome(opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := sorted(created); !slices.Equal(got, homeFiles) {
		t.Errorf("created = %v, want %v", got, homeFiles)
	}
	if len(existing) != 0 {
		t.Errorf("existing = %v, want none", existing)
	}

	for _, name := range []string{"config/node_key.json", "config/priv_validator_key.json", "data/priv_validator_state.json"} {
		fi, err := os.Stat(filepath.Join(home, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s mode = %v, want 0600", name, got)
		}
	}

	doc, err := types.GenesisDocFromFile(filepath.Join(home, "config/genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	key := readKey(t, home)
	if len(doc.Validators) != 1 || !bytes.Equal(doc.Validators[0].Address, key.Address) || doc.Validators[0].Power != 10 {
		t.Errorf("genesis validators = %+v, want the priv validator %X with power 10", doc.Validators, key.Address)
	}
	if !doc.GenesisTime.Equal(genesisTime) || doc.GenesisTime.Location() != time.UTC {
		t.Errorf("genesis time = %v, want %v in UTC", doc.GenesisTime, genesisTime)
	}

	chainID, appState, err := node.ReadGenesisAppState(home)
	if err != nil {
		t.Fatal(err)
	}
	if chainID != "linli-test" {
		t.Errorf("chain id = %q, want linli-test", chainID)
	}
	if got, want := compact(t, appState), `{"admins":["a"]}`; got != want {
		t.Errorf("app state = %s, want %s", got, want)
	}

	before := readAll(t, home)
	created, existing, err = node.InitHome(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 0 {
		t.Errorf("second InitHome created %v, want nothing", created)
	}
	if got := sorted(existing); !slices.Equal(got, homeFiles) {
		t.Errorf("second InitHome existing = %v, want %v", got, homeFiles)
	}
	for name, data := range readAll(t, home) {
		if !bytes.Equal(data, before[name]) {
			t.Errorf("second InitHome changed %s", name)
		}
	}
}

func TestInitHomeKeepsKeyForMissingGenesis(t *testing.T) {
	home := t.TempDir()
	if _, _, err := node.InitHome(node.HomeOptions{Home: home}); err != nil {
		t.Fatal(err)
	}
	key := readKey(t, home)
	if err := os.Remove(filepath.Join(home, "config/genesis.json")); err != nil {
		t.Fatal(err)
	}

	created, _, err := node.InitHome(node.HomeOptions{Home: home})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"config/genesis.json"}; !slices.Equal(created, want) {
		t.Errorf("created = %v, want %v", created, want)
	}
	doc, err := types.GenesisDocFromFile(filepath.Join(home, "config/genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc.Validators[0].Address, key.Address) {
		t.Errorf("genesis validator = %X, want existing key %X", doc.Validators[0].Address, key.Address)
	}
	if !regexp.MustCompile(`^linli-[0-9a-f]{6}$`).MatchString(doc.ChainID) {
		t.Errorf("generated chain id = %q, want linli- and 6 hex digits", doc.ChainID)
	}
}

func TestInitHomeRejectsEmptyHome(t *testing.T) {
	if _, _, err := node.InitHome(node.HomeOptions{}); err == nil {
		t.Fatal("InitHome with no home: got nil error")
	}
}

func TestLoadConfig(t *testing.T) {
	home := t.TempDir()
	opts := node.HomeOptions{Home: home, Moniker: "gate-1", Prometheus: true}
	if _, _, err := node.InitHome(opts); err != nil {
		t.Fatal(err)
	}

	conf, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if conf.RootDir != home {
		t.Errorf("root = %q, want %q", conf.RootDir, home)
	}
	for _, c := range []struct{ name, got, want string }{
		{"moniker", conf.Moniker, "gate-1"},
		{"rpc.laddr", conf.RPC.ListenAddress, "tcp://127.0.0.1:26657"},
		{"p2p.laddr", conf.P2P.ListenAddress, "tcp://127.0.0.1:26656"},
		{"tx_index.indexer", conf.TxIndex.Indexer, "kv"},
		{"prometheus_listen_addr", conf.Instrumentation.PrometheusListenAddr, "127.0.0.1:26660"},
		{"genesis file", conf.GenesisFile(), filepath.Join(home, "config/genesis.json")},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if conf.Consensus.TimeoutCommit != 500*time.Millisecond {
		t.Errorf("timeout_commit = %v, want 500ms", conf.Consensus.TimeoutCommit)
	}
	// An idle chain makes an empty block every 30 s, so a deadline is
	// tallied within two of them and a commit: 70 s.
	if got := conf.Consensus.CreateEmptyBlocksInterval; got != 30*time.Second || 2*got+conf.Consensus.TimeoutCommit+5*time.Second > 70*time.Second {
		t.Errorf("create_empty_blocks_interval = %v, want 30s (two of them, a commit and 5 s of rounds within 70 s)", got)
	}
	if !conf.Consensus.CreateEmptyBlocks || !conf.Instrumentation.Prometheus {
		t.Errorf("create_empty_blocks = %v, prometheus = %v, want both true",
			conf.Consensus.CreateEmptyBlocks, conf.Instrumentation.Prometheus)
	}

	editConfig(t, home, map[string]string{
		"timeout_commit":      `"2s"`,
		"moniker":             `"gate-2"`,
		"create_empty_blocks": `false`,
	})
	conf, err = node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if conf.Consensus.TimeoutCommit != 2*time.Second || conf.Moniker != "gate-2" || conf.Consensus.CreateEmptyBlocks {
		t.Errorf("after edit: timeout_commit = %v, moniker = %q, create_empty_blocks = %v; want 2s, gate-2, false",
			conf.Consensus.TimeoutCommit, conf.Moniker, conf.Consensus.CreateEmptyBlocks)
	}

	editConfig(t, home, map[string]string{"max_num_inbound_peers": `-1`})
	if _, err := node.LoadConfig(home); err == nil || !strings.Contains(err.Error(), "config.toml") {
		t.Errorf("invalid config: err = %v, want an error naming config.toml", err)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	if _, err := node.LoadConfig(t.TempDir()); err == nil {
		t.Fatal("LoadConfig of an empty directory: got nil error")
	}
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	logger, err := node.NewLogger(&buf, "error")
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("hidden line")
	logger.Error("shown line")
	if got := buf.String(); strings.Contains(got, "hidden line") || !strings.Contains(got, "shown line") {
		t.Errorf("log at level error = %q, want only the error line", got)
	}
	if _, err := node.NewLogger(&buf, "loud"); err == nil {
		t.Error(`NewLogger(level "loud"): got nil error`)
	}

	// What a clean stop logs when it closes its own listeners is left out;
	// the same messages with another cause are not.
	buf.Reset()
	closed := fmt.Errorf("accept tcp 127.0.0.1:26657: %w", net.ErrClosed)
	logger.With("module", "rpc-server").Error("Error serving server", "err", closed)
	logger.With("module", "p2p").Error("Stopped accept routine, as transport is closed", "numPeers", 0)
	if got := buf.String(); got != "" {
		t.Errorf("a clean stop logged %q", got)
	}
	logger.Error("Error serving server", "err", errors.New("too many open files"))
	if got := buf.String(); !strings.Contains(got, "too many open files") {
		t.Errorf("a real serving error was dropped: %q", got)
	}
}

// editConfig sets top-level keys of any section of config.toml, the way an
// operator would with a text editor.
func editConfig(tb testing.TB, home string, set map[string]string) {
	tb.Helper()
	path := filepath.Join(home, "config/config.toml")
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for key, value := range set {
		found := false
		for i, line := range lines {
			if strings.HasPrefix(line, key+" = ") {
				lines[i] = key + " = " + value
				found = true
			}
		}
		if !found {
			tb.Fatalf("config.toml has no key %s", key)
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func readKey(tb testing.TB, home string) privval.FilePVKey {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(home, "config/priv_validator_key.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(data, &key); err != nil {
		tb.Fatal(err)
	}
	return key
}

func readAll(tb testing.TB, home string) map[string][]byte {
	tb.Helper()
	files := make(map[string][]byte)
	for _, name := range homeFiles {
		data, err := os.ReadFile(filepath.Join(home, name))
		if err != nil {
			tb.Fatal(err)
		}
		files[name] = data
	}
	return files
}

func compact(tb testing.TB, raw json.RawMessage) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		tb.Fatal(err)
	}
	return buf.String()
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	for i := range s {
		s[i] = filepath.ToSlash(s[i])
	}
	slices.Sort(s)
	return s
}

func writeFile(tb testing.TB, path, data string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func TestInitHomeSharedGenesis(t *testing.T) {
	dir := t.TempDir()
	homes := []string{filepath.Join(dir, "node0"), filepath.Join(dir, "node1"), filepath.Join(dir, "node2")}
	var vals []node.Validator
	var ids []string
	for i, h := range homes {
		pub, err := node.ValidatorKey(h)
		if err != nil {
			t.Fatal(err)
		}
		again, err := node.ValidatorKey(h)
		if err != nil || !again.Equals(pub) {
			t.Fatalf("ValidatorKey twice: %v, same key %v", err, again.Equals(pub))
		}
		vals = append(vals, node.Validator{PubKey: pub, Power: node.DefaultValidatorPower, Name: fmt.Sprintf("node%d", i)})
		id, err := node.NodeID(h)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	genesisTime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	peers := node.PeerAddress(ids[1], "tcp://127.0.0.1:1001") + "," + node.PeerAddress(ids[2], "127.0.0.1:1002")
	var genesis []byte
	for i, h := range homes {
		opts := node.HomeOptions{Home: h, ChainID: "linli-net", AppState: json.RawMessage(`{}`), GenesisTime: genesisTime,
			Validators: vals, LocalNetwork: true, MempoolSize: 9000, NoIndexer: i == 2}
		if i == 0 {
			opts.PersistentPeers = peers
		}
		if _, _, err := node.InitHome(opts); err != nil {
			t.Fatal(err)
		}
		g, err := os.ReadFile(filepath.Join(h, "config/genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && !bytes.Equal(g, genesis) {
			t.Errorf("genesis of %s differs from node0's", h)
		}
		genesis = g
	}
	doc, err := types.GenesisDocFromJSON(genesis)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Validators) != 3 || doc.Validators[1].Name != "node1" || !doc.Validators[1].PubKey.Equals(vals[1].PubKey) || doc.Validators[1].Power != 10 {
		t.Errorf("genesis validators = %+v, want the three homes' keys with power 10", doc.Validators)
	}
	if key := readKey(t, homes[2]); !bytes.Equal(key.Address, vals[2].PubKey.Address()) {
		t.Errorf("InitHome replaced node2's validator key")
	}
	conf, err := node.LoadConfig(homes[0])
	if err != nil {
		t.Fatal(err)
	}
	if conf.P2P.PersistentPeers != ids[1]+"@127.0.0.1:1001,"+ids[2]+"@127.0.0.1:1002" {
		t.Errorf("persistent_peers = %q", conf.P2P.PersistentPeers)
	}
	if conf.P2P.AddrBookStrict || !conf.P2P.AllowDuplicateIP || conf.Mempool.Size != 9000 || conf.TxIndex.Indexer != "kv" {
		t.Errorf("addr_book_strict = %v, allow_duplicate_ip = %v, mempool size = %d, indexer = %q; want false, true, 9000, kv",
			conf.P2P.AddrBookStrict, conf.P2P.AllowDuplicateIP, conf.Mempool.Size, conf.TxIndex.Indexer)
	}
	if conf, err := node.LoadConfig(homes[2]); err != nil || conf.TxIndex.Indexer != "null" {
		t.Errorf("NoIndexer: indexer = %q, err %v; want null", conf.TxIndex.Indexer, err)
	}

	// A fourth home joins the chain with its genesis file as it is.
	joiner := filepath.Join(dir, "audit")
	if _, _, err := node.InitHome(node.HomeOptions{Home: joiner, Genesis: genesis, PersistentPeers: peers}); err != nil {
		t.Fatal(err)
	}
	if g, _ := os.ReadFile(filepath.Join(joiner, "config/genesis.json")); !bytes.Equal(g, genesis) {
		t.Error("joining home's genesis differs from the chain's")
	}
	chainID, _, err := node.ParseGenesis(genesis)
	if err != nil || chainID != "linli-net" {
		t.Errorf("ParseGenesis = %q, %v; want linli-net", chainID, err)
	}
	if _, _, err := node.InitHome(node.HomeOptions{Home: filepath.Join(dir, "bad"), Genesis: []byte(`{"chain_id":""}`)}); err == nil {
		t.Error("InitHome with an invalid genesis: got nil error")
	}
}
