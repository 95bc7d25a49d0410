package main

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/workload"
)

// benchOptions are what `linli bench` asks for.
type benchOptions struct {
	app           string
	node          string
	home          string
	txs           int
	senders       int
	window        int
	validators    int
	polls         int
	mempool       int
	timeoutCommit time.Duration
	indexer       string
	mix           string
	cpuProfile    string
	rounds        int
	replay        bool
	keep          string
	logLevel      string
	verbose       bool
}

func runBench(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "bench", "[--app linli|kvstore] [--txs N] [--senders N] [--validators N] [--rounds N] [--node URL]")
	var o benchOptions
	fs.StringVar(&o.app, "app", "linli", "linli, or kvstore to measure CometBFT's example kvstore too, side by side with the same load shape and settings")
	fs.StringVar(&o.node, "node", "", "load an already running linli node at this RPC URL instead of starting one (signs with --home's admin key)")
	fs.StringVar(&o.home, "home", defaultHome(), "with --node: the home whose admin key sets the benchmark community up")
	fs.IntVar(&o.txs, "txs", 20000, "transactions to commit in each measured round")
	fs.IntVar(&o.rounds, "rounds", 1, "measured rounds; with --app kvstore the two apps take turns, and the medians are compared")
	fs.IntVar(&o.senders, "senders", 256, "members sending load, each with its own key and nonces (plus a treasurer per 16 members, and the admin)")
	fs.IntVar(&o.window, "window", 16, "transactions a sender may have sent but not yet seen committed")
	fs.IntVar(&o.validators, "validators", 1, "validators of the embedded network (all in this process)")
	fs.IntVar(&o.polls, "polls", 4, "polls the community votes on")
	fs.IntVar(&o.mempool, "mempool", 10000, "mempool size in txs (CometBFT mempool.size)")
	fs.DurationVar(&o.timeoutCommit, "timeout-commit", node.DefaultTimeoutCommit, "CometBFT consensus.timeout_commit")
	fs.StringVar(&o.indexer, "indexer", "kv", "CometBFT tx indexer: kv (receipts by hash) or null")
	fs.StringVar(&o.mix, "mix", "default", "default (ballots mostly, bookings, items, entries, registry) or ballots (first ballots only)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the first measured linli round to this file (go tool pprof)")
	fs.BoolVar(&o.replay, "replay", false, "afterwards, time a fresh audit node replaying the whole chain")
	fs.StringVar(&o.keep, "keep", "", "keep the nodes' homes in this directory (default: a temporary one, removed)")
	fs.StringVar(&o.logLevel, "log-level", "none", "CometBFT log level of the embedded nodes")
	fs.BoolVar(&o.verbose, "verbose", false, "print every block's size and time, and how long broadcasts took")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(args) > 0:
		return fmt.Errorf("bench takes no arguments, got %q", args)
	case o.app != "linli" && o.app != "kvstore":
		return fmt.Errorf("--app must be linli or kvstore")
	case o.mix != "default" && o.mix != "ballots":
		return fmt.Errorf("--mix must be default or ballots")
	case o.indexer != "kv" && o.indexer != "null":
		return fmt.Errorf("--indexer must be kv or null")
	case o.txs < 1 || o.rounds < 1 || o.senders < 2 || o.window < 1 || o.validators < 1 || o.validators > 16 || o.polls < 1:
		return fmt.Errorf("bench wants --txs, --rounds, --window, --polls >= 1, --senders >= 2 and 1-16 --validators")
	case o.node != "" && (o.app != "linli" || o.replay):
		return fmt.Errorf("--node measures that node only: it takes neither --app kvstore nor --replay")
	}
	dir := o.keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "linli-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	fmt.Fprintf(env.Stderr, "linli bench: %d rounds of %d txs from %d senders (window %d), %d validator(s), timeout_commit %s, mempool %d, indexer %s, GOMAXPROCS %d\n",
		o.rounds, o.txs, o.senders, o.window, o.validators, o.timeoutCommit, o.mempool, o.indexer, runtime.GOMAXPROCS(0))

	lt, err := newLinliTarget(ctx, env, o, filepath.Join(dir, "linli"))
	if err != nil {
		return err
	}
	defer lt.close()
	targets := []*benchTarget{lt}
	if o.app == "kvstore" {
		// One network runs at a time: each round starts its own.
		if err := lt.net.close(); err != nil {
			return err
		}
		kt, err := newKVStoreTarget(ctx, env, o, filepath.Join(dir, "kvstore"), lt)
		if err != nil {
			return err
		}
		defer kt.close()
		if err := kt.net.close(); err != nil {
			return err
		}
		targets = append(targets, kt)
	}
	results := make([][]benchResult, len(targets))
	for r := range o.rounds {
		for i, t := range targets {
			profile := ""
			if i == 0 && r == 0 {
				profile = o.cpuProfile
			}
			res, err := t.round(ctx, env, o, profile)
			if err != nil {
				return err
			}
			results[i] = append(results[i], res)
			if len(targets) > 1 {
				if err := t.net.close(); err != nil {
					return err
				}
			}
		}
	}
	var replay *replayResult
	if o.replay {
		if !lt.net.running() {
			if err := lt.net.start(ctx); err != nil {
				return err
			}
		}
		if replay, err = benchReplay(ctx, o, filepath.Join(dir, "linli"), lt.net); err != nil {
			return err
		}
	}
	var disks [][]diskGrowth
	for _, t := range targets {
		disks = append(disks, t.disk())
	}
	printBench(env.Stdout, results, disks, replay)
	return nil
}

