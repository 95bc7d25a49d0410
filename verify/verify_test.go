package verify_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/internal/testnode"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
	"github.com/linli-community/linli/verify"
)

const chainID = "linli-verify"

func key(seed string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte(seed))
	return ed25519.NewKeyFromSeed(s[:])
}

func addr(k ed25519.PrivateKey) tx.Address { return tx.AddressOf(k.Public().(ed25519.PublicKey)) }

func genesis() abci.GenesisState {
	params := abci.DefaultParams()
	params.MinNotice, params.MinVoting = 0, 1
	return abci.GenesisState{Community: "核对小区", Admins: []tx.Address{addr(key("admin"))}, Params: params}
}

// community is a real node with what a resident's receipts are made of.
type community struct {
	t      testing.TB
	n      *node.Node
	lc     *ledger.Client
	nonces map[tx.Address]uint64
}

func newCommunity(t testing.TB, n *node.Node) *community {
	return &community{t: t, n: n, lc: ledger.New(n.Local()), nonces: map[tx.Address]uint64{}}
}

// send signs body with k, submits it and returns the committed receipt.
func (c *community) send(k ed25519.PrivateKey, body tx.Body) ledger.Receipt {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a := addr(k)
	c.nonces[a]++
	x := tx.New(chainID, c.nonces[a], body)
	x.Sign(k)
	r, err := c.lc.Submit(ctx, x.Encode())
	if err != nil || r.Code != 0 {
		c.t.Fatalf("%s: %+v %v", body.Type(), r, err)
	}
	return r
}

// setup registers two units, binds their owners with real codes, grants
// the treasurer and records an entry. It returns the receipts.
func (c *community) setup() (bind, entry ledger.Receipt) {
	admin := key("admin")
	c.send(admin, &tx.UnitRegister{Units: []tx.UnitSpec{
		{Unit: "3-501", Building: "3", Area: 10000, Owner: "O-1"}, {Unit: "3-502", Building: "3", Area: 9000, Owner: "O-2"}}})
	for i, u := range []string{"3-501", "3-502"} {
		code := strings.Repeat(fmt.Sprint(i+1), tx.BindCodeDigits)
		salt := sha256.Sum256([]byte(u))
		c.send(admin, &tx.BindCodeIssue{Unit: u, Relation: tx.RelationOwner, BindVerifier: tx.NewBindVerifier(code, salt[:tx.BindCodeSaltSize]),
			ExpiresAt: time.Now().Unix() + 3600})
		k := key("owner" + u)
		body, err := c.lc.ProveBind(context.Background(), chainID, addr(k), &tx.MemberBind{Unit: u, Relation: tx.RelationOwner, Code: code})
		if err != nil {
			c.t.Fatal(err)
		}
		r := c.send(k, body)
		if i == 0 {
			bind = r
		}
	}
	c.send(admin, &tx.RoleGrant{Address: addr(key("treasurer")), Role: tx.RoleTreasurer})
	entry = c.send(key("treasurer"), &tx.EntryRecord{Kind: tx.EntryIncome, Account: "mgmt", Amount: 12_345, Category: "物业费"})
	return bind, entry
}

// decision opens decision 1 closing in a few seconds and casts O-1's
// ballot for option choice.
func (c *community) decision(choice int) ledger.Receipt {
	now := time.Now().Unix()
	c.send(key("admin"), &tx.ProposalOpen{Title: "续聘物业", Class: tx.ClassOrdinary, NoticeAt: now, VoteStart: now + 1, VoteEnd: now + 8})
	c.waitBlockTime(now + 1)
	return c.send(key("owner3-501"), &tx.VoteCast{Proposal: 1, Choices: []int{choice}})
}

