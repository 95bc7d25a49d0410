package tx

import (
	"crypto/ed25519"
	"encoding/hex"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Binding codes.
//
// An admin hands a resident a one-time code for a unit. The chain must be
// able to check a bind without anyone who reads the chain learning the
// code, and a bind seen in a mempool must be useless to anyone but its
// signer. So a code is never sent and never hashed into state: it is the
// seed of a key. The code and a random salt go through Argon2id
// (BindCodeKey) to an ed25519 key; the issue tx records only the salt and
// that key's public key (a BindVerifier). To bind, the client signs, with
// the code's key, a message naming the chain, the unit, the relation, the
// code's salt and the signer's address (BindProofMessage); the chain checks
// that signature against the recorded public key. A copied proof names
// another signer, so it binds nobody else, and a proof for a code that has
// been replaced names another salt.
//
// The public key is a verifier anyone can test guesses against offline, so
// the code's length and the KDF's cost are the whole defence: 16 digits
// (10^16 codes) through Argon2id with 64 MiB, which keeps a GPU to a few
// thousand guesses a second (README, "Binding codes", has the arithmetic).

// Sizes and costs of binding codes.
const (
	// BindCodeDigits is the length of a binding code. Codes are shown in
	// groups of four (GroupBindCode) and may be typed with spaces or '-'.
	BindCodeDigits   = 16
	BindCodeSaltSize = 16
	// BindKDFTime, BindKDFMemory (KiB) and BindKDFThreads are the Argon2id
	// parameters of BindCodeKey: RFC 9106's second recommended setting
	// with one lane, so that a gateway on a small machine pays about a
	// tenth of a second per code.
	BindKDFTime    = 3
	BindKDFMemory  = 64 * 1024
	BindKDFThreads = 1
)

// BindVerifier is what the chain keeps of a binding code: the random salt
// and the public key derived from code and salt (NewBindVerifier). Every
// tx that issues codes carries one per code.
type BindVerifier struct {
	Salt      string `json:"salt"`       // hex, BindCodeSaltSize bytes
	PublicKey string `json:"public_key"` // hex ed25519 public key of BindCodeKey
}

// NewBindVerifier returns the verifier of code with salt, the one place a
// verifier is made.
func NewBindVerifier(code string, salt []byte) BindVerifier {
	pub := BindCodeKey(code, salt).Public().(ed25519.PublicKey)
	return BindVerifier{Salt: hex.EncodeToString(salt), PublicKey: hex.EncodeToString(pub)}
}

// Validate checks the verifier's shape.
func (v BindVerifier) Validate() error {
	switch {
	case !isLowerHex(v.Salt, 2*BindCodeSaltSize):
		return fieldErr("salt", "must be %d lowercase hex digits", 2*BindCodeSaltSize)
	case !isLowerHex(v.PublicKey, 2*ed25519.PublicKeySize):
		return fieldErr("public_key", "must be %d lowercase hex digits", 2*ed25519.PublicKeySize)
	}
	return nil
}

// BindCodeKey returns the key a binding code stands for: Argon2id over the
// code (digits only) and the salt, as an ed25519 seed. It is slow on
// purpose; the state machine never calls it.
func BindCodeKey(code string, salt []byte) ed25519.PrivateKey {
	s := append([]byte("linli/bindcode/v1\x00"), salt...)
	seed := argon2.IDKey([]byte(code), s, BindKDFTime, BindKDFMemory, BindKDFThreads, ed25519.SeedSize)
	return ed25519.NewKeyFromSeed(seed)
}

// BindProofMessage is what a bind proof signs: the chain, the unit and
// relation, the salt of the code being used (hex) and the address of the
// key that signs the bind tx.
func BindProofMessage(chainID, unit, relation, salt string, signer Address) []byte {
	return []byte("linli/member.bind/v1\x00" + chainID + "\x00" + unit + "\x00" + relation + "\x00" + salt + "\x00" + string(signer))
}

// VerifyBindProof reports whether proof (hex) is the signature of the
// code behind v over BindProofMessage. It is cheap: one ed25519 check.
func VerifyBindProof(v BindVerifier, chainID, unit, relation string, signer Address, proof string) bool {
	return verifyCodeSignature(v, BindProofMessage(chainID, unit, relation, v.Salt, signer), proof)
}

// verifyCodeSignature reports whether proof (hex) is the signature over msg
// of the code key whose public key v records.
func verifyCodeSignature(v BindVerifier, msg []byte, proof string) bool {
	pub, err := hex.DecodeString(v.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return false
	}
	sig, err := hex.DecodeString(proof)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, msg, sig)
}

