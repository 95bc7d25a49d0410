package bot

import (
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
