package abci

import (
	"encoding/json"
	"fmt"

	"github.com/linli-community/linli/abci/tx"
)

// State keys. Every key is a readable path; labels cannot contain '/'
// (tx.ValidLabel), so prefixes never collide.
const (
	keyChain  = "chain/info"
	keyParams = "chain/params"
)

func keyAccount(a tx.Address) string           { return "acct/" + string(a) }
func keyRole(role string, a tx.Address) string { return "role/" + role + "/" + string(a) }
func prefixRole(role string) string            { return "role/" + role + "/" }
func keyUnit(u string) string                  { return "unit/" + u }
func keyOwnerUnit(owner, u string) string      { return "ownerunit/" + owner + "/" + u }
func prefixOwnerUnits(owner string) string     { return "ownerunit/" + owner + "/" }
func keyBuildingUnit(b, u string) string       { return "bldunit/" + b + "/" + u }
func keyMember(a tx.Address) string            { return "member/" + string(a) }
func keyUnitMember(u string, a tx.Address) string {
	return "unitmember/" + u + "/" + string(a)
}
func prefixUnitMembers(u string) string     { return "unitmember/" + u + "/" }
func keyBindCode(u, relation string) string { return "bindcode/" + u + "/" + relation }

// ChainInfo is the chain's identity, fixed at genesis.
type ChainInfo struct {
	ChainID   string `json:"chain_id"`
	Community string `json:"community"`
}

// Params are the chain's governance parameters, set at genesis.
type Params struct {
	// BindTriesPerBlock is how many wrong binding codes per unit and
	// relation one block records; a further wrong code in the same block
	// is refused unrecorded (CodeBindTriesBusy). A right code is never
	// refused, however many wrong ones came before it: codes do not lock.
	BindTriesPerBlock int64 `json:"bind_tries_per_block"`
	// BindCodeMaxTTL is the longest a binding code may stay valid, in
	// seconds.
	BindCodeMaxTTL int64 `json:"bind_code_max_ttl"`

	// MinNotice is the shortest time, in seconds, between an owners'
	// decision being noticed and its voting opening.
	MinNotice int64 `json:"min_notice"`
	// MinVoting and MaxVoting bound how long voting on a decision lasts,
	// in seconds; MaxVoting bounds polls too.
	MinVoting int64 `json:"min_voting"`
	MaxVoting int64 `json:"max_voting"`

	// ParkingOwnerPriority puts owners first for parking spaces (Civil
	// Code §276): a tenant's request for a parking space cannot be
	// accepted while an owner's pending request overlapping it waits for
	// an answer.
	ParkingOwnerPriority bool `json:"parking_owner_priority"`
	// PointsVote, PointsShare, PointsBookingDone and PointsRepairConfirmed
	// are the participation points (0-1000 each) awarded for a vote, to an
	// item's poster when a booking of it is returned, to the borrower of a
	// returned booking, and to the filer who confirms a repair. Points are
	// never transferable and never voting weight.
	PointsVote            int64 `json:"points_vote"`
	PointsShare           int64 `json:"points_share"`
	PointsBookingDone     int64 `json:"points_booking_done"`
	PointsRepairConfirmed int64 `json:"points_repair_confirmed"`

	// AccountApprovals is how many distinct admins, never the entry's
	// recorder, must approve a guarded ledger entry before it moves a
	// balance (1-20): an expense or transfer out of an account above the
	// account's threshold, a reversal taking money out of an account above
	// its threshold, and an emergency expense from the maintenance fund.
	AccountApprovals int64 `json:"account_approvals"`
	// AccountThreshold is the approval threshold, in fen, that the standard
	// accounts start with at genesis, except the maintenance fund, which
	// starts at 0 (every expense from it is approved). Admins change an
	// account's threshold with account.threshold.
	AccountThreshold int64 `json:"account_threshold"`

	// MaxProxies is how many owners one person may represent as proxy at
	// a time (1-100), so that votes cannot be gathered in a few hands.
	// Owners, tenants and agents from outside count alike.
	MaxProxies int64 `json:"max_proxies"`
}

// DefaultParams returns the parameters a new chain starts with.
func DefaultParams() Params {
	const day = 24 * 3600
	return Params{
		BindTriesPerBlock: 3, BindCodeMaxTTL: 30 * day,
		MinNotice: 15 * day, MinVoting: 1 * day, MaxVoting: 60 * day,
		ParkingOwnerPriority: true,
		PointsVote:           1, PointsShare: 2, PointsBookingDone: 1, PointsRepairConfirmed: 1,
		AccountApprovals: 2, AccountThreshold: 500_000,
		MaxProxies: 5,
	}
}

