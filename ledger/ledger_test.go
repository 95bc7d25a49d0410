package ledger

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"

	"github.com/linli-community/linli/node"
)

func TestClient(t *testing.T) {
	n := startNode(t)
	httpClient, err := Dial(n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpClient.Close() })

	for _, tc := range []struct {
		name string
		c    *Client
	}{
		{"HTTP", httpClient},
		{"Local", New(n.Local())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			t.Run("SubmitCommitsTx", func(t *testing.T) {
				key := "key-" + tc.name
				tx := []byte(key + "=v")
				r, err := c.Submit(ctx, tx)
				if err != nil {
					t.Fatal(err)
				}
				if r.Height <= 0 || r.Code != kvstore.CodeTypeOK || r.Hash != Hash(tx) {
					t.Errorf("receipt = %+v, want height > 0, code 0, hash %s", r, Hash(tx))
				}
				if len(r.Events) == 0 {
					t.Error("receipt has no events, want kvstore's")
				}

				got, err := c.query(ctx, "/store", []byte(key))
				if err != nil {
					t.Fatal(err)
				}
				if string(got.Value) != "v" || got.Code != 0 || got.Height < r.Height {
					t.Errorf("query %s = %+v, want value v, code 0, height >= %d", key, got, r.Height)
				}

				again, err := c.Submit(ctx, tx)
				if err != nil {
					t.Fatalf("resubmit: %v", err)
				}
				if again.Height != r.Height || again.Hash != r.Hash {
					t.Errorf("resubmit receipt = %+v, want the first one %+v", again, r)
				}
			})

			t.Run("SubmitReturnsCheckTxCode", func(t *testing.T) {
				r, err := c.Submit(ctx, []byte("no separator "+tc.name))
				if err != nil {
					t.Fatal(err)
				}
				if r.Code != kvstore.CodeTypeInvalidTxFormat || r.Height != 0 {
					t.Errorf("receipt = %+v, want code %d at height 0", r, kvstore.CodeTypeInvalidTxFormat)
				}
			})

			t.Run("QueryWithoutData", func(t *testing.T) {
				got, err := c.Query(ctx, "/store")
				if err != nil {
					t.Fatal(err)
				}
				if got.Code != 0 || got.Log != "does not exist" || got.Height <= 0 {
					t.Errorf("query = %+v, want code 0, kvstore's empty-key answer, height > 0", got)
				}
			})

			t.Run("WaitUnknownHashIsPending", func(t *testing.T) {
				hash := Hash([]byte("never submitted " + tc.name))
				short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
				r, err := c.Wait(short, hash)
				if !errors.Is(err, ErrPending) || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Wait err = %v, want ErrPending and DeadlineExceeded", err)
				}
				if r.Hash != hash || r.Height != 0 || !strings.Contains(err.Error(), hash) {
					t.Errorf("pending receipt = %+v, err %q; want hash %s in both", r, err, hash)
				}
			})

			t.Run("WaitRejectsBadHash", func(t *testing.T) {
				if _, err := c.Wait(ctx, "abc"); err == nil || errors.Is(err, ErrPending) {
					t.Errorf("Wait(abc) err = %v, want a bad-hash error", err)
				}
			})

			t.Run("StatusAdvances", func(t *testing.T) {
				h1, appHash, err := c.Status(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if h1 <= 0 || len(appHash) == 0 {
					t.Fatalf("status = %d, %X; want height > 0 and an app hash", h1, appHash)
				}
				for {
					h2, _, err := c.Status(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if h2 > h1 {
						break
					}
					select {
					case <-ctx.Done():
						t.Fatalf("height stuck at %d", h1)
					case <-time.After(20 * time.Millisecond):
					}
				}
			})
		})
	}
}

// The local client ignores contexts, so a cancelled Submit still reaches the
// mempool and ends pending; Wait then resumes it.
func TestSubmitPendingThenWait(t *testing.T) {
	n := startNode(t)
	c := New(n.Local())
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tx := []byte("pending=yes")
	r, err := c.Submit(cancelled, tx)
	if !errors.Is(err, ErrPending) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit with a cancelled context: err = %v, want ErrPending", err)
	}
	if r.Hash != Hash(tx) {
		t.Fatalf("pending receipt hash = %q, want %q", r.Hash, Hash(tx))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err = c.Wait(ctx, strings.ToUpper(r.Hash))
	if err != nil {
		t.Fatal(err)
	}
	if r.Height <= 0 || r.Code != 0 || r.Hash != Hash(tx) {
		t.Errorf("resumed receipt = %+v, want committed with hash %s", r, Hash(tx))
	}
}

func TestDialUnreachableNode(t *testing.T) {
	addr, err := node.FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, _, err = c.Status(ctx)
	want := "http://" + strings.TrimPrefix(addr, "tcp://")
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), want) {
		t.Errorf("Status err = %v, want ErrUnreachable naming %s", err, want)
	}
	r, err := c.Submit(ctx, []byte("k=v"))
	if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrPending) || r.Hash != Hash([]byte("k=v")) {
		t.Errorf("Submit = %+v, %v; want ErrUnreachable and the hash", r, err)
	}
}

func TestDialAddressForms(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"http://127.0.0.1:26657", "http://127.0.0.1:26657"},
		{"tcp://127.0.0.1:26657", "http://127.0.0.1:26657"},
		{"127.0.0.1:26657", "http://127.0.0.1:26657"},
		{" https://node.example:443/ ", "https://node.example:443"},
		{"unix:///tmp/rpc.sock", ""},
		{"http://", ""},
	} {
		c, err := Dial(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Dial(%q): got nil error", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("Dial(%q): %v", tc.in, err)
			continue
		}
		if c.addr != tc.want {
			t.Errorf("Dial(%q) address = %q, want %q", tc.in, c.addr, tc.want)
		}
	}
}

func TestHashIsCometBFTs(t *testing.T) {
	// The SHA-256 test vector for "abc".
	if got, want := Hash([]byte("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("Hash(abc) = %s, want %s", got, want)
	}
}

// startNode starts a fresh single-validator kvstore chain on free loopback
// ports and closes it when the test ends. Its log is shown only on failure.
func startNode(tb testing.TB) *node.Node {
	tb.Helper()
	addrs, err := node.FreeLoopbackAddrs(2)
	if err != nil {
		tb.Fatal(err)
	}
	rpcAddr, p2pAddr := addrs[0], addrs[1]
	home := tb.TempDir()
	_, _, err = node.InitHome(node.HomeOptions{
		Home:          home,
		ChainID:       "linli-test",
		RPCListen:     rpcAddr,
		P2PListen:     p2pAddr,
		TimeoutCommit: 100 * time.Millisecond, EmptyBlocksInterval: 250 * time.Millisecond,
	})
	if err != nil {
		tb.Fatal(err)
	}

	log := &syncBuffer{}
	logger, err := node.NewLogger(log, "info")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("node log:\n%s", log)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := node.Start(ctx, home, kvstore.NewInMemoryApplication(), logger)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := n.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return n
}

type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
