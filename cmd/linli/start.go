package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/config"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
	"github.com/linli-community/linli/store"
)

func runStart(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "start", "[--home DIR]")
	h := homeFlag(fs)
	community := fs.String("community", defaultCommunity, "the community's name, if the home must be initialised first")
	if err := parseNone(fs, "start", args); err != nil {
		return err
	}
	hm := home(*h)
	if !hm.exists() {
		if err := refuseForeignDir(hm); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "linli: %s has no node yet; initialising it first\n", hm)
		o := initOptions{home: hm, community: *community, rpc: node.DefaultRPCListen, p2p: node.DefaultP2PListen}
		if err := initHome(env, o); err != nil {
			return err
		}
	}
	n, closeAll, err := startNode(ctx, env, hm)
	if err != nil {
		return err
	}
	conf, err := config.Load(hm.linliConfig())
	if err != nil {
		return errors.Join(err, closeAll())
	}
	stopWechat, err := startGateways(ctx, env, hm, n, conf)
	if err != nil {
		return errors.Join(err, closeAll())
	}
	stopBoard, err := startBoard(env, conf, ledger.New(n.Local()), n.RPCAddr(), "")
	if err != nil {
		return errors.Join(err, stopWechat(), closeAll())
	}
	fmt.Fprintf(env.Stderr, "linli: node running, RPC %s (home %s). Ctrl-C stops it.\n", n.RPCAddr(), hm)
	if empty, err := noUnits(ctx, n); err == nil && empty {
		fmt.Fprintf(env.Stderr, "linli: the community has no units yet. Next, in another terminal: write an empty roster with\n  linli roster template units.xlsx\n(or copy examples/units.csv, a sample roster in the repository, to units.csv), fill in your units, then run\n  linli roster import units.xlsx --home %s\n", hm)
	}
	select {
	case <-ctx.Done():
		fmt.Fprintln(env.Stderr, "linli: stopping")
		return errors.Join(stopBoard(), stopWechat(), closeAll())
	case <-n.Failed():
		// A node that cannot write stops answering for good: exit, so that
		// a supervisor notices and restarts it once the disk is fixed.
		fmt.Fprintf(env.Stderr, "linli: storage failure, stopping: %v\n"+
			"linli: free space on %s (or fix the disk) and start again; the start re-indexes the blocks whose receipts are missing\n", n.Err(), hm)
		return errors.Join(fmt.Errorf("node stopped on a storage failure: %w", n.Err()), stopBoard(), stopWechat(), closeAll())
	}
}

// startNode opens the app state and starts the in-process CometBFT node
// over it. closeAll stops the node, then closes the state file, and
// returns the first error.
func startNode(ctx context.Context, env *Env, hm home) (*node.Node, func() error, error) {
	conf, err := config.Load(hm.linliConfig())
	if err != nil {
		return nil, nil, err
	}
	logger, err := node.NewLogger(env.Stderr, conf.LogLevel)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.OpenAppState(hm.appDB())
	if err != nil {
		return nil, nil, err
	}
	app, err := abci.New(st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	n, err := node.Start(ctx, string(hm), app, logger)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	closeAll := func() error {
		err := n.Close()
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return n, closeAll, nil
}

// refuseForeignDir returns an error when hm is a directory with files in
// it that is not a linli home: `start` initialises an empty or missing
// directory only, so that a mistyped path (the temporary directory around
// a kept demo's home, say) is not silently turned into a new, empty
// community.
func refuseForeignDir(hm home) error {
	entries, err := os.ReadDir(string(hm))
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(entries) == 0 {
		return nil
	}
	if err != nil {
		return err
	}
	hint := ""
	for _, e := range entries {
		if inner := home(filepath.Join(string(hm), e.Name())); e.IsDir() && inner.exists() {
			hint = fmt.Sprintf(" (did you mean --home %s?)", inner)
			break
		}
	}
	return fmt.Errorf("%s is not a linli home (it has no config/genesis.json) and is not empty: refusing to initialise a new community there%s", hm, hint)
}

// noUnits reports whether the chain has no registered units yet.
func noUnits(ctx context.Context, n *node.Node) (bool, error) {
	res, err := ledger.New(n.Local()).Query(ctx, "units")
	if err != nil {
		return false, err
	}
	var units []abci.Unit
	if _, err := res.Decode("units", &units); err != nil {
		return false, err
	}
	return len(units) == 0, nil
}
