package abci_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

func TestNoticeAndVotingBoundsAreExact(t *testing.T) {
	c := community(t)
	p := abci.DefaultParams()
	next := func() int64 { return c.time.Unix() + 1 } // the next block's time
	open := func(start, end int64) []byte {
		return c.sign(c.admin, &tx.ProposalOpen{Title: "t", Class: tx.ClassOrdinary, NoticeAt: 1, VoteStart: start, VoteEnd: end})
	}
	tests := []struct {
		name   string
		window func() (int64, int64)
		want   abci.Code
	}{
		{"ErrNoticeOneSecondShort", func() (int64, int64) { s := next() + p.MinNotice - 1; return s, s + p.MinVoting }, abci.CodeNoticeTooShort},
		{"NoticeExactlyMinimum", func() (int64, int64) { s := next() + p.MinNotice; return s, s + p.MinVoting }, abci.CodeOK},
		{"ErrVotingOneSecondShort", func() (int64, int64) { s := next() + p.MinNotice; return s, s + p.MinVoting - 1 }, abci.CodeVotingTooShort},
		{"VotingExactlyMaximum", func() (int64, int64) { s := next() + p.MinNotice; return s, s + p.MaxVoting }, abci.CodeOK},
		{"ErrVotingOneSecondLong", func() (int64, int64) { s := next() + p.MinNotice; return s, s + p.MaxVoting + 1 }, abci.CodeVotingTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e := tt.window()
			if got := c.code(open(s, e)); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
		})
	}
}

// governanceScript opens a decision and a poll, lets a random subset of
// owners vote (some twice, some in the closing block), and closes both.
// The decision also gets paper sheets for every owner: two scrutineers
// enter a random third of them, in among the chat ballots (so paper and
// chat replace each other in either order), some with a mismatch that
// never counts.
func governanceScript(c *testChain, rng *rand.Rand, voters []string) [][][]byte {
	now := c.time
	start, end := now.Add(16*day), now.Add(17*day)
	blocks := [][][]byte{{
		c.sign(c.admin, &tx.ProposalOpen{Title: "维修资金使用", Class: tx.ClassSpecial, NoticeAt: now.Unix(), VoteStart: start.Unix(), VoteEnd: end.Unix()}),
		c.sign(c.admin, &tx.PollOpen{Title: "活动", Options: []string{"a", "b", "c"}, VoteStart: start.Unix(), VoteEnd: end.Unix()}),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key(voters[0])), Role: tx.RoleScrutineer}),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key(voters[1])), Role: tx.RoleScrutineer}),
	}}
	var us []abci.Unit
	c.query("units", &us)
	var owners []string
	for _, u := range us {
		if !slices.Contains(owners, u.Owner) {
			owners = append(owners, u.Owner)
		}
	}
	codes := make([]string, len(owners))
	for i := range owners {
		codes[i] = fmt.Sprintf("%012d", rng.Int64N(1e12))
	}
	blocks[0] = append(blocks[0], c.issueSheets(1, owners, codes))
	var papers [][]byte
	for i := range owners {
		if rng.IntN(3) != 0 {
			continue
		}
		choice, second := rng.IntN(3), rng.IntN(3)
		if rng.IntN(5) != 0 {
			second = choice // most pairs agree
		}
		papers = append(papers, enter(c, voters[0], 1, codes[i], choice, codes[i]), enter(c, voters[1], 1, codes[i], second, codes[i]))
	}
	var votes [][]byte
	for _, v := range voters {
		if rng.IntN(4) == 0 {
			continue // does not vote
		}
		votes = append(votes, vote(c, v, 1, rng.IntN(3)), vote(c, v, 2, rng.IntN(3)))
		if rng.IntN(3) == 0 {
			votes = append(votes, vote(c, v, 1, rng.IntN(3))) // changes their ballot
		}
	}
	votes = interleave(rng, votes, papers)
	// Spread the votes over a few blocks of the voting window.
	for len(votes) > 0 {
		n := min(len(votes), 1+rng.IntN(40))
		blocks = append(blocks, votes[:n])
		votes = votes[n:]
	}
	blocks = append(blocks, [][]byte{vote(c, voters[0], 1, 0)}) // lands in the closing block: rejected
	return blocks
}

