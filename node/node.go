package node

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/blocksync"
	cfg "github.com/cometbft/cometbft/config"
	cs "github.com/cometbft/cometbft/consensus"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	mempl "github.com/cometbft/cometbft/mempool"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/rpc/client/local"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/statesync"
)

// Node is a CometBFT node running in this process.
type Node struct {
	node   *nm.Node
	conf   *cfg.Config
	local  *local.Local
	logger cmtlog.Logger
	dbs    *dbTracker
	fail   *failure

	closeOnce sync.Once
	closeErr  error
}

// Start loads the CometBFT home at home, starts a node that drives app
// through the synchronized local client (one mutex over all ABCI
// connections; see PreChecker for the work an app can do outside it) and
// returns once the node listens. Ctx bounds only the
// start-up (opening databases and the handshake that replays blocks into
// app); call Close to stop the node. A nil logger discards the node's logs.
//
// Before the node starts, committed heights missing from the tx index are
// indexed again (reindex). A running node reports a storage failure on
// Failed instead of carrying on half-stopped.
func Start(ctx context.Context, home string, app abcitypes.Application, logger cmtlog.Logger) (*Node, error) {
	if logger == nil {
		logger = cmtlog.NewNopLogger()
	}
	conf, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	// privval.LoadFilePV calls os.Exit on a missing or malformed file, so
	// both files are read once here first, returning errors instead.
	if err := checkPrivVal(conf); err != nil {
		return nil, err
	}
	pv := privval.LoadFilePV(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile())
	if err := checkSecretMode(conf.NodeKeyFile()); err != nil {
		return nil, err
	}
	nodeKey, err := p2p.LoadNodeKey(conf.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("node: load node key %s: %w", conf.NodeKeyFile(), err)
	}
	// A height committed while the tx index could not be written (a full
	// disk, a kill) has no receipts until it is indexed again.
	if err := reindex(ctx, conf, logger); err != nil {
		return nil, err
	}

	fail := newFailure()
	logger = failLogger{logger, fail}
	dbs := &dbTracker{fail: fail}
	n, err := nm.NewNodeWithContext(ctx, conf, pv, nodeKey,
		clientCreator(app),
		nm.DefaultGenesisDocProviderFunc(conf),
		dbs.provider,
		metricsProvider(conf.Instrumentation, logger),
		logger,
	)
	if err != nil {
		// CometBFT does not close the databases it opened before failing.
		dbs.closeAll()
		return nil, fmt.Errorf("node: create: %w", err)
	}
	if err := n.Start(); err != nil {
		// NewNode already started the ABCI connections, the event bus and
		// the indexer; OnStop stops what OnStart's own clean-up leaves.
		n.OnStop()
		stopProxyApp(n, logger)
		dbs.closeIndexer()
		return nil, fmt.Errorf("node: start: %w", err)
	}
	return &Node{
		node:   n,
		conf:   conf,
		local:  local.New(n),
		logger: logger,
		dbs:    dbs,
		fail:   fail,
	}, nil
}

// Close stops the node and waits for it, then releases what CometBFT's own
// Stop leaves behind: the ABCI connections and the tx index database. After
// Close the node's ports are free and its home can be started again. Close
// is safe to call more than once; later calls return the first result.
//
// CometBFT closes the RPC listener but never shuts its HTTP server down, so
// a kept-alive HTTP connection is still answered, with errors such as
// "leveldb: closed", until it has been idle for 10 seconds. Clients of a node
// that is restarted in-process should drop their idle connections.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.fail.stopping.Store(true)
		// The PEX reactor's address book saves itself from a goroutine that
		// Stop does not wait for; see waitReplaced.
		book := n.conf.P2P.AddrBookFile()
		_, pex := n.node.Switch().Reactor("PEX")
		before, _ := os.Stat(book)

		if err := n.node.Stop(); err != nil {
			n.closeErr = fmt.Errorf("node: stop: %w", err)
		}
		n.node.Wait()
		if pex && !waitReplaced(book, before, addrBookSaveTimeout) {
			n.logger.Error("Address book was not saved after stop", "file", book)
		}
		stopProxyApp(n.node, n.logger)
		n.dbs.closeIndexer()
	})
	return n.closeErr
}

