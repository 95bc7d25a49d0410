package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/bot/wechatmp"
	"github.com/linli-community/linli/internal/fakewx"
	"github.com/linli-community/linli/store"
)

// runWx runs a linli command in-process with openwechat's requests going to
// the fake.
func runWx(t testing.TB, tr http.RoundTripper, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = Run(ctx, args, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, WeChatTransport: tr})
	return out.String(), errb.String(), err
}

// wxgroupHome is a test home with [wxgroup] as extra says.
func wxgroupHome(t *testing.T, extra string) (h, rpc string) {
	t.Helper()
	h, rpc = testHome(t)
	f, err := os.OpenFile(filepath.Join(h, "linli.toml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(extra); err != nil {
		t.Fatal(err)
	}
	return h, rpc
}

func TestWxgroupCheckSaysWhatIsMissing(t *testing.T) {
	fake := fakewx.New(t)
	h, _ := wxgroupHome(t, "")
	out, _, err := runWx(t, nil, "wxgroup", "check", "--home", h)
	if err == nil {
		t.Fatalf("check passed on a home without the group account:\n%s", out)
	}
	for _, want := range []string{"FAIL  [wxgroup] enabled = false", "FAIL  no saved session", "FAIL  no group belongs to the community", "at least 30s between two sends to one group", "at most 20 sends to one group and 200 in all", "Tencent's rules"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	h, _ = wxgroupHome(t, "[wxgroup]\nenabled = true\nofficial_account = \"阳光花园服务号\"\n[wxgroup.groups]\n\"3号楼业主群\" = \"3\"\n")
	out, _, err = runWx(t, fake.Transport(), "wxgroup", "login", "--home", h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "logged in as "+fakewx.Nick) || !strings.Contains(out, "▀") || !strings.Contains(out, fakewx.UUID) {
		t.Errorf("login printed:\n%s", out)
	}
	out, _, err = runWx(t, nil, "wxgroup", "check", "--home", h)
	if err != nil {
		t.Fatalf("check failed after login: %v\n%s", err, out)
	}
	if !strings.Contains(out, "ok    a saved session") || !strings.Contains(out, "「3号楼业主群」 building 3 (linli.toml)") {
		t.Errorf("check output:\n%s", out)
	}
	if fi, err := os.Stat(filepath.Join(h, "data", "gateway.db")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("gateway.db: %v, mode %v", err, fi.Mode())
	}
}

func TestWxgroupRejectsPacingBelowTheFloor(t *testing.T) {
	h, _ := wxgroupHome(t, "[wxgroup]\ngap = \"10s\"\ndaily = 500\n")
	out, _, err := runWx(t, nil, "wxgroup", "check", "--home", h)
	if err == nil || !strings.Contains(out, "wxgroup.gap: 10s is not between 30s and 1h") || !strings.Contains(out, "wxgroup.daily: 500 is not between 1 and 200") {
		t.Errorf("check: %v\n%s", err, out)
	}
}

func TestWxgroupBindcodeGroupsAndUnbind(t *testing.T) {
	h, _ := wxgroupHome(t, "")
	out, errOut, err := runWx(t, nil, "wxgroup", "bindcode", "--home", h, "--building", "5")
	if err != nil {
		t.Fatal(err)
	}
	code := strings.TrimSpace(strings.TrimPrefix(out, "绑定本群 "))
	if len(code) != 14 || !strings.Contains(errOut, "building 5") || strings.Contains(errOut, code) {
		t.Errorf("bindcode printed %q and %q", out, errOut)
	}
	if _, _, err := runWx(t, nil, "wxgroup", "unbind", "--home", h, "5号楼群"); err == nil {
		t.Error("unbind of an unbound group succeeded")
	}
}

// runStartWx runs `linli start` with openwechat going to the fake, until
// the test ends, and waits until its stderr shows want.
func runStartWx(t *testing.T, h string, tr http.RoundTripper, want string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		done <- Run(ctx, []string{"start", "--home", h}, &Env{Stdout: logs, Stderr: logs, WeChatTransport: tr})
	}()
	var once sync.Once
	t.Cleanup(func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("linli start: %v\n%s", err, logs.String())
				}
			case <-time.After(20 * time.Second):
				t.Errorf("linli start did not stop within 20s")
			}
		})
	})
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logs.String(), want); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("linli start exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("linli start did not say %q within 20s:\n%s", want, logs.String())
		}
	}
	return logs
}

