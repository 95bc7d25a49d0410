package wxgroup_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeWX is a small fake of the servers of WeChat's web/desktop protocol,
// the endpoints openwechat v1.4.10 calls to log in by QR code or hot
// login, sync messages and send text, on 127.0.0.1. openwechat's own
// client reaches it through redirect, a transport that sends WeChat's
// hosts here; the real openwechat.Bot runs against it.
type fakeWX struct {
	tb  testing.TB
	srv *httptest.Server

	mu sync.Mutex
	// loginSteps are the codes the QR login poll answers in turn (201
	// scanned, 200 confirmed, 400 expired); the last repeats.
	loginSteps []string
	// loginRet, when not 0, is the ret of webwxnewloginpage (1203: the
	// login environment is refused).
	loginRet int
	// expired makes webwxinit answer 1101: the saved session is dead.
	expired bool
	// syncRet is what synccheck answers ("0" normally; "1101" logs out).
	syncRet string
	// sendRets are the rets of the next sends, in turn (empty: 0).
	sendRets []int
	// desktop records that the login used the desktop (UOS) client.
	desktop bool
	// calls counts requests by path.
	calls map[string]int
	inbox []map[string]any
	wake  chan struct{}
	sent  []sentMsg
	// sentCh receives every text sent.
	sentCh chan sentMsg
	nextID int
	// groups are the account's groups by their session id.
	groups []fakeGroup
}

type fakeGroup struct {
	id, name string
	members  [][2]string // id, nickname
}

type sentMsg struct {
	To, Content string
	Group       string // the group's name
}

const (
	fakeSelf    = "@self01"
	fakeNick    = "邻里小助手"
	fakeUin     = 1001
	fakeSid     = "sid-abc"
	fakeSkey    = "@crypt_skey"
	fakeTicket  = "pass-ticket"
	fakeUUID    = "QdEv_fake=="
	wxDataToken = "data-ticket"
)

func newFakeWX(tb testing.TB) *fakeWX {
	f := &fakeWX{
		tb: tb, loginSteps: []string{"201", "200"}, syncRet: "0",
		calls: map[string]int{}, wake: make(chan struct{}, 1), sentCh: make(chan sentMsg, 1000),
		groups: []fakeGroup{
			{"@@g3", "3号楼业主群", [][2]string{{fakeSelf, fakeNick}, {"@u1", "王阿姨"}, {"@u2", "李叔"}}},
			{"@@g5", "5号楼群", [][2]string{{fakeSelf, fakeNick}, {"@u3", "赵姐"}}},
			{"@@gall", "阳光花园大家庭", [][2]string{{fakeSelf, fakeNick}, {"@u1", "王阿姨"}, {"@u3", "赵姐"}}},
			{"@@gx", "钓鱼群", [][2]string{{fakeSelf, fakeNick}, {"@u9", "钱"}}},
		},
	}
	mux := http.NewServeMux()
	p := "/cgi-bin/mmwebwx-bin/"
	mux.HandleFunc("/jslogin", f.jslogin)
	mux.HandleFunc(p+"login", f.checkLogin)
	mux.HandleFunc(p+"webwxnewloginpage", f.newLoginPage)
	mux.HandleFunc(p+"webwxinit", f.webInit)
	mux.HandleFunc(p+"webwxstatusnotify", f.ok)
	mux.HandleFunc(p+"webwxgetcontact", f.getContact)
	mux.HandleFunc(p+"webwxbatchgetcontact", f.batchGetContact)
	mux.HandleFunc(p+"synccheck", f.syncCheck)
	mux.HandleFunc(p+"webwxsync", f.webSync)
	mux.HandleFunc(p+"webwxsendmsg", f.sendMsg)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls[r.URL.Path]++
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	tb.Cleanup(func() {
		f.srv.CloseClientConnections()
		f.srv.Close()
	})
	return f
}

