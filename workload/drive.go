package workload

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/ledger"
)

// Receipt is a committed tx of a Drive, with the op that made it.
type Receipt struct {
	ledger.Receipt
	Op     string
	Sender int
}

// Drive sends the community's load until ctx ends: every sender (see
// Senders) submits its next tx and waits for its commit, one at a time,
// through clients[sender % len(clients)]. Each
// committed tx is passed to got, from several goroutines at once. A node
// that does not answer, a tx that outlives its wait or a nonce the chain
// disagrees with makes the sender pause, move to the next client and
// re-read its nonce from the chain, so Drive survives nodes that stop and
// restart. Drive returns when every sender has stopped.
func (c *Community) Drive(ctx context.Context, clients []*ledger.Client, wait time.Duration, got func(Receipt)) {
	var wg sync.WaitGroup
	for i, s := range c.Senders() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.drive(ctx, clients, i, wait, got)
		}()
	}
	wg.Wait()
}

func (s *Sender) drive(ctx context.Context, clients []*ledger.Client, k int, wait time.Duration, got func(Receipt)) {
	stale := false
	pause := func() bool {
		k++
		stale = true
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
			return true
		}
	}
	for ctx.Err() == nil {
		lc := clients[k%len(clients)]
		if stale {
			if err := s.resync(ctx, lc); err != nil {
				if !pause() {
					return
				}
				continue
			}
			stale = false
		}
		raw, op := s.Next()
		wctx, cancel := context.WithTimeout(ctx, wait)
		r, err := lc.Broadcast(wctx, raw)
		if err == nil && r.Code == 0 {
			r, err = lc.Wait(wctx, r.Hash)
		}
		cancel()
		switch {
		case err != nil && IsMempoolFull(err):
			s.nonce--
			s.seq--
			time.Sleep(20 * time.Millisecond)
		case err != nil || r.Height == 0:
			// Unreachable, pending, or CheckTx refused it (a nonce the
			// chain disagrees with after a restart): start over from the
			// chain's view.
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return
			}
			if !pause() {
				return
			}
		default:
			got(Receipt{Receipt: r, Op: op, Sender: s.Index})
			if r.Code == uint32(abci.CodeNonceStale) || r.Code == uint32(abci.CodeNonceFuture) {
				stale = true
			}
		}
	}
}
