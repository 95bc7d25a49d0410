package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/board"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/templates"
)

// runPrint writes printable pages of a decision for the committee:
// `print sheets` issues the paper ballots and prints them, `print
// not-voted` prints the door-to-door list. Both print through the notice
// board's A4 layout, but neither page is on the public board.
func runPrint(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "sheets":
			return runPrintSheets(ctx, env, args[1:])
		case "not-voted":
			return runPrintNotVoted(ctx, env, args[1:])
		}
	}
	fmt.Fprintln(env.Stderr, "Usage: linli print sheets --proposal N [--out FILE] | linli print not-voted --proposal N [--out FILE]")
	return fmt.Errorf("print wants sheets or not-voted")
}

// decisionView is a proposal as the chain answers proposals/ID.
type decisionView struct {
	abci.Proposal
	Phase string `json:"phase"`
}

// chainView is the chain query's answer.
type chainView struct {
	abci.ChainInfo
	Height    int64  `json:"height"`
	AppHash   string `json:"app_hash"`
	BlockTime int64  `json:"block_time"`
}

func (c *client) decision(ctx context.Context, id uint64) (decisionView, error) {
	var p decisionView
	if err := c.query(ctx, fmt.Sprintf("proposals/%d", id), &p); err != nil {
		return p, err
	}
	if p.Kind != abci.KindDecision {
		return p, fmt.Errorf("proposal %d is a poll, not an owners' decision", id)
	}
	return p, nil
}

// ballotSheet is one printed paper ballot.
type ballotSheet struct {
	Owner, Building string
	Units           []string
	Area            int64
	Code            string `json:"-"`
	CodeGrouped     string `json:"-"`
}

// ballotSheets is the body data of the printed ballots.
type ballotSheets struct {
	Community          string
	Proposal           uint64
	Title, Text, Class string
	VoteStart, VoteEnd int64
	Options            []string
	Sheets             []ballotSheet
}

// electorateSheets lists one sheet per owner of the electorate of p, with
// the owner's units in it, ordered by building and floor (natural unit
// order) of each owner's first unit.
func electorateSheets(ctx context.Context, c *client, p decisionView) ([]ballotSheet, error) {
	var units []abci.Unit
	if err := c.query(ctx, "units", &units); err != nil {
		return nil, err
	}
	byOwner := map[string]*ballotSheet{}
	var order []string
	for _, u := range units {
		if len(p.Buildings) > 0 && !slices.Contains(p.Buildings, u.Building) {
			continue
		}
		s := byOwner[u.Owner]
		if s == nil {
			s = &ballotSheet{Owner: u.Owner}
			byOwner[u.Owner] = s
			order = append(order, u.Owner)
		}
		s.Units = append(s.Units, u.Unit)
		s.Area += u.Area
	}
	out := make([]ballotSheet, 0, len(order))
	for _, o := range order {
		s := byOwner[o]
		tx.SortNatural(s.Units)
		s.Building = buildingOf(units, s.Units[0])
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b ballotSheet) int {
		if a.Building != b.Building {
			return naturalCmp(a.Building, b.Building)
		}
		return naturalCmp(a.Units[0], b.Units[0])
	})
	return out, nil
}

func buildingOf(units []abci.Unit, unit string) string {
	for _, u := range units {
		if u.Unit == unit {
			return u.Building
		}
	}
	return ""
}

func naturalCmp(a, b string) int {
	switch {
	case a == b:
		return 0
	case tx.NaturalLess(a, b):
		return -1
	}
	return 1
}

