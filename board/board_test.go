package board_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/board"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/templates"
)

// pages are the paths every test walks; exports and sheets included.
func pages(w *world) []string {
	return []string{"/", "/decisions", "/decisions/1", "/polls/2", "/decisions/2", "/decisions/3",
		"/accounts", "/accounts/" + abci.FormatMonth(abci.MonthOf(time.Now().Unix())), "/notices",
		"/tx/" + w.txs["vote-1-101"].Hash, "/tx/" + w.txs["roof"].Hash, "/tx/" + w.txs["notice"].Hash,
		"/decisions/1/rows.csv", "/decisions/1/rows.json", "/decisions/2/rows.csv",
		"/accounts/mgmt/entries.csv", "/accounts/mgmt/entries.json", "/accounts/fund/entries.json", "/accounts/public/entries.csv",
		"/print/decisions/1", "/print/decisions/1/data.json", "/print/decisions/2",
		"/print/accounts/" + quarter(), "/print/accounts/" + quarter() + "/data.json", "/print/accounts/" + half(),
	}
}

func quarter() string {
	m := abci.MonthOf(time.Now().Unix())
	return abci.FormatMonth(m)[:4] + "-Q" + string(rune('0'+(m%100-1)/3+1))
}

func half() string {
	m := abci.MonthOf(time.Now().Unix())
	return abci.FormatMonth(m)[:4] + "-H" + string(rune('0'+(m%100-1)/6+1))
}

