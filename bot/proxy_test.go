package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/bot"
)

// say sends one message as name and returns the reply.
func (w *world) say(t *testing.T, name, text string) *bot.Reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := w.e.Handle(ctx, &bot.Request{Channel: "console", User: name, Text: text, MsgID: fmt.Sprint(time.Now().UnixNano())})
	if err != nil {
		t.Fatalf("%s: %q: %v", name, text, err)
	}
	return r
}

func wantIn(t *testing.T, r *bot.Reply, sent string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(r.Text(), w) {
			t.Errorf("reply to %q lacks %q:\n%s", sent, w, r.Text())
		}
	}
}

var agentCodeShown = regexp.MustCompile(`代理码：(\d{4} \d{4} \d{4} \d{4})`)

// TestAgentFromOutside: wang appoints someone from outside; the agent code
// is shown once, as a secret, and never kept in a session or a log. The
// outsider mistypes it, then accepts, sees only the votes, and votes for
// wang.
func TestAgentFromOutside(t *testing.T) {
	w := startWorld(t)
	var logs bytes.Buffer
	w.e.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, m := range []string{"委托", "1", "1", "2"} {
		w.say(t, "wang", m)
	}
	r := w.say(t, "wang", "1")
	m := agentCodeShown.FindStringSubmatch(r.Text())
	if m == nil {
		t.Fatalf("no agent code in the receipt:\n%s", r.Text())
	}
	code := m[1]
	digits := strings.ReplaceAll(code, " ", "")
	if len(r.Secrets) != 1 || r.Secrets[0] != code {
		t.Errorf("Secrets = %q, want the code %q, so that adapters never store it", r.Secrets, code)
	}
	wantIn(t, r, "1", "代理 3-502 代理码")
	if state, _, _, err := w.gw.Sessions().Get(context.Background(), "console", "wang"); err != nil || bytes.Contains(state, []byte(digits)) || bytes.Contains(state, []byte(code)) {
		t.Errorf("wang's session keeps the agent code (err %v): %s", err, state)
	}

	// The owner's list shows the code as not yet used.
	wantIn(t, w.say(t, "wang", "委托"), "委托", "小区外代理人（代理码还没用）")

	// Someone who names a unit without a pending code is told so.
	wantIn(t, w.say(t, "son", "代理 3-601 "+code), "代理 3-601", "3-601 的业主没有待接受的委托")
	wrong := []byte(digits)
	wrong[15] = '0' + (wrong[15]-'0'+1)%10
	wantIn(t, w.say(t, "son", "代理 3-502 "+string(wrong)), "代理 3-502 wrong", "接受 3-502 业主的委托")
	wantIn(t, w.say(t, "son", "1"), "1", "代理码不对", "请回复 3-502 业主给您的代理码")
	wantIn(t, w.say(t, "son", code), code, "接受 3-502 业主的委托")
	wantIn(t, w.say(t, "son", "1"), "1", "✅ 已记录", "委托已接受")

	// An agent sees only the votes.
	wantIn(t, w.say(t, "son", "菜单"), "菜单", "您是业主委托的代理人", "1 投票表决")
	for _, cmd := range []string{"账目", "共享", "报修", "委托", "我的"} {
		wantIn(t, w.say(t, "son", cmd), cmd, "只能为委托您的业主投票")
	}
	if r := w.say(t, "son", "投票"); strings.Contains(r.Text(), "联名") {
		t.Errorf("an agent is offered the owners' meeting requests:\n%s", r.Text())
	}
	r = w.say(t, "son", "1")
	wantIn(t, r, "1", "1 为委托您的业主投票（1 户）")
	if strings.Contains(r.Text(), "1 同意") {
		t.Errorf("an agent is offered a vote of its own:\n%s", r.Text())
	}
	wantIn(t, w.say(t, "son", "1"), "1", "1 3-502 的业主：还没投")
	w.say(t, "son", "1")
	wantIn(t, w.say(t, "son", "同意"), "同意", "代 3-502 的业主对【使用维修资金更换3栋电梯】投 同意")
	wantIn(t, w.say(t, "son", "1"), "1", "✅ 已记录")

	res, err := w.cust.Query(context.Background(), "ballots/1/O-7")
	if err != nil {
		t.Fatal(err)
	}
	var b abci.Ballot
	json.Unmarshal(res.Value, &b)
	if b.Via() != abci.ChannelProxy || b.Choice != 0 {
		t.Errorf("O-7's ballot = %+v, want the agent's 同意 by proxy", b)
	}
	// wang sees the proxy's vote as such, and can override it.
	w.say(t, "wang", "投票")
	wantIn(t, w.say(t, "wang", "1"), "1", "您已投：同意（代理人代投")

	if bytes.Contains(logs.Bytes(), []byte(digits)) || bytes.Contains(logs.Bytes(), []byte(code)) {
		t.Errorf("the agent code reached the log:\n%s", logs.String())
	}
}
