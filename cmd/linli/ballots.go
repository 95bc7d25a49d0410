package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/keys"
)

// runBallots enters paper ballots from a CSV file: `ballots import FILE`.
func runBallots(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(env.Stderr, "Usage: linli ballots import FILE.csv [--proposal N] [--as CHANNEL:USER]")
		return fmt.Errorf("ballots wants import")
	}
	return runBallotsImport(ctx, env, args[1:])
}

// ballotRow is one checked row of an import: one scrutineer's entry.
type ballotRow struct {
	line  int
	entry *tx.SheetEnter
}

// choiceWords are what a choice column may say: the option, its number
// on the chat's list, or its English name.
var choiceWords = map[string]int{
	"同意": tx.DecisionOptionYes, "1": tx.DecisionOptionYes, "agree": tx.DecisionOptionYes, "yes": tx.DecisionOptionYes,
	"反对": tx.DecisionOptionNo, "2": tx.DecisionOptionNo, "oppose": tx.DecisionOptionNo, "no": tx.DecisionOptionNo,
	"弃权": tx.DecisionOptionAbs, "3": tx.DecisionOptionAbs, "abstain": tx.DecisionOptionAbs,
}

// parseBallotCSV reads code,choice,scan_sha256 rows (a header row naming
// the columns is skipped) and checks each on its own. It returns every
// problem, one per bad row, in Chinese with the row's line number.
func parseBallotCSV(r io.Reader, proposal uint64) ([]ballotRow, []string) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var rows []ballotRow
	var bad []string
	seen := map[string]int{}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, append(bad, fmt.Sprintf("不是有效的 CSV：%v", err))
		}
		// Line numbers are the file's, blank lines included, as an editor
		// shows them.
		line, _ := cr.FieldPos(0)
		if first {
			rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
		}
		if first && strings.EqualFold(strings.TrimSpace(rec[0]), "code") {
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) != 3 {
			bad = append(bad, fmt.Sprintf("第 %d 行：应当有 3 列（选票编号,选择,扫描件SHA-256），这一行有 %d 列", line, len(rec)))
			continue
		}
		code, ok := tx.NormalizeSheetCode(rec[0])
		if !ok {
			bad = append(bad, fmt.Sprintf("第 %d 行：选票编号 %q 不是 %d 位数字", line, rec[0], tx.SheetCodeDigits))
			continue
		}
		choice, ok := choiceWords[strings.ToLower(strings.TrimSpace(rec[1]))]
		if !ok {
			bad = append(bad, fmt.Sprintf("第 %d 行：选择 %q 看不懂，请写 同意、反对 或 弃权（或 1、2、3）", line, rec[1]))
			continue
		}
		scan := strings.ToLower(strings.TrimSpace(rec[2]))
		if len(scan) != 64 || strings.Trim(scan, "0123456789abcdef") != "" {
			bad = append(bad, fmt.Sprintf("第 %d 行：扫描件的 SHA-256 应当是 64 位十六进制数字", line))
			continue
		}
		if prev, dup := seen[code]; dup {
			bad = append(bad, fmt.Sprintf("第 %d 行：选票 %s 在第 %d 行已经有了；一个文件里每张票只能录一次", line, tx.FormatSheetCode(code), prev))
			continue
		}
		seen[code] = line
		rows = append(rows, ballotRow{line, &tx.SheetEnter{Proposal: proposal, Code: code, Choice: choice, ScanSHA256: scan}})
	}
	if len(rows) == 0 && len(bad) == 0 {
		bad = append(bad, "文件里没有选票")
	}
	return rows, bad
}

// checkBallotRows checks rows against the chain as the chain will:
// each code must be one of the decision's sheets, not counted yet, not
// entered by this scrutineer already and not waiting for an admin after
// a mismatch. It returns one problem per bad row.
func checkBallotRows(chainID string, p decisionView, sheets []abci.SheetView, signer tx.Address, rows []ballotRow) []string {
	byVerifier := make(map[string]abci.SheetView, len(sheets))
	for _, s := range sheets {
		byVerifier[s.Verifier] = s
	}
	var bad []string
	for _, r := range rows {
		s, ok := byVerifier[tx.SheetVerifier(chainID, p.ID, r.entry.Code)]
		grouped := tx.FormatSheetCode(r.entry.Code)
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("第 %d 行：选票 %s 不是第 %d 项表决发出的选票", r.line, grouped, p.ID))
		case s.Status == abci.SheetCounted:
			bad = append(bad, fmt.Sprintf("第 %d 行：选票 %s（%s）已经计票了", r.line, grouped, s.Owner))
		case s.Status == abci.SheetMismatch:
			bad = append(bad, fmt.Sprintf("第 %d 行：选票 %s（%s）的两次录入不一致，要等管理员作废录错的一次", r.line, grouped, s.Owner))
		case slices.ContainsFunc(s.Entries, func(e abci.SheetEntry) bool { return e.Scrutineer == signer && e.VoidTx == "" }):
			bad = append(bad, fmt.Sprintf("第 %d 行：选票 %s（%s）您已经录过了，要由另一位监票人再录", r.line, grouped, s.Owner))
		}
	}
	return bad
}

func runBallotsImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "ballots import", "FILE.csv [--proposal N] [--as CHANNEL:USER]   (rows: code,choice,scan_sha256; each row is one entry by the signer, a scrutineer)")
	cf := addClientFlags(fs)
	id := fs.Uint64("proposal", 0, "the owners' decision the sheets belong to (default: the one decision now voting)")
	as := fs.String("as", "", "sign as the custodial key of chat user CHANNEL:USER (the scrutineer) instead of the home's admin key")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		fs.Usage()
		return fmt.Errorf("ballots import wants one FILE.csv")
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	if *id == 0 {
		if *id, err = votingDecision(ctx, c); err != nil {
			return err
		}
	}
	p, err := c.decision(ctx, *id)
	if err != nil {
		return err
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	rows, bad := parseBallotCSV(f, p.ID)
	f.Close()
	key, err := c.signer(*as)
	if err != nil {
		return err
	}
	signer := keys.Address(key)
	var m abci.MemberView
	if err := c.query(ctx, "members/"+string(signer), &m); err != nil || !slices.Contains(m.Roles, tx.RoleScrutineer) {
		return fmt.Errorf("ballots import: %s is not a scrutineer (监票人); an admin grants the role with role.grant", signer)
	}
	var chain abci.ChainInfo
	if err := c.query(ctx, "chain", &chain); err != nil {
		return err
	}
	var sheets []abci.SheetView
	if err := c.query(ctx, fmt.Sprintf("proposals/%d/sheets", p.ID), &sheets); err != nil {
		return err
	}
	bad = append(bad, checkBallotRows(chain.ChainID, p, sheets, signer, rows)...)
	slices.SortStableFunc(bad, func(a, b string) int { return lineOf(a) - lineOf(b) })
	if len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintln(env.Stderr, b)
		}
		fmt.Fprintf(env.Stderr, "linli: %d rows are wrong; nothing was entered. Correct the file and import it again.\n", len(bad))
		return errReported
	}
	bodies := make([]tx.Body, len(rows))
	for i, r := range rows {
		bodies[i] = r.entry
	}
	results, err := c.submitMany(ctx, key, bodies, nil)
	entered := 0
	for _, r := range results {
		if r.Code != 0 {
			break
		}
		entered++
	}
	if entered < len(rows) || err != nil {
		if entered < len(results) {
			fmt.Fprintf(env.Stderr, "第 %d 行没有录入：\n", rows[entered].line)
			return printReceipt(env, results[entered], err)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "linli: %d of %d rows entered before: %v\n", entered, len(rows), err)
			return err
		}
	}
	// How the entries stand now: counted (the second agreeing entry),
	// waiting for a second scrutineer, or in mismatch.
	if err := c.query(ctx, fmt.Sprintf("proposals/%d/sheets", p.ID), &sheets); err != nil {
		return err
	}
	mine := map[string]bool{}
	for _, r := range results {
		mine[r.Hash] = true
	}
	sum := struct {
		Proposal uint64 `json:"proposal"`
		Entered  int    `json:"entered"`
		Counted  int    `json:"counted"`
		Waiting  int    `json:"waiting"`
		Mismatch int    `json:"mismatch"`
		FirstTx  int64  `json:"first_height"`
		LastTx   int64  `json:"last_height"`
	}{Proposal: p.ID, Entered: entered, FirstTx: results[0].Height, LastTx: results[len(results)-1].Height}
	for _, s := range sheets {
		if !slices.ContainsFunc(s.Entries, func(e abci.SheetEntry) bool { return mine[e.TxHash] }) {
			continue
		}
		switch s.Status {
		case abci.SheetCounted:
			sum.Counted++
		case abci.SheetEntered:
			sum.Waiting++
		case abci.SheetMismatch:
			sum.Mismatch++
		}
	}
	printJSON(env, sum)
	return nil
}

// votingDecision is the one owners' decision now voting.
func votingDecision(ctx context.Context, c *client) (uint64, error) {
	var list []decisionView
	if err := c.query(ctx, "proposals", &list); err != nil {
		return 0, err
	}
	var ids []uint64
	for _, p := range list {
		if p.Kind == abci.KindDecision && p.Phase == "voting" {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("%d decisions are voting: name one with --proposal N", len(ids))
	}
	return ids[0], nil
}

// lineOf is the line number a problem names ("第 N 行：…"), 0 for none.
func lineOf(problem string) int {
	var n int
	fmt.Sscanf(problem, "第 %d 行", &n)
	return n
}
