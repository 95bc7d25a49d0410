package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// Turn is the handling of one message: the request, its parsed input, the
// user's session and identity, and the reply being written. Handlers and
// screens work through it.
type Turn struct {
	Req *Request
	In  Input

	ctx     context.Context
	e       *Engine
	now     time.Time
	user    UserRef
	sess    *Session
	expired bool

	addr        tx.Address
	member      *abci.MemberView
	memberKnown bool

	out     []string
	secrets []string
	later   func(ctx context.Context) (*Reply, error)
}

// Context returns the request's context.
func (t *Turn) Context() context.Context { return t.ctx }

// Say appends the named template, rendered with data, to the reply.
func (t *Turn) Say(name string, data any) { t.say(name, data) }

func (t *Turn) say(name string, data any) {
	s, err := t.e.Templates.Render(name, data)
	if err != nil {
		// A template an operator overrode may fail at run time; the
		// resident sees a generic line and the log says which.
		t.e.Logger.Error("render", "template", name, "err", err)
		s, _ = t.e.Templates.Render("bot.error", nil)
		if s == "" {
			s = "系统忙，请稍后再试。"
		}
	}
	s = strings.TrimSpace(s)
	if s != "" {
		t.out = append(t.out, s)
	}
}

// MaxPartBytes is the most a reply part holds, below WeChat's limit of
// about 2048 bytes for a text message.
const MaxPartBytes = 2000

func (t *Turn) reply() *Reply {
	if len(t.out) == 0 {
		return nil
	}
	return &Reply{Parts: Split(strings.Join(t.out, "\n\n"), MaxPartBytes), Private: t.Req.Group == "", Later: t.later, Secrets: t.secrets}
}

// Split cuts text into parts of at most max bytes, at line boundaries
// where it can and at rune boundaries where a single line is longer.
func Split(text string, max int) []string {
	var parts []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimRight(cur.String(), "\n"); s != "" {
			parts = append(parts, s)
		}
		cur.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		for len(line) > max {
			flush()
			cut := max
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			parts = append(parts, line[:cut])
			line = line[cut:]
		}
		if cur.Len() > 0 && cur.Len()+1+len(line) > max {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
	}
	flush()
	return parts
}

// dispatch routes the message: a guided dialogue's free text to its screen,
// a command word to the Mux, anything else to the screen the user is on.
func (t *Turn) dispatch() error {
	top := t.sess.top()
	var sc *screen
	if top != nil {
		sc = screenFor(top.Screen)
	}
	in := t.In
	// In a dialogue, only navigation and a command with arguments on the
	// same line ("绑定 3-502 123456") are commands; other words are answers.
	nav := in.Kind == KindCommand && (in.Cmd == "菜单" || in.Cmd == "返回" || len(in.Args) > 0)
	if sc != nil && sc.freeText && !nav {
		return sc.input(t, top)
	}
	if in.Kind == KindCommand {
		if h, ok := t.e.Mux.Handler(in.Cmd); ok {
			if !agentWords[in.Cmd] {
				// An owner's agent sees only the votes.
				if m, err := t.Member(); err != nil {
					return err
				} else if m.Agent && m.Unit == "" {
					t.say("bot.agent.only", nil)
					return nil
				}
			}
			return h.ServeChat(t)
		}
	}
	if top == nil {
		if t.expired && in.Kind == KindNumber {
			// The digit was meant for a screen that is gone: it is not
			// read against the home menu, but the home menu is shown at
			// once so that no extra 菜单 is needed.
			t.say("bot.expired", nil)
		}
		return t.Home()
	}
	return sc.input(t, top)
}

// Home shows the home menu, forgetting every other screen.
func (t *Turn) Home() error {
	t.sess.Stack = nil
	return t.Open(Frame{Screen: "home"})
}

// Open pushes a screen and shows it. Screens that are only a message
// (help, a feature still to come) are shown without being pushed.
func (t *Turn) Open(f Frame) error {
	sc := screenFor(f.Screen)
	if sc == nil {
		return fmt.Errorf("no screen %q", f.Screen)
	}
	if t.sess.top() == nil && f.Screen != "home" {
		t.sess.push(Frame{Screen: "home"})
	}
	if sc.message {
		return sc.show(t, &f)
	}
	t.sess.push(f)
	return sc.show(t, t.sess.top())
}

