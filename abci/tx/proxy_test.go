package tx_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/linli-community/linli/abci/tx"
)

func TestProxyRefIsAnAddressOrAVerifier(t *testing.T) {
	a := "0123456789abcdef0123456789abcdef01234567"
	salt, pub := strings.Repeat("00", tx.BindCodeSaltSize), strings.Repeat("ab", ed25519.PublicKeySize)
	tests := []struct {
		name, json string
		ok         bool
		agent      bool
	}{
		{"Address", `{"proxy":"` + a + `","proposal":3}`, true, false},
		{"Verifier", `{"proxy":{"salt":"` + salt + `","public_key":"` + pub + `"},"until":1800000000}`, true, true},
		{"ErrBothScopes", `{"proxy":"` + a + `","proposal":3,"until":1800000000}`, false, false},
		{"ErrNoScope", `{"proxy":"` + a + `"}`, false, false},
		{"ErrNotAnAddress", `{"proxy":"3-502","proposal":3}`, false, false},
		{"ErrVerifierUnknownField", `{"proxy":{"salt":"` + salt + `","public_key":"` + pub + `","code":"1"},"proposal":3}`, false, false},
		{"ErrVerifierShort", `{"proxy":{"salt":"00","public_key":"` + pub + `"},"proposal":3}`, false, false},
		{"ErrAuthorisationWithoutOwner", `{"proxy":"` + a + `","proposal":3,"authorisation_sha256":"` + strings.Repeat("0", 64) + `"}`, false, false},
		{"ErrAuthorisationNotHex", `{"proxy":"` + a + `","proposal":3,"owner":"O-1","authorisation_sha256":"xyz"}`, false, false},
		{"ErrOwnerNotALabel", `{"proxy":"` + a + `","proposal":3,"owner":"张三"}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tx.DecodeBody(tx.TypeProxyAppoint, []byte(tt.json))
			if (err == nil) != tt.ok {
				t.Fatalf("DecodeBody(%s) error = %v, want ok=%v", tt.json, err, tt.ok)
			}
			if !tt.ok {
				return
			}
			p := b.(*tx.ProxyAppoint)
			if (p.Proxy.Agent != nil) != tt.agent {
				t.Errorf("agent = %v, want %v", p.Proxy.Agent != nil, tt.agent)
			}
			// The canonical form is what was written (fields in order).
			if got := string(tx.Canonical(p)); got != tt.json {
				t.Errorf("canonical = %s, want %s", got, tt.json)
			}
		})
	}
}

func TestAgentProofBindsAppointmentAndSigner(t *testing.T) {
	salt := make([]byte, tx.BindCodeSaltSize)
	salt[0] = 7
	code := "1234567890123456"
	v := tx.NewBindVerifier(code, salt)
	signer := tx.Address("0123456789abcdef0123456789abcdef01234567")
	other := tx.Address("fedcba9876543210fedcba9876543210fedcba98")
	p := (&tx.ProxyAccept{ID: 4, Code: "1234 5678-9012 3456"}).Prove("c", signer, hex.EncodeToString(salt))
	if p.Code != "" || !tx.VerifyAgentProof(v, "c", 4, signer, p.Proof) {
		t.Fatalf("the right code's proof does not verify (or keeps the code): %+v", p)
	}
	for name, ok := range map[string]bool{
		"OtherSigner":      tx.VerifyAgentProof(v, "c", 4, other, p.Proof),
		"OtherAppointment": tx.VerifyAgentProof(v, "c", 5, signer, p.Proof),
		"OtherChain":       tx.VerifyAgentProof(v, "d", 4, signer, p.Proof),
		"AsBindProof":      tx.VerifyBindProof(v, "c", "4", "owner", signer, p.Proof),
	} {
		if ok {
			t.Errorf("%s: the proof verifies, want it refused", name)
		}
	}
	wrong := (&tx.ProxyAccept{ID: 4, Code: "1234567890123457"}).Prove("c", signer, hex.EncodeToString(salt))
	if tx.VerifyAgentProof(v, "c", 4, signer, wrong.Proof) {
		t.Error("a wrong code's proof verifies")
	}
}
