package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/linli-community/linli/templates"
	"github.com/linli-community/linli/verify"
)

// stringsFlag is a flag that may repeat.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// runVerify checks a receipt without trusting the node it asks (package
// verify) and prints one line per step. It exits non-zero when a step
// failed, a witness conflicts with the primary or was dropped.
func runVerify(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "verify", "TXHASH [--node URL] [--witness URL]... [--trust HEIGHT:HASH]")
	cf := addClientFlags(fs)
	var witnesses stringsFlag
	fs.Var(&witnesses, "witness", "another party's node RPC URL to compare headers with (may repeat)")
	trust := fs.String("trust", "", "trust anchor HEIGHT:HASH, as linli anchor prints it (default: trust the node's first header, and say so)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("verify wants one tx hash")
	}
	o := verify.Options{Witnesses: witnesses}
	if *trust != "" {
		a, err := verify.ParseTrust(*trust)
		if err != nil {
			return err
		}
		o.Trust = &a
	}
	if _, o.Node, err = cf.nodeURL(); err != nil {
		return err
	}
	rep := verify.Check(ctx, pos[0], o)
	if err := printReport(env, rep); err != nil {
		return err
	}
	if !rep.OK() {
		s, _ := rep.Failed()
		fmt.Fprintf(env.Stderr, "linli verify: step %s failed at %s: %s\n", s.Name, s.Node, s.Err)
		return errReported
	}
	return nil
}

// printReport prints a report's steps and its closing line in Chinese.
func printReport(env *Env, rep verify.Report) error {
	t := templates.MustLoad()
	for _, s := range rep.Steps {
		line, err := t.Render("verify.step."+s.Name, s)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, line)
	}
	anchored := len(rep.Steps) > 0 && rep.Steps[0].Name == verify.StepAnchor && rep.Steps[0].Reason != verify.ReasonFirstHeader
	done, err := t.Render("verify.done", struct{ OK, Anchored bool }{rep.OK(), anchored})
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, done)
	return nil
}

// runAnchor prints a header as a trust anchor, JSON {"chain_id",
// "height", "hash"}, for a validator's operator to publish.
func runAnchor(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "anchor", "[--height N] [--node URL]")
	cf := addClientFlags(fs)
	height := fs.Int64("height", 0, "the block whose header to print (default: the latest)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	_, url, err := cf.nodeURL()
	if err != nil {
		return err
	}
	a, err := verify.GetAnchor(ctx, url, *height)
	if err != nil {
		return fmt.Errorf("anchor: %w", err)
	}
	b, _ := json.Marshal(a)
	fmt.Fprintln(env.Stdout, string(b))
	return nil
}
