// Package fakewx is a small fake of the servers of WeChat's web/desktop
// protocol, for tests: the endpoints openwechat v1.4.10 calls to log in by
// QR code or hot login, read contacts, sync messages and send text, on
// 127.0.0.1. openwechat's own client reaches it through Transport, which
// sends WeChat's hosts here, so the real openwechat.Bot runs against it.
// It is for tests only and imports nothing of linli's.
package fakewx

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

// Server is the fake. Change its settings with Set.
type Server struct {
	tb  testing.TB
	srv *httptest.Server

	mu sync.Mutex
	// LoginSteps are the codes the QR login poll answers in turn (201
	// scanned, 200 confirmed, 400 Expired); the last repeats.
	LoginSteps []string
	// LoginRet, when not 0, is the ret of webwxnewloginpage (1203: the
	// login environment is refused).
	LoginRet int
	// Expired makes webwxinit answer 1101: the saved session is dead.
	Expired bool
	// SyncRet is what synccheck answers ("0" normally; "1101" logs out;
	// "garbage" answers something that is not the protocol, as a broken
	// proxy would).
	SyncRet string
	// SendRets are the rets of the next sends, in turn (empty: 0).
	SendRets []int
	// desktop records that the login used the desktop (UOS) client.
	desktop bool
	// calls counts requests by path.
	calls map[string]int
	inbox []map[string]any
	wake  chan struct{}
	sent  []Sent
	// SentCh receives every text sent.
	SentCh chan Sent
	nextID int
	// Groups are the account's Groups by their session id.
	Groups []Group
}

// Group is one of the account's groups.
type Group struct {
	ID, Name string
	Members  [][2]string // id, nickname
}

// Sent is a text the account sent.
type Sent struct {
	To, Content string
	Group       string // the group's name
}

// The account and its session.
const (
	Self       = "@self01"
	Nick       = "邻里小助手"
	Uin        = 1001
	Sid        = "sid-abc"
	Skey       = "@crypt_skey"
	Ticket     = "pass-ticket"
	UUID       = "QdEv_fake=="
	DataTicket = "data-ticket"
)