// transport sends the requests for WeChat's hosts to the fake.
func (f *fakeWX) transport() http.RoundTripper {
	target, _ := url.Parse(f.srv.URL)
	return redirect{target: target, base: f.srv.Client().Transport}
}

type redirect struct {
	target *url.URL
	base   http.RoundTripper
}

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Hostname(), ".qq.com") {
		return nil, fmt.Errorf("fake: unexpected host %s", req.URL.Host)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host = r.target.Scheme, r.target.Host
	out.Host = r.target.Host
	return r.base.RoundTrip(out)
}

func (f *fakeWX) count(path string) int {
	if !strings.HasPrefix(path, "/") {
		path = "/cgi-bin/mmwebwx-bin/" + path
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func (f *fakeWX) usedDesktop() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.desktop
}

func (f *fakeWX) set(fn func(f *fakeWX)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
	f.poke()
}

func (f *fakeWX) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// push delivers a text message from member in the group at the next sync.
func (f *fakeWX) push(group, member, content string) {
	f.mu.Lock()
	f.nextID++
	f.inbox = append(f.inbox, map[string]any{
		"MsgId": fmt.Sprintf("m%d", f.nextID), "NewMsgId": f.nextID,
		"FromUserName": group, "ToUserName": fakeSelf, "MsgType": 1,
		"Content":    member + ":<br/>" + content,
		"CreateTime": 1790000000 + f.nextID,
	})
	f.mu.Unlock()
	f.poke()
}

// waitSent returns the next text sent, or fails after a bound.
func (f *fakeWX) waitSent(tb testing.TB) sentMsg {
	tb.Helper()
	select {
	case m := <-f.sentCh:
		return m
	case <-time.After(10 * time.Second):
		tb.Fatal("nothing was sent")
		return sentMsg{}
	}
}

func (f *fakeWX) sentTexts() []sentMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentMsg(nil), f.sent...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func base(ret int) map[string]any { return map[string]any{"Ret": ret, "ErrMsg": ""} }

func (f *fakeWX) jslogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("appid") == "" || q.Get("redirect_uri") == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if ru, err := url.Parse(q.Get("redirect_uri")); err == nil && ru.Query().Get("mod") == "desktop" {
		f.mu.Lock()
		f.desktop = true
		f.mu.Unlock()
	}
	fmt.Fprintf(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "%s";`, fakeUUID)
}

func (f *fakeWX) checkLogin(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("uuid") != fakeUUID {
		fmt.Fprint(w, `window.code=400;`)
		return
	}
	f.mu.Lock()
	code := f.loginSteps[0]
	if len(f.loginSteps) > 1 {
		f.loginSteps = f.loginSteps[1:]
	}
	f.mu.Unlock()
	switch code {
	case "200":
		fmt.Fprintf(w, "window.code=200;\nwindow.redirect_uri=\"https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=T1&uuid=%s&lang=zh_CN&scan=1790000000\";", fakeUUID)
	case "201":
		fmt.Fprint(w, `window.code=201;window.userAvatar = 'data:img/jpg;base64,AAAA';`)
	default:
		fmt.Fprintf(w, `window.code=%s;`, code)
	}
}

func (f *fakeWX) newLoginPage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	ret := f.loginRet
	if r.Header.Get("extspam") == "" || r.Header.Get("client-version") == "" {
		f.desktop = false // the desktop client sends both
	}
	f.mu.Unlock()
	if r.URL.Query().Get("ticket") != "T1" || r.URL.Query().Get("version") != "v2" {
		http.Error(w, "bad ticket", http.StatusBadRequest)
		return
	}
	if ret != 0 {
		fmt.Fprintf(w, `<error><ret>%d</ret><message>当前登录环境异常。为了你的帐号安全，暂时不能登录web微信。</message></error>`, ret)
		return
	}
	for _, c := range []string{"wxsid=" + fakeSid, "wxuin=1001", "webwx_data_ticket=" + wxDataToken} {
		w.Header().Add("Set-Cookie", c+"; Domain=wx.qq.com; Path=/")
	}
	fmt.Fprintf(w, `<error><ret>0</ret><message></message><skey>%s</skey><wxsid>%s</wxsid><wxuin>%d</wxuin><pass_ticket>%s</pass_ticket><isgrayscale>1</isgrayscale></error>`, fakeSkey, fakeSid, fakeUin, fakeTicket)
}

// authed checks a request's BaseRequest and the session cookie, as
// WeChat does; a hot login that lost either fails with 1101.
func (f *fakeWX) authed(r *http.Request, body map[string]any) bool {
	c, err := r.Cookie("wxsid")
	if err != nil || c.Value != fakeSid {
		return false
	}
	if body == nil {
		return true
	}
	br, _ := body["BaseRequest"].(map[string]any)
	return br != nil && br["Sid"] == fakeSid && br["Skey"] == fakeSkey && br["Uin"] == float64(fakeUin) && br["DeviceID"] != ""
}

func readBody(r *http.Request) map[string]any {
	var m map[string]any
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &m)
	return m
}

func (f *fakeWX) user(id, nick string, members [][2]string) map[string]any {
	u := map[string]any{"UserName": id, "NickName": nick, "ContactFlag": 3}
	var list []map[string]any
	for _, m := range members {
		list = append(list, map[string]any{"UserName": m[0], "NickName": m[1], "DisplayName": ""})
	}
	if list != nil {
		u["MemberList"] = list
		u["MemberCount"] = len(list)
	}
	return u
}

func (f *fakeWX) webInit(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	f.mu.Lock()
	expired := f.expired
	first := f.groups[0]
	f.mu.Unlock()
	if expired || !f.authed(r, body) {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	writeJSON(w, map[string]any{
		"BaseResponse": base(0),
		"Count":        1,
		"User":         map[string]any{"UserName": fakeSelf, "NickName": fakeNick, "Uin": fakeUin},
		"SyncKey":      map[string]any{"Count": 1, "List": []map[string]any{{"Key": 1, "Val": 100}}},
		// The recent chats: one group.
		"ContactList": []map[string]any{f.user(first.id, first.name, nil)},
		"SKey":        fakeSkey,
	})
}

func (f *fakeWX) ok(w http.ResponseWriter, r *http.Request) {
	if !f.authed(r, readBody(r)) {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	writeJSON(w, map[string]any{"BaseResponse": base(0), "MsgID": "1"})
}

func (f *fakeWX) getContact(w http.ResponseWriter, r *http.Request) {
	if !f.authed(r, nil) || r.URL.Query().Get("skey") != fakeSkey {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	f.mu.Lock()
	var list []map[string]any
	for _, g := range f.groups {
		list = append(list, f.user(g.id, g.name, nil)) // the list carries no members
	}
	f.mu.Unlock()
	list = append(list, f.user("@u1", "王阿姨", nil))
	writeJSON(w, map[string]any{"BaseResponse": base(0), "MemberCount": len(list), "MemberList": list, "Seq": 0})
}

func (f *fakeWX) batchGetContact(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	if !f.authed(r, body) {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	items, _ := body["List"].([]any)
	var out []map[string]any
	f.mu.Lock()
	for _, it := range items {
		id, _ := it.(map[string]any)["UserName"].(string)
		found := false
		for _, g := range f.groups {
			if g.id == id {
				out = append(out, f.user(g.id, g.name, g.members))
				found = true
			}
		}
		if !found {
			out = append(out, f.user(id, "", nil))
		}
	}
	f.mu.Unlock()
	writeJSON(w, map[string]any{"BaseResponse": base(0), "Count": len(out), "ContactList": out})
}

// syncCheck is WeChat's long poll: it answers when a message waits or
// the session ends, and holds the request otherwise (until the client
// goes away).
func (f *fakeWX) syncCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for {
		f.mu.Lock()
		ret, waiting := f.syncRet, len(f.inbox)
		f.mu.Unlock()
		// The long poll is on webpush.wx.qq.com, which the restored
		// cookie jar of a hot login does not cover: its query carries
		// the session.
		if q.Get("sid") != fakeSid || q.Get("skey") != fakeSkey || q.Get("uin") != "1001" || q.Get("synckey") == "" {
			ret = "1101"
		}
		switch {
		case ret != "0":
			fmt.Fprintf(w, `window.synccheck={retcode:"%s",selector:"0"}`, ret)
			return
		case waiting > 0:
			fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"2"}`)
			return
		}
		select {
		case <-f.wake:
		case <-r.Context().Done():
			return
		}
	}
}

