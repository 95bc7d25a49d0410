package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/node"
)

// testnetNode is one home of a local network.
type testnetNode struct {
	Name      string `json:"name"`
	Home      string `json:"home"`
	Validator bool   `json:"validator"`
	ID        string `json:"id"`
	RPC       string `json:"rpc"`
	P2P       string `json:"p2p"`
	// Board is the notice board's listen address.
	Board string `json:"board"`
	// Admin is the address of the home's admin key; full nodes have none.
	Admin tx.Address `json:"admin,omitempty"`
}

// Peer returns the node's persistent_peers entry.
func (n testnetNode) Peer() string { return node.PeerAddress(n.ID, n.P2P) }

// testnetOptions are what `linli testnet` asks for.
type testnetOptions struct {
	out           string
	validators    int
	full          int
	community     string
	chainID       string
	basePort      int
	timeoutCommit time.Duration
	emptyBlocks   time.Duration
	minNotice     time.Duration
	minVoting     time.Duration
	// mempoolSize and noIndexer tune the nodes for benchmarks.
	mempoolSize int
	noIndexer   bool
}

func runTestnet(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "testnet", "--validators N [--full M] --out DIR")
	var o testnetOptions
	fs.IntVar(&o.validators, "validators", 4, "how many validator homes to write (node0, node1, ...)")
	fs.IntVar(&o.full, "full", 0, "how many non-validator full nodes to write besides (full0, full1, ...)")
	fs.StringVar(&o.out, "out", "", "directory to write the homes into")
	fs.StringVar(&o.community, "community", defaultCommunity, "the community's name, recorded in genesis")
	fs.StringVar(&o.chainID, "chain-id", "", "chain id (default: linli- and 6 random hex digits)")
	fs.IntVar(&o.basePort, "base-port", 26600, "node i's P2P listens on 127.0.0.1:BASE+10i and its RPC on BASE+10i+1; 0 picks free ports")
	fs.DurationVar(&o.timeoutCommit, "timeout-commit", node.DefaultTimeoutCommit, "pause between blocks (CometBFT consensus.timeout_commit)")
	fs.DurationVar(&o.emptyBlocks, "empty-blocks", node.DefaultEmptyBlocksInterval, emptyBlocksUsage)
	fs.DurationVar(&o.minNotice, "min-notice", 15*24*time.Hour, "shortest notice before voting on an owners' decision opens (a chain parameter)")
	fs.DurationVar(&o.minVoting, "min-voting", 24*time.Hour, "shortest voting time of an owners' decision (a chain parameter)")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(args) > 0:
		return fmt.Errorf("testnet takes no arguments, got %q", args)
	case o.out == "":
		fs.Usage()
		return fmt.Errorf("testnet wants --out DIR")
	case o.validators < 1 || o.validators > 50 || o.full < 0 || o.full > 50:
		return fmt.Errorf("testnet wants 1-50 validators and 0-50 full nodes")
	case o.basePort != 0 && (o.basePort < 1024 || o.basePort+10*(o.validators+o.full) > 65535):
		return fmt.Errorf("--base-port %d leaves no room for %d nodes", o.basePort, o.validators+o.full)
	}
	p := abci.DefaultParams()
	p.MinNotice, p.MinVoting = int64(o.minNotice.Seconds()), int64(o.minVoting.Seconds())
	if err := p.Validate(); err != nil {
		return fmt.Errorf("--min-notice %s, --min-voting %s: %w", o.minNotice, o.minVoting, err)
	}
	if o.chainID == "" {
		var b [3]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		o.chainID = "linli-" + hex.EncodeToString(b[:])
	}
	nodes, err := writeTestnet(env, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "linli: wrote %d validators and %d full nodes of chain %s in %s\n", o.validators, o.full, o.chainID, o.out)
	for _, n := range nodes {
		role := "validator"
		if !n.Validator {
			role = "full node"
		}
		fmt.Fprintf(env.Stderr, "  %-7s %-9s RPC %s  P2P %s\n", n.Name, role, strings.Replace(n.RPC, "tcp://", "http://", 1), strings.TrimPrefix(n.P2P, "tcp://"))
	}
	fmt.Fprintf(env.Stderr, "Start each in its own terminal: linli start --home %s\n", filepath.Join(o.out, nodes[0].Name))
	printJSON(env, map[string]any{"chain_id": o.chainID, "nodes": nodes})
	return nil
}

