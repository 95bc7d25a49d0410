package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Wechat returns the WeChat official account gateway's tables.
func (g *Gateway) Wechat() *Wechat { return &Wechat{db: g.db} }

// Wechat is the official account gateway's local data in gateway.db: the
// messages WeChat delivered (so that its retries are handled once, across
// restarts too), the users it has seen with the chain address of their
// custodial key (the only place an openid is tied to an address), and the
// notifier's memory of what it has already told users. Every value reaches
// SQL as a bound parameter. It is safe for concurrent use.
type Wechat struct {
	db *sql.DB

	// pushMu serialises the read-modify-write of push quotas: one
	// gateway process owns gateway.db.
	pushMu sync.Mutex

	prepOnce sync.Once
	prepErr  error
	insert   *sql.Stmt // a message's arrival
	finish   *sql.Stmt // its answer
	sigUse   *sql.Stmt // a signed URL's first use
	pushGet  *sql.Stmt // a user's push allowance
	pushSet  *sql.Stmt // its change
}

// prepare prepares the statements every message runs, once.
func (w *Wechat) prepare(ctx context.Context) error {
	w.prepOnce.Do(func() {
		w.insert, w.prepErr = w.db.PrepareContext(ctx, `INSERT INTO wechat_messages (msg_key, created_at) VALUES (?, ?)
			ON CONFLICT (msg_key) DO NOTHING`)
		for _, p := range []struct {
			stmt  **sql.Stmt
			query string
		}{
			{&w.finish, `UPDATE wechat_messages SET answered = 1, reply = ? WHERE msg_key = ?`},
			{&w.sigUse, `INSERT INTO wechat_signatures (sig_key, body_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (sig_key) DO NOTHING`},
			{&w.pushGet, `SELECT push_left, push_until FROM wechat_users WHERE openid = ?`},
			{&w.pushSet, `UPDATE wechat_users SET push_left = ?, push_until = ? WHERE openid = ?`},
		} {
			if w.prepErr == nil {
				*p.stmt, w.prepErr = w.db.PrepareContext(ctx, p.query)
			}
		}
	})
	if w.prepErr != nil {
		return fmt.Errorf("store: prepare wechat statements: %w", w.prepErr)
	}
	return nil
}

// BeginMessage records that the message with dedup key arrived from openid
// (whose custodial key has address) at at. fresh reports that the key is new:
// the caller handles the message and then calls FinishMessage. Otherwise
// answered reports whether the first delivery has been answered, and reply
// is the passive reply it wrote. A fresh message with an openid also marks
// the user as seen at at (and following the account), which opens
// WeChat's 48-hour window for customer-service messages; a caller that
// has just done so passes an empty openid. With an openid, grant (when not
// nil) changes the user's push allowance in the same transaction, as
// UpdatePush would: one write for both.
func (w *Wechat) BeginMessage(ctx context.Context, key, openid, address string, at time.Time, grant func(left int, until time.Time) (int, time.Time)) (fresh, answered bool, reply string, err error) {
	if err := w.prepare(ctx); err != nil {
		return false, false, "", err
	}
	var res sql.Result
	if openid == "" {
		res, err = w.insert.ExecContext(ctx, key, at.UnixMilli())
		if err != nil {
			return false, false, "", fmt.Errorf("store: begin message: %w", err)
		}
	} else {
		tx, err := w.db.BeginTx(ctx, nil)
		if err != nil {
			return false, false, "", fmt.Errorf("store: begin message: %w", err)
		}
		defer tx.Rollback()
		if res, err = tx.StmtContext(ctx, w.insert).ExecContext(ctx, key, at.UnixMilli()); err != nil {
			return false, false, "", fmt.Errorf("store: begin message: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			if err := touchUser(ctx, tx, openid, address, true, at); err != nil {
				return false, false, "", err
			}
			if grant != nil {
				w.pushMu.Lock()
				defer w.pushMu.Unlock()
				var left int
				var until int64
				if err := tx.StmtContext(ctx, w.pushGet).QueryRowContext(ctx, openid).Scan(&left, &until); err != nil {
					return false, false, "", fmt.Errorf("store: read push quota: %w", err)
				}
				nl, nu := grant(left, time.UnixMilli(until))
				if nl != left || nu.UnixMilli() != until {
					if _, err := tx.StmtContext(ctx, w.pushSet).ExecContext(ctx, nl, nu.UnixMilli(), openid); err != nil {
						return false, false, "", fmt.Errorf("store: write push quota: %w", err)
					}
				}
			}
		}
		if err := tx.Commit(); err != nil {
			return false, false, "", fmt.Errorf("store: begin message: %w", err)
		}
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, false, "", nil
	}
	var a int
	if err := w.db.QueryRowContext(ctx, `SELECT answered, reply FROM wechat_messages WHERE msg_key = ?`, key).Scan(&a, &reply); err != nil {
		return false, false, "", fmt.Errorf("store: begin message: %w", err)
	}
	return false, a != 0, reply, nil
}

