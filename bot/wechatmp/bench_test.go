package wechatmp_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// latencies collects durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	slices.Sort(l.d)
	q := func(p float64) float64 {
		return float64(l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(l.d[len(l.d)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkWebhookRead sends signed, encrypted (safe mode) "投票"
// messages to the webhook over a real node and gateway.db: verify,
// decrypt, dedup record, engine (session, queries, render), encrypt,
// reply. Sequential: one request at a time. Concurrent200: rounds of 200
// requests from 200 users fired at once (every request queues behind the
// others, so latency is mostly waiting: by Little's law about 200 divided
// by the throughput). Paced: 200 users sending 200 requests a second in
// all, spread evenly, a heavy hour for a large community.
func BenchmarkWebhookRead(b *testing.B) {
	w := startWorld(b, 500*time.Millisecond)
	client := w.srv.Client()
	send := func(b *testing.B, i int, lat *latencies) {
		req := wxRequest(b, w.srv.URL, text(fmt.Sprintf("oBench-%03d", i%200), "投票"), safe, time.Now())
		t0 := time.Now()
		res, err := client.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		got := readReply(b, res, safe)
		lat.add(time.Since(t0))
		if !strings.Contains(got, "1 【表决】") {
			b.Errorf("reply %q", got)
		}
	}
	b.Run("Sequential", func(b *testing.B) {
		var lat latencies
		i := 0
		for b.Loop() {
			send(b, i, &lat)
			i++
		}
		lat.report(b)
	})
	b.Run("Concurrent200", func(b *testing.B) {
		var lat latencies
		start := time.Now()
		n := 0
		for b.Loop() {
			var wg sync.WaitGroup
			for i := range 200 {
				wg.Go(func() { send(b, i, &lat) })
			}
			wg.Wait()
			n += 200
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "req/s")
		lat.report(b)
	})
	b.Run("Paced200PerSecond", func(b *testing.B) {
		var lat latencies
		for b.Loop() {
			var wg sync.WaitGroup
			tick := time.NewTicker(5 * time.Millisecond)
			for i := range 200 {
				<-tick.C
				wg.Go(func() { send(b, i, &lat) })
			}
			tick.Stop()
			wg.Wait()
		}
		lat.report(b)
	})
}

// BenchmarkVoteToReply measures a vote's confirming "1" through the
// webhook until its passive reply, on a node with linli init's
// timeout_commit of 500 ms: the reply must carry the receipt (or the
// pending notice) within the 4 s budget.
func BenchmarkVoteToReply(b *testing.B) {
	w := startWorld(b, 500*time.Millisecond)
	const wang = "oWang-bench"
	post(b, w.srv, text(wang, "绑定 3-502 "+codeWang), safe)
	post(b, w.srv, text(wang, "1"), safe)
	post(b, w.srv, text(wang, "投票"), safe)
	post(b, w.srv, text(wang, "1"), safe)
	var lat latencies
	receipts := 0
	for b.Loop() {
		b.StopTimer()
		d, receipt := voteOnce(b, w, wang)
		lat.add(d)
		if receipt {
			receipts++
		}
		b.StartTimer()
	}
	lat.report(b)
	b.ReportMetric(float64(receipts)/float64(len(lat.d)), "receipt-ratio")
}

// voteOnce confirms a vote and returns how long the reply took, and
// whether it carried the receipt (else the pending notice).
func voteOnce(b *testing.B, w *world, user string) (time.Duration, bool) {
	if got := post(b, w.srv, text(user, "同意"), safe); !strings.Contains(got, "确认请回复 1") {
		b.Fatalf("reply %q", got)
	}
	req := wxRequest(b, w.srv.URL, text(user, "1"), safe, time.Now())
	t0 := time.Now()
	res, err := w.srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	got := readReply(b, res, safe)
	d := time.Since(t0)
	if d > 4*time.Second {
		b.Errorf("replied after %v, past the budget", d)
	}
	receipt := strings.Contains(got, "✅ 已记录")
	if !receipt && !strings.Contains(got, "正在记录") {
		b.Fatalf("reply %q", got)
	}
	post(b, w.srv, text(user, "0"), safe)
	return d, receipt
}
