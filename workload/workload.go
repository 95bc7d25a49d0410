// Package workload makes a realistic load of signed linli transactions for
// benchmarks and fault tests: Setup registers a block of units on a running
// chain, binds one member key to each, and opens polls, a decision and
// shared items for them; each Sender then produces its next signed tx from
// a weighted Mix of operations (ballots mostly, then ledger entries and
// bookings, a few shared items, and the admin's registry work). Drive sends them to nodes and reports every
// receipt.
//
// A new kind of load is one more Op in DefaultMix: its Body builds the
// tx from the community Setup prepared and the sender's sequence number.
//
// Package workload imports abci, abci/tx and ledger. It is for tests and
// the bench command; nothing in a node's normal operation uses it.
package workload

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/ledger"
)

// Op is one kind of transaction in a mix.
type Op struct {
	// Name labels the op in reports.
	Name string
	// Weight is the op's share among the ops of its signer kind.
	Weight int
	// Signer is who sends the op: Member (a bound owner), Treasurer or
	// Admin.
	Signer Role
	// Body builds the sender's seq-th tx body. It must not fail: Setup
	// prepared what it needs.
	Body func(c *Community, s *Sender, seq int) tx.Body
}

// Role is the kind of key that sends an op.
type Role int

// The kinds of senders.
const (
	Member Role = iota
	Treasurer
	Admin
)

// DefaultMix is the load of a community during a vote: ballots mostly,
// bookings of shared items and a few new items from members; income and
// expense entries from the treasurers; registry and role changes from
// the admin.
func DefaultMix() []Op {
	return []Op{
		{Name: "ballot", Weight: 84, Body: ballot},
		{Name: "booking", Weight: 12, Body: booking},
		{Name: "item", Weight: 4, Body: item},
		{Name: "entry", Weight: 1, Signer: Treasurer, Body: entry},
		{Name: "unit", Weight: 2, Signer: Admin, Body: newUnit},
		{Name: "role", Weight: 1, Signer: Admin, Body: grantRole},
	}
}

// BallotMix is ballots only, each a first ballot of its voter on its poll
// as long as the community has polls left (Options.Polls).
func BallotMix() []Op {
	return []Op{{Name: "ballot", Weight: 1, Body: freshBallot}}
}

func ballot(c *Community, s *Sender, seq int) tx.Body {
	// A voter votes once on every poll and the decision, then changes
	// their mind now and then, as ballots may change until voting closes.
	targets := len(c.Polls)
	if c.Decision != 0 {
		targets++
	}
	k := (seq + s.Index) % targets
	if k == len(c.Polls) {
		return &tx.VoteCast{Proposal: c.Decision, Choices: []int{(seq / targets) % 3}}
	}
	return &tx.VoteCast{Proposal: c.Polls[k], Choices: []int{(seq/targets + s.Index) % 3}}
}

func freshBallot(c *Community, s *Sender, seq int) tx.Body {
	return &tx.VoteCast{Proposal: c.Polls[seq%len(c.Polls)], Choices: []int{(seq + s.Index) % 3}}
}

func booking(c *Community, s *Sender, seq int) tx.Body {
	// The next member's item, an hour each, a day ahead and never
	// overlapping this sender's earlier requests.
	target := c.Items[(s.Index+1)%len(c.Items)]
	start := c.Start + 86400 + int64(seq)*3600
	return &tx.BookingRequest{Item: target, Start: start, End: start + 3600, Note: "周末用一下"}
}

func item(c *Community, s *Sender, seq int) tx.Body {
	return &tx.ItemPost{Kind: tx.ItemTool, Title: fmt.Sprintf("电钻 %d-%d", s.Index, seq), Text: "可借用，用完请归还",
		Terms: tx.Terms{Price: 0}}
}

func entry(c *Community, s *Sender, seq int) tx.Body {
	// Every third entry spends part of what the two before brought in,
	// so a treasurer's entries never overdraw the account.
	if seq%3 == 2 {
		return &tx.EntryRecord{Kind: tx.EntryExpense, Account: c.Account, Amount: 3000 + int64(seq%7), Category: "维修",
			Counterparty: "五金店", Memo: "更换楼道灯泡"}
	}
	return &tx.EntryRecord{Kind: tx.EntryIncome, Account: c.Account, Amount: 10000 + int64(seq%13), Category: "物业费",
		Counterparty: c.unit(seq % len(c.Members)), Memo: "缴纳物业费"}
}

func newUnit(c *Community, s *Sender, seq int) tx.Body {
	n := fmt.Sprintf("%s-x%d", c.Prefix, seq)
	return &tx.UnitRegister{Units: []tx.UnitSpec{{Unit: n, Building: c.Prefix + "x", Area: 8000 + int64(seq%4000), Owner: "X" + n}}}
}

