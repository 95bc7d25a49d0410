package abci_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// TestEnvelopeRejections checks that every malformed or unauthenticated tx
// gets its own code, in CheckTx and in a block, and changes no state.
func TestEnvelopeRejections(t *testing.T) {
	c := newChain(t)
	c.mustOK(c.sign(c.admin, units(unit("1-101", "1", 8950, "O-1"))))
	good := func() *tx.Tx {
		n := c.nonces[addr(c.admin)] + 1
		x := tx.New(testChainID, n, units(unit("9-999", "9", 100, "O-9")))
		x.Sign(c.admin)
		return x
	}
	resign := func(f func(*tx.Tx)) []byte {
		x := good()
		f(x)
		x.Sign(c.admin)
		return x.Encode()
	}
	replayed := c.sign(c.admin, units(unit("1-102", "1", 9000, "O-2")))
	c.mustOK(replayed)

	tests := []struct {
		name string
		tx   []byte
		want abci.Code
	}{
		{"ErrGarbage", []byte("not a tx"), abci.CodeMalformed},
		{"ErrEmpty", nil, abci.CodeMalformed},
		{"ErrTruncated", good().Encode()[:40], abci.CodeMalformed},
		{"ErrTooLarge", bytes.Repeat([]byte("x"), tx.MaxBytes+1), abci.CodeTooLarge},
		{"ErrNonCanonicalSpace", append([]byte(" "), good().Encode()...), abci.CodeNonCanonical},
		{"ErrNonCanonicalEscape", []byte(strings.Replace(string(good().Encode()), `"9-999"`, `"9\u002d999"`, 1)), abci.CodeNonCanonical},
		{"ErrUnknownField", []byte(strings.Replace(string(good().Encode()), `{"v":1`, `{"x":1,"v":1`, 1)), abci.CodeMalformed},
		{"ErrUnknownBodyField", []byte(strings.Replace(string(good().Encode()), `"owner":"O-9"`, `"owner":"O-9","name":"张三"`, 1)), abci.CodeMalformed},
		{"ErrVersion", resign(func(x *tx.Tx) { x.V = 2 }), abci.CodeVersion},
		{"ErrUnknownType", []byte(strings.Replace(string(good().Encode()), `"unit.register"`, `"unit.burn"`, 1)), abci.CodeUnknownType},
		{"ErrWrongChain", resign(func(x *tx.Tx) { x.ChainID = "other" }), abci.CodeWrongChain},
		{"ErrBadSignature", []byte(strings.Replace(string(good().Encode()), `"O-9"`, `"O-8"`, 1)), abci.CodeBadSignature},
		{"ErrReplayed", replayed, abci.CodeNonceStale},
		{"ErrNonceZero", resign(func(x *tx.Tx) { x.Nonce = 0 }), abci.CodeNonceStale},
		{"ErrNonceFuture", resign(func(x *tx.Tx) { x.Nonce += 5 }), abci.CodeNonceFuture},
		{"ErrInvalidBody", resign(func(x *tx.Tx) { x.Body = units(unit("9-999", "9", -5, "O-9")) }), abci.CodeInvalidBody},
		{"ErrUnauthorized", func() []byte {
			x := tx.New(testChainID, 1, units(unit("9-999", "9", 100, "O-9")))
			x.Sign(key("stranger"))
			return x.Encode()
		}(), abci.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.check(tt.tx); got != tt.want {
				t.Errorf("CheckTx code = %v, want %v", got, tt.want)
			}
			var before []abci.Unit
			c.query("units", &before)
			if got := c.code(tt.tx); got != tt.want {
				t.Errorf("FinalizeBlock code = %v, want %v", got, tt.want)
			}
			var after []abci.Unit
			c.query("units", &after)
			if len(after) != len(before) {
				t.Errorf("rejected tx changed units: %d -> %d", len(before), len(after))
			}
		})
	}
	// After all those rejections the admin's next nonce still works.
	c.mustOK(c.sign(c.admin, units(unit("1-103", "1", 9100, "O-3"))))
}

// TestRejectedTxInBlockUsesNonce shows that a tx rejected in a block cannot
// be replayed later, when state would let it pass.
func TestRejectedTxInBlockUsesNonce(t *testing.T) {
	c := newChain(t)
	member := key("member")
	early := c.sign(member, &tx.MemberBind{Unit: "1-101", Relation: tx.RelationOwner, Code: "12345678"})
	if got := c.code(early); got != abci.CodeUnitNotFound {
		t.Fatalf("bind before unit exists: %v, want %v", got, abci.CodeUnitNotFound)
	}
	c.mustOK(c.sign(c.admin, units(unit("1-101", "1", 8950, "O-1"))), c.issueCode("1-101", tx.RelationOwner, "12345678"))
	if got := c.code(early); got != abci.CodeNonceStale {
		t.Fatalf("replayed bind: %v, want %v", got, abci.CodeNonceStale)
	}
}

// TestCheckTxRejectionKeepsNonce shows that a tx CheckTx turns away does
// not use up its nonce, so the sender's next tx with the same nonce passes.
func TestCheckTxRejectionKeepsNonce(t *testing.T) {
	c := newChain(t)
	bad := tx.New(testChainID, 1, &tx.MemberRevoke{Address: addr(key("x")), Reason: "test"})
	bad.Sign(c.admin)
	if got := c.check(bad.Encode()); got != abci.CodeMemberNotFound {
		t.Fatalf("CheckTx = %v, want %v", got, abci.CodeMemberNotFound)
	}
	ok := tx.New(testChainID, 1, units(unit("1-101", "1", 8950, "O-1")))
	ok.Sign(c.admin)
	if got := c.check(ok.Encode()); got != abci.CodeOK {
		t.Fatalf("CheckTx of the same nonce after a rejection = %v, want ok", got)
	}
	next := tx.New(testChainID, 2, units(unit("1-102", "1", 8950, "O-2")))
	next.Sign(c.admin)
	if got := c.check(next.Encode()); got != abci.CodeOK {
		t.Fatalf("CheckTx of the following nonce = %v, want ok (mempool order)", got)
	}
}
