package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/linli-community/linli/abci/tx"
)

// PrivateTexts returns the table of texts kept off the chain.
func (g *Gateway) PrivateTexts() *PrivateTexts { return &PrivateTexts{db: g.db} }

// PrivateTexts keeps the texts the chain must not hold (a dispute's
// opening text, statements and outcome) in gateway.db, each under the
// commitment the chain records in its place. Every value reaches SQL as a
// bound parameter. It is safe for concurrent use.
type PrivateTexts struct {
	db *sql.DB
}

// Keep stores text under a fresh random nonce and returns the commitment
// for the chain (tx.TextCommitment). A text whose tx is then refused stays
// behind unreferenced, which is harmless: nothing on the chain names it.
func (p *PrivateTexts) Keep(ctx context.Context, text string, at time.Time) (commitment string, err error) {
	nonce := make([]byte, tx.TextNonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	commitment = tx.TextCommitment(nonce, text)
	if _, err := p.db.ExecContext(ctx, `INSERT INTO private_texts (commitment, nonce, text, created_at) VALUES (?, ?, ?, ?)`,
		commitment, hex.EncodeToString(nonce), text, at.UnixMilli()); err != nil {
		return "", fmt.Errorf("store: keep private text: %w", err)
	}
	return commitment, nil
}

// Get returns the text kept under commitment and its nonce (hex); ok is
// false when this gateway does not hold it (another party's gateway wrote
// it). A row that does not match its commitment is an error.
func (p *PrivateTexts) Get(ctx context.Context, commitment string) (text, nonce string, ok bool, err error) {
	err = p.db.QueryRowContext(ctx, `SELECT text, nonce FROM private_texts WHERE commitment = ?`, commitment).Scan(&text, &nonce)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("store: read private text: %w", err)
	}
	n, _ := hex.DecodeString(nonce)
	if tx.TextCommitment(n, text) != commitment {
		return "", "", false, fmt.Errorf("store: private text %s does not match its commitment", commitment)
	}
	return text, nonce, true, nil
}
