package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/internal/testnode"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/verify"
)

// TestVerifyAndAnchorCommands runs linli anchor and linli verify against a
// real node: an entry's receipt passes with one Chinese line per step
// and exit 0; an unknown hash fails with the step named and exit 1.
func TestVerifyAndAnchorCommands(t *testing.T) {
	seed := sha256.Sum256([]byte("verify-admin"))
	admin := ed25519.NewKeyFromSeed(seed[:])
	g := abci.GenesisState{Community: "核对小区", Admins: []tx.Address{tx.AddressOf(admin.Public().(ed25519.PublicKey))}, Params: abci.DefaultParams()}
	n, _ := testnode.Start(t, testnode.Options{ChainID: "linli-verify-cmd", Genesis: g})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x := tx.New("linli-verify-cmd", 1, &tx.UnitRegister{Units: []tx.UnitSpec{{Unit: "3-501", Building: "3", Area: 10000, Owner: "O-1"}}})
	x.Sign(admin)
	r, err := ledger.New(n.Local()).Submit(ctx, x.Encode())
	if err != nil || r.Code != 0 {
		t.Fatalf("register: %+v %v", r, err)
	}
	h := filepath.Join(t.TempDir(), "nohome")
	url := n.RPCAddr()

	var a verify.Anchor
	if err := json.Unmarshal([]byte(mustRun(t, "anchor", "--height", "1", "--node", url, "--home", h)), &a); err != nil || a.Height != 1 || a.ChainID != "linli-verify-cmd" || len(a.Hash) != 64 {
		t.Fatalf("anchor = %+v, %v", a, err)
	}
	out := mustRun(t, "verify", r.Hash, "--node", url, "--trust", "1:"+strings.ToLower(a.Hash), "--home", h)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 8 || !strings.Contains(out, "核对通过") || strings.Contains(out, "✗") || !strings.Contains(lines[0], a.Hash) {
		t.Errorf("verify printed %d lines:\n%s", len(lines), out)
	}
	if !strings.Contains(out, "不必相信所问的节点") {
		t.Errorf("with an anchor, verify should say the node need not be trusted:\n%s", out)
	}
	// Without --trust it passes, and says what it trusted.
	out = mustRun(t, "verify", strings.ToUpper(r.Hash), "--node", url, "--home", h)
	if !strings.Contains(out, "没有给出 --trust") || !strings.Contains(out, "起点是所问节点自己给的区块头") {
		t.Errorf("without an anchor:\n%s", out)
	}
	stdout, stderr, err := run(t, "verify", strings.Repeat("ab", 32), "--node", url, "--home", h)
	if !errors.Is(err, errReported) || !strings.Contains(stdout, "✗ 交易：") || !strings.Contains(stdout, "核对没有通过") || !strings.Contains(stderr, "step tx failed") {
		t.Errorf("an unknown hash: err %v\n%s%s", err, stdout, stderr)
	}
	if _, _, err := run(t, "verify", "--node", url, "--home", h); err == nil {
		t.Error("verify without a hash succeeded")
	}
	if _, _, err := run(t, "verify", r.Hash, "--trust", "x", "--node", url, "--home", h); err == nil {
		t.Error("verify with a bad --trust succeeded")
	}
}