func TestEveryPageAnswersReadOnly(t *testing.T) {
	w := startWorld(t)
	for _, p := range pages(w) {
		code, h, body := w.get(t, p)
		if code != http.StatusOK {
			t.Errorf("GET %s: %d\n%s", p, code, body)
			continue
		}
		if got := h.Get("Content-Security-Policy"); got != board.ContentSecurityPolicy {
			t.Errorf("GET %s: CSP %q", p, got)
		}
		if h.Get("Set-Cookie") != "" {
			t.Errorf("GET %s sets a cookie", p)
		}
		if strings.Contains(body, "<form") || strings.Contains(body, "<script") {
			t.Errorf("GET %s has a form or a script", p)
		}
		if strings.HasSuffix(p, ".csv") && !strings.HasPrefix(body, "\ufeff") {
			t.Errorf("GET %s: no BOM", p)
		}
	}

	t.Run("UnknownPathsAre404", func(t *testing.T) {
		for _, p := range []string{"/nope", "/decisions/999", "/decisions/abc", "/decisions/0", "/tx/xyz",
			"/tx/" + strings.Repeat("0", 64), "/print/decisions/3", "/decisions/3/rows.csv", "/print/accounts/2026-Q5",
			"/print/accounts/26-Q1", "/accounts/2026-13", "/accounts/nope/entries.csv", "/accounts/../etc/passwd"} {
			code, _, body := w.get(t, p)
			if code != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", p, code)
			}
			if code == http.StatusNotFound && !strings.Contains(body, "没有这一页") {
				t.Errorf("GET %s: not the board's 404 page:\n%s", p, body)
			}
		}
	})

	t.Run("WritesAreRefused", func(t *testing.T) {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
			req, _ := http.NewRequest(m, w.srv.URL+"/", strings.NewReader("x=1"))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s /: %d, want 405", m, res.StatusCode)
			}
		}
	})

	t.Run("ValuesAreEscaped", func(t *testing.T) {
		_, _, body := w.get(t, "/notices")
		if !strings.Contains(body, "&lt;检修&gt;") || strings.Contains(body, "<检修>") {
			t.Errorf("the notice's text is not escaped")
		}
	})

	t.Run("TxHashInEitherCase", func(t *testing.T) {
		h := w.txs["vote-1-101"].Hash
		code, _, body := w.get(t, "/tx/"+strings.ToUpper(h))
		if code != 200 || !strings.Contains(body, "投票") || !strings.Contains(body, h) {
			t.Errorf("GET /tx/HASH in upper case: %d\n%s", code, body)
		}
		r := w.txs["vote-1-101"]
		if !strings.Contains(body, "#"+itoa(r.Height)) {
			t.Errorf("the receipt page does not show block #%d", r.Height)
		}
	})

	t.Run("ReceiptPageVerifies", func(t *testing.T) {
		// The entry is committed blocks ago; verify's checks against the
		// board's node pass, and the page says what they do not prove.
		_, _, body := w.get(t, "/tx/"+w.txs["roof"].Hash)
		for _, want := range []string{"公示栏替您核对了这张回执", "✓ 区块头", "✓ 交易", "✓ 结果", "✓ 记录", "这说明", "这不能证明的", "不能证明住户本人按了键"} {
			if !strings.Contains(body, want) {
				t.Errorf("the receipt page lacks %q", want)
			}
		}
		if strings.Contains(body, "✗") {
			t.Errorf("a check failed on the receipt page:\n%s", body)
		}
	})

	t.Run("ReceiptPageSaysWhenItCannotCheck", func(t *testing.T) {
		// A board whose node for the checks does not answer says the
		// check failed and not to trust the receipt, and still shows it.
		b, err := board.New(w.cust.Client(), templates.MustLoad())
		if err != nil {
			t.Fatal(err)
		}
		b.VerifyNode = "http://127.0.0.1:1"
		srv := httptest.NewServer(b)
		defer srv.Close()
		res, err := http.Get(srv.URL + "/tx/" + w.txs["roof"].Hash)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		for _, want := range []string{"✗ 信任锚", "请不要相信这张回执", "#" + itoa(w.txs["roof"].Height)} {
			if res.StatusCode != 200 || !strings.Contains(string(body), want) {
				t.Errorf("status %d, the page lacks %q", res.StatusCode, want)
			}
		}
	})

	t.Run("FiguresMatchTheLedger", func(t *testing.T) { figuresMatch(t, w) })
	t.Run("NoAddressOrKeyOnAnyPage", func(t *testing.T) { noPrivateData(t, w) })
	t.Run("NoticeDataHashIsPrinted", func(t *testing.T) {
		for _, p := range []string{"/print/decisions/1", "/print/accounts/" + quarter()} {
			_, _, data := w.get(t, p+"/data.json")
			sum := sha256.Sum256([]byte(data))
			_, _, sheet := w.get(t, p)
			if !strings.Contains(sheet, hex.EncodeToString(sum[:])) {
				t.Errorf("%s does not print the SHA-256 of %s/data.json", p, p)
			}
			if !strings.Contains(sheet, "size:A4") || !strings.Contains(sheet, `id="proof"`) {
				t.Errorf("%s has no A4 page rule or proof block", p)
			}
		}
	})
	t.Run("PagesLinkPrintAndExports", func(t *testing.T) {
		_, _, d := w.get(t, "/decisions/1")
		_, _, a := w.get(t, "/accounts")
		for _, want := range []string{`href="/print/decisions/1">打印公示`, `href="/decisions/1/rows.csv"`, `href="/decisions/1/rows.json"`} {
			if !strings.Contains(d, want) {
				t.Errorf("/decisions/1 lacks %s", want)
			}
		}
		for _, want := range []string{`href="/print/accounts/` + quarter() + `">打印公示`, `href="/accounts/mgmt/entries.csv"`, `href="/accounts/fund/entries.json"`} {
			if !strings.Contains(a, want) {
				t.Errorf("/accounts lacks %s", want)
			}
		}
	})
	t.Run("CachedUntilTheNextBlock", func(t *testing.T) {
		_, _, before := w.get(t, "/decisions/3")
		if !strings.Contains(before, "已投票 <span class=\"figure\">1</span> 户") {
			t.Fatalf("decision 3 before: want 1 voter:\n%s", before)
		}
		if r, err := w.cust.Submit(context.Background(), w.members["2-101"], &tx.VoteCast{Proposal: 3, Choices: []int{0}}); err != nil || r.Code != 0 {
			t.Fatalf("vote: %+v %v", r, err)
		}
		_, _, after := w.get(t, "/decisions/3")
		if !strings.Contains(after, "已投票 <span class=\"figure\">2</span> 户") {
			t.Errorf("decision 3 after a vote committed: want 2 voters")
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// newServer serves b as linli start does, on a free loopback port.
func newServer(tb testing.TB, b *board.Board) string {
	tb.Helper()
	s := &board.Server{Listen: "127.0.0.1:0", Board: b}
	if err := s.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("board server Close: %v", err)
		}
	})
	return "http://" + s.Addr()
}

