package abci_test

import (
	"fmt"
	"testing"

	"github.com/linli-community/linli/abci/tx"
)

// BenchmarkBlockOf1000RegistryTxs measures FinalizeBlock plus Commit of a
// block holding 1,000 signed unit registrations (one new unit each) on a
// real SQLite file: decoding, signature checks, handlers, the app hash and
// the commit transaction.
func BenchmarkBlockOf1000RegistryTxs(b *testing.B) {
	c := newChain(b)
	const perBlock = 1000
	n := 0
	for b.Loop() {
		b.StopTimer()
		txs := make([][]byte, perBlock)
		for i := range txs {
			n++
			txs[i] = c.sign(c.admin, units(unit(fmt.Sprintf("%d-%d", n/100, n%100), fmt.Sprint(n/100), 9000, fmt.Sprintf("O-%d", n))))
		}
		b.StartTimer()
		for i, r := range c.block(txs...) {
			if r.Code != 0 {
				b.Fatalf("tx %d: code %d %s", i, r.Code, r.Log)
			}
		}
	}
	b.ReportMetric(float64(perBlock*b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkCheckTx measures admitting one signed tx to the mempool.
func BenchmarkCheckTx(b *testing.B) {
	c := newChain(b)
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		t := c.sign(c.admin, &tx.RoleGrant{Address: addr(key(fmt.Sprint(n))), Role: tx.RoleMediator})
		b.StartTimer()
		if code := c.check(t); code != 0 {
			b.Fatalf("code %v", code)
		}
	}
}
