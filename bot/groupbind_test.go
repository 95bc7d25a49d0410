package bot

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// memGroupCodes records each code asked for; err, when set, fails it.
type memGroupCodes struct {
	mu        sync.Mutex
	buildings []string
	err       error
}

const groupCode = "4821 5039 6712"

func (g *memGroupCodes) NewGroupCode(_ context.Context, building string) (string, time.Time, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return "", time.Time{}, g.err
	}
	g.buildings = append(g.buildings, building)
	return groupCode, fixedNow.Add(24 * time.Hour), nil
}

func (g *memGroupCodes) made() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.buildings...)
}

// groupFixture is the fixture with the group account on, an admin boss
// and a roster of buildings 1, 3 and 12.
func groupFixture(t *testing.T) (*fixture, *memGroupCodes) {
	f := newFixture(t)
	g := &memGroupCodes{}
	f.e.GroupCodes = g
	f.admin("boss")
	f.l.set("units", []abci.Unit{{Unit: "1-101", Building: "1"}, {Unit: "12-101", Building: "12"}, {Unit: "3-502", Building: "3"}, {Unit: "3-501", Building: "3"}})
	return f, g
}

func TestGroupCodeOneLine(t *testing.T) {
	for _, c := range []struct{ in, building, summary string }{
		{"管理 绑群 3", "3", "关联 3 栋"},
		{"管理 绑群 3号楼", "3", "关联 3 栋"},
		{"管理 绑定群 12栋", "12", "关联 12 栋"},
		{"管理 绑群 全小区", "", "是全小区的群"},
	} {
		t.Run(c.in, func(t *testing.T) {
			f, g := groupFixture(t)
			contains(t, "confirmation", f.say("boss", c.in), "您将生成一个绑定微信群的码", c.summary, "确认请回复 1，重选请回复 2")
			if made := g.made(); len(made) != 0 {
				t.Fatalf("a code was made before the confirmation: %q", made)
			}
			r, err := f.e.Handle(context.Background(), &Request{Channel: "console", User: "boss", Text: "1"})
			if err != nil {
				t.Fatal(err)
			}
			contains(t, "code", r.Text(), "绑定本群 "+groupCode, "3月11日（周三）10:00 前有效", "@群助手")
			if len(r.Secrets) != 1 || r.Secrets[0] != groupCode {
				t.Errorf("Secrets = %q, want the code", r.Secrets)
			}
			if made := g.made(); len(made) != 1 || made[0] != c.building {
				t.Errorf("codes made for %q, want one for %q", made, c.building)
			}
			if len(f.l.submitted()) != 0 {
				t.Errorf("a group code submitted %v to the chain", f.l.submitted())
			}
			for k, s := range f.s.m {
				if strings.Contains(string(s.state), "4821") {
					t.Errorf("session %s stores the code: %s", k, s.state)
				}
			}
		})
	}
}

func TestGroupCodeByMenuNumber(t *testing.T) {
	f, g := groupFixture(t)
	contains(t, "admin menu", f.run("boss", "菜单", "8"), "10 作废录错的选票录入", "11 绑定微信群")
	contains(t, "question", f.say("boss", "11"), "要绑定的是哪个群？", "1 全小区的群")
	contains(t, "bad answer", f.say("boss", "5栋"), "账本上没有 5 栋。小区登记的楼栋有：1、3、12 栋。")
	contains(t, "asked again", f.say("boss", "3"), "关联 3 栋", "确认请回复 1")
	// 重选 (2) asks the question again; 0 there leaves for the menu.
	contains(t, "重选", f.say("boss", "2"), "要绑定的是哪个群？")
	contains(t, "whole community", f.say("boss", "1"), "是全小区的群", "确认请回复 1")
	contains(t, "0 on the confirmation", f.say("boss", "0"), "要绑定的是哪个群？")
	contains(t, "0 on the question", f.say("boss", "0"), "11 绑定微信群")
	contains(t, "返回 from the menu", f.say("boss", "返回"), "您好")
	f.run("boss", "菜单", "8", "11")
	contains(t, "返回 on the question", f.say("boss", "返回"), "11 绑定微信群")
	if made := g.made(); len(made) != 0 {
		t.Errorf("going back made codes: %q", made)
	}
	f.run("boss", "菜单", "8", "11", "3栋")
	contains(t, "code", f.say("boss", "确认"), "绑定本群 "+groupCode, "关联 3 栋")
	// A second "1" lands on the done screen: no second code.
	lacks(t, "second 1", f.say("boss", "1"), groupCode)
	contains(t, "back after the code", f.say("boss", "0"), "11 绑定微信群")
	if made := g.made(); len(made) != 1 || made[0] != "3" {
		t.Errorf("codes made for %q, want one for building 3", made)
	}
}

