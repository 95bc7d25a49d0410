package abci

import (
	"crypto/sha256"
	"encoding/binary"
)

// chainHash computes a block's app hash: SHA-256 over the previous app
// hash, the height and the block's write set in key order. Every state
// write is covered, so two nodes that apply a block differently disagree
// on the hash and CometBFT halts instead of letting them drift apart.
//
// A block that writes nothing keeps the previous app hash. CometBFT makes
// an extra block to sign every new app hash (consensus needProofBlock), so
// if each empty block changed the hash, the chain could never go idle.
func chainHash(prev []byte, height int64, writes []Write) []byte {
	if len(writes) == 0 && prev != nil {
		return prev
	}
	h := sha256.New()
	var n [8]byte
	h.Write([]byte("linli/apphash/v1"))
	binary.BigEndian.PutUint64(n[:], uint64(len(prev)))
	h.Write(n[:])
	h.Write(prev)
	binary.BigEndian.PutUint64(n[:], uint64(height))
	h.Write(n[:])
	for _, w := range writes {
		binary.BigEndian.PutUint64(n[:], uint64(len(w.Key)))
		h.Write(n[:])
		h.Write([]byte(w.Key))
		if w.Value == nil {
			h.Write([]byte{0})
			continue
		}
		h.Write([]byte{1})
		binary.BigEndian.PutUint64(n[:], uint64(len(w.Value)))
		h.Write(n[:])
		h.Write(w.Value)
	}
	return h.Sum(nil)
}
