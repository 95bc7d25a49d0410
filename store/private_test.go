package store_test

import (
	"context"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/store"
)

func TestPrivateTextsKeepByCommitment(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gateway.db")
	gw, err := store.OpenGateway(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	texts := gw.PrivateTexts()
	const text = "楼上卫生间漏水，我家天花板已经发霉"
	c1, err := texts.Keep(ctx, text, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := texts.Keep(ctx, text, time.Now())
	if c1 == c2 {
		t.Errorf("the same text twice gives the same commitment: a guess could be confirmed")
	}
	gw.Close()
	gw, err = store.OpenGateway(file)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	got, nonce, ok, err := gw.PrivateTexts().Get(ctx, c1)
	if err != nil || !ok || got != text {
		t.Fatalf("Get after reopening = %q, %v, %v", got, ok, err)
	}
	n, _ := hex.DecodeString(nonce)
	if tx.TextCommitment(n, got) != c1 {
		t.Errorf("nonce and text do not open the commitment")
	}
	if _, _, ok, err := gw.PrivateTexts().Get(ctx, tx.TextCommitment(n, "别的")); ok || err != nil {
		t.Errorf("Get of an unknown commitment = %v, %v; want not found", ok, err)
	}
}
