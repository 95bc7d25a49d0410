// Package store keeps linli's data in SQLite files (modernc.org/sqlite, no
// cgo): the replicated application state (app.db), which only the abci
// package writes, through the abci.Store interface that AppState
// implements; and the chat gateway's local data (gateway.db: sessions,
// WeChat message dedup, the openid-to-address map and the notifier's
// progress), through Gateway. The two files have
// their own migrations and never mix.
//
// Package store imports abci (for the interface it implements) and nothing
// else of linli's.
package store
