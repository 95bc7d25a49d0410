package board_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/board"
	"github.com/linli-community/linli/internal/browser"
)

// TestInABrowser opens every page in headless Chromium at a phone's width,
// compares the figures shown with the ledger's own queries, checks that
// nothing scrolls sideways, prints every notice to PDF (A4, with the proof
// block) and decodes each notice's QR code back to its URL.
func TestInABrowser(t *testing.T) {
	w := startWorld(t)
	ctx := browser.Start(t)

	var t3 abci.Turnout
	w.query(t, "proposals/3/turnout", &t3)
	var res board.ProposalResult
	w.query(t, "proposals/1/result", &res)
	var accounts []abci.LedgerAccount
	w.query(t, "accounts", &accounts)
	var month []abci.MonthSummary
	w.query(t, "accounts/monthly/"+abci.FormatMonth(abci.MonthOf(time.Now().Unix())), &month)

	want := map[string][]string{
		"/": {"已投票 " + itoa(t3.HeadsVoted) + " 户，共 " + itoa(t3.HeadsTotal) + " 户",
			"收入 " + board.Yuan(month[0].Income) + " 元", "支出 " + board.Yuan(month[0].Expense) + " 元"},
		"/decisions/1": {"通过", "参与户数 " + itoa(res.Tally.NP) + " / " + itoa(res.Tally.NTot),
			"同意户数 " + itoa(res.Tally.NY) + " / " + itoa(res.Tally.NP), "逐户明细（" + itoa(int64(len(res.Rows))) + "）"},
		"/polls/2":                        {"得票最多：周日"},
		"/accounts":                       {},
		"/notices":                        {"停水通知", "报修"},
		"/tx/" + w.txs["vote-1-101"].Hash: {"已记录：投票", "#" + itoa(w.txs["vote-1-101"].Height)},
	}
	for _, a := range accounts {
		want["/accounts"] = append(want["/accounts"], a.Name, board.Yuan(a.Balance)+" 元")
	}
	for _, p := range pages(w) {
		if strings.HasSuffix(p, ".csv") || strings.HasSuffix(p, ".json") {
			continue
		}
		if err := browser.Open(ctx, w.srv.URL+p); err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		if over, err := browser.HorizontalOverflow(ctx); err != nil || over > 0 {
			t.Errorf("%s scrolls sideways by %d px at %d px wide (%v)", p, over, browser.PhoneWidth, err)
		}
		text, err := browser.Text(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range want[p] {
			if !strings.Contains(text, s) {
				t.Errorf("%s shows no %q", p, s)
			}
		}
		if !strings.HasPrefix(p, "/print/") {
			continue
		}
		proof, err := browser.PrintText(ctx, "proof")
		if err != nil {
			t.Fatal(err)
		}
		_, _, data := w.get(t, p+"/data.json")
		for _, s := range []string{"linli-board", "区块高度", "应用哈希", sha256Hex(data)} {
			if !strings.Contains(proof, s) {
				t.Errorf("%s: the printed proof block lacks %q:\n%s", p, s, proof)
			}
		}
		pdf, err := browser.PDF(ctx)
		if err != nil {
			t.Fatalf("print %s: %v", p, err)
		}
		sizes := browser.PageSize(pdf)
		if len(sizes) == 0 || len(sizes) != browser.PageCount(pdf) {
			t.Errorf("%s: %d page sizes for %d pages", p, len(sizes), browser.PageCount(pdf))
		}
		for i, s := range sizes {
			if !browser.IsA4(s) {
				t.Errorf("%s: page %d is %.1f × %.1f pt, not A4", p, i+1, s[0], s[1])
			}
		}
		t.Logf("%s: %d A4 pages", p, len(sizes))
		got, err := browser.DecodeQR(ctx, "#qr svg")
		if err != nil {
			t.Errorf("%s: %v", p, err)
		} else if got != w.srv.URL+p {
			t.Errorf("%s: the QR code holds %q, want the page's URL %q", p, got, w.srv.URL+p)
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
