package roster

import "github.com/linli-community/linli/abci/tx"

// Less reports whether unit number a sorts before b in natural order: runs
// of ASCII digits compare by their numeric value, so "2-101" sorts before
// "10-101" and "3-502" before "3-1201"; everything else compares byte by
// byte. It is a strict total order, the one the chain sorts building lists
// by (tx.NaturalLess).
func Less(a, b string) bool { return tx.NaturalLess(a, b) }
