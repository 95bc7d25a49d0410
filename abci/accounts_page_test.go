package abci_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// pagedChain is a ledger chain with 25 management-fee postings in March
// 2026, over three blocks, and one in April.
func pagedChain(tb *testing.T) *testChain {
	tb.Helper()
	c := ledgerChain(tb)
	n := 0
	for b := range 3 {
		var txs [][]byte
		for range 8 + b/2 {
			n++
			kind := tx.EntryIncome
			if n%4 == 0 {
				kind = tx.EntryExpense
			}
			txs = append(txs, c.sign(key("treasurer"), &tx.EntryRecord{Kind: kind, Account: "mgmt", Amount: int64(1_000 + n), Category: "物业费",
				Memo: fmt.Sprint("第", n, "笔")}))
		}
		wantCodes(tb, c.block(txs...), make([]abci.Code, len(txs))...)
	}
	if n != 25 {
		tb.Fatalf("made %d entries, want 25", n)
	}
	c.at(time.Date(2026, 4, 2, 9, 0, 0, 0, cst))
	wantCodes(tb, c.block(record(c, "treasurer", tx.EntryIncome, "mgmt", 7, "物业费")), 0)
	return c
}

// rawQuery returns a query's code, log and answer bytes.
func rawQuery(tb testing.TB, c *testChain, path string) (abci.Code, string, []byte) {
	tb.Helper()
	res, err := c.app.Query(context.Background(), &abcitypes.RequestQuery{Path: path})
	if err != nil {
		tb.Fatalf("Query %s: %v", path, err)
	}
	return abci.Code(res.Code), res.Log, res.Value
}

// TestPostingPageMatchesEntriesNewestFirst wants every page of every size
// to be the matching slice of the month's postings, newest first, with the
// month's exact total, and nothing from another month.
func TestPostingPageMatchesEntriesNewestFirst(t *testing.T) {
	c := pagedChain(t)
	var all []abci.StatementLine
	if code := c.query("accounts/mgmt/entries/2026-03/2026-03", &all); code != 0 || len(all) != 25 {
		t.Fatalf("entries: code %v, %d lines; want 25", code, len(all))
	}
	slices.Reverse(all)
	for _, limit := range []int{1, 2, 7, 10, 25, 26, abci.MaxPageLimit} {
		for offset := 0; offset <= 30; offset++ {
			var p abci.PostingPage
			path := fmt.Sprintf("accounts/mgmt/page/2026-03/%d/%d", offset, limit)
			if code := c.query(path, &p); code != 0 {
				t.Fatalf("%s: code %v", path, code)
			}
			want := all[min(offset, 25):min(offset+limit, 25)]
			if p.Total != 25 || p.Offset != offset || p.Limit != limit || p.Account != "mgmt" || p.Month != "2026-03" {
				t.Errorf("%s: header %+v, want total 25", path, p)
			}
			if fmt.Sprint(p.Lines) != fmt.Sprint(want) {
				t.Errorf("%s: lines\n%+v\nwant\n%+v", path, p.Lines, want)
			}
		}
	}
	var april abci.PostingPage
	if code := c.query("accounts/mgmt/page/2026-04/0/10", &april); code != 0 || april.Total != 1 || len(april.Lines) != 1 || april.Lines[0].Entry.Amount != 7 {
		t.Errorf("April's page: code %v, %+v; want its one posting", code, april)
	}
	var empty abci.PostingPage
	if code := c.query("accounts/public/page/2026-03/0/10", &empty); code != 0 || empty.Total != 0 || empty.Lines == nil || len(empty.Lines) != 0 {
		t.Errorf("public's March page: code %v, %+v; want an empty list, total 0", code, empty)
	}
}

// TestPostingPageDeterministic runs the same blocks on two chains over
// their own SQLite files and wants byte-identical pages, asked twice.
func TestPostingPageDeterministic(t *testing.T) {
	a, b := pagedChain(t), pagedChain(t)
	for _, path := range []string{"accounts/mgmt/page/2026-03/0/10", "accounts/mgmt/page/2026-03/10/10", "accounts/mgmt/page/2026-03/20/10",
		"accounts/mgmt/page/2026-03/25/10", "accounts/mgmt/page/2026-04/0/1000"} {
		ca, _, va := rawQuery(t, a, path)
		cb, _, vb := rawQuery(t, b, path)
		_, _, again := rawQuery(t, a, path)
		if ca != 0 || cb != 0 || !bytes.Equal(va, vb) || !bytes.Equal(va, again) {
			t.Errorf("%s: codes %v %v, answers differ:\n%s\n%s\n%s", path, ca, cb, va, vb, again)
		}
	}
}

// TestPostingPageBadParameters wants each malformed page query refused
// with CodeQueryBad (or CodeQueryNotFound for an unknown account) and a
// message saying why.
func TestPostingPageBadParameters(t *testing.T) {
	c := pagedChain(t)
	tests := []struct {
		name string
		path string
		want abci.Code
	}{
		{"UnknownAccount", "accounts/nope/page/2026-03/0/10", abci.CodeQueryNotFound},
		{"BadMonth", "accounts/mgmt/page/2026-13/0/10", abci.CodeQueryBad},
		{"MonthNotYYYYMM", "accounts/mgmt/page/march/0/10", abci.CodeQueryBad},
		{"NegativeOffset", "accounts/mgmt/page/2026-03/-1/10", abci.CodeQueryBad},
		{"SignedOffset", "accounts/mgmt/page/2026-03/+1/10", abci.CodeQueryBad},
		{"LeadingZeroOffset", "accounts/mgmt/page/2026-03/01/10", abci.CodeQueryBad},
		{"HugeOffset", "accounts/mgmt/page/2026-03/99999999999/10", abci.CodeQueryBad},
		{"EmptyOffset", "accounts/mgmt/page/2026-03//10", abci.CodeQueryBad},
		{"ZeroLimit", "accounts/mgmt/page/2026-03/0/0", abci.CodeQueryBad},
		{"LimitOverMax", fmt.Sprintf("accounts/mgmt/page/2026-03/0/%d", abci.MaxPageLimit+1), abci.CodeQueryBad},
		{"LimitNotANumber", "accounts/mgmt/page/2026-03/0/ten", abci.CodeQueryBad},
		{"MissingLimit", "accounts/mgmt/page/2026-03/0", abci.CodeQueryBad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, log, v := rawQuery(t, c, tt.path)
			if code != tt.want || log == "" || len(v) != 0 {
				t.Errorf("%s: code %v, log %q, %d bytes; want code %v with a message and no answer", tt.path, code, log, len(v), tt.want)
			}
		})
	}
	if code, _, _ := rawQuery(t, c, fmt.Sprintf("accounts/mgmt/page/2026-03/1000000000/%d", abci.MaxPageLimit)); code != 0 {
		t.Errorf("largest offset and limit: code %v, want 0", code)
	}
}
