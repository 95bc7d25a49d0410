package abci_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// scanHash is the SHA-256 of a scanned 委托书 in the tests.
var scanHash = hex.EncodeToString(func() []byte { h := sha256.Sum256([]byte("委托书.pdf")); return h[:] }())

// decisionWindow opens decision 1 (or the next) with voting from 16 to 20
// days on and returns when voting starts and ends.
func openDecision(c *testChain, title string) (start, end time.Time) {
	c.tb.Helper()
	now := c.time
	start, end = now.Add(16*day), now.Add(20*day)
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: title, Class: tx.ClassOrdinary, NoticeAt: now.Unix(), VoteStart: start.Unix(), VoteEnd: end.Unix()}))
	return start, end
}

func appointAddr(c *testChain, who string, proxy tx.Address, proposal uint64, until int64) []byte {
	return c.sign(key(who), &tx.ProxyAppoint{Proxy: tx.ProxyRef{Address: proxy}, Proposal: proposal, Until: until})
}

func proxyVote(c *testChain, who, owner string, id uint64, choice int) []byte {
	return c.sign(key(who), &tx.VoteCast{Proposal: id, Choices: []int{choice}, Owner: owner})
}

// agentSalt is the salt of a test agent code; agentVerifier its verifier.
func agentSalt(code string) []byte {
	s := sha256.Sum256([]byte("agent/" + code))
	return s[:tx.BindCodeSaltSize]
}

func agentVerifier(code string) *tx.BindVerifier {
	salt := agentSalt(code)
	return &tx.BindVerifier{Salt: hex.EncodeToString(salt), PublicKey: hex.EncodeToString(codeKey(code, salt).Public().(ed25519.PublicKey))}
}

// accept signs who's acceptance of appointment id with code, proved as a
// client proves it.
func accept(c *testChain, who string, id uint64, code string) []byte {
	salt := agentSalt(code)
	sig := ed25519.Sign(codeKey(code, salt), tx.AgentProofMessage(testChainID, id, hex.EncodeToString(salt), addr(key(who))))
	return c.sign(key(who), &tx.ProxyAccept{ID: id, Proof: hex.EncodeToString(sig)})
}

func (c *testChain) ballot(id uint64, owner string) (abci.Ballot, bool) {
	c.tb.Helper()
	var b abci.Ballot
	code := c.query(fmt.Sprintf("ballots/%d/%s", id, owner), &b)
	return b, code == abci.CodeOK
}

func (c *testChain) proxy(id uint64) abci.AppointmentView {
	c.tb.Helper()
	var p abci.AppointmentView
	if code := c.query(fmt.Sprintf("proxy/%d", id), &p); code != 0 {
		c.tb.Fatalf("proxy/%d: code %v", id, code)
	}
	return p
}

// refused commits t in its own block, wants code and wants every state
// but the signer's nonce as it was.
func (c *testChain) refused(name string, t []byte, want abci.Code) {
	c.tb.Helper()
	before := abci.StateExceptNonces(c.app)
	res := c.block(t)[0]
	if got := abci.Code(res.Code); got != want {
		c.tb.Errorf("%s: code %v (%s), want %v", name, got, res.Log, want)
	}
	if after := abci.StateExceptNonces(c.app); !maps.Equal(before, after) {
		for k, v := range after {
			if before[k] != v {
				c.tb.Errorf("%s: state %s changed to %s", name, k, v)
			}
		}
		for k := range before {
			if _, ok := after[k]; !ok {
				c.tb.Errorf("%s: state %s deleted", name, k)
			}
		}
	}
}

