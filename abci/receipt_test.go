package abci_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// statedWrites decodes a result's Info, the writes its Data digests.
func statedWrites(t *testing.T, r *abcitypes.ExecTxResult) []abci.Write {
	t.Helper()
	var ws []abci.Write
	if err := json.Unmarshal([]byte(r.Info), &ws); err != nil {
		t.Fatalf("result info %q: %v", r.Info, err)
	}
	return ws
}

// TestTxDataDigestsTheStatedWrites wants every committed tx's Data to be
// TxData of the writes its Info states, those writes to be what state now
// holds, and a rejected tx to state and digest nothing.
func TestTxDataDigestsTheStatedWrites(t *testing.T) {
	c := newChain(t)
	c.mustOK(c.sign(c.admin, &tx.RoleGrant{Address: addr(key("treasurer")), Role: tx.RoleTreasurer}))
	results := c.block(
		c.sign(c.admin, units(unit("3-501", "3", 10000, "O-1"))),
		record(c, "treasurer", tx.EntryIncome, "mgmt", 12_000, "物业费"),
		record(c, "treasurer", tx.EntryIncome, "nosuch", 12_000, "物业费"),
	)
	for i, r := range results[:2] {
		if r.Code != 0 {
			t.Fatalf("tx %d: code %d %s", i, r.Code, r.Log)
		}
		ws := statedWrites(t, r)
		if got := abci.TxData(ws); !bytes.Equal(got, r.Data) || len(r.Data) != sha256.Size {
			t.Errorf("tx %d: Data %x, TxData of its Info %x", i, r.Data, got)
		}
		if len(ws) < 2 {
			t.Errorf("tx %d states %d writes, want its record and its signer's nonce", i, len(ws))
		}
	}
	ws := statedWrites(t, results[1])
	var entry abci.Entry
	found := false
	for _, w := range ws {
		if w.Key == "ledger/entry/00000000000000000001" {
			found = json.Unmarshal(w.Value, &entry) == nil
		}
	}
	if !found || entry.Account != "mgmt" || entry.Amount != 12_000 {
		t.Errorf("entry tx states %s, want entry 1 of 120 元 into mgmt", results[1].Info)
	}
	if r := results[2]; r.Code == 0 || len(r.Data) != 0 || r.Info != "" {
		t.Errorf("rejected tx: code %d, Data %x, Info %q; want a code and nothing stated", r.Code, r.Data, r.Info)
	}
	// Tampering with a stated value changes the digest.
	ws[0].Value = append(bytes.Clone(ws[0].Value), ' ')
	if bytes.Equal(abci.TxData(ws), results[1].Data) {
		t.Error("a changed write digests the same")
	}
}

// TestBlockWritesRecomputeAppHash wants blocks/H/writes of a block that
// closed a decision to give, from the app hash before it, exactly the app
// hash after it, and no answer for blocks whose writes are not kept.
func TestBlockWritesRecomputeAppHash(t *testing.T) {
	c := community(t)
	now := c.time
	start, end := now.Add(16*day), now.Add(17*day)
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "续聘物业", Class: tx.ClassOrdinary, NoticeAt: now.Add(day).Unix(), VoteStart: start.Unix(), VoteEnd: end.Unix()}))
	c.at(start)
	c.mustOK(vote(c, "w1", 1, tx.DecisionOptionNo))
	voted := c.height
	prev := c.appHash()
	c.at(end)
	c.block(vote(c, "o2", 1, tx.DecisionOptionYes)) // too late: the block closes first
	var bw abci.BlockWrites
	if code := c.query(fmt.Sprintf("blocks/%d/writes", c.height), &bw); code != 0 {
		t.Fatalf("closing block writes: %v", code)
	}
	next := c.appHash()
	if got := abci.AppHash(prev, c.height, bw.Writes); !bytes.Equal(got, next) {
		t.Errorf("closing block %d: recomputed app hash %x, committed %x", c.height, got, next)
	}
	bw.Writes[0].Value = append(bw.Writes[0].Value, '!')
	if bytes.Equal(abci.AppHash(prev, c.height, bw.Writes), next) {
		t.Errorf("a changed write gives the same app hash")
	}
	for _, path := range []string{fmt.Sprintf("blocks/%d/writes", voted), "blocks/0/writes", "blocks/x/writes", fmt.Sprintf("blocks/%d/writes", c.height+1)} {
		if code := c.query(path, nil); code != abci.CodeQueryBad && code != abci.CodeQueryNotFound {
			t.Errorf("%s: code %v, want a refusal", path, code)
		}
	}
}

