package tx

import "fmt"

// TypeBindCodeBatch issues the binding codes of many units in one tx.
const TypeBindCodeBatch Type = "bindcode.batch"

// MaxCodesPerTx bounds the codes of one BindCodeBatch. The tx size limit
// (MaxBytes) usually binds first: about 900 codes of short unit numbers
// fit in one tx.
const MaxCodesPerTx = 1000

// BindCodeVerifier is one unit's entry in a BindCodeBatch: the unit and the
// verifier of its code (BindVerifier, built by NewBindVerifier), which is
// all the chain keeps to check a bind without knowing the code.
type BindCodeVerifier struct {
	Unit string `json:"unit"`
	BindVerifier
}

// NewBindCodeVerifier returns the entry of code for unit, salted with salt
// (BindCodeSaltSize random bytes). It derives the code's key, a fifth of a
// second of Argon2id: callers issuing many codes run it on every core.
func NewBindCodeVerifier(unit, code string, salt []byte) BindCodeVerifier {
	return BindCodeVerifier{Unit: unit, BindVerifier: NewBindVerifier(code, salt)}
}

// Validate checks the entry's shape.
func (v BindCodeVerifier) Validate() error {
	if !ValidLabel(v.Unit, MaxLabelBytes) {
		return fieldErr("unit", "is not a valid unit number")
	}
	return v.BindVerifier.Validate()
}

// BindCodeBatch sets new binding codes for many units at once (admin only),
// all for one relation and with one expiry. Each replaces the unit's
// earlier code, which stops working, and its failure count. Every unit
// must be registered, or nothing is issued.
type BindCodeBatch struct {
	Relation string `json:"relation"`
	// ExpiresAt is the unix time (seconds) after which the codes are void,
	// compared with block time.
	ExpiresAt int64              `json:"expires_at"`
	Codes     []BindCodeVerifier `json:"codes"`
}

func (*BindCodeBatch) Type() Type { return TypeBindCodeBatch }

func (b *BindCodeBatch) Validate() error {
	switch {
	case !validRelation(b.Relation):
		return fieldErr("relation", "must be %q or %q", RelationOwner, RelationTenant)
	case b.ExpiresAt <= 0:
		return fieldErr("expires_at", "must be a unix time")
	case len(b.Codes) == 0 || len(b.Codes) > MaxCodesPerTx:
		return fieldErr("codes", "must list 1-%d codes", MaxCodesPerTx)
	}
	seen := make(map[string]bool, len(b.Codes))
	for i, v := range b.Codes {
		if err := v.Validate(); err != nil {
			fe := err.(*FieldError)
			return fieldErr(fmt.Sprintf("codes[%d].%s", i, fe.Field), "%s", fe.Reason)
		}
		if seen[v.Unit] {
			return fieldErr(fmt.Sprintf("codes[%d].unit", i), "%s is listed twice", v.Unit)
		}
		seen[v.Unit] = true
	}
	return nil
}
