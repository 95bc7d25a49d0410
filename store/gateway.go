package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Gateway is the gateway's local data in gateway.db: chat sessions, and
// (store/wechat.go) delivered-message dedup, WeChat users and notifier
// state. It is a separate file
// from app.db and never holds replicated state; losing it loses
// conversations in progress, not the ledger.
type Gateway struct {
	db *sql.DB
	// Recovered, when not empty, says that the file was damaged and
	// where it was moved: this Gateway is a fresh one, and what the old
	// one held (sessions, dedup records, WeChat users and their quotas,
	// the notifier's memory) is lost. The caller logs it.
	Recovered string
}

// OpenGateway opens (creating if needed) gateway.db. It is
// synchronous=NORMAL: in WAL mode a crash may lose the last sessions
// written, never corrupt the file, and a session is cheap to lose. Deleted
// rows are overwritten (secure_delete), so that a pruned reply cannot be
// read back from free pages.
//
// A damaged file (not a database, or failing PRAGMA quick_check) never
// stops the node: everything in it is disposable, so it is moved aside
// as FILE.damaged-YYYYMMDDTHHMMSSZ (with its -wal and -shm) and a fresh
// one is started; Recovered says so.
func OpenGateway(file string) (*Gateway, error) {
	db, err := openGateway(file)
	if err == nil {
		return &Gateway{db: db}, nil
	}
	if !damaged(err) {
		return nil, err
	}
	aside := file + ".damaged-" + time.Now().UTC().Format("20060102T150405Z")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if rerr := os.Rename(file+suffix, aside+suffix); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return nil, fmt.Errorf("store: %s is damaged (%v) and cannot be moved aside: %w", file, err, rerr)
		}
	}
	db, ferr := openGateway(file)
	if ferr != nil {
		return nil, ferr
	}
	return &Gateway{db: db, Recovered: fmt.Sprintf("%s was damaged (%v); moved to %s and started afresh: chat sessions, message dedup records, WeChat users and the notifier's memory are lost", file, err, aside)}, nil
}

// errDamaged marks a file that failed its integrity check.
var errDamaged = errors.New("quick_check failed")

func openGateway(file string) (*sql.DB, error) {
	if err := ownerOnly(file); err != nil {
		return nil, err
	}
	db, err := open(file, "gateway", "NORMAL", "secure_delete(1)")
	if err != nil {
		return nil, err
	}
	var res string
	if err := db.QueryRow("PRAGMA quick_check").Scan(&res); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: check %s: %w", file, err)
	}
	if res != "ok" {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w: %s", file, errDamaged, res)
	}
	return db, nil
}

// damaged reports whether err says the file is not a database or is
// corrupt, by SQLite's result code (SQLITE_CORRUPT 11, SQLITE_NOTADB 26).
func damaged(err error) bool {
	if errors.Is(err, errDamaged) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return true
		}
	}
	return false
}

// Close closes the file.
func (g *Gateway) Close() error { return g.db.Close() }

// Sessions returns the session table.
func (g *Gateway) Sessions() *Sessions { return &Sessions{db: g.db} }

// Sessions stores one opaque state per (channel, user). The bot engine
// decides what the state means and when it expires; the table only keeps
// it with the time it was written. Every value reaches SQL as a bound
// parameter.
type Sessions struct {
	db *sql.DB
}

// Get returns the state stored for (channel, user) and when it was written,
// or ok == false when there is none.
func (s *Sessions) Get(ctx context.Context, channel, user string) (state []byte, updated time.Time, ok bool, err error) {
	var ms int64
	err = s.db.QueryRowContext(ctx,
		`SELECT state, updated_at FROM sessions WHERE channel = ? AND user_id = ?`, channel, user).Scan(&state, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("store: get session: %w", err)
	}
	return state, time.UnixMilli(ms), true, nil
}

// Put stores state for (channel, user), replacing what was there.
func (s *Sessions) Put(ctx context.Context, channel, user string, state []byte, updated time.Time) error {
	if state == nil {
		state = []byte{}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (channel, user_id, state, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (channel, user_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
		channel, user, state, updated.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: put session: %w", err)
	}
	return nil
}

// Delete removes the state of (channel, user); deleting what is not there
// is not an error.
func (s *Sessions) Delete(ctx context.Context, channel, user string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE channel = ? AND user_id = ?`, channel, user); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}
