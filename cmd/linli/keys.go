package main

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/node"
)

func runKeys(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "derive" {
		return runKeysDerive(env, args[1:])
	}
	fs := newFlags(env, "keys", "[derive --channel C --user U]")
	h := homeFlag(fs)
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	out := map[string]string{}
	k, err := keys.Load(home(*h).adminKey())
	if err == nil {
		out["admin"] = string(keys.Address(k))
	}
	// The validator key's public half, in the form validator.update takes.
	if home(*h).exists() {
		pub, verr := node.ValidatorKey(*h)
		if verr != nil {
			return verr
		}
		out["validator_pub_key"] = hex.EncodeToString(pub.Bytes())
	}
	if len(out) == 0 {
		return err
	}
	printJSON(env, out)
	return nil
}

func runKeysDerive(env *Env, args []string) error {
	fs := newFlags(env, "keys derive", "--channel C --user U")
	h := homeFlag(fs)
	channel := fs.String("channel", "", "chat channel, e.g. wechat or console")
	user := fs.String("user", "", "the user's id on that channel")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" || *user == "" {
		fs.Usage()
		return fmt.Errorf("keys derive wants --channel and --user")
	}
	secret, err := keys.LoadMasterSecret(home(*h).masterSecret())
	if err != nil {
		return err
	}
	k, err := keys.Derive(secret, *channel, *user)
	if err != nil {
		return err
	}
	// The user id is deliberately not printed: it must not travel with the
	// address it maps to.
	printJSON(env, map[string]string{"channel": *channel, "address": string(keys.Address(k))})
	return nil
}
