package abci

// Store is the committed, replicated state the application reads and
// writes. store.AppState implements it on SQLite; the application is its
// only writer.
//
// Storage errors are not recoverable deterministically, so the application
// panics on any error a Store returns.
type Store interface {
	// Get returns the committed value of key, or ok=false when it is absent.
	Get(key string) (value []byte, ok bool, err error)
	// Scan calls fn for every committed key with the given prefix in
	// ascending byte order, until fn returns false.
	Scan(prefix string, fn func(key string, value []byte) bool) error
	// LastBlock returns the last commit, or the zero Block for a fresh
	// store.
	LastBlock() (Block, error)
	// Commit applies writes and records b as the last block, all in one
	// transaction: after a crash the store holds either all of it or none.
	// When b.KeepWrites is set it also keeps writes as block b.Height's
	// write set, for Snapshot.BlockWrites.
	Commit(b Block, writes []Write) error
	// Snapshot returns a read-only view of one commit, the last one when
	// Snapshot is called, that later commits do not change. Query reads
	// through one, so an answer built from several keys comes from a single
	// height. The caller must Close it; it may be used from one goroutine
	// at a time.
	Snapshot() (Snapshot, error)
}

// Snapshot is committed state as of one block; see Store.Snapshot.
type Snapshot interface {
	Get(key string) (value []byte, ok bool, err error)
	Scan(prefix string, fn func(key string, value []byte) bool) error
	// Block is the commit the snapshot shows.
	Block() Block
	// BlockWrites returns the write set that Commit applied for height
	// (EncodeWrites order), or ok=false when that block's writes were not
	// kept (Block.KeepWrites) or it is not yet committed. Proofs of a record (verify) recompute the
	// block's app hash from it.
	BlockWrites(height int64) (writes []Write, ok bool, err error)
	// Close releases the snapshot.
	Close() error
}

// Block is what a Store records about the last committed block.
type Block struct {
	Height  int64
	AppHash []byte
	// KeepWrites asks Commit to keep the block's write set for
	// Snapshot.BlockWrites. The app sets it on blocks that closed a
	// decision, the ones verify proves a decision's root through; other
	// blocks' writes are not kept, so they cost nothing more to commit.
	// LastBlock does not report it.
	KeepWrites bool
	// Time is the block's header time in unix seconds. It is not state:
	// the app hash does not cover it (see AppHash), but CheckTx and
	// queries judge deadlines against it.
	Time int64
}

// Write is one state change. A nil Value deletes the key.
type Write struct {
	Key   string
	Value []byte
}
