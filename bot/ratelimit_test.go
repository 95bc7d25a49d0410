package bot

import (
	"fmt"
	"testing"
	"time"
)

// The limiter's map never grows past maxBuckets, even when every user in
// it is still limited (none can be pruned).
func TestLimiterStaysBounded(t *testing.T) {
	l := &limiter{burst: 1, per: time.Hour, buckets: map[string]*bucket{}}
	now := time.Unix(1_800_000_000, 0)
	for i := range maxBuckets + 500 {
		now = now.Add(time.Millisecond)
		l.allow(fmt.Sprint("user-", i), now)
		if len(l.buckets) > maxBuckets {
			t.Fatalf("%d buckets after %d users, over %d", len(l.buckets), i+1, maxBuckets)
		}
	}
	// The newest users are remembered: still limited.
	if l.allow(fmt.Sprint("user-", maxBuckets+499), now) {
		t.Errorf("the latest user was forgotten")
	}
}