// benchTarget is a network under load: an embedded one (net) or a node
// elsewhere (urls and watch). Each round sends a new batch of txs from
// the same senders.
type benchTarget struct {
	name    string
	net     *benchNet // nil with --node
	urls    []string  // with --node
	watch   rpcclient.Client
	txBytes int
	senders int
	// batch returns the next round's txs, per sender, in order.
	batch func(n int) [][][]byte
	// disk0 is the first node's data before the first round, and
	// committed counts the txs of all rounds since.
	disk0     map[string]int64
	committed int
}

// disk returns how much the first node's data grew per tx over all rounds.
func (t *benchTarget) disk() []diskGrowth {
	if t.net == nil {
		return nil
	}
	return diskGrowthPerTx(t.disk0, dataSizes(t.net.homes[0]), t.committed)
}

func (t *benchTarget) close() error {
	if t.net == nil {
		return nil
	}
	return t.net.close()
}

// round sends one batch of o.txs and measures it.
func (t *benchTarget) round(ctx context.Context, env *Env, o benchOptions, profile string) (benchResult, error) {
	txs := t.batch(o.txs)
	urls, watch := t.urls, t.watch
	if t.net != nil {
		if t.disk0 == nil {
			t.disk0 = dataSizes(t.net.homes[0])
		}
		if !t.net.running() {
			if err := t.net.start(ctx); err != nil {
				return benchResult{}, err
			}
		}
		urls, watch = t.net.urls(), t.net.nodes[0].Local()
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return benchResult{}, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return benchResult{}, err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	res, err := runLoad(ctx, env, t.name, txs, urls, watch, o.window, o.verbose)
	if err != nil {
		return res, err
	}
	res.TxBytes = t.txBytes
	res.Remote = t.net == nil
	t.committed += res.Committed + res.Failed
	return res, nil
}

// benchResult is one measured run.
type benchResult struct {
	App       string
	Committed int
	Failed    int
	Elapsed   time.Duration
	Blocks    int64
	TxBytes   int
	P50, P95  time.Duration
	P99       time.Duration
	// CPU is the process's CPU time over the run in cores (user+system
	// seconds per second); PeakRSS its largest resident set.
	CPU     float64
	PeakRSS int64
	// Remote is true when the node ran elsewhere: CPU and memory are the
	// client's only.
	Remote bool
}

func (r benchResult) rate() float64 { return float64(r.Committed) / r.Elapsed.Seconds() }

type diskGrowth struct {
	Name  string
	Bytes int64
}

type replayResult struct {
	Blocks  int64
	Txs     int64
	Elapsed time.Duration
}

// benchNet is the embedded network of a run. It can be stopped and
// started again from its homes, so that with --app kvstore only the
// network under load runs: an idle network still makes a block every
// timeout_commit and holds its memory, which would slow the other.
type benchNet struct {
	o      benchOptions
	app    string
	homes  []string
	nodes  []*node.Node
	closes []func() error
	admin  ed25519.PrivateKey
}

// close stops every node; start starts them again.
func (n *benchNet) close() error {
	var first error
	for i := len(n.closes) - 1; i >= 0; i-- {
		if err := n.closes[i](); err != nil && first == nil {
			first = err
		}
	}
	n.nodes, n.closes = nil, nil
	return first
}

func (n *benchNet) running() bool { return len(n.nodes) > 0 }

func (n *benchNet) urls() []string {
	var out []string
	for _, nd := range n.nodes {
		out = append(out, nd.RPCAddr())
	}
	return out
}

// benchEmptyBlocks is the bench networks' empty-block interval.
const benchEmptyBlocks = 250 * time.Millisecond

// startBenchNet writes and starts an embedded network of o.validators
// nodes running app ("linli" or "kvstore"), every node configured alike.
func startBenchNet(ctx context.Context, env *Env, o benchOptions, dir, app string) (*benchNet, error) {
	nodes, err := writeTestnet(env, testnetOptions{
		out: dir, validators: o.validators, community: "基准小区", chainID: "linli-bench",
		timeoutCommit: o.timeoutCommit, mempoolSize: o.mempool, noIndexer: o.indexer == "null",
		// The setup waits for a decision's voting to open: an idle spell
		// must not add 30 s empty-block waits to it.
		emptyBlocks: benchEmptyBlocks,
	})
	if err != nil {
		return nil, err
	}
	net := &benchNet{o: o, app: app}
	if net.admin, err = keys.Load(home(nodes[0].Home).adminKey()); err != nil {
		return nil, err
	}
	for _, tn := range nodes {
		net.homes = append(net.homes, tn.Home)
	}
	return net, net.start(ctx)
}

// start starts every node from its home and returns once each has seen
// a block made after the start, so the nodes are connected and agreeing.
func (n *benchNet) start(ctx context.Context) error {
	for _, h := range n.homes {
		nd, closeFn, err := startBenchNode(ctx, n.o, h, n.app)
		if err != nil {
			n.close()
			return err
		}
		n.nodes = append(n.nodes, nd)
		n.closes = append(n.closes, closeFn)
	}
	var from []int64
	for _, nd := range n.nodes {
		st, err := nd.Local().Status(ctx)
		if err != nil {
			n.close()
			return err
		}
		from = append(from, st.SyncInfo.LatestBlockHeight)
	}
	for i, nd := range n.nodes {
		for {
			st, err := nd.Local().Status(ctx)
			if err != nil {
				n.close()
				return err
			}
			if st.SyncInfo.LatestBlockHeight > from[i] && !st.SyncInfo.CatchingUp {
				break
			}
			select {
			case <-ctx.Done():
				n.close()
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// startBenchNode starts one embedded node over a fresh app of its kind.
func startBenchNode(ctx context.Context, o benchOptions, h, app string) (*node.Node, func() error, error) {
	logger, err := node.NewLogger(os.Stderr, o.logLevel)
	if err != nil {
		return nil, nil, err
	}
	var a abcitypes.Application
	closeApp := func() error { return nil }
	switch app {
	case "kvstore":
		// kvstore.NewPersistentApplication, with the database kept to close.
		db, err := dbm.NewGoLevelDB("kvstore", filepath.Join(h, "data"))
		if err != nil {
			return nil, nil, err
		}
		a, closeApp = kvstore.NewApplication(db), db.Close
	default:
		st, err := store.OpenAppState(home(h).appDB())
		if err != nil {
			return nil, nil, err
		}
		la, err := abci.New(st)
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		a, closeApp = la, st.Close
	}
	nd, err := node.Start(ctx, h, a, logger)
	if err != nil {
		closeApp()
		return nil, nil, err
	}
	return nd, func() error {
		err := nd.Close()
		if cerr := closeApp(); err == nil {
			err = cerr
		}
		return err
	}, nil
}

// benchClient returns a client for url whose HTTP transport keeps a
// connection per sender, so senders do not queue for connections.
func benchClient(url string, conns int) (*ledger.Client, rpcclient.Client, error) {
	url = strings.Replace(url, "tcp://", "http://", 1)
	hc := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			DisableCompression:  true,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	rc, err := rpchttp.NewWithClient(url, "/websocket", hc)
	if err != nil {
		return nil, nil, err
	}
	return ledger.New(rc), rc, nil
}

// newLinliTarget starts linli's network (or dials --node) and sets a
// community up on it. Its batches are signed beforehand, so a round
// measures the node, not the signing.
func newLinliTarget(ctx context.Context, env *Env, o benchOptions, dir string) (*benchTarget, error) {
	t := &benchTarget{name: "linli"}
	var admin ed25519.PrivateKey
	if o.node != "" {
		t.urls = []string{o.node}
		_, rc, err := benchClient(o.node, 4)
		if err != nil {
			return nil, err
		}
		t.watch = rc
		if admin, err = keys.Load(home(o.home).adminKey()); err != nil {
			return nil, fmt.Errorf("%w (bench --node signs the setup with the admin key of --home)", err)
		}
	} else {
		var err error
		if t.net, err = startBenchNet(ctx, env, o, dir, "linli"); err != nil {
			return nil, err
		}
		admin = t.net.admin
	}
	setupURL := o.node
	if t.net != nil {
		setupURL = t.net.urls()[0]
	}
	setupClient, _, err := benchClient(setupURL, 4)
	if err != nil {
		t.close()
		return nil, err
	}
	mix := workload.DefaultMix()
	polls := o.polls
	if o.mix == "ballots" {
		mix = workload.BallotMix()
		// Every ballot a first one: enough polls for each sender's share.
		polls = max(polls, o.rounds*o.txs/o.senders+1)
	}
	setupStart := time.Now()
	c, err := workload.Setup(ctx, setupClient, admin, workload.Options{
		Members: o.senders, Polls: polls, Mix: mix,
		Progress: func(step string) { fmt.Fprintf(env.Stderr, "linli bench: setup: %s\n", step) },
	})
	if err != nil {
		t.close()
		return nil, err
	}
	fmt.Fprintf(env.Stderr, "linli bench: setup took %s\n", time.Since(setupStart).Round(time.Millisecond))
	senders := c.Senders()
	t.senders = len(senders)
	gen := func(n int) [][][]byte {
		txs := make([][][]byte, len(senders))
		for i, s := range senders {
			for range share(n, len(senders), i) {
				raw, _ := s.Next()
				txs[i] = append(txs[i], raw)
			}
		}
		return txs
	}
	// The first round's txs are made now: their average size is what
	// kvstore's txs match.
	first := gen(o.txs)
	total := 0
	for _, list := range first {
		for _, raw := range list {
			total += len(raw)
		}
	}
	t.txBytes = total / o.txs
	t.batch = func(n int) [][][]byte {
		if b := first; b != nil {
			first = nil
			return b
		}
		return gen(n)
	}
	return t, nil
}

// share is how many of n txs sender i of k sends.
func share(n, k, i int) int {
	if i < n%k {
		return n/k + 1
	}
	return n / k
}

// newKVStoreTarget starts CometBFT's example kvstore on a network
// configured like linli's, and loads it the same way: as many senders as
// linli's, as many txs each, of the same size, through the same RPC.
func newKVStoreTarget(ctx context.Context, env *Env, o benchOptions, dir string, like *benchTarget) (*benchTarget, error) {
	net, err := startBenchNet(ctx, env, o, dir, "kvstore")
	if err != nil {
		return nil, err
	}
	t := &benchTarget{name: "kvstore", net: net, txBytes: like.txBytes, senders: like.senders}
	senders, txBytes := t.senders, t.txBytes
	seq := make([]int, senders)
	t.batch = func(n int) [][][]byte {
		txs := make([][][]byte, senders)
		for i := range senders {
			for range share(n, senders, i) {
				key := fmt.Sprintf("s%d-%d=", i, seq[i])
				seq[i]++
				txs[i] = append(txs[i], []byte(key+strings.Repeat("v", max(1, txBytes-len(key)))))
			}
		}
		return txs
	}
	return t, nil
}

// stallTimeout is how long runLoad waits for a commit, once everything is
// sent, before it counts the txs still pending as lost.
const stallTimeout = 20 * time.Second

// pendingTx is a sent tx not yet seen in a block.
type pendingTx struct {
	sender int
	sent   time.Time
}

// runLoad sends txs[i] from sender i, in order, to urls[i % len(urls)],
// each sender keeping at most window txs uncommitted, and watches the
// blocks for them. It returns when every tx is committed or refused. With
// verbose it prints every block and the broadcasts' round trips.
func runLoad(ctx context.Context, env *Env, name string, txs [][][]byte, urls []string, watch rpcclient.Client, window int, verbose bool) (benchResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	total := 0
	for _, s := range txs {
		total += len(s)
	}
	clients := make([]*ledger.Client, len(urls))
	for i, u := range urls {
		lc, _, err := benchClient(u, len(txs)/len(urls)+2)
		if err != nil {
			return benchResult{}, err
		}
		clients[i] = lc
	}
	st, err := watch.Status(ctx)
	if err != nil {
		return benchResult{}, err
	}
	startHeight := st.SyncInfo.LatestBlockHeight

	var (
		mu        sync.Mutex
		pending   = make(map[[32]byte]pendingTx, total)
		latencies = make([]time.Duration, 0, total)
		failed    int
		committed atomic.Int64
		refused   atomic.Int64
		full      atomic.Int64 // broadcasts turned away by a full mempool
		sendErr   error
		rtts      []time.Duration
	)
	slots := make([]chan struct{}, len(txs))
	for i := range slots {
		slots[i] = make(chan struct{}, window)
	}
	done := make(chan struct{})
	var lost atomic.Int64        // accepted, then neither committed nor pending
	var sendersDone atomic.Int64 // senders that sent their last tx
	finished := func() bool { return int(committed.Load()+refused.Load()+lost.Load()) >= total }

	cpu0 := cpuTime()
	rss := startRSSSampler()
	start := time.Now()

	// The watcher reads every new block and settles the txs it holds.
	watchErr := make(chan error, 1)
	var height atomic.Int64
	height.Store(startHeight)
	go func() {
		defer close(done)
		next := startHeight + 1
		lastProgress, lastCount := time.Now(), int64(0)
		for !finished() {
			st, err := watch.Status(ctx)
			if err != nil {
				watchErr <- err
				return
			}
			if c := committed.Load(); c != lastCount {
				lastProgress, lastCount = time.Now(), c
			} else if time.Since(lastProgress) > stallTimeout && sendersDone.Load() == int64(len(txs)) {
				// Every tx was sent, and none has committed for a while:
				// whatever is still pending was dropped somewhere.
				mu.Lock()
				n := 0
				for k, p := range pending {
					if verbose && n < 5 {
						fmt.Fprintf(env.Stderr, "\n%s: lost a tx of sender %d sent at %s: %x", name, p.sender, p.sent.Sub(start).Round(time.Millisecond), k)
					}
					n++
					delete(pending, k)
				}
				lost.Add(int64(n))
				mu.Unlock()
				fmt.Fprintf(env.Stderr, "\n%s: %d txs accepted by CheckTx were never committed\n", name, n)
				return
			}
			for ; next <= st.SyncInfo.LatestBlockHeight; next++ {
				h := next
				b, err := watch.Block(ctx, &h)
				if err != nil {
					watchErr <- err
					return
				}
				br, err := watch.BlockResults(ctx, &h)
				if err != nil && strings.Contains(err.Error(), "could not find results") {
					// Saved, not yet executed: look again soon.
					break
				}
				if err != nil {
					watchErr <- err
					return
				}
				now := time.Now()
				mu.Lock()
				for i, t := range b.Block.Txs {
					k := sha256.Sum256(t)
					p, ok := pending[k]
					if !ok {
						continue
					}
					delete(pending, k)
					latencies = append(latencies, now.Sub(p.sent))
					if r := br.TxsResults[i]; r.Code != 0 {
						failed++
						if verbose {
							fmt.Fprintf(env.Stderr, "\n%s: a tx of sender %d failed in block %d: code %d: %s", name, p.sender, h, r.Code, r.Log)
						}
					}
					<-slots[p.sender]
					committed.Add(1)
				}
				mu.Unlock()
				height.Store(h)
				if verbose {
					fmt.Fprintf(env.Stderr, "\n%s: block %d: %d txs at %s", name, h, len(b.Block.Txs), b.Block.Time.Sub(start).Round(time.Millisecond))
				}
			}
			if finished() {
				return
			}
			select {
			case <-ctx.Done():
				watchErr <- ctx.Err()
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()

	// Progress, once a second.
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		last, lastT := int64(0), start
		for {
			select {
			case <-done:
				fmt.Fprint(env.Stderr, "\r\033[K")
				return
			case now := <-tick.C:
				c := committed.Load()
				fmt.Fprintf(env.Stderr, "\r\033[K%s: %d/%d committed, %.0f tx/s, height %d, mempool full %d×, %s",
					name, c, total, float64(c-last)/now.Sub(lastT).Seconds(), height.Load(), full.Load(), now.Sub(start).Round(time.Second))
				last, lastT = c, now
			}
		}
	}()

	var wg sync.WaitGroup
	for i, list := range txs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer sendersDone.Add(1)
			lc := clients[i%len(clients)]
			for _, t := range list {
				select {
				case slots[i] <- struct{}{}:
				case <-ctx.Done():
					return
				}
				k := sha256.Sum256(t)
				mu.Lock()
				pending[k] = pendingTx{sender: i, sent: time.Now()}
				mu.Unlock()
				for {
					t0 := time.Now()
					r, err := lc.Broadcast(ctx, t)
					if verbose {
						mu.Lock()
						rtts = append(rtts, time.Since(t0))
						mu.Unlock()
					}
					if err != nil && workload.IsMempoolFull(err) {
						full.Add(1)
						time.Sleep(10 * time.Millisecond)
						continue
					}
					if err == nil && r.Code == 0 {
						break
					}
					// Refused: it will never be in a block.
					mu.Lock()
					if _, ok := pending[k]; ok {
						delete(pending, k)
						<-slots[i]
						refused.Add(1)
					}
					if sendErr == nil {
						if err == nil {
							err = fmt.Errorf("CheckTx refused a tx: code %d: %s", r.Code, r.Log)
						}
						sendErr = err
					}
					mu.Unlock()
					break
				}
			}
		}()
	}
	select {
	case <-done:
	case err := <-watchErr:
		cancel()
		wg.Wait()
		<-done
		return benchResult{}, err
	}
	elapsed := time.Since(start)
	wg.Wait()
	cpu := cpuTime() - cpu0
	peak := rss()
	if sendErr != nil {
		fmt.Fprintf(env.Stderr, "%s: %d txs refused; the first: %v\n", name, refused.Load(), sendErr)
	}
	if verbose && len(rtts) > 0 {
		slices.Sort(rtts)
		fmt.Fprintf(env.Stderr, "%s: broadcast round trips p50 %s p90 %s p99 %s max %s\n", name,
			rtts[len(rtts)/2], rtts[len(rtts)*9/10], rtts[len(rtts)*99/100], rtts[len(rtts)-1])
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	return benchResult{
		App: name, Committed: len(latencies) - failed, Failed: failed + int(refused.Load()+lost.Load()),
		Elapsed: elapsed, Blocks: height.Load() - startHeight,
		P50: pct(0.50), P95: pct(0.95), P99: pct(0.99),
		CPU: cpu.Seconds() / elapsed.Seconds(), PeakRSS: peak,
	}, nil
}

// benchReplay starts a fresh audit node that joins the network and times
// its catching up with the chain: every block fetched and re-executed.
func benchReplay(ctx context.Context, o benchOptions, dir string, net *benchNet) (*replayResult, error) {
	src := net.nodes[0]
	st, err := src.Local().Status(ctx)
	if err != nil {
		return nil, err
	}
	target := st.SyncInfo.LatestBlockHeight
	var txs int64
	for h := int64(1); h <= target; h += 20 {
		info, err := src.Local().BlockchainInfo(ctx, h, min(h+19, target))
		if err != nil {
			return nil, err
		}
		for _, m := range info.BlockMetas {
			txs += int64(m.NumTxs)
		}
	}
	genesis, err := os.ReadFile(home(net.homes[0]).genesis())
	if err != nil {
		return nil, err
	}
	id, err := node.NodeID(net.homes[0])
	if err != nil {
		return nil, err
	}
	ports := freePorts{}
	p2p, rpc, err := ports.next(0, 0)
	if err != nil {
		return nil, err
	}
	audit := filepath.Join(dir, "audit")
	if err := initHome(&Env{Stdout: io.Discard, Stderr: io.Discard}, initOptions{
		home: home(audit), genesis: genesis, rpc: rpc, p2p: p2p, timeoutCommit: o.timeoutCommit, emptyBlocks: benchEmptyBlocks,
		peers: node.PeerAddress(id, src.Config().P2P.ListenAddress), localNet: true,
		mempoolSize: o.mempool, noIndexer: o.indexer == "null",
	}); err != nil {
		return nil, err
	}
	start := time.Now()
	nd, closeFn, err := startBenchNode(ctx, o, audit, "linli")
	if err != nil {
		return nil, err
	}
	defer closeFn()
	for {
		st, err := nd.Local().Status(ctx)
		if err != nil {
			return nil, err
		}
		if st.SyncInfo.LatestBlockHeight >= target {
			return &replayResult{Blocks: target, Txs: txs, Elapsed: time.Since(start)}, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// dataSizes returns the bytes of a home's data directory by group: the
// app state, CometBFT's block store, its state, the tx index and the rest.
func dataSizes(h string) map[string]int64 {
	sizes := map[string]int64{}
	data := filepath.Join(h, "data")
	filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(data, p)
		group := "other"
		switch {
		case strings.HasPrefix(rel, "app.db"), strings.HasPrefix(rel, "kvstore"):
			group = "app"
		case strings.HasPrefix(rel, "blockstore.db"):
			group = "blocks"
		case strings.HasPrefix(rel, "state.db"):
			group = "state"
		case strings.HasPrefix(rel, "tx_index.db"):
			group = "index"
		}
		sizes[group] += info.Size()
		return nil
	})
	return sizes
}

func diskGrowthPerTx(before, after map[string]int64, n int) []diskGrowth {
	if n == 0 {
		return nil
	}
	var out []diskGrowth
	for _, g := range []string{"app", "blocks", "state", "index", "other"} {
		out = append(out, diskGrowth{g, (after[g] - before[g]) / int64(n)})
	}
	return out
}

// cpuTime returns the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startRSSSampler samples the resident set size every 100 ms until the
// returned function is called, which returns the largest sample in bytes.
func startRSSSampler() func() int64 {
	var peak atomic.Int64
	stop := make(chan struct{})
	sample := func() {
		if r := currentRSS(); r > peak.Load() {
			peak.Store(r)
		}
	}
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		sample()
		return peak.Load()
	}
}

// currentRSS reads VmRSS from /proc/self/status (Linux); 0 elsewhere.
func currentRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// printBench prints every round of every app, then, with several rounds,
// each app's median round, and the ratio of linli's committed tx/s to
// kvstore's.
func printBench(w io.Writer, results [][]benchResult, disks [][]diskGrowth, replay *replayResult) {
	fmt.Fprintf(w, "\n%-8s %9s %7s %8s %6s %9s %9s %9s %7s %8s\n",
		"app", "committed", "failed", "tx/s", "blocks", "p50", "p95", "p99", "cpu", "peak RSS")
	row := func(r benchResult, label string) {
		cpu := fmt.Sprintf("%.2f", r.CPU)
		if r.Remote {
			cpu += "*"
		}
		fmt.Fprintf(w, "%-8s %9d %7d %8.0f %6d %9s %9s %9s %7s %7dM\n",
			label, r.Committed, r.Failed, r.rate(), r.Blocks,
			r.P50.Round(time.Millisecond), r.P95.Round(time.Millisecond), r.P99.Round(time.Millisecond),
			cpu, r.PeakRSS>>20)
	}
	medians := make([]benchResult, len(results))
	for i, rs := range results {
		for _, r := range rs {
			row(r, r.App)
		}
		sorted := slices.Clone(rs)
		slices.SortFunc(sorted, func(a, b benchResult) int { return cmp.Compare(a.rate(), b.rate()) })
		medians[i] = sorted[len(sorted)/2]
	}
	if len(results[0]) > 1 {
		fmt.Fprintln(w, "median rounds:")
		for _, m := range medians {
			row(m, m.App)
		}
	}
	if results[0][0].Remote {
		fmt.Fprintln(w, "* CPU and memory of this client only: the node runs elsewhere.")
	}
	fmt.Fprintf(w, "tx size %d bytes; cpu in cores (user+system) of this process; %s\n", results[0][0].TxBytes, time.Now().Format("2006-01-02"))
	for i, d := range disks {
		if len(d) == 0 {
			continue
		}
		var parts []string
		var total int64
		for _, g := range d {
			parts = append(parts, fmt.Sprintf("%s %d", g.Name, g.Bytes))
			total += g.Bytes
		}
		fmt.Fprintf(w, "%s disk per committed tx: %d bytes (%s)\n", results[i][0].App, total, strings.Join(parts, ", "))
	}
	if len(medians) == 2 {
		fmt.Fprintf(w, "linli / kvstore: %.2f of kvstore's committed tx/s\n", medians[0].rate()/medians[1].rate())
	}
	if r := replay; r != nil {
		fmt.Fprintf(w, "replay by a fresh audit node: %d blocks, %d txs in %s: %.0f blocks/s, %.0f tx/s\n",
			r.Blocks, r.Txs, r.Elapsed.Round(time.Millisecond), float64(r.Blocks)/r.Elapsed.Seconds(), float64(r.Txs)/r.Elapsed.Seconds())
	}
}
