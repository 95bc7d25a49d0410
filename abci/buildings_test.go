package abci_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// TestBuildingListsStoredInCanonicalOrder opens the same decision and poll
// with their building lists in different orders on two chains: each list
// is accepted, stored in natural order ("2" before "10"), and both chains
// reach the same app hash. A list that repeats a building is refused.
func TestBuildingListsStoredInCanonicalOrder(t *testing.T) {
	orders := [][]string{{"10", "2", "3"}, {"2", "3", "10"}}
	var hashes [][]byte
	for _, order := range orders {
		c := newChain(t)
		c.mustOK(c.sign(c.admin, units(
			unit("2-101", "2", 9000, "O-1"), unit("3-101", "3", 9000, "O-2"), unit("10-101", "10", 9000, "O-3"))))
		now := c.time
		c.mustOK(
			c.sign(c.admin, &tx.ProposalOpen{Title: "外墙维修", Class: tx.ClassOrdinary, Buildings: order,
				NoticeAt: now.Unix(), VoteStart: now.Add(15*day + time.Minute).Unix(), VoteEnd: now.Add(17 * day).Unix()}),
			c.sign(c.admin, &tx.PollOpen{Title: "开会时间", Options: []string{"周六", "周日"}, Buildings: order,
				VoteStart: now.Unix(), VoteEnd: now.Add(24 * time.Hour).Unix()}),
		)
		for _, id := range []string{"1", "2"} {
			var p abci.Proposal
			c.query("proposals/"+id, &p)
			if want := []string{"2", "3", "10"}; !slices.Equal(p.Buildings, want) {
				t.Errorf("given %q, proposals/%s stores %q, want %q", order, id, p.Buildings, want)
			}
		}
		if got := c.code(c.sign(c.admin, &tx.PollOpen{Title: "重复", Options: []string{"是", "否"}, Buildings: []string{"3", "2", "3"},
			VoteStart: now.Unix(), VoteEnd: now.Add(24 * time.Hour).Unix()})); got != abci.CodeInvalidBody {
			t.Errorf("a repeated building: %v, want %v", got, abci.CodeInvalidBody)
		}
		hashes = append(hashes, c.appHash())
	}
	if !bytes.Equal(hashes[0], hashes[1]) {
		t.Errorf("app hashes differ with the lists in another order: %x, %x", hashes[0], hashes[1])
	}
}