// TestProxyVotesForTwoOwners: w1 (O-1's member) represents O-2 for one
// decision and the developer until a date, votes for each separately and
// for O-1 itself; the tally and the published rows count all three.
func TestProxyVotesForTwoOwners(t *testing.T) {
	c := community(t)
	start, end := openDecision(c, "续聘物业")
	w1 := addr(key("w1"))
	c.mustOK(appointAddr(c, "o2", w1, 1, 0), appointAddr(c, "dev", w1, 0, end.Add(day).Unix()))
	var held []abci.AppointmentView
	c.query("proxies/by/"+string(w1), &held)
	if len(held) != 2 || held[0].Owner != "O-2" || held[1].Owner != "developer" || !held[0].InForce || held[0].Status != abci.ProxyActive {
		t.Fatalf("proxies/by/w1 = %+v, want O-2's and the developer's appointments in force", held)
	}
	c.at(start)
	c.mustOK(vote(c, "w1", 1, tx.DecisionOptionYes), proxyVote(c, "w1", "O-2", 1, tx.DecisionOptionNo), proxyVote(c, "w1", "developer", 1, tx.DecisionOptionYes))
	for owner, want := range map[string]int{"O-1": tx.DecisionOptionYes, "O-2": tx.DecisionOptionNo, "developer": tx.DecisionOptionYes} {
		b, ok := c.ballot(1, owner)
		if !ok || b.Choice != want || b.Member != w1 {
			t.Errorf("ballot of %s = %+v, want w1's choice %d", owner, b, want)
		}
	}
	if p := c.proxy(1); p.Votes != 1 || p.LastProposal != 1 || p.LastChoice != tx.DecisionOptionNo {
		t.Errorf("appointment 1 = %+v, want one vote, 反对 on 1", p)
	}
	// A proxy votes for the owners they represent, no one else.
	c.refused("ProxyForOwnerNotRepresented", proxyVote(c, "w1", "O-3", 1, 0), abci.CodeNotRepresented)
	c.refused("TenantForOwnerNotRepresented", proxyVote(c, "tenant", "O-2", 1, 0), abci.CodeNotRepresented)

	c.at(end)
	c.mustOK()
	var result struct {
		abci.Result
		Rows []abci.ResultRow
	}
	c.query("proposals/1/result", &result)
	// O-1 190 m² yes, O-2 80 m² no, developer 150 m² yes; O-3 did not vote.
	want := abci.Tally{ATot: 50000, NTot: 4, AP: 42000, NP: 3, AY: 34000, NY: 2}
	if *result.Tally != want || result.Outcome != abci.OutcomePassed {
		t.Errorf("tally = %+v %s, want %+v passed", *result.Tally, result.Outcome, want)
	}
	for _, row := range result.Rows {
		wantChoice := map[string]string{"O-1": "同意", "O-2": "反对", "O-3": "", "developer": "同意"}[row.Owner]
		wantChannel := map[string]string{"O-1": abci.ChannelChat, "O-2": abci.ChannelProxy, "O-3": "", "developer": abci.ChannelProxy}[row.Owner]
		if row.Choice != wantChoice || row.Channel != wantChannel {
			t.Errorf("row %+v: choice %q via %q, want %q via %q", row, row.Choice, row.Channel, wantChoice, wantChannel)
		}
	}
	// The decision closed: the proposal-scoped appointment is no longer
	// in force, the dated one still is.
	if p1, p2 := c.proxy(1), c.proxy(2); p1.InForce || !p2.InForce {
		t.Errorf("after the close: appointment 1 in force %v, 2 in force %v; want false, true", p1.InForce, p2.InForce)
	}
}

// TestOwnerOverridesProxy: the owner's own ballot replaces the proxy's,
// and a proxy's never replaces the owner's, in either order.
func TestOwnerOverridesProxy(t *testing.T) {
	c := community(t)
	start, _ := openDecision(c, "续聘物业")
	w1 := addr(key("w1"))
	c.mustOK(appointAddr(c, "o2", w1, 1, 0), appointAddr(c, "o3", w1, 1, 0))
	c.at(start)
	// ProxyFirst: the proxy votes, then the owner; the owner's counts.
	c.mustOK(proxyVote(c, "w1", "O-2", 1, tx.DecisionOptionYes))
	c.mustOK(vote(c, "o2", 1, tx.DecisionOptionNo))
	if b, _ := c.ballot(1, "O-2"); b.Member != addr(key("o2")) || b.Choice != tx.DecisionOptionNo {
		t.Errorf("O-2 after the owner voted = %+v, want o2's 反对", b)
	}
	c.refused("ProxyAfterOwner", proxyVote(c, "w1", "O-2", 1, tx.DecisionOptionYes), abci.CodeOwnerVoted)
	// Both in one block, the proxy's last: the owner's still counts.
	res := c.block(vote(c, "o3", 1, tx.DecisionOptionAbs), proxyVote(c, "w1", "O-3", 1, tx.DecisionOptionYes))
	if abci.Code(res[0].Code) != abci.CodeOK || abci.Code(res[1].Code) != abci.CodeOwnerVoted {
		t.Errorf("owner then proxy in one block: codes %d, %d; want ok, %v", res[0].Code, res[1].Code, abci.CodeOwnerVoted)
	}
	if b, _ := c.ballot(1, "O-3"); b.Member != addr(key("o3")) || b.Choice != tx.DecisionOptionAbs {
		t.Errorf("O-3 = %+v, want o3's 弃权", b)
	}
	// Revoking after the owner voted leaves the owner's ballot alone.
	c.mustOK(c.sign(key("o2"), &tx.ProxyRevoke{ID: 1}))
	if b, ok := c.ballot(1, "O-2"); !ok || b.Member != addr(key("o2")) {
		t.Errorf("O-2 after revoking its proxy = %+v (%v), want o2's ballot kept", b, ok)
	}
}

