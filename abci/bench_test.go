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

// BenchmarkBlockOf1Bind measures FinalizeBlock plus Commit of a block
// holding one member.bind with the right proof: what every node pays per
// bind. (Before issue #18 this ran PBKDF2 with 100,000 iterations; now it
// is one ed25519 check of the proof.)
func BenchmarkBlockOf1Bind(b *testing.B) {
	c := newChain(b)
	c.mustOK(c.sign(c.admin, units(unit("3-502", "3", 8950, "O-7"))))
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		c.mustOK(c.issueCode("3-502", tx.RelationOwner, "4821503967120388"))
		bind := c.sign(key(fmt.Sprint("resident", n)), &tx.MemberBind{Unit: "3-502", Relation: tx.RelationOwner, Code: "4821503967120388"})
		b.StartTimer()
		if r := c.block(bind); r[0].Code != 0 {
			b.Fatalf("bind: code %d %s", r[0].Code, r[0].Log)
		}
	}
}