// FinishMessage records the passive reply written to the message key.
func (w *Wechat) FinishMessage(ctx context.Context, key, reply string) error {
	if err := w.prepare(ctx); err != nil {
		return err
	}
	if _, err := w.finish.ExecContext(ctx, reply, key); err != nil {
		return fmt.Errorf("store: finish message: %w", err)
	}
	return nil
}

// PruneMessages forgets messages that arrived before before (WeChat stops
// retrying within a minute) and returns how many.
func (w *Wechat) PruneMessages(ctx context.Context, before time.Time) (int64, error) {
	res, err := w.db.ExecContext(ctx, `DELETE FROM wechat_messages WHERE created_at < ?`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: prune messages: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// SetSubscribed records that openid followed (or unfollowed) the account at
// at. Following also counts as being seen.
func (w *Wechat) SetSubscribed(ctx context.Context, openid, address string, subscribed bool, at time.Time) error {
	return touchUser(ctx, w.db, openid, address, subscribed, at)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func touchUser(ctx context.Context, db execer, openid, address string, subscribed bool, at time.Time) error {
	sub := 0
	if subscribed {
		sub = 1
	}
	ms := at.UnixMilli()
	// An unfollow is not a message: it does not open the 48-hour window.
	_, err := db.ExecContext(ctx, `INSERT INTO wechat_users (openid, address, subscribed, first_seen, last_seen)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (openid) DO UPDATE SET address = excluded.address, subscribed = excluded.subscribed,
			last_seen = CASE WHEN excluded.subscribed = 1 THEN max(last_seen, excluded.last_seen) ELSE last_seen END`,
		openid, address, sub, ms, ms)
	if err != nil {
		return fmt.Errorf("store: record wechat user: %w", err)
	}
	return nil
}

// WechatUser is what the gateway knows about one openid.
type WechatUser struct {
	OpenID     string
	Address    string
	Subscribed bool
	FirstSeen  time.Time
	LastSeen   time.Time
}

// EachUser calls fn for every user the gateway has seen, in openid order,
// until fn returns an error, which EachUser returns.
func (w *Wechat) EachUser(ctx context.Context, fn func(openid, address string, subscribed bool, lastSeen time.Time) error) error {
	rows, err := w.db.QueryContext(ctx, `SELECT openid, address, subscribed, last_seen FROM wechat_users ORDER BY openid`)
	if err != nil {
		return fmt.Errorf("store: list wechat users: %w", err)
	}
	type row struct {
		openid, address string
		sub             bool
		last            int64
	}
	// Read everything first: fn may use the database too.
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.openid, &r.address, &r.sub, &r.last); err != nil {
			rows.Close()
			return fmt.Errorf("store: list wechat users: %w", err)
		}
		all = append(all, r)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("store: list wechat users: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: list wechat users: %w", err)
	}
	for _, r := range all {
		if err := fn(r.openid, r.address, r.sub, time.UnixMilli(r.last)); err != nil {
			return err
		}
	}
	return nil
}

// User returns what the gateway knows about openid; ok is false when it
// has never seen it.
func (w *Wechat) User(ctx context.Context, openid string) (u WechatUser, ok bool, err error) {
	var first, last int64
	err = w.db.QueryRowContext(ctx, `SELECT openid, address, subscribed, first_seen, last_seen FROM wechat_users WHERE openid = ?`, openid).
		Scan(&u.OpenID, &u.Address, &u.Subscribed, &first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return WechatUser{}, false, nil
	}
	if err != nil {
		return WechatUser{}, false, fmt.Errorf("store: get wechat user: %w", err)
	}
	u.FirstSeen, u.LastSeen = time.UnixMilli(first), time.UnixMilli(last)
	return u, true, nil
}

// GetState returns the notifier's value for key; ok is false when there is
// none.
func (w *Wechat) GetState(ctx context.Context, key string) (value string, ok bool, err error) {
	err = w.db.QueryRowContext(ctx, `SELECT value FROM wechat_state WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: get wechat state: %w", err)
	}
	return value, true, nil
}

// PutState stores value for key, replacing what was there.
func (w *Wechat) PutState(ctx context.Context, key, value string, at time.Time) error {
	_, err := w.db.ExecContext(ctx, `INSERT INTO wechat_state (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: put wechat state: %w", err)
	}
	return nil
}

// UpdatePush changes what WeChat allows to be pushed to openid: fn gets
// the customer-service messages left and until when, and returns the new
// values, atomically. It returns what fn returned; for an openid never seen
// it changes nothing and returns 0 and false.
func (w *Wechat) UpdatePush(ctx context.Context, openid string, fn func(left int, until time.Time) (int, time.Time)) (int, bool, error) {
	if err := w.prepare(ctx); err != nil {
		return 0, false, err
	}
	w.pushMu.Lock()
	defer w.pushMu.Unlock()
	var left int
	var until int64
	err := w.pushGet.QueryRowContext(ctx, openid).Scan(&left, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: read push quota: %w", err)
	}
	nl, nu := fn(left, time.UnixMilli(until))
	if nl == left && nu.UnixMilli() == until {
		return nl, true, nil
	}
	if _, err := w.pushSet.ExecContext(ctx, nl, nu.UnixMilli(), openid); err != nil {
		return 0, false, fmt.Errorf("store: write push quota: %w", err)
	}
	return nl, true, nil
}

// RecordSignatures records signed URLs (their timestamp, nonce and
// signature, keys[i]) that were accepted with a body whose hash is
// hashes[i], in one transaction. A key already recorded keeps its first
// hash.
func (w *Wechat) RecordSignatures(ctx context.Context, keys, hashes []string, at time.Time) error {
	if len(keys) != len(hashes) {
		return errors.New("store: record signatures: keys and hashes differ in number")
	}
	if len(keys) == 0 {
		return nil
	}
	if err := w.prepare(ctx); err != nil {
		return err
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: record signatures: %w", err)
	}
	defer tx.Rollback()
	st := tx.StmtContext(ctx, w.sigUse)
	for i := range keys {
		if _, err := st.ExecContext(ctx, keys[i], hashes[i], at.UnixMilli()); err != nil {
			return fmt.Errorf("store: record signatures: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: record signatures: %w", err)
	}
	return nil
}

// EachSignature calls fn for every signed URL recorded at or after since.
func (w *Wechat) EachSignature(ctx context.Context, since time.Time, fn func(key, bodyHash string) error) error {
	rows, err := w.db.QueryContext(ctx, `SELECT sig_key, body_hash FROM wechat_signatures WHERE created_at >= ?`, since.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: list signatures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, h string
		if err := rows.Scan(&k, &h); err != nil {
			return fmt.Errorf("store: list signatures: %w", err)
		}
		if err := fn(k, h); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: list signatures: %w", err)
	}
	return nil
}

// PruneSignatures forgets signatures recorded before before.
func (w *Wechat) PruneSignatures(ctx context.Context, before time.Time) (int64, error) {
	res, err := w.db.ExecContext(ctx, `DELETE FROM wechat_signatures WHERE created_at < ?`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: prune signatures: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Undelivered is a notice that could not be delivered by any means.
type Undelivered struct {
	ID     int64
	OpenID string
	// Kind is the notice's kind (proposal, reminder, …, or reply for
	// the rest of an answer, receipt for a receipt).
	Kind   string
	Text   string
	Reason string
	At     time.Time
}

// RecordUndelivered records a notice that could not be delivered.
func (w *Wechat) RecordUndelivered(ctx context.Context, openid, kind, text, reason string, at time.Time) error {
	_, err := w.db.ExecContext(ctx, `INSERT INTO wechat_undelivered (openid, kind, text, reason, created_at) VALUES (?, ?, ?, ?, ?)`,
		openid, kind, text, reason, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: record undelivered: %w", err)
	}
	return nil
}

// ListUndelivered returns the undelivered notices recorded at or after
// since, newest first, at most limit, and how many there are in all since
// then.
func (w *Wechat) ListUndelivered(ctx context.Context, since time.Time, limit int) ([]Undelivered, int, error) {
	var total int
	if err := w.db.QueryRowContext(ctx, `SELECT count(*) FROM wechat_undelivered WHERE created_at >= ?`, since.UnixMilli()).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: list undelivered: %w", err)
	}
	rows, err := w.db.QueryContext(ctx, `SELECT id, openid, kind, text, reason, created_at FROM wechat_undelivered
		WHERE created_at >= ? ORDER BY created_at DESC, id DESC LIMIT ?`, since.UnixMilli(), limit)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list undelivered: %w", err)
	}
	defer rows.Close()
	var out []Undelivered
	for rows.Next() {
		var u Undelivered
		var at int64
		if err := rows.Scan(&u.ID, &u.OpenID, &u.Kind, &u.Text, &u.Reason, &at); err != nil {
			return nil, 0, fmt.Errorf("store: list undelivered: %w", err)
		}
		u.At = time.UnixMilli(at)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: list undelivered: %w", err)
	}
	return out, total, nil
}
