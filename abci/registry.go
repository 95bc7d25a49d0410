package abci

import (
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// execUnitRegister registers new units and updates changed ones. A unit
// given exactly as registered is left alone, so re-importing a roster is a
// no-op. When a unit changes hands, the bindings and the pending owner code
// of the previous owner's members for that unit are removed: they no longer
// speak for its owner.
func execUnitRegister(ctx *Context, b *tx.UnitRegister) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	for _, s := range b.Units {
		old, exists := get[Unit](ctx.st, keyUnit(s.Unit))
		if exists && old.Building == s.Building && old.Area == s.Area && old.Owner == s.Owner {
			continue
		}
		if exists {
			ctx.st.delete(keyOwnerUnit(old.Owner, old.Unit))
			ctx.st.delete(keyBuildingUnit(old.Building, old.Unit))
		}
		put(ctx.st, keyUnit(s.Unit), Unit{Unit: s.Unit, Building: s.Building, Area: s.Area, Owner: s.Owner, Height: ctx.Height})
		ctx.st.set(keyOwnerUnit(s.Owner, s.Unit), marker)
		ctx.st.set(keyBuildingUnit(s.Building, s.Unit), marker)
		area := strconv.FormatInt(s.Area, 10)
		if !exists {
			ctx.emit("unit.registered", "unit", s.Unit, "building", s.Building, "area", area, "owner", s.Owner)
			continue
		}
		ctx.emit("unit.updated", "unit", s.Unit, "building", s.Building, "area", area, "owner", s.Owner, "previous_owner", old.Owner)
		if old.Owner != s.Owner {
			revokeOwnerBindings(ctx, s.Unit)
		}
	}
	return nil
}

func revokeOwnerBindings(ctx *Context, unit string) {
	ctx.st.delete(keyBindCode(unit, tx.RelationOwner))
	for _, a := range suffixes(ctx.st, prefixUnitMembers(unit)) {
		addr := tx.Address(a)
		m, _ := get[Member](ctx.st, keyMember(addr))
		if m.Relation != tx.RelationOwner {
			continue
		}
		unbind(ctx, m, "unit owner changed")
	}
}

func unbind(ctx *Context, m Member, reason string) {
	ctx.st.delete(keyMember(m.Address))
	ctx.st.delete(keyUnitMember(m.Unit, m.Address))
	ctx.emit("member.revoked", "address", string(m.Address), "unit", m.Unit, "relation", m.Relation, "reason", reason)
	// Someone who no longer lives here shares nothing and asks for nothing.
	leaveSharing(ctx, m.Address, reason)
}

// execBindCodeIssue records a unit's new binding code verifier, replacing
// any earlier one and its count of wrong tries.
func execBindCodeIssue(ctx *Context, b *tx.BindCodeIssue) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	if !has(ctx.st, keyUnit(b.Unit)) {
		return reject(CodeUnitNotFound, "unit %s is not registered", b.Unit)
	}
	if b.ExpiresAt <= ctx.Time || b.ExpiresAt > ctx.Time+ctx.Params.BindCodeMaxTTL {
		return reject(CodeBindCodeExpiry, "expiry must be after block time %d and at most %d s later", ctx.Time, ctx.Params.BindCodeMaxTTL)
	}
	put(ctx.st, keyBindCode(b.Unit, b.Relation), newBindCode(ctx, b.Unit, b.Relation, b.BindVerifier, b.ExpiresAt))
	ctx.emit("bindcode.issued", "unit", b.Unit, "relation", b.Relation, "expires_at", strconv.FormatInt(b.ExpiresAt, 10))
	return nil
}

// newBindCode is the record of a freshly issued code, for every tx that
// issues codes.
func newBindCode(ctx *Context, unit, relation string, v tx.BindVerifier, expiresAt int64) BindCode {
	return BindCode{Unit: unit, Relation: relation, BindVerifier: v, ExpiresAt: expiresAt, IssuedBy: ctx.Signer, Height: ctx.Height}
}

