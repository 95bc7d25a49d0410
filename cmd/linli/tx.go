package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/linli-community/linli/abci/tx"
)

func runTx(ctx context.Context, env *Env, args []string) error {
	var names []string
	for _, t := range tx.Types() {
		names = append(names, string(t))
	}
	fs := newFlags(env, "tx", "TYPE BODY_JSON   (TYPE: "+strings.Join(names, ", ")+"; times as unix seconds or China-time dates: \"vote_end\":\"2026-12-20 20:00\")")
	cf := addClientFlags(fs)
	as := fs.String("as", "", "sign as the custodial key of chat user CHANNEL:USER instead of the admin key")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 2 {
		fs.Usage()
		return fmt.Errorf("tx wants TYPE and BODY_JSON")
	}
	raw, err := resolveDates([]byte(args[1]), time.Now())
	if err != nil {
		return err
	}
	body, err := tx.DecodeBody(tx.Type(args[0]), raw)
	if err != nil {
		return err
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	key, err := c.signer(*as)
	if err != nil {
		return err
	}
	r, err := c.submit(ctx, key, body)
	return printReceipt(env, r, err)
}
