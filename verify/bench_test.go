package verify_test

import (
	"testing"

	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/internal/testnode"
	"github.com/linli-community/linli/verify"
)

// BenchmarkVerify times linli verify's whole check against a local node
// over loopback HTTP: an entry's receipt (Entry), and a ballot after its
// decision closed, with the counted-ballot proof (CountedBallot), each from
// a published anchor at height 1 and with the node as its own witness.
func BenchmarkVerify(b *testing.B) {
	n, _ := testnode.Start(b, testnode.Options{ChainID: chainID, Genesis: genesis()})
	c := newCommunity(b, n)
	_, entry := c.setup()
	ballot := c.decision(tx.DecisionOptionYes)
	c.waitClosed()
	anchor, err := verify.GetAnchor(b.Context(), n.RPCAddr(), 1)
	if err != nil {
		b.Fatal(err)
	}
	o := verify.Options{Node: n.RPCAddr(), Witnesses: []string{n.RPCAddr()}, Trust: &anchor}
	for _, bc := range []struct{ name, hash string }{{"Entry", entry.Hash}, {"CountedBallot", ballot.Hash}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if r := verify.Check(b.Context(), bc.hash, o); !r.OK() {
					b.Fatalf("%s", statuses(r))
				}
			}
		})
	}
}
