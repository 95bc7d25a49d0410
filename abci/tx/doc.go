// Package tx is the vocabulary shared by everything that builds transactions
// (the chat engine, the CLI) and the state machine that applies them: the
// versioned envelope, the typed bodies, their canonical JSON encoding and
// ed25519 signing.
//
// A transaction's bytes are the canonical JSON of its envelope, so a block
// explorer shows what was signed. Decoding is strict: the bytes must be
// exactly what Encode would produce for the decoded value, which rejects
// unknown fields, duplicate keys, extra whitespace, re-ordered fields and
// invalid UTF-8 alike.
//
// Package tx imports no other linli package. Everything here is
// deterministic: no clock, no randomness, no I/O.
package tx