// RPCAddr returns the http URL of the node's first TCP RPC listener, such as
// "http://127.0.0.1:26657", or "" when RPC is off. A wildcard host is
// reported as 127.0.0.1.
func (n *Node) RPCAddr() string {
	for _, addr := range strings.Split(n.conf.RPC.ListenAddress, ",") {
		u, err := url.Parse(strings.TrimSpace(addr))
		if err != nil || u.Scheme != "tcp" {
			continue
		}
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil {
			continue
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "127.0.0.1"
		}
		return "http://" + net.JoinHostPort(host, port)
	}
	return ""
}

// Local returns a client that calls the node's RPC functions directly,
// without HTTP. It ignores contexts and must not be used after Close.
func (n *Node) Local() *local.Local {
	return n.local
}

// Config returns the configuration the node runs with.
func (n *Node) Config() *cfg.Config {
	return n.conf
}

// FreeLoopbackAddr returns "tcp://127.0.0.1:PORT" for a TCP port that was
// free a moment ago, for tests that start nodes side by side.
func FreeLoopbackAddr() (string, error) {
	addrs, err := FreeLoopbackAddrs(1)
	if err != nil {
		return "", err
	}
	return addrs[0], nil
}

// FreeLoopbackAddrs is FreeLoopbackAddr for n addresses at once, all
// different: each port is held until all are chosen, so that two picks
// in a row cannot get the same port back (a node's RPC and P2P ports).
//
// The ports come from below the kernel's ephemeral range where it can be
// read. A port the kernel hands out (to a listener on port 0, or as the
// local end of an outgoing connection) could be taken again by any other
// test between this pick and the node binding it: a suite that runs
// packages side by side makes thousands of loopback connections, and CI
// once saw a node's P2P port taken that way. The kernel never hands out
// ports below the range, so only another pick of this function could take
// one, at random, in the moment before the node binds it.
func FreeLoopbackAddrs(n int) ([]string, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	low, high := pickRange()
	addrs := make([]string, 0, n)
	for len(addrs) < n {
		l, err := listenFree(low, high)
		if err != nil {
			return nil, fmt.Errorf("node: find free port: %w", err)
		}
		ls = append(ls, l)
		addrs = append(addrs, "tcp://"+l.Addr().String())
	}
	return addrs, nil
}

// pickRange returns the ports FreeLoopbackAddrs picks from: those from
// 10000 up to the kernel's ephemeral range, or none (0, 0) when the range
// cannot be read or leaves too few, and the kernel then picks.
func pickRange() (low, high int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0
	}
	var first, last int
	if _, err := fmt.Sscan(string(b), &first, &last); err != nil || first-10000 < 1000 {
		return 0, 0
	}
	return 10000, first - 1
}