func grantRole(c *Community, s *Sender, seq int) tx.Body {
	h := sha256.Sum256([]byte(c.Prefix + "/role/" + strconv.Itoa(seq)))
	return &tx.RoleGrant{Address: tx.Address(hex.EncodeToString(h[:20])), Role: tx.RoleTreasurer}
}

// Options are Setup's choices.
type Options struct {
	// Members is how many member keys are bound, one unit each.
	Members int
	// Treasurers is how many treasurer keys record entries; 0 means one
	// for every 16 members.
	Treasurers int
	// Polls is how many polls are opened; 0 means 4.
	Polls int
	// Prefix names this community's units ("PREFIX-0001") and seeds its
	// member keys; empty means a random one, so that several setups on one
	// chain do not meet.
	Prefix string
	// Mix is the load; nil means DefaultMix.
	Mix []Op
	// Progress, when set, is told what Setup is doing.
	Progress func(step string)
}

// Community is what Setup prepared on the chain.
type Community struct {
	ChainID    string
	Prefix     string
	Admin      *Sender
	Members    []*Sender
	Treasurers []*Sender
	// Account is the ledger account the treasurers record entries in.
	Account string
	// Polls and Decision are open for voting; Decision is 0 when the
	// chain's notice period is too long to open one for a benchmark.
	Polls    []uint64
	Decision uint64
	// Items[i] was posted by Members[i].
	Items []uint64
	// Start is the unix time Setup began.
	Start int64

	mix []Op
}

// Sender is one signing key and its position in the mix. A Sender is not
// safe for concurrent use.
type Sender struct {
	Index int
	Key   ed25519.PrivateKey
	Addr  tx.Address
	Role  Role
	c     *Community
	nonce uint64 // last nonce used
	seq   int
	ops   []Op
	total int
}

// Next returns the sender's next signed tx and the name of its op.
func (s *Sender) Next() ([]byte, string) {
	op := s.pick(s.seq)
	body := op.Body(s.c, s, s.seq)
	s.seq++
	return s.Sign(body), op.Name
}

// Sign signs body with the sender's next nonce.
func (s *Sender) Sign(body tx.Body) []byte {
	s.nonce++
	t := tx.New(s.c.ChainID, s.nonce, body)
	t.Sign(s.Key)
	return t.Encode()
}

// SetNonce sets the last nonce used, after the chain said otherwise.
func (s *Sender) SetNonce(n uint64) { s.nonce = n }

// pick chooses the op of the seq-th tx: a deterministic spread of the
// weights (stride scheduling), so every prefix of the sequence follows the
// mix.
func (s *Sender) pick(seq int) Op {
	x := (seq * 7919) % s.total
	for _, op := range s.ops {
		if x < op.Weight {
			return op
		}
		x -= op.Weight
	}
	return s.ops[len(s.ops)-1]
}

// Senders returns every key that has ops to send in the mix: the admin,
// the treasurers and the members.
func (c *Community) Senders() []*Sender {
	var out []*Sender
	for _, s := range append(append([]*Sender{c.Admin}, c.Treasurers...), c.Members...) {
		if s.total > 0 {
			out = append(out, s)
		}
	}
	return out
}

// senderKey derives a member's key from the community prefix, so a
// benchmark can be repeated with the same keys.
func senderKey(prefix string, i int) ed25519.PrivateKey {
	s := sha256.Sum256([]byte("linli/workload/" + prefix + "/" + strconv.Itoa(i)))
	return ed25519.NewKeyFromSeed(s[:])
}

