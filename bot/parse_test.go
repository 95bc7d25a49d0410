package bot

import (
	"slices"
	"strings"
	"testing"
)

func TestParseNumbers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"1", []int{1}},
		{" 1 ", []int{1}},
		{"1。", []int{1}},
		{"1.", []int{1}},
		{"1！", []int{1}},
		{"１", []int{1}},
		{"１２", []int{12}},
		{"①", []int{1}},
		{"⑨", []int{9}},
		{"❸", []int{3}},
		{"一", []int{1}},
		{"三", []int{3}},
		{"十", []int{10}},
		{"十二", []int{12}},
		{"二十", []int{20}},
		{"三十五", []int{35}},
		{"壹", []int{1}},
		{"贰", []int{2}},
		{"叁", []int{3}},
		{"貳", []int{2}},
		{"两", []int{2}},
		{"零", []int{0}},
		{"0", []int{0}},
		{"第一个", []int{1}},
		{"第1个", []int{1}},
		{"第一個", []int{1}},
		{"选1", []int{1}},
		{"選二", []int{2}},
		{"1号", []int{1}},
		{"一号", []int{1}},
		{"第3项", []int{3}},
		{"1 3", []int{1, 3}},
		{"1、3", []int{1, 3}},
		{"1,3", []int{1, 3}},
		{"1，3", []int{1, 3}},
		{"一和三", []int{1, 3}},
		{"①③", nil}, // two numbers need a separator
		{"1\u200b", []int{1}},
		{"\u30001\u3000", []int{1}},
		{"1\n", []int{1}},
		{"1\x00", []int{1}},
		{"👍1", []int{1}},
	} {
		got := Parse(tc.in)
		if tc.want == nil {
			if got.Kind == KindNumber {
				t.Errorf("Parse(%q) = number %v, want not a number", tc.in, got.Nums)
			}
			continue
		}
		if got.Kind != KindNumber || !slices.Equal(got.Nums, tc.want) {
			t.Errorf("Parse(%q) = kind %d nums %v, want %v", tc.in, got.Kind, got.Nums, tc.want)
		}
	}
}

func TestParseCommands(t *testing.T) {
	for _, tc := range []struct {
		in, cmd string
		args    []string
		rest    string
	}{
		{"菜单", "菜单", nil, ""},
		{"菜單", "菜单", nil, ""},
		{"菜单。", "菜单", nil, ""},
		{" 主菜单 ", "菜单", nil, ""},
		{"返回", "返回", nil, ""},
		{"投票", "投票", nil, ""},
		{"表決", "投票", nil, ""},
		{"账目", "账目", nil, ""},
		{"查賬", "账目", nil, ""},
		{"共享", "共享", nil, ""},
		{"公告", "公告", nil, ""},
		{"回執", "回执", nil, ""},
		{"積分", "积分", nil, ""},
		{"幫助", "帮助", nil, ""},
		{"?", "帮助", nil, ""},
		{"？", "帮助", nil, ""},
		{"我的", "我的", nil, ""},
		{"報修", "报修", nil, ""},
		{"同意", "同意", nil, ""},
		{"贊成", "同意", nil, ""},
		{"赞成！", "同意", nil, ""},
		{"反對", "反对", nil, ""},
		{"不同意", "反对", nil, ""},
		{"棄權", "弃权", nil, ""},
		{"确认", "确认", nil, ""},
		{"確認", "确认", nil, ""},
		{"MENU", "菜单", nil, ""},
		{"绑定", "绑定", nil, ""},
		{"绑定 3-502 123456", "绑定", []string{"3-502", "123456"}, "3-502 123456"},
		{"綁定３－５０２　１２３４５６", "绑定", []string{"3-502", "123456"}, "３－５０２　１２３４５６"},
		{"绑定3-502 123456", "绑定", []string{"3-502", "123456"}, "3-502 123456"},
		{"管理", "管理", nil, ""},
		{"管理 发码 3-502", "管理", []string{"发码", "3-502"}, "发码 3-502"},
		{"管理 發碼 3-502", "管理", []string{"发码", "3-502"}, "發碼 3-502"},
		{"管理 公告 明天停水，請注意", "管理", []string{"公告", "明天停水,请注意"}, "公告 明天停水，請注意"},
	} {
		got := Parse(tc.in)
		if got.Kind != KindCommand || got.Cmd != tc.cmd || !slices.Equal(got.Args, tc.args) || got.Rest != tc.rest {
			t.Errorf("Parse(%q) = kind %d cmd %q args %q rest %q; want command %q args %q rest %q",
				tc.in, got.Kind, got.Cmd, got.Args, got.Rest, tc.cmd, tc.args, tc.rest)
		}
	}
}

func TestParseOther(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind Kind
	}{
		{"", KindEmpty},
		{"   ", KindEmpty},
		{"。。。", KindEmpty},
		{"\x00\x01\x7f", KindEmpty},
		{"😀😀", KindEmpty},
		{"绑定码", KindText},
		{"3-502", KindText},
		{"100", KindText},
		{"-1", KindText}, // a signed number is not 1: it would pick 同意
		{"'; DROP TABLE sessions; --", KindText},
		{"{{.Secret}}", KindText},
		{"菜单菜单", KindText},
		{"管理员", KindText},
		{"\xff\xfe1", KindNumber},
	} {
		if got := Parse(tc.in); got.Kind != tc.kind {
			t.Errorf("Parse(%q).Kind = %d, want %d", tc.in, got.Kind, tc.kind)
		}
	}
}

