package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/roster"
)

func runRoster(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("roster wants import FILE.xlsx|FILE.csv, export [FILE] or template [FILE]")
	}
	switch args[0] {
	case "import":
		return runRosterImport(ctx, env, args[1:])
	case "export":
		return runRosterExport(ctx, env, args[1:])
	case "template":
		return runRosterTemplate(env, args[1:])
	}
	return fmt.Errorf("roster: unknown action %q (import, export or template)", args[0])
}

// spreadsheetKind says how a roster or statement file is written, by its
// name's extension: .xlsx is a workbook, anything else CSV. The old binary
// .xls format is refused with a hint.
func spreadsheetKind(name string) (xlsx bool, err error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		return true, nil
	case ".xls", ".et":
		return false, fmt.Errorf("%s: 这是旧的 Excel/WPS 格式，请在 Excel 或 WPS 里“另存为” .xlsx（Excel 工作簿）后再用", name)
	}
	return false, nil
}

// runRosterTemplate writes an empty roster to fill in.
func runRosterTemplate(env *Env, args []string) error {
	fs := newFlags(env, "roster template", "[FILE.xlsx|FILE.csv]   (default: CSV on standard output)")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) > 1 {
		fs.Usage()
		return fmt.Errorf("roster template wants at most one FILE")
	}
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, roster.TemplateNotes())
		return roster.WriteTemplate(env.Stdout, false)
	}
	xlsx, err := spreadsheetKind(args[0])
	if err != nil {
		return err
	}
	if _, err := os.Stat(args[0]); err == nil {
		return fmt.Errorf("%s already exists; give another name (nothing was written)", args[0])
	}
	var buf bytes.Buffer
	if err := roster.WriteTemplate(&buf, xlsx); err != nil {
		return err
	}
	if err := os.WriteFile(args[0], buf.Bytes(), 0o644); err != nil {
		return err
	}
	if !xlsx {
		fmt.Fprintln(env.Stderr, roster.TemplateNotes())
	}
	fmt.Fprintf(env.Stderr, "linli: 名册模板已写入 %s：删掉两行示例，每套房屋填一行，再运行 linli roster import %s\n", args[0], args[0])
	return nil
}

// runRosterImport registers the units of a CSV file. Every row is checked
// before anything is submitted; only new or changed units are sent, so
// importing the same file twice changes nothing.
func runRosterImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "roster import", "FILE.xlsx|FILE.csv   (columns unit,building,area_m2,owner or 房号,楼栋,面积,业主; a workbook's first sheet)")
	cf := addClientFlags(fs)
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		fs.Usage()
		return fmt.Errorf("roster import wants one FILE.xlsx or FILE.csv")
	}
	xlsx, err := spreadsheetKind(args[0])
	if err != nil {
		return err
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	parseRoster := roster.Parse
	if xlsx {
		parseRoster = roster.ParseXLSX
	}
	rows, err := parseRoster(f)
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
	var batches []*tx.UnitRegister
	var bodies []tx.Body
	for start := 0; start < len(changes); start += c.conf.Roster.BatchSize {
		b := &tx.UnitRegister{Units: changes[start:min(start+c.conf.Roster.BatchSize, len(changes))]}
		batches, bodies = append(batches, b), append(bodies, b)
	}
	// All batches go to the mempool at once, so they share blocks.
	receipts, err := c.submitMany(ctx, key, bodies, func(i int) { bar.Add(len(batches[i].Units)) })
	for i, r := range receipts {
		if i == len(receipts)-1 && err != nil || r.Code != 0 {
			bar.Exit()
			b := batches[i].Units
			fmt.Fprintf(env.Stderr, "linli: batch of units %s to %s was not registered\n", b[0].Unit, b[len(b)-1].Unit)
			return printReceipt(env, r, err)
		}
	}
	if err != nil {
		bar.Exit()
		return err
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
	fs := newFlags(env, "roster export", "[FILE.xlsx|FILE.csv]   (default: CSV on standard output)")
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
	if len(args) == 0 {
		return roster.Write(env.Stdout, rows)
	}
	xlsx, err := spreadsheetKind(args[0])
	if err != nil {
		return err
	}
	write := roster.Write
	if xlsx {
		write = roster.WriteXLSX
	}
	return writeFile(args[0], func(w io.Writer) error { return write(w, rows) })
}

// writeFile writes a file through write, removing it again if write fails
// so that no half-written spreadsheet is left behind.
func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	return f.Close()
}