// Setup prepares a community for load on the chain lc talks to, with admin
// as the signing admin: it registers opts.Members units, binds a fresh
// member key to each (binding checks are deliberately slow, tens of
// milliseconds each), opens the polls and, when the chain's notice period
// allows it, an owners' decision, and has every member post an item.
func Setup(ctx context.Context, lc *ledger.Client, admin ed25519.PrivateKey, opts Options) (*Community, error) {
	if opts.Members < 2 {
		return nil, errors.New("workload: need at least 2 members")
	}
	if opts.Polls == 0 {
		opts.Polls = 4
	}
	if opts.Treasurers == 0 {
		opts.Treasurers = max(1, opts.Members/16)
	}
	if opts.Prefix == "" {
		var b [3]byte
		rand.Read(b[:])
		opts.Prefix = "W" + hex.EncodeToString(b[:])
	}
	if opts.Mix == nil {
		opts.Mix = DefaultMix()
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}
	var chain abci.ChainInfo
	if err := query(ctx, lc, "chain", &chain); err != nil {
		return nil, err
	}
	var params abci.Params
	if err := query(ctx, lc, "params", &params); err != nil {
		return nil, err
	}
	c := &Community{ChainID: chain.ChainID, Prefix: opts.Prefix, Account: strings.ToLower(opts.Prefix),
		Start: time.Now().Unix(), mix: opts.Mix}
	c.Admin = c.newSender(-1, admin, Admin)
	if err := c.Admin.resync(ctx, lc); err != nil {
		return nil, err
	}
	for i := range opts.Members {
		c.Members = append(c.Members, c.newSender(i, senderKey(opts.Prefix, i), Member))
	}
	for i := range opts.Treasurers {
		c.Treasurers = append(c.Treasurers, c.newSender(i, senderKey(opts.Prefix+"/treasurer", i), Treasurer))
	}

	progress("registering units, treasurers and an account")
	var specs []tx.UnitSpec
	for i := range opts.Members {
		specs = append(specs, tx.UnitSpec{Unit: c.unit(i), Building: fmt.Sprintf("%s-b%d", opts.Prefix, i%8),
			Area: 7000 + int64(i%50)*100, Owner: fmt.Sprintf("O%s-%d", opts.Prefix, i)})
	}
	batch := [][]byte{c.Admin.Sign(&tx.AccountOpen{ID: c.Account, Name: "公共收益 " + opts.Prefix, Threshold: 10_000_000})}
	for _, t := range c.Treasurers {
		batch = append(batch, c.Admin.Sign(&tx.RoleGrant{Address: t.Addr, Role: tx.RoleTreasurer}))
	}
	for len(specs) > 0 {
		n := min(len(specs), tx.MaxUnitsPerTx)
		batch = append(batch, c.Admin.Sign(&tx.UnitRegister{Units: specs[:n]}))
		specs = specs[n:]
	}
	if _, err := submitAll(ctx, lc, batch); err != nil {
		return nil, fmt.Errorf("workload: register units: %w", err)
	}

	// Every unit gets the same code and salt: the code's key is slow to
	// derive on purpose (tx.BindCodeKey), and a load generator needs it
	// once, not once per unit. Each bind still signs its own proof.
	progress("issuing binding codes")
	salt := sha256.Sum256([]byte(c.Prefix + "/bindcode"))
	codeKey := tx.BindCodeKey(workloadBindCode, salt[:tx.BindCodeSaltSize])
	verifier := tx.BindVerifier{Salt: hex.EncodeToString(salt[:tx.BindCodeSaltSize]), PublicKey: hex.EncodeToString(codeKey.Public().(ed25519.PublicKey))}
	expires := time.Now().Add(24 * time.Hour).Unix()
	batch = batch[:0]
	for i := range opts.Members {
		batch = append(batch, c.Admin.Sign(&tx.BindCodeIssue{Unit: c.unit(i), Relation: tx.RelationOwner, BindVerifier: verifier, ExpiresAt: expires}))
	}
	if _, err := submitAll(ctx, lc, batch); err != nil {
		return nil, fmt.Errorf("workload: issue binding codes: %w", err)
	}

	progress("binding members")
	batch = batch[:0]
	for i, m := range c.Members {
		msg := tx.BindProofMessage(c.ChainID, c.unit(i), tx.RelationOwner, verifier.Salt, m.Addr)
		batch = append(batch, m.Sign(&tx.MemberBind{Unit: c.unit(i), Relation: tx.RelationOwner, Proof: hex.EncodeToString(ed25519.Sign(codeKey, msg))}))
	}
	if _, err := submitAll(ctx, lc, batch); err != nil {
		return nil, fmt.Errorf("workload: bind members: %w", err)
	}

	progress("opening polls and posting items")
	now := time.Now().Unix()
	batch = batch[:0]
	for i := range opts.Polls {
		batch = append(batch, c.Admin.Sign(&tx.PollOpen{Title: fmt.Sprintf("活动日期 %d", i+1), Options: []string{"周六", "周日", "都可以"},
			VoteStart: now - 60, VoteEnd: now + params.MaxVoting - 3600}))
	}
	decisionAt := now + params.MinNotice + 2
	withDecision := params.MinNotice <= 60
	if withDecision {
		batch = append(batch, c.Admin.Sign(&tx.ProposalOpen{Title: "续聘物业公司", Class: tx.ClassOrdinary,
			NoticeAt: now, VoteStart: decisionAt, VoteEnd: decisionAt + min(params.MaxVoting, max(params.MinVoting, 30*86400))}))
	}
	for _, m := range c.Members {
		batch = append(batch, m.Sign(&tx.ItemPost{Kind: tx.ItemParking, Title: "车位 " + c.unit(m.Index), Terms: tx.Terms{Price: 500, Per: tx.PerHour}}))
	}
	receipts, err := submitAll(ctx, lc, batch)
	if err != nil {
		return nil, fmt.Errorf("workload: open polls and post items: %w", err)
	}
	for _, r := range receipts {
		if id, ok := eventID(r, "proposal.opened"); ok {
			if withDecision && len(c.Polls) == opts.Polls {
				c.Decision = id
			} else {
				c.Polls = append(c.Polls, id)
			}
		}
		if id, ok := eventID(r, "item.posted"); ok {
			c.Items = append(c.Items, id)
		}
	}
	if len(c.Polls) != opts.Polls || len(c.Items) != opts.Members {
		return nil, fmt.Errorf("workload: opened %d polls and %d items, want %d and %d", len(c.Polls), len(c.Items), opts.Polls, opts.Members)
	}
	if withDecision {
		progress("waiting for the decision's voting to open")
		if err := waitBlockTime(ctx, lc, decisionAt); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Community) unit(i int) string { return fmt.Sprintf("%s-%04d", c.Prefix, i) }

// workloadBindCode is the binding code of every generated unit.
const workloadBindCode = "1000200030004000"

func (c *Community) newSender(i int, k ed25519.PrivateKey, role Role) *Sender {
	s := &Sender{Index: i, Key: k, Addr: tx.AddressOf(k.Public().(ed25519.PublicKey)), Role: role, c: c}
	for _, op := range c.mix {
		if op.Signer == role && op.Weight > 0 {
			s.ops = append(s.ops, op)
			s.total += op.Weight
		}
	}
	return s
}

// resync sets the sender's nonce to the last one the chain has committed.
func (s *Sender) resync(ctx context.Context, lc *ledger.Client) error {
	var m abci.MemberView
	err := query(ctx, lc, "members/"+string(s.Addr), &m)
	var qe *queryError
	if errors.As(err, &qe) && qe.code == abci.CodeQueryNotFound {
		s.nonce = 0
		return nil
	}
	if err != nil {
		return err
	}
	s.nonce = m.Nonce
	return nil
}

type queryError struct {
	code abci.Code
	log  string
}

func (e *queryError) Error() string { return fmt.Sprintf("workload: query: %s: %s", e.code, e.log) }

func query(ctx context.Context, lc *ledger.Client, path string, v any) error {
	res, err := lc.Query(ctx, path)
	if err != nil {
		return err
	}
	if res.Code != 0 {
		return &queryError{abci.Code(res.Code), res.Log}
	}
	return json.Unmarshal(res.Value, v)
}

// submitAll broadcasts txs in order, then waits for each and fails unless
// every one succeeds.
func submitAll(ctx context.Context, lc *ledger.Client, txs [][]byte) ([]ledger.Receipt, error) {
	for _, t := range txs {
		r, err := broadcastRetry(ctx, lc, t)
		if err != nil {
			return nil, err
		}
		if r.Code != 0 {
			return nil, fmt.Errorf("CheckTx: %s: %s", abci.Code(r.Code), r.Log)
		}
	}
	out := make([]ledger.Receipt, len(txs))
	for i, t := range txs {
		r, err := lc.Wait(ctx, ledger.Hash(t))
		if err != nil {
			return nil, err
		}
		if r.Code != 0 {
			return nil, fmt.Errorf("height %d: %s: %s", r.Height, abci.Code(r.Code), r.Log)
		}
		out[i] = r
	}
	return out, nil
}

// broadcastRetry broadcasts tx, waiting while the node's mempool is full.
func broadcastRetry(ctx context.Context, lc *ledger.Client, t []byte) (ledger.Receipt, error) {
	for {
		r, err := lc.Broadcast(ctx, t)
		if err == nil || !IsMempoolFull(err) {
			return r, err
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// IsMempoolFull reports whether a broadcast failed because the node's
// mempool has no room; the tx can be sent again later.
func IsMempoolFull(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "mempool is full") || strings.Contains(err.Error(), "considered as full"))
}

// eventID returns the id attribute of the first event of type typ.
func eventID(r ledger.Receipt, typ string) (uint64, bool) {
	for _, ev := range r.Events {
		if ev.Type != typ {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == "id" {
				id, err := strconv.ParseUint(a.Value, 10, 64)
				return id, err == nil
			}
		}
	}
	return 0, false
}

// waitBlockTime waits until the chain's last block time reaches t.
func waitBlockTime(ctx context.Context, lc *ledger.Client, t int64) error {
	for {
		var ch struct {
			BlockTime int64 `json:"block_time"`
		}
		if err := query(ctx, lc, "chain", &ch); err != nil {
			return err
		}
		if ch.BlockTime >= t {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// parallel runs f(0..n-1) on every CPU.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
