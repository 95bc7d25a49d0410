package abci

import (
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// execBindCodeBatch records new binding codes for many units: every unit
// must be registered and the expiry within the chain's limit, or nothing is
// issued. A unit's earlier code for the relation is replaced, so it stops
// working.
func execBindCodeBatch(ctx *Context, b *tx.BindCodeBatch) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	if b.ExpiresAt <= ctx.Time || b.ExpiresAt > ctx.Time+ctx.Params.BindCodeMaxTTL {
		return reject(CodeBindCodeExpiry, "expiry must be after block time %d and at most %d s later", ctx.Time, ctx.Params.BindCodeMaxTTL)
	}
	for _, v := range b.Codes {
		if !has(ctx.st, keyUnit(v.Unit)) {
			return reject(CodeUnitNotFound, "unit %s is not registered", v.Unit)
		}
	}
	replaced := 0
	for _, v := range b.Codes {
		key := keyBindCode(v.Unit, b.Relation)
		if has(ctx.st, key) {
			replaced++
		}
		put(ctx.st, key, newBindCode(ctx, v.Unit, b.Relation, v.BindVerifier, b.ExpiresAt))
	}
	ctx.emit("bindcode.batch", "relation", b.Relation, "codes", strconv.Itoa(len(b.Codes)),
		"replaced", strconv.Itoa(replaced), "expires_at", strconv.FormatInt(b.ExpiresAt, 10))
	return nil
}
