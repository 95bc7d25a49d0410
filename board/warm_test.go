package board_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/board"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/templates"
)

// TestWarmRendersSlowPagesAtEachNewHeight wants a page residents asked
// for, and slow to render, rendered again by Warm at the next height
// without anyone asking, and kept as a whole page of that height; and a
// page no one asked for in WarmFor forgotten.
func TestWarmRendersSlowPagesAtEachNewHeight(t *testing.T) {
	w := startWorld(t)
	b, err := board.New(w.cust.Client(), templates.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	b.WarmAbove, b.WarmPoll = 0, 10*time.Millisecond // every page counts as slow
	type render struct {
		height int64
		path   string
	}
	renders := make(chan render, 64)
	board.OnRendered(b, func(h int64, path string) {
		select {
		case renders <- render{h, path}:
		default: // the test has what it needs
		}
	})
	rec := httptest.NewRecorder()
	b.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/accounts", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /accounts: %d", rec.Code)
	}
	first := <-renders
	if got := board.HotPaths(b); !slices.Equal(got, []string{"/accounts"}) {
		t.Fatalf("hot paths %v, want /accounts", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		b.Warm(ctx)
	}()
	t.Cleanup(func() { cancel(); <-warmed })
	// A new entry makes a new height with a new figure on the page.
	caiwu := ledger.User{Channel: "console", ID: "caiwu"}
	if r, err := w.cust.Submit(ctx, caiwu, &tx.EntryRecord{Kind: tx.EntryIncome, Account: "public", Amount: 12_345_678,
		Category: "广告", Counterparty: "某广告公司", Memo: "电梯广告"}); err != nil || r.Code != 0 {
		t.Fatalf("entry: %+v %v", r, err)
	}
	var chain struct {
		Height int64 `json:"height"`
	}
	w.query(t, "chain", &chain)
	var accounts []abci.LedgerAccount
	w.query(t, "accounts", &accounts)
	balance := ""
	for _, a := range accounts {
		if a.ID == "public" {
			balance = board.Yuan(a.Balance)
		}
	}
	for {
		select {
		case <-ctx.Done():
			t.Fatal("Warm did not render /accounts at a new height")
		case r := <-renders:
			if r.path != "/accounts" || r.height < chain.Height {
				continue
			}
			h, status, body, ok := board.Kept(b, "/accounts")
			if !ok || status != http.StatusOK || h < chain.Height || !strings.Contains(body, fmt.Sprintf("第 %d 块", h)) ||
				!strings.Contains(body, balance) {
				t.Fatalf("kept page: height %d (first render %d, entry at %d), status %d, found %v; want the page with the new entry",
					h, first.height, chain.Height, status, ok)
			}
			b.WarmFor = time.Nanosecond
			if got := board.HotPaths(b); len(got) != 0 {
				t.Errorf("hot paths %v after WarmFor, want none", got)
			}
			return
		}
	}
}

// frozen is a Ledger that answers every path as the node first answered
// it, at the height of its first chain answer: a node on which no block
// commits, so that requests meet at one height. Queries of hold wait
// until released.
type frozen struct {
	board.Ledger
	hold    string
	entered chan struct{}
	release chan struct{}

	mu      sync.Mutex
	answers map[string]ledger.QueryResult
	height  int64
	asked   map[string]int
}

