package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/internal/slips"
	"github.com/linli-community/linli/ledger"
)

// issuedCode is a code handed to the committee: printed on a slip or
// written as JSON, never logged.
type issuedCode struct {
	Unit    string `json:"unit"`
	Code    string `json:"code"`
	Expires string `json:"expires"` // RFC 3339, China time
}

func runBindCode(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "bindcode", "UNIT... | --all [--building B]   [--print FILE.html] [--json] [--relation owner|tenant] [--ttl 168h]")
	cf := addClientFlags(fs)
	relation := fs.String("relation", tx.RelationOwner, "who binds with the codes: owner or tenant")
	ttl := fs.Duration("ttl", 7*24*time.Hour, "how long the codes stay valid")
	all := fs.Bool("all", false, "issue a code for every registered unit")
	building := fs.String("building", "", "with --all: only the units of this building")
	printTo := fs.String("print", "", "write printable slips (one per unit, with a QR code) to this HTML file, mode 0600")
	asJSON := fs.Bool("json", false, `write the codes to standard output as JSON: [{"unit","code","expires"}], or {"unit","code","expires"} for one UNIT`)
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if (len(args) > 0) == (*all || *building != "") {
		fs.Usage()
		return fmt.Errorf("bindcode wants UNIT... or --all [--building B], not both")
	}
	if *relation != tx.RelationOwner && *relation != tx.RelationTenant {
		return fmt.Errorf("bindcode: --relation must be %s or %s", tx.RelationOwner, tx.RelationTenant)
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	units := args
	for i, u := range units {
		if slices.Contains(units[:i], u) {
			return fmt.Errorf("bindcode: unit %s is named twice", u)
		}
	}
	if len(units) == 0 {
		if units, err = registeredUnits(ctx, c, *building); err != nil {
			return err
		}
		if len(units) == 0 {
			return fmt.Errorf("no registered units%s: import the roster first (linli roster import)", inBuilding(*building))
		}
	}
	var chain abci.ChainInfo
	if err := c.query(ctx, "chain", &chain); err != nil {
		return err
	}
	// Refuse a validity the chain would refuse before spending tens of
	// seconds hashing.
	var params abci.Params
	if err := c.query(ctx, "params", &params); err != nil {
		return err
	}
	if max := time.Duration(params.BindCodeMaxTTL) * time.Second; *ttl < time.Minute || *ttl > max {
		return fmt.Errorf("bindcode: --ttl %s must be between 1m and this chain's bind_code_max_ttl, %s", *ttl, max)
	}
	key, err := c.signer("")
	if err != nil {
		return err
	}
	expires := time.Now().Add(*ttl).Truncate(time.Second)
	codes, verifiers, err := newBindCodes(units)
	if err != nil {
		return err
	}
	for i := range codes {
		codes[i].Expires = expires.In(cstZone).Format(time.RFC3339)
	}
	batches := packBindCodes(chain.ChainID, *relation, expires.Unix(), verifiers)
	bodies := make([]tx.Body, len(batches))
	for i, b := range batches {
		bodies[i] = b
	}
	results, err := c.submitMany(ctx, key, bodies, nil)
	issued := 0
	var receipts []ledger.Receipt
	var failed error
	for i, r := range results {
		if i == len(results)-1 && err != nil || r.Code != 0 {
			failed = printReceipt(env, r, err)
			break
		}
		receipts = append(receipts, r)
		issued += len(batches[i].Codes)
	}
	if failed == nil && err != nil {
		failed = err
	}
	if issued < len(units) {
		fmt.Fprintf(env.Stderr, "linli: the codes of %d units from %s on were not issued; run bindcode again for them\n",
			len(units)-issued, units[issued])
	}
	// Only codes the chain recorded are handed out: a batch that failed
	// has no slips.
	codes = codes[:issued]
	if issued > 0 {
		if err := writeCodes(env, chain.Community, codes, expires, *printTo, *asJSON, len(args) == 1); err != nil {
			return err
		}
		heights := fmt.Sprint(receipts[0].Height)
		if n := len(receipts); n > 1 {
			heights += fmt.Sprintf("–%d", receipts[n-1].Height)
		}
		fmt.Fprintf(env.Stderr, "linli: %d binding codes (%s) issued in %d txs, blocks %s, valid until %s; any earlier codes of these units no longer work\n",
			issued, *relation, len(receipts), heights, expires.In(cstZone).Format("2006-01-02 15:04"))
		if *printTo != "" {
			fmt.Fprintf(env.Stderr, "linli: slips written to %s\n", *printTo)
		}
	}
	return failed
}

