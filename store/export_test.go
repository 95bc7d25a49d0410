package store

import "fmt"

// SetUserVersion lets tests fake a schema from a newer linli.
func SetUserVersion(file string, v int) error {
	db, err := open(file, "app", "FULL")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(fmt.Sprintf("PRAGMA user_version = %d", v))
	return err
}

// JournalMode reads a file's journal mode on a fresh connection.
func JournalMode(file string) (string, error) {
	db, err := open(file, "app", "FULL")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var mode string
	err = db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	return mode, err
}
