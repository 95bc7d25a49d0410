package ledger

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/keys"
)

// User names a chat user: the channel and the user's id on it (an openid,
// a console name). It selects the user's custodial key and never reaches
// the chain: only the key's address does.
type User struct {
	Channel string
	ID      string
}

// Custodian signs and submits transactions for chat users, who cannot hold
// keys: each user's ed25519 key is derived from the gateway's master secret
// and (channel, user id) (see keys.Derive). It keeps each signer's nonces
// so that concurrent messages from one user never collide: a signer's
// transactions are signed and broadcast one at a time, each with the next
// nonce, while waiting for their commits runs concurrently. A Custodian is
// safe for concurrent use.
type Custodian struct {
	client  *Client
	secret  []byte
	chainID string

	mu      sync.Mutex
	signers map[tx.Address]*signer
	derived map[User]ed25519.PrivateKey
}

// signer is what the Custodian knows about one key.
type signer struct {
	mu sync.Mutex // held while a tx of this signer is signed and broadcast
	// nonce is the last nonce used, valid when known. It is re-read from
	// the chain when unknown and after a nonce code from CheckTx.
	nonce uint64
	known bool
}

// maxDerived bounds the cache of derived keys.
const maxDerived = 10_000

// NewCustodian returns a Custodian that submits through c for the chain
// chainID, deriving users' keys from secret (keys.MasterSecretSize bytes).
func NewCustodian(c *Client, secret []byte, chainID string) *Custodian {
	return &Custodian{
		client: c, secret: append([]byte(nil), secret...), chainID: chainID,
		signers: map[tx.Address]*signer{}, derived: map[User]ed25519.PrivateKey{},
	}
}

// Client returns the client the Custodian submits through.
func (c *Custodian) Client() *Client { return c.client }

// Key returns the custodial key of u.
func (c *Custodian) Key(u User) (ed25519.PrivateKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.derived[u]; ok {
		return k, nil
	}
	k, err := keys.Derive(c.secret, u.Channel, u.ID)
	if err != nil {
		return nil, err
	}
	if len(c.derived) >= maxDerived {
		// Deriving again is cheap; an unbounded cache of every user ever
		// seen is not.
		clear(c.derived)
	}
	c.derived[u] = k
	return k, nil
}

// Address returns the chain address of u's custodial key.
func (c *Custodian) Address(u User) (tx.Address, error) {
	k, err := c.Key(u)
	if err != nil {
		return "", err
	}
	return keys.Address(k), nil
}

// Submit signs body with u's custodial key and submits it like SubmitKey.
func (c *Custodian) Submit(ctx context.Context, u User, body tx.Body) (Receipt, error) {
	k, err := c.Key(u)
	if err != nil {
		return Receipt{}, err
	}
	return c.SubmitKey(ctx, k, body)
}

// SubmitKey signs body with key and the signer's next nonce, broadcasts it
// and waits for its commit, like Client.Submit: a CheckTx rejection is a
// Receipt with Height 0 and its code; a commit that outlives ctx is an
// error wrapping ErrPending with the hash in the Receipt (see Wait). A
// member.bind's code becomes its proof first (Client.ProveBind). When
// CheckTx answers that the nonce is stale or ahead (another process signed
// with the same key, or the mempool dropped an earlier tx), the nonce is
// read again from the chain and the tx is signed and sent once more.
func (c *Custodian) SubmitKey(ctx context.Context, key ed25519.PrivateKey, body tx.Body) (Receipt, error) {
	r, accepted, err := c.broadcast(ctx, key, body)
	if err != nil || !accepted {
		return r, err
	}
	return c.client.Wait(ctx, r.Hash)
}

// broadcast signs and broadcasts under the signer's lock, so the signer's
// transactions reach the mempool in nonce order. accepted reports whether
// CheckTx admitted the tx (or the node already had it).
func (c *Custodian) broadcast(ctx context.Context, key ed25519.PrivateKey, body tx.Body) (r Receipt, accepted bool, err error) {
	addr := keys.Address(key)
	if body, err = c.client.ProveBind(ctx, c.chainID, addr, body); err != nil {
		return Receipt{}, false, err
	}
	s := c.signer(addr)
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if !s.known {
			n, err := c.lastNonce(ctx, addr)
			if err != nil {
				return Receipt{}, false, err
			}
			s.nonce, s.known = n, true
		}
		t := tx.New(c.chainID, s.nonce+1, body)
		t.Sign(key)
		r, err := c.client.Broadcast(ctx, t.Encode())
		switch {
		case err != nil:
			// The tx may or may not have reached the mempool.
			s.known = false
			return r, false, err
		case r.Code == abcitypes.CodeTypeOK:
			s.nonce++
			return r, true, nil
		case (r.Code == uint32(abci.CodeNonceStale) || r.Code == uint32(abci.CodeNonceFuture)) && attempt == 0:
			s.known = false
			continue
		}
		// Rejected by CheckTx: the nonce stays unused.
		return r, false, nil
	}
}

func (c *Custodian) signer(a tx.Address) *signer {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.signers[a]
	if !ok {
		s = &signer{}
		c.signers[a] = s
	}
	return s
}

// lastNonce reads the last nonce the chain has for a, 0 for a new key.
func (c *Custodian) lastNonce(ctx context.Context, a tx.Address) (uint64, error) {
	path := "members/" + string(a)
	res, err := c.client.Query(ctx, path)
	if err != nil {
		return 0, err
	}
	var m abci.MemberView
	if _, err := res.Decode(path, &m); err != nil {
		return 0, fmt.Errorf("ledger: read nonce of %s: %w", a, err)
	}
	return m.Nonce, nil // zero for a key the chain has not seen
}

// Query runs an ABCI query (see Client.Query).
func (c *Custodian) Query(ctx context.Context, path string) (QueryResult, error) {
	return c.client.Query(ctx, path)
}

// Wait waits for a pending transaction (see Client.Wait).
func (c *Custodian) Wait(ctx context.Context, hash string) (Receipt, error) {
	return c.client.Wait(ctx, hash)
}
