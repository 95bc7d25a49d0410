package ledger

import (
	"context"
	"fmt"
	"strings"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// ProveBind returns body ready to be signed by signer on chain chainID. A
// member.bind that carries the resident's code gets the proof of that
// code for the unit's current code (tx.MemberBind.Prove, with the salt the
// chain publishes) and loses the code, so the code never leaves this
// process. Every other body comes back unchanged. Custodian and linli tx
// both sign through it; it is the one place a code becomes a proof.
//
// When the chain has no code for the unit and relation, the bind gets a
// proof that cannot verify, and the chain's answer (unit_not_found,
// bind_code_missing) reaches the caller as for any refused tx.
//
// A proxy.accept that carries an agent code is proved the same way, for
// the code its appointment (proxy/ID) records.
func (c *Client) ProveBind(ctx context.Context, chainID string, signer tx.Address, body tx.Body) (tx.Body, error) {
	if a, ok := body.(*tx.ProxyAccept); ok && a.Code != "" {
		return c.proveAgent(ctx, chainID, signer, a)
	}
	b, ok := body.(*tx.MemberBind)
	if !ok || b.Code == "" {
		return body, nil
	}
	noProof := &tx.MemberBind{Unit: b.Unit, Relation: b.Relation, Proof: strings.Repeat("00", 64)}
	if !tx.ValidLabel(b.Unit, tx.MaxLabelBytes) {
		return noProof, nil
	}
	path := "units/" + b.Unit
	res, err := c.Query(ctx, path)
	if err != nil {
		return nil, err
	}
	var u struct {
		BindCodes []abci.BindCodeStatus `json:"bind_codes"`
	}
	found, err := res.Decode(path, &u)
	if err != nil {
		return nil, fmt.Errorf("ledger: read the binding code of %s: %w", b.Unit, err)
	}
	if found {
		for _, s := range u.BindCodes {
			if s.Relation == b.Relation {
				return b.Prove(chainID, signer, s.Salt), nil
			}
		}
	}
	return noProof, nil
}

// proveAgent proves an agent code for its appointment's salt. An
// appointment without a code (unknown, or already accepted) gets a proof
// that cannot verify, and the chain says why.
func (c *Client) proveAgent(ctx context.Context, chainID string, signer tx.Address, a *tx.ProxyAccept) (tx.Body, error) {
	path := fmt.Sprintf("proxy/%d", a.ID)
	res, err := c.Query(ctx, path)
	if err != nil {
		return nil, err
	}
	var p abci.AppointmentView
	found, err := res.Decode(path, &p)
	if err != nil {
		return nil, fmt.Errorf("ledger: read the agent code of appointment %d: %w", a.ID, err)
	}
	if !found || p.Code.Salt == "" {
		return &tx.ProxyAccept{ID: a.ID, Proof: strings.Repeat("00", 64)}, nil
	}
	return a.Prove(chainID, signer, p.Code.Salt), nil
}
