package abci

import (
	"fmt"
	"testing"

	"github.com/linli-community/linli/abci/tx"
)

// noState is an empty committed state.
type noState struct{}

func (noState) get(string) ([]byte, bool)              { return nil, false }
func (noState) scan(string, func(string, []byte) bool) {}

func pointsContext() *Context {
	return &Context{Height: 7, Time: 1000, Params: DefaultParams(), st: newCache(noState{}), keep: map[string][]byte{}}
}

func TestAwardPoints(t *testing.T) {
	bound, unbound := tx.Address("0000000000000000000000000000000000000001"), tx.Address("0000000000000000000000000000000000000002")
	ctx := pointsContext()
	put(ctx.st, keyMember(bound), Member{Address: bound, Unit: "3-502", Relation: tx.RelationTenant})
	p := ctx.Params

	awardPoints(ctx, bound, PointsForVote)
	awardPoints(ctx, bound, PointsForVote) // awardPoints itself does not deduplicate
	awardPointsOnce(ctx, bound, PointsForShare, "booking/1")
	awardPointsOnce(ctx, bound, PointsForShare, "booking/1") // same act again: nothing
	awardPointsOnce(ctx, bound, PointsForShare, "booking/2")
	awardPoints(ctx, bound, "gossip") // not a reason: nothing
	awardPoints(ctx, unbound, PointsForRepairConfirmed)

	m, _ := get[MemberPoints](ctx.st, keyMemberPoints(bound))
	u, _ := get[UnitPoints](ctx.st, keyUnitPoints("3-502"))
	if want := 2*p.PointsVote + 2*p.PointsShare; m.Points != want || u.Points != want || m.Unit != "3-502" {
		t.Errorf("bound member %+v, unit %+v; want %d points each for 3-502", m, u, want)
	}
	n, _ := get[MemberPoints](ctx.st, keyMemberPoints(unbound))
	if n.Points != p.PointsRepairConfirmed || n.Unit != "" {
		t.Errorf("unbound member %+v, want %d points and no unit", n, p.PointsRepairConfirmed)
	}
	if got := countPrefix(ctx.st, prefixUnitPoints); got != 1 {
		t.Errorf("%d units have points, want 1 (the unbound address has none)", got)
	}
	if got, want := len(ctx.events), 5; got != want {
		t.Errorf("%d points events, want %d (one per award made)", got, want)
	}

	// A chain that gives no points for a reason records nothing for it.
	ctx = pointsContext()
	ctx.Params.PointsVote = 0
	awardPointsOnce(ctx, bound, PointsForVote, "proposal/1")
	if w := ctx.st.sorted(); len(w) != 0 {
		t.Errorf("zero points wrote %v", w)
	}
}

func TestAddPointsSaturates(t *testing.T) {
	if got := addPoints(1<<63-2, 5); got != 1<<63-1 {
		t.Errorf("addPoints near the limit = %d, want the largest int64", got)
	}
}

func TestLeaderboardIsCappedAndOrdered(t *testing.T) {
	ctx := pointsContext()
	for i := range LeaderboardSize + 20 {
		u := fmt.Sprintf("%d-%03d", i%3, i)
		put(ctx.st, keyUnitPoints(u), UnitPoints{Unit: u, Points: int64(i % 7)})
	}
	rows := leaderboard(ctx.st)
	if len(rows) != LeaderboardSize {
		t.Fatalf("%d rows, want %d", len(rows), LeaderboardSize)
	}
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		if a.Points < b.Points || a.Points == b.Points && a.Unit >= b.Unit {
			t.Fatalf("rows %d and %d out of order: %+v then %+v", i-1, i, a, b)
		}
	}
	if rows[0].Points != 6 {
		t.Errorf("top row %+v, want 6 points", rows[0])
	}
}
