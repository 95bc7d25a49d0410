package wechatmp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/internal/testnode"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/wechatmp"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

var secret = bytes.Repeat([]byte{42}, keys.MasterSecretSize)

const codeWang = "1357246813572468"

// world is a community on a real single-validator node with the gateway
// wired as `linli start` wires it: the engine over a Custodian of the
// in-process client, gateway.db, the webhook in safe mode on 127.0.0.1,
// and an outbox to a fake WeChat API.
type world struct {
	cust *ledger.Custodian
	gw   *store.Gateway
	e    *bot.Engine
	wx   *fakeWeChat
	out  *wechatmp.Outbox
	srv  *httptest.Server
}

// startWorld seeds units 3-501, 3-502 and 3-601, decision 1 open for
// votes, and a binding code for the owner of 3-502.
func startWorld(tb testing.TB, commit time.Duration) *world {
	tb.Helper()
	admin, _ := keys.Derive(secret, "console", "admin")
	params := abci.DefaultParams()
	params.MinNotice = 0
	g := abci.GenesisState{Community: "阳光花园", Admins: []tx.Address{keys.Address(admin)}, Params: params}
	n, home := testnode.Start(tb, testnode.Options{ChainID: "linli-wechat", Genesis: g, TimeoutCommit: commit})
	dir := filepath.Dir(home)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := &world{cust: ledger.NewCustodian(ledger.New(n.Local()), secret, "linli-wechat")}
	var err error
	if w.gw, err = store.OpenGateway(filepath.Join(dir, "gateway.db")); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.gw.Close() })

	now := time.Now().Unix()
	adminUser := ledger.User{Channel: "console", ID: "admin"}
	for _, b := range []tx.Body{
		&tx.UnitRegister{Units: []tx.UnitSpec{{Unit: "3-501", Building: "3", Area: 10000, Owner: "O-1"},
			{Unit: "3-502", Building: "3", Area: 8950, Owner: "O-7"}, {Unit: "3-601", Building: "3", Area: 12000, Owner: "O-2"}}},
		tx.NewBindCodeIssue("3-502", tx.RelationOwner, codeWang, bytes.Repeat([]byte{1}, tx.BindCodeSaltSize), now+3600),
	} {
		if r, err := w.cust.Submit(ctx, adminUser, b); err != nil || r.Code != 0 {
			tb.Fatalf("%s: %+v %v", b.Type(), r, err)
		}
	}
	// Voting starts a second after the block that opens it; a loaded
	// machine can commit that block later than the second, which the
	// chain refuses (notice too short), so open it again from then.
	for try := 0; ; try++ {
		start := time.Now().Unix() + 1
		r, err := w.cust.Submit(ctx, adminUser, &tx.ProposalOpen{Title: "使用维修资金更换3栋电梯", Text: "3栋两部电梯已运行18年。",
			Class: tx.ClassOrdinary, NoticeAt: start - 1, VoteStart: start, VoteEnd: start + 7*24*3600})
		if err == nil && r.Code == uint32(abci.CodeNoticeTooShort) && try < 5 {
			continue
		}
		if err != nil || r.Code != 0 {
			tb.Fatalf("proposal.open: %+v %v", r, err)
		}
		break
	}
	for {
		var p struct{ Phase string }
		if _, err := queryJSON(ctx, w.cust, "proposals/1", &p); err != nil {
			tb.Fatal(err)
		}
		if p.Phase == "voting" {
			break
		}
		if ctx.Err() != nil {
			tb.Fatal("decision 1 did not open for votes")
		}
		time.Sleep(50 * time.Millisecond)
	}

	tset := templates.MustLoad()
	w.e = bot.New(w.cust, w.gw.Sessions(), tset)
	w.e.Budgets[wechatmp.Channel] = 3 * time.Second
	w.e.RateBurst = 1 << 20
	w.wx = newFakeWeChat(tb)
	w.out = wechatmp.NewOutbox(w.wx.api(tb), w.gw.Wechat())
	w.out.Rate = 1000
	if err := w.out.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.out.Close() })
	w.srv = w.serve(tb, w.e)
	return w
}

// serve serves a webhook over engine e.
func (w *world) serve(tb testing.TB, e *bot.Engine) *httptest.Server {
	wh := wechatmp.NewWebhook(e, w.gw.Wechat(), templates.MustLoad())
	wh.AppID, wh.Token, wh.AESKey, wh.Community, wh.Push = testAppID, testToken, testAESKey, "阳光花园", w.out
	wh.Address = func(openid string) (string, error) {
		a, err := w.cust.Address(ledger.User{Channel: wechatmp.Channel, ID: openid})
		return string(a), err
	}
	if err := wh.Open(); err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(wh)
	srv.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 256
	tb.Cleanup(func() {
		srv.Close()
		wh.Close()
	})
	return srv
}