// figuresMatch compares pages and exports with the ledger's own answers.
func figuresMatch(t *testing.T, w *world) {
	var res board.ProposalResult
	w.query(t, "proposals/1/result", &res)
	if res.Outcome != abci.OutcomePassed || res.Tally == nil {
		t.Fatalf("decision 1: %+v", res.Result)
	}
	_, _, page := w.get(t, "/decisions/1")
	tl := res.Tally
	// Every published row says how its ballot came (the fixture's are
	// all from chat).
	for _, want := range []string{"通过", "参与户数 " + itoa(tl.NP) + " / " + itoa(tl.NTot), "同意户数 " + itoa(tl.NY) + " / " + itoa(tl.NP),
		"<th>方式</th>", "<td>同意</td><td>网上</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("/decisions/1 lacks %q", want)
		}
	}
	var t3 abci.Turnout
	w.query(t, "proposals/3/turnout", &t3)
	if t3.MissingHeads == 0 || t3.MissingArea == 0 {
		t.Fatalf("decision 3 has reached quorum already: %+v", t3)
	}
	_, _, live := w.get(t, "/decisions/3")
	if want := "还差 " + itoa(t3.MissingHeads) + " 户、" + board.Area(t3.MissingArea) + " 达到三分之二"; !strings.Contains(live, want) {
		t.Errorf("/decisions/3 lacks %q", want)
	}
	_, _, body := w.get(t, "/decisions/1/rows.csv")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(res.Rows)+1 {
		t.Fatalf("rows.csv has %d rows, the result %d", len(recs)-1, len(res.Rows))
	}
	for i, r := range res.Rows {
		got := recs[i+1]
		if got[0] != r.Unit || got[3] != r.Owner || got[4] != r.Choice || got[6] != r.TxHash || got[7] != r.Channel {
			t.Errorf("row %d: %q, result %+v", i, got, r)
		}
	}
	var rows []board.Row
	_, _, js := w.get(t, "/decisions/1/rows.json")
	if err := json.Unmarshal([]byte(js), &rows); err != nil || len(rows) != len(res.Rows) {
		t.Fatalf("rows.json: %v, %d rows", err, len(rows))
	}

	var accounts []abci.LedgerAccount
	w.query(t, "accounts", &accounts)
	_, _, acc := w.get(t, "/accounts")
	for _, a := range accounts {
		if want := board.Yuan(a.Balance) + " 元"; !strings.Contains(acc, want) {
			t.Errorf("/accounts lacks %s's balance %s", a.Name, want)
		}
	}
	var pending []abci.Entry
	w.query(t, "accounts/pending", &pending)
	if len(pending) != 1 || !strings.Contains(acc, `id="entry-`+itoa(int64(pending[0].ID))+`"`) {
		t.Errorf("/accounts does not show pending entry %+v", pending)
	}
	if !strings.Contains(acc, "依据业主表决：<a href=\"/decisions/1\">使用维修资金修缮1栋屋顶</a>") {
		t.Errorf("/accounts does not link the fund's use to decision 1")
	}
	var entries []board.EntryRow
	_, _, ej := w.get(t, "/accounts/mgmt/entries.json")
	if err := json.Unmarshal([]byte(ej), &entries); err != nil {
		t.Fatal(err)
	}
	var a struct {
		Months []abci.AccountMonth `json:"months"`
	}
	w.query(t, "accounts/mgmt", &a)
	last := a.Months[len(a.Months)-1].Month
	var lines []abci.StatementLine
	w.query(t, "accounts/mgmt/entries/"+a.Months[0].Month+"/"+last, &lines)
	if len(entries) != len(lines) {
		t.Fatalf("entries.json has %d entries, the ledger %d", len(entries), len(lines))
	}
	for i, l := range lines {
		if e := entries[i]; e.ID != l.Entry.ID || e.Delta != l.Delta || e.Balance != l.Balance || e.TxHash != l.Entry.TxHash {
			t.Errorf("entry %d: %+v, ledger %+v", i, e, l)
		}
	}
}

