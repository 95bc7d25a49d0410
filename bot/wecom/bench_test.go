package wecom_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/wecom"
	"github.com/linli-community/linli/bot/wecom/wecomtest"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// BenchmarkDailyRound measures one day's work for a large community: an
// important notice queued for 30 groups (10 owners, 3 buildings each),
// merged with the day before's result, and one Flush that makes the
// group messages through silenceper's client against the fake, with
// gateway.db on disk. An op is one day; MiB-heap is the heap in use after
// the last day (run it for a year: -benchtime 365x).
func BenchmarkDailyRound(b *testing.B) {
	owners := map[string]string{}
	var gs []wecom.Group
	for i := range 30 {
		chat := fmt.Sprintf("wr-%02d", i)
		owner := fmt.Sprintf("owner-%d", i%10)
		owners[chat] = owner
		gs = append(gs, wecom.Group{ChatID: chat, Owner: owner, Building: fmt.Sprint(i % 3)})
	}
	f := wecomtest.New(b, owners)
	api, err := wecom.NewAPI(wecom.APIConfig{CorpID: f.CorpID, Secret: f.Secret, BaseURL: f.URL})
	if err != nil {
		b.Fatal(err)
	}
	gw, err := store.OpenGateway(filepath.Join(b.TempDir(), "gateway.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	clk := &clock{t: time.Date(2026, 6, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))}
	a := wecom.New(api, gw.Wecom(), templates.MustLoad())
	a.Groups, a.Now = gs, clk.now
	ctx := context.Background()
	sent := 0
	b.ResetTimer()
	for i := range b.N {
		for _, n := range []bot.GroupNotice{
			{Key: fmt.Sprintf("announcement/%d", i), Kind: bot.GroupAnnouncement, Important: true, Text: "📣 公告：停水通知\n周六 9:00–12:00 停水。", Height: int64(i)},
			{Key: fmt.Sprintf("proposal/%d/result", i), Kind: bot.GroupResult, Buildings: []string{fmt.Sprint(i % 3)}, Important: true, Text: "📊 业主表决【更换电梯】结果：通过。", Height: int64(i)},
		} {
			if err := a.Announce(ctx, n); err != nil {
				b.Fatal(err)
			}
		}
		if err := a.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		sent += len(f.Take())
		clk.add(24 * time.Hour)
	}
	b.StopTimer()
	b.ReportMetric(float64(sent)/float64(b.N), "calls/day")
	// What a long-running channel holds: the heap after b.N days (its
	// queue and budget live in gateway.db, not in memory).
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap")
}