func TestWritesJSONIsJSON(t *testing.T) {
	ws := []abci.Write{{Key: "a/\"b\"", Value: []byte("{\"t\":\"阳光\\n<&>\u0001\t\"}")}, {Key: "gone"}, {Key: "e", Value: []byte{}}}
	b := abci.WritesJSON(ws)
	var back []abci.Write
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("WritesJSON = %s: %v", b, err)
	}
	if !bytes.Equal(abci.EncodeWrites(back), abci.EncodeWrites(ws)) {
		t.Errorf("WritesJSON round trip = %q, want %q", back, ws)
	}
	std, _ := json.Marshal(ws)
	var viaStd []abci.Write
	json.Unmarshal(std, &viaStd)
	if !bytes.Equal(abci.EncodeWrites(viaStd), abci.EncodeWrites(back)) {
		t.Errorf("WritesJSON and json.Marshal disagree: %s / %s", b, std)
	}
}

func TestWritesEncodingRoundTrips(t *testing.T) {
	ws := []abci.Write{{Key: "a", Value: []byte(`{"x":"<&>"}`)}, {Key: "b"}, {Key: "c", Value: []byte{}}}
	got, err := abci.DecodeWrites(abci.EncodeWrites(ws))
	if err != nil || len(got) != 3 || string(got[0].Value) != `{"x":"<&>"}` || got[1].Value != nil || got[2].Value == nil {
		t.Fatalf("DecodeWrites(EncodeWrites) = %q, %v", got, err)
	}
	var back []abci.Write
	if err := json.Unmarshal(tx.Canonical(ws), &back); err != nil || !bytes.Equal(abci.EncodeWrites(back), abci.EncodeWrites(ws)) {
		t.Fatalf("JSON round trip = %q, %v", back, err)
	}
	enc := abci.EncodeWrites(ws)
	for _, bad := range [][]byte{enc[:5], enc[:len(enc)-1], append(bytes.Clone(enc[:9]), 7)} {
		if _, err := abci.DecodeWrites(bad); err == nil {
			t.Errorf("DecodeWrites(%x) accepted a truncated or corrupt set", bad)
		}
	}
}

// closedDecision runs community's decision 1 to its close: O-1 votes
// twice (the later ballot counts), O-2 agrees, O-3 abstains, the developer
// stays away. It returns the chain and the closing height.
func closedDecision(t *testing.T) *testChain {
	c := community(t)
	now := c.time
	start, end := now.Add(16*day), now.Add(17*day)
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "续聘物业", Class: tx.ClassOrdinary, NoticeAt: now.Add(day).Unix(), VoteStart: start.Unix(), VoteEnd: end.Unix()}))
	c.at(start)
	c.mustOK(vote(c, "w1", 1, tx.DecisionOptionNo), vote(c, "o2", 1, tx.DecisionOptionYes), vote(c, "o3", 1, tx.DecisionOptionAbs))
	c.mustOK(vote(c, "w2", 1, tx.DecisionOptionYes))
	c.at(end)
	c.block()
	return c
}

// rfc6962 is an independent Merkle root (RFC 6962, as CometBFT's
// crypto/merkle documents it), so the test does not check the library
// against itself.
func rfc6962(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		s := sha256.Sum256(nil)
		return s[:]
	case 1:
		s := sha256.Sum256(append([]byte{0}, leaves[0]...))
		return s[:]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	s := sha256.Sum256(append(append([]byte{1}, rfc6962(leaves[:k])...), rfc6962(leaves[k:])...))
	return s[:]
}

