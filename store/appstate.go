package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/linli-community/linli/abci"
)

// AppState is the replicated application state in app.db.
type AppState struct {
	db   *sql.DB
	path string
	// Reads are prepared once: parsing SQL for every Get would cost more
	// than the lookup.
	get, scanRange, scanFrom *sql.Stmt
}

var _ abci.Store = (*AppState)(nil)

// OpenAppState opens (creating if needed) the app state file. It is
// synchronous=FULL: a commit the app reported is on disk.
func OpenAppState(file string) (*AppState, error) {
	db, err := open(file, "app", "FULL")
	if err != nil {
		return nil, err
	}
	s := &AppState{db: db, path: file}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.get, `SELECT value FROM state WHERE key = ?`},
		{&s.scanRange, sqlScanRange},
		{&s.scanFrom, sqlScanFrom},
	} {
		if *p.stmt, err = db.Prepare(p.sql); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: prepare: %w", err)
		}
	}
	return s, nil
}

// Close closes the file.
func (s *AppState) Close() error {
	s.get.Close()
	s.scanRange.Close()
	s.scanFrom.Close()
	return s.db.Close()
}

// Get implements abci.Store.
func (s *AppState) Get(key string) ([]byte, bool, error) { return get(s.get, key) }

// Scan implements abci.Store.
func (s *AppState) Scan(prefix string, fn func(key string, value []byte) bool) error {
	return scan(s.scanRange, s.scanFrom, prefix, fn)
}

func get(stmt *sql.Stmt, key string) ([]byte, bool, error) {
	var v []byte
	err := stmt.QueryRow(key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: get %q: %w", key, err)
	}
	return v, true, nil
}

func scan(scanRange, scanFrom *sql.Stmt, prefix string, fn func(key string, value []byte) bool) error {
	var rows *sql.Rows
	var err error
	if end, ok := prefixEnd(prefix); ok {
		rows, err = scanRange.Query(prefix, end)
	} else {
		rows, err = scanFrom.Query(prefix)
	}
	if err != nil {
		return fmt.Errorf("store: scan %q: %w", prefix, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("store: scan %q: %w", prefix, err)
		}
		if !fn(k, v) {
			return nil
		}
	}
	return rows.Err()
}

// prefixEnd returns the smallest string greater than every string with the
// prefix, or false when there is none (an empty or all-0xff prefix).
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// LastBlock implements abci.Store.
func (s *AppState) LastBlock() (abci.Block, error) {
	return lastBlock(s.db.QueryRow)
}

// lastBlock reads the last_block row through queryRow, a *sql.DB's or a
// *sql.Tx's.
func lastBlock(queryRow func(query string, args ...any) *sql.Row) (abci.Block, error) {
	var b abci.Block
	err := queryRow(`SELECT height, app_hash, block_time FROM last_block WHERE id = 1`).Scan(&b.Height, &b.AppHash, &b.Time)
	if errors.Is(err, sql.ErrNoRows) {
		return abci.Block{}, nil
	}
	if err != nil {
		return abci.Block{}, fmt.Errorf("store: last block: %w", err)
	}
	return b, nil
}

// Commit implements abci.Store: the writes and the new last block in one
// transaction.
func (s *AppState) Commit(b abci.Block, writes []abci.Write) (err error) {
	height := b.Height
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("store: commit %d: %w", height, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
			err = fmt.Errorf("store: commit %d: %w", height, err)
		}
	}()
	upsert, err := tx.Prepare(`INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
	if err != nil {
		return err
	}
	defer upsert.Close()
	del, err := tx.Prepare(`DELETE FROM state WHERE key = ?`)
	if err != nil {
		return err
	}
	defer del.Close()
	for _, w := range writes {
		if w.Value == nil {
			_, err = del.Exec(w.Key)
		} else {
			_, err = upsert.Exec(w.Key, w.Value)
		}
		if err != nil {
			return err
		}
	}
	if b.KeepWrites && len(writes) > 0 {
		if _, err = tx.Exec(`INSERT INTO block_writes (height, writes) VALUES (?, ?)
			ON CONFLICT (height) DO UPDATE SET writes = excluded.writes`, height, abci.EncodeWrites(writes)); err != nil {
			return err
		}
	}
	if _, err = tx.Exec(`INSERT INTO last_block (id, height, app_hash, block_time) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET height = excluded.height, app_hash = excluded.app_hash, block_time = excluded.block_time`,
		height, b.AppHash, b.Time); err != nil {
		return err
	}
	return tx.Commit()
}

// Snapshot implements abci.Store with a read transaction: in WAL mode
// SQLite shows a transaction the database as of its first read, here the
// last_block row, however many commits follow, and a reader never blocks
// the writer.
func (s *AppState) Snapshot() (abci.Snapshot, error) {
	tx, err := s.db.Begin()
	if err != nil {
		return nil, fmt.Errorf("store: snapshot: %w", err)
	}
	b, err := lastBlock(tx.QueryRow)
	if err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("store: snapshot: %w", err)
	}
	return &snapshot{tx: tx, block: b, get: tx.Stmt(s.get), scanRange: tx.Stmt(s.scanRange), scanFrom: tx.Stmt(s.scanFrom)}, nil
}

const (
	sqlScanRange = `SELECT key, value FROM state WHERE key >= ? AND key < ? ORDER BY key`
	sqlScanFrom  = `SELECT key, value FROM state WHERE key >= ? ORDER BY key`
)

// snapshot is an open read transaction; see AppState.Snapshot.
type snapshot struct {
	tx                       *sql.Tx
	block                    abci.Block
	get, scanRange, scanFrom *sql.Stmt
	// scanning counts the scans under way. All of a transaction's reads
	// share one connection, where a statement runs once at a time, so a
	// scan inside another scan's callback prepares its own statements.
	scanning int
}

func (s *snapshot) Block() abci.Block { return s.block }

func (s *snapshot) Get(key string) ([]byte, bool, error) { return get(s.get, key) }

func (s *snapshot) Scan(prefix string, fn func(string, []byte) bool) error {
	s.scanning++
	defer func() { s.scanning-- }()
	if s.scanning == 1 {
		return scan(s.scanRange, s.scanFrom, prefix, fn)
	}
	scanRange, err := s.tx.Prepare(sqlScanRange)
	if err != nil {
		return fmt.Errorf("store: scan %q: %w", prefix, err)
	}
	defer scanRange.Close()
	scanFrom, err := s.tx.Prepare(sqlScanFrom)
	if err != nil {
		return fmt.Errorf("store: scan %q: %w", prefix, err)
	}
	defer scanFrom.Close()
	return scan(scanRange, scanFrom, prefix, fn)
}

// BlockWrites implements abci.Snapshot.
func (s *snapshot) BlockWrites(height int64) ([]abci.Write, bool, error) {
	if height > s.block.Height {
		return nil, false, nil
	}
	var b []byte
	err := s.tx.QueryRow(`SELECT writes FROM block_writes WHERE height = ?`, height).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: block writes %d: %w", height, err)
	}
	ws, err := abci.DecodeWrites(b)
	if err != nil {
		return nil, false, fmt.Errorf("store: block writes %d: %w", height, err)
	}
	return ws, true, nil
}

// Close ends the read transaction; it wrote nothing, so rolling back loses
// nothing.
func (s *snapshot) Close() error { return s.tx.Rollback() }
