package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/config"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/node"
)

// defaultCommunity names a community initialised without --community.
const defaultCommunity = "我的小区"

// initOptions are what `linli init` asks for.
type initOptions struct {
	home      home
	community string
	chainID   string
	rpc, p2p  string
	// prometheus turns on CometBFT's metrics endpoint.
	prometheus bool
	// timeoutCommit is how long a block waits after commit before the next.
	timeoutCommit time.Duration
	// emptyBlocks is how long an idle chain waits before an empty block.
	emptyBlocks time.Duration
	// genesisTime is zero for now; tests fix it.
	genesisTime time.Time
	// params overrides the default chain parameters (tests, demo).
	params *abci.Params

	// admins are the genesis admins; empty means this home's own admin key.
	admins []tx.Address
	// validators are the genesis validators; empty means this home's own
	// validator key.
	validators []node.Validator
	// genesis is an existing chain's genesis file: the home joins that
	// chain as a non-validator (audit) node, without an admin key.
	genesis []byte
	// peers is CometBFT's persistent_peers: ID@host:port,...
	peers string
	// localNet lets several nodes on one host peer with each other.
	localNet bool
	// boardListen, when set, replaces the notice board's default listen
	// address in a new linli.toml (one port per node of a local network).
	boardListen string
	// mempoolSize and noIndexer tune CometBFT for benchmarks; zero values
	// keep linli's defaults.
	mempoolSize int
	noIndexer   bool
}

func runInit(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "init", "[--home DIR] [--community NAME] | --genesis FILE --peers ID@HOST:PORT,...")
	h := homeFlag(fs)
	o := initOptions{}
	fs.StringVar(&o.community, "community", defaultCommunity, "the community's name, recorded in genesis")
	fs.StringVar(&o.chainID, "chain-id", "", "chain id (default: linli- and 6 random hex digits)")
	fs.StringVar(&o.rpc, "rpc", node.DefaultRPCListen, "CometBFT RPC listen address")
	fs.StringVar(&o.p2p, "p2p", node.DefaultP2PListen, "CometBFT P2P listen address")
	minNotice := fs.Duration("min-notice", 15*24*time.Hour, "shortest notice before voting on an owners' decision opens (a chain parameter; seconds are fine for a test chain)")
	minVoting := fs.Duration("min-voting", 24*time.Hour, "shortest voting time of an owners' decision (a chain parameter; a drill community can use minutes)")
	maxProxies := fs.Int64("max-proxies", abci.DefaultParams().MaxProxies, "how many owners one person may represent as proxy at a time (a chain parameter, 1-100)")
	fs.BoolVar(&o.prometheus, "prometheus", false, "serve Prometheus metrics on 127.0.0.1:26660")
	fs.DurationVar(&o.timeoutCommit, "timeout-commit", node.DefaultTimeoutCommit, "pause between blocks (CometBFT consensus.timeout_commit)")
	fs.DurationVar(&o.emptyBlocks, "empty-blocks", node.DefaultEmptyBlocksInterval, emptyBlocksUsage)
	genesisFile := fs.String("genesis", "", "join an existing chain with its genesis.json: an audit node that re-executes every block")
	fs.StringVar(&o.peers, "peers", "", "nodes to connect to, ID@HOST:PORT,... (CometBFT persistent_peers; `linli testnet` prints them)")
	err := parseNone(fs, "init", args)
	if err != nil {
		return err
	}
	o.home = home(*h)
	if err := checkPeers(o.peers); err != nil {
		return err
	}
	o.localNet = loopbackPeers(o.peers)
	if *genesisFile != "" {
		if o.genesis, err = os.ReadFile(*genesisFile); err != nil {
			return err
		}
		return initHome(env, o)
	}
	p := abci.DefaultParams()
	p.MinNotice = int64(minNotice.Seconds())
	p.MinVoting = int64(minVoting.Seconds())
	p.MaxProxies = *maxProxies
	if err := p.Validate(); err != nil {
		return fmt.Errorf("--min-notice %s, --min-voting %s, --max-proxies %d: %w", minNotice, minVoting, *maxProxies, err)
	}
	o.params = &p
	return initHome(env, o)
}

