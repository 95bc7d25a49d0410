package verify

import (
	"encoding/hex"

	"github.com/cometbft/cometbft/crypto/merkle"
	"github.com/cometbft/cometbft/crypto/tmhash"

	"github.com/linli-community/linli/abci"
)

// merkleProof turns a query's leaf proof into CometBFT's form. The leaf
// hash is computed here from the leaf, never taken from the node.
func merkleProof(lp abci.LeafProof) merkle.Proof {
	p := merkle.Proof{Total: lp.Total, Index: lp.Index, LeafHash: tmhash.Sum(append([]byte{0}, lp.Leaf...))}
	for _, a := range lp.Aunts {
		h, _ := hex.DecodeString(a)
		p.Aunts = append(p.Aunts, h)
	}
	return p
}
