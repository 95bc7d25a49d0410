package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Wecom returns the WeCom customer-group channel's tables.
func (g *Gateway) Wecom() *Wecom { return &Wecom{db: g.db} }

// Wecom is the WeCom channel's local data in gateway.db: the notices
// queued for each group until its budget allows a message, and the group
// messages created, whose results are checked with WeCom. Every value
// reaches SQL as a bound parameter. It is safe for concurrent use.
type Wecom struct {
	db *sql.DB
}

// Queue queues a notice (key, kind, text, decided at height) for the
// group chatID; added is false when the group had this key already
// (waiting or sent).
func (w *Wecom) Queue(ctx context.Context, chatID, key, kind, text string, height int64, at time.Time) (added bool, err error) {
	res, err := w.db.ExecContext(ctx, `INSERT INTO wecom_notices (chat_id, notice_key, kind, text, height, queued_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (chat_id, notice_key) DO NOTHING`, chatID, key, kind, text, height, at.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: queue wecom notice: %w", err)
	}
	k, _ := res.RowsAffected()
	return k == 1, nil
}

// EachWaiting calls fn for each notice waiting for chatID, oldest first,
// until fn returns an error.
func (w *Wecom) EachWaiting(ctx context.Context, chatID string, fn func(key, kind, text string, height int64) error) error {
	rows, err := w.db.QueryContext(ctx, `SELECT notice_key, kind, text, height FROM wecom_notices
		WHERE chat_id = ? AND msg_id = '' ORDER BY height, queued_at, notice_key`, chatID)
	if err != nil {
		return fmt.Errorf("store: read wecom notices: %w", err)
	}
	type row struct {
		key, kind, text string
		height          int64
	}
	var list []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.kind, &r.text, &r.height); err != nil {
			rows.Close()
			return fmt.Errorf("store: read wecom notices: %w", err)
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: read wecom notices: %w", err)
	}
	for _, r := range list {
		if err := fn(r.key, r.kind, r.text, r.height); err != nil {
			return err
		}
	}
	return nil
}

// Sent records that the group message msgID carried keys to chatID,
// created at at by sender, in one transaction.
func (w *Wecom) Sent(ctx context.Context, chatID, sender, msgID string, keys []string, at time.Time) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: record wecom send: %w", err)
	}
	defer tx.Rollback()
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `UPDATE wecom_notices SET msg_id = ? WHERE chat_id = ? AND notice_key = ?`, msgID, chatID, k); err != nil {
			return fmt.Errorf("store: record wecom send: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO wecom_sends (msg_id, chat_id, sender, sent_at) VALUES (?, ?, ?, ?)`, msgID, chatID, sender, at.UnixMilli()); err != nil {
		return fmt.Errorf("store: record wecom send: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: record wecom send: %w", err)
	}
	return nil
}

// CountSends returns how many group messages were created for chatID at
// or after since.
func (w *Wecom) CountSends(ctx context.Context, chatID string, since time.Time) (int, error) {
	var n int
	if err := w.db.QueryRowContext(ctx, `SELECT count(*) FROM wecom_sends WHERE chat_id = ? AND sent_at >= ?`, chatID, since.UnixMilli()).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count wecom sends: %w", err)
	}
	return n, nil
}

// EachUnsettled calls fn for each group message created since since
// whose result is not final (not asked yet, or not sent yet) and that was
// last checked before checkedBefore, oldest first, until fn returns an
// error.
func (w *Wecom) EachUnsettled(ctx context.Context, since, checkedBefore time.Time, fn func(msgID, chatID, sender string, sentAt time.Time, status int, reported bool) error) error {
	rows, err := w.db.QueryContext(ctx, `SELECT msg_id, chat_id, sender, sent_at, status, reported FROM wecom_sends
		WHERE status IN (-1, 0) AND sent_at >= ? AND checked_at < ? ORDER BY sent_at, msg_id, chat_id`, since.UnixMilli(), checkedBefore.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: read wecom sends: %w", err)
	}
	type row struct {
		msgID, chatID, sender string
		at                    int64
		status                int
		reported              bool
	}
	var list []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.msgID, &r.chatID, &r.sender, &r.at, &r.status, &r.reported); err != nil {
			rows.Close()
			return fmt.Errorf("store: read wecom sends: %w", err)
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: read wecom sends: %w", err)
	}
	for _, r := range list {
		if err := fn(r.msgID, r.chatID, r.sender, time.UnixMilli(r.at), r.status, r.reported); err != nil {
			return err
		}
	}
	return nil
}

// Settle records what WeCom said of a group message for a group, and
// whether the admins were told of a problem with it. requeue puts the
// notices it carried back in the queue (the group never got them).
func (w *Wecom) Settle(ctx context.Context, msgID, chatID string, status int, reported, requeue bool, at time.Time) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: settle wecom send: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE wecom_sends SET status = ?, checked_at = ?, reported = ? WHERE msg_id = ? AND chat_id = ?`,
		status, at.UnixMilli(), reported, msgID, chatID); err != nil {
		return fmt.Errorf("store: settle wecom send: %w", err)
	}
	if requeue {
		if _, err := tx.ExecContext(ctx, `UPDATE wecom_notices SET msg_id = '' WHERE msg_id = ? AND chat_id = ?`, msgID, chatID); err != nil {
			return fmt.Errorf("store: settle wecom send: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: settle wecom send: %w", err)
	}
	return nil
}
