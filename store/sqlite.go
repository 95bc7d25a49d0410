package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrations embed.FS

// open opens a SQLite file with linli's pragmas set in the DSN, so every
// pooled connection gets them, then checks that WAL mode took and applies
// the named migration set. extra are more pragmas for every connection.
func open(file, migrationSet string, synchronous string, extra ...string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range append([]string{"foreign_keys(1)", "busy_timeout(5000)", "journal_mode(WAL)", "synchronous(" + synchronous + ")"}, extra...) {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", file, err)
	}
	// Keep connections around: database/sql's default of two idle ones
	// makes concurrent readers open (and parse statements on) a new SQLite
	// connection per request. Open connections stay unbounded, because a
	// scan's callback may read again while its rows hold a connection.
	db.SetMaxIdleConns(8)
	// A new file that another handle is switching to WAL at this moment
	// answers SQLITE_BUSY at once (the switch does not wait on
	// busy_timeout): try again, for as long as busy_timeout would wait.
	var mode string
	for tries := 0; ; tries++ {
		err = db.QueryRow("PRAGMA journal_mode").Scan(&mode)
		if err == nil || !busy(err) || tries == 500 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", file, err)
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("store: %s: journal_mode is %q, want wal", file, mode)
	}
	if err := migrate(db, migrationSet); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrate %s: %w", file, err)
	}
	return db, nil
}

// busy reports whether err is SQLite's SQLITE_BUSY (by its code).
func busy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// migrate applies the embedded migrations of set that the file has not
// seen, one transaction each, tracked in PRAGMA user_version. Each step
// runs on one connection under BEGIN IMMEDIATE, which takes the write lock
// before the version is read: two handles opening one new file at once (a
// gateway, and a command or test beside it) wait for each other instead of
// both applying the same migration.
func migrate(db *sql.DB, set string) error {
	dir := path.Join("migrations", set)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for {
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return err
		}
		done, err := migrateStep(ctx, conn, dir, names)
		if err != nil {
			conn.ExecContext(ctx, "ROLLBACK")
			return err
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			conn.ExecContext(ctx, "ROLLBACK")
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateStep applies the first migration the file has not seen, inside
// the caller's transaction; done reports that there was none.
func migrateStep(ctx context.Context, conn *sql.Conn, dir string, names []string) (done bool, err error) {
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return false, err
	}
	if version > len(names) {
		return false, fmt.Errorf("file is at schema version %d, newer than this linli (%d)", version, len(names))
	}
	if version == len(names) {
		return true, nil
	}
	body, err := fs.ReadFile(migrations, path.Join(dir, names[version]))
	if err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, string(body)); err != nil {
		return false, fmt.Errorf("%s: %w", names[version], err)
	}
	// user_version cannot be bound as a parameter; version+1 is our own int.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
		return false, err
	}
	return false, nil
}
