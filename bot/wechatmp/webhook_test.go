package wechatmp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/wechatmp"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// engine stands in for the chat engine in protocol tests: it records
// what it was asked and answers with reply (or "回声：TEXT").
type engine struct {
	mu    sync.Mutex
	reqs  []bot.Request
	calls atomic.Int32
	delay time.Duration
	reply func(req *bot.Request) *bot.Reply
	// wait, when set, runs before the reply (a commit being waited for).
	wait func(ctx context.Context, req *bot.Request)
}

func (e *engine) Handle(ctx context.Context, req *bot.Request) (*bot.Reply, error) {
	e.calls.Add(1)
	e.mu.Lock()
	e.reqs = append(e.reqs, *req)
	f, d, wait := e.reply, e.delay, e.wait
	e.mu.Unlock()
	if wait != nil {
		wait(ctx, req)
	}
	if d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	if f != nil {
		return f(req), nil
	}
	return &bot.Reply{Parts: []string{"回声：" + req.Text}, Private: true}, nil
}

func (e *engine) last(t testing.TB) bot.Request {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.reqs) == 0 {
		t.Fatal("the engine was not asked")
	}
	return e.reqs[len(e.reqs)-1]
}

// pushes records what the webhook pushed.
type pushes struct {
	mu  sync.Mutex
	got map[string][]string
	ch  chan struct{}
}

func newPushes() *pushes { return &pushes{got: map[string][]string{}, ch: make(chan struct{}, 100)} }

func (p *pushes) Push(openid string, texts, _ []string) bool {
	p.mu.Lock()
	p.got[openid] = append(p.got[openid], texts...)
	p.mu.Unlock()
	p.ch <- struct{}{}
	return true
}

func (p *pushes) wait(t testing.TB, openid string, n int) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		p.mu.Lock()
		got := append([]string(nil), p.got[openid]...)
		p.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-p.ch:
		case <-deadline:
			t.Fatalf("pushed %q, want %d texts", got, n)
		}
	}
}

type hook struct {
	wh  *wechatmp.Webhook
	srv *httptest.Server
	e   *engine
	gw  *store.Gateway
	out *pushes
}

// newHook serves a webhook over a recording engine and a real gateway.db
// on 127.0.0.1; configure adjusts it before Open (aes selects safe mode).
func newHook(t testing.TB, aes bool, configure func(*wechatmp.Webhook)) *hook {
	t.Helper()
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	return newHookOn(t, gw, aes, configure)
}

func newHookOn(t testing.TB, gw *store.Gateway, aes bool, configure func(*wechatmp.Webhook)) *hook {
	t.Helper()
	h := &hook{e: &engine{}, gw: gw, out: newPushes()}
	h.wh = wechatmp.NewWebhook(h.e, gw.Wechat(), templates.MustLoad())
	h.wh.AppID, h.wh.Token, h.wh.Community, h.wh.Push = testAppID, testToken, "阳光花园", h.out
	if aes {
		h.wh.AESKey = testAESKey
	} else {
		h.wh.AllowPlaintext = true
	}
	h.wh.Address = func(openid string) (string, error) { return "addr-" + openid, nil }
	if configure != nil {
		configure(h.wh)
	}
	if err := h.wh.Open(); err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(h.wh)
	t.Cleanup(func() {
		h.srv.Close()
		h.wh.Close()
	})
	return h
}

var msgIDs atomic.Int64

func text(from, content string) wxMsg {
	return wxMsg{From: from, CreateTime: time.Now().Unix(), Type: "text", Content: content, MsgID: 7_000_000_000 + msgIDs.Add(1)}
}

func event(from, ev, key string) wxMsg {
	return wxMsg{From: from, CreateTime: time.Now().Unix() + msgIDs.Add(1), Type: "event", Event: ev, EventKey: key}
}