// listenFree listens on a random free loopback port in [low, high], or on
// one the kernel picks when high is 0 or many random tries found none.
func listenFree(low, high int) (net.Listener, error) {
	if high > 0 {
		for range 100 {
			port := low + rand.IntN(high-low+1)
			if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
				return l, nil
			}
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// addrBookSaveTimeout bounds how long Close waits for the address book.
const addrBookSaveTimeout = 2 * time.Second

// waitReplaced waits until path exists and is not the file described by
// before (nil if there was none), and reports whether that happened within
// timeout. CometBFT's address book saves itself to path, by writing a
// temporary file and renaming it, once more after it is stopped, from a
// goroutine that nothing exported waits for. Waiting for that save lets a
// caller remove or reuse the home as soon as Close returns, and keeps the
// last save from being cut off when the process exits.
func waitReplaced(path string, before os.FileInfo, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		now, err := os.Stat(path)
		if err == nil && (before == nil || !os.SameFile(before, now)) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkPrivVal reads the priv validator files the way privval.LoadFilePV
// will, returning errors where LoadFilePV would exit the process.
func checkPrivVal(conf *cfg.Config) error {
	if err := checkSecretMode(conf.PrivValidatorKeyFile()); err != nil {
		return err
	}
	if _, err := readPrivValKey(conf.PrivValidatorKeyFile()); err != nil {
		return err
	}
	path := conf.PrivValidatorStateFile()
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("node: read priv validator state: %w", err)
	}
	var state privval.FilePVLastSignState
	if err := cmtjson.Unmarshal(data, &state); err != nil {
		return fmt.Errorf("node: read priv validator state %s: %w", path, err)
	}
	return nil
}

// checkSecretMode refuses a key file that others may read, as package keys
// does for the admin key and the gateway's master secret: the validator key
// signs blocks and the node key is the node's identity to its peers, and
// CometBFT itself loads either whatever its mode.
func checkSecretMode(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("node: %s is readable by others (mode %v); run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	return nil
}

// stopProxyApp stops the node's ABCI connections, which Node.OnStop leaves
// running. Stopping the local client reports no error, so CometBFT's
// "application crashed" watcher exits quietly instead of killing the process.
func stopProxyApp(n *nm.Node, logger cmtlog.Logger) {
	if err := n.ProxyApp().Stop(); err != nil {
		logger.Error("Stopping ABCI connections", "err", err)
	}
}

// metricsProvider is CometBFT's DefaultMetricsProvider, except that a second
// node in one process gets no-op metrics instead of a panic: CometBFT
// registers its collectors with Prometheus's global registry, which accepts
// each collector only once per process.
func metricsProvider(conf *cfg.InstrumentationConfig, logger cmtlog.Logger) nm.MetricsProvider {
	def := nm.DefaultMetricsProvider(conf)
	return func(chainID string) (c *cs.Metrics, p *p2p.Metrics, m *mempl.Metrics, s *sm.Metrics, a *proxy.Metrics, b *blocksync.Metrics, ss *statesync.Metrics) {
		defer func() {
			if r := recover(); r != nil {
				logger.Error("Prometheus metrics are already registered in this process; this node reports none", "err", r)
				c, p, m, s, a, b, ss = cs.NopMetrics(), p2p.NopMetrics(), mempl.NopMetrics(), sm.NopMetrics(), proxy.NopMetrics(), blocksync.NopMetrics(), statesync.NopMetrics()
			}
		}()
		return def(chainID)
	}
}

// dbTracker wraps cfg.DefaultDBProvider and remembers the databases it
// opened, because CometBFT never closes the tx index database and closes
// nothing when NewNode fails. An open goleveldb database keeps its lock, and
// the home could not be started again in this process.
type dbTracker struct {
	mu   sync.Mutex
	dbs  map[string]dbm.DB
	fail *failure
}

func (t *dbTracker) provider(ctx *cfg.DBContext) (dbm.DB, error) {
	db, err := cfg.DefaultDBProvider(ctx)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dbs == nil {
		t.dbs = make(map[string]dbm.DB)
	}
	db = &quietClosedDB{DB: db}
	t.dbs[ctx.ID] = db
	if t.fail != nil {
		return &watchedDB{DB: db, id: ctx.ID, f: t.fail}, nil
	}
	return db, nil
}

// quietClosedDB is a database whose reads after Close find nothing
// instead of failing. CometBFT's Stop does not wait for the consensus
// reactor's per-peer goroutines: one that wakes from its sleep after the
// block store was closed reads a commit from it, and the block store
// panics on the "leveldb: closed" error, taking the whole process down
// at the end of a clean shutdown (cometbft consensus/reactor.go
// queryMaj23Routine). Finding nothing, it skips its message and exits on
// its next check. Writes after Close still fail.
type quietClosedDB struct {
	dbm.DB
	closed atomic.Bool
}

func (d *quietClosedDB) Get(key []byte) ([]byte, error) {
	v, err := d.DB.Get(key)
	if err != nil && d.closed.Load() {
		return nil, nil
	}
	return v, err
}

func (d *quietClosedDB) Has(key []byte) (bool, error) {
	ok, err := d.DB.Has(key)
	if err != nil && d.closed.Load() {
		return false, nil
	}
	return ok, err
}

func (d *quietClosedDB) Close() error {
	d.closed.Store(true)
	return d.DB.Close()
}

// closeIndexer closes the tx index database, the one Node.OnStop leaves open.
func (t *dbTracker) closeIndexer() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if db, ok := t.dbs["tx_index"]; ok {
		_ = db.Close()
		delete(t.dbs, "tx_index")
	}
}

// closeAll closes every database opened so far, after NewNode failed.
func (t *dbTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, db := range t.dbs {
		_ = db.Close()
		delete(t.dbs, id)
	}
}
