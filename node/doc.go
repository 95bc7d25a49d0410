// Package node owns linli's CometBFT home directory and runs CometBFT
// in-process.
//
// InitHome writes a home exactly like `cometbft init` would, with linli's
// defaults and without ever overwriting a file. LoadConfig reads the
// operator-editable config.toml the way CometBFT's own command line does.
// Start runs a real CometBFT node that drives an ABCI application through the
// synchronized local client (an application that is a PreChecker checks
// signatures before that client's lock), and Close stops it and releases
// its ports and databases so that the same home can be started again.
//
// For networks of several nodes, ValidatorKey and NodeID write each home's
// keys first, so that InitHome can write one genesis naming every
// validator (HomeOptions.Validators) and fill in persistent_peers
// (PeerAddress); HomeOptions.Genesis joins an existing chain.
//
// Package node depends on CometBFT only. It must not import bot/, store/,
// config/ or templates/: cmd/linli passes it the application and the logger.
package node
