package abci

import (
	"context"
	"fmt"
	"sync"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// AppVersion is the version of the state machine's rules. It changes when
// the same txs would produce a different state.
const AppVersion = 2 // 2: an account's postings keyed by their position in the month

// App is the linli ABCI application: a thin shell that feeds txs to the
// handlers in exec.go and commits their writes to a Store.
type App struct {
	abcitypes.BaseApplication

	mu    sync.Mutex
	store Store

	chain     ChainInfo
	params    Params
	height    int64 // last committed height
	appHash   []byte
	blockTime int64 // last committed block time, unix seconds

	// pending holds the writes of InitChain and the block being finalized
	// until Commit; pendingPrev is the app hash it chains from.
	pending       *cache
	pendingPrev   []byte
	pendingHeight int64
	pendingHash   []byte
	pendingTime   int64
	// pendingKeep is set when the block closed a decision: its write set
	// is kept (Block.KeepWrites).
	pendingKeep bool

	// check is CheckTx's view: committed state plus the txs admitted to
	// the mempool since, so a signer's consecutive txs pass in order.
	check *cache

	// checked remembers decoded txs whose signature verified (speed.go).
	checked *checkedTxs
}

var _ abcitypes.Application = (*App)(nil)

// New returns an app over a store, resuming from its last commit.
func New(s Store) (*App, error) {
	b, err := s.LastBlock()
	if err != nil {
		return nil, fmt.Errorf("abci: read last block: %w", err)
	}
	a := &App{store: newReadCache(s, readCacheSize, b.Height), checked: newCheckedTxs(checkedTxsSize, checkedTxsBytes),
		height: b.Height, appHash: b.AppHash, blockTime: b.Time}
	a.loadCommitted()
	return a, nil
}

// loadCommitted refreshes the fields cached from committed state.
func (a *App) loadCommitted() {
	r := storeReader{a.store}
	a.chain, _ = get[ChainInfo](r, keyChain)
	a.params, _ = get[Params](r, keyParams)
	a.check = newCache(r)
}

// Info is called by CometBFT at startup (the handshake) to learn how far
// the app got; CometBFT then replays the blocks the app is missing.
func (a *App) Info(context.Context, *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &abcitypes.ResponseInfo{
		Data:             "linli",
		Version:          "1",
		AppVersion:       AppVersion,
		LastBlockHeight:  a.height,
		LastBlockAppHash: a.appHash,
	}, nil
}

// InitChain is called once, when the chain starts at genesis (or when a
// node with an empty store replays from genesis). Its writes are committed
// with the first block.
func (a *App) InitChain(_ context.Context, req *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.height != 0 {
		return nil, fmt.Errorf("abci: InitChain on a store already at height %d", a.height)
	}
	g, err := ParseGenesis(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	c := newCache(storeReader{a.store})
	writeGenesis(c, req.ChainId, g)
	writeGenesisValidators(c, req.Validators)
	a.chain = ChainInfo{ChainID: req.ChainId, Community: g.Community}
	a.params = g.Params
	a.pending = c
	a.pendingPrev = AppHash(nil, req.InitialHeight-1, c.sorted())
	a.check = newCache(c)
	return &abcitypes.ResponseInitChain{AppHash: a.pendingPrev}, nil
}

// CheckTx is called by the mempool for each new tx, and again for the txs
// still waiting after every commit (recheck). It runs the same handlers as
// FinalizeBlock against CheckTx's own view of state.
func (a *App) CheckTx(_ context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := execTx(a.check, a.chain.ChainID, a.height+1, a.blockTime, true, a.params, req.Tx, a.checked)
	return &abcitypes.ResponseCheckTx{Code: r.Code, Log: r.Log, Codespace: r.Codespace}, nil
}

// FinalizeBlock is called once per decided block: it applies every tx in
// order, gives each a result code, and returns the block's app hash. The
// writes wait in memory until Commit.
func (a *App) FinalizeBlock(_ context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil || a.pendingHeight != 0 {
		// A fresh block, or the same height again after a round that
		// never committed: start from committed state.
		a.pending = newCache(storeReader{a.store})
		a.pendingPrev = a.appHash
	}
	c := a.pending
	// The block time is not written to state (Store.Commit records it
	// beside the height): a block without txs or due deadlines then
	// writes nothing and keeps the app hash (AppHash), so an idle chain
	// stops making blocks.
	blockTime := req.Time.Unix()
	// Work that falls due at this block time runs before its txs, so a
	// vote closing at time T is tallied in the first block at or after T
	// and a ballot in that block is already too late.
	bctx := &Context{Height: req.Height, Time: blockTime, Params: a.params, st: c, keep: map[string][]byte{}}
	closeDue(bctx)
	results := make([]*abcitypes.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		results[i] = execTx(c, a.chain.ChainID, req.Height, blockTime, false, a.params, raw, a.checked)
		a.checked.forget(raw)
	}
	a.pendingHeight, a.pendingTime = req.Height, blockTime
	a.pendingKeep = closedDecision(bctx.events)
	a.pendingHash = AppHash(a.pendingPrev, req.Height, c.sorted())
	return &abcitypes.ResponseFinalizeBlock{TxResults: results, Events: bctx.events, AppHash: a.pendingHash,
		ValidatorUpdates: validatorUpdates(c, req.Height)}, nil
}

// Commit is called after FinalizeBlock once CometBFT has saved the block:
// the block's writes, height and app hash go to the store in one
// transaction.
func (a *App) Commit(context.Context, *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil || a.pendingHeight == 0 {
		return nil, fmt.Errorf("abci: Commit without FinalizeBlock")
	}
	b := Block{Height: a.pendingHeight, AppHash: a.pendingHash, Time: a.pendingTime, KeepWrites: a.pendingKeep}
	if err := a.store.Commit(b, a.pending.sorted()); err != nil {
		panic("abci: commit state: " + err.Error())
	}
	a.height, a.appHash, a.blockTime = b.Height, b.AppHash, b.Time
	a.pending, a.pendingPrev, a.pendingHeight, a.pendingHash, a.pendingTime, a.pendingKeep = nil, nil, 0, nil, 0, false
	a.loadCommitted()
	// Keep every block: a node that loses its app.db rebuilds it by
	// replaying from genesis.
	return &abcitypes.ResponseCommit{RetainHeight: 0}, nil
}

// closedDecision reports whether a block's own events (closeDue's) closed
// an owners' decision.
func closedDecision(events []abcitypes.Event) bool {
	for _, e := range events {
		if e.Type != "proposal.closed" {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == "kind" && a.Value == KindDecision {
				return true
			}
		}
	}
	return false
}
