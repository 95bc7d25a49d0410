package abci

import (
	"context"
	"encoding/hex"
	"strconv"
	"strings"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci/tx"
)

// Query answers read requests from committed state only, as JSON. Paths:
//
//	chain                 chain id, community, height, app hash
//	params                governance parameters
//	units                 every unit
//	units/UNIT            one unit, its bound members and binding codes
//	owners/LABEL          an owner's units and total area
//	members/ADDR          an address's nonce, roles and binding
//	roles                 addresses holding each role
//	validators            CometBFT validators and pending validator.update approvals
//	proposals...          owners' decisions and polls (see queryGovernance)
//	items..., bookings/ID, members/ADDR/items, members/ADDR/bookings
//	                      shared items and bookings (see querySharing)
//	announcements..., proposals/ID/comments, repairs..., disputes..., points...
//	                      community life (see queryCommunity)
//	accounts...           the community's accounts and entries (see queryAccounts)
//	proxies..., proxy/ID  owners' proxy appointments (see queryProxies)
//	blocks/H/writes       the write set of block H, one that closed a decision (BlockWrites), to recompute its app hash
//
// CometBFT calls it for the abci_query RPC. Every answer comes from one
// committed height, the one it reports, however many blocks commit while
// it is built: it reads a store snapshot through the app's read cache
// (speed.go), which gives it a record, or an accounts answer's line, from
// memory only when that is the record's value, or the line, at the
// snapshot's height. It holds no lock of the app's
// while it reads, only the read cache's for each lookup, which a Commit
// holds only to drop and then remember the block's keys, never while
// SQLite commits: a long query delays no block, and a big block's commit
// stalls no query.
func (a *App) Query(_ context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	snap, serr := a.store.Snapshot()
	if serr != nil {
		panic("abci: query snapshot: " + serr.Error())
	}
	defer snap.Close()
	b := snap.Block()
	height, appHash, blockTime := b.Height, b.AppHash, b.Time
	r := storeReader{snap}
	// Chain info and params are fixed at genesis, so they belong to every
	// height; the app knows them from InitChain on, before the first
	// commit puts them in the store.
	a.mu.Lock()
	chain, params := a.chain, a.params
	a.mu.Unlock()

	path := strings.Trim(req.Path, "/")
	parts := strings.Split(path, "/")
	var v any
	var err *Error
	switch {
	case path == "chain":
		v = struct {
			ChainInfo
			Height    int64  `json:"height"`
			AppHash   string `json:"app_hash"`
			BlockTime int64  `json:"block_time"`
		}{chain, height, hex.EncodeToString(appHash), blockTime}
	case path == "params":
		v = params
	case path == "units":
		v = queryUnits(r)
	case len(parts) == 2 && parts[0] == "units":
		v, err = queryUnit(r, parts[1])
	case len(parts) == 2 && parts[0] == "owners":
		v, err = queryOwner(r, parts[1])
	case len(parts) == 2 && parts[0] == "members":
		v, err = queryMember(r, tx.Address(parts[1]))
	case path == "roles":
		v = queryRoles(r)
	case path == "validators":
		v = queryValidators(r)
	case parts[0] == "items" || parts[0] == "bookings" || len(parts) == 3 && parts[0] == "members" && (parts[2] == "items" || parts[2] == "bookings"):
		v, err = querySharing(r, parts)
	case parts[0] == "announcements" || parts[0] == "repairs" || parts[0] == "disputes" || parts[0] == "points" ||
		len(parts) == 3 && parts[0] == "proposals" && parts[2] == "comments":
		v, err = queryCommunity(r, parts, blockTime)
	case parts[0] == "proposals" || parts[0] == "ballots" || parts[0] == "meetings":
		v, err = queryGovernance(r, parts, blockTime)
	case parts[0] == "accounts":
		v, err = queryAccounts(r, parts)
	case parts[0] == "proxies" || parts[0] == "proxy":
		v, err = queryProxies(r, parts, blockTime)
	case len(parts) == 3 && parts[0] == "blocks" && parts[2] == "writes":
		v, err = queryBlockWrites(snap, parts[1])
	default:
		err = reject(CodeQueryBad, "unknown query path %q", req.Path)
	}
	if err != nil {
		return &abcitypes.ResponseQuery{Code: uint32(err.Code), Log: err.Msg, Codespace: "linli", Height: height}, nil
	}
	value, raw := v.(rawJSON)
	if !raw {
		value = tx.Canonical(v)
	}
	return &abcitypes.ResponseQuery{Value: value, Height: height}, nil
}

func queryUnits(r reader) []Unit {
	units := []Unit{}
	r.scan("unit/", func(k string, b []byte) bool {
		units = append(units, decode[Unit](k, b))
		return true
	})
	return units
}

