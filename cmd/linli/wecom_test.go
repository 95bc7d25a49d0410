package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/bot/wecom/wecomtest"
	"github.com/linli-community/linli/store"
)

// wecomHome is an initialised home whose linli.toml enables the WeCom
// channel with WeCom's API at the fake f, the groups given as TOML, and
// a secret file of mode perm.
func wecomHome(t *testing.T, f *wecomtest.Server, perm os.FileMode, groups string) (h, rpc string) {
	t.Helper()
	h, rpc = testHome(t)
	conf := fmt.Sprintf("log_level = \"error\"\n[board]\nlisten = \"127.0.0.1:0\"\n[wechat]\nnotify_interval = \"1s\"\n"+
		"[wecom]\nenabled = true\ncorp_id = %q\napi_url = %q\nofficial_account = \"阳光花园业委会\"\n%s", f.CorpID, f.URL, groups)
	if err := os.WriteFile(filepath.Join(h, "linli.toml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	sec := filepath.Join(h, "config", "wecom_secret.toml")
	if err := os.WriteFile(sec, []byte("secret = \""+f.Secret+"\"\n"), perm); err != nil {
		t.Fatal(err)
	}
	os.Chmod(sec, perm)
	return h, rpc
}

const wecomGroupsTOML = "[[wecom.groups]]\nchat_id = \"wr-all\"\nowner = \"zhang\"\n[[wecom.groups]]\nchat_id = \"wr-b3\"\nowner = \"li\"\nbuilding = \"3\"\n"

func TestWecomCheck(t *testing.T) {
	f := wecomtest.New(t, map[string]string{"wr-all": "zhang", "wr-b3": "wang"})
	h, _ := wecomHome(t, f, 0o644, wecomGroupsTOML)
	out, _, err := run(t, "wecom", "check", "--home", h)
	if !errors.Is(err, errReported) || !strings.Contains(out, "FAIL  ") || !strings.Contains(out, "readable by others") {
		t.Errorf("a 0644 secret file: err %v, output:\n%s", err, out)
	}
	os.Chmod(filepath.Join(h, "config", "wecom_secret.toml"), 0o600)
	out, _, err = run(t, "wecom", "check", "--home", h)
	for _, want := range []string{
		"ok    [wecom] enabled: `linli start` posts the important public notices to 2 customer group(s)",
		"ok    budget: 1 group message(s) a day and the days of the month a month per group",
		"ok    group wr-b3 (owner li): building 3's votes and the community's notices",
		"ok    access token: WeCom accepts the corp id and secret",
		"ok    group wr-all 「wr-all群」: owner zhang, 2 members",
		"FAIL  group wr-b3 「wr-b3群」: its owner is wang, not li",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if !errors.Is(err, errReported) || strings.Contains(out, f.Secret) {
		t.Errorf("err %v; the output must not show the secret:\n%s", err, out)
	}
	out, _, err = run(t, "wecom", "check", "--offline", "--home", h)
	if err != nil || strings.Contains(out, "access token") {
		t.Errorf("offline: err %v, output:\n%s", err, out)
	}
}

func TestStartRefusesAReadableWecomSecret(t *testing.T) {
	f := wecomtest.New(t, map[string]string{"wr-all": "zhang"})
	h, _ := wecomHome(t, f, 0o640, wecomGroupsTOML)
	_, _, err := run(t, "start", "--home", h)
	if err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("start with a 0640 secret file: %v", err)
	}
}

// TestStartPostsToWecomGroups runs `linli start` with the WeCom channel
// against the fake: an admin's important announcement, committed on the
// node, reaches the customer groups as one group message each, ending
// with how to reach the official account; after a restart the next one
// does, and the first is not sent again.
func TestStartPostsToWecomGroups(t *testing.T) {
	f := wecomtest.New(t, map[string]string{"wr-all": "zhang", "wr-b3": "li"})
	h, rpc := wecomHome(t, f, 0o600, "per_day = 5\n"+wecomGroupsTOML)
	stop := runNode(t, h, rpc)

	// The notifier's first scan only remembers; news comes after it.
	gw, err := store.OpenGateway(filepath.Join(h, "data", "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	waitFor(t, "the notifier's first scan", func() bool {
		_, ok, err := gw.Wechat().GetState(t.Context(), "group/baseline")
		return err == nil && ok
	})
	mustRun(t, "tx", "announcement.post", `{"title":"【重要】停水通知","text":"周六 9:00–12:00 停水。"}`, "--home", h, "--node", rpc)
	var got []wecomtest.GroupMsg
	waitFor(t, "the group messages", func() bool {
		got = append(got, f.Take()...)
		return len(got) >= 2
	})
	senders := map[string]string{}
	for _, m := range got {
		for _, c := range m.Chats {
			senders[c] = m.Sender
		}
		if !strings.Contains(m.Text, "📣 公告：【重要】停水通知\n周六 9:00–12:00 停水。") || !strings.HasSuffix(m.Text, "关注公众号「阳光花园业委会」，在公众号里回复 菜单。）") {
			t.Errorf("group message %q", m.Text)
		}
	}
	if fmt.Sprint(senders) != "map[wr-all:zhang wr-b3:li]" {
		t.Errorf("sent as %v, want each group's owner", senders)
	}

	stop()
	runNode(t, h, rpc)
	mustRun(t, "tx", "announcement.post", `{"title":"【重要】停电通知","text":"周日停电。"}`, "--home", h, "--node", rpc)
	got = nil
	waitFor(t, "the group messages after a restart", func() bool {
		got = append(got, f.Take()...)
		return len(got) >= 2
	})
	for _, m := range got {
		if !strings.Contains(m.Text, "停电通知") || strings.Contains(m.Text, "停水通知") {
			t.Errorf("after a restart: %q", m.Text)
		}
	}
}

// waitFor polls cond until it holds, for at most 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s", what)
		}
	}
}
