package wechatmp_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/bot/wechatmp"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// TestPaperBallotToldToTheOwner: when a paper ballot counts, every member
// bound to its owner (and nobody else: not a tenant of the owner's unit,
// not another owner) is told what was entered, once.
func TestPaperBallotToldToTheOwner(t *testing.T) {
	ctx := context.Background()
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	wx := gw.Wechat()
	const t0 = int64(1_800_000_000)
	member := func(unit, rel, owner string) abci.MemberView {
		return abci.MemberView{Unit: unit, Relation: rel, Owner: owner, Roles: []string{}}
	}
	sheet := func(owner, status string, units ...string) abci.SheetView {
		s := abci.SheetView{Sheet: abci.Sheet{Proposal: 1, Owner: owner, Units: units, Entries: []abci.SheetEntry{
			{Scrutineer: "S1", Choice: 1, TxHash: "e1"}, {Scrutineer: "S2", Choice: 1, TxHash: "e2"},
		}}, Status: status}
		if status == abci.SheetCounted {
			s.CountedTx = "e2"
		}
		return s
	}
	c := &fakeChain{height: 10, blockTime: t0, answers: map[string]any{
		"units":      []abci.Unit{{Unit: "3-501", Building: "3"}, {Unit: "5-101", Building: "5"}, {Unit: "3-502", Building: "3"}},
		"members/A1": member("3-501", "owner", "O-1"),
		"members/A2": member("5-101", "owner", "O-1"),
		"members/A3": member("3-501", "tenant", "O-1"),
		"members/A4": member("3-502", "owner", "O-7"),
		"members/A5": abci.MemberView{Roles: []string{"admin"}},
		"proposals": []map[string]any{{"id": 1, "kind": "decision", "title": "更换3栋电梯", "options": []string{"同意", "反对", "弃权"},
			"notice_at": t0 - 100, "vote_start": t0 - 10, "vote_end": t0 + 7*86400, "phase": "voting", "status": "open"}},
		"proposals/1/sheets": []abci.SheetView{sheet("O-7", abci.SheetCounted, "3-502")},
		"repairs":            []abci.Repair{},
	}}
	now := time.Now()
	for _, u := range []struct{ openid, addr string }{{"oOwner1", "A1"}, {"oOwner1b", "A2"}, {"oTenant", "A3"}, {"oOther", "A4"}, {"oAdmin", "A5"}} {
		if _, _, _, err := wx.BeginMessage(ctx, "m-"+u.openid, u.openid, u.addr, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	out := &poster{texts: map[string][]string{}}
	n := wechatmp.NewNotifier(c, wx, out, templates.MustLoad())
	scan := func() {
		t.Helper()
		if err := n.Scan(ctx); err != nil {
			t.Fatal(err)
		}
	}
	scan() // the first scan remembers O-7's sheet, counted before the gateway knew
	c.block(func(a map[string]any) {
		a["proposals/1/sheets"] = []abci.SheetView{sheet("O-1", abci.SheetEntered, "3-501", "5-101"), sheet("O-7", abci.SheetCounted, "3-502")}
	})
	scan()
	if users, _ := out.take("书面表决票"); users != nil {
		t.Errorf("a sheet entered once was told to %v", users)
	}
	c.block(func(a map[string]any) {
		a["proposals/1/sheets"] = []abci.SheetView{sheet("O-1", abci.SheetCounted, "3-501", "5-101"), sheet("O-7", abci.SheetCounted, "3-502")}
	})
	scan()
	users, _ := out.take("您的书面表决票已录入：反对。表决事项【更换3栋电梯】，房号 3-501、5-101")
	if strings.Join(users, ",") != "oOwner1,oOwner1b" {
		t.Errorf("the counted sheet was told to %v, want both members bound to O-1", users)
	}
	c.block(func(map[string]any) {})
	scan()
	if users, _ := out.take("书面表决票"); users != nil {
		t.Errorf("told twice: %v", users)
	}

	// Two entries that disagree are told to the admins, once.
	c.block(func(a map[string]any) {
		a["proposals/1/sheets"] = append(a["proposals/1/sheets"].([]abci.SheetView), sheet("O-9", abci.SheetMismatch, "3-601"))
	})
	scan()
	if users, _ := out.take("O-9（3-601）的书面选票，两位监票人录得不一样"); strings.Join(users, ",") != "oAdmin" {
		t.Errorf("the mismatch was told to %v, want the admin", users)
	}
	c.block(func(map[string]any) {})
	scan()
	if users, _ := out.take("录得不一样"); users != nil {
		t.Errorf("the mismatch told twice: %v", users)
	}
}

// TestEndToEndPaperBallotToldToTheOwner runs the whole way on a real node:
// wang binds to 3-502 (owner O-7) through the webhook, two scrutineers
// enter O-7's paper ballot, and the notifier pushes wang the message
// through the outbox to the (fake) WeChat API.
func TestEndToEndPaperBallotToldToTheOwner(t *testing.T) {
	w := startWorld(t, 100*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const wang = "oWang-0123456789abcdefghij"
	contains(t, "bind", post(t, w.srv, text(wang, "绑定 3-502 "+codeWang), safe), "确认请回复 1")
	contains(t, "confirm", post(t, w.srv, text(wang, "1"), safe), "✅ 已记录")

	admin := ledger.User{Channel: "console", ID: "admin"}
	submit := func(u ledger.User, b tx.Body) {
		t.Helper()
		if r, err := w.cust.Submit(ctx, u, b); err != nil || r.Code != 0 {
			t.Fatalf("%s by %s: %+v %v", b.Type(), u.ID, r, err)
		}
	}
	const code = "246813579024"
	submit(admin, &tx.SheetIssue{Proposal: 1, Sheets: []tx.SheetSpec{{Owner: "O-7", Verifier: tx.SheetVerifier("linli-wechat", 1, code)}}})
	for i, s := range []struct{ name, unit, code string }{{"s1", "3-501", "1111222233334444"}, {"s2", "3-601", "5555666677778888"}} {
		submit(admin, tx.NewBindCodeIssue(s.unit, tx.RelationOwner, s.code, bytes.Repeat([]byte{byte(i + 2)}, tx.BindCodeSaltSize), time.Now().Unix()+3600))
		u := ledger.User{Channel: "console", ID: s.name}
		submit(u, &tx.MemberBind{Unit: s.unit, Relation: tx.RelationOwner, Code: s.code})
		a, _ := w.cust.Address(u)
		submit(admin, &tx.RoleGrant{Address: a, Role: tx.RoleScrutineer})
	}
	n := wechatmp.NewNotifier(w.cust, w.gw.Wechat(), w.out, templates.MustLoad())
	if err := n.Scan(ctx); err != nil { // the baseline
		t.Fatal(err)
	}
	before := len(w.wx.sentTexts())
	scan := hex.EncodeToString(bytes.Repeat([]byte{7}, 32))
	submit(ledger.User{Channel: "console", ID: "s1"}, &tx.SheetEnter{Proposal: 1, Code: code, Choice: tx.DecisionOptionNo, ScanSHA256: scan})
	submit(ledger.User{Channel: "console", ID: "s2"}, &tx.SheetEnter{Proposal: 1, Code: code, Choice: tx.DecisionOptionNo, ScanSHA256: scan})
	if err := n.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	got := w.wx.waitTexts(t, before+1)[before:]
	if len(got) != 1 || got[0].To != wang || !strings.Contains(got[0].Text, "您的书面表决票已录入：反对。表决事项【使用维修资金更换3栋电梯】，房号 3-502") ||
		!strings.Contains(got[0].Text, "如不是您本人所投，请联系业委会") {
		t.Errorf("pushed %+v, want the paper ballot's notice to wang alone", got)
	}
}
