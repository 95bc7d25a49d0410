package keys_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/linli-community/linli/keys"
)

func TestSaveLoadIsPrivateAndNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin_key.json")
	k, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Save(path, k); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
	if err := keys.Save(path, k); err == nil {
		t.Errorf("Save overwrote an existing key file")
	}
	got, err := keys.Load(path)
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("Load = %v, %v", got, err)
	}
	os.Chmod(path, 0o644)
	if _, err := keys.Load(path); err == nil {
		t.Errorf("Load accepted a world-readable key file")
	}
}

func TestDeriveIsStableAndSeparatesUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master_secret")
	if err := keys.NewMasterSecret(path); err != nil {
		t.Fatal(err)
	}
	secret, err := keys.LoadMasterSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	a1, _ := keys.Derive(secret, "wechat", "oABC")
	a2, _ := keys.Derive(secret, "wechat", "oABC")
	b, _ := keys.Derive(secret, "wechat", "oABD")
	c, _ := keys.Derive(secret, "console", "oABC")
	if !bytes.Equal(a1, a2) {
		t.Errorf("same user, different keys")
	}
	if bytes.Equal(a1, b) || bytes.Equal(a1, c) {
		t.Errorf("different users or channels share a key")
	}
	other := bytes.Repeat([]byte{7}, keys.MasterSecretSize)
	d, _ := keys.Derive(other, "wechat", "oABC")
	if bytes.Equal(a1, d) {
		t.Errorf("different secrets give the same key")
	}
	if _, err := keys.Derive(secret, "", "x"); err == nil {
		t.Errorf("empty channel accepted")
	}
}
