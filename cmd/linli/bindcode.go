package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"github.com/linli-community/linli/abci/tx"
)

// bindCodeDigits is the length of the codes linli issues: long enough that
// guessing against the public hash is slow, short enough to read out.
const bindCodeDigits = 8

func runBindCode(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "bindcode", "UNIT [--relation owner|tenant] [--ttl 168h]")
	cf := addClientFlags(fs)
	relation := fs.String("relation", tx.RelationOwner, "who binds with the code: owner or tenant")
	ttl := fs.Duration("ttl", 7*24*time.Hour, "how long the code stays valid")
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
	if err == nil && r.Code == 0 {
		// The code is printed once, to the admin who hands it over; the
		// chain keeps only its salted hash.
		fmt.Fprintf(env.Stderr, "linli: binding code for %s (%s), valid until %s: %s\n",
			body.Unit, body.Relation, time.Unix(body.ExpiresAt, 0).Format("2006-01-02 15:04"), code)
	}
	return printReceipt(env, r, err)
}

func newBindCode() (string, error) {
	max := big.NewInt(1)
	for range bindCodeDigits {
		max.Mul(max, big.NewInt(10))
	}
	n, err := rand.Int(rand.Reader, max)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", bindCodeDigits, n), nil
}
