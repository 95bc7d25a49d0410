package abci_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// newValidatorChain starts a chain whose genesis names the given admins
// and validators (ed25519 keys, each with power 10), the way CometBFT's
// InitChain passes them.
func newValidatorChain(tb testing.TB, admins []ed25519.PrivateKey, vals ...ed25519.PrivateKey) *testChain {
	tb.Helper()
	c := &testChain{tb: tb, dir: tb.TempDir(), time: genesisTime, nonces: map[tx.Address]uint64{}, admin: admins[0]}
	c.open()
	g := abci.GenesisState{Community: "阳光花园", Params: abci.DefaultParams()}
	for _, a := range admins {
		g.Admins = append(g.Admins, addr(a))
	}
	var updates []abcitypes.ValidatorUpdate
	for _, v := range vals {
		updates = append(updates, abcitypes.UpdateValidator(v.Public().(ed25519.PublicKey), 10, "ed25519"))
	}
	b, _ := json.Marshal(g)
	if _, err := c.app.InitChain(context.Background(), &abcitypes.RequestInitChain{
		ChainId: testChainID, InitialHeight: 1, AppStateBytes: b, Time: genesisTime, Validators: updates,
	}); err != nil {
		tb.Fatalf("InitChain: %v", err)
	}
	return c
}

func pubHex(k ed25519.PrivateKey) string { return hex.EncodeToString(k.Public().(ed25519.PublicKey)) }

func valUpdate(k ed25519.PrivateKey, power int64) *tx.ValidatorUpdate {
	return &tx.ValidatorUpdate{PubKey: pubHex(k), Power: power}
}

// validatorsView is the answer of the "validators" query.
type validatorsView struct {
	Validators []abci.Validator              `json:"validators"`
	Pending    []abci.PendingValidatorUpdate `json:"pending"`
}

// blockUpdates commits txs in one block, fails unless all succeed, and
// returns the validator updates FinalizeBlock reported.
func (c *testChain) blockUpdates(txs ...[]byte) []abcitypes.ValidatorUpdate {
	c.tb.Helper()
	res := c.finalize(txs...)
	for i, r := range res.TxResults {
		if r.Code != 0 {
			c.tb.Fatalf("tx %d: code %d (%s): %s", i, r.Code, abci.Code(r.Code), r.Log)
		}
	}
	if _, err := c.app.Commit(context.Background(), &abcitypes.RequestCommit{}); err != nil {
		c.tb.Fatalf("Commit: %v", err)
	}
	c.height++
	return res.ValidatorUpdates
}

func TestValidatorAddedByAdminMajority(t *testing.T) {
	a1, a2, a3 := key("admin1"), key("admin2"), key("admin3")
	vals := []ed25519.PrivateKey{key("val0"), key("val1"), key("val2"), key("val3")}
	c := newValidatorChain(t, []ed25519.PrivateKey{a1, a2, a3}, vals...)
	joiner := key("val4")

	if got := c.blockUpdates(); len(got) != 0 {
		t.Fatalf("block 1 reports updates %v; the genesis set is CometBFT's already", got)
	}
	if got := c.blockUpdates(c.sign(a1, valUpdate(joiner, 10))); len(got) != 0 {
		t.Fatalf("one approval of three admins applied the update: %v", got)
	}
	var v validatorsView
	c.query("validators", &v)
	if len(v.Validators) != 4 || len(v.Pending) != 1 || v.Pending[0].PubKey != pubHex(joiner) ||
		v.Pending[0].Power != 10 || len(v.Pending[0].Approvals) != 1 || v.Pending[0].Approvals[0] != addr(a1) {
		t.Fatalf("after one approval validators = %+v", v)
	}

	got := c.blockUpdates(c.sign(a2, valUpdate(joiner, 10)))
	want := abcitypes.UpdateValidator(joiner.Public().(ed25519.PublicKey), 10, "ed25519")
	if len(got) != 1 || !got[0].PubKey.Equal(want.PubKey) || got[0].Power != 10 {
		t.Fatalf("second of three approvals: updates %v, want %v", got, want)
	}
	if got := c.blockUpdates(); len(got) != 0 {
		t.Errorf("the block after reports updates %v again", got)
	}
	v = validatorsView{}
	c.query("validators", &v)
	if len(v.Validators) != 5 || len(v.Pending) != 0 {
		t.Errorf("after the update validators = %+v, want 5 and nothing pending", v)
	}
	// The third admin is too late: the validator already has that power.
	if got := c.code(c.sign(a3, valUpdate(joiner, 10))); got != abci.CodeValidatorUnchanged {
		t.Errorf("late approval: code %v, want %v", got, abci.CodeValidatorUnchanged)
	}

	// Removal goes the same way and is reported as power 0.
	c.blockUpdates(c.sign(a3, valUpdate(vals[0], 0)))
	got = c.blockUpdates(c.sign(a1, valUpdate(vals[0], 0)))
	if len(got) != 1 || got[0].Power != 0 {
		t.Fatalf("removal: updates %v, want one with power 0", got)
	}
	v = validatorsView{}
	c.query("validators", &v)
	if len(v.Validators) != 4 {
		t.Errorf("after the removal %d validators, want 4", len(v.Validators))
	}
}

