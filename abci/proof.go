package abci

import (
	"encoding/hex"
	"sort"

	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/linli-community/linli/abci/tx"
)

// A decision's result carries a Merkle root (Result.Root) over its counted
// ballots and its tally, so one owner can be shown the ballot counted for
// them without being shown anyone's rows but the root's. The leaves follow
// from the published result rows alone (DecisionLeaves), so anyone holding
// proposals/ID/result can recompute the root; proposals/ID/proof/OWNER
// returns an owner's leaf and the tally's with their proofs.

// Leaf kinds.
const (
	LeafBallot = "ballot"
	LeafTally  = "tally"
)

// CountedBallot is a leaf of a decision's root: an owner who voted, with
// the units and area (the ballot's weight) that counted for them, the
// option chosen, and the ballot tx that the tally counted.
type CountedBallot struct {
	Kind     string   `json:"kind"`
	Proposal uint64   `json:"proposal"`
	Owner    string   `json:"owner"`
	Units    []string `json:"units"`
	Area     int64    `json:"area"`
	Choice   string   `json:"choice"`
	TxHash   string   `json:"tx_hash"`
	Height   int64    `json:"height"`
}

// TallyLeaf is the last leaf of a decision's root: the result's figures.
type TallyLeaf struct {
	Kind         string        `json:"kind"`
	Proposal     uint64        `json:"proposal"`
	Class        string        `json:"class"`
	Outcome      string        `json:"outcome"`
	Tally        *Tally        `json:"tally"`
	Counts       []OptionCount `json:"counts"`
	ClosedHeight int64         `json:"closed_height"`
}

// DecisionLeaves returns the leaves of a decision's root, in order: one
// CountedBallot per owner whose rows carry a ballot (owners in byte
// order, each one's units in byte order, its area summed over them), then
// the TallyLeaf of res. Each leaf is its canonical JSON.
func DecisionLeaves(res Result, rows []ResultRow) [][]byte {
	byOwner := map[string]*CountedBallot{}
	var owners []string
	for _, r := range rows {
		if r.TxHash == "" {
			continue
		}
		b, ok := byOwner[r.Owner]
		if !ok {
			b = &CountedBallot{Kind: LeafBallot, Proposal: res.Proposal, Owner: r.Owner, Choice: r.Choice, TxHash: r.TxHash, Height: r.Height}
			byOwner[r.Owner] = b
			owners = append(owners, r.Owner)
		}
		b.Units = append(b.Units, r.Unit)
		b.Area += r.Area
	}
	sort.Strings(owners)
	leaves := make([][]byte, 0, len(owners)+1)
	for _, o := range owners {
		b := byOwner[o]
		sort.Strings(b.Units)
		leaves = append(leaves, tx.Canonical(b))
	}
	return append(leaves, tx.Canonical(TallyLeaf{Kind: LeafTally, Proposal: res.Proposal, Class: res.Class,
		Outcome: res.Outcome, Tally: res.Tally, Counts: res.Counts, ClosedHeight: res.ClosedHeight}))
}

// DecisionRoot is the Merkle root (CometBFT's crypto/merkle) of leaves,
// in hex.
func DecisionRoot(leaves [][]byte) string {
	return hex.EncodeToString(merkle.HashFromByteSlices(leaves))
}

// LeafProof is one leaf of a decision's root and the proof that it is
// leaf Index of Total under the root (merkle.Proof, hashes in hex).
type LeafProof struct {
	Index int64    `json:"index"`
	Total int64    `json:"total"`
	Leaf  string   `json:"leaf"`
	Aunts []string `json:"aunts"`
}

// BallotProof answers proposals/ID/proof/OWNER: the owner's counted
// ballot and the tally, each proven under the root that the result
// written at ClosedHeight states.
type BallotProof struct {
	Proposal     uint64    `json:"proposal"`
	ClosedHeight int64     `json:"closed_height"`
	Root         string    `json:"root"`
	Ballot       LeafProof `json:"ballot"`
	Tally        LeafProof `json:"tally"`
}

func queryBallotProof(r reader, p Proposal, owner string) (any, *Error) {
	res, ok := get[Result](r, keyResult(p.ID))
	if !ok || p.Kind != KindDecision {
		return nil, reject(CodeQueryNotFound, "proposal %d has no counted ballots (kind %s, status %s)", p.ID, p.Kind, p.Status)
	}
	var rows []ResultRow
	r.scan(prefixResultRows(p.ID), func(k string, b []byte) bool {
		rows = append(rows, decode[ResultRow](k, b))
		return true
	})
	leaves := DecisionLeaves(res, rows)
	_, proofs := merkle.ProofsFromByteSlices(leaves)
	i := -1
	for j, l := range leaves[:len(leaves)-1] {
		if b := decode[CountedBallot]("leaf", l); b.Owner == owner {
			i = j
		}
	}
	if i < 0 {
		return nil, reject(CodeQueryNotFound, "owner %s has no counted ballot on %d", owner, p.ID)
	}
	leafProof := func(i int) LeafProof {
		lp := LeafProof{Index: proofs[i].Index, Total: proofs[i].Total, Leaf: string(leaves[i]), Aunts: []string{}}
		for _, a := range proofs[i].Aunts {
			lp.Aunts = append(lp.Aunts, hex.EncodeToString(a))
		}
		return lp
	}
	return BallotProof{Proposal: p.ID, ClosedHeight: res.ClosedHeight, Root: res.Root,
		Ballot: leafProof(i), Tally: leafProof(len(leaves) - 1)}, nil
}

// BlockWrites answers blocks/H/writes: the write set block H committed,
// kept for blocks that closed a decision (Block.KeepWrites), from which
// AppHash(header H's app hash, H, writes) must give the app hash in header
// H+1.
type BlockWrites struct {
	Height int64   `json:"height"`
	Writes []Write `json:"writes"`
}
