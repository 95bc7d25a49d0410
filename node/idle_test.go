package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/internal/testnode"
)

// TestIdleChainStopsButTalliesOnTime runs a real node with the linli app
// and an empty-block interval of one second: a poll is tallied within two
// intervals (and a little slack for a busy machine) of its end, although
// no tx comes to make a block, and the idle chain then makes one block
// per interval, all with the same app hash, instead of one per
// timeout_commit (100 ms).
func TestIdleChainStopsButTalliesOnTime(t *testing.T) {
	const interval = time.Second
	seed := sha256.Sum256([]byte("idle admin"))
	admin := ed25519.NewKeyFromSeed(seed[:])
	g := abci.GenesisState{Community: "阳光花园", Admins: []tx.Address{tx.AddressOf(admin.Public().(ed25519.PublicKey))}, Params: abci.DefaultParams()}
	n, _ := testnode.Start(t, testnode.Options{ChainID: "linli-idle", Genesis: g, TimeoutCommit: 100 * time.Millisecond, EmptyBlocks: interval})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	blocks, err := n.Local().Subscribe(ctx, "idle-test", types.EventQueryNewBlock.String(), 100)
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(3 * time.Second).Truncate(time.Second)
	poll := tx.New("linli-idle", 1, &tx.PollOpen{Title: "中秋活动", Options: []string{"周五", "周六"}, VoteStart: time.Now().Unix(), VoteEnd: end.Unix()})
	poll.Sign(admin)
	res, err := n.Local().BroadcastTxCommit(ctx, poll.Encode())
	if err != nil || res.CheckTx.Code != 0 || res.TxResult.Code != 0 {
		t.Fatalf("poll.open: %v %+v", err, res)
	}

	status := func() string {
		q, err := n.Local().ABCIQuery(ctx, "proposals/1", nil)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Status string `json:"status"`
		}
		json.Unmarshal(q.Response.Value, &p)
		return p.Status
	}
	next := func() *types.Block {
		select {
		case ev := <-blocks:
			return ev.Data.(types.EventDataNewBlock).Block
		case <-ctx.Done():
			t.Fatalf("no block: %v", ctx.Err())
			return nil
		}
	}
	for status() != abci.StatusClosed {
		next()
	}
	if late := time.Since(end); late > 2*interval+3*time.Second {
		t.Errorf("poll tallied %v after its end, want within two %v intervals and 3 s of slack", late, interval)
	}

	// Drain what came before the tally, then watch the idle chain.
	for len(blocks) > 0 {
		<-blocks
	}
	next() // the tally's block or the one that signs its app hash
	start := time.Now()
	var idle []*types.Block
	for range 3 {
		idle = append(idle, next())
	}
	// The last two come at least two blocks after the tally: nothing
	// changed since, so their headers carry the same app hash.
	if a, b := idle[1], idle[2]; !bytes.Equal(a.AppHash, b.AppHash) {
		t.Errorf("idle blocks %d and %d have app hashes %X and %X", a.Height, b.Height, a.AppHash, b.AppHash)
	}
	// Three blocks at timeout_commit would take 0.3 s; at the interval, 3 s.
	if took := time.Since(start); took < 2*interval {
		t.Errorf("three idle blocks came in %v, want about one per %v", took, interval)
	}
}