func runPrintSheets(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "print sheets", "--proposal N [--out FILE] [--owner LABEL,...] [--not-voted] [--reissue]")
	cf := addClientFlags(fs)
	id := fs.Uint64("proposal", 0, "the owners' decision to issue paper ballots for")
	out := fs.String("out", "", "the printable A4 HTML file to write, mode 0600 (default sheets-N.html)")
	only := fs.String("owner", "", "issue (or reissue, for a lost sheet) only these owners' sheets, comma-separated")
	notVoted := fs.Bool("not-voted", false, "issue only the sheets of owners who have not voted yet (a second round door to door)")
	reissue := fs.Bool("reissue", false, "replace every sheet already issued and not yet entered (their old codes stop working)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *id == 0 {
		fs.Usage()
		return fmt.Errorf("print sheets wants --proposal N")
	}
	if *out == "" {
		*out = fmt.Sprintf("sheets-%d.html", *id)
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	p, err := c.decision(ctx, *id)
	if err != nil {
		return err
	}
	var chain chainView
	if err := c.query(ctx, "chain", &chain); err != nil {
		return err
	}
	sheets, err := electorateSheets(ctx, c, p)
	if err != nil {
		return err
	}
	// A sheet that scrutineers started entering keeps its code; the chain
	// would refuse to replace it.
	var issued []abci.SheetView
	if err := c.query(ctx, fmt.Sprintf("proposals/%d/sheets", p.ID), &issued); err != nil {
		return err
	}
	entered := map[string]bool{}
	for _, s := range issued {
		if len(s.Entries) > 0 {
			entered[s.Owner] = true
		}
	}
	before := len(issued)
	// Printing again replaces codes that may already be in letterboxes:
	// only on purpose.
	if before > 0 && *only == "" && !*notVoted && !*reissue {
		return fmt.Errorf("print sheets: %d sheets of decision %d are issued already; reprinting replaces their codes. Use --owner LABEL for lost sheets, --not-voted for a second round, or --reissue to replace them all", before, *id)
	}
	var wanted []string
	if *only != "" {
		wanted = strings.Split(*only, ",")
	}
	if *notVoted {
		var rows []abci.NotVotedRow
		if err := c.query(ctx, fmt.Sprintf("proposals/%d/notvoted", p.ID), &rows); err != nil {
			return err
		}
		var owners []string
		for _, r := range rows {
			if (wanted == nil || slices.Contains(wanted, r.Owner)) && !slices.Contains(owners, r.Owner) {
				owners = append(owners, r.Owner)
			}
		}
		if wanted = owners; wanted == nil {
			wanted = []string{} // everyone has voted: nothing to issue
		}
	}
	var todo []ballotSheet
	for _, s := range sheets {
		if (wanted == nil || slices.Contains(wanted, s.Owner)) && !entered[s.Owner] {
			todo = append(todo, s)
		}
	}
	if n := len(sheets) - len(todo); n > 0 && wanted == nil {
		fmt.Fprintf(env.Stderr, "linli: %d owners' sheets already have entries and keep their codes\n", n)
	}
	if len(todo) == 0 {
		return fmt.Errorf("print sheets: no sheet to issue for decision %d", p.ID)
	}
	specs, err := newSheetCodes(chain.ChainID, p.ID, todo)
	if err != nil {
		return err
	}
	batches := packSheets(chain.ChainID, p.ID, specs)
	bodies := make([]tx.Body, len(batches))
	for i, b := range batches {
		bodies[i] = b
	}
	key, err := c.signer("")
	if err != nil {
		return err
	}
	results, err := c.submitMany(ctx, key, bodies, nil)
	var failed error
	for _, r := range results {
		if r.Code != 0 {
			failed = printReceipt(env, r, nil)
			break
		}
	}
	if errors.Is(err, ledger.ErrPending) {
		// A loaded node may commit after the commit timeout, and these
		// codes exist nowhere else: wait longer for the chain to show them.
		fmt.Fprintln(env.Stderr, "linli: the node has not confirmed the sheets yet; waiting up to two minutes more")
		err = nil
		waitSheets(ctx, c, p.ID, specs, 2*time.Minute)
	}
	if failed == nil && err != nil {
		failed = err
	}
	// Only sheets the chain recorded, with these codes, are printed.
	onChain, qerr := issuedVerifiers(ctx, c, p.ID)
	if qerr != nil {
		return errors.Join(failed, qerr)
	}
	var printed, missing []ballotSheet
	for i, s := range todo {
		if onChain[s.Owner] == specs[i].Verifier {
			printed = append(printed, s)
		} else {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(env.Stderr, "linli: the sheets of %d owners (%s first) were not issued; run print sheets --owner for them\n", len(missing), missing[0].Owner)
		if failed == nil {
			failed = errReported
		}
	}
	if len(printed) > 0 {
		if err := writeBallotSheets(ctx, c, *out, p, chain, printed); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "linli: %d paper ballots for decision %d issued in %d txs; written to %s\n", len(printed), p.ID, len(batches), *out)
	}
	return failed
}

