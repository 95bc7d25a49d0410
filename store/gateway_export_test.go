package store

import "fmt"

// HasTable reports (as a nil error) whether file, opened with its migration
// set, has the named table.
func HasTable(file, set, table string) error {
	db, err := open(file, set, "NORMAL")
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("no table %s in %s", table, file)
	}
	return nil
}

// GatewayJournalMode reads gateway.db's journal mode on a fresh connection.
func GatewayJournalMode(file string) (string, error) {
	db, err := open(file, "gateway", "NORMAL")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var mode string
	err = db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	return mode, err
}

// GatewaySecureDelete reads gateway.db's secure_delete setting on a
// connection of its pool.
func GatewaySecureDelete(g *Gateway) (int, error) {
	var on int
	err := g.db.QueryRow("PRAGMA secure_delete").Scan(&on)
	return on, err
}