func TestStartRunsTheGroupAccountEndToEnd(t *testing.T) {
	fake := fakewx.New(t)
	h, rpc := wxgroupHome(t, "[wechat]\nnotify_interval = \"1s\"\n[wxgroup]\nenabled = true\nofficial_account = \"阳光花园服务号\"\n[wxgroup.groups]\n\"3号楼业主群\" = \"3\"\n\"阳光花园大家庭\" = \"\"\n")
	if _, errOut, err := runWx(t, fake.Transport(), "wxgroup", "start", "--home", h); err == nil {
		t.Fatalf("an unknown subcommand succeeded: %s", errOut)
	}
	// Never logged in: start refuses, saying what to do.
	if _, _, err := runWx(t, fake.Transport(), "start", "--home", h); err == nil || !strings.Contains(err.Error(), "linli wxgroup login") {
		t.Fatalf("start without a saved session: %v", err)
	}
	if _, _, err := runWx(t, fake.Transport(), "wxgroup", "login", "--home", h); err != nil {
		t.Fatal(err)
	}
	out, _, err := runWx(t, nil, "wxgroup", "bindcode", "--home", h, "--building", "5")
	if err != nil {
		t.Fatal(err)
	}
	code := strings.TrimSpace(strings.TrimPrefix(out, "绑定本群 "))

	logs := runStartWx(t, h, fake.Transport(), "WeChat group account logged in")
	// The real engine answers a public question, in the group.
	fake.Push("@@g3", "@u1", "@"+fakewx.Nick+"\u2005投票")
	got := fake.WaitSent(t)
	if got.Group != "3号楼业主群" || got.Content != "现在没有进行中的表决或投票。" {
		t.Errorf("the group got %+v", got)
	}
	// A message without the mention or a command word gets nothing; an
	// admin binds building 5's group from inside it.
	fake.Push("@@g5", "@u3", "今天停水吗")
	fake.Push("@@g5", "@u3", "@"+fakewx.Nick+"\u2005绑定本群 "+code)
	got = fake.WaitSent(t)
	if got.Group != "5号楼群" || !strings.Contains(got.Content, "「阳光花园」") || !strings.Contains(got.Content, "关联 5 栋") {
		t.Errorf("binding answered %+v", got)
	}
	// An admin makes a code in chat (管理 绑群, the whole community's
	// group, confirmed) and binds 钓鱼群 with it in the same way.
	boss := decode[struct{ Address string }](t, mustRun(t, "keys", "derive", "--home", h, "--channel", "console", "--user", "boss"))
	mustRun(t, "tx", "role.grant", `{"address":"`+boss.Address+`","role":"admin"}`, "--home", h, "--node", rpc)
	chatOut, chatErr, err := runIn(t, "管理 绑群\n1\n1\n", "chat", "--as", "boss", "--home", h, "--node", rpc)
	if err != nil {
		t.Fatalf("chat: %v\n%s\n%s", err, chatOut, chatErr)
	}
	m := regexp.MustCompile(`绑定本群 (\d{4} \d{4} \d{4})\n`).FindStringSubmatch(chatOut)
	if m == nil || !strings.Contains(chatOut, "绑定后这个群是全小区的群") {
		t.Fatalf("管理 绑群 in chat answered:\n%s", chatOut)
	}
	chatCode := m[1]
	fake.Push("@@gx", "@u9", "@"+fakewx.Nick+"\u2005绑定本群 "+chatCode)
	got = fake.WaitSent(t)
	if got.Group != "钓鱼群" || !strings.Contains(got.Content, "本群已加入「阳光花园」") || strings.Contains(got.Content, "栋") {
		t.Errorf("binding with the chat's code answered %+v", got)
	}
	out, _, err = runWx(t, nil, "wxgroup", "groups", "--home", h)
	if err != nil || !strings.Contains(out, "「5号楼群」 building 5 (bound with a code)") || !strings.Contains(out, "「3号楼业主群」 building 3 (linli.toml)") ||
		!strings.Contains(out, "「钓鱼群」 the whole community (bound with a code)") {
		t.Errorf("groups: %v\n%s", err, out)
	}
	// An admin's announcement reaches every group through the notifier,
	// once its first scan has only remembered the chain.
	gw, err := store.OpenGateway(filepath.Join(h, "data", "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, ok, _ := gw.Wechat().GetState(context.Background(), "group/baseline"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the notifier never scanned:\n%s", logs.String())
		}
	}
	if out, errOut, err := runWx(t, nil, "tx", "announcement.post", `{"title":"停水通知","text":"明天9点到12点停水"}`, "--home", h, "--node", rpc); err != nil {
		t.Fatalf("announcement: %v\n%s%s", err, out, errOut)
	}
	// The whole community's group is free; the other two wait their gap.
	got = fake.WaitSent(t)
	if got.Group != "阳光花园大家庭" || !strings.Contains(got.Content, "停水通知") {
		t.Errorf("the announcement went as %+v", got)
	}

	// WeChat logs the account out: it stops and says so; linli runs on.
	fake.Set(func(f *fakewx.Server) { f.SyncRet = "1101" })
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), "the group account stopped"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no stop in the log:\n%s", logs.String())
		}
	}
	if n := fake.Count("webwxinit"); n != 2 {
		t.Errorf("webwxinit called %d times, want 2 (login, one hot login)", n)
	}
	if strings.Contains(logs.String(), fakewx.Sid) || strings.Contains(logs.String(), code) || strings.Contains(logs.String(), chatCode) {
		t.Error("the log shows a secret")
	}
}