// issuedVerifiers maps each owner with a sheet on decision id to its
// code's verifier.
func issuedVerifiers(ctx context.Context, c *client, id uint64) (map[string]string, error) {
	var sheets []abci.SheetView
	if err := c.query(ctx, fmt.Sprintf("proposals/%d/sheets", id), &sheets); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(sheets))
	for _, s := range sheets {
		m[s.Owner] = s.Verifier
	}
	return m, nil
}

// waitSheets polls the chain, for at most limit, until every one of specs
// is issued.
func waitSheets(ctx context.Context, c *client, id uint64, specs []tx.SheetSpec, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		m, err := issuedVerifiers(ctx, c, id)
		if err == nil && !slices.ContainsFunc(specs, func(s tx.SheetSpec) bool { return m[s.Owner] != s.Verifier }) {
			return
		}
		time.Sleep(time.Second)
	}
}

// newSheetCodes draws a random code for each sheet and derives its
// verifier on every core.
func newSheetCodes(chainID string, id uint64, sheets []ballotSheet) ([]tx.SheetSpec, error) {
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(tx.SheetCodeDigits), nil)
	for i := range sheets {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return nil, err
		}
		sheets[i].Code = fmt.Sprintf("%0*d", tx.SheetCodeDigits, n)
		sheets[i].CodeGrouped = tx.FormatSheetCode(sheets[i].Code)
	}
	specs := make([]tx.SheetSpec, len(sheets))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range next {
				specs[i] = tx.SheetSpec{Owner: sheets[i].Owner, Verifier: tx.SheetVerifier(chainID, id, sheets[i].Code)}
			}
		})
	}
	for i := range sheets {
		next <- i
	}
	close(next)
	wg.Wait()
	return specs, nil
}

// packSheets splits specs into as few sheet.issue txs as the limits allow,
// keeping their order.
func packSheets(chainID string, id uint64, specs []tx.SheetSpec) []*tx.SheetIssue {
	const envelope = 1024 // chain id, signer, nonce, signature
	empty := len(tx.New(chainID, 1, &tx.SheetIssue{Proposal: id}).Encode())
	var out []*tx.SheetIssue
	var cur *tx.SheetIssue
	size := 0
	for _, s := range specs {
		n := len(tx.Canonical(s)) + 1
		if cur == nil || len(cur.Sheets) == tx.MaxSheetsPerTx || size+n > tx.MaxBytes-envelope {
			cur = &tx.SheetIssue{Proposal: id}
			out = append(out, cur)
			size = empty
		}
		cur.Sheets = append(cur.Sheets, s)
		size += n
	}
	return out
}

// writeBallotSheets prints sheets through the board's A4 layout into a
// new 0600 file: the codes are secrets until the sheets are handed out.
func writeBallotSheets(ctx context.Context, c *client, path string, p decisionView, chain chainView, sheets []ballotSheet) error {
	data := ballotSheets{Community: chain.Community, Proposal: p.ID, Title: p.Title, Text: p.Text, Class: p.Class,
		VoteStart: p.VoteStart, VoteEnd: p.VoteEnd, Options: p.Options, Sheets: sheets}
	page, err := renderSheet(c, "ballot_sheets", data, func(b *board.Board) board.Sheet {
		return board.Sheet{Title: "书面表决票：" + p.Title, Community: chain.Community,
			Legal:   "依据《民法典》第二百七十八条，由业主共同决定；每位业主一票，面积合计。",
			Posting: "投票时间 " + cstTime(p.VoteStart) + " 至 " + cstTime(p.VoteEnd),
			URL:     b.URL(fmt.Sprintf("/decisions/%d", p.ID))}
	}, chain)
	if err != nil {
		return err
	}
	return writePrivate(path, page)
}

