package board_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/board"
	"github.com/linli-community/linli/internal/testnode"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/templates"
)

var secret = bytes.Repeat([]byte{7}, 32)

// world is a small community on a real node with the board served on
// 127.0.0.1: six units, decision 1 closed and passed, poll 2 closed,
// decision 3 open for votes, a month of entries (one pending, one
// reversed, a maintenance-fund repair under decision 1), a notice and a
// repair request.
type world struct {
	cust  *ledger.Custodian
	board *board.Board
	srv   *httptest.Server
	// Members are the chat users bound to the units, by unit.
	members map[string]ledger.User
	// Txs are receipts of interest by name.
	txs map[string]ledger.Receipt
}

var worldUnits = []tx.UnitSpec{
	{Unit: "1-101", Building: "1", Area: 8950, Owner: "O-1"},
	{Unit: "1-102", Building: "1", Area: 12030, Owner: "O-1"},
	{Unit: "1-201", Building: "1", Area: 7680, Owner: "O-2"},
	{Unit: "2-101", Building: "2", Area: 13560, Owner: "O-3"},
	{Unit: "2-102", Building: "2", Area: 8950, Owner: "O-4"},
	{Unit: "2-201", Building: "2", Area: 9000, Owner: "developer"},
}

func startWorld(tb testing.TB) *world {
	tb.Helper()
	admin, _ := keys.Derive(secret, "console", "admin")
	params := abci.DefaultParams()
	params.MinNotice, params.MinVoting = 0, 1
	g := abci.GenesisState{Community: "阳光花园", Admins: []tx.Address{keys.Address(admin)}, Params: params}
	n, _ := testnode.Start(tb, testnode.Options{ChainID: "linli-board", Genesis: g})
	client := ledger.New(n.Local())
	w := &world{cust: ledger.NewCustodian(client, secret, "linli-board"), members: map[string]ledger.User{}, txs: map[string]ledger.Receipt{}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	adminUser := ledger.User{Channel: "console", ID: "admin"}
	caiwu := ledger.User{Channel: "console", ID: "caiwu"}
	caiwuAddr, _ := w.cust.Address(caiwu)
	second := ledger.User{Channel: "console", ID: "admin2"}
	secondAddr, _ := w.cust.Address(second)
	third := ledger.User{Channel: "console", ID: "admin3"}
	thirdAddr, _ := w.cust.Address(third)
	submit := func(name string, u ledger.User, b tx.Body) ledger.Receipt {
		tb.Helper()
		r, err := w.cust.Submit(ctx, u, b)
		if err != nil || r.Code != 0 {
			tb.Fatalf("%s %s: %+v %v", name, b.Type(), r, err)
		}
		if name != "" {
			w.txs[name] = r
		}
		return r
	}
	submit("", adminUser, &tx.UnitRegister{Units: worldUnits})
	submit("", adminUser, &tx.RoleGrant{Address: caiwuAddr, Role: tx.RoleTreasurer})
	submit("", adminUser, &tx.RoleGrant{Address: secondAddr, Role: tx.RoleAdmin})
	submit("", adminUser, &tx.RoleGrant{Address: thirdAddr, Role: tx.RoleAdmin})
	now := time.Now().Unix()
	for i, u := range worldUnits {
		user := ledger.User{Channel: "console", ID: "u-" + u.Unit}
		code := fmt.Sprintf("%016d", 2_000_000_000_000_000+i*7919)
		submit("", adminUser, tx.NewBindCodeIssue(u.Unit, tx.RelationOwner, code, bytes.Repeat([]byte{byte(i + 1)}, tx.BindCodeSaltSize), now+3600))
		submit("", user, &tx.MemberBind{Unit: u.Unit, Relation: tx.RelationOwner, Code: code})
		w.members[u.Unit] = user
	}
	// The votes go in at once, one goroutine per voter, well before the
	// end: a loaded machine still commits them in a block or two.
	now = time.Now().Unix()
	end := now + 5
	submit("decision", adminUser, &tx.ProposalOpen{Title: "使用维修资金修缮1栋屋顶", Text: "1栋屋顶漏水，拟用维修资金修缮。",
		Class: tx.ClassOrdinary, NoticeAt: now, VoteStart: now, VoteEnd: end})
	submit("poll", adminUser, &tx.PollOpen{Title: "游园会定在哪天？", Options: []string{"周六", "周日"}, VoteStart: now, VoteEnd: end})
	var wg sync.WaitGroup
	var mu sync.Mutex
	vote := func(name, unit string, proposal uint64, choice int) {
		wg.Go(func() {
			r, err := w.cust.Submit(ctx, w.members[unit], &tx.VoteCast{Proposal: proposal, Choices: []int{choice}})
			mu.Lock()
			defer mu.Unlock()
			if err != nil || r.Code != 0 {
				tb.Errorf("vote %s on %d: %+v %v", unit, proposal, r, err)
			}
			if name != "" {
				w.txs[name] = r
			}
		})
	}
	for _, u := range []string{"1-101", "1-201", "2-101", "2-201"} {
		vote("vote-"+u, u, 1, 0)
	}
	vote("vote-2-102", "2-102", 1, 1)
	wg.Wait()
	vote("", "1-101", 2, 1)
	vote("", "2-102", 2, 0)
	vote("", "2-101", 2, 1)
	wg.Wait()
	if tb.Failed() {
		tb.FailNow()
	}

	entry := func(name, kind, account string, fen int64, category, counterparty, memo string, proposal uint64) ledger.Receipt {
		return submit(name, caiwu, &tx.EntryRecord{Kind: kind, Account: account, Amount: fen, Category: category,
			Counterparty: counterparty, Memo: memo, Proposal: proposal,
			Evidence: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"})
	}
	entry("mgmt-income", tx.EntryIncome, "mgmt", 12_800_000, "物业费", "", "本季度物业费", 0)
	entry("parking", tx.EntryIncome, "public", 320_000, "停车费", "", "地面停车位租金", 0)
	entry("fund-income", tx.EntryIncome, "fund", 5_000_000, "维修资金", "", "首期归集", 0)
	entry("power", tx.EntryExpense, "mgmt", 456_020, "电费", "供电局", "公共照明", 0)
	wrong := entry("wrong", tx.EntryExpense, "mgmt", 48_000, "保洁", "洁美保洁公司", "金额录错", 0)
	submit("reversal", caiwu, &tx.EntryReverse{Entry: entryID(tb, w, wrong), Memo: "金额录错"})
	entry("greening", tx.EntryExpense, "mgmt", 1_200_000, "绿化", "四季园林公司", "补种草坪", 0)
	submit("notice", adminUser, &tx.AnnouncementPost{Title: "停水通知", Text: "周三9点至12点停水<检修>。"})
	submit("repair", w.members["1-201"], &tx.RepairFile{Kind: tx.RepairKindRepair, Title: "楼道灯坏了", Text: "1栋2楼楼道灯不亮，我是张三。"})

	// Wait for the close of decision 1 and poll 2, then open decision 3
	// and spend from the fund under decision 1.
	for {
		var p struct{ Status string }
		r, err := w.cust.Query(ctx, "proposals/1")
		if err != nil {
			tb.Fatal(err)
		}
		json.Unmarshal(r.Value, &p)
		if p.Status == abci.StatusClosed {
			break
		}
		select {
		case <-ctx.Done():
			tb.Fatal("decision 1 did not close")
		case <-time.After(100 * time.Millisecond):
		}
	}
	now = time.Now().Unix()
	submit("decision3", adminUser, &tx.ProposalOpen{Title: "更换小区大门门禁", Class: tx.ClassSpecial, NoticeAt: now, VoteStart: now, VoteEnd: now + 7*24*3600})
	submit("vote3", w.members["1-101"], &tx.VoteCast{Proposal: 3, Choices: []int{0}})
	r := entry("roof", tx.EntryExpense, "fund", 2_300_000, "屋顶修缮", "安居建筑公司", "1栋屋顶防水", 1)
	for _, u := range []ledger.User{second, third} {
		submit("approve", u, &tx.EntryApprove{Entry: entryID(tb, w, r)})
	}

	tset := templates.MustLoad()
	b, err := board.New(client, tset)
	if err != nil {
		tb.Fatal(err)
	}
	b.VerifyNode = n.RPCAddr()
	w.board = b
	w.srv = httptest.NewServer(b)
	b.PublicURL = w.srv.URL + "/"
	tb.Cleanup(w.srv.Close)
	return w
}

// entryID returns the id of the entry recorded by receipt r.
func entryID(tb testing.TB, w *world, r ledger.Receipt) uint64 {
	tb.Helper()
	for _, e := range r.Events {
		if e.Type == "entry.recorded" {
			for _, a := range e.Attributes {
				if a.Key == "id" {
					var id uint64
					fmt.Sscan(a.Value, &id)
					return id
				}
			}
		}
	}
	tb.Fatalf("receipt %s recorded no entry", r.Hash)
	return 0
}

// get fetches a path from the board and returns status and body.
func (w *world) get(tb testing.TB, path string) (int, http.Header, string) {
	tb.Helper()
	res, err := http.Get(w.srv.URL + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	return res.StatusCode, res.Header, buf.String()
}

// query decodes a ledger query.
func (w *world) query(tb testing.TB, path string, v any) {
	tb.Helper()
	r, err := w.cust.Query(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := r.Decode(path, v); err != nil {
		tb.Fatal(err)
	}
}
