package wxgroup

import (
	"context"
	"fmt"
	"time"

	"github.com/linli-community/linli/bot"
)

// CodeStore keeps the binding codes a group is bound with, by hash;
// *store.WxGroup implements it.
type CodeStore interface {
	// AddCode records a one-time code by its hash for a group tied to
	// building ("" for the whole community), valid until expires.
	AddCode(ctx context.Context, hash, building string, expires, now time.Time) error
}

// DefaultCodeTTL is how long a binding code binds when Codes.TTL is zero
// (linli.toml's [wxgroup] bindcode_ttl has the same default).
const DefaultCodeTTL = 24 * time.Hour

// Codes makes the codes that bind a group: an admin's 管理 绑群 in chat
// (it is the engine's bot.GroupCodes) and `linli wxgroup bindcode` both
// use it, so both make the same codes. Only the code's hash is stored.
type Codes struct {
	Store CodeStore
	// TTL is how long a code binds (DefaultCodeTTL when zero).
	TTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

var _ bot.GroupCodes = (*Codes)(nil)

// NewGroupCode implements bot.GroupCodes: it draws a code, stores its
// hash with building and the expiry, and returns the code in groups of
// four digits.
func (c *Codes) NewGroupCode(ctx context.Context, building string) (code string, expires time.Time, err error) {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultCodeTTL
	}
	code, hash, err := NewBindCode()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("wxgroup: draw a binding code: %w", err)
	}
	// Whole seconds: the expiry shown is the one stored.
	expires = now.Add(ttl).Truncate(time.Second)
	if err := c.Store.AddCode(ctx, hash, building, expires, now); err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}
