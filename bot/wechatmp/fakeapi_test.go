package wechatmp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/bot/wechatmp"
)

// fakeWeChat is WeChat's API as linli uses it: the stable token, customer-
// service and template messages, the menu and the template list. It
// records what it was sent and can be told to fail. It is the one fake of
// WeChat's servers; tests reach it through the SDK's HTTP client (NewAPI's
// BaseURL), on 127.0.0.1.
type fakeWeChat struct {
	srv *httptest.Server

	mu        sync.Mutex
	token     string
	tokens    int // stable_token calls
	texts     []sent
	templates []sent
	menus     []json.RawMessage
	// fail, when set, answers a send with this errcode (and is then
	// cleared when failOnce).
	fail     int
	failOnce bool
	// delay slows every answer.
	delay time.Duration
	// notify, when set, receives each customer-service text.
	notify chan sent
}

type sent struct {
	To       string
	Text     string
	Template string
	Data     map[string]string
	// ClientMsgID is a template message's client_msg_id; Subscription
	// marks a subscription message.
	ClientMsgID  string
	Subscription bool
}

func newFakeWeChat(t testing.TB) *fakeWeChat {
	f := &fakeWeChat{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/stable_token", f.stableToken)
	mux.HandleFunc("POST /cgi-bin/message/custom/send", f.authed(f.customSend))
	mux.HandleFunc("POST /cgi-bin/message/template/send", f.authed(f.templateSend))
	mux.HandleFunc("POST /cgi-bin/message/subscribe/bizsend", f.authed(f.subscriptionSend))
	mux.HandleFunc("POST /cgi-bin/menu/create", f.authed(f.menuCreate))
	mux.HandleFunc("GET /cgi-bin/template/get_all_private_template", f.authed(f.templateList))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// api returns an API wired to the fake.
func (f *fakeWeChat) api(t testing.TB) *wechatmp.API {
	t.Helper()
	a, err := wechatmp.NewAPI(wechatmp.APIConfig{AppID: testAppID, AppSecret: "app-secret-1", BaseURL: f.srv.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (f *fakeWeChat) stableToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType string `json:"grant_type"`
		AppID     string `json:"appid"`
		Secret    string `json:"secret"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	if req.GrantType != "client_credential" || req.AppID != testAppID || req.Secret != "app-secret-1" {
		writeJSON(w, map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		return
	}
	f.mu.Lock()
	f.tokens++
	if f.token == "" {
		f.token = fmt.Sprintf("ACCESS-TOKEN-%d", f.tokens)
	}
	tok, d := f.token, f.delay
	f.mu.Unlock()
	if !pause(r, d) {
		return
	}
	writeJSON(w, map[string]any{"access_token": tok, "expires_in": 7200})
}

// pause waits d, or until the client gives up on r, and reports whether
// the client still waits.
func pause(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}

// set changes how the fake answers.
func (f *fakeWeChat) set(edit func(f *fakeWeChat)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(f)
}

// rotate invalidates the current token, as WeChat does when it expires
// early.
func (f *fakeWeChat) rotate() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = ""
}

func (f *fakeWeChat) authed(h func(http.ResponseWriter, *http.Request, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		ok := f.token != "" && r.URL.Query().Get("access_token") == f.token
		d := f.delay
		f.mu.Unlock()
		if !pause(r, d) {
			return
		}
		if !ok {
			writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
			return
		}
		h(w, r, body)
	}
}

// failing returns the errcode to answer with, if any.
func (f *fakeWeChat) failing() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	code := f.fail
	if f.failOnce {
		f.fail = 0
	}
	return code
}

func (f *fakeWeChat) customSend(w http.ResponseWriter, _ *http.Request, body []byte) {
	if code := f.failing(); code != 0 {
		writeJSON(w, map[string]any{"errcode": code, "errmsg": "fake failure"})
		return
	}
	var m struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "text" {
		writeJSON(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
		return
	}
	s := sent{To: m.ToUser, Text: m.Text.Content}
	f.mu.Lock()
	f.texts = append(f.texts, s)
	ch := f.notify
	f.mu.Unlock()
	if ch != nil {
		ch <- s
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (f *fakeWeChat) templateSend(w http.ResponseWriter, _ *http.Request, body []byte) {
	if code := f.failing(); code != 0 {
		writeJSON(w, map[string]any{"errcode": code, "errmsg": "fake failure"})
		return
	}
	var m struct {
		ToUser      string `json:"touser"`
		TemplateID  string `json:"template_id"`
		ClientMsgID string `json:"client_msg_id"`
		Data        map[string]struct {
			Value string `json:"value"`
		} `json:"data"`
		MiniProgram *json.RawMessage `json:"miniprogram"`
	}
	json.Unmarshal(body, &m)
	if m.MiniProgram != nil {
		// An empty mini program jump is not a valid one.
		writeJSON(w, map[string]any{"errcode": 40165, "errmsg": "invalid weapp pagepath"})
		return
	}
	s := sent{To: m.ToUser, Template: m.TemplateID, Data: map[string]string{}, ClientMsgID: m.ClientMsgID}
	for k, v := range m.Data {
		s.Data[k] = v.Value
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// WeChat delivers a client_msg_id once.
	for _, t := range f.templates {
		if m.ClientMsgID != "" && t.ClientMsgID == m.ClientMsgID {
			writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": 200228332})
			return
		}
	}
	f.templates = append(f.templates, s)
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": 200228332})
}

func (f *fakeWeChat) subscriptionSend(w http.ResponseWriter, _ *http.Request, body []byte) {
	if code := f.failing(); code != 0 {
		writeJSON(w, map[string]any{"errcode": code, "errmsg": "fake failure"})
		return
	}
	var m struct {
		ToUser     string `json:"touser"`
		TemplateID string `json:"template_id"`
		Data       map[string]struct {
			Value string `json:"value"`
		} `json:"data"`
	}
	json.Unmarshal(body, &m)
	s := sent{To: m.ToUser, Template: m.TemplateID, Data: map[string]string{}, Subscription: true}
	for k, v := range m.Data {
		s.Data[k] = v.Value
	}
	f.mu.Lock()
	f.templates = append(f.templates, s)
	f.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (f *fakeWeChat) menuCreate(w http.ResponseWriter, _ *http.Request, body []byte) {
	f.mu.Lock()
	f.menus = append(f.menus, append(json.RawMessage(nil), body...))
	f.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (f *fakeWeChat) templateList(w http.ResponseWriter, _ *http.Request, _ []byte) {
	writeJSON(w, map[string]any{"template_list": []map[string]string{
		{"template_id": "tmpl-reminder", "title": "投票提醒"},
		{"template_id": "tmpl-result", "title": "结果通知"},
	}})
}

func (f *fakeWeChat) sentTexts() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.texts...)
}

func (f *fakeWeChat) sentTemplates() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.templates...)
}

func (f *fakeWeChat) tokenCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens
}

// waitTexts waits until n texts were sent, or fails.
func (f *fakeWeChat) waitTexts(t testing.TB, n int) []sent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := f.sentTexts()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d customer-service texts sent, want %d: %+v", len(got), n, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