// writeTestnet writes the homes of a local network: validators first, each
// with its own admin key (every validator's admin is a genesis admin), then
// full nodes, which join with the validators' genesis file. Every node
// lists every validator but itself in persistent_peers. It never
// overwrites a file, so running it twice into one directory changes
// nothing.
func writeTestnet(env *Env, o testnetOptions) ([]testnetNode, error) {
	quiet := &Env{Stdin: env.Stdin, Stdout: env.Stdout, Stderr: discard{}}
	var nodes []testnetNode
	var validators []node.Validator
	var admins []tx.Address
	ports := freePorts{}
	for i := range o.validators + o.full {
		n := testnetNode{Name: fmt.Sprintf("node%d", i), Validator: i < o.validators}
		if !n.Validator {
			n.Name = fmt.Sprintf("full%d", i-o.validators)
		}
		n.Home = filepath.Join(o.out, n.Name)
		var err error
		if n.P2P, n.RPC, err = ports.next(o.basePort, i); err != nil {
			return nil, err
		}
		if n.Board, err = ports.board(o.basePort, i); err != nil {
			return nil, err
		}
		if n.ID, err = node.NodeID(n.Home); err != nil {
			return nil, err
		}
		if n.Validator {
			pub, err := node.ValidatorKey(n.Home)
			if err != nil {
				return nil, err
			}
			validators = append(validators, node.Validator{PubKey: pub, Power: node.DefaultValidatorPower, Name: n.Name})
			admin, _, err := loadOrCreateKey(home(n.Home).adminKey())
			if err != nil {
				return nil, err
			}
			n.Admin = keys.Address(admin)
			admins = append(admins, n.Admin)
		}
		nodes = append(nodes, n)
	}
	params := abci.DefaultParams()
	params.MinNotice = int64(o.minNotice.Seconds())
	if o.minVoting > 0 {
		params.MinVoting = int64(o.minVoting.Seconds())
	}
	genesisTime := time.Now().UTC().Truncate(time.Second)
	var genesis []byte
	for _, n := range nodes {
		var peers []string
		for _, p := range nodes[:o.validators] {
			if p.Name != n.Name {
				peers = append(peers, p.Peer())
			}
		}
		io := initOptions{
			home: home(n.Home), community: o.community, chainID: o.chainID,
			rpc: n.RPC, p2p: n.P2P, timeoutCommit: o.timeoutCommit, emptyBlocks: o.emptyBlocks, genesisTime: genesisTime, params: &params,
			admins: admins, validators: validators, peers: strings.Join(peers, ","), localNet: true,
			mempoolSize: o.mempoolSize, noIndexer: o.noIndexer, boardListen: n.Board,
		}
		if !n.Validator {
			io.genesis = genesis
		}
		if err := initHome(quiet, io); err != nil {
			return nil, fmt.Errorf("%s: %w", n.Name, err)
		}
		if n.Validator && genesis == nil {
			g, err := os.ReadFile(home(n.Home).genesis())
			if err != nil {
				return nil, err
			}
			genesis = g
		}
	}
	return nodes, nil
}

// freePorts hands out listen addresses, each port once.
type freePorts map[string]bool

// next returns node i's P2P and RPC listen addresses: BASE+10i and
// BASE+10i+1, or with base 0 two ports that are free now.
func (f freePorts) next(base, i int) (p2p, rpc string, err error) {
	if base != 0 {
		return fmt.Sprintf("tcp://127.0.0.1:%d", base+10*i), fmt.Sprintf("tcp://127.0.0.1:%d", base+10*i+1), nil
	}
	pick := func() (string, error) {
		for {
			a, err := node.FreeLoopbackAddr()
			if err != nil || !f[a] {
				f[a] = true
				return a, err
			}
		}
	}
	if p2p, err = pick(); err != nil {
		return "", "", err
	}
	rpc, err = pick()
	return p2p, rpc, err
}

// board returns node i's notice board address: BASE+10i+2, or with base 0
// a port that is free now.
func (f freePorts) board(base, i int) (string, error) {
	if base != 0 {
		return fmt.Sprintf("127.0.0.1:%d", base+10*i+2), nil
	}
	for {
		a, err := node.FreeLoopbackAddr()
		if err != nil || !f[a] {
			f[a] = true
			return strings.TrimPrefix(a, "tcp://"), err
		}
	}
}

// discard is an io.Writer that drops everything.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