// TestProxyRevocationAndExpiry: revoking withdraws the proxy's ballot
// and ends their vote; an appointment until a date ends at that block
// time; one for a decision does not reach another decision.
func TestProxyRevocationAndExpiry(t *testing.T) {
	c := community(t)
	start, _ := openDecision(c, "续聘物业")
	openDecision(c, "加装充电桩")
	w1, tenant := addr(key("w1")), addr(key("tenant"))
	until := start.Add(2 * day)
	c.mustOK(appointAddr(c, "o2", w1, 1, 0), appointAddr(c, "o3", tenant, 0, until.Unix()))
	c.at(start)
	c.mustOK(proxyVote(c, "w1", "O-2", 1, tx.DecisionOptionYes), proxyVote(c, "tenant", "O-3", 1, tx.DecisionOptionYes))
	c.refused("ProposalScopedElsewhere", proxyVote(c, "w1", "O-2", 2, 0), abci.CodeNotRepresented)
	c.mustOK(proxyVote(c, "tenant", "O-3", 2, tx.DecisionOptionNo))

	// Only the owner's member, the proxy or an admin may revoke.
	c.refused("RevokeByStranger", c.sign(key("w2"), &tx.ProxyRevoke{ID: 1}), abci.CodeUnauthorized)
	c.refused("RevokeByTenantOfOtherUnit", c.sign(key("tenant"), &tx.ProxyRevoke{ID: 1}), abci.CodeUnauthorized)
	c.refused("RevokeUnknown", c.sign(key("o2"), &tx.ProxyRevoke{ID: 9}), abci.CodeProxyNotFound)
	res := c.block(c.sign(key("o2"), &tx.ProxyRevoke{ID: 1}))
	if res[0].Code != 0 {
		t.Fatalf("revoke: code %d %s", res[0].Code, res[0].Log)
	}
	if _, ok := c.ballot(1, "O-2"); ok {
		t.Error("O-2's proxy ballot still counts after the owner revoked the proxy")
	}
	if !hasEvent(res[0].Events, "ballot.withdrawn") {
		t.Errorf("revoke events %v, want ballot.withdrawn", res[0].Events)
	}
	if p := c.proxy(1); p.Status != abci.ProxyRevoked || p.InForce || p.EndedBy != addr(key("o2")) {
		t.Errorf("appointment 1 = %+v, want revoked by o2", p)
	}
	var held []abci.AppointmentView
	if c.query("proxies/by/"+string(w1), &held); len(held) != 0 {
		t.Errorf("proxies/by/w1 after the revocation = %+v, want none", held)
	}
	c.refused("VoteAfterRevoke", proxyVote(c, "w1", "O-2", 1, 0), abci.CodeNotRepresented)
	c.refused("RevokeTwice", c.sign(key("o2"), &tx.ProxyRevoke{ID: 1}), abci.CodeProxyEnded)

	// Until a date: in force to the second before, ended at it; the
	// ballots cast before stay.
	c.at(until.Add(-time.Second))
	c.mustOK(proxyVote(c, "tenant", "O-3", 1, tx.DecisionOptionAbs))
	c.at(until)
	c.refused("VoteAtUntil", proxyVote(c, "tenant", "O-3", 1, 0), abci.CodeNotRepresented)
	if b, ok := c.ballot(1, "O-3"); !ok || b.Choice != tx.DecisionOptionAbs || b.Member != tenant {
		t.Errorf("O-3 = %+v, want the tenant's 弃权 kept after expiry", b)
	}
	if c.proxy(2).InForce {
		t.Error("appointment 2 is in force after its date")
	}
	// The proxy may step down; an ended appointment is then refused.
	c.mustOK(appointAddr(c, "o3", tenant, 1, 0))
	c.mustOK(c.sign(key("tenant"), &tx.ProxyRevoke{ID: 3}))
	if p := c.proxy(3); p.Status != abci.ProxyRevoked {
		t.Errorf("appointment 3 after the proxy stepped down = %+v", p)
	}
}

