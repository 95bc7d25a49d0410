package abci_test

import (
	"bytes"
	"fmt"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

func TestUnitRegister(t *testing.T) {
	t.Run("RegistersAndReimportChangesNothing", func(t *testing.T) {
		c := newChain(t)
		body := units(unit("3-502", "3", 8950, "O-7"), unit("3-501", "3", 12000, "O-7"), unit("1-101", "1", 6000, "developer"))
		c.mustOK(c.sign(c.admin, body))
		hashBefore := c.appHash()
		res := c.block(c.sign(c.admin, body))
		if res[0].Code != 0 {
			t.Fatalf("re-import: code %d", res[0].Code)
		}
		if n := len(res[0].Events); n != 1 { // only the "tx" event
			t.Errorf("re-import emitted %d events, want 1 (no unit changes)", n)
		}
		if string(hashBefore) == string(c.appHash()) {
			t.Errorf("app hash did not advance (it chains every block)")
		}
		var o abci.OwnerView
		if code := c.query("owners/O-7", &o); code != 0 {
			t.Fatalf("owners/O-7: code %v", code)
		}
		if o.Area != 20950 || len(o.Units) != 2 {
			t.Errorf("owner O-7 = %+v, want 2 units, area 20950", o)
		}
		var all []abci.Unit
		c.query("units", &all)
		if len(all) != 3 {
			t.Errorf("units = %d, want 3", len(all))
		}
	})
	t.Run("UpdatesAreaAndOwner", func(t *testing.T) {
		c := newChain(t)
		c.mustOK(c.sign(c.admin, units(unit("3-502", "3", 8950, "O-7"))))
		c.mustOK(c.sign(c.admin, units(unit("3-502", "3", 9000, "O-8"))))
		var u abci.Unit
		c.query("units/3-502", &u)
		if u.Area != 9000 || u.Owner != "O-8" {
			t.Errorf("unit = %+v, want area 9000 owner O-8", u)
		}
		if code := c.query("owners/O-7", nil); code != abci.CodeQueryNotFound {
			t.Errorf("previous owner still has units: code %v", code)
		}
	})
	tests := []struct {
		name string
		body *tx.UnitRegister
		want abci.Code
	}{
		{"ErrZeroArea", units(unit("1-1", "1", 0, "O")), abci.CodeInvalidBody},
		{"ErrNegativeArea", units(unit("1-1", "1", -100, "O")), abci.CodeInvalidBody},
		{"ErrAbsurdArea", units(unit("1-1", "1", tx.MaxArea+1, "O")), abci.CodeInvalidBody},
		{"ErrDuplicateUnitInTx", units(unit("1-1", "1", 100, "O"), unit("1-1", "1", 200, "P")), abci.CodeInvalidBody},
		{"ErrSlashInUnit", units(unit("1/1", "1", 100, "O")), abci.CodeInvalidBody},
		{"ErrEmptyOwner", units(unit("1-1", "1", 100, "")), abci.CodeInvalidBody},
		{"ErrOwnerIsAName", units(unit("1-1", "1", 100, "张三")), abci.CodeInvalidBody},
		{"ErrNoUnits", units(), abci.CodeInvalidBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChain(t)
			if got := c.code(c.sign(c.admin, tt.body)); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("ErrUnauthorizedResident", func(t *testing.T) {
		c := newChain(t)
		if got := c.code(c.sign(key("resident"), units(unit("1-1", "1", 100, "O")))); got != abci.CodeUnauthorized {
			t.Errorf("code = %v, want %v", got, abci.CodeUnauthorized)
		}
	})
}

func TestBinding(t *testing.T) {
	setup := func(t *testing.T) *testChain {
		c := newChain(t)
		c.mustOK(c.sign(c.admin, units(unit("3-502", "3", 8950, "O-7"), unit("3-501", "3", 12000, "O-7"))))
		c.mustOK(c.issueCode("3-502", tx.RelationOwner, "12345678"))
		return c
	}
	bind := func(c *testChain, who, u, rel, code string) []byte {
		return c.sign(key(who), &tx.MemberBind{Unit: u, Relation: rel, Code: code})
	}
	t.Run("BindsWithRightCodeOnce", func(t *testing.T) {
		c := setup(t)
		c.mustOK(bind(c, "wang", "3-502", tx.RelationOwner, "12345678"))
		var m abci.MemberView
		c.query("members/"+string(addr(key("wang"))), &m)
		if m.Unit != "3-502" || m.Relation != tx.RelationOwner || m.Owner != "O-7" {
			t.Errorf("member = %+v", m)
		}
		if got := c.code(bind(c, "li", "3-502", tx.RelationOwner, "12345678")); got != abci.CodeBindCodeMissing {
			t.Errorf("second use of a code: %v, want %v", got, abci.CodeBindCodeMissing)
		}
		if got := c.code(bind(c, "wang", "3-501", tx.RelationOwner, "12345678")); got != abci.CodeAlreadyBound {
			t.Errorf("bound member binding again: %v, want %v", got, abci.CodeAlreadyBound)
		}
	})
	t.Run("CheckTxDoesNotRevealWrongCode", func(t *testing.T) {
		c := setup(t)
		if got := c.check(bind(c, "thief", "3-502", tx.RelationOwner, "00000000")); got != abci.CodeOK {
			t.Errorf("CheckTx of a wrong code = %v, want ok (checked only in a block)", got)
		}
	})
	unitCodes := func(c *testChain) []abci.BindCodeStatus {
		var u struct {
			BindCodes []abci.BindCodeStatus `json:"bind_codes"`
		}
		c.query("units/3-502", &u)
		return u.BindCodes
	}
	// Jamming: before issue #18 five wrong codes from any fresh key locked
	// the unit and the owner's right code was refused.
	t.Run("WrongTriesNeverRefuseTheRightCode", func(t *testing.T) {
		c := setup(t)
		for i := 1; i <= 12; i++ {
			if got := c.code(bind(c, fmt.Sprintf("jammer%d", i), "3-502", tx.RelationOwner, "00000000")); got != abci.CodeBindCodeWrong {
				t.Fatalf("try %d: %v, want %v", i, got, abci.CodeBindCodeWrong)
			}
		}
		if cs := unitCodes(c); len(cs) != 1 || cs[0].Failures != 12 {
			t.Errorf("bind codes = %+v, want one with 12 wrong tries for the admins to see", cs)
		}
		res := c.block(bind(c, "wang", "3-502", tx.RelationOwner, "12345678"))
		if res[0].Code != 0 {
			t.Fatalf("right code after 12 wrong tries: %v, want ok", abci.Code(res[0].Code))
		}
		if !hasEventAttr(res[0].Events, "member.bound", "wrong_tries", "12") {
			t.Errorf("member.bound does not say how many wrong tries came before: %+v", res[0].Events)
		}
	})
	t.Run("WrongTriesAreBoundedPerBlock", func(t *testing.T) {
		c := setup(t)
		max := int(abci.DefaultParams().BindTriesPerBlock)
		var txs [][]byte
		for i := range max + 2 {
			txs = append(txs, bind(c, fmt.Sprintf("guesser%d", i), "3-502", tx.RelationOwner, fmt.Sprintf("%08d", i)))
		}
		txs = append(txs, bind(c, "wang", "3-502", tx.RelationOwner, "12345678"))
		res := c.block(txs...)
		for i, r := range res[:max] {
			if abci.Code(r.Code) != abci.CodeBindCodeWrong {
				t.Errorf("wrong try %d: %v, want %v", i, abci.Code(r.Code), abci.CodeBindCodeWrong)
			}
		}
		for i, r := range res[max : max+2] {
			if abci.Code(r.Code) != abci.CodeBindTriesBusy {
				t.Errorf("wrong try %d past the block's bound: %v, want %v", max+i, abci.Code(r.Code), abci.CodeBindTriesBusy)
			}
		}
		if r := res[len(res)-1]; r.Code != 0 {
			t.Errorf("right code in the same block: %v, want ok", abci.Code(r.Code))
		}
	})
	t.Run("WrongTriesPastTheBoundLeaveNoRecord", func(t *testing.T) {
		c := setup(t)
		max := int(abci.DefaultParams().BindTriesPerBlock)
		var txs [][]byte
		for i := range max + 3 {
			txs = append(txs, bind(c, fmt.Sprintf("guesser%d", i), "3-502", tx.RelationOwner, "00000000"))
		}
		c.block(txs...)
		if cs := unitCodes(c); len(cs) != 1 || cs[0].Failures != int64(max) {
			t.Errorf("bind codes = %+v, want %d wrong tries recorded", cs, max)
		}
		if got := c.code(bind(c, "guesser0", "3-502", tx.RelationOwner, "00000001")); got != abci.CodeBindCodeWrong {
			t.Errorf("a wrong try in the next block: %v, want %v (the bound is per block)", got, abci.CodeBindCodeWrong)
		}
	})
	// Front-running: before issue #18 the code travelled in clear, so a
	// peer or proposer who saw the tx could bind first with it.
	t.Run("CopiedProofBindsNobodyElse", func(t *testing.T) {
		c := setup(t)
		raw := bind(c, "wang", "3-502", tx.RelationOwner, "12345678")
		if got := c.check(raw); got != abci.CodeOK {
			t.Fatalf("CheckTx of the owner's bind = %v", got)
		}
		seen, err := tx.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("12345678")) {
			t.Fatalf("the bind tx carries the code: %s", raw)
		}
		copied := *seen.Body.(*tx.MemberBind)
		front := c.sign(key("mempool-watcher"), &copied)
		res := c.block(front, raw)
		if got := abci.Code(res[0].Code); got != abci.CodeBindCodeWrong {
			t.Errorf("the copied proof, first in the block: %v, want %v", got, abci.CodeBindCodeWrong)
		}
		if res[1].Code != 0 {
			t.Errorf("the owner's own bind after it: %v, want ok", abci.Code(res[1].Code))
		}
	})
	t.Run("ErrProofForAReplacedCode", func(t *testing.T) {
		c := setup(t)
		stale := bind(c, "wang", "3-502", tx.RelationOwner, "12345678")
		other := bytes.Repeat([]byte{9}, tx.BindCodeSaltSize)
		c.mustOK(c.sign(c.admin, tx.NewBindCodeIssue("3-502", tx.RelationOwner, "12345678", other, c.time.Unix()+3600)))
		if got := c.code(stale); got != abci.CodeBindCodeWrong {
			t.Errorf("proof for the replaced code: %v, want %v", got, abci.CodeBindCodeWrong)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		c := setup(t)
		c.time = c.time.Add(86401 * 1e9)
		if got := c.code(bind(c, "wang", "3-502", tx.RelationOwner, "12345678")); got != abci.CodeBindCodeExpired {
			t.Errorf("code = %v, want %v", got, abci.CodeBindCodeExpired)
		}
	})
	t.Run("ErrTenantCodeIsNotOwnerCode", func(t *testing.T) {
		c := setup(t)
		if got := c.code(bind(c, "zhao", "3-502", tx.RelationTenant, "12345678")); got != abci.CodeBindCodeMissing {
			t.Errorf("code = %v, want %v", got, abci.CodeBindCodeMissing)
		}
	})
	t.Run("ErrUnknownUnit", func(t *testing.T) {
		c := setup(t)
		if got := c.code(bind(c, "wang", "9-999", tx.RelationOwner, "12345678")); got != abci.CodeUnitNotFound {
			t.Errorf("code = %v, want %v", got, abci.CodeUnitNotFound)
		}
		if got := c.code(c.issueCode("9-999", tx.RelationOwner, "12345678")); got != abci.CodeUnitNotFound {
			t.Errorf("issue for unknown unit: %v, want %v", got, abci.CodeUnitNotFound)
		}
	})
	t.Run("ErrExpiryOutOfRange", func(t *testing.T) {
		c := setup(t)
		past := tx.NewBindCodeIssue("3-502", tx.RelationOwner, "12345678", make([]byte, 16), c.time.Unix()-1)
		if got := c.code(c.sign(c.admin, past)); got != abci.CodeBindCodeExpiry {
			t.Errorf("past expiry: %v, want %v", got, abci.CodeBindCodeExpiry)
		}
		far := tx.NewBindCodeIssue("3-502", tx.RelationOwner, "12345678", make([]byte, 16), c.time.Unix()+abci.DefaultParams().BindCodeMaxTTL+100)
		if got := c.code(c.sign(c.admin, far)); got != abci.CodeBindCodeExpiry {
			t.Errorf("far expiry: %v, want %v", got, abci.CodeBindCodeExpiry)
		}
	})
	t.Run("OwnerChangeRevokesOwnerBindingsOnly", func(t *testing.T) {
		c := setup(t)
		c.mustOK(c.issueCode("3-502", tx.RelationTenant, "11112222"))
		c.mustOK(bind(c, "wang", "3-502", tx.RelationOwner, "12345678"), bind(c, "zhao", "3-502", tx.RelationTenant, "11112222"))
		c.mustOK(c.sign(c.admin, units(unit("3-502", "3", 8950, "O-9"))))
		if got := c.query("members/"+string(addr(key("wang"))), new(abci.MemberView)); got != abci.CodeOK {
			t.Fatalf("query: %v", got)
		}
		var wang, zhao abci.MemberView
		c.query("members/"+string(addr(key("wang"))), &wang)
		c.query("members/"+string(addr(key("zhao"))), &zhao)
		if wang.Unit != "" {
			t.Errorf("previous owner's member still bound: %+v", wang)
		}
		if zhao.Unit != "3-502" || zhao.Owner != "O-9" {
			t.Errorf("tenant = %+v, want still bound, owner O-9", zhao)
		}
	})
	t.Run("AdminRevokes", func(t *testing.T) {
		c := setup(t)
		c.mustOK(bind(c, "wang", "3-502", tx.RelationOwner, "12345678"))
		revoke := &tx.MemberRevoke{Address: addr(key("wang")), Reason: "业主申请解绑"}
		if got := c.code(c.sign(key("wang"), revoke)); got != abci.CodeUnauthorized {
			t.Errorf("member revoking: %v, want %v", got, abci.CodeUnauthorized)
		}
		c.mustOK(c.sign(c.admin, revoke))
		if got := c.code(c.sign(c.admin, revoke)); got != abci.CodeMemberNotFound {
			t.Errorf("second revoke: %v, want %v", got, abci.CodeMemberNotFound)
		}
	})
}

func TestRoles(t *testing.T) {
	c := newChain(t)
	treasurer := addr(key("treasurer"))
	c.mustOK(c.sign(c.admin, &tx.RoleGrant{Address: treasurer, Role: tx.RoleTreasurer}))
	tests := []struct {
		name string
		tx   []byte
		want abci.Code
	}{
		{"ErrRoleHeld", c.sign(c.admin, &tx.RoleGrant{Address: treasurer, Role: tx.RoleTreasurer}), abci.CodeRoleHeld},
		{"ErrRoleNotHeld", c.sign(c.admin, &tx.RoleRevoke{Address: treasurer, Role: tx.RoleMediator}), abci.CodeRoleNotHeld},
		{"ErrLastAdmin", c.sign(c.admin, &tx.RoleRevoke{Address: addr(c.admin), Role: tx.RoleAdmin}), abci.CodeLastAdmin},
		{"ErrTreasurerIsNotAdmin", c.sign(key("treasurer"), &tx.RoleGrant{Address: treasurer, Role: tx.RoleAdmin}), abci.CodeUnauthorized},
		// Bodies that fail on their own are rejected before the nonce is
		// looked at, so these are signed by a key of their own.
		{"ErrUnknownRole", c.sign(key("a"), &tx.RoleGrant{Address: treasurer, Role: "owner"}), abci.CodeInvalidBody},
		{"ErrBadAddress", c.sign(key("b"), &tx.RoleGrant{Address: "3-502", Role: tx.RoleAdmin}), abci.CodeInvalidBody},
		{"SecondAdminCanBeAdded", c.sign(c.admin, &tx.RoleGrant{Address: treasurer, Role: tx.RoleAdmin}), abci.CodeOK},
		{"FirstAdminCanLeaveNow", c.sign(c.admin, &tx.RoleRevoke{Address: addr(c.admin), Role: tx.RoleAdmin}), abci.CodeOK},
		{"ErrFormerAdmin", c.sign(c.admin, units(unit("1-1", "1", 100, "O"))), abci.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.code(tt.tx); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
		})
	}
	var roles map[string][]tx.Address
	c.query("roles", &roles)
	if len(roles[tx.RoleAdmin]) != 1 || roles[tx.RoleAdmin][0] != treasurer {
		t.Errorf("admins = %v, want only %s", roles[tx.RoleAdmin], treasurer)
	}
}

// hasEventAttr reports whether events have one of type typ with key=value.
func hasEventAttr(events []abcitypes.Event, typ, key, value string) bool {
	for _, e := range events {
		for _, a := range e.Attributes {
			if e.Type == typ && a.Key == key && a.Value == value {
				return true
			}
		}
	}
	return false
}