// New starts the fake with four groups: 3号楼业主群 (@@g3), 5号楼群
// (@@g5), 阳光花园大家庭 (@@gall) and 钓鱼群 (@@gx); tb's cleanup stops it.
func New(tb testing.TB) *Server {
	f := &Server{
		tb: tb, LoginSteps: []string{"201", "200"}, SyncRet: "0",
		calls: map[string]int{}, wake: make(chan struct{}, 1), SentCh: make(chan Sent, 1000),
		Groups: []Group{
			{"@@g3", "3号楼业主群", [][2]string{{Self, Nick}, {"@u1", "王阿姨"}, {"@u2", "李叔"}}},
			{"@@g5", "5号楼群", [][2]string{{Self, Nick}, {"@u3", "赵姐"}}},
			{"@@gall", "阳光花园大家庭", [][2]string{{Self, Nick}, {"@u1", "王阿姨"}, {"@u3", "赵姐"}}},
			{"@@gx", "钓鱼群", [][2]string{{Self, Nick}, {"@u9", "钱"}}},
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

// Transport sends the requests for WeChat's hosts to the fake.
func (f *Server) Transport() http.RoundTripper {
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

// Count reports the requests seen for path ("webwxinit" or a full path
// such as "/jslogin").
func (f *Server) Count(path string) int {
	if !strings.HasPrefix(path, "/") {
		path = "/cgi-bin/mmwebwx-bin/" + path
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// UsedDesktop reports that the login used the desktop (UOS) client.
func (f *Server) UsedDesktop() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.desktop
}

// Set changes the fake's settings under its lock.
func (f *Server) Set(fn func(f *Server)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
	f.poke()
}

// PushMany delivers n messages at the next sync, each from member(i) with
// content(i) in group.
func (f *Server) PushMany(group string, n int, member, content func(i int) string) {
	f.mu.Lock()
	for i := range n {
		f.nextID++
		f.inbox = append(f.inbox, map[string]any{
			"MsgId": fmt.Sprintf("m%d", f.nextID), "FromUserName": group, "ToUserName": Self,
			"MsgType": 1, "Content": member(i) + ":<br/>" + content(i), "CreateTime": 1790000000 + f.nextID,
		})
	}
	f.mu.Unlock()
	f.poke()
}

func (f *Server) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Push delivers a text message from member in the group at the next sync.
func (f *Server) Push(group, member, content string) {
	f.mu.Lock()
	f.nextID++
	f.inbox = append(f.inbox, map[string]any{
		"MsgId": fmt.Sprintf("m%d", f.nextID), "NewMsgId": f.nextID,
		"FromUserName": group, "ToUserName": Self, "MsgType": 1,
		"Content":    member + ":<br/>" + content,
		"CreateTime": 1790000000 + f.nextID,
	})
	f.mu.Unlock()
	f.poke()
}

// WaitSent returns the next text sent, or fails after a bound.
func (f *Server) WaitSent(tb testing.TB) Sent {
	tb.Helper()
	select {
	case m := <-f.SentCh:
		return m
	case <-time.After(30 * time.Second):
		tb.Fatal("nothing was sent")
		return Sent{}
	}
}

// SentTexts returns every text sent so far.
func (f *Server) SentTexts() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sent...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func base(ret int) map[string]any { return map[string]any{"Ret": ret, "ErrMsg": ""} }

func (f *Server) jslogin(w http.ResponseWriter, r *http.Request) {
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
	fmt.Fprintf(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "%s";`, UUID)
}

func (f *Server) checkLogin(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("uuid") != UUID {
		fmt.Fprint(w, `window.code=400;`)
		return
	}
	f.mu.Lock()
	code := f.LoginSteps[0]
	if len(f.LoginSteps) > 1 {
		f.LoginSteps = f.LoginSteps[1:]
	}
	f.mu.Unlock()
	switch code {
	case "200":
		fmt.Fprintf(w, "window.code=200;\nwindow.redirect_uri=\"https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=T1&uuid=%s&lang=zh_CN&scan=1790000000\";", UUID)
	case "201":
		fmt.Fprint(w, `window.code=201;window.userAvatar = 'data:img/jpg;base64,AAAA';`)
	default:
		fmt.Fprintf(w, `window.code=%s;`, code)
	}
}

func (f *Server) newLoginPage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	ret := f.LoginRet
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
	for _, c := range []string{"wxsid=" + Sid, "wxuin=1001", "webwx_data_ticket=" + DataTicket} {
		w.Header().Add("Set-Cookie", c+"; Domain=wx.qq.com; Path=/")
	}
	fmt.Fprintf(w, `<error><ret>0</ret><message></message><skey>%s</skey><wxsid>%s</wxsid><wxuin>%d</wxuin><pass_ticket>%s</pass_ticket><isgrayscale>1</isgrayscale></error>`, Skey, Sid, Uin, Ticket)
}

// authed checks a request's BaseRequest and the session cookie, as
// WeChat does; a hot login that lost either fails with 1101.
func (f *Server) authed(r *http.Request, body map[string]any) bool {
	c, err := r.Cookie("wxsid")
	if err != nil || c.Value != Sid {
		return false
	}
	if body == nil {
		return true
	}
	br, _ := body["BaseRequest"].(map[string]any)
	return br != nil && br["Sid"] == Sid && br["Skey"] == Skey && br["Uin"] == float64(Uin) && br["DeviceID"] != ""
}

func readBody(r *http.Request) map[string]any {
	var m map[string]any
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &m)
	return m
}

func (f *Server) user(id, nick string, members [][2]string) map[string]any {
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

func (f *Server) webInit(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	f.mu.Lock()
	Expired := f.Expired
	first := f.Groups[0]
	f.mu.Unlock()
	if Expired || !f.authed(r, body) {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	writeJSON(w, map[string]any{
		"BaseResponse": base(0),
		"Count":        1,
		"User":         map[string]any{"UserName": Self, "NickName": Nick, "Uin": Uin},
		"SyncKey":      map[string]any{"Count": 1, "List": []map[string]any{{"Key": 1, "Val": 100}}},
		// The recent chats: one group.
		"ContactList": []map[string]any{f.user(first.ID, first.Name, nil)},
		"SKey":        Skey,
	})
}

func (f *Server) ok(w http.ResponseWriter, r *http.Request) {
	if !f.authed(r, readBody(r)) {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	writeJSON(w, map[string]any{"BaseResponse": base(0), "MsgID": "1"})
}

func (f *Server) getContact(w http.ResponseWriter, r *http.Request) {
	if !f.authed(r, nil) || r.URL.Query().Get("skey") != Skey {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	f.mu.Lock()
	var list []map[string]any
	for _, g := range f.Groups {
		list = append(list, f.user(g.ID, g.Name, nil)) // the list carries no members
	}
	f.mu.Unlock()
	list = append(list, f.user("@u1", "王阿姨", nil))
	writeJSON(w, map[string]any{"BaseResponse": base(0), "MemberCount": len(list), "MemberList": list, "Seq": 0})
}

func (f *Server) batchGetContact(w http.ResponseWriter, r *http.Request) {
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
		for _, g := range f.Groups {
			if g.ID == id {
				out = append(out, f.user(g.ID, g.Name, g.Members))
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
func (f *Server) syncCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for {
		f.mu.Lock()
		ret, waiting := f.SyncRet, len(f.inbox)
		f.mu.Unlock()
		// The long poll is on webpush.wx.qq.com, which the restored
		// cookie jar of a hot login does not cover: its query carries
		// the session.
		if q.Get("sid") != Sid || q.Get("skey") != Skey || q.Get("uin") != "1001" || q.Get("synckey") == "" {
			ret = "1101"
		}
		switch {
		case ret == "garbage":
			http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
			return
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

func (f *Server) webSync(w http.ResponseWriter, r *http.Request) {
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

func (f *Server) sendMsg(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	if !f.authed(r, body) || r.URL.Query().Get("pass_ticket") != Ticket {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	msg, _ := body["Msg"].(map[string]any)
	to, _ := msg["ToUserName"].(string)
	content, _ := msg["Content"].(string)
	f.mu.Lock()
	ret := 0
	if len(f.SendRets) > 0 {
		ret, f.SendRets = f.SendRets[0], f.SendRets[1:]
	}
	name := ""
	for _, g := range f.Groups {
		if g.ID == to {
			name = g.Name
		}
	}
	if ret == 0 {
		m := Sent{To: to, Content: content, Group: name}
		f.sent = append(f.sent, m)
		f.SentCh <- m
	}
	f.nextID++
	id := f.nextID
	f.mu.Unlock()
	writeJSON(w, map[string]any{"BaseResponse": base(ret), "MsgID": fmt.Sprint(id), "LocalID": fmt.Sprint(id)})
}
