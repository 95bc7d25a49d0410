// Package cluster holds linli's multi-node tests: several validators on
// 127.0.0.1 that commit a mixed load while nodes are stopped, killed with
// SIGKILL, lose their app.db or diverge, and an audit node that replays the
// chain from genesis. The nodes run as child processes of the test (the
// linli binary is built once in TestMain), except where a test double must
// sit between CometBFT and the app, which runs in-process.
//
// The package has no code besides its tests.
package cluster
