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
		{&s.scanRange, `SELECT key, value FROM state WHERE key >= ? AND key < ? ORDER BY key`},
		{&s.scanFrom, `SELECT key, value FROM state WHERE key >= ? ORDER BY key`},
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
func (s *AppState) Get(key string) ([]byte, bool, error) {
	var v []byte
	err := s.get.QueryRow(key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: get %q: %w", key, err)
	}
	return v, true, nil
}

// Scan implements abci.Store.
func (s *AppState) Scan(prefix string, fn func(key string, value []byte) bool) error {
	var rows *sql.Rows
	var err error
	if end, ok := prefixEnd(prefix); ok {
		rows, err = s.scanRange.Query(prefix, end)
	} else {
		rows, err = s.scanFrom.Query(prefix)
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
func (s *AppState) LastBlock() (int64, []byte, error) {
	var h int64
	var hash []byte
	err := s.db.QueryRow(`SELECT height, app_hash FROM last_block WHERE id = 1`).Scan(&h, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("store: last block: %w", err)
	}
	return h, hash, nil
}

// Commit implements abci.Store: the writes and the new last block in one
// transaction.
func (s *AppState) Commit(height int64, appHash []byte, writes []abci.Write) (err error) {
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
	if _, err = tx.Exec(`INSERT INTO last_block (id, height, app_hash) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET height = excluded.height, app_hash = excluded.app_hash`, height, appHash); err != nil {
		return err
	}
	return tx.Commit()
}
