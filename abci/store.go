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
	// LastBlock returns the height and app hash of the last commit, or
	// 0 and nil for a fresh store.
	LastBlock() (height int64, appHash []byte, err error)
	// Commit applies writes and records height and app hash, all in one
	// transaction: after a crash the store holds either all of it or none.
	Commit(height int64, appHash []byte, writes []Write) error
}

// Write is one state change. A nil Value deletes the key.
type Write struct {
	Key   string
	Value []byte
}
