package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/roster"
)

func runRoster(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("roster wants import FILE.csv or export [FILE]")
	}
	switch args[0] {
	case "import":
		return runRosterImport(ctx, env, args[1:])
	case "export":
		return runRosterExport(ctx, env, args[1:])
	}
	return fmt.Errorf("roster: unknown action %q (import or export)", args[0])
}

// runRosterImport registers the units of a CSV file. Every row is checked
// before anything is submitted; only new or changed units are sent, so
// importing the same file twice changes nothing.
func runRosterImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "roster import", "FILE.csv   (columns unit,building,area_m2,owner)")
	cf := addClientFlags(fs)
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		fs.Usage()
		return fmt.Errorf("roster import wants one FILE.csv")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	rows, err := roster.Parse(f)
	f.Close()
	var pe *roster.ParseError
	if errors.As(err, &pe) {
		fmt.Fprintf(env.Stderr, "%s\n没有提交任何内容。请改正后重新导入。\n", pe)
		return errReported
	}
	if err != nil {
		return err
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	var onChain []abci.Unit
	if err := c.query(ctx, "units", &onChain); err != nil {
		return err
	}
	changes, unchanged, added := diffRoster(rows, onChain)
	fmt.Fprintf(env.Stderr, "linli: %d units in %s: %d new, %d changed, %d unchanged\n",
		len(rows), args[0], added, len(changes)-added, unchanged)
	if missing := len(onChain) - (len(changes) - added) - unchanged; missing > 0 {
		fmt.Fprintf(env.Stderr, "linli: %d registered units are not in the file; they stay registered\n", missing)
	}
	if len(changes) == 0 {
		printJSON(env, map[string]int{"submitted": 0, "unchanged": unchanged})
		return nil
	}
	key, err := c.signer("")
	if err != nil {
		return err
	}
	bar := progressbar.NewOptions(len(changes), progressbar.OptionSetWriter(env.Stderr),
		progressbar.OptionSetDescription("登记房屋"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	var receipts []ledger.Receipt
	for start := 0; start < len(changes); start += c.conf.Roster.BatchSize {
		batch := changes[start:min(start+c.conf.Roster.BatchSize, len(changes))]
		r, err := c.submit(ctx, key, &tx.UnitRegister{Units: batch})
		if err != nil || r.Code != 0 {
			bar.Exit()
			fmt.Fprintf(env.Stderr, "linli: batch of units %s to %s was not registered\n", batch[0].Unit, batch[len(batch)-1].Unit)
			return printReceipt(env, r, err)
		}
		receipts = append(receipts, r)
		bar.Add(len(batch))
	}
	bar.Finish()
	printJSON(env, map[string]any{"submitted": len(changes), "unchanged": unchanged, "receipts": receipts})
	return nil
}

// diffRoster returns the rows that differ from the chain (new ones first
// counted in added) and how many are already registered as given.
func diffRoster(rows []roster.Row, onChain []abci.Unit) (changes []tx.UnitSpec, unchanged, added int) {
	have := make(map[string]abci.Unit, len(onChain))
	for _, u := range onChain {
		have[u.Unit] = u
	}
	for _, r := range rows {
		s := tx.UnitSpec{Unit: r.Unit, Building: r.Building, Area: r.Area, Owner: r.Owner}
		u, ok := have[r.Unit]
		switch {
		case !ok:
			added++
		case u.Building == s.Building && u.Area == s.Area && u.Owner == s.Owner:
			unchanged++
			continue
		}
		changes = append(changes, s)
	}
	return changes, unchanged, added
}

// runRosterExport writes the registered units as a roster file.
func runRosterExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "roster export", "[FILE.csv]   (default: standard output)")
	cf := addClientFlags(fs)
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) > 1 {
		return fmt.Errorf("roster export wants at most one FILE")
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	var units []abci.Unit
	if err := c.query(ctx, "units", &units); err != nil {
		return err
	}
	rows := make([]roster.Row, len(units))
	for i, u := range units {
		rows[i] = roster.Row{Unit: u.Unit, Building: u.Building, Area: u.Area, Owner: u.Owner}
	}
	var w io.Writer = env.Stdout
	if len(args) == 1 {
		f, err := os.Create(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return roster.Write(w, rows)
}
