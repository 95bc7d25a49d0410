package abci_test

import (
	"testing"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

func batch(c *testChain, expiresAt int64, codes map[string]string) *tx.BindCodeBatch {
	b := &tx.BindCodeBatch{Relation: tx.RelationOwner, ExpiresAt: expiresAt}
	for _, u := range []string{"1-101", "1-102", "2-101", "2-102", "3-501", "3-502", "9-999"} {
		if code, ok := codes[u]; ok {
			b.Codes = append(b.Codes, tx.NewBindCodeVerifier(u, code, testSalt(u, tx.RelationOwner)))
		}
	}
	return b
}

func bind(c *testChain, who, unit, code string) []byte {
	return c.sign(key(who), &tx.MemberBind{Unit: unit, Relation: tx.RelationOwner, Code: code})
}

// TestBindCodeBatch issues the codes of several units in one tx: each works
// once, a reissue revokes the earlier code, and a batch naming an
// unregistered unit or a bad expiry issues nothing.
func TestBindCodeBatch(t *testing.T) {
	c := newChain(t)
	c.mustOK(c.sign(c.admin, units(
		unit("1-101", "1", 8000, "O-1"), unit("1-102", "1", 8000, "O-2"),
		unit("2-101", "2", 8000, "O-3"), unit("2-102", "2", 8000, "O-4"))))
	day := c.time.Unix() + 86400
	codes := map[string]string{"1-101": "11111111", "1-102": "22222222", "2-101": "33333333", "2-102": "44444444"}

	// Bodies that fail validation never reach a handler, so they are
	// signed by keys of their own (their nonces are never used).
	rejected := []struct {
		name string
		tx   []byte
		want abci.Code
	}{
		{"ErrResidentIssues", c.sign(key("o1"), batch(c, day, codes)), abci.CodeUnauthorized},
		{"ErrUnregisteredUnit", c.sign(c.admin, batch(c, day, map[string]string{"1-101": "11111111", "9-999": "99999999"})), abci.CodeUnitNotFound},
		{"ErrExpiryInPast", c.sign(c.admin, batch(c, c.time.Unix(), codes)), abci.CodeBindCodeExpiry},
		{"ErrExpiryTooLate", c.sign(c.admin, batch(c, c.time.Unix()+abci.DefaultParams().BindCodeMaxTTL+60, codes)), abci.CodeBindCodeExpiry},
		{"ErrEmpty", c.sign(key("bad1"), &tx.BindCodeBatch{Relation: tx.RelationOwner, ExpiresAt: day}), abci.CodeInvalidBody},
		{"ErrUnitTwice", c.sign(key("bad2"), &tx.BindCodeBatch{Relation: tx.RelationOwner, ExpiresAt: day, Codes: []tx.BindCodeVerifier{
			tx.NewBindCodeVerifier("1-101", "11111111", make([]byte, tx.BindCodeSaltSize)),
			tx.NewBindCodeVerifier("1-101", "11111112", make([]byte, tx.BindCodeSaltSize))}}), abci.CodeInvalidBody},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.code(tt.tx); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
			var u struct {
				Codes []abci.BindCodeStatus `json:"bind_codes"`
			}
			c.query("units/1-101", &u)
			if len(u.Codes) != 0 {
				t.Errorf("a rejected batch left codes: %+v", u.Codes)
			}
		})
	}

	c.mustOK(c.sign(c.admin, batch(c, day, codes)))
	for u := range codes {
		var got struct {
			Codes []abci.BindCodeStatus `json:"bind_codes"`
		}
		c.query("units/"+u, &got)
		if len(got.Codes) != 1 || got.Codes[0].ExpiresAt != day {
			t.Errorf("units/%s codes = %+v, want one expiring at %d", u, got.Codes, day)
		}
	}
	c.mustOK(bind(c, "o1", "1-101", "11111111"), bind(c, "o2", "1-102", "22222222"))
	if got := c.code(bind(c, "o1b", "1-101", "11111111")); got != abci.CodeBindCodeMissing {
		t.Errorf("a used code again: %v, want %v", got, abci.CodeBindCodeMissing)
	}

	// Reissuing 2-101's code revokes the first one.
	c.mustOK(c.sign(c.admin, batch(c, day, map[string]string{"2-101": "55555555"})))
	if got := c.code(bind(c, "o3", "2-101", "33333333")); got != abci.CodeBindCodeWrong {
		t.Errorf("the revoked code: %v, want %v", got, abci.CodeBindCodeWrong)
	}
	c.mustOK(bind(c, "o3", "2-101", "55555555"), bind(c, "o4", "2-102", "44444444"))
}
