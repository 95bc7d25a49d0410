package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestWechatMessagesAreHandledOnce(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "gateway.db")
	w := mustOpenGateway(t, file).Wechat()
	at := time.UnixMilli(1_790_000_000_000)

	fresh, answered, reply, err := w.BeginMessage(ctx, "msg:1", "oA", "addrA", at, nil)
	if err != nil || !fresh || answered || reply != "" {
		t.Fatalf("first delivery = %v %v %q %v; want fresh", fresh, answered, reply, err)
	}
	fresh, answered, _, err = w.BeginMessage(ctx, "msg:1", "oA", "addrA", at.Add(time.Second), nil)
	if err != nil || fresh || answered {
		t.Fatalf("retry in flight = fresh %v answered %v %v; want neither", fresh, answered, err)
	}
	if err := w.FinishMessage(ctx, "msg:1", "回执"); err != nil {
		t.Fatal(err)
	}
	// The answer survives reopening the file.
	w = mustOpenGateway(t, file).Wechat()
	fresh, answered, reply, err = w.BeginMessage(ctx, "msg:1", "oA", "addrA", at.Add(2*time.Second), nil)
	if err != nil || fresh || !answered || reply != "回执" {
		t.Fatalf("retry after reopen = %v %v %q %v; want the stored reply", fresh, answered, reply, err)
	}

	if n, err := w.PruneMessages(ctx, at.Add(time.Millisecond)); err != nil || n != 1 {
		t.Fatalf("prune = %d, %v; want 1", n, err)
	}
	if fresh, _, _, _ := w.BeginMessage(ctx, "msg:1", "oA", "addrA", at, nil); !fresh {
		t.Error("a pruned message is not fresh")
	}
}

func TestWechatConcurrentDeliveriesOneFresh(t *testing.T) {
	ctx := context.Background()
	w := mustOpenGateway(t, filepath.Join(t.TempDir(), "gateway.db")).Wechat()
	var mu sync.Mutex
	fresh := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			f, _, _, err := w.BeginMessage(ctx, "msg:7", "oA", "addrA", time.Now(), nil)
			if err != nil {
				t.Error(err)
			}
			if f {
				mu.Lock()
				fresh++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if fresh != 1 {
		t.Errorf("%d of 8 concurrent deliveries were fresh, want 1", fresh)
	}
}

func TestWechatUsers(t *testing.T) {
	ctx := context.Background()
	w := mustOpenGateway(t, filepath.Join(t.TempDir(), "gateway.db")).Wechat()
	t0 := time.UnixMilli(1_790_000_000_000)
	w.BeginMessage(ctx, "msg:1", "oB", "addrB", t0, nil)
	w.BeginMessage(ctx, "msg:2", "oA", "addrA", t0, nil)
	w.BeginMessage(ctx, "msg:3", "oA", "addrA", t0.Add(time.Hour), nil)
	// Unfollowing is not a message: it keeps the last message's time.
	if err := w.SetSubscribed(ctx, "oA", "addrA", false, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	u, ok, err := w.User(ctx, "oA")
	if err != nil || !ok || u.Subscribed || u.Address != "addrA" || !u.LastSeen.Equal(t0.Add(time.Hour)) || !u.FirstSeen.Equal(t0) {
		t.Errorf("oA = %+v %v %v", u, ok, err)
	}
	var got []string
	w.EachUser(ctx, func(openid, address string, subscribed bool, lastSeen time.Time) error {
		got = append(got, openid+"/"+address)
		return nil
	})
	if len(got) != 2 || got[0] != "oA/addrA" || got[1] != "oB/addrB" {
		t.Errorf("users %v", got)
	}
	if err := w.SetSubscribed(ctx, "oA", "addrA", true, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if u, _, _ := w.User(ctx, "oA"); !u.Subscribed || !u.LastSeen.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("after following again: %+v", u)
	}
	if _, ok, _ := w.User(ctx, "oNobody"); ok {
		t.Error("an unknown openid was found")
	}
}

func TestWechatState(t *testing.T) {
	ctx := context.Background()
	w := mustOpenGateway(t, filepath.Join(t.TempDir(), "gateway.db")).Wechat()
	if _, ok, err := w.GetState(ctx, "proposal/1"); ok || err != nil {
		t.Fatalf("empty state: %v %v", ok, err)
	}
	w.PutState(ctx, "proposal/1", "open", time.Now())
	w.PutState(ctx, "proposal/1", "open,result", time.Now())
	if v, ok, err := w.GetState(ctx, "proposal/1"); !ok || err != nil || v != "open,result" {
		t.Errorf("state = %q %v %v", v, ok, err)
	}
}