// waitBlockTime waits until the last block's time reaches t: CheckTx
// judges a ballot by it, and it trails the clock.
func (c *community) waitBlockTime(t int64) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		r, err := c.lc.Query(ctx, "chain")
		var ch struct {
			BlockTime int64 `json:"block_time"`
		}
		if err == nil {
			_, err = r.Decode("chain", &ch)
		}
		if err != nil {
			c.t.Fatal(err)
		}
		if ch.BlockTime >= t {
			return
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("no block reached time %d", t)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitClosed waits for decision 1's tally.
func (c *community) waitClosed() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		r, err := c.lc.Query(ctx, "proposals/1")
		var p abci.Proposal
		if err == nil {
			_, err = r.Decode("proposals/1", &p)
		}
		if err != nil {
			c.t.Fatal(err)
		}
		if p.Status == abci.StatusClosed {
			return
		}
		select {
		case <-ctx.Done():
			c.t.Fatal("decision 1 did not close")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func check(t testing.TB, hash string, o verify.Options) verify.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return verify.Check(ctx, hash, o)
}

// statuses renders a report as "name=status" words, for messages.
func statuses(r verify.Report) string {
	var s []string
	for _, st := range r.Steps {
		w := st.Name + "=" + string(st.Status)
		if st.Reason != "" {
			w += "(" + st.Reason + ")"
		}
		if st.Err != "" {
			w += ": " + st.Err
		}
		s = append(s, w)
	}
	return strings.Join(s, "; ")
}

func step(r verify.Report, name string) verify.Step {
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	return verify.Step{}
}

func TestVerifyPassesForReceipts(t *testing.T) {
	n, _ := testnode.Start(t, testnode.Options{ChainID: chainID, Genesis: genesis()})
	c := newCommunity(t, n)
	bind, entry := c.setup()
	first := c.decision(tx.DecisionOptionNo)
	// The owner changes their mind: the later ballot is the one counted.
	ballot := c.send(key("owner3-501"), &tx.VoteCast{Proposal: 1, Choices: []int{tx.DecisionOptionYes}})
	now := time.Now().Unix()
	c.send(key("admin"), &tx.PollOpen{Title: "活动日期", Options: []string{"周六", "周日"}, VoteStart: now, VoteEnd: now + 3600})
	pollVote := c.send(key("owner3-502"), &tx.VoteCast{Proposal: 2, Choices: []int{1}})
	url := n.RPCAddr()
	anchor, err := verify.GetAnchor(context.Background(), url, 2)
	if err != nil || anchor.ChainID != chainID || anchor.Height != 2 || len(anchor.Hash) != 64 {
		t.Fatalf("anchor = %+v, %v", anchor, err)
	}
	// First, while decision 1 is still open: the ballot is proven cast,
	// and the counted step is still to come.
	r := check(t, ballot.Hash, verify.Options{Node: url, Trust: &anchor})
	if s := step(r, verify.StepCounted); !r.OK() || s.Status != verify.Skipped || s.Reason != verify.ReasonOpen {
		t.Errorf("ballot before the close: %s", statuses(r))
	}

	r = check(t, bind.Hash, verify.Options{Node: url, Trust: &anchor})
	if !r.OK() || step(r, verify.StepRecord).Unit != "3-501" || step(r, verify.StepRecord).Relation != tx.RelationOwner {
		t.Errorf("binding: %s", statuses(r))
	}
	if a := step(r, verify.StepAnchor); a.Reason != "" || a.Height != 2 {
		t.Errorf("binding with an anchor: anchor step %+v", a)
	}
	r = check(t, strings.ToUpper(entry.Hash), verify.Options{Node: url})
	if rec := step(r, verify.StepRecord); !r.OK() || rec.Account != "mgmt" || rec.Amount != 12_345 || rec.Kind != tx.EntryIncome {
		t.Errorf("entry: %s", statuses(r))
	}
	if a := step(r, verify.StepAnchor); a.Reason != verify.ReasonFirstHeader || a.Height != 1 {
		t.Errorf("without an anchor, the anchor step = %+v, want the first header, said so", a)
	}
	// A poll vote is proven as recorded; polls have no per-owner root.
	r = check(t, pollVote.Hash, verify.Options{Node: url, Trust: &anchor})
	if rec, s := step(r, verify.StepRecord), step(r, verify.StepCounted); !r.OK() || rec.Unit != "3-502" || rec.Choice != "2" || s.Reason != verify.ReasonNotDecision {
		t.Errorf("poll vote: %s", statuses(r))
	}
	c.waitClosed()
	r = check(t, ballot.Hash, verify.Options{Node: url, Trust: &anchor})
	s := step(r, verify.StepCounted)
	if !r.OK() || s.Status != verify.Passed || s.Owner != "O-1" || s.Choice != "同意" || s.Area != 10000 || s.Outcome == "" {
		t.Errorf("ballot after the close: %s", statuses(r))
	}
	if rec := step(r, verify.StepRecord); rec.Proposal != 1 || rec.Owner != "O-1" || rec.Choice != "1" {
		t.Errorf("ballot record step = %+v", rec)
	}
	// The first ballot is proven cast, and proven not counted.
	r = check(t, first.Hash, verify.Options{Node: url, Trust: &anchor})
	if s, failed := r.Failed(); r.OK() || !failed || s.Name != verify.StepCounted || s.Reason != verify.ReasonSuperseded || s.Counted != ballot.Hash {
		t.Errorf("a superseded ballot: %s", statuses(r))
	}
	if rec := step(r, verify.StepRecord); rec.Status != verify.Passed || rec.Choice != "2" {
		t.Errorf("the superseded ballot's record step = %+v", rec)
	}
}

func TestVerifyRefusesBadInput(t *testing.T) {
	n, _ := testnode.Start(t, testnode.Options{ChainID: chainID, Genesis: genesis()})
	c := newCommunity(t, n)
	_, entry := c.setup()
	url := n.RPCAddr()
	for name, tc := range map[string]struct {
		hash   string
		o      verify.Options
		step   string
		reason string
	}{
		"NotAHash":      {"xyz", verify.Options{Node: url}, verify.StepTx, verify.ReasonNotFound},
		"UnknownTx":     {strings.Repeat("ab", 32), verify.Options{Node: url}, verify.StepTx, verify.ReasonNotFound},
		"NoNode":        {entry.Hash, verify.Options{Node: "http://127.0.0.1:1"}, verify.StepAnchor, verify.ReasonUnreachable},
		"ForeignAnchor": {entry.Hash, verify.Options{Node: url, Trust: &verify.Anchor{Height: 1, Hash: strings.Repeat("AB", 32)}}, verify.StepAnchor, verify.ReasonAnchor},
		"OtherChain":    {entry.Hash, verify.Options{Node: url, Trust: &verify.Anchor{ChainID: "elsewhere", Height: 1, Hash: strings.Repeat("AB", 32)}}, verify.StepAnchor, verify.ReasonAnchor},
	} {
		t.Run(name, func(t *testing.T) {
			r := check(t, tc.hash, tc.o)
			s, failed := r.Failed()
			if r.OK() || !failed || s.Name != tc.step || s.Reason != tc.reason {
				t.Errorf("%s", statuses(r))
			}
		})
	}
	if _, err := verify.ParseTrust("12"); err == nil {
		t.Error("ParseTrust took a height without a hash")
	}
	if a, err := verify.ParseTrust("12:" + strings.Repeat("ab", 32)); err != nil || a.Height != 12 || a.Hash != strings.Repeat("AB", 32) {
		t.Errorf("ParseTrust = %+v, %v", a, err)
	}
}

// proxy is a lying node: it forwards JSON-RPC calls to a real node and
// lets a test rewrite the answer of one method, or send a method to
// another node altogether.
type proxy struct {
	target    string
	elsewhere map[string]string // method -> node to ask instead
	// laterElsewhere sends commit and validators above height 1 to
	// another node: the anchor is right, the headers after it are not.
	laterElsewhere string
	rewrite        map[string]func(result map[string]any)
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Method string `json:"method"`
		Params struct {
			Height string `json:"height"`
		} `json:"params"`
	}
	json.Unmarshal(body, &req)
	target := p.target
	if t, ok := p.elsewhere[req.Method]; ok {
		target = t
	}
	if p.laterElsewhere != "" && (req.Method == "commit" || req.Method == "validators") && req.Params.Height != "1" {
		target = p.laterElsewhere
	}
	resp, err := http.Post(target, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if f, ok := p.rewrite[req.Method]; ok {
		var msg map[string]any
		if json.Unmarshal(out, &msg) == nil {
			if res, ok := msg["result"].(map[string]any); ok {
				f(res)
				out, _ = json.Marshal(msg)
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

func startProxy(t *testing.T, p *proxy) string {
	s := httptest.NewServer(p)
	t.Cleanup(s.Close)
	return s.URL
}

func TestVerifyCatchesALyingNode(t *testing.T) {
	n, _ := testnode.Start(t, testnode.Options{ChainID: chainID, Genesis: genesis()})
	c := newCommunity(t, n)
	_, entry := c.setup()
	ballot := c.decision(tx.DecisionOptionYes)
	c.waitClosed()
	// Another chain of the same name, with its own validator.
	other, _ := testnode.Start(t, testnode.Options{ChainID: chainID, Genesis: genesis()})
	newCommunity(t, other).setup()

	url := n.RPCAddr()
	anchor, err := verify.GetAnchor(context.Background(), url, 1)
	if err != nil {
		t.Fatal(err)
	}
	resultData := func(res map[string]any) {
		for _, r := range res["txs_results"].([]any) {
			r.(map[string]any)["data"] = "AAAA"
		}
	}
	resultInfo := func(res map[string]any) {
		for _, r := range res["txs_results"].([]any) {
			m := r.(map[string]any)
			m["info"] = strings.Replace(m["info"].(string), "12345", "99999", 1)
		}
	}
	resultCode := func(res map[string]any) {
		for _, r := range res["txs_results"].([]any) {
			r.(map[string]any)["code"] = 7
		}
	}
	query := func(from, to string) func(res map[string]any) {
		return func(res map[string]any) {
			resp := res["response"].(map[string]any)
			v, _ := resp["value"].(string)
			var raw []byte
			json.Unmarshal([]byte(`"`+v+`"`), &raw)
			raw = bytes.ReplaceAll(raw, []byte(from), []byte(to))
			b, _ := json.Marshal(raw)
			resp["value"] = strings.Trim(string(b), `"`)
		}
	}
	for name, tc := range map[string]struct {
		hash   string
		p      *proxy
		step   string
		reason string
	}{
		"ResultData": {entry.Hash, &proxy{rewrite: map[string]func(map[string]any){"block_results": resultData}}, verify.StepResult, verify.ReasonProof},
		"ResultInfo": {entry.Hash, &proxy{rewrite: map[string]func(map[string]any){"block_results": resultInfo}}, verify.StepResult, verify.ReasonProof},
		"ResultCode": {entry.Hash, &proxy{rewrite: map[string]func(map[string]any){"block_results": resultCode}}, verify.StepResult, verify.ReasonProof},
		"TxBytes": {entry.Hash, &proxy{rewrite: map[string]func(map[string]any){"tx": func(res map[string]any) {
			res["index"] = 1
			res["proof"].(map[string]any)["proof"].(map[string]any)["index"] = "1"
		}}}, verify.StepTx, verify.ReasonProof},
		"LaterHeader": {entry.Hash, &proxy{laterElsewhere: other.RPCAddr()}, verify.StepHeaders, verify.ReasonHeader},
		"OtherHeader": {entry.Hash, &proxy{elsewhere: map[string]string{"commit": other.RPCAddr(), "validators": other.RPCAddr()}}, verify.StepAnchor, verify.ReasonAnchor},
		"BlockWrites": {ballot.Hash, &proxy{rewrite: map[string]func(map[string]any){"abci_query": query(`\"kind\":\"decision\"`, `\"kind\":\"decisiom\"`)}}, verify.StepCounted, verify.ReasonProof},
		"BallotLeaf":  {ballot.Hash, &proxy{rewrite: map[string]func(map[string]any){"abci_query": query(`\"area\":10000`, `\"area\":90000`)}}, verify.StepCounted, verify.ReasonProof},
	} {
		t.Run(name, func(t *testing.T) {
			tc.p.target = url
			r := check(t, tc.hash, verify.Options{Node: startProxy(t, tc.p), Trust: &anchor})
			s, failed := r.Failed()
			if r.OK() || !failed || s.Name != tc.step || s.Reason != tc.reason {
				t.Errorf("want %s to fail (%s): %s", tc.step, tc.reason, statuses(r))
			}
		})
	}
	// With an honest witness beside it, a primary serving another chain's
	// headers fails all the same, named: the light client either refuses
	// its header or replaces it by the witness, whichever it meets first.
	lying := startProxy(t, &proxy{target: url, laterElsewhere: other.RPCAddr()})
	r := check(t, entry.Hash, verify.Options{Node: lying, Witnesses: []string{url}, Trust: &anchor})
	if s, failed := r.Failed(); r.OK() || !failed || s.Name != verify.StepHeaders || (s.Reason != verify.ReasonHeader && s.Reason != verify.ReasonPrimary) || s.Node != lying {
		t.Errorf("a lying primary with an honest witness: %s", statuses(r))
	}
	// The same proxy without rewrites passes: the failures above are the
	// rewrites' doing.
	r = check(t, ballot.Hash, verify.Options{Node: startProxy(t, &proxy{target: url}), Trust: &anchor})
	if !r.OK() {
		t.Errorf("an honest proxy: %s", statuses(r))
	}
}

func TestVerifyReportsWitnesses(t *testing.T) {
	// A and B share the community's first blocks, then fork: each
	// records its own entry at the same heights, signed by the same
	// validator.
	nonces := map[tx.Address]uint64{}
	a, b := testnode.StartFork(t, testnode.Options{ChainID: chainID, Genesis: genesis()}, func(n *node.Node) {
		c := newCommunity(t, n)
		c.setup()
		nonces = c.nonces
	})
	ca, cb := newCommunity(t, a), newCommunity(t, b)
	for k, v := range nonces {
		ca.nonces[k], cb.nonces[k] = v, v
	}
	entry := ca.send(key("treasurer"), &tx.EntryRecord{Kind: tx.EntryIncome, Account: "mgmt", Amount: 1, Category: "分叉甲"})
	cb.send(key("treasurer"), &tx.EntryRecord{Kind: tx.EntryExpense, Account: "mgmt", Amount: 2, Category: "分叉乙"})
	// Another chain of the same name, with its own validator.
	other, _ := testnode.Start(t, testnode.Options{ChainID: chainID, Genesis: genesis()})
	newCommunity(t, other).setup()
	anchor, aerr := verify.GetAnchor(context.Background(), a.RPCAddr(), 1)
	if aerr != nil {
		t.Fatal(aerr)
	}

	// The same node as its own witness agrees.
	r := check(t, entry.Hash, verify.Options{Node: a.RPCAddr(), Witnesses: []string{a.RPCAddr()}})
	if w := step(r, verify.StepWitness); !r.OK() || w.Status != verify.Passed || w.Node != a.RPCAddr() {
		t.Errorf("an agreeing witness: %s", statuses(r))
	}
	// A witness on another chain differs at the anchor: a conflict,
	// named.
	r = check(t, entry.Hash, verify.Options{Node: a.RPCAddr(), Witnesses: []string{other.RPCAddr()}, Trust: &anchor})
	if s, failed := r.Failed(); r.OK() || !failed || s.Name != verify.StepWitness || s.Reason != verify.ReasonConflict || s.Node != other.RPCAddr() {
		t.Errorf("a witness of another chain: %s", statuses(r))
	}
	// A witness that agrees at the anchor and then serves another
	// chain's headers is dropped by the light client, which goes on
	// with the honest one, and the drop is reported: verify fails.
	bad := startProxy(t, &proxy{target: a.RPCAddr(), laterElsewhere: other.RPCAddr()})
	r = check(t, entry.Hash, verify.Options{Node: a.RPCAddr(), Witnesses: []string{bad, a.RPCAddr()}, Trust: &anchor})
	if s, failed := r.Failed(); r.OK() || !failed || s.Name != verify.StepWitness || s.Reason != verify.ReasonDropped || s.Node != bad {
		t.Errorf("a witness serving bad headers: %s", statuses(r))
	}
	if h := step(r, verify.StepHeaders); h.Status != verify.Passed {
		t.Errorf("the primary's headers should still verify: %s", statuses(r))
	}
	// With that witness alone the light client cannot go on: every
	// witness it had served bad headers.
	r = check(t, entry.Hash, verify.Options{Node: a.RPCAddr(), Witnesses: []string{bad}, Trust: &anchor})
	if s, failed := r.Failed(); r.OK() || !failed || s.Name != verify.StepWitness || s.Reason != verify.ReasonDropped || s.Node != bad {
		t.Errorf("the only witness serving bad headers: %s", statuses(r))
	}
	// A witness on a fork that shares the anchor is an attack: the
	// validator signed two chains.
	r = check(t, entry.Hash, verify.Options{Node: a.RPCAddr(), Witnesses: []string{b.RPCAddr()}, Trust: &anchor})
	if s, failed := r.Failed(); r.OK() || !failed || s.Name != verify.StepWitness || s.Reason != verify.ReasonAttack || !strings.Contains(s.Node, b.RPCAddr()) {
		t.Errorf("a forked witness: %s", statuses(r))
	}
}