// BindCodeStatus is what anyone may know about a unit's binding code: its
// verifier (the salt a client needs to make a proof), its expiry and how
// many wrong codes were tried.
type BindCodeStatus struct {
	Relation string `json:"relation"`
	tx.BindVerifier
	ExpiresAt int64 `json:"expires_at"`
	Failures  int64 `json:"failures"`
}

func queryUnit(r reader, unit string) (any, *Error) {
	u, ok := get[Unit](r, keyUnit(unit))
	if !ok {
		return nil, reject(CodeQueryNotFound, "unit %s is not registered", unit)
	}
	members := []Member{}
	for _, a := range suffixes(r, prefixUnitMembers(unit)) {
		m, _ := get[Member](r, keyMember(tx.Address(a)))
		members = append(members, m)
	}
	codes := []BindCodeStatus{}
	for _, rel := range []string{tx.RelationOwner, tx.RelationTenant} {
		if c, ok := get[BindCode](r, keyBindCode(unit, rel)); ok {
			codes = append(codes, BindCodeStatus{rel, c.BindVerifier, c.ExpiresAt, c.Failures})
		}
	}
	return struct {
		Unit
		Members   []Member         `json:"members"`
		BindCodes []BindCodeStatus `json:"bind_codes"`
	}{u, members, codes}, nil
}

// OwnerView is an owner with the units counted for them.
type OwnerView struct {
	Owner string   `json:"owner"`
	Units []string `json:"units"`
	// Area is the sum of the owner's unit areas in 0.01 m².
	Area int64 `json:"area"`
}

func queryOwner(r reader, label string) (any, *Error) {
	units := suffixes(r, prefixOwnerUnits(label))
	if len(units) == 0 {
		return nil, reject(CodeQueryNotFound, "owner %s has no units", label)
	}
	v := OwnerView{Owner: label, Units: units}
	for _, u := range units {
		unit, _ := get[Unit](r, keyUnit(u))
		v.Area += unit.Area
	}
	return v, nil
}

// MemberView is everything the chain knows about an address.
type MemberView struct {
	Address  tx.Address `json:"address"`
	Nonce    uint64     `json:"nonce"`
	Roles    []string   `json:"roles"`
	Unit     string     `json:"unit"`
	Relation string     `json:"relation"`
	Owner    string     `json:"owner"`
	// Agent is set for an outsider who accepted an agent code: it may
	// only vote for the owners it represents (proxies/by/ADDR).
	Agent bool `json:"agent"`
}

func queryMember(r reader, a tx.Address) (any, *Error) {
	if a.Validate() != nil {
		return nil, reject(CodeQueryBad, "%q is not an address", a)
	}
	acct, hasAcct := get[Account](r, keyAccount(a))
	v := MemberView{Address: a, Nonce: acct.Nonce, Roles: []string{}}
	for _, role := range []string{tx.RoleAdmin, tx.RoleTreasurer, tx.RoleMediator, tx.RoleScrutineer} {
		if hasRole(r, a, role) {
			v.Roles = append(v.Roles, role)
		}
	}
	m, bound := get[Member](r, keyMember(a))
	if bound {
		u, _ := get[Unit](r, keyUnit(m.Unit))
		v.Unit, v.Relation, v.Owner = m.Unit, m.Relation, u.Owner
	}
	v.Agent = has(r, keyAgent(a))
	if !hasAcct && !bound && len(v.Roles) == 0 && !v.Agent {
		return nil, reject(CodeQueryNotFound, "address %s is unknown", a)
	}
	return v, nil
}

func queryRoles(r reader) map[string][]tx.Address {
	out := map[string][]tx.Address{}
	for _, role := range []string{tx.RoleAdmin, tx.RoleTreasurer, tx.RoleMediator, tx.RoleScrutineer} {
		as := []tx.Address{}
		for _, s := range suffixes(r, prefixRole(role)) {
			as = append(as, tx.Address(s))
		}
		out[role] = as
	}
	return out
}

func queryBlockWrites(snap Snapshot, h string) (any, *Error) {
	height, err := strconv.ParseInt(h, 10, 64)
	if err != nil || height < 1 {
		return nil, reject(CodeQueryBad, "%q is not a block height", h)
	}
	ws, ok, serr := snap.BlockWrites(height)
	if serr != nil {
		panic("abci: query block writes: " + serr.Error())
	}
	if !ok {
		return nil, reject(CodeQueryNotFound, "block %d kept no write set (only a block that closed a decision keeps one), or is not committed here", height)
	}
	return BlockWrites{Height: height, Writes: ws}, nil
}
