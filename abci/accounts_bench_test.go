package abci_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// ledgerBlock signs n entries by the treasurer: income first, then
// expenses small enough to post at once (below the threshold and the
// balance), over four accounts and eight categories.
func ledgerBlock(c *testChain, rng *rand.Rand, n int) [][]byte {
	accounts := []string{"mgmt", "public", "committee", "fund"}
	income := []string{"物业费", "停车费", "广告", "场地"}
	expense := []string{"保洁", "绿化", "电费", "办公"}
	txs := make([][]byte, n)
	for i := range txs {
		a := accounts[rng.IntN(3)] // the fund needs decisions to spend: income only
		if i < n*6/10 {
			txs[i] = record(c, "treasurer", tx.EntryIncome, accounts[rng.IntN(4)], 10_000+rng.Int64N(490_000), income[rng.IntN(4)])
			continue
		}
		txs[i] = record(c, "treasurer", tx.EntryExpense, a, 1_000+rng.Int64N(49_000), expense[rng.IntN(4)])
	}
	return txs
}

// BenchmarkLedgerEntries measures recording entries: blocks of 1,000
// signed entry.record txs, each block 36 days after the last, through
// FinalizeBlock and Commit on SQLite (signature checks, the handlers with
// their balance, posting and monthly-total writes, the app hash and the
// commit).
func BenchmarkLedgerEntries(b *testing.B) {
	c := ledgerChain(b)
	rng := rand.New(rand.NewPCG(1, 1))
	const perBlock = 1000
	for b.Loop() {
		b.StopTimer()
		txs := ledgerBlock(c, rng, perBlock)
		c.time = c.time.Add(36 * day)
		b.StartTimer()
		c.mustOK(txs...)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*perBlock), "µs/entry")
}

// ledgerOf10000 is a chain holding 10,000 posted entries over the year
// from March 2026: ten blocks of 1,000, 36 days apart.
func ledgerOf10000(b *testing.B) *testChain {
	c := ledgerChain(b)
	rng := rand.New(rand.NewPCG(2, 2))
	for range 10 {
		c.mustOK(ledgerBlock(c, rng, 1000)...)
		c.time = c.time.Add(36 * day)
	}
	return c
}

// BenchmarkMonthlySummary measures the accounts/monthly query for the
// twelve months holding 10,000 entries: it reads the totals kept as the
// entries posted, not the entries.
func BenchmarkMonthlySummary(b *testing.B) {
	c := ledgerOf10000(b)
	for _, bb := range []struct{ name, path string }{
		{"Year", "accounts/monthly/2026-03/2027-02"},
		{"OneMonth", "accounts/monthly/2026-06"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				res, err := c.app.Query(context.Background(), queryReq(bb.path))
				if err != nil || res.Code != 0 {
					b.Fatalf("%s: %v code %d %s", bb.path, err, res.Code, res.Log)
				}
			}
		})
	}
}

// BenchmarkStatement10000 measures the statement query that `linli
// accounts export` reads, over a year of 10,000 entries: every posting with
// its entry.
func BenchmarkStatement10000(b *testing.B) {
	c := ledgerOf10000(b)
	var size int
	for b.Loop() {
		res, err := c.app.Query(context.Background(), queryReq("accounts/statement/2026-03/2027-02"))
		if err != nil || res.Code != 0 {
			b.Fatalf("statement: %v code %d %s", err, res.Code, res.Log)
		}
		size = len(res.Value)
	}
	b.ReportMetric(float64(size)/1e6, "MB/answer")
}

// ledgerOneMonth is a chain holding 10,000 posted entries in March 2026,
// spread as the notice board's benchmark community spreads them (board's
// bigCommunity): most on the management fee (8,500), some public income
// and committee spending, a few maintenance-fund deposits.
func ledgerOneMonth(b *testing.B) *testChain {
	c := ledgerChain(b)
	for blk := range 10 {
		txs := make([][]byte, 1000)
		for j := range txs {
			i := blk*1000 + j
			account, kind := "mgmt", tx.EntryIncome
			switch k := i % 100; {
			case k >= 99:
				account = "fund"
			case k >= 95:
				account = "committee"
			case k >= 85:
				account = "public"
			}
			if i%3 == 2 && i > 100 && account != "fund" {
				kind = tx.EntryExpense
			}
			txs[j] = record(c, "treasurer", kind, account, int64(1000+i), "类别"+strconv.Itoa(i%7))
		}
		c.mustOK(txs...)
	}
	return c
}

// BenchmarkLedgerQueries10000 measures the two ledger queries behind the
// notice board's largest pages, over 10,000 entries in one month on
// SQLite: the quarter's statement (every account's postings with their
// entries: /print/accounts/YYYY-Qn) and the management fee's 8,500
// (/accounts/mgmt/entries.csv). Cold is an app just started over the
// store, its read cache empty: every entry and posting is read from
// SQLite. Warm is the same query again, its lines from the read cache's
// memory of them. AfterBlock is the query just after a block that posts
// a new entry to the management fee (every third block instead reverses
// one of its old entries, which changes an old line too), on the app that
// answered it before the block: what the notice board meets after every
// block. It reports p50 and p99 in milliseconds.
func BenchmarkLedgerQueries10000(b *testing.B) {
	c := ledgerOneMonth(b)
	blocks, reversed := 0, uint64(0)
	// newBlock commits one change to the management fee's account.
	newBlock := func() {
		blocks++
		if blocks%3 != 0 {
			c.mustOK(record(c, "treasurer", tx.EntryIncome, "mgmt", int64(100+blocks), "补缴"))
			return
		}
		// The oldest management fee entry not yet reversed (ledgerOneMonth
		// recorded entry i+1 on it when i%100 < 85).
		for reversed++; (reversed-1)%100 >= 85; reversed++ {
		}
		c.mustOK(reverse(c, "treasurer", reversed))
	}
	for _, q := range []struct{ name, path string }{
		{"Statement", "accounts/statement/2026-03/2026-03"},
		{"MgmtEntries", "accounts/mgmt/entries/2026-03/2026-03"},
	} {
		query := func(b *testing.B, app *abci.App) {
			res, err := app.Query(context.Background(), queryReq(q.path))
			if err != nil || res.Code != 0 {
				b.Fatalf("%s: %v code %d %s", q.path, err, res.Code, res.Log)
			}
		}
		b.Run(q.name+"/Cold", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				app, err := abci.New(c.store)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				query(b, app)
			}
		})
		b.Run(q.name+"/Warm", func(b *testing.B) {
			app, err := abci.New(c.store)
			if err != nil {
				b.Fatal(err)
			}
			query(b, app)
			for b.Loop() {
				query(b, app)
			}
		})
		b.Run(q.name+"/AfterBlock", func(b *testing.B) {
			query(b, c.app)
			var times []time.Duration
			for b.Loop() {
				b.StopTimer()
				newBlock()
				b.StartTimer()
				t0 := time.Now()
				query(b, c.app)
				times = append(times, time.Since(t0))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