func TestParseKeepsTextAndIsBounded(t *testing.T) {
	in := Parse("  中秋活动\x07 在 3 号楼  ")
	if in.Text != "中秋活动 在 3 号楼" {
		t.Errorf("Text = %q, want control characters and outer spaces gone", in.Text)
	}
	long := Parse(strings.Repeat("字", 10_000))
	if len(long.Text) > MaxInputBytes {
		t.Errorf("Parse kept %d bytes, want at most %d", len(long.Text), MaxInputBytes)
	}
}

// TestParseNaturalAnswers holds the ways residents answer in words that
// are accepted, each with what it means.
func TestParseNaturalAnswers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		nums []int
		cmd  string
	}{
		{"我同意", nil, "同意"},
		{"同意的", nil, "同意"},
		{"投同意", nil, "同意"},
		{"投同意票", nil, "同意"},
		{"我同意。", nil, "同意"},
		{"我赞成", nil, "同意"},
		{"同意了", nil, "同意"},
		{"我不同意", nil, "反对"},
		{"不同意的", nil, "反对"},
		{"投反对票", nil, "反对"},
		{"我反对", nil, "反对"},
		{"我弃权", nil, "弃权"},
		{"弃权吧", nil, "弃权"},
		{"我选1", []int{1}, ""},
		{"我选 1", []int{1}, ""},
		{"选第一个", []int{1}, ""},
		{"我选第一个", []int{1}, ""},
		{"选第2个", []int{2}, ""},
		{"我要2", []int{2}, ""},
		{"投1", []int{1}, ""},
		{"我选1和3", []int{1, 3}, ""},
		{"1️⃣", []int{1}, ""},
		{"2️⃣", []int{2}, ""},
		{"1\u20e3", []int{1}, ""},
		{"嗯", nil, "确认"},
		{"嗯嗯", nil, "确认"},
		{"可以", nil, "确认"},
		{"行", nil, "确认"},
		{"没问题", nil, "确认"},
		{"好吧", nil, "确认"},
		{"可以的", nil, "确认"},
		{"不行", nil, "取消"},
		{"算了", nil, "取消"},
		{"重新选", nil, "取消"},
		{"回去", nil, "返回"},
		{"上一页", nil, "返回"},
		{"返回上一步", nil, "返回"},
		{"退出", nil, "菜单"},
		{"回首页", nil, "菜单"},
		{"主页", nil, "菜单"},
		{"我要投票", nil, "投票"},
		{"我想报修", nil, "报修"},
		{"看看公告", nil, "公告"},
		{"我要绑定", nil, "绑定"},
		{"查看账目", nil, "账目"},
		{"我要同意", nil, "同意"},
	} {
		got := Parse(tc.in)
		switch {
		case tc.nums != nil && (got.Kind != KindNumber || !slices.Equal(got.Nums, tc.nums)):
			t.Errorf("Parse(%q) = kind %d nums %v cmd %q, want numbers %v", tc.in, got.Kind, got.Nums, got.Cmd, tc.nums)
		case tc.nums == nil && (got.Kind != KindCommand || got.Cmd != tc.cmd):
			t.Errorf("Parse(%q) = kind %d nums %v cmd %q, want %q", tc.in, got.Kind, got.Nums, got.Cmd, tc.cmd)
		}
	}
}

// TestParseRefusesNearMisses holds the answers that look like one but
// must be asked again: negations, mixed answers and signed numbers. None
// may become a number or a ballot or confirmation word other than the
// one it says.
func TestParseRefusesNearMisses(t *testing.T) {
	for _, tc := range []struct {
		in string
		// not is the reading it must never have: a number, or a command
		// word (同意, 确认, 投票…).
		not string
	}{
		{"-1", "number"},
		{"－1", "number"},
		{"−1", "number"},
		{"+1", "number"},
		{"负一", "number"},
		{"1 -3", "number"},
		{"不选1", "number"},
		{"我不选1", "number"},
		{"不要1", "number"},
		{"1不同意", "number"},
		{"不同意", "同意"},
		{"我不同意", "同意"},
		{"不赞成", "同意"},
		{"不反对", "反对"},
		{"同意不同意", "同意"},
		{"同意 反对", "同意"},
		{"同意，反对", "同意"},
		{"我同意反对", "同意"},
		{"同意吗", "同意"},
		{"非同意", "同意"},
		{"不可以", "确认"},
		{"不行吧", "确认"},
		{"不好", "确认"},
		{"不是", "确认"},
		{"我的", "确认"},
		{"选择", "number"},
		{"1号楼", "number"},
		{"100", "number"},
		{"不想投票", "投票"},
		{"不要报修", "报修"},
	} {
		got := Parse(tc.in)
		switch tc.not {
		case "number":
			if got.Kind == KindNumber {
				t.Errorf("Parse(%q) = number %v, want it asked again", tc.in, got.Nums)
			}
		default:
			if got.Kind == KindCommand && got.Cmd == tc.not || got.Kind == KindNumber {
				t.Errorf("Parse(%q) = kind %d cmd %q nums %v, must not be %s", tc.in, got.Kind, got.Cmd, got.Nums, tc.not)
			}
		}
	}
}
