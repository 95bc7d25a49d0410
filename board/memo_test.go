package board_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/board"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/templates"
)

// TestDocumentsFromRememberedLinesMatchAFreshBoard changes the ledger in
// every way that changes an entry's line (a new entry, a reversal, a
// pending spending approved and posted, a withdrawal, a new account
// name) and after each change wants the entries exports and the printed
// statement of a board that remembers the lines it wrote before byte for
// byte what a new board writes from nothing.
func TestDocumentsFromRememberedLinesMatchAFreshBoard(t *testing.T) {
	w := startWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m, _ := abci.ParseMonth(abci.FormatMonth(abci.MonthOf(time.Now().Unix())))
	period := abci.FormatMonth(m)[:4] + "-Q" + string(rune('1'+(m%100-1)/3))
	paths := []string{"/accounts/mgmt/entries.csv", "/accounts/mgmt/entries.json", "/accounts/fund/entries.csv",
		"/accounts/fund/entries.json", "/print/accounts/" + period, "/print/accounts/" + period + "/data.json"}
	// The proof block and the posting window name the height and its
	// block time; everything else is the same at every height.
	proof := regexp.MustCompile(`(?s)<p class="posting">.*?</p>|<div class="proof".*?</dl></div>`)
	get := func(b *board.Board, path string) string {
		t.Helper()
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		return proof.ReplaceAllString(rec.Body.String(), "")
	}
	remembering, err := board.New(w.cust.Client(), templates.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	compare := func(step string) {
		t.Helper()
		fresh, err := board.New(w.cust.Client(), templates.MustLoad())
		if err != nil {
			t.Fatal(err)
		}
		board.Forget(remembering)
		for _, p := range paths {
			// A block between the two renders would change what they
			// read: render again until both read the same height.
			for try := 0; ; try++ {
				got, want := get(remembering, p), get(fresh, p)
				if got == want {
					break
				}
				if try == 5 {
					t.Fatalf("%s: GET %s from remembered lines differs from a fresh board's", step, p)
				}
				board.Forget(remembering)
				board.Forget(fresh)
			}
		}
		if board.MemoSize(remembering) == 0 {
			t.Fatalf("%s: the board remembers no lines", step)
		}
	}
	compare("the world as it starts")

	caiwu := ledger.User{Channel: "console", ID: "caiwu"}
	submit := func(u ledger.User, b tx.Body) ledger.Receipt {
		t.Helper()
		r, err := w.cust.Submit(ctx, u, b)
		if err != nil || r.Code != 0 {
			t.Fatalf("%s: %+v %v", b.Type(), r, err)
		}
		return r
	}
	record := func(kind, account string, fen int64, proposal uint64) ledger.Receipt {
		return submit(caiwu, &tx.EntryRecord{Kind: kind, Account: account, Amount: fen, Category: "杂项", Counterparty: "某公司",
			Memo: "<第二季>", Proposal: proposal})
	}
	r := record(tx.EntryIncome, "mgmt", 99_900, 0)
	compare("a new entry")
	submit(caiwu, &tx.EntryReverse{Entry: entryID(t, w, r), Memo: "重复录入"})
	compare("the entry reversed")
	r = record(tx.EntryExpense, "fund", 700_000, 1)
	compare("a pending fund spending")
	for _, u := range []ledger.User{{Channel: "console", ID: "admin2"}, {Channel: "console", ID: "admin3"}} {
		submit(u, &tx.EntryApprove{Entry: entryID(t, w, r)})
	}
	compare("the spending approved")
	r = record(tx.EntryExpense, "fund", 700_000, 1)
	submit(caiwu, &tx.EntryWithdraw{Entry: entryID(t, w, r), Reason: "不需要了"})
	compare("a spending withdrawn")
	submit(ledger.User{Channel: "console", ID: "admin"}, &tx.AccountOpen{ID: "events", Name: "活动经费"})
	record(tx.EntryIncome, "events", 5_000, 0)
	compare("a new account")
}
