// Package tokencache is silenceper/wechat's cache.Cache for an access
// token, safe for concurrent use: the SDK's own memory cache reads its
// map without the lock. The official account (bot/wechatmp) and WeCom
// (bot/wecom) each keep one.
package tokencache

import (
	"sync"
	"time"
)

// Cache holds values until their time to live ends. The zero value is
// not ready; use New.
type Cache struct {
	mu sync.Mutex
	m  map[string]entry
}

type entry struct {
	v       any
	expires time.Time
}

// New returns an empty cache.
func New() *Cache { return &Cache{m: map[string]entry{}} }

// Get returns the value under key, or nil when there is none or it expired.
func (c *Cache) Get(key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		return nil
	}
	if !time.Now().Before(e.expires) {
		delete(c.m, key)
		return nil
	}
	return e.v
}

// Set keeps v under key for ttl.
func (c *Cache) Set(key string, v any, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = entry{v: v, expires: time.Now().Add(ttl)}
	return nil
}

// IsExist reports whether key holds a live value.
func (c *Cache) IsExist(key string) bool { return c.Get(key) != nil }

// Delete forgets key.
func (c *Cache) Delete(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
	return nil
}

// Clear forgets everything: a token the platform refused is fetched again.
func (c *Cache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}
