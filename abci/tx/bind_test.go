package tx_test

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/linli-community/linli/abci/tx"
)

const (
	testCode  = "4821503967120388"
	testChain = "linli-test"
	wang      = tx.Address("00000000000000000000000000000000000000aa")
	thief     = tx.Address("00000000000000000000000000000000000000bb")
)

var testSalt = bytes.Repeat([]byte{7}, tx.BindCodeSaltSize)

func TestBindProofIsTiedToSignerChainUnitAndCode(t *testing.T) {
	v := tx.NewBindVerifier(testCode, testSalt)
	if err := v.Validate(); err != nil {
		t.Fatal(err)
	}
	b := (&tx.MemberBind{Unit: "3-502", Relation: tx.RelationOwner, Code: "4821 5039-6712 0388"}).Prove(testChain, wang, v.Salt)
	if b.Code != "" {
		t.Errorf("Prove kept the code")
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if !tx.VerifyBindProof(v, testChain, "3-502", tx.RelationOwner, wang, b.Proof) {
		t.Fatalf("the right code's proof does not verify")
	}
	other := tx.NewBindVerifier(testCode, bytes.Repeat([]byte{8}, tx.BindCodeSaltSize))
	for name, ok := range map[string]bool{
		// A mempool observer who copies the proof into its own tx.
		"another signer":   tx.VerifyBindProof(v, testChain, "3-502", tx.RelationOwner, thief, b.Proof),
		"another chain":    tx.VerifyBindProof(v, "linli-other", "3-502", tx.RelationOwner, wang, b.Proof),
		"another unit":     tx.VerifyBindProof(v, testChain, "3-501", tx.RelationOwner, wang, b.Proof),
		"another relation": tx.VerifyBindProof(v, testChain, "3-502", tx.RelationTenant, wang, b.Proof),
		"a reissued code":  tx.VerifyBindProof(other, testChain, "3-502", tx.RelationOwner, wang, b.Proof),
		"garbage proof":    tx.VerifyBindProof(v, testChain, "3-502", tx.RelationOwner, wang, "zz"),
	} {
		if ok {
			t.Errorf("proof verifies for %s", name)
		}
	}
	wrong := (&tx.MemberBind{Unit: "3-502", Relation: tx.RelationOwner, Code: "4821503967120389"}).Prove(testChain, wang, v.Salt)
	if tx.VerifyBindProof(v, testChain, "3-502", tx.RelationOwner, wang, wrong.Proof) {
		t.Errorf("a wrong code's proof verifies")
	}
}

func TestMemberBindNeverPutsTheCodeOnTheWire(t *testing.T) {
	v := tx.NewBindVerifier(testCode, testSalt)
	b := &tx.MemberBind{Unit: "3-502", Relation: tx.RelationOwner, Code: testCode}
	// Even a body nobody proved encodes without the code.
	for _, body := range []tx.Body{b, b.Prove(testChain, wang, v.Salt)} {
		x := tx.New(testChain, 1, body)
		x.Sign(testKey())
		if raw := x.Encode(); bytes.Contains(raw, []byte(testCode)) || bytes.Contains(raw, []byte(`"code"`)) {
			t.Errorf("the encoded tx carries the code: %s", raw)
		}
	}
	if b.Validate() == nil {
		t.Errorf("a bind without a proof validates")
	}
	// A hand-made tx that sends the code in clear is refused by decoding,
	// so CheckTx never admits it and no mempool gossips it.
	if _, err := tx.DecodeBody(tx.TypeMemberBind, []byte(`{"unit":"3-502","relation":"owner","code":"`+testCode+`"}`)); !errors.Is(err, tx.ErrMalformed) {
		t.Errorf("a body with the code in clear: err = %v, want ErrMalformed", err)
	}
}

func TestBindCodeShapes(t *testing.T) {
	for in, want := range map[string]bool{
		"4821503967120388": true, "4821 5039 6712 0388": true, "4821-5039-6712-0388": true, "4821\u30005039 6712 0388": true,
		"12345678": false, "48215039671203881": false, "482150396712038a": false, "４８２１503967120388": false, "": false,
	} {
		if _, ok := tx.NormalizeBindCode(in); ok != want {
			t.Errorf("NormalizeBindCode(%q) ok = %v, want %v", in, ok, want)
		}
	}
	if got, want := tx.GroupBindCode(testCode), "4821 5039 6712 0388"; got != want {
		t.Errorf("GroupBindCode = %q, want %q", got, want)
	}
}

// Published attacker rates, guesses per second on one current high-end
// GPU (README, "Binding codes", gives the sources): PBKDF2-HMAC-SHA256 at
// 100,000 iterations, the scheme before issue #18, and a generous bound
// for Argon2id at 64 MiB, t=3.
const (
	gpuRatePBKDF2x100k = 90_000
	gpuRateArgon2id64M = 10_000
	// maxCodeLifetime is the longest a code may live (the chain's default
	// bind_code_max_ttl, 30 days).
	maxCodeLifetime = 30 * 24 * 3600
)

// searchOdds returns the chance, as a fraction, that gpus GPUs at rate
// guesses a second find a code among 10^digits within the code's longest
// lifetime.
func searchOdds(digits, rate, gpus int64) *big.Rat {
	space := new(big.Int).Exp(big.NewInt(10), big.NewInt(digits), nil)
	tries := big.NewInt(rate * gpus * maxCodeLifetime)
	r := new(big.Rat).SetFrac(tries, space)
	if r.Cmp(big.NewRat(1, 1)) > 0 {
		return big.NewRat(1, 1)
	}
	return r
}

// TestOfflineSearchOverPublishedVerifierIsHopeless is the arithmetic of
// the code's strength, checked against the constants the code uses: with
// the old 8-digit PBKDF2 codes one GPU finds a code well within its
// lifetime (it needs 10^8/90,000 s, about 19 minutes); with the current
// codes a thousand GPUs running for the whole 30 days have less than a
// 1-in-300 chance.
func TestOfflineSearchOverPublishedVerifierIsHopeless(t *testing.T) {
	if old := searchOdds(8, gpuRatePBKDF2x100k, 1); old.Cmp(big.NewRat(1, 1)) != 0 {
		t.Errorf("old scheme: one GPU's odds = %v, want certainty (the weakness this replaced)", old.FloatString(6))
	}
	if tx.BindKDFMemory < 64*1024 || tx.BindKDFTime < 3 {
		t.Fatalf("KDF weaker than the rate assumed: m=%d KiB, t=%d", tx.BindKDFMemory, tx.BindKDFTime)
	}
	odds := searchOdds(tx.BindCodeDigits, gpuRateArgon2id64M, 1000)
	if odds.Cmp(big.NewRat(1, 300)) >= 0 {
		t.Errorf("1000 GPUs over 30 days find a %d-digit code with odds %s, want < 1/300", tx.BindCodeDigits, odds.FloatString(6))
	}
	if !strings.Contains(tx.GroupBindCode(testCode), " ") {
		t.Errorf("long codes must be shown grouped")
	}
}

func BenchmarkBindCodeKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		tx.BindCodeKey(testCode, testSalt)
	}
}

func BenchmarkVerifyBindProof(b *testing.B) {
	v := tx.NewBindVerifier(testCode, testSalt)
	p := (&tx.MemberBind{Unit: "3-502", Relation: tx.RelationOwner, Code: testCode}).Prove(testChain, wang, v.Salt)
	b.ReportAllocs()
	for b.Loop() {
		if !tx.VerifyBindProof(v, testChain, "3-502", tx.RelationOwner, wang, p.Proof) {
			b.Fatal("no")
		}
	}
}
