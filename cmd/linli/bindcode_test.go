package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/internal/qr/qrtest"
)

// TestBindCodesInBulk issues the codes of every unit in one tx, as JSON and
// as printable slips whose QR codes decode, binds with each code once,
// and checks that reissuing one unit's code revokes the old one.
func TestBindCodesInBulk(t *testing.T) {
	h, rpc := testHome(t)
	runNode(t, h, rpc)
	cl := []string{"--home", h, "--node", rpc}

	var csv strings.Builder
	csv.WriteString("unit,building,area_m2,owner\n")
	var units []string
	for _, b := range []string{"2", "10"} {
		for i := 1; i <= 5; i++ {
			u := fmt.Sprintf("%s-%d01", b, i)
			units = append(units, u)
			fmt.Fprintf(&csv, "%s,%s,88.5,O-%s\n", u, b, u)
		}
	}
	rosterFile := filepath.Join(t.TempDir(), "units.csv")
	os.WriteFile(rosterFile, []byte(csv.String()), 0o644)
	mustRun(t, append([]string{"roster", "import", rosterFile}, cl...)...)

	slipsFile := filepath.Join(t.TempDir(), "slips.html")
	out, errOut, err := run(t, append([]string{"bindcode", "--all", "--json", "--print", slipsFile}, cl...)...)
	if err != nil {
		t.Fatalf("bindcode --all: %v\n%s", err, errOut)
	}
	codes := decode[[]issuedCode](t, out)
	if len(codes) != len(units) || !strings.Contains(errOut, "in 1 txs") {
		t.Fatalf("%d codes, stderr %q; want %d codes in one tx", len(codes), errOut, len(units))
	}
	code := map[string]string{}
	for i, c := range codes {
		// Natural order: 2-101 … 2-501, then 10-101 … 10-501.
		if _, ok := tx.NormalizeBindCode(c.Code); c.Unit != units[i] || !ok || !strings.HasSuffix(c.Expires, "+08:00") {
			t.Errorf("code %d = %+v, want unit %s, %d digits, China time", i, c, units[i], tx.BindCodeDigits)
		}
		if strings.Contains(errOut, c.Code) {
			t.Errorf("stderr shows the code of %s", c.Unit)
		}
		code[c.Unit] = c.Code
	}
	if fi, err := os.Stat(slipsFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("slips file: %v, mode %v; want 0600", err, fi.Mode())
	}
	page, _ := os.ReadFile(slipsFile)
	texts, err := qrtest.DecodeAll(string(page))
	if err != nil {
		t.Fatal(err)
	}
	if len(texts) != len(units) {
		t.Fatalf("slips have %d QR codes, want %d", len(texts), len(units))
	}
	for i, u := range units {
		if want := "绑定 " + u + " " + code[u]; texts[i] != want {
			t.Errorf("slip %d QR = %q, want %q", i, texts[i], want)
		}
	}

	// Reissuing one unit's code revokes the first one. One unit named
	// gets its code alone on one line.
	out = mustRun(t, append([]string{"bindcode", "2-101"}, cl...)...)
	reissued := strings.TrimSuffix(out, "\n")
	if _, ok := tx.NormalizeBindCode(reissued); !ok || reissued == code["2-101"] {
		t.Fatalf("reissue printed %q", out)
	}
	old := code["2-101"]
	code["2-101"] = reissued

	bindAs := func(user, unit, c string) (receiptJSON, error) {
		out, _, err := run(t, append([]string{"tx", "member.bind", `{"unit":"` + unit + `","relation":"owner","code":"` + c + `"}`, "--as", "console:" + user}, cl...)...)
		return decode[receiptJSON](t, out), err
	}
	if r, err := bindAs("first", "2-101", old); !errors.Is(err, errReported) || r.Name != "bind_code_wrong" {
		t.Errorf("the revoked code: err %v, receipt %+v", err, r)
	}
	for _, u := range units {
		if r, err := bindAs("owner-"+u, u, code[u]); err != nil || r.Code != 0 {
			t.Errorf("bind %s: err %v, receipt %+v", u, err, r)
		}
	}
	if r, err := bindAs("again", "10-101", code["10-101"]); !errors.Is(err, errReported) || r.Name != "bind_code_missing" {
		t.Errorf("a used code again: err %v, receipt %+v", err, r)
	}

	// One building only; refusals issue nothing.
	out = mustRun(t, append([]string{"bindcode", "--all", "--building", "10", "--json"}, cl...)...)
	if got := decode[[]issuedCode](t, out); len(got) != 5 || got[0].Unit != "10-101" || got[4].Unit != "10-501" {
		t.Errorf("--building 10 issued %+v, want 10-101 … 10-501", got)
	}
	out, _, err = run(t, append([]string{"bindcode", "9-999", "--json"}, cl...)...)
	if r := decode[receiptJSON](t, out); !errors.Is(err, errReported) || r.Name != "unit_not_found" {
		t.Errorf("an unregistered unit: err %v, receipt %+v", err, r)
	}
	if _, _, err := run(t, append([]string{"bindcode", "2-101", "--all"}, cl...)...); err == nil || errors.Is(err, errReported) {
		t.Errorf("units and --all together: err %v, want a usage error", err)
	}
	if _, _, err := run(t, append([]string{"bindcode", "--all", "--ttl", "9000h"}, cl...)...); err == nil || !strings.Contains(err.Error(), "bind_code_max_ttl") {
		t.Errorf("a ttl past the chain's limit: err %v", err)
	}
	if _, _, err := run(t, append([]string{"bindcode", "--all", "--relation", "friend"}, cl...)...); err == nil || !strings.Contains(err.Error(), "--relation") {
		t.Errorf("an unknown relation: err %v", err)
	}
	if _, _, err := run(t, append([]string{"bindcode", "2-101", "2-101"}, cl...)...); err == nil || !strings.Contains(err.Error(), "named twice") {
		t.Errorf("a unit named twice: err %v", err)
	}
	if _, _, err := run(t, append([]string{"bindcode", "--all", "--building", "7"}, cl...)...); err == nil || !strings.Contains(err.Error(), "no registered units") {
		t.Errorf("an empty building: err %v", err)
	}
}

