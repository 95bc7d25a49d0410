// Package verify checks a receipt (a tx hash) against a linli chain
// without trusting the node it asks: block headers through CometBFT's
// light client from a trust anchor, with witnesses run by other parties;
// the tx's inclusion proof against the header's data hash; its result
// against the next header's LastResultsHash and its Data against the
// writes its result states; and, for a ballot on a closed decision, the
// Merkle proof that it is the ballot counted, with the decision's root
// proven through the closing block's app hash.
//
// cmd/linli (linli verify) and the notice board use it. It imports abci
// and abci/tx for the chain's formats and nothing of bot, store or board.
package verify

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// TrustingPeriod is how old a trust anchor may be. CometBFT's default
// (two weeks) fits proof-of-stake chains whose validators can unbond;
// linli's validators are the community's known parties and a published
// anchor is meant to serve for years, so it is long.
const TrustingPeriod = 20 * 365 * 24 * time.Hour

// Anchor is a header a party publishes for verify to start from: linli
// anchor prints it, --trust HEIGHT:HASH takes it.
type Anchor struct {
	ChainID string `json:"chain_id"`
	Height  int64  `json:"height"`
	Hash    string `json:"hash"`
}

// ParseTrust reads HEIGHT:HASH (hex, either case).
func ParseTrust(s string) (Anchor, error) {
	h, hash, ok := strings.Cut(s, ":")
	height, err := strconv.ParseInt(h, 10, 64)
	b, herr := hex.DecodeString(hash)
	if !ok || err != nil || height < 1 || herr != nil || len(b) != 32 {
		return Anchor{}, fmt.Errorf("--trust wants HEIGHT:HASH, a height and a 64-digit hex header hash, got %q", s)
	}
	return Anchor{Height: height, Hash: strings.ToUpper(hash)}, nil
}

// Options say whom verify asks and what it trusts.
type Options struct {
	// Node is the primary node's RPC URL.
	Node string
	// Witnesses are other parties' nodes; the light client compares the
	// primary's headers with theirs.
	Witnesses []string
	// Trust is the anchor to start from; nil trusts the primary's first
	// header and says so.
	Trust *Anchor
	// Now is the clock the light client judges header times by.
	Now func() time.Time
	// NextBlock bounds the wait for the block after the tx's (whose
	// header signs its results); zero means 15 s.
	NextBlock time.Duration
}

// Status is a step's outcome.
type Status string

const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Step names, in the order Check runs them. Each has a template
// verify.step.NAME (templates/zh/verify.tmpl).
const (
	StepAnchor  = "anchor"
	StepHeaders = "headers"
	StepWitness = "witness"
	StepTx      = "tx"
	StepResult  = "result"
	StepRecord  = "record"
	StepCounted = "counted"
)

// Step is one line of a report: what was checked, at which node and
// height, the facts it established and, when it failed, why.
type Step struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Node   string `json:"node,omitempty"`
	Height int64  `json:"height,omitempty"`
	Hash   string `json:"hash,omitempty"`
	// Reason is a short cause for a failed or skipped step, one of the
	// Reason* values, for the template to say in words.
	Reason string `json:"reason,omitempty"`
	// Err is the technical detail of a failure.
	Err string `json:"err,omitempty"`

	// What the tx says and what the chain recorded. Choice is the option
	// numbers as the chat shows them (from 1), or on the counted step the
	// option's text.
	Type     string   `json:"type,omitempty"`
	Proposal uint64   `json:"proposal,omitempty"`
	Choice   string   `json:"choice,omitempty"`
	Owner    string   `json:"owner,omitempty"`
	Units    []string `json:"units,omitempty"`
	Area     int64    `json:"area,omitempty"`
	Account  string   `json:"account,omitempty"`
	Kind     string   `json:"kind,omitempty"`
	Amount   int64    `json:"amount,omitempty"`
	Unit     string   `json:"unit,omitempty"`
	Relation string   `json:"relation,omitempty"`
	Writes   int      `json:"writes,omitempty"`
	Code     uint32   `json:"code,omitempty"`
	Outcome  string   `json:"outcome,omitempty"`
	Counted  string   `json:"counted,omitempty"`
}