// Back leaves the current screen and shows the one before it (home at
// the bottom).
func (t *Turn) Back() error {
	if top := t.sess.top(); top != nil {
		if sc := screenFor(top.Screen); sc.stepBack != nil && sc.stepBack(top) {
			return sc.show(t, top)
		}
	}
	t.sess.pop()
	return t.showTop()
}

// leaveDialogue drops a guided dialogue the user is in (and its
// confirmation), when a command starts another.
func (t *Turn) leaveDialogue() {
	for top := t.sess.top(); top != nil; top = t.sess.top() {
		if sc := screenFor(top.Screen); !sc.dialogue && top.Screen != "confirm" && top.Screen != "done" {
			return
		}
		t.sess.pop()
	}
}

// showTop shows the screen on top of the stack again, freshly rendered.
func (t *Turn) showTop() error {
	top := t.sess.top()
	if top == nil {
		return t.Home()
	}
	return screenFor(top.Screen).show(t, top)
}

// hint repeats the current screen after a reply it did not understand; a
// screen without numbered choices gets the hint alone, which says how to
// go back.
func (t *Turn) hint(f *Frame) error {
	t.say("bot.hint", hintData{Max: len(f.Choices)})
	if len(f.Choices) == 0 {
		return nil
	}
	return screenFor(f.Screen).show(t, f)
}

type hintData struct{ Max int }

// query runs a query and decodes its answer into v. found is false for
// abci.CodeQueryNotFound; other non-zero codes are errors.
func (t *Turn) query(path string, v any) (found bool, err error) {
	res, err := t.e.Ledger.Query(t.ctx, path)
	if err != nil {
		return false, err
	}
	return res.Decode(path, v)
}

// Address returns the user's chain address.
func (t *Turn) Address() (tx.Address, error) {
	if t.addr == "" {
		a, err := t.e.Ledger.Address(t.user)
		if err != nil {
			return "", err
		}
		t.addr = a
	}
	return t.addr, nil
}

// Member returns what the chain knows of the user: binding and roles. An
// address the chain has never seen gives an empty view.
func (t *Turn) Member() (abci.MemberView, error) {
	if t.memberKnown {
		return *t.member, nil
	}
	a, err := t.Address()
	if err != nil {
		return abci.MemberView{}, err
	}
	var m abci.MemberView
	if _, err := t.query("members/"+string(a), &m); err != nil {
		return abci.MemberView{}, err
	}
	m.Address = a
	t.member, t.memberKnown = &m, true
	return m, nil
}

func hasRole(m abci.MemberView, roles ...string) bool {
	for _, r := range m.Roles {
		for _, want := range roles {
			if r == want {
				return true
			}
		}
	}
	return false
}

// community returns the community's name from genesis, cached.
func (t *Turn) community() string {
	t.e.chainMu.Lock()
	defer t.e.chainMu.Unlock()
	if t.e.community == "" {
		var c abci.ChainInfo
		if ok, err := t.query("chain", &c); ok && err == nil {
			t.e.community = c.Community
		}
	}
	return t.e.community
}

// date formats a unix time as residents read it, with the weekday that
// people plan by: 3月20日（周五）18:00.
func (t *Turn) date(unix int64) string { return DateTime(t.e.unixTime(unix)) }

// DateTime formats tm as every screen and notice shows a time, with its
// weekday: 3月20日（周五）18:00. The notifier uses it too.
func DateTime(tm time.Time) string { return dayName(tm) + tm.Format("15:04") }

// dayName formats a date with its weekday: 3月20日（周五）.
func dayName(tm time.Time) string {
	return tm.Format("1月2日") + "（周" + weekdays[tm.Weekday()] + "）"
}

var weekdays = [...]string{"日", "一", "二", "三", "四", "五", "六"}

// gone answers a screen whose subject has disappeared from the ledger (a
// withdrawn item, an entry id that does not exist): it says so and goes
// back to the screen before.
func (t *Turn) gone() error {
	t.say("bot.notfound", nil)
	t.sess.pop()
	return t.showTop()
}
