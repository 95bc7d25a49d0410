package tx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Version is the envelope version this code writes and accepts.
const Version = 1

// MaxBytes bounds the size of an encoded transaction. It is far above any
// legitimate tx (a roster batch of 500 units is about 60 KiB) and keeps a
// garbage tx from costing more than a quick length check.
const MaxBytes = 128 << 10

// Errors returned by Decode and Verify. The state machine maps each to its
// own result code with errors.Is.
var (
	ErrTooLarge       = errors.New("tx is larger than the maximum size")
	ErrMalformed      = errors.New("tx is not a well-formed envelope")
	ErrNonCanonical   = errors.New("tx bytes are not in canonical form")
	ErrVersion        = errors.New("tx envelope version is not supported")
	ErrUnknownType    = errors.New("tx type is unknown")
	ErrBadSignature   = errors.New("tx signature does not verify")
	ErrInvalidBody    = errors.New("tx body is invalid")
	ErrInvalidAddress = errors.New("address is not 40 lowercase hex digits")
)

// Tx is a signed transaction envelope.
type Tx struct {
	V       int    `json:"v"`
	ChainID string `json:"chain_id"`
	// Signer is the signer's ed25519 public key in lowercase hex.
	Signer string `json:"signer"`
	// Nonce is the signer's sequence number: the first tx of a key has
	// nonce 1 and each later one the next integer.
	Nonce uint64 `json:"nonce"`
	Type  Type   `json:"type"`
	Body  Body   `json:"body"`
	// Sig is the ed25519 signature over SignBytes, in lowercase hex.
	Sig string `json:"sig,omitempty"`
}

// New returns an unsigned envelope for body.
func New(chainID string, nonce uint64, body Body) *Tx {
	return &Tx{V: Version, ChainID: chainID, Nonce: nonce, Type: body.Type(), Body: body}
}

// SignBytes returns the canonical bytes the signature covers: the envelope
// without its signature.
func (t *Tx) SignBytes() []byte {
	c := *t
	c.Sig = ""
	return mustMarshal(&c)
}

// Sign sets the signer and signature from key.
func (t *Tx) Sign(key ed25519.PrivateKey) {
	t.Signer = hex.EncodeToString(key.Public().(ed25519.PublicKey))
	t.Sig = hex.EncodeToString(ed25519.Sign(key, t.SignBytes()))
}

// Encode returns the canonical bytes of the signed envelope.
func (t *Tx) Encode() []byte { return mustMarshal(t) }

// SignerAddress returns the address of the signer's public key.
func (t *Tx) SignerAddress() Address {
	pub, err := hex.DecodeString(t.Signer)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return ""
	}
	return AddressOf(pub)
}

// Verify checks the signature. Decode has already checked that Signer and
// Sig are well-formed hex of the right lengths.
func (t *Tx) Verify() error {
	pub, err := hex.DecodeString(t.Signer)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return ErrBadSignature
	}
	sig, err := hex.DecodeString(t.Sig)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return ErrBadSignature
	}
	if !ed25519.Verify(pub, t.SignBytes(), sig) {
		return ErrBadSignature
	}
	return nil
}

// Hash returns the SHA-256 of tx bytes, the hash CometBFT indexes a tx by.
func Hash(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// rawTx mirrors Tx with the body left undecoded, so the type can be read
// before the body is.
type rawTx struct {
	V       int             `json:"v"`
	ChainID string          `json:"chain_id"`
	Signer  string          `json:"signer"`
	Nonce   uint64          `json:"nonce"`
	Type    Type            `json:"type"`
	Body    json.RawMessage `json:"body"`
	Sig     string          `json:"sig"`
}

// Decode parses tx bytes strictly and validates the body's own fields (not
// its relation to state). It does not verify the signature; call Verify.
func Decode(b []byte) (*Tx, error) {
	if len(b) > MaxBytes {
		return nil, ErrTooLarge
	}
	var raw rawTx
	if err := strictUnmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if raw.V != Version {
		return nil, fmt.Errorf("%w: v=%d", ErrVersion, raw.V)
	}
	body := NewBody(raw.Type)
	if body == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, raw.Type)
	}
	if err := strictUnmarshal(raw.Body, body); err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	t := &Tx{V: raw.V, ChainID: raw.ChainID, Signer: raw.Signer, Nonce: raw.Nonce, Type: raw.Type, Body: body, Sig: raw.Sig}
	if !isLowerHex(t.Signer, 2*ed25519.PublicKeySize) || !isLowerHex(t.Sig, 2*ed25519.SignatureSize) {
		return nil, fmt.Errorf("%w: signer or sig is not lowercase hex of the right length", ErrMalformed)
	}
	if !bytes.Equal(t.Encode(), b) {
		return nil, ErrNonCanonical
	}
	if err := body.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBody, err)
	}
	return t, nil
}

// DecodeBody parses a body of type t from JSON a person wrote (any spacing
// and field order, but no unknown fields) and validates it. The CLI uses it
// to turn `linli tx TYPE BODY_JSON` into a canonical body.
func DecodeBody(t Type, b []byte) (Body, error) {
	body := NewBody(t)
	if body == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, t)
	}
	if err := strictUnmarshal(b, body); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := body.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBody, err)
	}
	return body, nil
}

// strictUnmarshal decodes exactly one JSON value with no unknown fields.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// mustMarshal is the canonical encoding: encoding/json of fixed structs
// (fields in declaration order, map keys sorted), without HTML escaping so
// Chinese text and punctuation stay readable, and without a trailing newline.
func mustMarshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only unsupported Go values fail to encode; bodies are plain
		// structs, so this is a programming error.
		panic(fmt.Sprintf("tx: encode %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Canonical returns the canonical JSON encoding of v, the form records and
// query answers are stored and compared in.
func Canonical(v any) []byte { return mustMarshal(v) }

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Address identifies a key on the chain: the first 20 bytes of the SHA-256
// of its ed25519 public key, in lowercase hex (as CometBFT derives
// validator addresses).
type Address string

// AddressOf returns the address of an ed25519 public key.
func AddressOf(pub ed25519.PublicKey) Address {
	h := sha256.Sum256(pub)
	return Address(hex.EncodeToString(h[:20]))
}

// Validate reports whether a is well-formed.
func (a Address) Validate() error {
	if !isLowerHex(string(a), 40) {
		return ErrInvalidAddress
	}
	return nil
}