func hasEvent(evs []abcitypes.Event, typ string) bool {
	for _, e := range evs {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// TestProxyAppointRefusals: every refused appointment changes nothing.
func TestProxyAppointRefusals(t *testing.T) {
	c := community(t)
	start, end := openDecision(c, "续聘物业")
	w1 := addr(key("w1"))
	admin := func(b *tx.ProxyAppoint) []byte { return c.sign(c.admin, b) }
	tests := []struct {
		name string
		tx   []byte
		want abci.Code
	}{
		{"ErrNotBound", appointAddr(c, "stranger", w1, 1, 0), abci.CodeNotMember},
		{"ErrTenantAppoints", appointAddr(c, "tenant", w1, 1, 0), abci.CodeTenantCannotVote},
		{"ErrOwnerFieldByMember", c.sign(key("o2"), &tx.ProxyAppoint{Proxy: tx.ProxyRef{Address: w1}, Proposal: 1, Owner: "O-3", AuthorisationSHA256: scanHash}), abci.CodeUnauthorized},
		{"ErrAdminWithoutScan", admin(&tx.ProxyAppoint{Proxy: tx.ProxyRef{Address: w1}, Proposal: 1, Owner: "O-2"}), abci.CodeAuthorisationMissing},
		{"ErrAdminUnknownOwner", admin(&tx.ProxyAppoint{Proxy: tx.ProxyRef{Address: w1}, Proposal: 1, Owner: "O-9", AuthorisationSHA256: scanHash}), abci.CodeOwnerNotFound},
		{"ErrProxyNotAMember", appointAddr(c, "o2", addr(key("stranger")), 1, 0), abci.CodeProxyNotEligible},
		{"ErrProxySpeaksForTheOwner", appointAddr(c, "w1", addr(key("w2")), 1, 0), abci.CodeProxyNotEligible},
		{"ErrAppointSelf", appointAddr(c, "o2", addr(key("o2")), 1, 0), abci.CodeProxyNotEligible},
		{"ErrUnknownDecision", appointAddr(c, "o2", w1, 7, 0), abci.CodeProposalNotFound},
		{"ErrUntilInPast", appointAddr(c, "o2", w1, 0, c.time.Unix()), abci.CodeExpiryInPast},
	}
	for _, tt := range tests {
		c.refused(tt.name, tt.tx, tt.want)
	}
	// A decision for one building's owners: an owner outside it cannot
	// appoint for it.
	now := c.time
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "3栋电梯", Class: tx.ClassOrdinary, Buildings: []string{"3"}, NoticeAt: now.Unix(), VoteStart: now.Add(16 * day).Unix(), VoteEnd: now.Add(20 * day).Unix()}))
	c.refused("ErrOutsideElectorate", appointAddr(c, "o2", w1, 2, 0), abci.CodeNotInElectorate)
	c.at(end)
	c.mustOK()
	c.refused("ErrDecisionClosed", appointAddr(c, "o2", w1, 1, 0), abci.CodeVotingClosed)
	_ = start
	// An admin's appointment with the scan goes through and names it.
	c.mustOK(admin(&tx.ProxyAppoint{Proxy: tx.ProxyRef{Address: w1}, Until: end.Add(30 * day).Unix(), Owner: "O-2", AuthorisationSHA256: scanHash}))
	var list []abci.AppointmentView
	c.query("proxies/O-2", &list)
	if len(list) != 1 || list[0].AuthorisationSHA256 != scanHash || list[0].AppointedBy != addr(c.admin) {
		t.Errorf("proxies/O-2 = %+v, want the admin's appointment with the scan hash", list)
	}
}

