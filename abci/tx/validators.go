package tx

import "crypto/ed25519"

// MaxValidatorPower bounds the voting power one validator-set update may
// give. CometBFT's own bound (a total below 2^60) is far above it.
const MaxValidatorPower = 1_000_000

// ValidatorUpdate proposes, or approves, a change to CometBFT's validator
// set (admin only): PubKey gets Power, and power 0 removes it. The first
// admin's tx proposes the change; other admins approve it by sending the
// same body. It is applied once a majority of the current admins have sent
// it, and takes effect two blocks later, as CometBFT applies validator
// updates.
type ValidatorUpdate struct {
	// PubKey is the validator's ed25519 public key in lowercase hex (the
	// "value" of pub_key in its priv_validator_key.json, decoded from
	// base64).
	PubKey string `json:"pub_key"`
	// Power is the validator's new voting power; 0 removes it.
	Power int64 `json:"power"`
}

func (*ValidatorUpdate) Type() Type { return TypeValidatorUpdate }

func (b *ValidatorUpdate) Validate() error {
	switch {
	case !isLowerHex(b.PubKey, 2*ed25519.PublicKeySize):
		return fieldErr("pub_key", "must be %d lowercase hex digits (an ed25519 public key)", 2*ed25519.PublicKeySize)
	case b.Power < 0 || b.Power > MaxValidatorPower:
		return fieldErr("power", "must be between 0 and %d", MaxValidatorPower)
	}
	return nil
}