// Reasons a step failed or was skipped.
const (
	ReasonUnreachable = "unreachable"  // the node did not answer
	ReasonNotFound    = "not_found"    // the node knows no such tx
	ReasonHeader      = "header"       // headers did not verify
	ReasonAnchor      = "anchor"       // the anchor is not on this chain
	ReasonAttack      = "attack"       // a witness holds a conflicting, validly signed header
	ReasonConflict    = "conflict"     // a witness's header differs from the primary's at the anchor
	ReasonDropped     = "dropped"      // the light client dropped a witness for bad headers
	ReasonPrimary     = "primary"      // the primary served bad headers and was replaced
	ReasonProof       = "proof"        // a proof did not match the signed header
	ReasonMismatch    = "mismatch"     // what was recorded differs from what the tx says
	ReasonRejected    = "rejected"     // the chain refused the tx
	ReasonSuperseded  = "superseded"   // a later ballot of the same owner was counted
	ReasonOpen        = "open"         // the decision has not closed yet
	ReasonNotDecision = "not_decision" // a poll vote: no per-owner root
	ReasonNextBlock   = "next_block"   // the next block is not made yet
	ReasonNoWitness   = "no_witness"   // no witness given
	ReasonFirstHeader = "first_header" // no anchor: trusting the primary's first header
	ReasonWitnessDown = "witness_down" // a witness did not answer
)

// Report is what Check found, one step per line.
type Report struct {
	TxHash string `json:"tx_hash"`
	Steps  []Step `json:"steps"`
}

// OK reports whether every step that ran passed.
func (r Report) OK() bool {
	for _, s := range r.Steps {
		if s.Status == Failed {
			return false
		}
	}
	return len(r.Steps) > 0
}

// Failed returns the first failed step, if any.
func (r Report) Failed() (Step, bool) {
	for _, s := range r.Steps {
		if s.Status == Failed {
			return s, true
		}
	}
	return Step{}, false
}

// checker holds one Check's connections and what it has verified.
type checker struct {
	o         Options
	rpc       *rpchttp.HTTP
	chainID   string
	lc        *light.Client
	primary   provider.Provider
	witnesses map[provider.Provider]string
	headers   map[int64]*types.SignedHeader
	report    *Report
}

func (c *checker) add(s Step) { c.report.Steps = append(c.report.Steps, s) }

func (c *checker) fail(s Step, reason string, err error) {
	s.Status, s.Reason = Failed, reason
	if err != nil {
		s.Err = err.Error()
	}
	c.add(s)
}

// Check verifies the tx with hash txHash (hex, either case) and reports
// each step. It stops at the first failed step, since later ones would
// build on it.
func Check(ctx context.Context, txHash string, o Options) Report {
	txHash = strings.ToLower(strings.TrimSpace(txHash))
	rep := Report{TxHash: txHash}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NextBlock == 0 {
		o.NextBlock = 15 * time.Second
	}
	c := &checker{o: o, report: &rep, headers: map[int64]*types.SignedHeader{}, witnesses: map[provider.Provider]string{}}
	c.run(ctx, txHash)
	return rep
}

