package abci

import (
	"encoding/hex"
	"fmt"
	"strconv"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci/tx"
)

// Validator is a CometBFT validator as the app records it. Genesis
// validators are recorded by InitChain with Height 0; a removed validator
// keeps its record with Power 0.
type Validator struct {
	PubKey string `json:"pub_key"`
	Power  int64  `json:"power"`
	// Height is the block whose FinalizeBlock reported the change to
	// CometBFT; 0 for the genesis set.
	Height int64 `json:"height"`
}

const prefixValidators = "validator/"

func keyValidator(pub string) string { return prefixValidators + pub }

// prefixValidatorVotes is where the approvals of one proposed change live,
// one marker per approving admin.
func prefixValidatorVotes(pub string, power int64) string {
	return fmt.Sprintf("valvote/%s/%07d/", pub, power)
}

// writeGenesisValidators records the genesis validators of InitChain. Keys
// other than ed25519 are not recorded: linli's chains use ed25519 only.
func writeGenesisValidators(c *cache, vals []abcitypes.ValidatorUpdate) {
	for _, v := range vals {
		if pk := v.PubKey.GetEd25519(); len(pk) > 0 && v.Power > 0 {
			pub := hex.EncodeToString(pk)
			put(c, keyValidator(pub), Validator{PubKey: pub, Power: v.Power})
		}
	}
}

// validatorUpdates returns the validator changes made in the block at
// height, in key order, for ResponseFinalizeBlock. c is the block's cache;
// only changes written in this block carry its height.
func validatorUpdates(c *cache, height int64) []abcitypes.ValidatorUpdate {
	var out []abcitypes.ValidatorUpdate
	c.scan(prefixValidators, func(k string, b []byte) bool {
		v := decode[Validator](k, b)
		if v.Height != height {
			return true
		}
		pk, _ := hex.DecodeString(v.PubKey)
		out = append(out, abcitypes.UpdateValidator(pk, v.Power, "ed25519"))
		return true
	})
	return out
}

// validatorSet returns the current validators' total power and count.
func validatorSet(r reader) (total int64, n int) {
	r.scan(prefixValidators, func(k string, b []byte) bool {
		if v := decode[Validator](k, b); v.Power > 0 {
			total += v.Power
			n++
		}
		return true
	})
	return total, n
}

// execValidatorUpdate records an admin's approval of a validator change
// and applies the change once a majority of the current admins approve the
// same body. The change must be safe for CometBFT at the moment it applies:
// it changes something, removes only a validator that exists and never the
// last one, moves at most a third of the total power (so the validators
// that kept the chain live still hold two thirds), and is the only change
// of that key in its block.
func execValidatorUpdate(ctx *Context, b *tx.ValidatorUpdate) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	cur, _ := get[Validator](ctx.st, keyValidator(b.PubKey))
	total, n := validatorSet(ctx.st)
	delta := b.Power - cur.Power
	if delta < 0 {
		delta = -delta
	}
	switch {
	case b.Power == 0 && cur.Power == 0:
		return reject(CodeValidatorNotFound, "%s is not a validator", b.PubKey)
	case b.Power == cur.Power:
		return reject(CodeValidatorUnchanged, "%s already has power %d", b.PubKey, b.Power)
	case b.Power == 0 && n == 1:
		return reject(CodeLastValidator, "%s is the last validator", b.PubKey)
	case 3*delta > total:
		return reject(CodeValidatorChangeTooLarge, "changing power by %d of %d is more than a third", delta, total)
	case cur.Height == ctx.Height:
		return reject(CodeValidatorBusy, "%s already changed in block %d", b.PubKey, ctx.Height)
	}
	prefix := prefixValidatorVotes(b.PubKey, b.Power)
	vote := prefix + string(ctx.Signer)
	if has(ctx.st, vote) {
		return reject(CodeValidatorApproved, "%s already approved power %d for %s", ctx.Signer, b.Power, b.PubKey)
	}
	ctx.st.set(vote, marker)

	// Only approvals of admins who are still admins count.
	admins := countPrefix(ctx.st, prefixRole(tx.RoleAdmin))
	voters := suffixes(ctx.st, prefix)
	approvals := 0
	for _, a := range voters {
		if hasRole(ctx.st, tx.Address(a), tx.RoleAdmin) {
			approvals++
		}
	}
	power := strconv.FormatInt(b.Power, 10)
	if 2*approvals <= admins {
		ctx.emit("validator.approved", "pub_key", b.PubKey, "power", power,
			"approvals", strconv.Itoa(approvals), "admins", strconv.Itoa(admins))
		return nil
	}
	for _, a := range voters {
		ctx.st.delete(prefix + a)
	}
	put(ctx.st, keyValidator(b.PubKey), Validator{PubKey: b.PubKey, Power: b.Power, Height: ctx.Height})
	ctx.emit("validator.updated", "pub_key", b.PubKey, "power", power, "approvals", strconv.Itoa(approvals))
	return nil
}

// PendingValidatorUpdate is a proposed change with the admins who have
// approved it so far.
type PendingValidatorUpdate struct {
	PubKey    string       `json:"pub_key"`
	Power     int64        `json:"power"`
	Approvals []tx.Address `json:"approvals"`
}

// queryValidators answers "validators": the current validators, and the
// proposed changes still waiting for approvals.
func queryValidators(r reader) any {
	vals := []Validator{}
	r.scan(prefixValidators, func(k string, b []byte) bool {
		if v := decode[Validator](k, b); v.Power > 0 {
			vals = append(vals, v)
		}
		return true
	})
	pending := []PendingValidatorUpdate{}
	r.scan("valvote/", func(k string, _ []byte) bool {
		// valvote/PUB/POWER/ADDR
		rest := k[len("valvote/"):]
		pub, rest := rest[:2*32], rest[2*32+1:]
		power, _ := strconv.ParseInt(rest[:7], 10, 64)
		a := tx.Address(rest[8:])
		if n := len(pending); n > 0 && pending[n-1].PubKey == pub && pending[n-1].Power == power {
			pending[n-1].Approvals = append(pending[n-1].Approvals, a)
		} else {
			pending = append(pending, PendingValidatorUpdate{PubKey: pub, Power: power, Approvals: []tx.Address{a}})
		}
		return true
	})
	return struct {
		Validators []Validator              `json:"validators"`
		Pending    []PendingValidatorUpdate `json:"pending"`
	}{vals, pending}
}