// renderSheet renders body template name with data into the board's
// print layout, with the proof block of the chain's height. The data hash
// covers data as encoded for JSON, which leaves the codes out.
func renderSheet(c *client, name string, data any, sheet func(*board.Board) board.Sheet, chain chainView) ([]byte, error) {
	b, err := board.New(c.lc, templates.MustLoad())
	if err != nil {
		return nil, err
	}
	b.PublicURL = c.conf.Board.URL(c.conf.Board.Listen)
	body, err := b.Body(name, data)
	if err != nil {
		return nil, err
	}
	_, hash, err := board.DataJSON(data)
	if err != nil {
		return nil, err
	}
	s := sheet(b)
	s.Body = body
	s.Proof = board.Proof{ChainID: chain.ChainID, Height: chain.Height, BlockTime: chain.BlockTime, AppHash: chain.AppHash, DataHash: hash, DataURL: s.URL}
	var buf bytes.Buffer
	if err := b.RenderSheet(&buf, s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writePrivate writes a new file readable by its owner only, replacing
// one that exists.
func writePrivate(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// notVotedBuilding is one building of the door-to-door list.
type notVotedBuilding struct {
	Building string
	Rows     []abci.NotVotedRow
}

func runPrintNotVoted(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "print not-voted", "--proposal N [--out FILE]")
	cf := addClientFlags(fs)
	id := fs.Uint64("proposal", 0, "the owners' decision")
	out := fs.String("out", "", "the printable A4 HTML file to write, mode 0600 (default: standard output)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *id == 0 {
		fs.Usage()
		return fmt.Errorf("print not-voted wants --proposal N")
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	p, err := c.decision(ctx, *id)
	if err != nil {
		return err
	}
	var chain chainView
	if err := c.query(ctx, "chain", &chain); err != nil {
		return err
	}
	var rows []abci.NotVotedRow
	if err := c.query(ctx, fmt.Sprintf("proposals/%d/notvoted", p.ID), &rows); err != nil {
		return err
	}
	data := struct {
		Proposal  uint64
		Height    int64
		Owners    int
		Rows      []abci.NotVotedRow
		Buildings []notVotedBuilding
	}{Proposal: p.ID, Height: chain.Height, Rows: rows}
	owners := map[string]bool{}
	for _, r := range rows {
		owners[r.Owner] = true
		if n := len(data.Buildings); n == 0 || data.Buildings[n-1].Building != r.Building {
			data.Buildings = append(data.Buildings, notVotedBuilding{Building: r.Building})
		}
		last := &data.Buildings[len(data.Buildings)-1]
		last.Rows = append(last.Rows, r)
	}
	data.Owners = len(owners)
	page, err := renderSheet(c, "notvoted_sheet", data, func(b *board.Board) board.Sheet {
		return board.Sheet{Title: "未投票名单：" + p.Title, Community: chain.Community,
			Legal:   "第 " + strconv.FormatUint(p.ID, 10) + " 项业主表决的入户名单，只列没有投票的房号，不列任何人的选择。",
			Posting: "仅供业委会和监票人使用，请勿张贴。投票截止 " + cstTime(p.VoteEnd),
			URL:     b.URL(fmt.Sprintf("/decisions/%d", p.ID))}
	}, chain)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := env.Stdout.Write(page)
		return err
	}
	if err := writePrivate(*out, page); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "linli: %d units of %d owners not voted on decision %d; written to %s\n", len(rows), data.Owners, p.ID, *out)
	return nil
}
