package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Gateway is the gateway's local data in gateway.db: chat sessions, and
// (store/wechat.go) delivered-message dedup, WeChat users and notifier
// state. It is a separate file
// from app.db and never holds replicated state; losing it loses
// conversations in progress, not the ledger.
type Gateway struct {
	db *sql.DB
}

// OpenGateway opens (creating if needed) gateway.db. It is
// synchronous=NORMAL: in WAL mode a crash may lose the last sessions
// written, never corrupt the file, and a session is cheap to lose.
func OpenGateway(file string) (*Gateway, error) {
	db, err := open(file, "gateway", "NORMAL")
	if err != nil {
		return nil, err
	}
	return &Gateway{db: db}, nil
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
