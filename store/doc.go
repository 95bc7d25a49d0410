// Package store keeps linli's data in SQLite files (modernc.org/sqlite, no
// cgo): the replicated application state (app.db), which only the abci
// package writes, through the abci.Store interface that AppState
// implements. Gateway-local data (sessions, dedup) will live in a separate
// file; the two never mix.
//
// Package store imports abci (for the interface it implements) and nothing
// else of linli's.
package store
