package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

func runQuery(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "query", "PATH   (chain, params, units, units/UNIT, owners/LABEL, members/ADDR, roles, proxies, proxies/OWNER, proxies/by/ADDR, proxy/ID)")
	cf := addClientFlags(fs)
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		fs.Usage()
		return fmt.Errorf("query wants one PATH")
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.query(ctx, args[0], &raw); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err = env.Stdout.Write(buf.Bytes())
	return err
}
