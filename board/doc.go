// Package board is the public notice board (公示栏): read-only web pages
// over the ledger's queries that anyone can open from WeChat, and
// print-styled A4 notices (公示) with a proof block and a QR code, so that
// what is posted by the lifts is exactly what the chain records.
//
// Pages are rendered on the server with html/template from the files that
// package templates embeds (templates/board), need no JavaScript and are
// cached per committed height; Board.Warm renders the slow ones residents
// asked for again when a block commits. The rows of the long pages (a
// month's entries, a period's statement, a result's published rows) are
// written by a fast path held byte for byte equal to their templates
// (rows.go). The board never writes: no forms that post,
// no cookies, no sessions. Member addresses, public keys and openids never
// appear on a page or in an export: every view is built from its own
// structs that carry unit numbers, areas and opaque owner labels only.
//
// Sheet and Proof are the printing layout other packages reuse (ballot
// sheets, binding-code slips): Board.RenderSheet prints any content on A4
// with the proof block and a QR code to the page online.
//
// Package board depends on abci (query answer types), abci/tx, ledger
// (TxInfo, QueryResult), templates, internal/qr and goccy/go-json. It must not import
// bot, store or config; cmd/linli wires it.
package board