// TestProxyLimit: one person represents at most MaxProxies owners at a
// time; a replaced, revoked or expired appointment frees a place, and a
// renewed appointment of the same owner does not count twice.
func TestProxyLimit(t *testing.T) {
	c := community(t)
	var specs []tx.UnitSpec
	for i := range 7 {
		specs = append(specs, unit(fmt.Sprintf("5-%d01", i+1), "5", 9000, fmt.Sprintf("O-5%d", i+1)))
	}
	c.mustOK(c.sign(c.admin, units(specs...)))
	w1 := addr(key("w1"))
	end := c.time.Add(60 * day).Unix()
	byAdmin := func(owner string, proxy tx.ProxyRef) []byte {
		return c.sign(c.admin, &tx.ProxyAppoint{Proxy: proxy, Until: end, Owner: owner, AuthorisationSHA256: scanHash})
	}
	for i := range 5 {
		c.mustOK(byAdmin(fmt.Sprintf("O-5%d", i+1), tx.ProxyRef{Address: w1}))
	}
	c.refused("ErrSixth", byAdmin("O-56", tx.ProxyRef{Address: w1}), abci.CodeProxyLimit)
	// Renewing O-51's appointment replaces it: still five.
	c.mustOK(byAdmin("O-51", tx.ProxyRef{Address: w1}))
	if p := c.proxy(1); p.Status != abci.ProxyReplaced {
		t.Errorf("O-51's first appointment = %s, want replaced", p.Status)
	}
	c.refused("ErrSixthAfterRenewal", byAdmin("O-56", tx.ProxyRef{Address: w1}), abci.CodeProxyLimit)
	// An outsider who already holds five is refused the sixth code too.
	c.mustOK(byAdmin("O-56", tx.ProxyRef{Agent: agentVerifier("1111222233334444")}))
	c.refused("ErrAcceptSixth", accept(c, "w1", 7, "1111222233334444"), abci.CodeProxyLimit)
	c.mustOK(c.sign(c.admin, &tx.ProxyRevoke{ID: 2}))
	c.mustOK(accept(c, "w1", 7, "1111222233334444"))
	var held []abci.AppointmentView
	c.query("proxies/by/"+string(w1), &held)
	inForce := 0
	for _, p := range held {
		if p.InForce {
			inForce++
		}
	}
	if inForce != 5 {
		t.Errorf("w1 holds %d appointments in force, want 5", inForce)
	}
}