// TestPackBindCodesFillsTxsToTheSizeLimit packs 1,000 verifiers: as few
// txs as fit under tx.MaxBytes, each one valid and within the limit.
func TestPackBindCodesFillsTxsToTheSizeLimit(t *testing.T) {
	var vs []tx.BindCodeVerifier
	for i := range 1000 {
		vs = append(vs, tx.BindCodeVerifier{Unit: fmt.Sprintf("%d-%d", i/100+1, 101+i%100),
			BindVerifier: tx.BindVerifier{Salt: strings.Repeat("ab", tx.BindCodeSaltSize), PublicKey: strings.Repeat("cd", 32)}})
	}
	batches := packBindCodes("linli-abcdef", tx.RelationOwner, 1_800_000_000, vs)
	if len(batches) != 2 {
		t.Errorf("1,000 codes in %d txs, want 2", len(batches))
	}
	n := 0
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	for i, b := range batches {
		x := tx.New("linli-abcdef", 99, b)
		x.Sign(key)
		if size := len(x.Encode()); size > tx.MaxBytes {
			t.Errorf("tx %d is %d bytes, over %d", i, size, tx.MaxBytes)
		}
		if _, err := tx.Decode(x.Encode()); err != nil {
			t.Errorf("tx %d: %v", i, err)
		}
		n += len(b.Codes)
	}
	if n != len(vs) || batches[0].Codes[0].Unit != "1-101" || batches[len(batches)-1].Codes[len(batches[len(batches)-1].Codes)-1].Unit != "10-200" {
		t.Errorf("packed %d codes, want all %d in order", n, len(vs))
	}
}
