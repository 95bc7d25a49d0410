package abci_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/linli-community/linli/abci/tx"
)

// BenchmarkDecision5000Units measures a decision in a community of 5,000
// units where every owner's member votes: applying the ballots (one block
// of 5,000 signed vote txs, FinalizeBlock and Commit) and the tally in the
// closing block (which also writes the 5,000 published rows).
func BenchmarkDecision5000Units(b *testing.B) {
	c, voters := randomCommunity(b, rand.New(rand.NewPCG(5000, 1)), 5000)
	var ballots, tally time.Duration
	for b.Loop() {
		b.StopTimer()
		now := c.time
		c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "bench", Class: tx.ClassOrdinary, NoticeAt: now.Unix(),
			VoteStart: now.Add(16 * day).Unix(), VoteEnd: now.Add(17 * day).Unix()}))
		var p []struct{ ID uint64 }
		c.query("proposals", &p)
		pid := p[len(p)-1].ID
		votes := make([][]byte, len(voters))
		for i, v := range voters {
			votes[i] = vote(c, v, pid, i%3)
		}
		c.at(now.Add(16 * day))
		b.StartTimer()
		t0 := time.Now()
		c.block(votes...)
		t1 := time.Now()
		c.at(now.Add(17 * day))
		c.block()
		t2 := time.Now()
		ballots += t1.Sub(t0)
		tally += t2.Sub(t1)
	}
	b.ReportMetric(float64(ballots.Milliseconds())/float64(b.N), "ballots-ms/op")
	b.ReportMetric(float64(tally.Milliseconds())/float64(b.N), "tally-ms/op")
}
