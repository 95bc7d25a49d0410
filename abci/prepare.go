package abci

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"slices"
	"strconv"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci/tx"
)

// PrepareProposal is called by CometBFT on the proposer of a block, with
// the mempool's txs in the mempool's order. That order can put one
// signer's txs out of nonce order: a node that hears a signer's
// consecutive txs from two peers at once may store the later one first.
// In a block, a tx whose nonce skips ahead fails without using its nonce,
// and CometBFT then drops it from every mempool, so the signer's later txs
// fail as well. PrepareProposal therefore keeps each signer's txs in nonce
// order, running on from the signer's committed nonce without a gap, in
// the places the signer's txs had; a tx that would skip ahead stays in the
// mempool for a later block, and of two txs with one nonce the first
// stays. Txs it cannot read pass through as they are (CheckTx admits none
// such). The result keeps within req.MaxTxBytes. Other validators do not
// run it: they execute the block as proposed.
func (a *App) PrepareProposal(_ context.Context, req *abcitypes.RequestPrepareProposal) (*abcitypes.ResponsePrepareProposal, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := storeReader{a.store}

	type slot struct {
		i     int
		nonce uint64
	}
	bySigner := map[string][]slot{}
	var signers []string // first-seen order, so nothing depends on map order
	for i, raw := range req.Txs {
		signer, nonce, ok := signerNonce(raw)
		if !ok {
			continue
		}
		if _, seen := bySigner[signer]; !seen {
			signers = append(signers, signer)
		}
		bySigner[signer] = append(bySigner[signer], slot{i, nonce})
	}
	out := slices.Clone(req.Txs)
	drop := make([]bool, len(out))
	for _, signer := range signers {
		slots := bySigner[signer]
		pub, _ := hex.DecodeString(signer)
		acct, _ := get[Account](r, keyAccount(tx.AddressOf(ed25519.PublicKey(pub))))
		byNonce := slices.Clone(slots)
		slices.SortStableFunc(byNonce, func(x, y slot) int {
			switch {
			case x.nonce < y.nonce:
				return -1
			case x.nonce > y.nonce:
				return 1
			}
			return 0
		})
		next, k := acct.Nonce+1, 0
		for _, s := range byNonce {
			if s.nonce != next {
				continue // a repeat, stale, or after a gap
			}
			out[slots[k].i] = req.Txs[s.i]
			k++
			next++
		}
		for _, s := range slots[k:] {
			drop[s.i] = true
		}
	}
	txs := make([][]byte, 0, len(out))
	var size int64
	for i, t := range out {
		if drop[i] {
			continue
		}
		if size += int64(len(t)); size > req.MaxTxBytes {
			break
		}
		txs = append(txs, t)
	}
	return &abcitypes.ResponsePrepareProposal{Txs: txs}, nil
}

// signerNonce reads the signer's public key (hex) and the nonce of a tx
// in canonical form without decoding all of it: the envelope's fields
// come in a fixed order, and a quote inside a JSON string is escaped, so
// the first `"signer":"` is the signer field.
func signerNonce(raw []byte) (signer string, nonce uint64, ok bool) {
	const keySigner, keyNonce = `"signer":"`, `","nonce":`
	i := bytes.Index(raw, []byte(keySigner))
	if i < 0 {
		return "", 0, false
	}
	rest := raw[i+len(keySigner):]
	const hexLen = 2 * ed25519.PublicKeySize
	if len(rest) < hexLen || !bytes.HasPrefix(rest[hexLen:], []byte(keyNonce)) {
		return "", 0, false
	}
	signer = string(rest[:hexLen])
	digits := rest[hexLen+len(keyNonce):]
	end := bytes.IndexByte(digits, ',')
	if end < 0 {
		return "", 0, false
	}
	nonce, err := strconv.ParseUint(string(digits[:end]), 10, 64)
	if err != nil {
		return "", 0, false
	}
	if _, err := hex.DecodeString(signer); err != nil {
		return "", 0, false
	}
	return signer, nonce, true
}