// TestDecisionRootFromPublishedRows recomputes a closed decision's root
// from the published result alone, without DecisionLeaves, and checks
// every voter's proof against it.
func TestDecisionRootFromPublishedRows(t *testing.T) {
	c := closedDecision(t)
	var res struct {
		abci.Result
		Rows []abci.ResultRow `json:"rows"`
	}
	if code := c.query("proposals/1/result", &res); code != 0 {
		t.Fatalf("result: %v", code)
	}
	// The leaves as the README states them: per owner who voted, in
	// byte order, units sorted, areas summed; then the tally.
	type ballotLeaf struct {
		Kind     string   `json:"kind"`
		Proposal uint64   `json:"proposal"`
		Owner    string   `json:"owner"`
		Units    []string `json:"units"`
		Area     int64    `json:"area"`
		Choice   string   `json:"choice"`
		TxHash   string   `json:"tx_hash"`
		Height   int64    `json:"height"`
	}
	byOwner := map[string]*ballotLeaf{}
	for _, r := range res.Rows {
		if r.TxHash == "" {
			continue
		}
		if byOwner[r.Owner] == nil {
			byOwner[r.Owner] = &ballotLeaf{"ballot", 1, r.Owner, nil, 0, r.Choice, r.TxHash, r.Height}
		}
		byOwner[r.Owner].Units = append(byOwner[r.Owner].Units, r.Unit)
		byOwner[r.Owner].Area += r.Area
	}
	var owners []string
	for o := range byOwner {
		owners = append(owners, o)
	}
	sort.Strings(owners)
	var leaves [][]byte
	for _, o := range owners {
		sort.Strings(byOwner[o].Units)
		b, _ := json.Marshal(byOwner[o])
		leaves = append(leaves, b)
	}
	tallyLeaf, _ := json.Marshal(struct {
		Kind         string             `json:"kind"`
		Proposal     uint64             `json:"proposal"`
		Class        string             `json:"class"`
		Outcome      string             `json:"outcome"`
		Tally        *abci.Tally        `json:"tally"`
		Counts       []abci.OptionCount `json:"counts"`
		ClosedHeight int64              `json:"closed_height"`
	}{"tally", 1, res.Class, res.Outcome, res.Tally, res.Counts, res.ClosedHeight})
	leaves = append(leaves, tallyLeaf)
	if got := hex.EncodeToString(rfc6962(leaves)); got != res.Root || len(owners) != 3 {
		t.Fatalf("root from %d published owners = %s, result states %s", len(owners), got, res.Root)
	}
	if o1 := byOwner["O-1"]; o1.Choice != "同意" || o1.Area != 19000 || len(o1.Units) != 2 {
		t.Errorf("O-1's leaf = %+v, want w2's later 同意 over both units", o1)
	}
	for i, o := range owners {
		var p abci.BallotProof
		if code := c.query("proposals/1/proof/"+o, &p); code != 0 {
			t.Fatalf("proof %s: %v", o, code)
		}
		root, _ := hex.DecodeString(p.Root)
		if p.Ballot.Leaf != string(leaves[i]) || p.Tally.Leaf != string(tallyLeaf) || p.Root != res.Root || p.ClosedHeight != c.height {
			t.Errorf("%s: proof states leaf %s, tally %s at %d", o, p.Ballot.Leaf, p.Tally.Leaf, p.ClosedHeight)
		}
		for _, lp := range []abci.LeafProof{p.Ballot, p.Tally} {
			mp := merkle.Proof{Total: lp.Total, Index: lp.Index, LeafHash: leafHash([]byte(lp.Leaf))}
			for _, a := range lp.Aunts {
				h, _ := hex.DecodeString(a)
				mp.Aunts = append(mp.Aunts, h)
			}
			if err := mp.Verify(root, []byte(lp.Leaf)); err != nil {
				t.Errorf("%s: leaf %d does not verify: %v", o, lp.Index, err)
			}
			if err := mp.Verify(root, []byte(lp.Leaf+" ")); err == nil {
				t.Errorf("%s: a changed leaf verifies", o)
			}
		}
	}
	for _, path := range []string{"proposals/1/proof/developer", "proposals/1/proof/nobody", "proposals/9/proof/O-1"} {
		if code := c.query(path, nil); code != abci.CodeQueryNotFound {
			t.Errorf("%s: code %v, want not found", path, code)
		}
	}
}

func leafHash(leaf []byte) []byte {
	s := sha256.Sum256(append([]byte{0}, leaf...))
	return s[:]
}

// TestClosingBlockProvesTheRoot wants the closing block's write set to
// recompute its app hash and to hold the result that states the root.
func TestClosingBlockProvesTheRoot(t *testing.T) {
	c := closedDecision(t)
	var bw abci.BlockWrites
	if code := c.query(fmt.Sprintf("blocks/%d/writes", c.height), &bw); code != 0 {
		t.Fatalf("closing block writes: %v", code)
	}
	var res abci.Result
	for _, w := range bw.Writes {
		if w.Key == "result/00000000000000000001" {
			json.Unmarshal(w.Value, &res)
		}
	}
	var stated abci.Result
	c.query("proposals/1/result", &stated)
	if res.Root == "" || res.Root != stated.Root || res.ClosedHeight != c.height {
		t.Errorf("closing block writes result %+v, the query states root %s", res, stated.Root)
	}
}

// TestReceiptStateIsDeterministic runs the same decision on two chains
// over their own files and wants the same Data for every tx, the same
// root and the same app hash.
func TestReceiptStateIsDeterministic(t *testing.T) {
	a, b := closedDecision(t), closedDecision(t)
	if !bytes.Equal(a.appHash(), b.appHash()) {
		t.Fatalf("app hashes differ: %x / %x", a.appHash(), b.appHash())
	}
	var ra, rb abci.Result
	a.query("proposals/1/result", &ra)
	b.query("proposals/1/result", &rb)
	if ra.Root == "" || ra.Root != rb.Root {
		t.Errorf("roots %q / %q", ra.Root, rb.Root)
	}
	x := a.sign(key("treasurer"), &tx.EntryRecord{Kind: tx.EntryIncome, Account: "mgmt", Amount: 1, Category: "x"})
	g := a.sign(a.admin, &tx.RoleGrant{Address: addr(key("treasurer")), Role: tx.RoleTreasurer})
	r1, r2 := a.block(g, x), b.block(g, x)
	for i := range r1 {
		if !bytes.Equal(r1[i].Data, r2[i].Data) || r1[i].Info != r2[i].Info || len(r1[i].Data) == 0 {
			t.Errorf("tx %d: Data %x / %x", i, r1[i].Data, r2[i].Data)
		}
	}
}