// execMemberBind binds the signer to a unit when its proof shows the code:
// a signature by the code's key over the chain, unit, relation, salt and
// the signer's address (tx.VerifyBindProof), so a proof copied from the
// mempool binds nobody else. A right proof always binds. A wrong one is
// counted for the admins to see, at most Params.BindTriesPerBlock per
// code and block; beyond that it is refused without a record.
//
// During CheckTx the proof is not checked, so that every wrong try is
// settled, and counted, in a block.
func execMemberBind(ctx *Context, b *tx.MemberBind) error {
	if m, ok := get[Member](ctx.st, keyMember(ctx.Signer)); ok {
		return reject(CodeAlreadyBound, "signer is already bound to unit %s", m.Unit)
	}
	if !has(ctx.st, keyUnit(b.Unit)) {
		return reject(CodeUnitNotFound, "unit %s is not registered", b.Unit)
	}
	key := keyBindCode(b.Unit, b.Relation)
	code, ok := get[BindCode](ctx.st, key)
	switch {
	case !ok:
		return reject(CodeBindCodeMissing, "unit %s has no active %s code", b.Unit, b.Relation)
	case ctx.Time > code.ExpiresAt:
		return reject(CodeBindCodeExpired, "unit %s's %s code expired at %d", b.Unit, b.Relation, code.ExpiresAt)
	case ctx.Checking:
		return nil
	}
	if !tx.VerifyBindProof(code.BindVerifier, ctx.ChainID, b.Unit, b.Relation, ctx.Signer, b.Proof) {
		if code.FailHeight == ctx.Height && code.FailsInBlock >= ctx.Params.BindTriesPerBlock {
			return reject(CodeBindTriesBusy, "unit %s's %s code already had %d wrong tries in this block", b.Unit, b.Relation, code.FailsInBlock)
		}
		if code.FailHeight != ctx.Height {
			code.FailHeight, code.FailsInBlock = ctx.Height, 0
		}
		code.Failures++
		code.FailsInBlock++
		ctx.keepOnReject(key, code)
		ctx.emit("bindcode.failed", "unit", b.Unit, "relation", b.Relation, "failures", strconv.FormatInt(code.Failures, 10))
		return reject(CodeBindCodeWrong, "wrong code for unit %s (%d wrong tries so far)", b.Unit, code.Failures)
	}
	ctx.st.delete(key)
	put(ctx.st, keyMember(ctx.Signer), Member{Address: ctx.Signer, Unit: b.Unit, Relation: b.Relation, Height: ctx.Height})
	ctx.st.set(keyUnitMember(b.Unit, ctx.Signer), marker)
	ctx.emit("member.bound", "address", string(ctx.Signer), "unit", b.Unit, "relation", b.Relation,
		"wrong_tries", strconv.FormatInt(code.Failures, 10))
	return nil
}

func execMemberRevoke(ctx *Context, b *tx.MemberRevoke) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	m, ok := get[Member](ctx.st, keyMember(b.Address))
	if !ok {
		return reject(CodeMemberNotFound, "%s is not bound to any unit", b.Address)
	}
	unbind(ctx, m, b.Reason)
	return nil
}

func execRoleGrant(ctx *Context, b *tx.RoleGrant) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	if hasRole(ctx.st, b.Address, b.Role) {
		return reject(CodeRoleHeld, "%s already has role %s", b.Address, b.Role)
	}
	if b.Role == tx.RoleScrutineer && !has(ctx.st, keyMember(b.Address)) {
		return reject(CodeScrutineerNotMember, "%s is not bound to a unit", b.Address)
	}
	ctx.st.set(keyRole(b.Role, b.Address), marker)
	ctx.emit("role.granted", "address", string(b.Address), "role", b.Role)
	return nil
}

func execRoleRevoke(ctx *Context, b *tx.RoleRevoke) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	if !hasRole(ctx.st, b.Address, b.Role) {
		return reject(CodeRoleNotHeld, "%s does not have role %s", b.Address, b.Role)
	}
	if b.Role == tx.RoleAdmin && countPrefix(ctx.st, prefixRole(tx.RoleAdmin)) == 1 {
		return reject(CodeLastAdmin, "%s is the last admin", b.Address)
	}
	ctx.st.delete(keyRole(b.Role, b.Address))
	ctx.emit("role.revoked", "address", string(b.Address), "role", b.Role)
	return nil
}
