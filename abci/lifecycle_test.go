package abci_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci/tx"
)

// scriptBlocks returns a fixed mixed workload, signed once, so several
// chains can apply exactly the same bytes: registrations, codes, right and
// wrong binds, revocations, role changes, and garbage.
func scriptBlocks(c *testChain) [][][]byte {
	var blocks [][][]byte
	var specs []tx.UnitSpec
	for b := 1; b <= 3; b++ {
		for f := 1; f <= 4; f++ {
			specs = append(specs, unit(fmt.Sprintf("%d-%d01", b, f), fmt.Sprint(b), int64(8000+b*100+f), fmt.Sprintf("O-%d", (b*f)%5)))
		}
	}
	blocks = append(blocks, [][]byte{c.sign(c.admin, units(specs...))})
	blocks = append(blocks, [][]byte{
		c.issueCode("1-101", tx.RelationOwner, "11111111"),
		c.issueCode("2-201", tx.RelationTenant, "22222222"),
		[]byte("garbage"),
	})
	blocks = append(blocks, [][]byte{
		c.sign(key("r1"), &tx.MemberBind{Unit: "1-101", Relation: tx.RelationOwner, Code: "11111111"}),
		c.sign(key("r2"), &tx.MemberBind{Unit: "2-201", Relation: tx.RelationTenant, Code: "99999999"}),
		c.sign(key("r3"), &tx.MemberBind{Unit: "2-201", Relation: tx.RelationTenant, Code: "22222222"}),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("r1")), Role: tx.RoleTreasurer}),
	})
	blocks = append(blocks, [][]byte{
		c.sign(c.admin, units(unit("1-101", "1", 8101, "O-new"))),
		c.sign(c.admin, &tx.MemberRevoke{Address: addr(key("r3")), Reason: "搬离"}),
	})
	blocks = append(blocks, nil) // an empty block
	return blocks
}

func (c *testChain) run(blocks [][][]byte) [][]byte {
	var hashes [][]byte
	for _, b := range blocks {
		c.block(b...)
		hashes = append(hashes, c.appHash())
	}
	return hashes
}

func TestSameBlocksGiveSameHashesOnFreshStores(t *testing.T) {
	a, b := newChain(t), newChain(t)
	blocks := scriptBlocks(a)
	ha, hb := a.run(blocks), b.run(blocks)
	for i := range ha {
		if !bytes.Equal(ha[i], hb[i]) {
			t.Fatalf("height %d: app hashes differ: %x vs %x", i+1, ha[i], hb[i])
		}
		// Every block of the script writes state but the last, which is
		// empty: it must keep the hash, or an idle chain never stops.
		if changed, empty := i > 0 && !bytes.Equal(ha[i], ha[i-1]), len(blocks[i]) == 0; i > 0 && changed == empty {
			t.Errorf("height %d: app hash changed = %v, want %v", i+1, changed, !empty)
		}
	}
	// The block time is kept beside the height, outside the hashed state:
	// both stores must still agree on it, and on the height.
	var va, vb chainView
	a.query("chain", &va)
	b.query("chain", &vb)
	if va != vb || va.BlockTime != a.time.Unix() || va.Height != int64(len(blocks)) {
		t.Errorf("chain query on two stores: %+v and %+v, want height %d, time %d", va, vb, len(blocks), a.time.Unix())
	}
}

// TestCrashBetweenFinalizeAndCommit stops the app after FinalizeBlock and
// before Commit, reopens it from disk, and replays the block as CometBFT's
// handshake would: the state resumes at the last commit and the replayed
// block yields the same app hash as an uninterrupted run.
func TestCrashBetweenFinalizeAndCommit(t *testing.T) {
	ref := newChain(t)
	blocks := scriptBlocks(ref)
	want := ref.run(blocks)

	c := newChain(t)
	last := len(blocks) - 2 // crash while finalizing the revocation block
	c.run(blocks[:last])
	fin := c.finalize(blocks[last]...)
	if !bytes.Equal(fin.AppHash, want[last]) {
		t.Fatalf("finalized hash %x, want %x", fin.AppHash, want[last])
	}
	c.store.Close() // the process dies: nothing after FinalizeBlock reached disk
	c.open()
	info, err := c.app.Info(context.Background(), &abcitypes.RequestInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if info.LastBlockHeight != int64(last) || !bytes.Equal(info.LastBlockAppHash, want[last-1]) {
		t.Fatalf("after restart Info = height %d hash %x, want %d %x", info.LastBlockHeight, info.LastBlockAppHash, last, want[last-1])
	}
	c.time = c.time.Add(-time.Second) // CometBFT replays the same block
	got := c.run(blocks[last:])
	for i := range got {
		if !bytes.Equal(got[i], want[last+i]) {
			t.Fatalf("height %d after replay: %x, want %x", last+i+1, got[i], want[last+i])
		}
	}
	// What was committed before the crash is still there, and the
	// replayed block's owner change revoked r1's binding.
	var m struct {
		Roles []string
		Unit  string
	}
	c.query("members/"+string(addr(key("r1"))), &m)
	if len(m.Roles) != 1 || m.Roles[0] != tx.RoleTreasurer || m.Unit != "" {
		t.Errorf("member r1 after crash and replay = %+v, want treasurer, unbound", m)
	}
}

// TestReplayFromGenesisRebuildsDeletedState rebuilds a lost app.db from
// genesis and the block history, as a node does when its app.db is deleted.
func TestReplayFromGenesisRebuildsDeletedState(t *testing.T) {
	ref := newChain(t)
	blocks := scriptBlocks(ref)
	want := ref.run(blocks)
	again := newChain(t) // an empty store: InitChain, then every block
	got := again.run(blocks)
	if !bytes.Equal(got[len(got)-1], want[len(want)-1]) {
		t.Fatalf("replayed hash %x, want %x", got[len(got)-1], want[len(want)-1])
	}
}