func queryJSON(ctx context.Context, c *ledger.Custodian, path string, v any) (bool, error) {
	res, err := c.Query(ctx, path)
	if err != nil {
		return false, err
	}
	if abci.Code(res.Code) == abci.CodeQueryNotFound {
		return false, nil
	}
	return true, json.Unmarshal(res.Value, v)
}

func TestEndToEndVoteToReceipt(t *testing.T) {
	w := startWorld(t, 100*time.Millisecond)
	ctx := context.Background()
	const wang = "oWang-0123456789abcdefghij"
	say := func(m wxMsg, wants ...string) string {
		t.Helper()
		got := post(t, w.srv, m, safe)
		contains(t, "reply to "+m.Content+m.Event+m.EventKey, got, wants...)
		return got
	}
	say(event(wang, "subscribe", ""), "欢迎关注【阳光花园】", "请回复数字：\n1 投票表决", "还没绑定房屋？回复 绑定 开始。")
	say(text(wang, "绑定 3-502 "+codeWang), "确认请回复 1")
	say(text(wang, "1"), "✅ 已记录")
	say(event(wang, "CLICK", "VOTE"), "1 【表决】使用维修资金更换3栋电梯")
	say(text(wang, "1"), "请回复数字投票")
	say(text(wang, "一"), "确认请回复 1")

	// The confirming "1", delivered four times at once as WeChat's
	// retries would be: one tx, one receipt, the same reply to each.
	confirm := text(wang, "1")
	replies := make([]string, 4)
	var wg sync.WaitGroup
	for i := range replies {
		req := wxRequest(t, w.srv.URL, confirm, safe, time.Now().Add(time.Duration(i)*time.Second))
		wg.Go(func() {
			res, err := w.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			replies[i] = readReply(t, res, safe)
		})
	}
	wg.Wait()
	for i, r := range replies {
		if r != replies[0] || !strings.Contains(r, "✅ 已记录：对【使用维修资金更换3栋电梯】投 同意") {
			t.Errorf("delivery %d: %q", i, r)
		}
	}
	addr, _ := w.cust.Address(ledger.User{Channel: wechatmp.Channel, ID: wang})
	var m abci.MemberView
	if _, err := queryJSON(ctx, w.cust, "members/"+string(addr), &m); err != nil {
		t.Fatal(err)
	}
	if m.Unit != "3-502" || m.Nonce != 2 {
		t.Errorf("wang on chain: unit %q, %d txs; want 3-502 and 2 (bind, one vote)", m.Unit, m.Nonce)
	}
	var ballot abci.Ballot
	if found, err := queryJSON(ctx, w.cust, "ballots/1/O-7", &ballot); !found || err != nil || ballot.Choice != tx.DecisionOptionYes || ballot.Member != addr {
		t.Errorf("ballot of O-7: %+v %v %v", ballot, found, err)
	}

	// A commit slower than the budget: the reply says it is being
	// recorded, and the receipt follows as a customer-service message.
	slow := bot.New(w.cust, w.gw.Sessions(), templates.MustLoad())
	slow.Budgets[wechatmp.Channel] = time.Millisecond
	slowSrv := w.serve(t, slow)
	for _, step := range []struct{ send, want string }{{"投票", "1 【表决】"}, {"1", "请回复数字投票"}, {"反对", "确认请回复 1"}} {
		contains(t, step.send, post(t, slowSrv, text(wang, step.send), safe), step.want)
	}
	contains(t, "slow confirmation", post(t, slowSrv, text(wang, "1"), safe), "正在记录：对【使用维修资金更换3栋电梯】投 反对")
	pushed := w.wx.waitTexts(t, 1)
	if pushed[0].To != wang || !strings.Contains(pushed[0].Text, "✅ 已记录：对【使用维修资金更换3栋电梯】投 反对") {
		t.Errorf("pushed %+v, want the receipt to wang", pushed)
	}
	if _, err := queryJSON(ctx, w.cust, "members/"+string(addr), &m); err != nil || m.Nonce != 3 {
		t.Errorf("wang has %d txs, want 3", m.Nonce)
	}

	if got := post(t, w.srv, event(wang, "unsubscribe", ""), safe); got != "" {
		t.Errorf("unsubscribe: %q", got)
	}
}