func TestVerificationEchoes(t *testing.T) {
	h := newHook(t, false, nil)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	q := url.Values{"signature": {wxSign(testToken, ts, "42")}, "timestamp": {ts}, "nonce": {"42"}, "echostr": {"5718372636"}}
	res, err := http.Get(h.srv.URL + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "5718372636" {
		t.Errorf("verification = %d %q, want 200 and the echostr", res.StatusCode, body)
	}
}

func TestRejectedRequests(t *testing.T) {
	h := newHook(t, false, func(wh *wechatmp.Webhook) { wh.MaxBody = 4 << 10 })
	hs := newHook(t, true, nil)
	now := time.Now()
	// Each request is signed afresh (another nonce): a signed URL is
	// accepted once.
	var seq atomic.Int64
	good := func(h *hook, m wxMsg, md mode) *http.Request {
		return wxRequest(t, h.srv.URL, m, md, now.Add(time.Duration(seq.Add(1))))
	}
	withQuery := func(r *http.Request, edit func(url.Values)) *http.Request {
		q := r.URL.Query()
		edit(q)
		r.URL.RawQuery = q.Encode()
		return r
	}
	withBody := func(r *http.Request, body string) *http.Request {
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
		return r
	}
	signedAt := func(ts string) *http.Request {
		q := url.Values{"signature": {wxSign(testToken, ts, "1")}, "timestamp": {ts}, "nonce": {"1"}}
		r, _ := http.NewRequest(http.MethodPost, h.srv.URL+"?"+q.Encode(), strings.NewReader(text("oU1", "1").xml()))
		return r
	}
	for _, tc := range []struct {
		name string
		h    *hook
		req  *http.Request
		want int
	}{
		{"BadSignature", h, withQuery(good(h, text("oU1", "1"), plaintext), func(q url.Values) { q.Set("signature", wxSign("wrong", "1", "2")) }), 403},
		{"SignatureOfAnotherNonce", h, withQuery(good(h, text("oU1", "1"), plaintext), func(q url.Values) { q.Set("nonce", "999") }), 403},
		{"MissingSignature", h, withQuery(good(h, text("oU1", "1"), plaintext), func(q url.Values) { q.Del("signature") }), 400},
		{"StaleTimestamp", h, wxRequest(t, h.srv.URL, text("oU1", "1"), plaintext, now.Add(-6*time.Minute)), 403},
		{"FutureTimestamp", h, wxRequest(t, h.srv.URL, text("oU1", "1"), plaintext, now.Add(6*time.Minute)), 403},
		{"TimestampNotANumber", h, signedAt("yesterday"), 400},
		{"OversizeBody", h, withBody(good(h, text("oU1", "1"), plaintext), "<xml>"+strings.Repeat("长", 3000)+"</xml>"), 413},
		{"MalformedXML", h, withBody(good(h, text("oU1", "1"), plaintext), "<xml><FromUserName>oU1</Fro"), 400},
		{"NotXML", h, withBody(good(h, text("oU1", "1"), plaintext), `{"MsgType":"text"}`), 400},
		{"NoSender", h, withBody(good(h, text("oU1", "1"), plaintext), "<xml><MsgType>text</MsgType><Content>1</Content></xml>"), 400},
		{"OpenIDOfAnotherUser", h, withQuery(good(h, text("oU1", "1"), plaintext), func(q url.Values) { q.Set("openid", "oU2") }), 400},
		{"SafeModeNotConfigured", h, good(h, text("oU1", "1"), safe), 400},
		{"Put", h, func() *http.Request { r := good(h, text("oU1", "1"), plaintext); r.Method = http.MethodPut; return r }(), 405},
		{"PlaintextToSafeAccount", hs, good(hs, text("oU1", "1"), plaintext), 403},
		{"BadMsgSignature", hs, withQuery(good(hs, text("oU1", "1"), safe), func(q url.Values) { q.Set("msg_signature", wxSign("x")) }), 403},
		{"CiphertextReplaced", hs, withBody(good(hs, text("oU1", "1"), safe), "<xml><Encrypt><![CDATA["+wxEncrypt(t, testAppID, []byte(text("oU1", "2").xml()))+"]]></Encrypt></xml>"), 403},
		{"SafeModeWithoutEncrypt", hs, withBody(good(hs, text("oU1", "1"), safe), text("oU1", "1").xml()), 400},
		{"EncryptedForAnotherApp", hs, func() *http.Request {
			ts := strconv.FormatInt(now.Unix(), 10)
			enc := wxEncrypt(t, "wxOTHER", []byte(text("oU1", "1").xml()))
			q := url.Values{"signature": {wxSign(testToken, ts, "5")}, "timestamp": {ts}, "nonce": {"5"}, "encrypt_type": {"aes"}, "msg_signature": {wxSign(testToken, ts, "5", enc)}}
			r, _ := http.NewRequest(http.MethodPost, hs.srv.URL+"?"+q.Encode(), strings.NewReader("<xml><Encrypt><![CDATA["+enc+"]]></Encrypt></xml>"))
			return r
		}(), 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.h.e.calls.Load()
			res, err := http.DefaultClient.Do(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Errorf("status %d, want %d", res.StatusCode, tc.want)
			}
			if n := tc.h.e.calls.Load() - before; n != 0 {
				t.Errorf("the engine was asked %d times", n)
			}
		})
	}
}

