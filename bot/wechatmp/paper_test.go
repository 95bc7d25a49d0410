package wechatmp_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/bot/notify"
	"github.com/linli-community/linli/bot/wechatmp"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/templates"
)

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
	n := notify.New(w.cust, w.gw.Wechat(), templates.MustLoad())
	n.Users, n.Private = w.gw.Wechat(), wechatmp.NewNotices(w.out)
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
