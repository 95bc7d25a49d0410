// Package ledger submits transactions to a linli node and queries it, over
// CometBFT RPC or in-process.
//
// A Client wraps any CometBFT RPC client: Dial gives one that speaks HTTP to
// a node's RPC address, and New wraps node.Node.Local for a node in the same
// process. Submit broadcasts a transaction, waits for the block that commits
// it and returns a Receipt; a transaction that outlives the caller's context
// is reported with ErrPending so that Wait can pick it up later.
//
// A Custodian signs for chat users with keys derived from the gateway's
// master secret and keeps each signer's nonces in order.
//
// Package ledger depends on CometBFT, abci (result codes, query answers),
// abci/tx and keys. It must not import bot/, store/, config/ or templates/;
// bot declares the interface it needs and cmd/linli passes it a Custodian.
package ledger
