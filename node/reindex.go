package node

import (
	"context"
	"fmt"

	dbm "github.com/cometbft/cometbft-db"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/state/indexer"
	"github.com/cometbft/cometbft/state/indexer/block"
	"github.com/cometbft/cometbft/state/txindex"
	"github.com/cometbft/cometbft/store"
	"github.com/cometbft/cometbft/types"
)

// reindex indexes again every committed height that the tx index lacks,
// the way CometBFT's `reindex-event` command does: from the block store's
// txs and the FinalizeBlock responses the state store keeps, through
// CometBFT's own indexers. CometBFT indexes a block after committing it,
// from a goroutine that only logs a failed write, so a full disk or a
// kill leaves committed heights whose receipts never arrive.
//
// The indexer writes heights in order and a node stops at its first
// failed write (Failed), so the missing heights are the ones above the
// last complete one: reindex walks down from the top to it. Only the kv
// indexer is checked; "null" keeps no index and "psql" is the operator's.
func reindex(ctx context.Context, conf *cfg.Config, logger cmtlog.Logger) error {
	if conf.TxIndex.Indexer != "kv" {
		return nil
	}
	var dbs []dbm.DB
	defer func() {
		for _, db := range dbs {
			db.Close()
		}
	}()
	open := func(c *cfg.DBContext) (dbm.DB, error) {
		db, err := cfg.DefaultDBProvider(c)
		if err == nil {
			dbs = append(dbs, db)
		}
		return db, err
	}
	blockDB, err := open(&cfg.DBContext{ID: "blockstore", Config: conf})
	if err != nil {
		return fmt.Errorf("node: reindex: %w", err)
	}
	stateDB, err := open(&cfg.DBContext{ID: "state", Config: conf})
	if err != nil {
		return fmt.Errorf("node: reindex: %w", err)
	}
	blocks := store.NewBlockStore(blockDB)
	states := sm.NewStore(stateDB, sm.StoreOptions{DiscardABCIResponses: conf.Storage.DiscardABCIResponses})
	state, err := states.Load()
	if err != nil {
		return fmt.Errorf("node: reindex: load state: %w", err)
	}
	// The block store may hold one block more than the state applied; the
	// handshake applies it, with the indexer listening.
	top := min(blocks.Height(), state.LastBlockHeight)
	if top < 1 {
		return nil
	}
	txs, blockIdx, _, err := block.IndexerFromConfigWithDisabledIndexers(conf, open, state.ChainID)
	if err != nil {
		return fmt.Errorf("node: reindex: %w", err)
	}

	from := top + 1
	for h := top; h >= max(blocks.Base(), 1); h-- {
		ok, err := indexed(blocks, txs, blockIdx, h)
		if err != nil {
			return fmt.Errorf("node: reindex: height %d: %w", h, err)
		}
		if ok {
			break
		}
		from = h
	}
	if from > top {
		return nil
	}
	logger.Info("Re-indexing heights missing from the tx index", "from", from, "to", top)
	for h := from; h <= top; h++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("node: reindex stopped at height %d: %w", h, err)
		}
		if err := indexHeight(blocks, states, txs, blockIdx, h); err != nil {
			return fmt.Errorf("node: reindex height %d: %w", h, err)
		}
	}
	logger.Info("Re-indexed", "heights", top-from+1)
	return nil
}

// indexed reports whether the block index has height h and the tx index
// every tx of its block. CometBFT writes the block's entry first, so the
// txs are checked too.
func indexed(blocks *store.BlockStore, txs txindex.TxIndexer, blockIdx indexer.BlockIndexer, h int64) (bool, error) {
	ok, err := blockIdx.Has(h)
	if err != nil || !ok {
		return false, err
	}
	b := blocks.LoadBlock(h)
	if b == nil {
		return false, fmt.Errorf("block %d is not in the block store", h)
	}
	for _, tx := range b.Txs {
		r, err := txs.Get(tx.Hash())
		if err != nil {
			return false, err
		}
		if r == nil {
			return false, nil
		}
	}
	return true, nil
}

// indexHeight is one step of CometBFT's reindex-event loop
// (cmd/cometbft/commands/reindex_event.go, eventReIndex).
func indexHeight(blocks *store.BlockStore, states sm.Store, txs txindex.TxIndexer, blockIdx indexer.BlockIndexer, h int64) error {
	b := blocks.LoadBlock(h)
	if b == nil {
		return fmt.Errorf("block %d is not in the block store", h)
	}
	resp, err := states.LoadFinalizeBlockResponse(h)
	if err != nil {
		return fmt.Errorf("load the FinalizeBlock response: %w", err)
	}
	if len(resp.TxResults) != len(b.Txs) {
		return fmt.Errorf("%d tx results for %d txs", len(resp.TxResults), len(b.Txs))
	}
	if len(b.Txs) > 0 {
		batch := txindex.NewBatch(int64(len(b.Txs)))
		for i, r := range resp.TxResults {
			if err := batch.Add(&abcitypes.TxResult{Height: h, Index: uint32(i), Tx: b.Txs[i], Result: *r}); err != nil {
				return err
			}
		}
		if err := txs.AddBatch(batch); err != nil {
			return err
		}
	}
	return blockIdx.Index(types.EventDataNewBlockEvents{Height: h, Events: resp.Events, NumTxs: int64(len(b.Txs))})
}
