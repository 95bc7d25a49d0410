package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// WxGroup returns the tables of the group adapter that runs a personal
// WeChat account (bot/wxgroup).
func (g *Gateway) WxGroup() *WxGroup { return &WxGroup{db: g.db} }

// WxGroup is the personal-account group adapter's local data in
// gateway.db: openwechat's hot-login storage, the one-time codes that bind
// a group (their hashes only), the groups bound to the community, and a
// log of what was sent to each group (for the daily caps and so that a
// notice reaches a group once). Every value reaches SQL as a bound
// parameter. It is safe for concurrent use.
type WxGroup struct {
	db *sql.DB
}

// sentKeep is how long the send log is kept: the caps look back a day, the
// notice keys a few weeks (a notifier replaying its cursor).
const sentKeep = 60 * 24 * time.Hour

// Login returns the hot-login storage that SaveLogin wrote; ok is false
// when there is none (the account never logged in on this gateway).
func (w *WxGroup) Login(ctx context.Context) (data []byte, ok bool, err error) {
	err = w.db.QueryRowContext(ctx, `SELECT data FROM wxgroup_login WHERE id = 1`).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: read wxgroup login: %w", err)
	}
	return data, true, nil
}

// SaveLogin replaces the hot-login storage with data.
func (w *WxGroup) SaveLogin(ctx context.Context, data []byte, at time.Time) error {
	if _, err := w.db.ExecContext(ctx, `INSERT INTO wxgroup_login (id, data, updated_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, data, at.UnixMilli()); err != nil {
		return fmt.Errorf("store: save wxgroup login: %w", err)
	}
	return nil
}

// DeleteLogin forgets the hot-login storage (the account logged out).
func (w *WxGroup) DeleteLogin(ctx context.Context) error {
	if _, err := w.db.ExecContext(ctx, `DELETE FROM wxgroup_login`); err != nil {
		return fmt.Errorf("store: delete wxgroup login: %w", err)
	}
	return nil
}

// AddCode records a one-time binding code by its hash, for a group tied
// to building ("" for none), valid until expires. Codes past their expiry
// are removed.
func (w *WxGroup) AddCode(ctx context.Context, hash, building string, expires, now time.Time) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: add wxgroup code: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM wxgroup_codes WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
		return fmt.Errorf("store: add wxgroup code: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO wxgroup_codes (hash, building, expires_at) VALUES (?, ?, ?)`, hash, building, expires.UnixMilli()); err != nil {
		return fmt.Errorf("store: add wxgroup code: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: add wxgroup code: %w", err)
	}
	return nil
}

// UseCode spends the code with hash: when it exists and has not expired,
// it is deleted and the group named name is bound (tied to the code's
// building, replacing an earlier binding of that name), in one
// transaction. ok is false for an unknown or expired code, which changes
// nothing.
func (w *WxGroup) UseCode(ctx context.Context, hash, name string, now time.Time) (building string, ok bool, err error) {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return "", false, fmt.Errorf("store: use wxgroup code: %w", err)
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `DELETE FROM wxgroup_codes WHERE hash = ? AND expires_at > ? RETURNING building`, hash, now.UnixMilli()).Scan(&building)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: use wxgroup code: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO wxgroup_groups (name, building, bound_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET building = excluded.building, bound_at = excluded.bound_at`, name, building, now.UnixMilli()); err != nil {
		return "", false, fmt.Errorf("store: bind wxgroup group: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", false, fmt.Errorf("store: use wxgroup code: %w", err)
	}
	return building, true, nil
}

// Bindings returns the bound groups: name → building ("" for a group of
// the whole community).
func (w *WxGroup) Bindings(ctx context.Context) (map[string]string, error) {
	rows, err := w.db.QueryContext(ctx, `SELECT name, building FROM wxgroup_groups`)
	if err != nil {
		return nil, fmt.Errorf("store: list wxgroup groups: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, building string
		if err := rows.Scan(&name, &building); err != nil {
			return nil, fmt.Errorf("store: list wxgroup groups: %w", err)
		}
		out[name] = building
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list wxgroup groups: %w", err)
	}
	return out, nil
}

// Unbind removes the binding of the group named name; ok is false when
// there was none.
func (w *WxGroup) Unbind(ctx context.Context, name string) (ok bool, err error) {
	res, err := w.db.ExecContext(ctx, `DELETE FROM wxgroup_groups WHERE name = ?`, name)
	if err != nil {
		return false, fmt.Errorf("store: unbind wxgroup group: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RecordSent logs a message sent to group at at; key is the notice's key,
// or "" for an answer. Entries older than the log keeps are pruned.
func (w *WxGroup) RecordSent(ctx context.Context, group, key string, at time.Time) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: record wxgroup send: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO wxgroup_sent (group_name, notice_key, sent_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, group, key, at.UnixMilli()); err != nil {
		return fmt.Errorf("store: record wxgroup send: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM wxgroup_sent WHERE sent_at < ?`, at.Add(-sentKeep).UnixMilli()); err != nil {
		return fmt.Errorf("store: record wxgroup send: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: record wxgroup send: %w", err)
	}
	return nil
}

// WasSent reports whether the notice key was sent to group.
func (w *WxGroup) WasSent(ctx context.Context, group, key string) (bool, error) {
	var n int
	if err := w.db.QueryRowContext(ctx, `SELECT count(*) FROM wxgroup_sent WHERE group_name = ? AND notice_key = ?`, group, key).Scan(&n); err != nil {
		return false, fmt.Errorf("store: read wxgroup sends: %w", err)
	}
	return n > 0, nil
}

// SentSince calls fn for every message sent at or after since, oldest
// first, so that a restarted adapter keeps counting its caps.
func (w *WxGroup) SentSince(ctx context.Context, since time.Time, fn func(group string, at time.Time)) error {
	rows, err := w.db.QueryContext(ctx, `SELECT group_name, sent_at FROM wxgroup_sent WHERE sent_at >= ? ORDER BY sent_at`, since.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: read wxgroup sends: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var group string
		var at int64
		if err := rows.Scan(&group, &at); err != nil {
			return fmt.Errorf("store: read wxgroup sends: %w", err)
		}
		fn(group, time.UnixMilli(at))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: read wxgroup sends: %w", err)
	}
	return nil
}

// ownerOnly makes file, and the -wal and -shm files beside it, readable by
// their owner only, creating an empty file first so that SQLite creates
// its -wal and -shm with the same mode. gateway.db holds openids, private
// texts and the hot-login storage of the group adapter's account.
func ownerOnly(file string) error {
	f, err := os.OpenFile(file, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	f.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Chmod(file+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}
