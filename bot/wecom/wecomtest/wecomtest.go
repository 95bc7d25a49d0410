// Package wecomtest is a small imitation of WeCom's API for tests, on
// 127.0.0.1, reached through silenceper's real client: the access token,
// creating a group message for customer groups, its send results, and a
// group's details. It is the one fake of WeCom; tests of bot/wecom and of
// cmd/linli share it.
package wecomtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Server is a fake WeCom. URL goes in the API's BaseURL; CorpID and
// Secret are the credentials it accepts.
type Server struct {
	URL            string
	CorpID, Secret string
	srv            *httptest.Server
	owners         map[string]string // chat id -> owner userid
	mu             sync.Mutex
	tokens         int
	msgs           []GroupMsg // made since the last take
	all            []GroupMsg
	failNext       []int          // errcodes the next add_msg_template calls answer
	status         map[string]int // chat id -> send status answered
	resultCalls    int
	expired        int // tokens up to this one are expired
}

// ExpireTokens makes every access token issued so far invalid (errcode
// 42001), as WeCom does after two hours.
func (f *Server) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired = f.tokens
}

// ResultCalls returns how often send results were asked for.
func (f *Server) ResultCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.resultCalls
}

// GroupMsg is one add_msg_template call that made a message.
type GroupMsg struct {
	ID, Sender, Text string
	Chats            []string
}

// New starts a fake WeCom whose customer groups are owners' keys, each
// owned by its value's userid; the test's cleanup stops it.
func New(t testing.TB, owners map[string]string) *Server {
	t.Helper()
	f := &Server{CorpID: "ww-corp", Secret: "s3cret-of-the-corp", owners: owners, status: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("corpid") != f.CorpID || r.URL.Query().Get("corpsecret") != f.Secret {
			reply(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
			return
		}
		f.mu.Lock()
		f.tokens++
		n := f.tokens
		f.mu.Unlock()
		reply(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": fmt.Sprintf("TOKEN-%d", n), "expires_in": 7200})
	})
	mux.HandleFunc("POST /cgi-bin/externalcontact/add_msg_template", func(w http.ResponseWriter, r *http.Request) {
		if !f.tokenOK(r) {
			reply(w, map[string]any{"errcode": 42001, "errmsg": "access_token expired"})
			return
		}
		var req struct {
			ChatType   string   `json:"chat_type"`
			Sender     string   `json:"sender"`
			ChatIDList []string `json:"chat_id_list"`
			Text       struct {
				Content string `json:"content"`
			} `json:"text"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ChatType != "group" || req.Sender == "" || req.Text.Content == "" {
			reply(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.failNext) > 0 {
			code := f.failNext[0]
			f.failNext = f.failNext[1:]
			reply(w, map[string]any{"errcode": code, "errmsg": "failing as told"})
			return
		}
		m := GroupMsg{ID: fmt.Sprintf("msg-%d", len(f.all)+1), Sender: req.Sender, Text: req.Text.Content}
		var failed []string
		for _, c := range req.ChatIDList {
			if f.owners[c] != req.Sender {
				failed = append(failed, c)
				continue
			}
			m.Chats = append(m.Chats, c)
		}
		f.msgs = append(f.msgs, m)
		f.all = append(f.all, m)
		reply(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": m.ID, "fail_list": failed})
	})
	mux.HandleFunc("POST /cgi-bin/externalcontact/get_groupmsg_send_result", func(w http.ResponseWriter, r *http.Request) {
		if !f.tokenOK(r) {
			reply(w, map[string]any{"errcode": 42001, "errmsg": "access_token expired"})
			return
		}
		var req struct {
			MsgID  string `json:"msgid"`
			UserID string `json:"userid"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.resultCalls++
		var list []map[string]any
		for _, m := range f.all {
			if m.ID != req.MsgID || m.Sender != req.UserID {
				continue
			}
			for _, c := range m.Chats {
				st, ok := f.status[c]
				if !ok {
					st = 1
				}
				list = append(list, map[string]any{"chat_id": c, "userid": m.Sender, "status": st})
			}
		}
		reply(w, map[string]any{"errcode": 0, "errmsg": "ok", "send_list": list})
	})
	mux.HandleFunc("POST /cgi-bin/externalcontact/groupchat/get", func(w http.ResponseWriter, r *http.Request) {
		if !f.tokenOK(r) {
			reply(w, map[string]any{"errcode": 42001, "errmsg": "access_token expired"})
			return
		}
		var req struct {
			ChatID string `json:"chat_id"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		owner, ok := f.owners[req.ChatID]
		if !ok {
			reply(w, map[string]any{"errcode": 40050, "errmsg": "chatid not found"})
			return
		}
		members := []map[string]any{{"userid": owner, "type": 1}, {"userid": "wm-resident", "type": 2}}
		reply(w, map[string]any{"errcode": 0, "errmsg": "ok", "group_chat": map[string]any{"chat_id": req.ChatID, "name": req.ChatID + "群", "owner": owner, "member_list": members}})
	})
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

func (f *Server) tokenOK(r *http.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return r.URL.Query().Get("access_token") == fmt.Sprintf("TOKEN-%d", f.tokens) && f.tokens > f.expired
}

// Take returns and forgets the group messages made.
func (f *Server) Take() []GroupMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.msgs
	f.msgs = nil
	return m
}

// Fail makes the next add_msg_template calls answer these errcodes.
func (f *Server) Fail(codes ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = append(f.failNext, codes...)
}

// SetStatus sets the send status answered for a group (1, sent, when
// never set).
func (f *Server) SetStatus(chat string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status[chat] = status
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