// interleave merges a and b at random, keeping the order within each.
func interleave(rng *rand.Rand, a, b [][]byte) [][]byte {
	out := make([][]byte, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || len(a) > 0 && rng.IntN(len(a)+len(b)) < len(a) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

// runTimed applies blocks: the first now, the voting blocks inside the
// window, the last at the end of voting.
func (c *testChain) runTimed(blocks [][][]byte) [][]byte {
	base := c.time
	var hashes [][]byte
	for i, b := range blocks {
		switch {
		case i == 0:
		case i == len(blocks)-1:
			c.at(base.Add(17 * day))
		case i == 1:
			c.at(base.Add(16 * day))
		}
		c.block(b...)
		hashes = append(hashes, c.appHash())
	}
	return hashes
}

// randomCommunity registers n units among a random number of owners (some
// with several units, one "developer" with many) and binds one member per
// unit, so owners with several units have several members.
func randomCommunity(t testing.TB, rng *rand.Rand, n int) (*testChain, []string) {
	c := newChain(t)
	var specs []tx.UnitSpec
	owners := max(1, n/2)
	for i := range n {
		owner := fmt.Sprintf("O-%d", rng.IntN(owners))
		if rng.IntN(5) == 0 {
			owner = "developer"
		}
		specs = append(specs, unit(fmt.Sprintf("%d-%d", i/20+1, i%20+101), fmt.Sprint(i/20+1), int64(3000+rng.IntN(15000)), owner))
	}
	for len(specs) > 0 {
		k := min(len(specs), tx.MaxUnitsPerTx)
		c.mustOK(c.sign(c.admin, units(specs[:k]...)))
		specs = specs[k:]
	}
	var ms []abci.Member
	var voters []string
	for i := range n {
		who := fmt.Sprintf("m%d", i)
		ms = append(ms, abci.Member{Address: addr(key(who)), Unit: fmt.Sprintf("%d-%d", i/20+1, i%20+101), Relation: tx.RelationOwner})
		voters = append(voters, who)
	}
	if err := abci.SeedMembers(c.app, ms); err != nil {
		t.Fatal(err)
	}
	return c, voters
}

// TestTallyEqualsRecountFromPublishedRows recounts random votes from the
// published per-unit rows alone and compares with the chain's tally.
func TestTallyEqualsRecountFromPublishedRows(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			c, voters := randomCommunity(t, rng, 10+rng.IntN(80))
			c.runTimed(governanceScript(c, rng, voters))
			var res struct {
				abci.Result
				Rows []abci.ResultRow
			}
			if code := c.query("proposals/1/result", &res); code != 0 {
				t.Fatalf("result: %v", code)
			}
			var recount abci.Tally
			heads := map[string]bool{}
			voted := map[string]bool{}
			for _, r := range res.Rows {
				recount.ATot += r.Area
				if !heads[r.Owner] {
					heads[r.Owner] = true
					recount.NTot++
				}
				if r.Choice == "" {
					continue
				}
				recount.AP += r.Area
				if r.Choice == "同意" {
					recount.AY += r.Area
				}
				if !voted[r.Owner] {
					voted[r.Owner] = true
					recount.NP++
					if r.Choice == "同意" {
						recount.NY++
					}
				}
			}
			if recount.NP == 0 {
				t.Fatalf("nobody voted: the script is broken")
			}
			// Every paper row is a sheet two scrutineers agreed on, whose
			// second entry is the counted ballot.
			paper := 0
			for _, r := range res.Rows {
				if r.Channel != abci.ChannelPaper {
					continue
				}
				paper++
				var s abci.SheetView
				c.query("proposals/1/sheets/"+r.Owner, &s)
				if s.Status != abci.SheetCounted || s.CountedTx != r.TxHash {
					t.Errorf("row %s counts paper, sheet %s counted by %s, row tx %s", r.Unit, s.Status, s.CountedTx, r.TxHash)
				}
			}
			if paper == 0 {
				t.Errorf("no paper ballot counted: the script is broken")
			}
			t.Logf("tally %+v: %s", recount, res.Outcome)
			if recount != *res.Tally {
				t.Errorf("recount %+v != tally %+v", recount, *res.Tally)
			}
			if want := abci.Decide(tx.ClassSpecial, recount); res.Outcome != want {
				t.Errorf("outcome %s, recount decides %s", res.Outcome, want)
			}
		})
	}
}

// TestGovernanceSameOnTwoStores applies one governance history to two
// fresh stores: the app hash agrees at every height and the closing block
// carries the same result.
func TestGovernanceSameOnTwoStores(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a, voters := randomCommunity(t, rng, 60)
	b, _ := randomCommunity(t, rand.New(rand.NewPCG(1, 2)), 60)
	blocks := governanceScript(a, rng, voters)
	b.nonces = a.nonces // the script was signed once, on a's counters
	ha, hb := a.runTimed(blocks), b.runTimed(blocks)
	for i := range ha {
		if !bytes.Equal(ha[i], hb[i]) {
			t.Fatalf("block %d: app hashes differ", i)
		}
	}
	var ra, rb []byte
	qa, _ := a.app.Query(t.Context(), queryReq("proposals/1/result"))
	qb, _ := b.app.Query(t.Context(), queryReq("proposals/1/result"))
	ra, rb = qa.Value, qb.Value
	if len(ra) == 0 || !bytes.Equal(ra, rb) {
		t.Errorf("results differ or are missing:\n%s\n%s", ra, rb)
	}
}