// initHome writes whatever of a home is missing and says what it wrote and
// what it left alone. It never overwrites a key or secret.
func initHome(env *Env, o initOptions) error {
	if err := os.MkdirAll(o.home.path("config"), 0o700); err != nil {
		return err
	}
	var created, existing []string
	note := func(path string, made bool) {
		rel, _ := filepath.Rel(string(o.home), path)
		if made {
			created = append(created, rel)
		} else {
			existing = append(existing, rel)
		}
	}

	var admin ed25519.PrivateKey
	if o.genesis == nil {
		k, made, err := loadOrCreateKey(o.home.adminKey())
		if err != nil {
			return err
		}
		note(o.home.adminKey(), made)
		admin = k
	}

	made, err := createIfMissing(o.home.masterSecret(), keys.NewMasterSecret)
	if err != nil {
		return err
	}
	note(o.home.masterSecret(), made)

	made, err = config.WriteDefault(o.home.linliConfig())
	if err != nil {
		return err
	}
	if made && o.boardListen != "" {
		if err := config.SetBoardListen(o.home.linliConfig(), o.boardListen); err != nil {
			return err
		}
	}
	note(o.home.linliConfig(), made)

	var appState []byte
	if o.genesis != nil {
		chainID, state, err := node.ParseGenesis(o.genesis)
		if err != nil {
			return err
		}
		g, err := abci.ParseGenesis(state)
		if err != nil {
			return fmt.Errorf("not a linli chain's genesis: %w", err)
		}
		o.community, o.chainID = g.Community, chainID
	} else {
		params := abci.DefaultParams()
		if o.params != nil {
			params = *o.params
		}
		admins := o.admins
		if len(admins) == 0 {
			admins = []tx.Address{keys.Address(admin)}
		}
		g := abci.GenesisState{Community: o.community, Admins: admins, Params: params}
		if err := g.Validate(); err != nil {
			return err
		}
		appState, _ = json.MarshalIndent(g, "", "  ")
	}
	c, e, err := node.InitHome(node.HomeOptions{
		Home: string(o.home), ChainID: o.chainID, AppState: appState,
		RPCListen: o.rpc, P2PListen: o.p2p, TimeoutCommit: o.timeoutCommit, EmptyBlocksInterval: o.emptyBlocks, Prometheus: o.prometheus, GenesisTime: o.genesisTime,
		Validators: o.validators, Genesis: o.genesis, PersistentPeers: o.peers, LocalNetwork: o.localNet,
		MempoolSize: o.mempoolSize, NoIndexer: o.noIndexer,
	})
	if err != nil {
		return err
	}
	created, existing = append(created, c...), append(existing, e...)

	if len(created) > 0 {
		fmt.Fprintf(env.Stderr, "linli: initialised %s in %s\n  wrote: %s\n", o.community, o.home, strings.Join(created, ", "))
	}
	if len(existing) > 0 {
		fmt.Fprintf(env.Stderr, "linli: kept what already exists in %s (nothing is overwritten): %s\n", o.home, strings.Join(existing, ", "))
	}
	if admin == nil {
		fmt.Fprintf(env.Stderr, "linli: %s follows chain %s (%s) as an audit node: it re-executes every block and answers the same queries\n",
			o.home, o.chainID, o.community)
		return nil
	}
	fmt.Fprintf(env.Stderr, "linli: admin address %s (key in %s, keep it private)\n", keys.Address(admin), o.home.adminKey())
	return nil
}

// emptyBlocksUsage describes --empty-blocks, for init and testnet.
const emptyBlocksUsage = "longest an idle chain waits before an empty block (CometBFT consensus.create_empty_blocks_interval); a deadline is tallied within about twice this"

// checkPeers checks a persistent_peers list: ID@HOST:PORT, comma-separated,
// where ID is a node id (40 hex digits, `linli testnet` prints them).
func checkPeers(peers string) error {
	if peers == "" {
		return nil
	}
	for _, p := range strings.Split(peers, ",") {
		id, hostPort, ok := strings.Cut(strings.TrimSpace(p), "@")
		_, port, err := net.SplitHostPort(hostPort)
		if !ok || len(id) != 40 || strings.Trim(strings.ToLower(id), "0123456789abcdef") != "" || err != nil || port == "" {
			return fmt.Errorf("--peers: %q is not ID@HOST:PORT with a 40-hex-digit node id", p)
		}
	}
	return nil
}

// loopbackPeers reports whether some peer is on this host, where CometBFT
// must allow several peers with one IP address.
func loopbackPeers(peers string) bool {
	for _, p := range strings.Split(peers, ",") {
		_, hostPort, _ := strings.Cut(strings.TrimSpace(p), "@")
		host, _, _ := net.SplitHostPort(hostPort)
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return true
		}
	}
	return false
}

// loadOrCreateKey loads the key at path or, when there is none, creates it.
func loadOrCreateKey(path string) (k ed25519.PrivateKey, created bool, err error) {
	created, err = createIfMissing(path, func(p string) error {
		k, err := keys.Generate()
		if err != nil {
			return err
		}
		return keys.Save(p, k)
	})
	if err != nil {
		return nil, false, err
	}
	key, err := keys.Load(path)
	return key, created, err
}

// createIfMissing runs create(path) unless path exists.
func createIfMissing(path string, create func(string) error) (bool, error) {
	if _, err := os.Stat(path); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, create(path)
}