// noPrivateData checks that no page or export holds a member's address or
// public key, or the text of a repair request.
func noPrivateData(t *testing.T, w *world) {
	var secrets []string
	users := []ledger.User{{Channel: "console", ID: "admin"}, {Channel: "console", ID: "caiwu"}, {Channel: "console", ID: "admin2"}, {Channel: "console", ID: "admin3"}}
	for _, u := range w.members {
		users = append(users, u)
	}
	for _, u := range users {
		k, err := w.cust.Key(u)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, string(tx.AddressOf(k.Public().(ed25519.PublicKey))), hex.EncodeToString(k.Public().(ed25519.PublicKey)))
	}
	secrets = append(secrets, "张三", "楼道灯不亮")
	for _, p := range pages(w) {
		_, _, body := w.get(t, p)
		low := strings.ToLower(body)
		for _, s := range secrets {
			if strings.Contains(low, s) {
				t.Errorf("GET %s contains %q", p, s)
			}
		}
	}
}

// gate is a Ledger whose queries wait until released, to hold a request
// in flight.
type gate struct {
	board.Ledger
	entered chan struct{}
	release chan struct{}
}

func (g *gate) Query(ctx context.Context, path string) (ledger.QueryResult, error) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.release
	return g.Ledger.Query(ctx, path)
}

func TestConcurrencyLimitAnswers503(t *testing.T) {
	w := startWorld(t)
	g := &gate{Ledger: w.cust.Client(), entered: make(chan struct{}, 1), release: make(chan struct{})}
	b, err := board.New(g, templates.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	b.MaxConcurrent, b.QueueWait = 1, 20*time.Millisecond
	srv := newServer(t, b)
	first := make(chan int, 1)
	go func() {
		res, err := http.Get(srv + "/")
		if err != nil {
			first <- 0
			return
		}
		res.Body.Close()
		first <- res.StatusCode
	}()
	<-g.entered // the first request holds the only slot
	res, err := http.Get(srv + "/accounts")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("second request: %d, want 503 with Retry-After", res.StatusCode)
	}
	close(g.release)
	if code := <-first; code != http.StatusOK {
		t.Errorf("first request: %d", code)
	}
}

// TestMonthPageFiguresMatchStatement wants the month's page, which reads
// each account's monthly figures and one page of its entries, to show the
// same opening, closing and entry count as the statement query.
func TestMonthPageFiguresMatchStatement(t *testing.T) {
	w := startWorld(t)
	month := abci.FormatMonth(abci.MonthOf(time.Now().Unix()))
	var st abci.AccountsStatement
	w.query(t, "accounts/statement/"+month+"/"+month, &st)
	code, _, body := w.get(t, "/accounts/"+month)
	if code != 200 {
		t.Fatalf("GET /accounts/%s: %d", month, code)
	}
	entries := 0
	for _, a := range st.Accounts {
		entries += len(a.Lines)
		want := "<h2>" + a.Name + "</h2>\n<p>月初 " + board.Yuan(a.Opening) + " 元 · 收入 " + board.Yuan(a.Income) + " 元 · 支出 " + board.Yuan(a.Expense) + " 元"
		if !strings.Contains(body, want) || !strings.Contains(body, "月末 <b>"+board.Yuan(a.Closing)+"</b> 元") {
			t.Errorf("%s: the page lacks %q or its closing %s", a.Account, want, board.Yuan(a.Closing))
		}
		if n := len(a.Lines); n > 0 && !strings.Contains(body, "本月共 "+strconv.Itoa(n)+" 笔") {
			t.Errorf("%s: the page does not say the month has %d entries", a.Account, n)
		}
	}
	if entries == 0 {
		t.Fatal("the fixture has no entries this month: the test would check nothing")
	}
}
