package tx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
)

// Proxies (委托投票).
//
// An owner appoints a proxy to vote in their name: for one decision, or
// for every decision until a date. The proxy is either a member of the
// community, named by address, or someone from outside, who has no binding
// and gets a one-time agent code instead. An agent code works like a
// binding code (see bind.go): the appointment records only its verifier,
// and the outsider accepts the appointment with a proof signed by the
// code's key (ProxyAccept), which makes their address the owner's agent,
// for that owner only.

// Proxy transaction types.
const (
	TypeProxyAppoint Type = "proxy.appoint"
	TypeProxyRevoke  Type = "proxy.revoke"
	TypeProxyAccept  Type = "proxy.accept"
)

// ProxyRef names a proxy: a member's Address, or the Agent verifier of a
// one-time agent code for someone from outside. Exactly one is set. In
// JSON it is the address as a string, or the verifier as an object
// {"salt","public_key"}.
type ProxyRef struct {
	Address Address
	Agent   *BindVerifier
}

// MarshalJSON writes the address string or the verifier object.
func (r ProxyRef) MarshalJSON() ([]byte, error) {
	if r.Agent != nil {
		return json.Marshal(r.Agent)
	}
	return json.Marshal(string(r.Address))
}

// UnmarshalJSON reads an address string or a verifier object, strictly.
func (r *ProxyRef) UnmarshalJSON(b []byte) error {
	*r = ProxyRef{}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var v BindVerifier
		if err := strictUnmarshal(b, &v); err != nil {
			return err
		}
		r.Agent = &v
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("proxy must be an address or an agent code's verifier")
	}
	r.Address = Address(s)
	return nil
}

// Validate checks the reference's shape.
func (r ProxyRef) Validate() error {
	if r.Agent != nil {
		if r.Address != "" {
			return fieldErr("proxy", "names both an address and an agent code")
		}
		if err := r.Agent.Validate(); err != nil {
			return fieldErr("proxy."+err.(*FieldError).Field, "%s", err.(*FieldError).Reason)
		}
		return nil
	}
	if r.Address.Validate() != nil {
		return fieldErr("proxy", "must be an address (40 lowercase hex digits) or an agent code's verifier")
	}
	return nil
}

// ProxyAppoint appoints a proxy for an owner, for one decision (Proposal)
// or for every decision until a unix time (Until, compared with block
// time); exactly one of them is set. A member bound to a unit as its
// owner appoints for that owner and leaves Owner empty. An admin records
// a paper authorisation (委托书) instead: Owner names the owner and
// AuthorisationSHA256 is the SHA-256 of the scanned, signed paper, which
// the chain requires then. A new appointment replaces the owner's earlier
// ones.
type ProxyAppoint struct {
	Proxy    ProxyRef `json:"proxy"`
	Proposal uint64   `json:"proposal,omitempty"`
	Until    int64    `json:"until,omitempty"`
	Owner    string   `json:"owner,omitempty"`
	// AuthorisationSHA256 is the lowercase hex SHA-256 of the scanned
	// 委托书, kept off the chain.
	AuthorisationSHA256 string `json:"authorisation_sha256,omitempty"`
}

func (*ProxyAppoint) Type() Type { return TypeProxyAppoint }

func (b *ProxyAppoint) Validate() error {
	if err := b.Proxy.Validate(); err != nil {
		return err
	}
	switch {
	case (b.Proposal == 0) == (b.Until == 0):
		return fieldErr("proposal", "set either proposal or until, not both")
	case b.Until < 0:
		return fieldErr("until", "must be a unix time")
	case b.Owner != "" && !ValidOwnerLabel(b.Owner):
		return fieldErr("owner", "is not an owner label")
	case b.AuthorisationSHA256 != "" && !isLowerHex(b.AuthorisationSHA256, 2*sha256.Size):
		return fieldErr("authorisation_sha256", "must be a SHA-256 in %d lowercase hex digits", 2*sha256.Size)
	case b.AuthorisationSHA256 != "" && b.Owner == "":
		return fieldErr("owner", "is required with authorisation_sha256")
	}
	return nil
}

// ProxyRevoke ends an appointment: by a member bound to its owner as
// owner, by the proxy (who steps down), or by an admin. A ballot the proxy
// cast through it on a decision still open is withdrawn with it.
type ProxyRevoke struct {
	ID uint64 `json:"id"`
}

func (*ProxyRevoke) Type() Type { return TypeProxyRevoke }

func (b *ProxyRevoke) Validate() error { return requireRecordID("id", b.ID) }

// ProxyAccept makes the signer the proxy of an appointment made with an
// agent code. Proof is the hex ed25519 signature of the code's key over
// AgentProofMessage; the code is consumed by the first right use.
//
// Code is the code as the outsider gave it, never encoded: the client
// turns it into Proof (Prove) before signing.
type ProxyAccept struct {
	ID    uint64 `json:"id"`
	Proof string `json:"proof"`
	Code  string `json:"-"`
}

func (*ProxyAccept) Type() Type { return TypeProxyAccept }

func (b *ProxyAccept) Validate() error {
	if err := requireRecordID("id", b.ID); err != nil {
		return err
	}
	if !isLowerHex(b.Proof, 2*ed25519.SignatureSize) {
		return fieldErr("proof", "must be %d lowercase hex digits", 2*ed25519.SignatureSize)
	}
	return nil
}

// AgentProofMessage is what an agent proof signs: the chain, the
// appointment, the salt of its code (hex) and the accepting signer.
func AgentProofMessage(chainID string, id uint64, salt string, signer Address) []byte {
	var n [8]byte
	for i := range 8 {
		n[i] = byte(id >> (56 - 8*i))
	}
	return []byte("linli/proxy.accept/v1\x00" + chainID + "\x00" + hex.EncodeToString(n[:]) + "\x00" + salt + "\x00" + string(signer))
}

// VerifyAgentProof reports whether proof (hex) is the signature of the
// agent code behind v over AgentProofMessage.
func VerifyAgentProof(v BindVerifier, chainID string, id uint64, signer Address, proof string) bool {
	return verifyCodeSignature(v, AgentProofMessage(chainID, id, v.Salt, signer), proof)
}

// Prove returns a copy of b whose Proof shows knowledge of b.Code for the
// appointment's code with salt saltHex, bound to chainID and signer, and
// whose Code is empty. A malformed code or salt gives a proof that fails on
// the chain like any wrong code.
func (b *ProxyAccept) Prove(chainID string, signer Address, saltHex string) *ProxyAccept {
	salt, _ := hex.DecodeString(saltHex)
	code, _ := NormalizeBindCode(b.Code)
	msg := AgentProofMessage(chainID, b.ID, saltHex, signer)
	return &ProxyAccept{ID: b.ID, Proof: hex.EncodeToString(ed25519.Sign(BindCodeKey(code, salt), msg))}
}
