package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/bot/wechatmp"
	"github.com/linli-community/linli/node"
	"github.com/linli-community/linli/store"
)

const wxToken = "cmdTestToken"

// wechatHome is an initialised home whose linli.toml enables the WeChat
// gateway on a free loopback port, with WeChat's API at api (never the
// real one), and whose secret file has mode perm.
func wechatHome(t *testing.T, api string, perm os.FileMode, extra string) (h, rpc, hook string) {
	t.Helper()
	h, rpc = testHome(t)
	addr, err := node.FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	listen := strings.TrimPrefix(addr, "tcp://")
	if !strings.Contains(extra, "[board]") {
		extra += "[board]\nlisten = \"127.0.0.1:0\"\n" // a free port: homes never collide
	}
	conf := fmt.Sprintf("log_level = \"error\"\n[wechat]\nenabled = true\nlisten = %q\napp_id = \"wx1234567890abcdef\"\napi_url = %q\nnotify = false\n%s", listen, api, extra)
	if err := os.WriteFile(filepath.Join(h, "linli.toml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	sec := filepath.Join(h, "config", "wechat_secret.toml")
	if err := os.WriteFile(sec, []byte("app_secret = \"s3cret\"\ntoken = \""+wxToken+"\"\n"), perm); err != nil {
		t.Fatal(err)
	}
	os.Chmod(sec, perm)
	return h, rpc, "http://" + listen + "/wechat"
}

func wxSig(parts ...string) string {
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

func TestWechatCheck(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cgi-bin/stable_token":
			var req struct{ Secret string }
			json.NewDecoder(r.Body).Decode(&req)
			if req.Secret != "s3cret" {
				fmt.Fprint(w, `{"errcode":40125,"errmsg":"invalid appsecret"}`)
				return
			}
			fmt.Fprint(w, `{"access_token":"TOKEN-XYZ","expires_in":7200}`)
		case "/cgi-bin/template/get_all_private_template":
			fmt.Fprint(w, `{"template_list":[{"template_id":"tmpl-ok"}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	templates := "[wechat.templates.reminder]\nid = \"tmpl-ok\"\nfields = { thing1 = \"title\" }\n[wechat.templates.result]\nid = \"tmpl-gone\"\nfields = { thing1 = \"title\" }\n"

	h, _, _ := wechatHome(t, api.URL, 0o644, templates)
	out, _, err := run(t, "wechat", "check", "--home", h)
	if !errors.Is(err, errReported) || !strings.Contains(out, "FAIL  ") || !strings.Contains(out, "readable by others") {
		t.Errorf("a 0644 secret file: err %v, output:\n%s", err, out)
	}

	os.Chmod(filepath.Join(h, "config", "wechat_secret.toml"), 0o600)
	out, _, err = run(t, "wechat", "check", "--home", h)
	for _, want := range []string{"ok    access token", "ok    template for reminder: tmpl-ok exists", "FAIL  template for result: the account has no template tmpl-gone",
		"FAIL  mode: plaintext (no encoding_aes_key): `linli start` refuses it",
		"ok    push quota: 5 customer-service messages within 47h0m0s of a message the user sent, 3 within 50s of a click or follow",
		"ok    reverse proxy: WeChat needs HTTPS; point your HTTPS proxy's https://YOUR-DOMAIN/wechat at http://127.0.0.1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if !errors.Is(err, errReported) || strings.Contains(out, "TOKEN-XYZ") || strings.Contains(out, "s3cret") {
		t.Errorf("err %v; the output must not show secrets:\n%s", err, out)
	}
}

func TestWechatMenuDryRunWritesTheDefault(t *testing.T) {
	h, _, _ := wechatHome(t, "http://127.0.0.1:9", 0o600, "")
	out := mustRun(t, "wechat", "menu", "--dry-run", "--home", h)
	var m struct {
		Button []struct {
			Name string `json:"name"`
		} `json:"button"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || len(m.Button) != 3 || m.Button[0].Name != "投票" {
		t.Errorf("dry run printed %s (%v)", out, err)
	}
	if _, err := os.Stat(filepath.Join(h, "config", "wechat_menu.toml")); err != nil {
		t.Errorf("default menu not written: %v", err)
	}
}

func TestWechatMenuLinksTheBoardsPublicURL(t *testing.T) {
	h, _, _ := wechatHome(t, "http://127.0.0.1:9", 0o600, "[board]\npublic_url = \"https://gongshi.example.org/\"\n")
	out := mustRun(t, "wechat", "menu", "--dry-run", "--home", h)
	if !strings.Contains(out, `"url": "https://gongshi.example.org/"`) || !strings.Contains(out, "公示栏") {
		t.Errorf("the default menu does not link the board's public_url:\n%s", out)
	}
}

// TestStartServesWechat runs `linli start` with the gateway enabled and
// talks to it as WeChat does.
func TestStartServesWechat(t *testing.T) {
	// The webhook speaks with the wording of linli.toml's chat.templates.
	h, rpc, hook := wechatHome(t, "http://127.0.0.1:9", 0o600, "allow_plaintext = true\n[chat]\ntemplates = \"wording\"\n")
	if err := os.MkdirAll(filepath.Join(h, "wording"), 0o755); err != nil {
		t.Fatal(err)
	}
	home := `{{define "bot.home"}}【{{.Community}}】欢迎！回复 1 投票表决{{end}}`
	if err := os.WriteFile(filepath.Join(h, "wording", "ours.tmpl"), []byte(home), 0o644); err != nil {
		t.Fatal(err)
	}
	runNode(t, h, rpc)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	q := url.Values{"signature": {wxSig(wxToken, ts, "7")}, "timestamp": {ts}, "nonce": {"7"}, "echostr": {"hello"}}
	var res *http.Response
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err = http.Get(hook + "?" + q.Encode()); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "hello" {
		t.Errorf("verification answered %d %q", res.StatusCode, body)
	}

	q.Del("echostr")
	msg := fmt.Sprintf("<xml><ToUserName>gh_1</ToUserName><FromUserName>oCmd</FromUserName><CreateTime>%s</CreateTime><MsgType>text</MsgType><Content>菜单</Content><MsgId>1</MsgId></xml>", ts)
	res, err = http.Post(hook+"?"+q.Encode(), "text/xml", strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "【阳光花园】欢迎！回复 1 投票表决") {
		t.Errorf("menu answered %d %s", res.StatusCode, body)
	}
	q.Set("signature", wxSig("wrong", ts, "7"))
	res, err = http.Post(hook+"?"+q.Encode(), "text/xml", strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("bad signature answered %d", res.StatusCode)
	}
}

func TestStartRefusesAReadableSecret(t *testing.T) {
	h, _, _ := wechatHome(t, "http://127.0.0.1:9", 0o640, "")
	_, _, err := run(t, "start", "--home", h)
	if err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("start with a 0640 secret file: %v", err)
	}
}

func TestWechatCheckFailsInPlaintextModeEvenWhenAllowed(t *testing.T) {
	h, _, _ := wechatHome(t, "http://127.0.0.1:9", 0o600, "allow_plaintext = true\n")
	out, _, err := run(t, "wechat", "check", "--offline", "--home", h)
	if !errors.Is(err, errReported) || !strings.Contains(out, "FAIL  mode: PLAINTEXT (allow_plaintext = true)") {
		t.Errorf("err %v, output:\n%s", err, out)
	}
	sec := filepath.Join(h, "config", "wechat_secret.toml")
	if err := os.WriteFile(sec, []byte("app_secret = \"s3cret\"\ntoken = \""+wxToken+"\"\nencoding_aes_key = \"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = run(t, "wechat", "check", "--offline", "--home", h)
	if err != nil || !strings.Contains(out, "ok    mode: safe or compatible mode") {
		t.Errorf("safe mode: err %v, output:\n%s", err, out)
	}
}

func TestStartRefusesPlaintextMode(t *testing.T) {
	h, _, _ := wechatHome(t, "http://127.0.0.1:9", 0o600, "")
	_, _, err := run(t, "start", "--home", h)
	if err == nil || !strings.Contains(err.Error(), "plaintext mode") || !strings.Contains(err.Error(), "allow_plaintext = true") {
		t.Errorf("start in plaintext mode: %v", err)
	}
}

func TestWechatUndeliveredLists(t *testing.T) {
	h, _, _ := wechatHome(t, "http://127.0.0.1:9", 0o600, "")
	gw, err := store.OpenGateway(filepath.Join(h, "data", "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 3 {
		if err := gw.Wechat().RecordUndelivered(ctx, "oU", "reminder", fmt.Sprintf("⏰ 第 %d 条提醒", i), "no customer-service quota left; no template or subscription message for reminder", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	gw.Close()
	out := mustRun(t, "wechat", "undelivered", "--limit", "2", "--home", h)
	for _, want := range []string{"3 notices not delivered in the last 24h0m0s (the newest 2 shown)", "⏰ 第 2 条提醒", "why: no customer-service quota left", "user " + wechatmp.HashID("oU")} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "第 0 条") || strings.Contains(out, "oU ") {
		t.Errorf("output shows more than the limit or the openid:\n%s", out)
	}
}