func TestTextInEveryMode(t *testing.T) {
	for _, tc := range []struct {
		name string
		aes  bool
		md   mode
	}{
		{"Plaintext", false, plaintext},
		{"Compatible", true, compatible},
		{"Safe", true, safe},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHook(t, tc.aes, nil)
			got := post(t, h.srv, text("oUser-1", "1"), tc.md)
			if got != "回声：1" {
				t.Errorf("reply %q, want the engine's", got)
			}
			req := h.e.last(t)
			if req.Channel != wechatmp.Channel || req.User != "oUser-1" || req.Text != "1" || req.Voice || req.MsgID == "" {
				t.Errorf("engine got %+v", req)
			}
		})
	}
}

func TestCompatibleModeTrustsOnlyTheCiphertext(t *testing.T) {
	h := newHook(t, true, nil)
	m := text("oUser-1", "1")
	r := wxRequest(t, h.srv.URL, m, compatible, time.Now())
	body, _ := io.ReadAll(r.Body)
	// Someone edits the unsigned plaintext copy.
	forged := strings.Replace(string(body), "<Content><![CDATA[1]]></Content>", "<Content><![CDATA[2]]></Content>", 1)
	r.Body = io.NopCloser(strings.NewReader(forged))
	r.ContentLength = int64(len(forged))
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := readReply(t, res, compatible); got != "回声：1" {
		t.Errorf("reply %q, want the encrypted message's", got)
	}
}