func (c *checker) run(ctx context.Context, txHash string) {
	hash, err := hex.DecodeString(txHash)
	if err != nil || len(hash) != 32 {
		c.fail(Step{Name: StepTx, Hash: txHash}, ReasonNotFound, fmt.Errorf("%q is not a 64-digit hex tx hash", txHash))
		return
	}
	if c.rpc, err = rpcClient(c.o.Node); err != nil {
		c.fail(Step{Name: StepAnchor, Node: c.o.Node}, ReasonUnreachable, err)
		return
	}
	st, err := c.rpc.Status(ctx)
	if err != nil {
		c.fail(Step{Name: StepAnchor, Node: c.o.Node}, ReasonUnreachable, err)
		return
	}
	c.chainID = st.NodeInfo.Network
	res, err := c.rpc.Tx(ctx, hash, true)
	if err != nil {
		c.fail(Step{Name: StepTx, Node: c.o.Node, Hash: txHash}, ReasonNotFound, err)
		return
	}
	if !c.startLight(ctx, st) {
		return
	}
	h := res.Height
	hdr, ok := c.header(ctx, h)
	if !ok {
		return
	}
	next, ok := c.nextHeader(ctx, h)
	if !ok {
		return
	}
	c.add(Step{Name: StepHeaders, Status: Passed, Node: c.o.Node, Height: h, Hash: hdr.Hash().String()})
	if !c.witnessSteps(ctx, h) {
		return
	}
	t, ok := c.checkTx(res, hash, hdr)
	if !ok {
		return
	}
	r, ok := c.checkResult(ctx, res, t, next)
	if !ok {
		return
	}
	writes, ok := c.checkRecord(t, r, txHash)
	if !ok {
		return
	}
	c.checkCounted(ctx, t, txHash, writes)
}

// rpcClient dials a node's RPC URL (http://host:port, tcp:// or host:port).
func rpcClient(node string) (*rpchttp.HTTP, error) {
	return rpchttp.NewWithTimeout(httpURL(node), "/websocket", 10)
}

