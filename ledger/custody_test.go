package ledger

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/internal/testnode"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/node"
)

var testSecret = bytes.Repeat([]byte{7}, keys.MasterSecretSize)

// startLinliNode starts the linli app on a fresh single-validator chain
// whose first admin is the custodial key of console:admin.
func startLinliNode(tb testing.TB) (*node.Node, *Custodian) {
	tb.Helper()
	admin, err := keys.Derive(testSecret, "console", "admin")
	if err != nil {
		tb.Fatal(err)
	}
	g := abci.GenesisState{Community: "测试小区", Admins: []tx.Address{keys.Address(admin)}, Params: abci.DefaultParams()}
	n, _ := testnode.Start(tb, testnode.Options{ChainID: "linli-custody", Genesis: g})
	return n, NewCustodian(New(n.Local()), testSecret, "linli-custody")
}

func unitBody(i int) *tx.UnitRegister {
	return &tx.UnitRegister{Units: []tx.UnitSpec{{Unit: fmt.Sprintf("1-%d", 100+i), Building: "1", Area: 8000, Owner: fmt.Sprintf("O-%d", i)}}}
}

func TestCustodian(t *testing.T) {
	_, c := startLinliNode(t)
	admin := User{Channel: "console", ID: "admin"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("ConcurrentSubmitsOfOneUserAllCommit", func(t *testing.T) {
		const n = 6
		receipts := make([]Receipt, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { receipts[i], errs[i] = c.Submit(ctx, admin, unitBody(i)) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || receipts[i].Code != 0 || receipts[i].Height == 0 {
				t.Errorf("submit %d: %+v, %v; want committed with code 0", i, receipts[i], errs[i])
			}
		}
		if got := nonceOf(t, c, admin); got != n {
			t.Errorf("admin nonce = %d, want %d", got, n)
		}
	})

	t.Run("StaleNonceCacheIsReadAgain", func(t *testing.T) {
		// Another process signs with the same key: the cached nonce is
		// stale and CheckTx says so; the custodian re-reads and retries.
		key, _ := c.Key(admin)
		other := NewCustodian(c.Client(), testSecret, "linli-custody")
		if r, err := other.SubmitKey(ctx, key, unitBody(50)); err != nil || r.Code != 0 {
			t.Fatalf("other process: %+v %v", r, err)
		}
		r, err := c.Submit(ctx, admin, unitBody(51))
		if err != nil || r.Code != 0 || r.Height == 0 {
			t.Fatalf("submit after another process signed: %+v %v", r, err)
		}
	})

	t.Run("RejectedByCheckTxLeavesNonceUnused", func(t *testing.T) {
		resident := User{Channel: "wechat", ID: "oAbC-openid-123"}
		r, err := c.Submit(ctx, resident, &tx.MeetingRequest{Topic: "增设充电桩"})
		if err != nil || r.Code != uint32(abci.CodeNotMember) || r.Height != 0 {
			t.Fatalf("non-member meeting request = %+v %v; want CheckTx code %d", r, err, abci.CodeNotMember)
		}
		before := nonceOf(t, c, admin)
		if r, err := c.Submit(ctx, admin, &tx.RoleGrant{Address: mustAddr(t, c, resident), Role: tx.RoleMediator}); err != nil || r.Code != 0 {
			t.Fatalf("grant: %+v %v", r, err)
		}
		if got := nonceOf(t, c, admin); got != before+1 {
			t.Errorf("admin nonce = %d, want %d", got, before+1)
		}
		// The resident's first accepted tx still carries nonce 1.
		salt := bytes.Repeat([]byte{1}, tx.BindCodeSaltSize)
		issue := tx.NewBindCodeIssue("1-100", tx.RelationOwner, "1234561234561234", salt, time.Now().Add(time.Hour).Unix())
		if r, err := c.Submit(ctx, admin, issue); err != nil || r.Code != 0 {
			t.Fatalf("issue: %+v %v", r, err)
		}
		bind := &tx.MemberBind{Unit: "1-100", Relation: tx.RelationOwner, Code: "1234561234561234"}
		if r, err := c.Submit(ctx, resident, bind); err != nil || r.Code != 0 || r.Height == 0 {
			t.Fatalf("bind = %+v %v; want committed", r, err)
		}
		if got := nonceOf(t, c, resident); got != 1 {
			t.Errorf("resident nonce = %d, want 1", got)
		}
	})

	t.Run("UserIDNeverReachesTheChain", func(t *testing.T) {
		resident := User{Channel: "wechat", ID: "oAbC-openid-123"}
		r, err := c.Submit(ctx, resident, &tx.MeetingRequest{Topic: "x"})
		if err != nil {
			t.Fatal(err)
		}
		hash, _ := hex.DecodeString(r.Hash)
		res, err := c.Client().rpc.Tx(ctx, hash, false)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(res.Tx, []byte("oAbC")) || bytes.Contains(res.Tx, []byte("wechat")) {
			t.Errorf("tx bytes name the user: %s", res.Tx)
		}
	})

	t.Run("PendingThenWaitThenNextNonce", func(t *testing.T) {
		gone, cancelNow := context.WithCancel(ctx)
		cancelNow()
		r, err := c.Submit(gone, admin, unitBody(60))
		if !errors.Is(err, ErrPending) {
			t.Fatalf("submit with an ended context: %+v %v; want ErrPending", r, err)
		}
		if r, err = c.Wait(ctx, r.Hash); err != nil || r.Code != 0 {
			t.Fatalf("Wait: %+v %v", r, err)
		}
		if r, err := c.Submit(ctx, admin, unitBody(61)); err != nil || r.Code != 0 {
			t.Fatalf("next submit: %+v %v", r, err)
		}
	})
}

func mustAddr(t *testing.T, c *Custodian, u User) tx.Address {
	t.Helper()
	a, err := c.Address(u)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func nonceOf(t *testing.T, c *Custodian, u User) uint64 {
	t.Helper()
	n, err := c.lastNonce(context.Background(), mustAddr(t, c, u))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The cache of derived keys is bounded, and a key derived again is the
// same key.
func TestDerivedKeysAreBounded(t *testing.T) {
	c := NewCustodian(nil, testSecret, "c")
	first, err := c.Key(User{Channel: "wechat", ID: "o-0"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxDerived + 10 {
		if _, err := c.Key(User{Channel: "wechat", ID: fmt.Sprint("o-", i)}); err != nil {
			t.Fatal(err)
		}
		if len(c.derived) > maxDerived {
			t.Fatalf("%d keys cached, over %d", len(c.derived), maxDerived)
		}
	}
	again, _ := c.Key(User{Channel: "wechat", ID: "o-0"})
	if !again.Equal(first) {
		t.Errorf("a key derived again differs")
	}
}
