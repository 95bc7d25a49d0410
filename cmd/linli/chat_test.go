package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runIn runs a linli command in-process with stdin and returns what it
// printed.
func runIn(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = Run(ctx, args, &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), err
}

// TestDemoVotesOnTheFirstItem is README's first command with a scripted
// resident: 菜单, then 1 1 1 1 votes on the first open item and prints the
// receipt; closing stdin ends the demo and removes its home.
func TestDemoVotesOnTheFirstItem(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	out, errOut, err := runIn(t, "菜单\n1\n1\n1\n1\n", "demo")
	if err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	for _, want := range []string{
		"> 菜单\n【阳光花园】您好，3-502 业主！",
		"1 【表决】使用维修资金更换3栋两部电梯（投票中",
		"已投票 12 位业主，共 116 位",
		"您将对【使用维修资金更换3栋两部电梯】投 同意，确认请回复 1，重选请回复 2",
		"✅ 已记录：对【使用维修资金更换3栋两部电梯】投 同意\n区块 #",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "回复 菜单") {
		t.Errorf("demo printed no hint: %s", errOut)
	}
	left, _ := os.ReadDir(tmp)
	if len(left) != 0 {
		t.Errorf("demo left %v in its temp dir", left)
	}
}

// TestChatAgainstANode binds and votes through `linli chat` against a node
// started with `linli start`, and the conversation's receipts survive the
// chat process ending (sessions live in the home's gateway.db).
func TestChatAgainstANode(t *testing.T) {
	h, rpc := testHome(t)
	runNode(t, h, rpc)
	cl := []string{"--home", h, "--node", rpc}
	mustRun(t, append([]string{"tx", "unit.register", `{"units":[{"unit":"3-502","building":"3","area":8950,"owner":"O-7"}]}`}, cl...)...)
	code, errOut, err := run(t, append([]string{"bindcode", "3-502"}, cl...)...)
	if err != nil {
		t.Fatalf("bindcode: %v %s", err, errOut)
	}
	code = strings.TrimSpace(code)

	out, errOut, err := runIn(t, "绑定 3-502 "+code+"\n1\n", append([]string{"chat", "--as", "wang"}, cl...)...)
	if err != nil {
		t.Fatalf("chat: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "✅ 已记录：绑定房屋 3-502（业主）") {
		t.Errorf("chat bind:\n%s", out)
	}
	// `linli chat --as wang` is the chat user console:wang of `linli tx --as`.
	a := decode[struct{ Address string }](t, mustRun(t, "keys", "derive", "--home", h, "--channel", "console", "--user", "wang"))
	if m := decode[struct{ Unit string }](t, mustRun(t, append([]string{"query", "members/" + a.Address}, cl...)...)); m.Unit != "3-502" {
		t.Errorf("console:wang's member = %+v, want bound to 3-502", m)
	}
	out, _, err = runIn(t, "回执\n", append([]string{"chat", "--as", "wang"}, cl...)...)
	if err != nil || !strings.Contains(out, "绑定房屋 3-502（业主）") {
		t.Errorf("receipts in a second chat: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(h, "data", "gateway.db")); err != nil {
		t.Errorf("no gateway.db in the home: %v", err)
	}

	// linli.toml's [chat] templates replace wording; --templates overrides it.
	f, err := os.OpenFile(filepath.Join(h, "linli.toml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("[chat]\ntemplates = \"wording\"\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.MkdirAll(filepath.Join(h, "wording"), 0o755); err != nil {
		t.Fatal(err)
	}
	footer := `{{define "bot.footer"}}0 上一步 · 菜单 回到开头{{end}}`
	if err := os.WriteFile(filepath.Join(h, "wording", "ours.tmpl"), []byte(footer), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _, err := runIn(t, "回执\n", append([]string{"chat", "--as", "wang"}, cl...)...); err != nil || !strings.Contains(out, "0 上一步 · 菜单 回到开头") {
		t.Errorf("chat with linli.toml's chat.templates: %v\n%s", err, out)
	}
	if out, _, err := runIn(t, "回执\n", append([]string{"chat", "--as", "wang", "--templates", ""}, cl...)...); err != nil || !strings.Contains(out, "0 返回 · 菜单 回首页") {
		t.Errorf("chat with --templates \"\": %v\n%s", err, out)
	}
	if _, _, err := runIn(t, "", "chat", "--home", h); err == nil {
		t.Error("chat without --as: no error")
	}
}
