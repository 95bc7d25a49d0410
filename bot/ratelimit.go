package bot

import (
	"slices"
	"sync"
	"time"
)

// limiter is a token bucket per user, in memory: burst messages at once,
// refilled evenly over per.
type limiter struct {
	burst int
	per   time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the limiter's memory; beyond it, full buckets (users
// who have been quiet) are forgotten.
const maxBuckets = 10_000

// allow reports whether the user's message is within the limit.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.prune(now)
		}
		if len(l.buckets) >= maxBuckets {
			l.evictOldest()
		}
		b = &bucket{tokens: float64(l.burst), last: now}
		l.buckets[key] = b
	}
	b.tokens = min(float64(l.burst), b.tokens+float64(now.Sub(b.last))/float64(l.per)*float64(l.burst))
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.last))/float64(l.per)*float64(l.burst) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
}

// evictOldest forgets the half of the buckets used longest ago, when even
// the pruned map is full (many users active at once): it never grows past
// maxBuckets.
func (l *limiter) evictOldest() {
	lasts := make([]time.Time, 0, len(l.buckets))
	for _, b := range l.buckets {
		lasts = append(lasts, b.last)
	}
	slices.SortFunc(lasts, time.Time.Compare)
	cut := lasts[len(lasts)/2]
	for k, b := range l.buckets {
		if !b.last.After(cut) {
			delete(l.buckets, k)
		}
	}
}