// TestWechatAdminMakesAGroupCode runs `linli start` with the official
// account and the group account on: an admin's 管理 绑群 on the official
// account answers with a code that binds a group, and gateway.db, where
// the webhook keeps its replies for WeChat's retries, never holds it.
func TestWechatAdminMakesAGroupCode(t *testing.T) {
	fake := fakewx.New(t)
	h, rpc, hook := wechatHome(t, "http://127.0.0.1:9", 0o600, "allow_plaintext = true\n[wxgroup]\nenabled = true\nofficial_account = \"阳光花园服务号\"\n")
	if _, _, err := runWx(t, fake.Transport(), "wxgroup", "login", "--home", h); err != nil {
		t.Fatal(err)
	}
	runStartWx(t, h, fake.Transport(), "WeChat group account logged in")
	admin := decode[struct{ Address string }](t, mustRun(t, "keys", "derive", "--home", h, "--channel", wechatmp.Channel, "--user", "oAdmin"))
	mustRun(t, "tx", "role.grant", `{"address":"`+admin.Address+`","role":"admin"}`, "--home", h, "--node", rpc)
	mustRun(t, "tx", "unit.register", `{"units":[{"unit":"5-101","building":"5","area":8950,"owner":"O-1"}]}`, "--home", h, "--node", rpc)

	say := func(id int, text string) string {
		t.Helper()
		ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), strconv.Itoa(id)
		q := url.Values{"signature": {wxSig(wxToken, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}}
		msg := fmt.Sprintf("<xml><ToUserName>gh_1</ToUserName><FromUserName>oAdmin</FromUserName><CreateTime>%s</CreateTime><MsgType>text</MsgType><Content>%s</Content><MsgId>%d</MsgId></xml>", ts, text, id)
		res, err := http.Post(hook+"?"+q.Encode(), "text/xml", strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return string(body)
	}
	if got := say(1, "管理 绑群 5号楼"); !strings.Contains(got, "关联 5 栋") || !strings.Contains(got, "确认请回复 1") {
		t.Fatalf("管理 绑群 answered %s", got)
	}
	got := say(2, "1")
	m := regexp.MustCompile(`绑定本群 (\d{4} \d{4} \d{4})\n`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("the confirmation answered %s", got)
	}
	code := m[1]

	fake.Push("@@g5", "@u3", "@"+fakewx.Nick+"\u2005绑定本群 "+code)
	sent := fake.WaitSent(t)
	if sent.Group != "5号楼群" || !strings.Contains(sent.Content, "关联 5 栋") {
		t.Errorf("binding with the official account's code answered %+v", sent)
	}
	// The reply is recorded, without the code, beside being written.
	db := filepath.Join(h, "data", "gateway.db")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(db + "-wal")
		a, _ := os.ReadFile(db)
		all := string(a) + string(b)
		if strings.Contains(all, code) {
			t.Fatal("gateway.db holds the group's binding code")
		}
		if strings.Contains(all, "（已隐藏）") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the reply with the code was never recorded")
		}
	}
}
