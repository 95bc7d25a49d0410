package store

import (
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
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
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
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

// migrate applies the embedded migrations of set that the file has not
// seen, one transaction each, tracked in PRAGMA user_version.
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
	var version int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > len(names) {
		return fmt.Errorf("file is at schema version %d, newer than this linli (%d)", version, len(names))
	}
	for i := version; i < len(names); i++ {
		body, err := fs.ReadFile(migrations, path.Join(dir, names[i]))
		if err != nil {
			return err
		}
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", names[i], err)
		}
		// user_version cannot be bound as a parameter; i+1 is our own int.
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
