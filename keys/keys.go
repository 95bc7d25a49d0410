// Package keys holds the node's signing keys on disk and derives the
// custodial keys of chat users: WeChat users cannot hold keys, so each
// gets an ed25519 key derived (HKDF-SHA256) from the gateway's master
// secret and their channel-scoped user id. The user id never reaches the
// chain; only the derived address does.
//
// Secret files are written with mode 0600 and never logged. Package keys
// imports only abci/tx.
package keys

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/linli-community/linli/abci/tx"
)

// keyFile is the on-disk form of a signing key.
type keyFile struct {
	Type       string     `json:"type"`
	Address    tx.Address `json:"address"`
	PublicKey  string     `json:"public_key"`
	PrivateKey string     `json:"private_key"` // hex of the 32-byte seed
}

// Generate returns a new random key.
func Generate() (ed25519.PrivateKey, error) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	return k, err
}

// Address returns the chain address of k.
func Address(k ed25519.PrivateKey) tx.Address {
	return tx.AddressOf(k.Public().(ed25519.PublicKey))
}

// Save writes k to a new file with mode 0600. It refuses to overwrite.
func Save(path string, k ed25519.PrivateKey) error {
	b, _ := json.MarshalIndent(keyFile{
		Type:       "ed25519",
		Address:    Address(k),
		PublicKey:  hex.EncodeToString(k.Public().(ed25519.PublicKey)),
		PrivateKey: hex.EncodeToString(k.Seed()),
	}, "", "  ")
	return writeSecret(path, append(b, '\n'))
}

// Load reads a key written by Save.
func Load(path string) (ed25519.PrivateKey, error) {
	b, err := readSecret(path)
	if err != nil {
		return nil, err
	}
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}
	seed, err := hex.DecodeString(f.PrivateKey)
	if err != nil || len(seed) != ed25519.SeedSize || f.Type != "ed25519" {
		return nil, fmt.Errorf("keys: %s is not an ed25519 key file", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// MasterSecretSize is the size of the gateway master secret in bytes.
const MasterSecretSize = 32

// NewMasterSecret writes a new random master secret (hex) with mode 0600.
// It refuses to overwrite: a new secret would give every chat user a new
// key and lose their bindings.
func NewMasterSecret(path string) error {
	s := make([]byte, MasterSecretSize)
	if _, err := rand.Read(s); err != nil {
		return err
	}
	return writeSecret(path, []byte(hex.EncodeToString(s)+"\n"))
}

// LoadMasterSecret reads a master secret written by NewMasterSecret.
func LoadMasterSecret(path string) ([]byte, error) {
	b, err := readSecret(path)
	if err != nil {
		return nil, err
	}
	s, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(s) != MasterSecretSize {
		return nil, fmt.Errorf("keys: %s does not hold a %d-byte hex master secret", path, MasterSecretSize)
	}
	return s, nil
}

// Derive returns the custodial key of a chat user. The same secret,
// channel and user always give the same key.
func Derive(secret []byte, channel, user string) (ed25519.PrivateKey, error) {
	if len(secret) != MasterSecretSize {
		return nil, errors.New("keys: master secret has the wrong size")
	}
	if channel == "" || user == "" || strings.ContainsRune(channel, 0) {
		return nil, errors.New("keys: channel and user are required")
	}
	seed, err := hkdf.Key(sha256.New, secret, []byte("linli/custody/v1"), channel+"\x00"+user, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func writeSecret(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("keys: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readSecret reads a secret file and refuses one that others can read.
func readSecret(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keys: %s is readable by others (mode %v); run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	return os.ReadFile(path)
}