// TestAgentIsRefusedEverythingElse: an outsider accepts an agent code,
// votes for that owner only, and every other tx is refused unchanged.
func TestAgentIsRefusedEverythingElse(t *testing.T) {
	c := community(t)
	start, end := openDecision(c, "续聘物业")
	const code = "5555666677778888"
	c.mustOK(c.sign(key("o2"), &tx.ProxyAppoint{Proxy: tx.ProxyRef{Agent: agentVerifier(code)}, Until: end.Unix()}))
	if p := c.proxy(1); p.Status != abci.ProxyPending || p.Code.PublicKey == "" || p.Proxy != "" {
		t.Fatalf("appointment with a code = %+v, want pending with its verifier", p)
	}
	// CheckTx does not judge the code; a wrong one is counted in a block.
	if got := c.check(accept(c, "son", 1, "5555666677778889")); got != abci.CodeOK {
		t.Errorf("CheckTx of a wrong code = %v, want ok (judged in the block)", got)
	}
	c.nonces[addr(key("son"))]--
	if got := c.code(accept(c, "son", 1, "5555666677778889")); got != abci.CodeAgentCodeWrong {
		t.Errorf("wrong code: %v, want %v", got, abci.CodeAgentCodeWrong)
	}
	if p := c.proxy(1); p.Failures != 1 || p.Status != abci.ProxyPending {
		t.Errorf("after a wrong code = %+v, want one failure, still pending", p)
	}
	c.refused("ErrOwnerAcceptsOwnCode", accept(c, "o2", 1, code), abci.CodeProxyNotEligible)
	c.mustOK(accept(c, "son", 1, code))
	son := addr(key("son"))
	if p := c.proxy(1); p.Status != abci.ProxyActive || p.Proxy != son || p.Code.PublicKey != "" {
		t.Errorf("accepted appointment = %+v, want active for son, code gone", p)
	}
	var m abci.MemberView
	if c.query("members/"+string(son), &m); !m.Agent || m.Unit != "" {
		t.Errorf("members/son = %+v, want an agent without a unit", m)
	}
	c.refused("ErrCodeReused", accept(c, "daughter", 1, code), abci.CodeProxyEnded)

	c.at(start)
	c.mustOK(proxyVote(c, "son", "O-2", 1, tx.DecisionOptionYes))
	if b, _ := c.ballot(1, "O-2"); b.Member != son {
		t.Errorf("O-2's ballot = %+v, want the agent's", b)
	}
	salt := make([]byte, tx.BindCodeSaltSize)
	refusedBodies := []struct {
		name string
		body tx.Body
	}{
		{"OwnVote", &tx.VoteCast{Proposal: 1, Choices: []int{0}}},
		{"Comment", &tx.CommentPost{On: tx.CommentOnProposal, Target: 1, Text: "代业主留言"}},
		{"Item", &tx.ItemPost{Kind: tx.ItemTool, Title: "梯子", Terms: tx.Terms{}}},
		{"Entry", &tx.EntryRecord{Kind: tx.EntryIncome, Account: "mgmt", Amount: 100, Category: "物业费"}},
		{"Repair", &tx.RepairFile{Kind: tx.RepairKindRepair, Title: "漏水"}},
		{"Meeting", &tx.MeetingRequest{Topic: "临时大会"}},
		{"Bind", &tx.MemberBind{Unit: "1-101", Relation: tx.RelationOwner, Proof: hex.EncodeToString(make([]byte, ed25519.SignatureSize))}},
		{"Appoint", &tx.ProxyAppoint{Proxy: tx.ProxyRef{Address: addr(key("w1"))}, Proposal: 1}},
		{"BindCode", tx.NewBindCodeIssue("1-101", tx.RelationOwner, "1234567890123456", salt, c.time.Unix()+3600)},
	}
	c.refused("AgentForOtherOwner", proxyVote(c, "son", "O-3", 1, 0), abci.CodeNotRepresented)
	for _, r := range refusedBodies {
		c.refused("Agent"+r.name, c.sign(key("son"), r.body), abci.CodeAgentRefused)
	}
	// Even a role an admin grants by mistake gives an agent nothing.
	c.mustOK(c.sign(c.admin, &tx.RoleGrant{Address: son, Role: tx.RoleAdmin}))
	c.refused("AgentAsAdmin", c.sign(key("son"), &tx.AnnouncementPost{Title: "通知", Text: "代发"}), abci.CodeAgentRefused)
	// The owner's revocation ends the agent's vote and withdraws it.
	c.mustOK(c.sign(key("o2"), &tx.ProxyRevoke{ID: 1}))
	if _, ok := c.ballot(1, "O-2"); ok {
		t.Error("the agent's ballot still counts after the revocation")
	}
	c.refused("AgentAfterRevoke", proxyVote(c, "son", "O-2", 1, 0), abci.CodeNotRepresented)
}

