package ledger

import (
	"bytes"
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// TestCustodianTurnsTheCodeIntoAProof binds through the Custodian as the
// chat engine does, with the code as the resident typed it, and checks the
// committed bytes: the code is nowhere in them.
func TestCustodianTurnsTheCodeIntoAProof(t *testing.T) {
	_, c := startLinliNode(t)
	admin := User{Channel: "console", ID: "admin"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const code = "3141592653589793"
	salt := bytes.Repeat([]byte{3}, tx.BindCodeSaltSize)
	for _, b := range []tx.Body{unitBody(1), unitBody(2), tx.NewBindCodeIssue("1-101", tx.RelationOwner, code, salt, time.Now().Add(time.Hour).Unix())} {
		if r, err := c.Submit(ctx, admin, b); err != nil || r.Code != 0 {
			t.Fatalf("%s: %+v %v", b.Type(), r, err)
		}
	}
	resident := User{Channel: "wechat", ID: "oResident"}
	bind := func(unit, code string) Receipt {
		t.Helper()
		r, err := c.Submit(ctx, resident, &tx.MemberBind{Unit: unit, Relation: tx.RelationOwner, Code: code})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := bind("1-101", "3141 5926 5358 9794"); r.Code != uint32(abci.CodeBindCodeWrong) || r.Height == 0 {
		t.Errorf("wrong code: %+v, want bind_code_wrong in a block", r)
	}
	if r := bind("1-102", code); r.Code != uint32(abci.CodeBindCodeMissing) || r.Height != 0 {
		t.Errorf("unit without a code: %+v, want bind_code_missing from CheckTx", r)
	}
	r := bind("1-101", "3141 5926 5358 9793")
	if r.Code != 0 || r.Height == 0 {
		t.Fatalf("right code: %+v, want committed", r)
	}
	hash, _ := hex.DecodeString(r.Hash)
	res, err := c.Client().rpc.Tx(ctx, hash, false)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(res.Tx, []byte(code)) || bytes.Contains(res.Tx, []byte("3141")) || !bytes.Contains(res.Tx, []byte(`"proof"`)) {
		t.Errorf("committed bind = %s, want a proof and no code", res.Tx)
	}
}
