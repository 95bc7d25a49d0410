package abci_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

func TestPrepareProposalKeepsNonceOrder(t *testing.T) {
	c := newChain(t)
	a, b := key("a"), key("b")
	// grant signs, with k and the given nonce, a role grant to the key
	// named to.
	grant := func(k ed25519.PrivateKey, nonce uint64, to string) []byte {
		t := tx.New(testChainID, nonce, &tx.RoleGrant{Address: addr(key(to)), Role: tx.RoleTreasurer})
		t.Sign(k)
		return t.Encode()
	}
	// The admin's own txs, and two other signers whose txs fail in the
	// handler (they are not admins) but still use their nonces.
	adm := c.admin
	A1, A2, A3 := grant(a, 1, "x1"), grant(a, 2, "x2"), grant(a, 3, "x3")
	A1bis := grant(a, 1, "x4")
	B1 := grant(b, 1, "x5")
	M1, M2 := grant(adm, 1, "x6"), grant(adm, 2, "x7")
	garbage := []byte("not a tx")
	known := map[string][]byte{"A1": A1, "A2": A2, "A3": A3, "A1bis": A1bis, "B1": B1, "M1": M1, "M2": M2}

	prepare := func(max int64, txs ...[]byte) [][]byte {
		t.Helper()
		res, err := c.app.PrepareProposal(context.Background(), &abcitypes.RequestPrepareProposal{MaxTxBytes: max, Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		return res.Txs
	}
	for _, tc := range []struct {
		name string
		in   [][]byte
		max  int64
		want [][]byte
	}{
		{"InOrderUnchanged", [][]byte{A1, B1, A2}, 1 << 20, [][]byte{A1, B1, A2}},
		{"ReordersOneSignersTxs", [][]byte{A3, B1, A2, M2, A1, M1}, 1 << 20, [][]byte{A1, B1, A2, M1, A3, M2}},
		{"StopsAtAGap", [][]byte{A1, A3, B1}, 1 << 20, [][]byte{A1, B1}},
		{"FirstOfARepeatedNonce", [][]byte{A1bis, A1, A2}, 1 << 20, [][]byte{A1bis, A2}},
		{"UnreadablePassesThrough", [][]byte{garbage, A2, A1}, 1 << 20, [][]byte{garbage, A1, A2}},
		{"KeepsWithinMaxTxBytes", [][]byte{A2, A1, B1}, int64(len(A1) + len(A2)), [][]byte{A1, A2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := prepare(tc.max, tc.in...)
			if !equalTxs(got, tc.want) {
				t.Errorf("got %v, want %v", names(got, known), names(tc.want, known))
			}
		})
	}

	// A reordered proposal executes with every nonce accepted.
	for i, r := range c.block(prepare(1<<20, A2, M2, A1, M1)...) {
		if abci.Code(r.Code) == abci.CodeNonceFuture || abci.Code(r.Code) == abci.CodeNonceStale {
			t.Errorf("tx %d of the prepared block: %v", i, abci.Code(r.Code))
		}
	}
	// Once A1 and A2 are committed, A1 is stale and A3 is next.
	if got := prepare(1<<20, A1, A3); !equalTxs(got, [][]byte{A3}) {
		t.Errorf("after the commit: %d txs, want A3 alone", len(got))
	}
}

func equalTxs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func names(txs [][]byte, known map[string][]byte) []string {
	var out []string
	for _, t := range txs {
		n := "?"
		for name, k := range known {
			if bytes.Equal(t, k) {
				n = name
			}
		}
		out = append(out, n)
	}
	return out
}
