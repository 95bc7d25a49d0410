package wechatmp_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/ledger"
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

// BenchmarkMixedLoad is the load of a busy evening at the default 500 ms
// blocks: ten bound owners confirm votes in bursts of ten (one burst a
// second, five in all) while 200 users' reads (`投票`) arrive spread over
// the same five seconds. It reports the reads' and the votes' reply
// latencies, how many votes were deferred ("正在记录"/"正在处理", the
// receipt pushed later) instead of answered with their receipt, and how
// many requests were refused (a non-200, which WeChat retries: the
// latency then counts until the answer). Every read must get its screen
// and every ballot must reach the chain.
func BenchmarkMixedLoad(b *testing.B) {
	w := startWorld(b, 500*time.Millisecond)
	owners := bindOwners(b, w, 10)
	client := w.srv.Client()
	var reads, votes latencies
	var deferred, refused atomic.Int64
	// ask sends text as user until it gets a 200, as WeChat retries.
	ask := func(user, text string) (string, time.Duration) {
		m := mixMsg(user, text)
		t0 := time.Now()
		for try := 0; ; try++ {
			res, err := client.Do(wxRequest(b, w.srv.URL, m, safe, time.Now()))
			if err != nil {
				b.Error(err)
				return "", 0
			}
			if res.StatusCode != http.StatusOK && try < 3 {
				res.Body.Close()
				refused.Add(1)
				continue
			}
			return readReply(b, res, safe), time.Since(t0)
		}
	}
	for b.Loop() {
		var wg sync.WaitGroup
		// Reads: 200 users, one every 25 ms.
		wg.Go(func() {
			tick := time.NewTicker(25 * time.Millisecond)
			defer tick.Stop()
			var rg sync.WaitGroup
			for i := range 200 {
				<-tick.C
				rg.Go(func() {
					got, d := ask(fmt.Sprintf("oMixRead-%03d", i), "投票")
					reads.add(d)
					if !strings.Contains(got, "1 【表决】") {
						b.Errorf("read got %q", got)
					}
				})
			}
			rg.Wait()
		})
		// Votes: a burst of ten confirmations a second.
		for burst := range 5 {
			start := make(chan struct{})
			time.AfterFunc(time.Duration(burst)*time.Second, func() { close(start) })
			for _, o := range owners {
				wg.Go(func() {
					<-start
					choice := []string{"同意", "反对"}[burst%2]
					if got, _ := ask(o, choice); !strings.Contains(got, "确认请回复 1") {
						b.Errorf("%s: %q", choice, got)
						return
					}
					got, d := ask(o, "1")
					votes.add(d)
					switch {
					case strings.Contains(got, "✅ 已记录"):
					case strings.Contains(got, "正在记录"), strings.Contains(got, "正在处理"):
						deferred.Add(1)
					default:
						b.Errorf("vote got %q", got)
					}
					ask(o, "0")
				})
			}
		}
		wg.Wait()
	}
	// Every ballot is on chain: each owner's last choice.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range owners {
		want := tx.DecisionOptionYes // the last burst (4) agrees
		for {
			var ballot abci.Ballot
			found, err := queryJSON(ctx, w.cust, fmt.Sprintf("ballots/1/O-M%d", i), &ballot)
			if err != nil {
				b.Fatal(err)
			}
			if found && ballot.Choice == want {
				break
			}
			if ctx.Err() != nil {
				b.Fatalf("owner %d: ballot %+v found %v, want %d on chain", i, ballot, found, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	b.ReportMetric(float64(deferred.Load())/float64(b.N), "votes-deferred/op")
	b.ReportMetric(float64(refused.Load())/float64(b.N), "refused/op")
	reads.reportAs(b, "read")
	votes.reportAs(b, "vote")
}

// mixMsg is a text message with a fresh MsgId.
func mixMsg(user, content string) wxMsg { return text(user, content) }

// bindOwners registers n units of building 5 with an owner each, binds a
// WeChat user to each through the webhook and leaves them on decision 1's
// ballot screen; it returns their openids.
func bindOwners(b *testing.B, w *world, n int) []string {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := ledger.User{Channel: "console", ID: "admin"}
	var specs []tx.UnitSpec
	for i := range n {
		specs = append(specs, tx.UnitSpec{Unit: fmt.Sprintf("5-%d01", i+1), Building: "5", Area: 9000, Owner: fmt.Sprintf("O-M%d", i)})
	}
	bodies := []tx.Body{&tx.UnitRegister{Units: specs}}
	for i := range n {
		bodies = append(bodies, tx.NewBindCodeIssue(specs[i].Unit, tx.RelationOwner, fmt.Sprintf("2468%04d", i),
			bytes.Repeat([]byte{byte(i + 2)}, tx.BindCodeSaltSize), time.Now().Unix()+3600))
	}
	for _, body := range bodies {
		if r, err := w.cust.Submit(ctx, admin, body); err != nil || r.Code != 0 {
			b.Fatalf("%s: %+v %v", body.Type(), r, err)
		}
	}
	var out []string
	for i := range n {
		o := fmt.Sprintf("oMixOwner-%02d", i)
		contains(b, "bind", post(b, w.srv, text(o, fmt.Sprintf("绑定 %s 2468%04d", specs[i].Unit, i)), safe), "确认请回复 1")
		contains(b, "bind confirm", post(b, w.srv, text(o, "1"), safe), "✅ 已记录")
		contains(b, "vote list", post(b, w.srv, text(o, "投票"), safe), "1 【表决】")
		contains(b, "ballot", post(b, w.srv, text(o, "1"), safe), "请回复数字投票")
		out = append(out, o)
	}
	return out
}

// reportAs reports p50 and p99 under a name prefix.
func (l *latencies) reportAs(b *testing.B, name string) {
	slices.Sort(l.d)
	q := func(p float64) float64 {
		return float64(l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), name+"-p50-ms")
	b.ReportMetric(q(0.99), name+"-p99-ms")
}