// NormalizeBindCode returns code without the spaces and '-' people type
// between groups, and whether the rest is a binding code.
func NormalizeBindCode(code string) (string, bool) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u3000' {
			return -1
		}
		return r
	}, code)
	return code, ValidBindCode(code)
}

// ValidBindCode reports whether code has the shape of a binding code:
// exactly BindCodeDigits ASCII digits.
func ValidBindCode(code string) bool {
	if len(code) != BindCodeDigits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// GroupBindCode returns code in groups of four digits separated by spaces,
// the way it is printed and shown.
func GroupBindCode(code string) string {
	var b strings.Builder
	for i := 0; i < len(code); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(code[i:min(i+4, len(code))])
	}
	return b.String()
}

// BindCodeIssue sets the one-time binding code for a unit and relation
// (admin only). Only the code's verifier is recorded. Issuing a new code
// replaces the previous one and its count of wrong tries.
type BindCodeIssue struct {
	Unit     string `json:"unit"`
	Relation string `json:"relation"`
	BindVerifier
	// ExpiresAt is the unix time (seconds) after which the code is void,
	// compared with block time.
	ExpiresAt int64 `json:"expires_at"`
}

func (*BindCodeIssue) Type() Type { return TypeBindCodeIssue }

func (b *BindCodeIssue) Validate() error {
	switch {
	case !ValidLabel(b.Unit, MaxLabelBytes):
		return fieldErr("unit", "is not a valid unit number")
	case !validRelation(b.Relation):
		return fieldErr("relation", "must be %q or %q", RelationOwner, RelationTenant)
	case b.ExpiresAt <= 0:
		return fieldErr("expires_at", "must be a unix time")
	}
	return b.BindVerifier.Validate()
}

// NewBindCodeIssue builds the issue tx body for a code the caller generated.
func NewBindCodeIssue(unit, relation, code string, salt []byte, expiresAt int64) *BindCodeIssue {
	return &BindCodeIssue{Unit: unit, Relation: relation, BindVerifier: NewBindVerifier(code, salt), ExpiresAt: expiresAt}
}

// MemberBind binds the signer to a unit with a one-time code, proved by
// Proof; the code is consumed by the first correct use.
//
// Code is the code as the resident gave it. It is never encoded: the
// client that signs the tx turns it into Proof first (Prove), so the code
// never leaves the gateway or the admin's machine.
type MemberBind struct {
	Unit     string `json:"unit"`
	Relation string `json:"relation"`
	// Proof is the hex ed25519 signature of the code's key over
	// BindProofMessage.
	Proof string `json:"proof"`
	Code  string `json:"-"`
}

func (*MemberBind) Type() Type { return TypeMemberBind }

func (b *MemberBind) Validate() error {
	switch {
	case !ValidLabel(b.Unit, MaxLabelBytes):
		return fieldErr("unit", "is not a valid unit number")
	case !validRelation(b.Relation):
		return fieldErr("relation", "must be %q or %q", RelationOwner, RelationTenant)
	case !isLowerHex(b.Proof, 2*ed25519.SignatureSize):
		return fieldErr("proof", "must be %d lowercase hex digits", 2*ed25519.SignatureSize)
	}
	return nil
}

// Prove returns a copy of b whose Proof shows knowledge of b.Code for the
// code with verifier salt saltHex, bound to chainID and signer, and whose
// Code is empty. A code of the wrong shape, or a salt that is not hex,
// still gives a proof: one that fails on the chain like any wrong code.
func (b *MemberBind) Prove(chainID string, signer Address, saltHex string) *MemberBind {
	salt, _ := hex.DecodeString(saltHex)
	code, _ := NormalizeBindCode(b.Code)
	msg := BindProofMessage(chainID, b.Unit, b.Relation, saltHex, signer)
	return &MemberBind{Unit: b.Unit, Relation: b.Relation, Proof: hex.EncodeToString(ed25519.Sign(BindCodeKey(code, salt), msg))}
}