func (f *frozen) Query(ctx context.Context, path string) (ledger.QueryResult, error) {
	f.mu.Lock()
	f.asked[path]++
	res, ok := f.answers[path]
	f.mu.Unlock()
	if path == f.hold {
		f.entered <- struct{}{}
		<-f.release
	}
	if ok {
		return res, nil
	}
	res, err := f.Ledger.Query(ctx, path)
	if err != nil {
		return res, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if path == "chain" && f.height == 0 {
		var c struct {
			Height int64 `json:"height"`
		}
		json.Unmarshal(res.Value, &c)
		f.height = c.Height
	}
	res.Height = f.height
	f.answers[path] = res
	return res, nil
}

// TestConcurrentRequestsShareOneRender wants a request for a page that
// another request is rendering at the same height to wait for that render
// and get the same page, the page's queries asked once.
func TestConcurrentRequestsShareOneRender(t *testing.T) {
	w := startWorld(t)
	f := &frozen{Ledger: w.cust.Client(), hold: "accounts/pending", entered: make(chan struct{}), release: make(chan struct{}),
		answers: map[string]ledger.QueryResult{}, asked: map[string]int{}}
	b, err := board.New(f, templates.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	joined := make(chan string, 1)
	board.OnJoined(b, func(path string) { joined <- path })
	get := func(out chan<- *httptest.ResponseRecorder) {
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/accounts", nil))
		out <- rec
	}
	a, c := make(chan *httptest.ResponseRecorder, 1), make(chan *httptest.ResponseRecorder, 1)
	go get(a)
	<-f.entered // the first request is rendering, held at accounts/pending
	go get(c)
	select {
	case p := <-joined:
		if p != "/accounts" {
			t.Fatalf("joined %s", p)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the second request did not wait for the first one's render")
	}
	close(f.release)
	ra, rc := <-a, <-c
	if ra.Code != http.StatusOK || rc.Code != http.StatusOK || ra.Body.String() != rc.Body.String() {
		t.Errorf("statuses %d %d, same page %v; want one page twice", ra.Code, rc.Code, ra.Body.String() == rc.Body.String())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := f.asked["accounts/pending"]; n != 1 {
		t.Errorf("accounts/pending asked %d times, want once", n)
	}
}

// panicky is a Ledger whose first query of path panics.
type panicky struct {
	board.Ledger
	path string
	once sync.Once
}

func (p *panicky) Query(ctx context.Context, path string) (ledger.QueryResult, error) {
	if path == p.path {
		p.once.Do(func() { panic("the node's client broke") })
	}
	return p.Ledger.Query(ctx, path)
}

// TestRenderThatPanicsLetsOthersRender wants a render that panics to end
// its flight, so that the next request for the page renders it instead
// of waiting for a render that will never land.
func TestRenderThatPanicsLetsOthersRender(t *testing.T) {
	w := startWorld(t)
	b, err := board.New(&panicky{Ledger: w.cust.Client(), path: "accounts/pending"}, templates.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	b.RenderTimeout = time.Minute // a wait in vain would outlast the test's bound
	func() {
		defer func() {
			if p := recover(); p == nil {
				t.Error("the first render did not panic")
			}
		}()
		b.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/accounts", nil))
	}()
	done := make(chan int, 1)
	go func() {
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/accounts", nil))
		done <- rec.Code
	}()
	select {
	case code := <-done:
		if code != http.StatusOK {
			t.Errorf("second request: %d, want 200", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the second request waited for the render that panicked")
	}
}

// TestWarmPrimesTheHeavyDocumentsAtStart wants a board just started to
// render, once and without being asked, every account's entries exports
// and this quarter's and half-year's printed statements, so that it
// remembers their lines before the first resident opens one; and those
// renders not to count as residents asking (no page becomes hot).
func TestWarmPrimesTheHeavyDocumentsAtStart(t *testing.T) {
	w := startWorld(t)
	b, err := board.New(w.cust.Client(), templates.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	b.WarmPoll = 10 * time.Millisecond
	var chain struct {
		BlockTime int64 `json:"block_time"`
	}
	w.query(t, "chain", &chain)
	var accounts []abci.LedgerAccount
	w.query(t, "accounts", &accounts)
	want := map[string]bool{}
	for _, a := range accounts {
		want["/accounts/"+a.ID+"/entries.csv"] = true
		want["/accounts/"+a.ID+"/entries.json"] = true
	}
	month := time.Unix(chain.BlockTime, 0).In(time.FixedZone("CST", 8*3600))
	want[fmt.Sprintf("/print/accounts/%d-Q%d", month.Year(), (int(month.Month())-1)/3+1)] = true
	want[fmt.Sprintf("/print/accounts/%d-H%d", month.Year(), (int(month.Month())-1)/6+1)] = true
	if len(accounts) == 0 {
		t.Fatal("the world has no accounts")
	}

	// OnRendered is called only for renders kept in the cache.
	rendered := make(chan string, 64)
	board.OnRendered(b, func(_ int64, path string) { rendered <- path })
	if n := board.MemoSize(b); n != 0 {
		t.Fatalf("a new board remembers %d lines", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		b.Warm(ctx)
	}()
	t.Cleanup(func() { cancel(); <-warmed })
	got := map[string]bool{}
	for len(got) < len(want) {
		select {
		case <-ctx.Done():
			t.Fatalf("Warm rendered %v, want %v", got, want)
		case path := <-rendered:
			if !want[path] || got[path] {
				t.Fatalf("Warm rendered %s (after %v), want each of %v once", path, got, want)
			}
			got[path] = true
		}
	}
	if n := board.MemoSize(b); n == 0 {
		t.Error("after priming the board remembers no lines")
	}
	if hot := board.HotPaths(b); len(hot) != 0 {
		t.Errorf("priming made %v hot, as if residents had asked", hot)
	}
}