func (f *fakeWX) webSync(w http.ResponseWriter, r *http.Request) {
	if !f.authed(r, readBody(r)) {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	f.mu.Lock()
	msgs := f.inbox
	f.inbox = nil
	f.mu.Unlock()
	writeJSON(w, map[string]any{
		"BaseResponse": base(0), "AddMsgCount": len(msgs), "AddMsgList": msgs,
		"SyncKey": map[string]any{"Count": 1, "List": []map[string]any{{"Key": 1, "Val": 101}}},
	})
}

func (f *fakeWX) sendMsg(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	if !f.authed(r, body) || r.URL.Query().Get("pass_ticket") != fakeTicket {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	msg, _ := body["Msg"].(map[string]any)
	to, _ := msg["ToUserName"].(string)
	content, _ := msg["Content"].(string)
	f.mu.Lock()
	ret := 0
	if len(f.sendRets) > 0 {
		ret, f.sendRets = f.sendRets[0], f.sendRets[1:]
	}
	name := ""
	for _, g := range f.groups {
		if g.id == to {
			name = g.name
		}
	}
	if ret == 0 {
		m := sentMsg{To: to, Content: content, Group: name}
		f.sent = append(f.sent, m)
		f.sentCh <- m
	}
	f.nextID++
	id := f.nextID
	f.mu.Unlock()
	writeJSON(w, map[string]any{"BaseResponse": base(ret), "MsgID": fmt.Sprint(id), "LocalID": fmt.Sprint(id)})
}

// fakeClock is a Clock that moves only when a test says so.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	added   chan struct{}
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), added: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	select {
	case c.added <- struct{}{}:
	default:
	}
	return ch
}