func TestNilReplyWritesSuccess(t *testing.T) {
	for _, md := range []mode{plaintext, safe} {
		h := newHook(t, md == safe, nil)
		h.e.reply = func(*bot.Request) *bot.Reply { return nil }
		res, err := http.DefaultClient.Do(wxRequest(t, h.srv.URL, text("oU", "随便"), md, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != "success" {
			t.Errorf("mode %d: %d %q, want 200 success", md, res.StatusCode, body)
		}
	}
}

func TestVoice(t *testing.T) {
	h := newHook(t, false, nil)
	got := post(t, h.srv, wxMsg{From: "oV", CreateTime: time.Now().Unix(), Type: "voice", Recognition: "一", MsgID: 90001}, plaintext)
	if req := h.e.last(t); req.Text != "一" || !req.Voice {
		t.Errorf("engine got %+v, want the recognition as text", req)
	}
	if got != "回声：一" {
		t.Errorf("reply %q", got)
	}
	got = post(t, h.srv, wxMsg{From: "oV", CreateTime: time.Now().Unix(), Type: "voice", MsgID: 90002}, plaintext)
	if req := h.e.last(t); req.Text != "" || !req.Voice {
		t.Errorf("engine got %+v, want an empty voice message", req)
	}
	contains(t, "voice without recognition", got, "请回复数字", "回声：")
}

func TestVoiceWithoutRecognitionAsksForADigit(t *testing.T) {
	// The real engine's answer to an empty message, after the line of
	// its own.
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	e := bot.New(emptyLedger{}, gw.Sessions(), templates.MustLoad())
	wh := wechatmp.NewWebhook(e, gw.Wechat(), templates.MustLoad())
	wh.Token, wh.AllowPlaintext = testToken, true
	if err := wh.Open(); err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	srv := httptest.NewServer(wh)
	defer srv.Close()
	got := post(t, srv, wxMsg{From: "oV", CreateTime: time.Now().Unix(), Type: "voice", MsgID: 90003}, plaintext)
	contains(t, "voice", got, "没听清您的语音，请回复数字", "请回复数字：\n1 投票表决")
}

func TestEvents(t *testing.T) {
	h := newHook(t, false, nil)
	ctx := context.Background()

	got := post(t, h.srv, event("oNew", "subscribe", ""), plaintext)
	contains(t, "subscribe", got, "欢迎关注【阳光花园】", "回复 绑定", "回声：菜单")
	u, ok, _ := h.gw.Wechat().User(ctx, "oNew")
	if !ok || !u.Subscribed || u.Address != "addr-oNew" {
		t.Errorf("after subscribe: %+v %v", u, ok)
	}

	before := h.e.calls.Load()
	if got := post(t, h.srv, event("oNew", "unsubscribe", ""), plaintext); got != "" {
		t.Errorf("unsubscribe reply %q, want success", got)
	}
	if u, _, _ := h.gw.Wechat().User(ctx, "oNew"); u.Subscribed {
		t.Error("unsubscribe not recorded")
	}
	for _, ev := range []string{"VIEW", "SCAN", "LOCATION", "TEMPLATESENDJOBFINISH"} {
		if got := post(t, h.srv, event("oNew", ev, "x"), plaintext); got != "" {
			t.Errorf("%s reply %q, want success", ev, got)
		}
	}
	if n := h.e.calls.Load() - before; n != 0 {
		t.Errorf("events without an answer asked the engine %d times", n)
	}
}

func TestMenuClicksAreCommands(t *testing.T) {
	h := newHook(t, false, nil)
	for key, word := range map[string]string{"VOTE": "投票", "ACCOUNTS": "账目", "SHARE": "共享", "NOTICES": "公告", "REPAIR": "报修", "MINE": "我的", "HELP": "帮助", "BIND": "绑定", "RECEIPTS": "回执", "POINTS": "积分", "MENU": "菜单"} {
		if got := post(t, h.srv, event("oC", "CLICK", key), plaintext); got != "回声："+word {
			t.Errorf("click %s: reply %q, want the engine's answer to %s", key, got, word)
		}
	}
	before := h.e.calls.Load()
	contains(t, "unknown click", post(t, h.srv, event("oC", "CLICK", "LOTTERY"), plaintext), "请回复数字")
	if h.e.calls.Load() != before {
		t.Error("an unknown click asked the engine")
	}
}

func TestOtherMessagesAskForText(t *testing.T) {
	h := newHook(t, false, nil)
	for i, typ := range []string{"image", "location", "video", "shortvideo", "link", "file"} {
		got := post(t, h.srv, wxMsg{From: "oI", CreateTime: time.Now().Unix(), Type: typ, MsgID: int64(80000 + i)}, plaintext)
		if got != "暂时只能看懂文字和数字。请回复数字，或回复 菜单 看首页。" {
			t.Errorf("%s: reply %q", typ, got)
		}
	}
	if n := h.e.calls.Load(); n != 0 {
		t.Errorf("the engine was asked %d times", n)
	}
}

// A long answer costs at most one push: the reply, one pushed part that
// says "回复 N 查看更多", and each N brings the next ones the same way.
func TestLongReplyIsCutAndContinuedOnN(t *testing.T) {
	h := newHook(t, false, nil)
	long := strings.Repeat("一行很长的账目明细。\n", 300) // about 9 KB
	h.e.reply = func(*bot.Request) *bot.Reply { return &bot.Reply{Parts: []string{"第一部分", long}} }
	if got := post(t, h.srv, text("oL", "账目"), plaintext); got != "第一部分" {
		t.Errorf("passive reply %q, want the first part", got)
	}
	pushed := h.out.wait(t, "oL", 1)
	total := 0
	check := func(p string) {
		t.Helper()
		if len(p) > 2048 {
			t.Errorf("part of %d bytes, over WeChat's limit", len(p))
		}
		total += len(strings.ReplaceAll(p, "一行很长的账目明细。", "一行很长的账目明细。x")) - len(p)
	}
	check(pushed[0])
	contains(t, "pushed part", pushed[0], "回复 N 查看更多")
	var next string
	for range 5 {
		if next = post(t, h.srv, text("oL", "N"), plaintext); !strings.Contains(next, "一行很长") {
			break
		}
		check(next)
		h.out.mu.Lock()
		all := slices.Clone(h.out.got["oL"])
		h.out.got["oL"] = all[:1]
		h.out.mu.Unlock()
		last := ""
		if len(all) > 1 {
			// The reply to N may push one more part; take it too.
			last = all[len(all)-1]
			check(last)
		}
		if !strings.Contains(next, "查看更多") && !strings.Contains(last, "查看更多") {
			break
		}
	}
	if total != 300 {
		t.Errorf("%d lines of 300 reached the user", total)
	}
	// With nothing more, N goes to the engine.
	if got := post(t, h.srv, text("oL", "N"), plaintext); got != "第一部分" {
		t.Errorf("N with nothing more: %q, want the engine's answer", got)
	}
	if n := h.e.calls.Load(); n != 2 {
		t.Errorf("the engine was asked %d times, want 2", n)
	}
}

func TestLaterReceiptIsPushed(t *testing.T) {
	h := newHook(t, false, nil)
	release := make(chan struct{})
	h.e.reply = func(*bot.Request) *bot.Reply {
		return &bot.Reply{Parts: []string{"⏳ 正在记录：投同意"}, Later: func(ctx context.Context) (*bot.Reply, error) {
			<-release
			return &bot.Reply{Parts: []string{"✅ 已记录：投同意\n区块 #9"}}, nil
		}}
	}
	if got := post(t, h.srv, text("oP", "1"), plaintext); got != "⏳ 正在记录：投同意" {
		t.Errorf("reply %q", got)
	}
	close(release)
	if got := h.out.wait(t, "oP", 1); got[0] != "✅ 已记录：投同意\n区块 #9" {
		t.Errorf("pushed %q", got)
	}
}

func TestSlowEngineIsAnsweredWithinTheBudget(t *testing.T) {
	h := newHook(t, false, func(wh *wechatmp.Webhook) { wh.Budget = 300 * time.Millisecond })
	// The engine answers only once the reply has been written (or after
	// 10s, when a webhook that waited for it has failed the test), so the
	// reply cannot have waited for it.
	release := make(chan struct{})
	h.e.reply = func(req *bot.Request) *bot.Reply {
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		return &bot.Reply{Parts: []string{"回声：" + req.Text}, Private: true}
	}
	start := time.Now()
	got := post(t, h.srv, text("oS", "投票"), plaintext)
	// WeChat waits 5 seconds for a reply; a loaded machine may pass the
	// 300ms budget by a little, never by that much.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("replied after %v, past WeChat's 5 seconds", d)
	}
	close(release)
	if got != "收到，正在处理，结果马上发给您。" {
		t.Errorf("reply %q", got)
	}
	if pushed := h.out.wait(t, "oS", 1); pushed[0] != "回声：投票" {
		t.Errorf("pushed %q, want the engine's late answer", pushed)
	}
}

func TestRetriesAreHandledOnce(t *testing.T) {
	h := newHook(t, true, nil)
	h.e.delay = 200 * time.Millisecond
	var n atomic.Int32
	h.e.reply = func(req *bot.Request) *bot.Reply {
		return &bot.Reply{Parts: []string{fmt.Sprintf("第 %d 次处理", n.Add(1))}}
	}
	m := text("oR", "1")
	replies := make([]string, 4)
	var wg sync.WaitGroup
	for i := range replies {
		// WeChat's retries carry new timestamps and nonces.
		req := wxRequest(t, h.srv.URL, m, safe, time.Now().Add(time.Duration(i)*time.Second))
		wg.Go(func() {
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			replies[i] = readReply(t, res, safe)
		})
	}
	wg.Wait()
	if c := h.e.calls.Load(); c != 1 {
		t.Errorf("4 deliveries of one MsgId asked the engine %d times", c)
	}
	for i, r := range replies {
		if r != "第 1 次处理" {
			t.Errorf("delivery %d got %q, want the first handling's reply", i, r)
		}
	}
	// A retry after the answer gets the same answer from gateway.db.
	if got := post(t, h.srv, m, safe); got != "第 1 次处理" || h.e.calls.Load() != 1 {
		t.Errorf("late retry: %q, %d engine calls", got, h.e.calls.Load())
	}

	// Events have no MsgId: the sender and time name them.
	ev := event("oR", "CLICK", "VOTE")
	post(t, h.srv, ev, safe)
	post(t, h.srv, ev, safe)
	if c := h.e.calls.Load(); c != 2 {
		t.Errorf("a click delivered twice made %d engine calls in all, want 2", c)
	}
}

func TestRetriesSurviveARestart(t *testing.T) {
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	first := newHookOn(t, gw, false, nil)
	m := text("oX", "菜单")
	if got := post(t, first.srv, m, plaintext); got != "回声：菜单" {
		t.Fatalf("first reply %q", got)
	}
	// A message whose handling a crash interrupted.
	fresh, _, _, err := gw.Wechat().BeginMessage(context.Background(), "msg:424242", "oX", "addr-oX", time.Now(), nil)
	if err != nil || !fresh {
		t.Fatal(fresh, err)
	}
	// The restart: the first webhook stops, and has recorded the reply it
	// wrote by the time it has.
	first.srv.Close()
	if err := first.wh.Close(); err != nil {
		t.Fatal(err)
	}
	second := newHookOn(t, gw, false, nil)
	if got := post(t, second.srv, m, plaintext); got != "回声：菜单" {
		t.Errorf("retry after restart: %q, want the stored reply", got)
	}
	interrupted := wxMsg{From: "oX", CreateTime: time.Now().Unix(), Type: "text", Content: "1", MsgID: 424242}
	contains(t, "retry of an interrupted message", post(t, second.srv, interrupted, plaintext), "正在处理")
	if c := second.e.calls.Load(); c != 0 {
		t.Errorf("retries after a restart asked the engine %d times", c)
	}
}

// emptyLedger is a chain with nothing on it but its name.
type emptyLedger struct{}

func (emptyLedger) Submit(context.Context, bot.UserRef, tx.Body) (ledger.Receipt, error) {
	return ledger.Receipt{}, errors.New("no chain here")
}
func (emptyLedger) Wait(context.Context, string) (ledger.Receipt, error) {
	return ledger.Receipt{}, errors.New("no chain here")
}
func (emptyLedger) Query(_ context.Context, path string) (ledger.QueryResult, error) {
	if path == "chain" {
		return ledger.QueryResult{Value: tx.Canonical(abci.ChainInfo{ChainID: "c", Community: "阳光花园"})}, nil
	}
	return ledger.QueryResult{Code: uint32(abci.CodeQueryNotFound)}, nil
}
func (emptyLedger) Address(u bot.UserRef) (tx.Address, error) {
	k, err := keys.Derive(bytes.Repeat([]byte{1}, keys.MasterSecretSize), u.Channel, u.ID)
	if err != nil {
		return "", err
	}
	return keys.Address(k), nil
}

// slowStore holds BeginMessage until released, and says when one is
// being held.
type slowStore struct {
	*store.Wechat
	entered chan struct{}
	release chan struct{}
}

func (s slowStore) BeginMessage(ctx context.Context, key, openid, address string, at time.Time, grant func(int, time.Time) (int, time.Time)) (bool, bool, string, error) {
	s.entered <- struct{}{}
	<-s.release
	return s.Wechat.BeginMessage(ctx, key, openid, address, at, grant)
}

// A message that cannot start within the budget is answered, with a 200
// and "请稍候再试" (WeChat shows residents an error page for a non-200),
// and nothing is recorded for it, so that sending it again works.
func TestOverloadAsksTheUserToRetry(t *testing.T) {
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	st := slowStore{gw.Wechat(), make(chan struct{}), make(chan struct{})}
	wh := wechatmp.NewWebhook(&engine{}, st, templates.MustLoad())
	wh.Token, wh.AllowPlaintext, wh.MaxConcurrent, wh.Budget = testToken, true, 1, 300*time.Millisecond
	if err := wh.Open(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wh)
	defer func() {
		srv.Close()
		wh.Close()
	}()
	first := make(chan string, 1)
	go func() { first <- post(t, srv, text("oA", "1"), plaintext) }()
	<-st.entered // the first holds the only slot
	second := text("oB", "2")
	start := time.Now()
	if got := post(t, srv, second, plaintext); got != "现在人多，请稍候再试。" {
		t.Errorf("a message that cannot start within the budget: %q", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("answered after %v, past WeChat's 5 seconds", d)
	}
	close(st.release)
	if got := <-first; got == "" {
		t.Errorf("the first got no reply")
	}
	// Sent again, it is handled: nothing was recorded for it.
	go func() { <-st.entered }()
	if got := post(t, srv, second, plaintext); got != "回声：2" {
		t.Errorf("sent again after overload: %q", got)
	}
}

// A message waiting for its commit does not hold a slot: with one slot, a
// read is answered while a vote waits.
func TestWaitingForACommitFreesTheSlot(t *testing.T) {
	waiting, release := make(chan struct{}), make(chan struct{})
	h := newHook(t, false, func(wh *wechatmp.Webhook) { wh.MaxConcurrent, wh.Budget = 1, 2*time.Second })
	h.e.reply = func(req *bot.Request) *bot.Reply {
		return &bot.Reply{Parts: []string{"回声：" + req.Text}}
	}
	h.e.wait = func(ctx context.Context, req *bot.Request) {
		if req.Text != "1" {
			return
		}
		resume := bot.PauseFor(ctx)
		waiting <- struct{}{}
		<-release
		resume()
	}
	vote := make(chan string, 1)
	go func() { vote <- post(t, h.srv, text("oVote", "1"), plaintext) }()
	<-waiting
	if got := post(t, h.srv, text("oRead", "投票"), plaintext); got != "回声：投票" {
		t.Errorf("read while a vote waits: %q", got)
	}
	close(release)
	if got := <-vote; got != "回声：1" {
		t.Errorf("vote: %q", got)
	}
}

// A signed URL is accepted once: the same URL with the same body is
// WeChat sending it again and gets the same answer; with another body it
// is refused, in plaintext mode (where the body is not signed) too.
func TestSignedURLIsAcceptedOnce(t *testing.T) {
	for _, md := range []mode{plaintext, safe} {
		h := newHook(t, md == safe, nil)
		at := time.Now()
		m := text("oVictim", "1")
		first := wxRequest(t, h.srv.URL, m, md, at)
		body, _ := io.ReadAll(first.Body)
		first.Body = io.NopCloser(bytes.NewReader(body))
		res, err := http.DefaultClient.Do(first)
		if err != nil {
			t.Fatal(err)
		}
		if got := readReply(t, res, md); got != "回声：1" {
			t.Fatalf("first: %q", got)
		}
		again, _ := http.NewRequest(http.MethodPost, first.URL.String(), bytes.NewReader(body))
		res, err = http.DefaultClient.Do(again)
		if err != nil {
			t.Fatal(err)
		}
		if got := readReply(t, res, md); got != "回声：1" || h.e.calls.Load() != 1 {
			t.Errorf("mode %d: the same request again: %q, %d engine calls", md, got, h.e.calls.Load())
		}
		// The captured URL with another resident's message.
		forged := wxRequest(t, h.srv.URL, text("oAttacker", "1"), md, at)
		forged.URL.RawQuery = first.URL.RawQuery
		if md == plaintext {
			forged.URL.RawQuery = strings.Replace(forged.URL.RawQuery, "openid=oVictim", "openid=oAttacker", 1)
		}
		res, err = http.DefaultClient.Do(forged)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || h.e.calls.Load() != 1 {
			t.Errorf("mode %d: the signed URL with another body: %d, %d engine calls; want 403 and 1", md, res.StatusCode, h.e.calls.Load())
		}
		// After a restart too: the used URLs are in gateway.db.
		h.srv.Close()
		h.wh.Close()
		h2 := newHookOn(t, h.gw, md == safe, nil)
		forged.URL.Host = strings.TrimPrefix(h2.srv.URL, "http://")
		forged.Body = io.NopCloser(strings.NewReader(text("oAttacker", "2").xml()))
		if md == safe {
			forged = wxRequest(t, h2.srv.URL, text("oAttacker", "2"), md, at)
			forged.URL.RawQuery = first.URL.RawQuery
		}
		res, err = http.DefaultClient.Do(forged)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || h2.e.calls.Load() != 0 {
			t.Errorf("mode %d: after a restart: %d, %d engine calls; want 403 and 0", md, res.StatusCode, h2.e.calls.Load())
		}
	}
}

func TestPlaintextModeNeedsAllowPlaintext(t *testing.T) {
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	wh := wechatmp.NewWebhook(&engine{}, gw.Wechat(), templates.MustLoad())
	wh.Token = testToken
	if err := wh.Open(); err == nil || !strings.Contains(err.Error(), "allow_plaintext") {
		wh.Close()
		t.Errorf("Open in plaintext mode: %v", err)
	}
	var logs bytes.Buffer
	wh.AllowPlaintext, wh.Logger = true, slog.New(slog.NewTextHandler(&logs, nil))
	if err := wh.Open(); err != nil {
		t.Fatal(err)
	}
	wh.Close()
	if !strings.Contains(logs.String(), "PLAINTEXT MODE") {
		t.Errorf("no warning at start: %s", logs.String())
	}
}

// MsgId is an unsigned 64-bit number.
func TestMsgIDAboveInt64(t *testing.T) {
	h := newHook(t, false, nil)
	body := strings.Replace(text("oBig", "菜单").xml(), "</xml>", "", 1)
	body = body[:strings.Index(body, "<MsgId>")] + "<MsgId>18446744073709551615</MsgId></xml>"
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	q := url.Values{"signature": {wxSign(testToken, ts, "77")}, "timestamp": {ts}, "nonce": {"77"}}
	res, err := http.Post(h.srv.URL+"?"+q.Encode(), "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := readReply(t, res, plaintext); got != "回声：菜单" {
		t.Errorf("reply %q", got)
	}
	if got := h.e.last(t).MsgID; got != "msg:18446744073709551615" {
		t.Errorf("MsgID %q", got)
	}
}

// A menu click in the same second as the follow is another event.
func TestEventsInTheSameSecond(t *testing.T) {
	h := newHook(t, false, nil)
	at := time.Now().Unix()
	follow := wxMsg{From: "oNew", CreateTime: at, Type: "event", Event: "subscribe"}
	click := wxMsg{From: "oNew", CreateTime: at, Type: "event", Event: "CLICK", EventKey: "VOTE"}
	contains(t, "follow", post(t, h.srv, follow, plaintext), "欢迎关注")
	if got := post(t, h.srv, click, plaintext); got != "回声：投票" {
		t.Errorf("click in the same second: %q", got)
	}
	post(t, h.srv, click, plaintext) // WeChat's retry
	if n := h.e.calls.Load(); n != 2 {
		t.Errorf("%d engine calls, want 2 (follow, click)", n)
	}
}

// Each refusal leaves a log line with its reason and source, rate-limited
// per reason, never the body or the token.
func TestRefusalsAreLogged(t *testing.T) {
	var logs syncBuffer
	h := newHook(t, false, func(wh *wechatmp.Webhook) { wh.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	for range 3 {
		r := wxRequest(t, h.srv.URL, text("oU", "秘密内容"), plaintext, time.Now())
		q := r.URL.Query()
		q.Set("signature", wxSign("wrongToken", q.Get("timestamp"), q.Get("nonce")))
		r.URL.RawQuery = q.Encode()
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	out := logs.String()
	if n := strings.Count(out, "request refused"); n != 1 || !strings.Contains(out, "reason=\"bad signature\"") || !strings.Contains(out, "remote=127.0.0.1:") {
		t.Errorf("%d lines: %s", n, out)
	}
	if strings.Contains(out, "秘密内容") || strings.Contains(out, testToken) {
		t.Errorf("log shows the body or the token: %s", out)
	}
}

// syncBuffer is a bytes.Buffer for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A reply that carries a secret (a new binding code) is recorded for
// WeChat's retries without it.
func TestSecretsAreNotRecorded(t *testing.T) {
	h := newHook(t, false, nil)
	h.e.reply = func(*bot.Request) *bot.Reply {
		return &bot.Reply{Parts: []string{"✅ 已记录\n绑定码：86420135（只显示这一次）"}, Secrets: []string{"86420135"}}
	}
	m := text("oAdmin", "1")
	if got := post(t, h.srv, m, plaintext); !strings.Contains(got, "86420135") {
		t.Fatalf("the admin must see the code once: %q", got)
	}
	// The record is written beside the reply: a retry is answered from
	// memory until it is there, then from gateway.db.
	var got string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if got = post(t, h.srv, m, plaintext); !strings.Contains(got, "86420135") {
			break
		}
	}
	if strings.Contains(got, "86420135") || !strings.Contains(got, "绑定码：（已隐藏）") {
		t.Errorf("the retry's answer from gateway.db: %q", got)
	}
}

// What WeChat allows to be pushed follows the kind of the user's last
// action: a click or follow allows 3 for a minute, a message 5 for 48
// hours, and a view (opening a menu link) nothing new.
func TestInboundKindSetsThePushAllowance(t *testing.T) {
	h := newHook(t, false, nil)
	st := h.gw.Wechat()
	left := func() (int, time.Duration) {
		var until time.Time
		n, _, err := st.UpdatePush(context.Background(), "oK", func(l int, u time.Time) (int, time.Time) { until = u; return l, u })
		if err != nil {
			t.Fatal(err)
		}
		return n, time.Until(until).Round(time.Hour)
	}
	post(t, h.srv, event("oK", "CLICK", "VOTE"), plaintext)
	if n, _ := left(); n != 3 {
		t.Errorf("after a click: %d, want 3", n)
	}
	post(t, h.srv, text("oK", "投票"), plaintext)
	if n, d := left(); n != 5 || d != 47*time.Hour {
		t.Errorf("after a message: %d for %v, want 5 for 47h", n, d)
	}
	post(t, h.srv, event("oK", "VIEW", "https://example.org"), plaintext)
	post(t, h.srv, event("oK", "CLICK", "VOTE"), plaintext)
	if n, d := left(); n != 5 || d != 47*time.Hour {
		t.Errorf("a click after a message: %d for %v, want the message's 5 for 47h", n, d)
	}
}

// lockedStore is a gateway.db whose lock another process holds: its
// BeginMessage returns only when the request's context ends.
type lockedStore struct{ *store.Wechat }

func (lockedStore) BeginMessage(ctx context.Context, _, _, _ string, _ time.Time, _ func(int, time.Time) (int, time.Time)) (bool, bool, string, error) {
	<-ctx.Done()
	return false, false, "", ctx.Err()
}

// Store calls get the request's deadline: a locked gateway.db cannot hold
// a request past WeChat's five seconds.
func TestLockedStoreIsAnsweredWithinTheBudget(t *testing.T) {
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	wh := wechatmp.NewWebhook(&engine{}, lockedStore{gw.Wechat()}, templates.MustLoad())
	wh.Token, wh.AllowPlaintext, wh.Budget = testToken, true, 300*time.Millisecond
	if err := wh.Open(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wh)
	defer func() {
		srv.Close()
		wh.Close()
	}()
	start := time.Now()
	got := post(t, srv, text("oLocked", "投票"), plaintext)
	// The store never answers, so only the deadline can end the wait; a
	// loaded machine may pass the 300ms budget a little, never WeChat's 5s.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("answered after %v, past WeChat's 5 seconds", d)
	}
	if got == "" {
		t.Errorf("no answer")
	}
}