// TestProxyDeterminismAcrossStores runs appointments, acceptances, votes
// by proxy and in person, revocations and expiry on two stores, and wants
// the same app hash at every height and the same answers.
func TestProxyDeterminismAcrossStores(t *testing.T) {
	a, b := community(t), community(t)
	step := func(at time.Time, txs ...[]byte) {
		t.Helper()
		if !at.IsZero() {
			a.at(at)
			b.at(at)
		}
		for _, x := range txs {
			a.check(x)
		}
		ra, rb := a.block(txs...), b.block(txs...)
		for i := range ra {
			if ra[i].Code != rb[i].Code || ra[i].Log != rb[i].Log || fmt.Sprint(ra[i].Events) != fmt.Sprint(rb[i].Events) {
				t.Fatalf("height %d tx %d: results differ: %v %q / %v %q", a.height, i, ra[i].Code, ra[i].Log, rb[i].Code, rb[i].Log)
			}
		}
		if ha, hb := a.appHash(), b.appHash(); !bytes.Equal(ha, hb) {
			t.Fatalf("height %d: app hash %x on one store, %x on the other", a.height, ha, hb)
		}
	}
	now := a.time
	start, end := now.Add(16*day), now.Add(20*day)
	step(time.Time{}, a.sign(a.admin, &tx.ProposalOpen{Title: "续聘物业", Class: tx.ClassOrdinary, NoticeAt: now.Unix(), VoteStart: start.Unix(), VoteEnd: end.Unix()}))
	step(time.Time{},
		appointAddr(a, "o2", addr(key("w1")), 1, 0),
		a.sign(key("o3"), &tx.ProxyAppoint{Proxy: tx.ProxyRef{Agent: agentVerifier("9999000011112222")}, Until: start.Add(day).Unix()}),
		a.sign(a.admin, &tx.ProxyAppoint{Proxy: tx.ProxyRef{Address: addr(key("tenant"))}, Proposal: 1, Owner: "developer", AuthorisationSHA256: scanHash}),
		a.sign(a.admin, &tx.ProxyAppoint{Proxy: tx.ProxyRef{Address: addr(key("tenant"))}, Proposal: 1, Owner: "O-2"}),
	)
	step(time.Time{}, accept(a, "son", 2, "9999000011112220"), accept(a, "son", 2, "9999000011112222"))
	step(start, proxyVote(a, "w1", "O-2", 1, 1), proxyVote(a, "son", "O-3", 1, 0), proxyVote(a, "tenant", "developer", 1, 2),
		a.sign(key("son"), &tx.CommentPost{On: tx.CommentOnProposal, Target: 1, Text: "x"}))
	step(time.Time{}, vote(a, "o2", 1, 0), proxyVote(a, "w1", "O-2", 1, 1), a.sign(key("dev"), &tx.ProxyRevoke{ID: 3}))
	step(start.Add(day), proxyVote(a, "son", "O-3", 1, 1))
	step(end)
	for _, path := range []string{"proxies", "proxies/O-3", "proposals/1/result", "ballots/1/O-2", "members/" + string(addr(key("son")))} {
		ra, _ := a.app.Query(context.Background(), queryReq(path))
		rb, _ := b.app.Query(context.Background(), queryReq(path))
		if !bytes.Equal(ra.Value, rb.Value) || ra.Code != 0 {
			t.Errorf("%s: code %d, answers differ", path, ra.Code)
		}
	}
	var res abci.Result
	a.query("proposals/1/result", &res)
	// O-2 voted in person (yes), O-3's agent voted yes before its date,
	// the developer's proxy was revoked with its ballot: 2 of 4 heads.
	if res.Tally.NP != 2 || res.Tally.NY != 2 {
		t.Errorf("tally = %+v, want 2 heads voting, both yes", *res.Tally)
	}
}

// TestNewAppointmentReplacesTheOld: an owner's next appointment ends the
// one before and withdraws its ballot on an open decision; the new proxy
// then votes.
func TestNewAppointmentReplacesTheOld(t *testing.T) {
	c := community(t)
	start, _ := openDecision(c, "续聘物业")
	c.mustOK(appointAddr(c, "o2", addr(key("w1")), 1, 0))
	c.at(start)
	c.mustOK(proxyVote(c, "w1", "O-2", 1, tx.DecisionOptionYes))
	res := c.block(appointAddr(c, "o2", addr(key("tenant")), 1, 0))
	if res[0].Code != 0 || !hasEvent(res[0].Events, "ballot.withdrawn") {
		t.Fatalf("second appointment: code %d, events %v; want ok with ballot.withdrawn", res[0].Code, res[0].Events)
	}
	if p := c.proxy(1); p.Status != abci.ProxyReplaced || p.InForce {
		t.Errorf("the first appointment = %+v, want replaced", p)
	}
	if _, ok := c.ballot(1, "O-2"); ok {
		t.Error("the replaced proxy's ballot still counts")
	}
	c.refused("OldProxyVotes", proxyVote(c, "w1", "O-2", 1, 0), abci.CodeNotRepresented)
	c.mustOK(proxyVote(c, "tenant", "O-2", 1, tx.DecisionOptionNo))
	if b, _ := c.ballot(1, "O-2"); b.Member != addr(key("tenant")) || b.Via() != abci.ChannelProxy {
		t.Errorf("O-2's ballot = %+v, want the new proxy's", b)
	}
}