func TestValidatorUpdateRejections(t *testing.T) {
	solo := key("solo")
	for _, tc := range []struct {
		name string
		// single starts the chain with one validator instead of three.
		single bool
		body   *tx.ValidatorUpdate
		by     ed25519.PrivateKey
		want   abci.Code
	}{
		{name: "ErrNotAdmin", body: valUpdate(key("new"), 1), by: key("stranger"), want: abci.CodeUnauthorized},
		{name: "ErrRemoveUnknown", body: valUpdate(key("new"), 0), want: abci.CodeValidatorNotFound},
		{name: "ErrUnchanged", body: valUpdate(key("val0"), 10), want: abci.CodeValidatorUnchanged},
		{name: "ErrMoreThanAThird", body: valUpdate(key("new"), 11), want: abci.CodeValidatorChangeTooLarge},
		{name: "ErrRaiseMoreThanAThird", body: valUpdate(key("val0"), 24), want: abci.CodeValidatorChangeTooLarge},
		{name: "AThirdExactly", body: valUpdate(key("val0"), 20), want: abci.CodeOK},
		{name: "ErrInvalidPubKey", body: &tx.ValidatorUpdate{PubKey: "ABCD", Power: 1}, want: abci.CodeInvalidBody},
		{name: "ErrNegativePower", body: &tx.ValidatorUpdate{PubKey: pubHex(key("new")), Power: -1}, want: abci.CodeInvalidBody},
		{name: "ErrRemoveLast", single: true, body: valUpdate(key("val0"), 0), want: abci.CodeLastValidator},
		// A single validator's chain grows by a third at a time.
		{name: "SecondValidatorSmall", single: true, body: valUpdate(key("new"), 3), want: abci.CodeOK},
		{name: "ErrSecondValidatorEqual", single: true, body: valUpdate(key("new"), 10), want: abci.CodeValidatorChangeTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals := []ed25519.PrivateKey{key("val0"), key("val1"), key("val2")}
			if tc.single {
				vals = vals[:1]
			}
			c := newValidatorChain(t, []ed25519.PrivateKey{solo}, vals...)
			by := tc.by
			if by == nil {
				by = solo
			}
			if got := c.code(c.sign(by, tc.body)); got != tc.want {
				t.Errorf("code %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidatorApprovalTwice(t *testing.T) {
	a1, a2, a3 := key("admin1"), key("admin2"), key("admin3")
	c := newValidatorChain(t, []ed25519.PrivateKey{a1, a2, a3}, key("val0"), key("val1"), key("val2"))
	c.blockUpdates(c.sign(a1, valUpdate(key("new"), 1)))
	if got := c.code(c.sign(a1, valUpdate(key("new"), 1))); got != abci.CodeValidatorApproved {
		t.Errorf("same admin approving again: code %v, want %v", got, abci.CodeValidatorApproved)
	}
	// A different power is a different proposal.
	if got := c.code(c.sign(a1, valUpdate(key("new"), 2))); got != abci.CodeOK {
		t.Errorf("same admin proposing another power: code %v, want ok", got)
	}
}

func TestValidatorChangedTwiceInOneBlock(t *testing.T) {
	solo := key("solo")
	c := newValidatorChain(t, []ed25519.PrivateKey{solo}, key("val0"), key("val1"), key("val2"))
	res := c.block(c.sign(solo, valUpdate(key("new"), 5)), c.sign(solo, valUpdate(key("new"), 0)))
	if got := []abci.Code{abci.Code(res[0].Code), abci.Code(res[1].Code)}; got[0] != abci.CodeOK || got[1] != abci.CodeValidatorBusy {
		t.Errorf("add then remove in one block: codes %v, want ok then %v", got, abci.CodeValidatorBusy)
	}
	// In the next block the removal is fine.
	if got := c.code(c.sign(solo, valUpdate(key("new"), 0))); got != abci.CodeOK {
		t.Errorf("removal in the next block: code %v, want ok", got)
	}
}

func TestValidatorApprovalOfRevokedAdminDoesNotCount(t *testing.T) {
	a1, a2, a3 := key("admin1"), key("admin2"), key("admin3")
	c := newValidatorChain(t, []ed25519.PrivateKey{a1, a2, a3}, key("val0"), key("val1"), key("val2"))
	c.blockUpdates(c.sign(a1, valUpdate(key("new"), 1)))
	c.mustOK(c.sign(a2, &tx.RoleRevoke{Address: addr(a1), Role: tx.RoleAdmin}))
	// a2 alone is one of two admins: not a majority, since a1's approval
	// no longer counts.
	if got := c.blockUpdates(c.sign(a2, valUpdate(key("new"), 1))); len(got) != 0 {
		t.Fatalf("approval of a revoked admin counted: updates %v", got)
	}
	if got := c.blockUpdates(c.sign(a3, valUpdate(key("new"), 1))); len(got) != 1 {
		t.Fatalf("two of two admins: updates %v, want one", got)
	}
}