// advanceIfWaiting moves the clock to the earliest deadline anyone waits
// for and fires what is due; false means nobody waits.
func (c *fakeClock) advanceIfWaiting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiters) == 0 {
		return false
	}
	next := c.waiters[0].at
	for _, w := range c.waiters {
		if w.at.Before(next) {
			next = w.at
		}
	}
	if next.After(c.now) {
		c.now = next
	}
	c.fireLocked()
	return true
}

// collect returns the next n texts sent, moving the clock whenever the
// outbox waits for it (bounded; never a sleep).
func collect(tb testing.TB, f *fakeWX, c *fakeClock, n int) []sentMsg {
	tb.Helper()
	var out []sentMsg
	timeout := time.After(20 * time.Second)
	for len(out) < n {
		select {
		case m := <-f.sentCh:
			out = append(out, m)
			continue
		default:
		}
		if c.advanceIfWaiting() {
			continue
		}
		select {
		case m := <-f.sentCh:
			out = append(out, m)
		case <-c.added:
		case <-timeout:
			tb.Fatalf("%d of %d texts sent", len(out), n)
		}
	}
	return out
}

// advance moves the clock by d and fires what is due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.fireLocked()
	c.mu.Unlock()
}

func (c *fakeClock) fireLocked() {
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// waitFor is used where a test waits on something the adapter does in the
// background: a bounded wait on a channel, never a sleep.
func waitFor[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		tb.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
