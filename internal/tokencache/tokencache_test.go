package tokencache

import (
	"testing"
	"time"
)

func TestCacheExpiresAndClears(t *testing.T) {
	c := New()
	c.Set("token", "abc", time.Hour)
	c.Set("old", "x", -time.Second)
	if got := c.Get("token"); got != "abc" || !c.IsExist("token") {
		t.Errorf("token = %v, want abc", got)
	}
	if c.Get("old") != nil || c.IsExist("old") {
		t.Error("an expired value is still there")
	}
	c.Delete("token")
	if c.Get("token") != nil {
		t.Error("a deleted value is still there")
	}
	c.Set("token", "def", time.Hour)
	c.Clear()
	if c.Get("token") != nil {
		t.Error("Clear kept a value")
	}
}
