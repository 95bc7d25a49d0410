package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/board"
	"github.com/linli-community/linli/bot/console"
	"github.com/linli-community/linli/bot/wechatmp"
	"github.com/linli-community/linli/config"
	"github.com/linli-community/linli/internal/browser"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
)

// TestBoardAfterTheDemo runs the demo's history on a real node, adds a
// WeChat user (an openid, as the gateway sees one) who binds, votes,
// comments and files a repair request, and a decision over the demo's
// 120 units that closes; then it walks every page and export the board
// links to and checks that none holds a member's address or public key,
// the openid, or an owner label that is not the roster's.
func TestBoardAfterTheDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hm := home(filepath.Join(t.TempDir(), "home"))
	addrs, err := node.FreeLoopbackAddrs(2)
	if err != nil {
		t.Fatal(err)
	}
	rpc, p2p := addrs[0], addrs[1]
	params := abci.DefaultParams()
	params.MinNotice, params.MinVoting = demoNotice, 1
	quiet := &Env{Stdout: io.Discard, Stderr: io.Discard}
	if err := initHome(quiet, initOptions{home: hm, community: demoCommunity, chainID: demoChainID, rpc: rpc, p2p: p2p,
		timeoutCommit: 100 * time.Millisecond, emptyBlocks: 250 * time.Millisecond, params: &params}); err != nil {
		t.Fatal(err)
	}
	n, closeAll, err := startNode(ctx, quiet, hm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll() })
	secret, err := keys.LoadMasterSecret(hm.masterSecret())
	if err != nil {
		t.Fatal(err)
	}
	admin, err := keys.Load(hm.adminKey())
	if err != nil {
		t.Fatal(err)
	}
	cust := ledger.NewCustodian(ledger.New(n.Local()), secret, demoChainID)
	if err := seedDemo(ctx, cust, admin); err != nil {
		t.Fatal(err)
	}

	const openid = "oWx4f9Kp2mZ8yTqRLinliTest"
	wx := ledger.User{Channel: wechatmp.Channel, ID: openid}
	now := time.Now().Unix()
	if err := submitAll(ctx, cust,
		signed{admin, tx.NewBindCodeIssue("4-504", tx.RelationOwner, "3141592653589793", bytes.Repeat([]byte{3}, tx.BindCodeSaltSize), now+3600)},
	); err != nil {
		t.Fatal(err)
	}
	// A few seconds of slack: a loaded machine commits the block that
	// opens the vote later than a second, which the chain would refuse as
	// too short a notice.
	now = time.Now().Unix()
	closing := &tx.ProposalOpen{Title: "公共区域加装充电桩", Class: tx.ClassOrdinary, NoticeAt: now, VoteStart: now + demoNotice + 4, VoteEnd: now + demoNotice + 7}
	if err := submitAll(ctx, cust, signed{admin, closing}); err != nil {
		t.Fatal(err)
	}
	wxKey, _ := cust.Key(wx)
	if err := submitAll(ctx, cust, signed{wxKey, &tx.MemberBind{Unit: "4-504", Relation: tx.RelationOwner, Code: "3141592653589793"}}); err != nil {
		t.Fatal(err)
	}
	if err := waitBlockTime(ctx, cust, closing.VoteStart); err != nil {
		t.Fatal(err)
	}
	neighbour := func(unit string) ed25519.PrivateKey {
		k, _ := cust.Key(ledger.User{Channel: console.Channel, ID: "neighbour-" + unit})
		return k
	}
	if err := submitAll(ctx, cust,
		signed{wxKey, &tx.VoteCast{Proposal: 1, Choices: []int{0}}},
		signed{wxKey, &tx.VoteCast{Proposal: 3, Choices: []int{0}}},
		signed{neighbour("1-101"), &tx.VoteCast{Proposal: 3, Choices: []int{1}}},
		signed{neighbour("2-201"), &tx.VoteCast{Proposal: 3, Choices: []int{0}}},
	); err != nil {
		t.Fatal(err)
	}
	if err := submitAll(ctx, cust,
		signed{wxKey, &tx.CommentPost{On: tx.CommentOnProposal, Target: 1, Text: "同意换电梯。"}},
		signed{wxKey, &tx.RepairFile{Kind: tx.RepairKindRepair, Title: "4栋门禁坏了", Text: "门禁刷不开"}},
	); err != nil {
		t.Fatal(err)
	}
	if err := waitBlockTime(ctx, cust, closing.VoteEnd+1); err != nil {
		t.Fatal(err)
	}

	var stderr bytes.Buffer
	stop, err := startBoard(&Env{Stderr: &stderr}, config.Default(), cust.Client(), n.RPCAddr(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop() })
	line := regexp.MustCompile(`^公示栏：(http://127\.0\.0\.1:[0-9]+/)\n$`).FindStringSubmatch(stderr.String())
	if line == nil {
		t.Fatalf("startBoard printed %q, want one line 公示栏：http://127.0.0.1:PORT/", stderr.String())
	}
	base := strings.TrimSuffix(line[1], "/")

	// Everything that must never show: every key's address and public
	// key, and the openid.
	var secrets []string
	addKey := func(k ed25519.PrivateKey) {
		pub := k.Public().(ed25519.PublicKey)
		secrets = append(secrets, string(tx.AddressOf(pub)), hex.EncodeToString(pub))
	}
	addKey(admin)
	addKey(wxKey)
	for _, u := range []string{demoAdmin, "caiwu", demoResident} {
		k, _ := cust.Key(ledger.User{Channel: console.Channel, ID: u})
		addKey(k)
	}
	for _, nb := range demoNeighbours {
		addKey(neighbour(nb.unit))
	}
	secrets = append(secrets, strings.ToLower(openid), "门禁刷不开")

	labels := map[string]bool{}
	for _, u := range demoUnits() {
		labels[u.Owner] = true
	}
	href := regexp.MustCompile(`href="(/[^"#]*)`)
	seen := map[string]bool{}
	queue := []string{"/", "/decisions/3/rows.json", "/print/decisions/3/data.json"}
	for len(queue) > 0 && len(seen) < 400 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s (linked): %d", p, res.StatusCode)
			continue
		}
		low := strings.ToLower(string(body))
		for _, s := range secrets {
			if strings.Contains(low, s) {
				t.Errorf("GET %s contains %q", p, s)
			}
		}
		for _, m := range href.FindAllStringSubmatch(string(body), -1) {
			queue = append(queue, m[1])
		}
	}
	if len(seen) < 20 || !seen["/decisions/3/rows.csv"] || !seen["/print/decisions/3"] || !seen["/accounts/mgmt/entries.json"] {
		t.Errorf("the walk reached only %d pages: %v", len(seen), seen)
	}
	res, err := http.Get(base + "/decisions/3/rows.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []board.Row
	json.NewDecoder(res.Body).Decode(&rows)
	res.Body.Close()
	if len(rows) != len(demoUnits()) {
		t.Errorf("decision 3 published %d rows, want one per unit: %d", len(rows), len(demoUnits()))
	}
	for _, r := range rows {
		if !labels[r.Owner] {
			t.Errorf("row %s names owner %q, not a label of the roster", r.Unit, r.Owner)
		}
	}

	t.Run("PDFPageCounts", func(t *testing.T) {
		bctx := browser.Start(t)
		m := abci.MonthOf(time.Now().Unix())
		for _, p := range []string{"/print/decisions/3", "/print/accounts/" + quarterName(m)} {
			if err := browser.Open(bctx, base+p); err != nil {
				t.Fatal(err)
			}
			pdf, err := browser.PDF(bctx)
			if err != nil {
				t.Fatal(err)
			}
			sizes := browser.PageSize(pdf)
			for i, s := range sizes {
				if !browser.IsA4(s) {
					t.Errorf("%s page %d is not A4: %v", p, i+1, s)
				}
			}
			t.Logf("the demo's %s prints on %d A4 pages", p, len(sizes))
		}
	})
}

func quarterName(ym int) string {
	return abci.FormatMonth(ym)[:4] + "-Q" + string(rune('0'+(ym%100-1)/3+1))
}