// registeredUnits lists the registered units, of one building if building
// is not empty, in natural order.
func registeredUnits(ctx context.Context, c *client, building string) ([]string, error) {
	var all []abci.Unit
	if err := c.query(ctx, "units", &all); err != nil {
		return nil, err
	}
	var units []string
	for _, u := range all {
		if building == "" || u.Building == building {
			units = append(units, u.Unit)
		}
	}
	tx.SortNatural(units)
	return units, nil
}

func inBuilding(b string) string {
	if b == "" {
		return ""
	}
	return " in building " + b
}

// writeCodes hands the issued codes over: as slips to printTo, as JSON on
// standard output, or, with neither, one line per unit on standard output.
// For the one unit an admin named (single), the line is the code alone and
// the JSON one object.
func writeCodes(env *Env, community string, codes []issuedCode, expires time.Time, printTo string, asJSON, single bool) error {
	if printTo != "" {
		ss := make([]slips.Slip, len(codes))
		for i, c := range codes {
			ss[i] = slips.Slip{Unit: c.Unit, Code: c.Code, Expires: expires}
		}
		f, err := os.OpenFile(printTo, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if err := slips.Write(f, community, ss); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	switch {
	case asJSON:
		enc := json.NewEncoder(env.Stdout)
		enc.SetEscapeHTML(false)
		if single && len(codes) == 1 {
			return enc.Encode(codes[0])
		}
		return enc.Encode(codes)
	case printTo == "" && single && len(codes) == 1:
		fmt.Fprintln(env.Stdout, codes[0].Code)
	case printTo == "":
		for _, c := range codes {
			fmt.Fprintf(env.Stdout, "%s\t%s\t有效期至 %s\n", c.Unit, c.Code, expires.In(cstZone).Format("2006-01-02 15:04"))
		}
	}
	return nil
}

// newBindCodes makes a random code and its verifier for each unit,
// deriving the codes' keys on every core (each costs a fifth of a second
// and 64 MiB of Argon2id by design). Codes are handed out in groups of four
// digits (tx.GroupBindCode), as residents type them.
func newBindCodes(units []string) ([]issuedCode, []tx.BindCodeVerifier, error) {
	codes := make([]issuedCode, len(units))
	raw := make([]string, len(units))
	salts := make([][]byte, len(units))
	for i, u := range units {
		code, err := newBindCode()
		if err != nil {
			return nil, nil, err
		}
		raw[i] = code
		salts[i] = make([]byte, tx.BindCodeSaltSize)
		if _, err := rand.Read(salts[i]); err != nil {
			return nil, nil, err
		}
		codes[i] = issuedCode{Unit: u, Code: tx.GroupBindCode(code)}
	}
	verifiers := make([]tx.BindCodeVerifier, len(units))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range next {
				verifiers[i] = tx.NewBindCodeVerifier(units[i], raw[i], salts[i])
			}
		})
	}
	for i := range units {
		next <- i
	}
	close(next)
	wg.Wait()
	return codes, verifiers, nil
}

// packBindCodes splits verifiers into as few batch txs as the tx size limit
// allows, keeping their order.
func packBindCodes(chainID, relation string, expiresAt int64, verifiers []tx.BindCodeVerifier) []*tx.BindCodeBatch {
	// The envelope around the body (chain id, signer, nonce, signature)
	// takes a few hundred bytes; leave room for it.
	const envelope = 1024
	empty := len(tx.New(chainID, 1, &tx.BindCodeBatch{Relation: relation, ExpiresAt: expiresAt}).Encode())
	var out []*tx.BindCodeBatch
	var cur *tx.BindCodeBatch
	size := 0
	for _, v := range verifiers {
		n := len(tx.Canonical(v)) + 1 // and a comma
		if cur == nil || len(cur.Codes) == tx.MaxCodesPerTx || size+n > tx.MaxBytes-envelope {
			cur = &tx.BindCodeBatch{Relation: relation, ExpiresAt: expiresAt}
			out = append(out, cur)
			size = empty
		}
		cur.Codes = append(cur.Codes, v)
		size += n
	}
	return out
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
