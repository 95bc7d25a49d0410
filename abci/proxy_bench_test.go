package abci_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// BenchmarkProxyBallots5000 measures a block of 5,000 ballots cast by
// proxy: 1,000 members each represent five owners (the default limit) and
// vote for each, so every ballot finds its appointment among the proxy's
// five, checks the owner's current ballot and records the proxy's vote.
// Compare with BenchmarkDecision5000Units, where owners vote themselves.
func BenchmarkProxyBallots5000(b *testing.B) {
	const proxies, each = 1000, 5
	c := newChain(b)
	var specs []tx.UnitSpec
	n := proxies * (each + 1)
	for i := range n {
		specs = append(specs, unit(fmt.Sprintf("%d-%d", i/20+1, i%20+101), fmt.Sprint(i/20+1), 9000, fmt.Sprintf("O-%d", i)))
	}
	for len(specs) > 0 {
		k := min(len(specs), tx.MaxUnitsPerTx)
		c.mustOK(c.sign(c.admin, units(specs[:k]...)))
		specs = specs[k:]
	}
	var ms []abci.Member
	for i := range proxies {
		ms = append(ms, abci.Member{Address: addr(key(fmt.Sprintf("m%d", i))), Unit: fmt.Sprintf("%d-%d", i/20+1, i%20+101), Relation: tx.RelationOwner})
	}
	if err := abci.SeedMembers(c.app, ms); err != nil {
		b.Fatal(err)
	}
	until := c.time.Add(365 * day).Unix()
	var appoint [][]byte
	for j := range proxies {
		for k := range each {
			owner := fmt.Sprintf("O-%d", proxies+j*each+k)
			appoint = append(appoint, c.sign(c.admin, &tx.ProxyAppoint{Proxy: tx.ProxyRef{Address: addr(key(fmt.Sprintf("m%d", j)))}, Until: until, Owner: owner, AuthorisationSHA256: scanHash}))
		}
	}
	c.mustOK(appoint...)
	var ballots time.Duration
	for b.Loop() {
		b.StopTimer()
		now := c.time
		c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "bench", Class: tx.ClassOrdinary, NoticeAt: now.Unix(),
			VoteStart: now.Add(16 * day).Unix(), VoteEnd: now.Add(17 * day).Unix()}))
		var p []struct{ ID uint64 }
		c.query("proposals", &p)
		pid := p[len(p)-1].ID
		var votes [][]byte
		for j := range proxies {
			for k := range each {
				votes = append(votes, proxyVote(c, fmt.Sprintf("m%d", j), fmt.Sprintf("O-%d", proxies+j*each+k), pid, k%3))
			}
		}
		c.at(now.Add(16 * day))
		b.StartTimer()
		t0 := time.Now()
		c.mustOK(votes...)
		ballots += time.Since(t0)
		b.StopTimer()
		c.at(now.Add(17 * day))
		c.block()
		b.StartTimer()
	}
	b.ReportMetric(float64(ballots.Milliseconds())/float64(b.N), "ballots-ms/op")
}