func httpURL(node string) string {
	s := strings.TrimSpace(node)
	if after, ok := strings.CutPrefix(s, "tcp://"); ok {
		s = "http://" + after
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	return s
}

// startLight starts the light client from the anchor, or from the
// primary's earliest header when there is none, and reports the anchor.
func (c *checker) startLight(ctx context.Context, st *ctypes.ResultStatus) bool {
	step := Step{Name: StepAnchor, Node: c.o.Node}
	var opts light.TrustOptions
	opts.Period = TrustingPeriod
	if a := c.o.Trust; a != nil {
		if a.ChainID != "" && a.ChainID != c.chainID {
			c.fail(step, ReasonAnchor, fmt.Errorf("the anchor is for chain %q, the node serves %q", a.ChainID, c.chainID))
			return false
		}
		opts.Height = a.Height
		opts.Hash, _ = hex.DecodeString(a.Hash)
		step.Height, step.Hash, step.Status = a.Height, strings.ToUpper(a.Hash), Passed
	} else {
		first := max(st.SyncInfo.EarliestBlockHeight, 1)
		cm, err := c.rpc.Commit(ctx, &first)
		if err != nil {
			c.fail(step, ReasonUnreachable, err)
			return false
		}
		opts.Height, opts.Hash = first, cm.SignedHeader.Hash()
		step.Height, step.Hash, step.Status, step.Reason = first, cm.SignedHeader.Hash().String(), Passed, ReasonFirstHeader
	}
	var err error
	if c.primary, err = lighthttp.New(c.chainID, httpURL(c.o.Node)); err != nil {
		c.fail(step, ReasonUnreachable, err)
		return false
	}
	var ws []provider.Provider
	for _, w := range c.o.Witnesses {
		p, err := lighthttp.New(c.chainID, httpURL(w))
		if err != nil {
			c.fail(Step{Name: StepWitness, Node: w}, ReasonUnreachable, err)
			return false
		}
		ws = append(ws, p)
		c.witnesses[p] = w
	}
	if len(ws) == 0 {
		// CometBFT's light client wants a witness; without one given,
		// the primary stands in for itself, and the witness step says
		// that no other party was asked.
		p, err := lighthttp.New(c.chainID, httpURL(c.o.Node))
		if err != nil {
			c.fail(step, ReasonUnreachable, err)
			return false
		}
		ws = append(ws, p)
	}
	c.lc, err = light.NewClient(ctx, c.chainID, opts, c.primary, ws, lightdb.New(dbm.NewMemDB(), "verify"),
		light.Logger(log.NewNopLogger()), light.MaxRetryAttempts(2))
	if err != nil {
		c.lightFailed(ctx, step, opts.Height, err)
		return false
	}
	c.add(step)
	return true
}

// header returns the verified header at height h.
func (c *checker) header(ctx context.Context, h int64) (*types.SignedHeader, bool) {
	if sh, ok := c.headers[h]; ok {
		return sh, true
	}
	lb, err := c.lc.VerifyLightBlockAtHeight(ctx, h, c.o.Now())
	if err == nil && c.lc.Primary() != c.primary {
		err = errors.New("the light client replaced the primary after it served a header that does not verify")
	}
	if err != nil {
		c.lightFailed(ctx, Step{Name: StepHeaders, Node: c.o.Node, Height: h}, h, err)
		return nil, false
	}
	c.headers[h] = lb.SignedHeader
	return lb.SignedHeader, true
}

// nextHeader waits, within NextBlock, for block h+1, whose header signs
// block h's results and app hash, then verifies it.
func (c *checker) nextHeader(ctx context.Context, h int64) (*types.SignedHeader, bool) {
	deadline := time.Now().Add(c.o.NextBlock)
	for {
		st, err := c.rpc.Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight > h {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.fail(Step{Name: StepHeaders, Node: c.o.Node, Height: h + 1}, ReasonNextBlock, err)
			return nil, false
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	return c.header(ctx, h+1)
}

// lightFailed reports a light client error: a conflict with a witness as
// an attack naming the witnesses whose header differs, a replaced
// primary, an anchor that does not match, or a header that does not
// verify.
func (c *checker) lightFailed(ctx context.Context, step Step, h int64, err error) {
	var conflict light.ErrConflictingHeaders
	switch {
	case errors.Is(err, light.ErrLightClientAttack):
		// The witness's conflicting header verified from the anchor:
		// validators signed two chains.
		step.Name, step.Node = StepWitness, strings.Join(c.disagreeing(ctx, h), ", ")
		c.fail(step, ReasonAttack, err)
	case errors.As(err, &conflict) || errors.As(err, new(light.ErrProposerPrioritiesDiverge)):
		// At the anchor itself a differing witness is not examined
		// further: one of the two is lying or on another chain.
		step.Name, step.Node = StepWitness, strings.Join(c.disagreeing(ctx, h), ", ")
		c.fail(step, ReasonConflict, err)
	case c.lc != nil && c.lc.Primary() != c.primary:
		// The light client gave up on the primary's headers and took a
		// witness instead: the primary is the finding.
		c.fail(step, ReasonPrimary, err)
	case len(c.dropped()) > 0:
		// The light client dropped witnesses for bad headers: the drop
		// is the finding.
		step.Name, step.Node = StepWitness, strings.Join(c.dropped(), ", ")
		c.fail(step, ReasonDropped, err)
	case errors.Is(err, light.ErrNoWitnesses) && len(c.o.Witnesses) > 0:
		// It would have dropped the last ones, which it never does, so
		// it stops instead: every given witness served bad headers.
		step.Name, step.Node = StepWitness, strings.Join(c.o.Witnesses, ", ")
		c.fail(step, ReasonDropped, err)
	case step.Name == StepAnchor && c.o.Trust != nil:
		c.fail(step, ReasonAnchor, err)
	default:
		c.fail(step, ReasonHeader, err)
	}
}

// dropped names the given witnesses the light client no longer has.
func (c *checker) dropped() []string {
	if c.lc == nil {
		return nil
	}
	kept := map[provider.Provider]bool{}
	for _, p := range c.lc.Witnesses() {
		kept[p] = true
	}
	var named []string
	for _, url := range c.o.Witnesses {
		for p, u := range c.witnesses {
			if u == url && !kept[p] && p != c.lc.Primary() {
				named = append(named, url)
			}
		}
	}
	return named
}

// disagreeing names the witnesses whose header at h differs from the
// primary's.
func (c *checker) disagreeing(ctx context.Context, h int64) []string {
	mine, err := c.primary.LightBlock(ctx, h)
	var named []string
	for p, url := range c.witnesses {
		theirs, werr := p.LightBlock(ctx, h)
		if err != nil || werr != nil || !bytes.Equal(mine.Hash(), theirs.Hash()) {
			named = append(named, url)
		}
	}
	if len(named) == 0 {
		named = c.o.Witnesses
	}
	return named
}

// witnessSteps reports each witness: it agreed, it was dropped for bad
// headers, or it did not answer.
func (c *checker) witnessSteps(ctx context.Context, h int64) bool {
	if len(c.o.Witnesses) == 0 {
		c.add(Step{Name: StepWitness, Status: Skipped, Reason: ReasonNoWitness})
		return true
	}
	kept := map[provider.Provider]bool{}
	for _, p := range c.lc.Witnesses() {
		kept[p] = true
	}
	ok := true
	for _, url := range c.o.Witnesses {
		var p provider.Provider
		for q, u := range c.witnesses {
			if u == url {
				p = q
			}
		}
		step := Step{Name: StepWitness, Node: url, Height: h}
		if !kept[p] {
			c.fail(step, ReasonDropped, errors.New("the light client removed it: it served a header that does not verify"))
			ok = false
			continue
		}
		lb, err := p.LightBlock(ctx, h)
		switch {
		case err != nil:
			step.Status, step.Reason, step.Err = Skipped, ReasonWitnessDown, err.Error()
			c.add(step)
		case !bytes.Equal(lb.Hash(), c.headers[h].Hash()):
			c.fail(step, ReasonAttack, fmt.Errorf("its header %X at %d differs from the primary's %X", lb.Hash(), h, c.headers[h].Hash()))
			ok = false
		default:
			step.Status, step.Hash = Passed, lb.Hash().String()
			c.add(step)
		}
	}
	return ok
}

// checkTx proves the tx in the block (its proof against the header's
// data hash), decodes it and checks its signature and chain, and states
// what it says.
func (c *checker) checkTx(res *ctypes.ResultTx, hash []byte, hdr *types.SignedHeader) (*tx.Tx, bool) {
	step := Step{Name: StepTx, Node: c.o.Node, Height: res.Height, Hash: hex.EncodeToString(hash)}
	switch {
	case !bytes.Equal(tx.Hash(res.Tx), hash):
		c.fail(step, ReasonProof, errors.New("the node served a tx whose hash is not the receipt's"))
		return nil, false
	case !bytes.Equal(res.Proof.Data, res.Tx):
		c.fail(step, ReasonProof, errors.New("the inclusion proof is for other bytes"))
		return nil, false
	}
	if err := res.Proof.Validate(hdr.DataHash); err != nil {
		c.fail(step, ReasonProof, fmt.Errorf("inclusion proof against the header's data hash: %w", err))
		return nil, false
	}
	t, err := tx.Decode(res.Tx)
	if err == nil {
		err = t.Verify()
	}
	if err == nil && t.ChainID != c.chainID {
		err = fmt.Errorf("the tx is for chain %q", t.ChainID)
	}
	if err != nil {
		c.fail(step, ReasonProof, err)
		return nil, false
	}
	step.Type = string(t.Type)
	switch b := t.Body.(type) {
	case *tx.VoteCast:
		step.Proposal = b.Proposal
		step.Choice = optionNumbers(b.Choices)
	case *tx.EntryRecord:
		step.Kind, step.Account, step.Amount = b.Kind, b.Account, b.Amount
	case *tx.MemberBind:
		step.Unit, step.Relation = b.Unit, b.Relation
	}
	step.Status = Passed
	c.add(step)
	return t, true
}

// optionNumbers shows option indexes as the chat numbers them, from 1.
func optionNumbers(ns []int) string {
	var s []string
	for _, n := range ns {
		s = append(s, strconv.Itoa(n+1))
	}
	return strings.Join(s, "、")
}

// checkResult hashes the block's results and compares them with the next
// header's LastResultsHash, then checks the tx's Data against the writes
// its result states.
func (c *checker) checkResult(ctx context.Context, res *ctypes.ResultTx, t *tx.Tx, next *types.SignedHeader) (*txResult, bool) {
	h := res.Height
	step := Step{Name: StepResult, Node: c.o.Node, Height: h}
	br, err := c.rpc.BlockResults(ctx, &h)
	if err != nil {
		c.fail(step, ReasonUnreachable, err)
		return nil, false
	}
	if got := types.NewResults(br.TxsResults).Hash(); !bytes.Equal(got, next.LastResultsHash) {
		c.fail(step, ReasonProof, fmt.Errorf("block %d's results hash to %X, header %d signs %X", h, got, h+1, next.LastResultsHash))
		return nil, false
	}
	i := res.Proof.Proof.Index
	if i < 0 || i >= int64(len(br.TxsResults)) {
		c.fail(step, ReasonProof, fmt.Errorf("the tx's index %d is outside block %d's %d results", i, h, len(br.TxsResults)))
		return nil, false
	}
	r := br.TxsResults[i]
	step.Code = r.Code
	if r.Code != 0 {
		// The result is proven; what it proves is a refusal.
		c.fail(step, ReasonRejected, fmt.Errorf("code %d: %s", r.Code, r.Log))
		return nil, false
	}
	var ws []abci.Write
	if err := json.Unmarshal([]byte(r.Info), &ws); err != nil {
		c.fail(step, ReasonProof, fmt.Errorf("the result states no writes: %w", err))
		return nil, false
	}
	if !bytes.Equal(abci.TxData(ws), r.Data) {
		c.fail(step, ReasonProof, errors.New("the writes the result states do not hash to its Data"))
		return nil, false
	}
	step.Status, step.Writes = Passed, len(ws)
	c.add(step)
	return &txResult{writes: ws}, true
}

type txResult struct{ writes []abci.Write }

// find returns the value written at key.
func (r *txResult) find(key string) ([]byte, bool) {
	for _, w := range r.writes {
		if w.Key == key {
			return w.Value, w.Value != nil
		}
	}
	return nil, false
}

// checkRecord compares the record the tx wrote with what the tx says: a
// ballot's proposal and choice, an entry's kind, account and amount, a
// binding's unit and relation. Other types are reported by their count
// of writes.
func (c *checker) checkRecord(t *tx.Tx, r *txResult, txHash string) (*txResult, bool) {
	step := Step{Name: StepRecord, Type: string(t.Type), Writes: len(r.writes)}
	mismatch := func(format string, args ...any) (*txResult, bool) {
		c.fail(step, ReasonMismatch, fmt.Errorf(format, args...))
		return nil, false
	}
	switch b := t.Body.(type) {
	case *tx.VoteCast:
		step.Proposal = b.Proposal
		prefix := fmt.Sprintf("ballot/%020d/", b.Proposal)
		for _, w := range r.writes {
			if strings.HasPrefix(w.Key, prefix) {
				var bl abci.Ballot
				json.Unmarshal(w.Value, &bl)
				if bl.TxHash != txHash || len(b.Choices) != 1 || bl.Choice != b.Choices[0] {
					return mismatch("the ballot recorded is %+v", bl)
				}
				step.Owner, step.Choice = bl.Owner, optionNumbers([]int{bl.Choice})
			}
		}
		if step.Owner == "" {
			var pv abci.PollVote
			v, ok := r.find(fmt.Sprintf("pollvote/%020d/%s", b.Proposal, t.SignerAddress()))
			if !ok || json.Unmarshal(v, &pv) != nil || pv.TxHash != txHash || optionNumbers(pv.Choices) != optionNumbers(b.Choices) {
				return mismatch("no ballot or poll vote of this tx is recorded")
			}
			step.Unit, step.Choice = pv.Unit, optionNumbers(pv.Choices)
		}
	case *tx.EntryRecord:
		var e abci.Entry
		found := false
		for _, w := range r.writes {
			if strings.HasPrefix(w.Key, "ledger/entry/") && json.Unmarshal(w.Value, &e) == nil && e.TxHash == txHash {
				found = true
				break
			}
		}
		if !found || e.Kind != b.Kind || e.Account != b.Account || e.Amount != b.Amount || e.To != b.To {
			return mismatch("the entry recorded is %+v", e)
		}
		step.Kind, step.Account, step.Amount = e.Kind, e.Account, e.Amount
	case *tx.MemberBind:
		var m abci.Member
		v, ok := r.find("member/" + string(t.SignerAddress()))
		if !ok || json.Unmarshal(v, &m) != nil || m.Unit != b.Unit || m.Relation != b.Relation {
			return mismatch("the binding recorded is %s", v)
		}
		step.Unit, step.Relation = m.Unit, m.Relation
	}
	step.Status = Passed
	c.add(step)
	return r, true
}

// checkCounted proves, for a ballot on a decision that has closed, that
// it is the ballot the tally counted: the closing block's writes
// recompute its signed app hash, the result among them states the root,
// and the owner's leaf is proven under it.
func (c *checker) checkCounted(ctx context.Context, t *tx.Tx, txHash string, r *txResult) {
	step := Step{Name: StepCounted, Node: c.o.Node}
	b, ok := t.Body.(*tx.VoteCast)
	if !ok {
		return
	}
	step.Proposal = b.Proposal
	owner := ""
	prefix := fmt.Sprintf("ballot/%020d/", b.Proposal)
	for _, w := range r.writes {
		if strings.HasPrefix(w.Key, prefix) {
			owner = w.Key[len(prefix):]
		}
	}
	if owner == "" {
		step.Status, step.Reason = Skipped, ReasonNotDecision
		c.add(step)
		return
	}
	step.Owner = owner
	var p abci.Proposal
	if err := c.query(ctx, fmt.Sprintf("proposals/%d", b.Proposal), &p); err != nil {
		c.fail(step, ReasonUnreachable, err)
		return
	}
	if p.Status != abci.StatusClosed || p.ClosedHeight == 0 {
		// A node could hide a close this way; the step says the check
		// is still to come rather than that it passed.
		step.Status, step.Reason = Skipped, ReasonOpen
		c.add(step)
		return
	}
	hc := p.ClosedHeight
	step.Height = hc
	hdr, ok := c.header(ctx, hc)
	if !ok {
		return
	}
	next, ok := c.nextHeader(ctx, hc)
	if !ok {
		return
	}
	var bw abci.BlockWrites
	if err := c.query(ctx, fmt.Sprintf("blocks/%d/writes", hc), &bw); err != nil {
		c.fail(step, ReasonUnreachable, err)
		return
	}
	if got := abci.AppHash(hdr.AppHash, hc, bw.Writes); !bytes.Equal(got, next.AppHash) {
		c.fail(step, ReasonProof, fmt.Errorf("block %d's writes give app hash %X, header %d signs %X", hc, got, hc+1, next.AppHash))
		return
	}
	var res abci.Result
	var prop abci.Proposal
	for _, w := range bw.Writes {
		switch w.Key {
		case fmt.Sprintf("result/%020d", b.Proposal):
			json.Unmarshal(w.Value, &res)
		case fmt.Sprintf("proposal/%020d", b.Proposal):
			json.Unmarshal(w.Value, &prop)
		}
	}
	if res.Root == "" || prop.ClosedHeight != hc {
		c.fail(step, ReasonProof, fmt.Errorf("block %d did not close decision %d", hc, b.Proposal))
		return
	}
	var bp abci.BallotProof
	if err := c.query(ctx, fmt.Sprintf("proposals/%d/proof/%s", b.Proposal, owner), &bp); err != nil {
		c.fail(step, ReasonProof, err)
		return
	}
	root, _ := hex.DecodeString(res.Root)
	var leaf abci.CountedBallot
	var tally abci.TallyLeaf
	if err := verifyLeaf(root, bp.Ballot, &leaf); err != nil {
		c.fail(step, ReasonProof, fmt.Errorf("the ballot's leaf: %w", err))
		return
	}
	if err := verifyLeaf(root, bp.Tally, &tally); err != nil || bp.Tally.Index != bp.Tally.Total-1 || tally.Kind != abci.LeafTally {
		c.fail(step, ReasonProof, fmt.Errorf("the tally's leaf is not the last one: %v", err))
		return
	}
	if leaf.Kind != abci.LeafBallot || leaf.Owner != owner || leaf.Proposal != b.Proposal {
		c.fail(step, ReasonProof, fmt.Errorf("the leaf is %+v, not owner %s's ballot", leaf, owner))
		return
	}
	step.Units, step.Area, step.Choice, step.Outcome, step.Counted = leaf.Units, leaf.Area, leaf.Choice, tally.Outcome, leaf.TxHash
	if leaf.TxHash != txHash {
		c.fail(step, ReasonSuperseded, fmt.Errorf("the ballot counted for %s is tx %s", owner, leaf.TxHash))
		return
	}
	if b.Choices[0] >= len(prop.Options) || prop.Options[b.Choices[0]] != leaf.Choice {
		c.fail(step, ReasonMismatch, fmt.Errorf("counted as %q, the tx chose option %d", leaf.Choice, b.Choices[0]))
		return
	}
	step.Status = Passed
	c.add(step)
}

// verifyLeaf checks a leaf's Merkle proof against root and decodes it.
func verifyLeaf(root []byte, lp abci.LeafProof, v any) error {
	p := merkleProof(lp)
	if err := p.Verify(root, []byte(lp.Leaf)); err != nil {
		return err
	}
	return json.Unmarshal([]byte(lp.Leaf), v)
}

// query asks the primary; its answer is only a candidate, checked
// against signed hashes by the caller.
func (c *checker) query(ctx context.Context, path string, v any) error {
	res, err := c.rpc.ABCIQuery(ctx, path, nil)
	if err != nil {
		return err
	}
	if res.Response.Code != 0 {
		return fmt.Errorf("query %s: code %d: %s", path, res.Response.Code, res.Response.Log)
	}
	return json.Unmarshal(res.Response.Value, v)
}

// GetAnchor returns the header at height (the latest when 0) of the node
// at url, to publish as a trust anchor.
func GetAnchor(ctx context.Context, node string, height int64) (Anchor, error) {
	rc, err := rpcClient(node)
	if err != nil {
		return Anchor{}, err
	}
	var hp *int64
	if height > 0 {
		hp = &height
	}
	cm, err := rc.Commit(ctx, hp)
	if err != nil {
		return Anchor{}, err
	}
	return Anchor{ChainID: cm.SignedHeader.ChainID, Height: cm.SignedHeader.Height, Hash: cm.SignedHeader.Hash().String()}, nil
}

// Yuan is Amount (fen) in yuan with two decimals, for templates.
func (s Step) Yuan() string { return hundredths(s.Amount) }

// SquareMetres is Area (0.01 m²) in square metres, for templates.
func (s Step) SquareMetres() string { return hundredths(s.Area) }

func hundredths(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}
