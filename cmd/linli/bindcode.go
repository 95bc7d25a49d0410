package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"github.com/linli-community/linli/abci/tx"
)

// runBindCode issues a one-time binding code for a unit. The code goes to
// stdout once, on one line in groups of four digits (or as JSON with
// --json), for the admin to hand over; the chain keeps only its verifier
// (tx.NewBindVerifier). The receipt goes to stderr.
func runBindCode(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "bindcode", "UNIT [--relation owner|tenant] [--ttl 168h] [--json]")
	cf := addClientFlags(fs)
	relation := fs.String("relation", tx.RelationOwner, "who binds with the code: owner or tenant")
	ttl := fs.Duration("ttl", 7*24*time.Hour, "how long the code stays valid")
	asJSON := fs.Bool("json", false, `print {"unit","code","expires"} instead of the grouped code`)
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		fs.Usage()
		return fmt.Errorf("bindcode wants one UNIT")
	}
	code, err := newBindCode()
	if err != nil {
		return err
	}
	salt := make([]byte, tx.BindCodeSaltSize)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	body := tx.NewBindCodeIssue(args[0], *relation, code, salt, time.Now().Add(*ttl).Unix())
	if err := body.Validate(); err != nil {
		return err
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	key, err := c.signer("")
	if err != nil {
		return err
	}
	r, err := c.submit(ctx, key, body)
	if err != nil || r.Code != 0 {
		return printReceipt(env, r, err)
	}
	expires := time.Unix(body.ExpiresAt, 0)
	if *asJSON {
		printJSON(env, struct {
			Unit    string `json:"unit"`
			Code    string `json:"code"`
			Expires string `json:"expires"`
		}{body.Unit, code, expires.Format(time.RFC3339)})
	} else {
		fmt.Fprintln(env.Stdout, tx.GroupBindCode(code))
	}
	fmt.Fprintf(env.Stderr, "linli: binding code for %s (%s), valid until %s, recorded at height %d (tx %s)\n",
		body.Unit, body.Relation, expires.Format("2006-01-02 15:04"), r.Height, r.Hash)
	return nil
}

// newBindCode returns tx.BindCodeDigits uniformly random digits.
func newBindCode() (string, error) {
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(tx.BindCodeDigits), nil)
	n, err := rand.Int(rand.Reader, max)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", tx.BindCodeDigits, n), nil
}
