package notify_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/notify"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// BenchmarkScanGroups measures one scan for the groups of a busy
// community: 20 decisions voting at once, each with a turnout notice due
// (6 hours of block time passed and the turnout moved), handed to two
// channels, the memory in gateway.db on disk. An op is one scan.
func BenchmarkScanGroups(b *testing.B) {
	const t0 = int64(1_800_000_000)
	var list []map[string]any
	answers := map[string]any{"announcements": []abci.Announcement{}}
	for i := 1; i <= 20; i++ {
		list = append(list, map[string]any{"id": i, "kind": "decision", "title": "表决", "vote_start": t0, "vote_end": t0 + 30*86400, "phase": "voting", "status": "open"})
		answers["proposals/"+strconv.Itoa(i)+"/turnout"] = abci.Turnout{Proposal: uint64(i), HeadsTotal: 900, AreaTotal: 8_700_000}
	}
	answers["proposals"] = list
	c := &fakeChain{height: 1, blockTime: t0, answers: answers}
	gw, err := store.OpenGateway(filepath.Join(b.TempDir(), "gateway.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	wa, wb := &channel{name: "a"}, &channel{name: "b"}
	n := notify.New(c, gw.Wechat(), templates.MustLoad())
	n.Groups = []bot.GroupAnnouncer{wa, wb}
	ctx := context.Background()
	for range 2 { // the first scan remembers, the second tells of the opening
		if err := n.Scan(ctx); err != nil {
			b.Fatal(err)
		}
		c.block(func(map[string]any) {})
	}
	wa.take()
	wb.take()
	b.ResetTimer()
	for i := range b.N {
		c.block(func(a map[string]any) {
			c.blockTime += 6 * 3600
			for p := 1; p <= 20; p++ {
				a["proposals/"+strconv.Itoa(p)+"/turnout"] = abci.Turnout{Proposal: uint64(p), HeadsVoted: int64(i + 1), HeadsTotal: 900, AreaVoted: int64(i+1) * 9000, AreaTotal: 8_700_000}
			}
		})
		if err := n.Scan(ctx); err != nil {
			b.Fatal(err)
		}
		if got := len(wa.take()); got != 20 {
			b.Fatalf("%d turnout notices, want 20", got)
		}
		wb.take()
	}
}
