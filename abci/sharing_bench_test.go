package abci_test

import (
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// BenchmarkBookingBlocks measures one parking space's busy calendar: a
// block of 500 signed booking requests (consecutive hours, later than every
// booking so far, by an owner), then a block accepting all 500, through
// FinalizeBlock and Commit on SQLite. Accepted bookings are never returned,
// so each iteration's overlap checks run against every earlier one still
// in the running index.
func BenchmarkBookingBlocks(b *testing.B) {
	c := communityWith(b, func(*abci.Params) {})
	c.mustOK(postItem(c, "dev", tx.ItemParking, tx.Terms{Price: 500, Per: tx.PerHour}))
	const perBlock = 500
	next := c.time.Add(24 * time.Hour)
	var id uint64
	var requests, accepts time.Duration
	for b.Loop() {
		b.StopTimer()
		reqs := make([][]byte, perBlock)
		for i := range reqs {
			reqs[i] = requestBooking(c, "o2", 1, next, next.Add(time.Hour))
			next = next.Add(time.Hour)
		}
		accs := make([][]byte, perBlock)
		for i := range accs {
			id++
			accs[i] = acceptBooking(c, "dev", id)
		}
		b.StartTimer()
		t0 := time.Now()
		c.mustOK(reqs...)
		t1 := time.Now()
		c.mustOK(accs...)
		requests += t1.Sub(t0)
		accepts += time.Since(t1)
	}
	b.ReportMetric(float64(requests.Microseconds())/float64(b.N*perBlock), "request-µs/tx")
	b.ReportMetric(float64(accepts.Microseconds())/float64(b.N*perBlock), "accept-µs/tx")
}