func TestGroupCodeBadBuildingIsRefusedThenAsked(t *testing.T) {
	f, g := groupFixture(t)
	got := f.say("boss", "管理 绑群 9号楼")
	contains(t, "refusal", got, "账本上没有 9 栋。小区登记的楼栋有：1、3、12 栋。", "要绑定的是哪个群？")
	lacks(t, "refusal", got, "确认请回复 1")
	contains(t, "question", f.say("boss", "12"), "关联 12 栋")
	f.say("boss", "1")
	if made := g.made(); len(made) != 1 || made[0] != "12" {
		t.Errorf("codes made for %q", made)
	}
	// A roster without units leaves only the whole community.
	f.l.set("units", []abci.Unit{})
	contains(t, "no roster", f.say("boss", "管理 绑群 3"), "小区还没有登记房屋，只能绑定全小区的群")
}

func TestGroupCodeConcurrentConfirmationsMakeOneCode(t *testing.T) {
	f, g := groupFixture(t)
	f.say("boss", "管理 绑群 3")
	var wg sync.WaitGroup
	replies := make([]string, 8)
	for i := range replies {
		wg.Go(func() { replies[i] = f.say("boss", "1") })
	}
	wg.Wait()
	if made := g.made(); len(made) != 1 {
		t.Errorf("8 concurrent confirmations made %d codes, want 1", len(made))
	}
	n := 0
	for _, r := range replies {
		if strings.Contains(r, groupCode) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d replies show the code, want 1: %q", n, replies)
	}
}

func TestGroupCodeRefusedToOthers(t *testing.T) {
	f, g := groupFixture(t)
	f.bind("wang")
	f.bind("cashier", tx.RoleTreasurer)
	f.bind("judge", tx.RoleScrutineer)
	for _, user := range []string{"wang", "cashier", "judge"} {
		contains(t, user, f.say(user, "管理 绑群 3"), "只有业委会的管理人员才能办理", "没有提交")
	}
	contains(t, "by number", f.run("cashier", "菜单", "8", "11"), "只有业委会的管理人员才能办理")
	// A role revoked between the question and the confirmation.
	f.say("boss", "管理 绑群 3")
	f.bind("boss")
	contains(t, "revoked", f.say("boss", "1"), "只有业委会的管理人员才能办理")
	if made := g.made(); len(made) != 0 {
		t.Errorf("codes made for non-admins: %q", made)
	}
}

func TestGroupCodeWhenGroupsAreOff(t *testing.T) {
	f, _ := groupFixture(t)
	f.e.GroupCodes = nil
	got := f.run("boss", "菜单", "8")
	lacks(t, "admin menu", got, "11", "微信群")
	contains(t, "admin menu", got, "10 作废录错的选票录入")
	contains(t, "digit 11", f.say("boss", "11"), "请回复下面列出的数字")
	for _, in := range []string{"管理 绑群", "管理 绑定群 3"} {
		got := f.say("boss", in)
		contains(t, in, got, "本小区没有开通微信群助手", "[wxgroup]", "enabled = true")
		lacks(t, in, got, "确认请回复")
	}
	// Non-admins are refused before they learn anything.
	f.bind("wang")
	contains(t, "resident", f.say("wang", "管理 绑群"), "只有业委会的管理人员才能办理")

	// A confirmation waiting in a session when a restart turned groups off.
	f, g := groupFixture(t)
	f.say("boss", "管理 绑群 3")
	f.e.GroupCodes = nil
	contains(t, "confirmed after the restart", f.say("boss", "1"), "本小区没有开通微信群助手")
	if len(g.made()) != 0 {
		t.Error("a code was made")
	}
}

func TestGroupCodeStoreErrorIsPoliteAndLogged(t *testing.T) {
	f, g := groupFixture(t)
	var log bytes.Buffer
	f.e.Logger = slog.New(slog.NewTextHandler(&log, nil))
	g.err = errors.New("database is locked")
	f.say("boss", "管理 绑群 3")
	got := f.say("boss", "1")
	contains(t, "failure", got, "暂时没能生成绑定码，请稍后回复 1 再试一次")
	lacks(t, "failure", got, "database", "绑定本群")
	if !strings.Contains(log.String(), "database is locked") {
		t.Errorf("the log lacks the error: %s", log.String())
	}
	// The admin stayed on the confirmation: 1 again works once the store does.
	g.err = nil
	contains(t, "retry", f.say("boss", "1"), "绑定本群 "+groupCode)
	if made := g.made(); len(made) != 1 {
		t.Errorf("made %q", made)
	}
}

func TestGroupCodeIsNeverMadeInAGroup(t *testing.T) {
	f, g := groupFixture(t)
	for _, text := range []string{"管理 绑群", "管理 绑群 3", "1"} {
		r, err := f.e.Handle(context.Background(), &Request{Channel: "wxgroup", User: "boss", Group: "g3", Mentioned: true, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.Text(), "绑定本群") || strings.Contains(r.Text(), "确认请回复") || len(r.Secrets) != 0 {
			t.Errorf("%q in a group answered %q", text, r.Text())
		}
		if text != "1" && !strings.Contains(r.Text(), "请私聊我") {
			t.Errorf("%q in a group was not sent to a private chat: %q", text, r.Text())
		}
	}
	if len(g.made()) != 0 {
		t.Errorf("a group message made codes: %q", g.made())
	}
}
