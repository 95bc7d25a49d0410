package bot

import (
	"slices"
	"sync"
	"time"
)

type rateVerdict int

const (
	rateOK   rateVerdict = iota
	rateWarn             // over the limit: say so once
	rateDrop             // still over the limit: stay silent
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
	warned bool
}

// maxBuckets bounds the limiter's memory; beyond it, full buckets (users
// who have been quiet) are forgotten.
const maxBuckets = 10_000

func (l *limiter) allow(key string, now time.Time) rateVerdict {
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
		b.warned = false
		return rateOK
	}
	if b.warned {
		return rateDrop
	}
	b.warned = true
	return rateWarn
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
