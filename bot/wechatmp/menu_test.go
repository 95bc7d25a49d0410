package wechatmp_test

import (
	"strings"
	"testing"

	"github.com/linli-community/linli/bot/wechatmp"
)

func TestDefaultMenu(t *testing.T) {
	m := wechatmp.DefaultMenu()
	var names []string
	for _, b := range m.Buttons {
		names = append(names, b.Name)
	}
	if got := strings.Join(names, " / "); got != "投票 / 账目 / 更多" {
		t.Errorf("default menu %s", got)
	}
	if n := len(m.Buttons[2].Sub); n != 5 {
		t.Errorf("更多 has %d sub-buttons", n)
	}
	if sub := m.Buttons[1].Sub; len(sub) != 2 || sub[0].Key != "ACCOUNTS" || sub[1].URL != wechatmp.DefaultBoardURL {
		t.Errorf("账目 is %+v, want 查账目 and a link to the notice board", m.Buttons[1])
	}
}

func TestParseMenuJSON(t *testing.T) {
	m, err := wechatmp.ParseMenu("menu.json", []byte(`{"button":[{"name":"投票","key":"VOTE"},
		{"name":"更多","sub_button":[{"name":"公告","key":"NOTICES"},{"name":"小区网站","url":"https://example.org/x"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Buttons) != 2 || m.Buttons[1].Sub[1].URL != "https://example.org/x" {
		t.Errorf("parsed %+v", m)
	}
}

func TestParseMenuErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, data, want string
	}{
		{"ErrFourButtons", "m.toml", strings.Repeat("[[button]]\nname = \"投票\"\nkey = \"VOTE\"\n", 4), "4 buttons"},
		{"ErrNoButtons", "m.toml", "", "0 buttons"},
		{"ErrUnknownKey", "m.toml", "[[button]]\nname = \"抽奖\"\nkey = \"LOTTERY\"\n", `key "LOTTERY"`},
		{"ErrNameTooLong", "m.toml", "[[button]]\nname = \"投票表决中心\"\nkey = \"VOTE\"\n", "18 bytes"},
		{"ErrKeyAndURL", "m.toml", "[[button]]\nname = \"投票\"\nkey = \"VOTE\"\nurl = \"https://x.org\"\n", "both"},
		{"ErrNoAction", "m.toml", "[[button]]\nname = \"投票\"\n", "needs a key"},
		{"ErrBadURL", "m.toml", "[[button]]\nname = \"网站\"\nurl = \"javascript:alert(1)\"\n", "not an http(s) URL"},
		{"ErrSixSubButtons", "m.toml", "[[button]]\nname = \"更多\"\n" + strings.Repeat("[[button.sub_button]]\nname = \"帮助\"\nkey = \"HELP\"\n", 6), "6 sub-buttons"},
		{"ErrUnknownTOMLField", "m.toml", "[[button]]\nname = \"投票\"\nkey = \"VOTE\"\ntype = \"click\"\n", "unknown key"},
		{"ErrUnknownJSONField", "m.json", `{"button":[{"name":"投票","key":"VOTE","type":"click"}]}`, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wechatmp.ParseMenu(tc.file, []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
