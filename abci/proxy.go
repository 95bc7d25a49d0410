package abci

import (
	"fmt"
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// Proxy statuses. Whether an active appointment is still in force follows
// from block time and its decision (InForce).
const (
	ProxyPending  = "pending"  // made with an agent code nobody has accepted yet
	ProxyActive   = "active"   // the proxy may vote for the owner
	ProxyRevoked  = "revoked"  // ended by the owner, the proxy or an admin
	ProxyReplaced = "replaced" // ended by the owner's next appointment
)

// Appointment is an owner's appointment of a proxy (委托投票): for one decision
// (Proposal) or for every decision until a time (Until). The proxy is a
// member or agent named by address, or an outsider who accepts with a
// one-time agent code (Agent, Code) and then becomes an agent: an address
// that may only vote for the owners it represents.
type Appointment struct {
	ID    uint64 `json:"id"`
	Owner string `json:"owner"`
	// Proxy is the representative's address; empty while an agent code
	// waits to be accepted.
	Proxy tx.Address `json:"proxy"`
	// Agent is set for an appointment made with an agent code; Code is
	// the code's verifier until it is accepted, then empty.
	Agent bool            `json:"agent"`
	Code  tx.BindVerifier `json:"code"`
	// Failures counts wrong agent codes tried; FailHeight and
	// FailsInBlock bound them per block, as for binding codes.
	Failures     int64      `json:"failures"`
	FailHeight   int64      `json:"fail_height"`
	FailsInBlock int64      `json:"fails_in_block"`
	Proposal     uint64     `json:"proposal"`
	Until        int64      `json:"until"`
	AppointedBy  tx.Address `json:"appointed_by"`
	// AuthorisationSHA256 is the scan of the paper 委托书 an admin
	// recorded the appointment from; empty when the owner appointed in
	// chat.
	AuthorisationSHA256 string     `json:"authorisation_sha256"`
	Status              string     `json:"status"`
	Height              int64      `json:"height"`
	TxHash              string     `json:"tx_hash"`
	AcceptedHeight      int64      `json:"accepted_height"`
	EndedHeight         int64      `json:"ended_height"`
	EndedBy             tx.Address `json:"ended_by"`
	// Votes counts the ballots cast through the appointment; the last one
	// is LastProposal, LastChoice at LastHeight (the notifier tells the
	// owner).
	Votes        int64  `json:"votes"`
	LastProposal uint64 `json:"last_proposal"`
	LastChoice   int    `json:"last_choice"`
	LastHeight   int64  `json:"last_height"`
}

func keyProxySeq() string       { return "seq/proxy" }
func keyProxy(id uint64) string { return fmt.Sprintf("proxy/%020d", id) }
func keyOwnerProxy(owner string, id uint64) string {
	return fmt.Sprintf("ownerproxy/%s/%020d", owner, id)
}
func prefixOwnerProxies(owner string) string { return "ownerproxy/" + owner + "/" }
func keyProxyBy(a tx.Address, id uint64) string {
	return fmt.Sprintf("proxyby/%s/%020d", a, id)
}
func prefixProxiesBy(a tx.Address) string { return "proxyby/" + string(a) + "/" }

// keyAgent marks an address that accepted an agent code: it may only vote
// for the owners it represents (agentMay).
func keyAgent(a tx.Address) string { return "agent/" + string(a) }

// keyProxyBallot records the hash of the ballot an appointment last cast
// on a decision, so that ending the appointment withdraws that ballot
// while it is still the one counted.
func keyProxyBallot(id, proposal uint64) string {
	return fmt.Sprintf("proxyballot/%020d/%020d", id, proposal)
}
func prefixProxyBallots(id uint64) string { return fmt.Sprintf("proxyballot/%020d/", id) }

type proxyBallot struct {
	TxHash string `json:"tx_hash"`
}

func getProxy(r reader, id uint64) (Appointment, bool) { return get[Appointment](r, keyProxy(id)) }

// InForce reports whether the appointment lets its proxy vote at block
// time now: active, and its decision still open or its date not reached.
func (p Appointment) InForce(r reader, now int64) bool {
	if p.Status != ProxyActive && p.Status != ProxyPending {
		return false
	}
	if p.Proposal == 0 {
		return now < p.Until
	}
	d, ok := getProposal(r, p.Proposal)
	return ok && d.Status == StatusOpen && now < d.VoteEnd
}

// covers reports whether the appointment is for decision d.
func (p Appointment) covers(d Proposal) bool { return p.Proposal == 0 || p.Proposal == d.ID }

// proxiesHeld returns the appointments in force that a holds, skipping
// those of owner (whose earlier appointment a new one replaces).
func proxiesHeld(r reader, a tx.Address, now int64, owner string) int64 {
	var n int64
	for _, s := range suffixes(r, prefixProxiesBy(a)) {
		id, _ := strconv.ParseUint(s, 10, 64)
		if p, ok := getProxy(r, id); ok && p.Owner != owner && p.Status == ProxyActive && p.InForce(r, now) {
			n++
		}
	}
	return n
}

// speaksFor reports whether a is bound to one of owner's units as owner:
// someone who votes for the owner in person.
func speaksFor(r reader, a tx.Address, owner string) bool {
	m, ok := get[Member](r, keyMember(a))
	if !ok || m.Relation != tx.RelationOwner {
		return false
	}
	u, _ := get[Unit](r, keyUnit(m.Unit))
	return u.Owner == owner
}

func ownerExists(r reader, owner string) bool {
	return countPrefixLimit(r, prefixOwnerUnits(owner), 1) > 0
}

// agentMay refuses every tx of an agent but its votes for the owners it
// represents and its own appointments: an agent speaks for an owner in
// decisions and in nothing else (no accounts, no sharing, no comments).
func agentMay(ctx *Context, body tx.Body) error {
	if !has(ctx.st, keyAgent(ctx.Signer)) {
		return nil
	}
	switch b := body.(type) {
	case *tx.VoteCast:
		if b.Owner != "" {
			return nil
		}
	case *tx.ProxyAccept, *tx.ProxyRevoke:
		return nil
	}
	return reject(CodeAgentRefused, "%s is an owner's agent and may only vote for the owners it represents", ctx.Signer)
}

// execProxyAppoint records an appointment: by a member bound to the owner
// as owner, or by an admin from a paper authorisation (owner and scan hash
// required). It replaces the owner's earlier appointments.
func execProxyAppoint(ctx *Context, b *tx.ProxyAppoint) error {
	owner := b.Owner
	if owner != "" {
		if err := ctx.requireRole(tx.RoleAdmin); err != nil {
			return err
		}
		if b.AuthorisationSHA256 == "" {
			return reject(CodeAuthorisationMissing, "an admin records an appointment only with the SHA-256 of the scanned authorisation")
		}
		if !ownerExists(ctx.st, owner) {
			return reject(CodeOwnerNotFound, "owner %s has no units", owner)
		}
	} else {
		m, ok := get[Member](ctx.st, keyMember(ctx.Signer))
		if !ok {
			return reject(CodeNotMember, "signer is not bound to a unit")
		}
		if m.Relation != tx.RelationOwner {
			return reject(CodeTenantCannotVote, "only an owner's member appoints a proxy for the owner")
		}
		u, _ := get[Unit](ctx.st, keyUnit(m.Unit))
		owner = u.Owner
	}
	if b.Proposal != 0 {
		d, ok := getProposal(ctx.st, b.Proposal)
		switch {
		case !ok || d.Kind != KindDecision:
			return reject(CodeProposalNotFound, "no decision %d", b.Proposal)
		case d.Status == StatusCanceled:
			return reject(CodeProposalCanceled, "decision %d is canceled", d.ID)
		case d.Status != StatusOpen || ctx.Time >= d.VoteEnd:
			return reject(CodeVotingClosed, "voting on %d closed at %d", d.ID, d.VoteEnd)
		case !ownerInElectorate(ctx.st, owner, d.Buildings):
			return reject(CodeNotInElectorate, "owner %s has no unit in the electorate of %d", owner, d.ID)
		}
	} else if b.Until <= ctx.Time {
		return reject(CodeExpiryInPast, "until %d is not after block time %d", b.Until, ctx.Time)
	}
	p := Appointment{
		Owner: owner, Proposal: b.Proposal, Until: b.Until, AppointedBy: ctx.Signer,
		AuthorisationSHA256: b.AuthorisationSHA256, Height: ctx.Height, TxHash: ctx.TxHash,
	}
	if a := b.Proxy.Address; a != "" {
		if !has(ctx.st, keyMember(a)) && !has(ctx.st, keyAgent(a)) || speaksFor(ctx.st, a, owner) {
			return reject(CodeProxyNotEligible, "%s is not a member or agent, or speaks for owner %s already", a, owner)
		}
		if n := proxiesHeld(ctx.st, a, ctx.Time, owner); n >= ctx.Params.MaxProxies {
			return reject(CodeProxyLimit, "%s already represents %d owners, the most one person may", a, n)
		}
		p.Proxy, p.Status, p.AcceptedHeight = a, ProxyActive, ctx.Height
	} else {
		p.Agent, p.Code, p.Status = true, *b.Proxy.Agent, ProxyPending
	}
	for _, s := range suffixes(ctx.st, prefixOwnerProxies(owner)) {
		id, _ := strconv.ParseUint(s, 10, 64)
		if old, ok := getProxy(ctx.st, id); ok && (old.Status == ProxyActive || old.Status == ProxyPending) {
			endProxy(ctx, old, ProxyReplaced)
		}
	}
	p.ID = nextID(ctx.st, keyProxySeq())
	put(ctx.st, keyProxy(p.ID), p)
	ctx.st.set(keyOwnerProxy(owner, p.ID), marker)
	if p.Proxy != "" {
		ctx.st.set(keyProxyBy(p.Proxy, p.ID), marker)
	}
	id := strconv.FormatUint(p.ID, 10)
	by := "owner"
	if b.Owner != "" {
		by = "admin"
	}
	ctx.emit("proxy.appointed", "id", id, "owner", owner, "proxy", string(p.Proxy), "agent", strconv.FormatBool(p.Agent),
		"proposal", strconv.FormatUint(p.Proposal, 10), "until", strconv.FormatInt(p.Until, 10), "by", by)
	ctx.created("proxy", id)
	return nil
}

// endProxy ends an appointment and withdraws the ballots it cast on
// decisions still open, where each is still the owner's counted ballot.
func endProxy(ctx *Context, p Appointment, status string) {
	p.Status, p.EndedHeight, p.EndedBy = status, ctx.Height, ctx.Signer
	p.Code = tx.BindVerifier{}
	put(ctx.st, keyProxy(p.ID), p)
	// The proxy's index keeps only what it may still use, so that the
	// appointments someone makes and ends in their name cannot make each
	// of the proxy's votes slower.
	if p.Proxy != "" {
		ctx.st.delete(keyProxyBy(p.Proxy, p.ID))
	}
	id := strconv.FormatUint(p.ID, 10)
	for _, s := range suffixes(ctx.st, prefixProxyBallots(p.ID)) {
		pid, _ := strconv.ParseUint(s, 10, 64)
		pb, _ := get[proxyBallot](ctx.st, keyProxyBallot(p.ID, pid))
		d, ok := getProposal(ctx.st, pid)
		if !ok || d.Status != StatusOpen || ctx.Time >= d.VoteEnd {
			continue
		}
		if bl, ok := get[Ballot](ctx.st, keyBallot(pid, p.Owner)); ok && bl.TxHash == pb.TxHash {
			ctx.st.delete(keyBallot(pid, p.Owner))
			ctx.emit("ballot.withdrawn", "proposal", s, "owner", p.Owner, "proxy", id)
		}
	}
	ctx.emit("proxy.ended", "id", id, "owner", p.Owner, "status", status)
}

// execProxyRevoke ends an appointment: the owner's member, the proxy or
// an admin may.
func execProxyRevoke(ctx *Context, b *tx.ProxyRevoke) error {
	p, ok := getProxy(ctx.st, b.ID)
	if !ok {
		return reject(CodeProxyNotFound, "no proxy appointment %d", b.ID)
	}
	if p.Status != ProxyActive && p.Status != ProxyPending {
		return reject(CodeProxyEnded, "proxy appointment %d is %s", p.ID, p.Status)
	}
	if !speaksFor(ctx.st, ctx.Signer, p.Owner) && (p.Proxy == "" || ctx.Signer != p.Proxy) && !hasRole(ctx.st, ctx.Signer, tx.RoleAdmin) {
		return reject(CodeUnauthorized, "only owner %s, the proxy or an admin may end appointment %d", p.Owner, p.ID)
	}
	endProxy(ctx, p, ProxyRevoked)
	return nil
}

// execProxyAccept makes the signer the proxy of an appointment made with
// an agent code, when the proof shows the code (tx.VerifyAgentProof). A
// signer who is not a member becomes an agent. Wrong codes are counted
// and bounded per block as binding codes are; during CheckTx the proof is
// not checked, so that every wrong try is settled in a block.
func execProxyAccept(ctx *Context, b *tx.ProxyAccept) error {
	p, ok := getProxy(ctx.st, b.ID)
	switch {
	case !ok || !p.Agent:
		return reject(CodeProxyNotFound, "no appointment %d with an agent code", b.ID)
	case p.Status != ProxyPending || !p.InForce(ctx.st, ctx.Time):
		return reject(CodeProxyEnded, "appointment %d is %s or no longer in force", p.ID, p.Status)
	case speaksFor(ctx.st, ctx.Signer, p.Owner):
		return reject(CodeProxyNotEligible, "signer speaks for owner %s already", p.Owner)
	case ctx.Checking:
		return nil
	}
	if !tx.VerifyAgentProof(p.Code, ctx.ChainID, p.ID, ctx.Signer, b.Proof) {
		if p.FailHeight == ctx.Height && p.FailsInBlock >= ctx.Params.BindTriesPerBlock {
			return reject(CodeAgentCodeWrong, "appointment %d's code already had %d wrong tries in this block", p.ID, p.FailsInBlock)
		}
		if p.FailHeight != ctx.Height {
			p.FailHeight, p.FailsInBlock = ctx.Height, 0
		}
		p.Failures++
		p.FailsInBlock++
		ctx.keepOnReject(keyProxy(p.ID), p)
		ctx.emit("proxy.code_failed", "id", strconv.FormatUint(p.ID, 10), "failures", strconv.FormatInt(p.Failures, 10))
		return reject(CodeAgentCodeWrong, "wrong agent code for appointment %d (%d wrong tries so far)", p.ID, p.Failures)
	}
	if n := proxiesHeld(ctx.st, ctx.Signer, ctx.Time, p.Owner); n >= ctx.Params.MaxProxies {
		return reject(CodeProxyLimit, "signer already represents %d owners, the most one person may", n)
	}
	p.Proxy, p.Status, p.AcceptedHeight, p.Code = ctx.Signer, ProxyActive, ctx.Height, tx.BindVerifier{}
	put(ctx.st, keyProxy(p.ID), p)
	ctx.st.set(keyProxyBy(ctx.Signer, p.ID), marker)
	if !has(ctx.st, keyMember(ctx.Signer)) {
		ctx.st.set(keyAgent(ctx.Signer), marker)
	}
	ctx.emit("proxy.accepted", "id", strconv.FormatUint(p.ID, 10), "owner", p.Owner, "proxy", string(ctx.Signer),
		"wrong_tries", strconv.FormatInt(p.Failures, 10))
	return nil
}

// castProxyBallot records a proxy's ballot for b.Owner on decision d. An
// owner's own ballot is never replaced by a proxy's.
func castProxyBallot(ctx *Context, d Proposal, b *tx.VoteCast) error {
	if d.Kind != KindDecision {
		return reject(CodeNotRepresented, "proxies vote only in owners' decisions")
	}
	var p Appointment
	found := false
	for _, s := range suffixes(ctx.st, prefixProxiesBy(ctx.Signer)) {
		id, _ := strconv.ParseUint(s, 10, 64)
		if q, ok := getProxy(ctx.st, id); ok && q.Owner == b.Owner && q.Status == ProxyActive && q.covers(d) && q.InForce(ctx.st, ctx.Time) {
			p, found = q, true
		}
	}
	if !found {
		return reject(CodeNotRepresented, "signer does not represent owner %s in decision %d", b.Owner, d.ID)
	}
	if !ownerInElectorate(ctx.st, b.Owner, d.Buildings) {
		return reject(CodeNotInElectorate, "owner %s has no unit in the electorate of %d", b.Owner, d.ID)
	}
	bl := Ballot{Owner: b.Owner, Choice: b.Choices[0], Member: ctx.Signer, TxHash: ctx.TxHash, Height: ctx.Height, Channel: ChannelProxy}
	// A proxy's ballot that would not count is refused, so the proxy
	// learns that the owner voted in person.
	if !putBallot(ctx, d.ID, bl) {
		return reject(CodeOwnerVoted, "owner %s voted in person on %d", b.Owner, d.ID)
	}
	put(ctx.st, keyProxyBallot(p.ID, d.ID), proxyBallot{TxHash: ctx.TxHash})
	p.Votes++
	p.LastProposal, p.LastChoice, p.LastHeight = d.ID, bl.Choice, ctx.Height
	put(ctx.st, keyProxy(p.ID), p)
	ctx.emit("vote.cast", "proposal", strconv.FormatUint(d.ID, 10), "owner", b.Owner, "proxy", strconv.FormatUint(p.ID, 10), "channel", ChannelProxy)
	return nil
}
