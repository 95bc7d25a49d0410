package abci_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// cpuTime is the process's user plus system time so far. The benchmarks
// below report it per block beside wall time, because on a shared machine
// wall time measures the neighbours as much as the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReceiptBlocks measures FinalizeBlock plus Commit of blocks of
// 1,000 ballots (owners changing their ballot on an open decision) and
// of 1,000 ledger entries, on a real SQLite file: the blocks whose every
// tx now also states and digests its writes (Data, Info) and whose write
// set the store keeps. It reports CPU and wall milliseconds per block.
func BenchmarkReceiptBlocks(b *testing.B) {
	const perBlock = 1000
	c := newChain(b)
	var specs []tx.UnitSpec
	var ms []abci.Member
	for i := range perBlock {
		u := fmt.Sprintf("%d-%d", i/100+1, i%100+1)
		specs = append(specs, unit(u, fmt.Sprint(i/100+1), 9000, fmt.Sprintf("O-%d", i)))
		ms = append(ms, abci.Member{Address: addr(key(fmt.Sprint("voter", i))), Unit: u, Relation: tx.RelationOwner})
	}
	c.mustOK(c.sign(c.admin, units(specs[:500]...)), c.sign(c.admin, units(specs[500:]...)),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("treasurer")), Role: tx.RoleTreasurer}))
	if err := abci.SeedMembers(c.app, ms); err != nil {
		b.Fatal(err)
	}
	now := c.time
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "续聘物业", Class: tx.ClassOrdinary, NoticeAt: now.Add(day).Unix(),
		VoteStart: now.Add(16 * day).Unix(), VoteEnd: now.Add(50 * day).Unix()}))
	c.at(now.Add(16 * day))

	run := func(b *testing.B, next func(i, n int) []byte) {
		var cpu, wall time.Duration
		n := 0
		for b.Loop() {
			b.StopTimer()
			n++
			txs := make([][]byte, perBlock)
			for i := range txs {
				txs[i] = next(i, n)
			}
			b.StartTimer()
			c0, w0 := cpuTime(), time.Now()
			rs := c.block(txs...)
			cpu, wall = cpu+cpuTime()-c0, wall+time.Since(w0)
			for i, r := range rs {
				if r.Code != 0 {
					b.Fatalf("tx %d: code %d %s", i, r.Code, r.Log)
				}
			}
		}
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu-ms/block")
		b.ReportMetric(float64(wall.Microseconds())/1000/float64(n), "wall-ms/block")
	}
	b.Run("Ballots", func(b *testing.B) {
		run(b, func(i, n int) []byte { return vote(c, fmt.Sprint("voter", i), 1, n%3) })
	})
	b.Run("Entries", func(b *testing.B) {
		run(b, func(i, n int) []byte {
			return c.sign(key("treasurer"), &tx.EntryRecord{Kind: tx.EntryIncome, Account: "mgmt", Amount: int64(100 + i), Category: "物业费"})
		})
	})
}