// Validate checks that params are usable.
func (p Params) Validate() error {
	switch {
	case p.BindTriesPerBlock < 1 || p.BindTriesPerBlock > 100:
		return fmt.Errorf("bind_tries_per_block must be 1-100, got %d", p.BindTriesPerBlock)
	case p.BindCodeMaxTTL < 60 || p.BindCodeMaxTTL > 366*24*3600:
		return fmt.Errorf("bind_code_max_ttl must be 60 s to a year, got %d", p.BindCodeMaxTTL)
	case p.MinNotice < 0 || p.MinVoting < 1 || p.MaxVoting < p.MinVoting || p.MaxVoting > 366*24*3600:
		return fmt.Errorf("need 0 <= min_notice, 1 <= min_voting <= max_voting <= a year; got %d, %d, %d", p.MinNotice, p.MinVoting, p.MaxVoting)
	case !validPoints(p.PointsVote) || !validPoints(p.PointsShare) || !validPoints(p.PointsBookingDone) || !validPoints(p.PointsRepairConfirmed):
		return fmt.Errorf("points_vote, points_share, points_booking_done and points_repair_confirmed must be 0-1000")
	case p.AccountApprovals < 1 || p.AccountApprovals > 20:
		return fmt.Errorf("account_approvals must be 1-20, got %d", p.AccountApprovals)
	case p.AccountThreshold < 0 || p.AccountThreshold > tx.MaxAmount:
		return fmt.Errorf("account_threshold must be 0-%d fen, got %d", int64(tx.MaxAmount), p.AccountThreshold)
	case p.MaxProxies < 1 || p.MaxProxies > 100:
		return fmt.Errorf("max_proxies must be 1-100, got %d", p.MaxProxies)
	}
	return nil
}

// Account is the per-signer record: its last used nonce.
type Account struct {
	Nonce uint64 `json:"nonce"`
}

// Unit is a registered unit (房屋).
type Unit struct {
	Unit     string `json:"unit"`
	Building string `json:"building"`
	Area     int64  `json:"area"`
	Owner    string `json:"owner"`
	// Height is the block that last registered or changed the unit.
	Height int64 `json:"height"`
}

// Member binds an address to a unit as its owner's member or as tenant.
// The owner a member speaks for follows from the unit.
type Member struct {
	Address  tx.Address `json:"address"`
	Unit     string     `json:"unit"`
	Relation string     `json:"relation"`
	Height   int64      `json:"height"`
}

// BindCode is the active one-time binding code of a unit and relation.
type BindCode struct {
	Unit     string `json:"unit"`
	Relation string `json:"relation"`
	tx.BindVerifier
	ExpiresAt int64 `json:"expires_at"`
	// Failures counts the wrong codes tried since the code was issued,
	// for the admins to see; FailHeight and FailsInBlock count those of
	// the last block that had one, to bound them per block.
	Failures     int64      `json:"failures"`
	FailHeight   int64      `json:"fail_height"`
	FailsInBlock int64      `json:"fails_in_block"`
	IssuedBy     tx.Address `json:"issued_by"`
	Height       int64      `json:"height"`
}

// get decodes the JSON value at key into a T.
func get[T any](r reader, key string) (T, bool) {
	b, ok := r.get(key)
	if !ok {
		var zero T
		return zero, false
	}
	return decode[T](key, b), true
}

// decode decodes a stored value. Stored values are written by this
// package, so a failure means corrupted state and panics.
func decode[T any](key string, b []byte) T {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		panic(fmt.Sprintf("abci: corrupt state at %q: %v", key, err))
	}
	return v
}

// put stores v at key in canonical JSON.
func put(c *cache, key string, v any) { c.set(key, tx.Canonical(v)) }

// has reports whether key is present.
func has(r reader, key string) bool {
	_, ok := r.get(key)
	return ok
}

// marker is the value of index keys, whose information is in the key.
var marker = []byte("{}")

func hasRole(r reader, a tx.Address, role string) bool { return has(r, keyRole(role, a)) }

func countPrefix(r reader, prefix string) int {
	n := 0
	r.scan(prefix, func(string, []byte) bool { n++; return true })
	return n
}

// suffixes returns the last path segment of every key under prefix.
func suffixes(r reader, prefix string) []string {
	var out []string
	r.scan(prefix, func(k string, _ []byte) bool {
		out = append(out, k[len(prefix):])
		return true
	})
	return out
}
