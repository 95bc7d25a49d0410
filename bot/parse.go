package bot

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind says what a message is, once normalised.
type Kind int

const (
	// KindEmpty is a message with nothing in it but spaces, punctuation
	// or control characters.
	KindEmpty Kind = iota
	// KindNumber is one number, or several for a multi-select poll
	// ("1 3", "1、3"), in any of the forms residents type: 1, １, ①, 一,
	// 壹, 第一个, 选1, 1号.
	KindNumber
	// KindCommand is a command or keyword (菜单, 投票, 绑定 3-502 123456,
	// 管理 发码 3-502, 同意, 确认…), in simplified or traditional
	// characters.
	KindCommand
	// KindText is anything else: free text for a guided dialogue, or
	// something the engine did not understand.
	KindText
)

// MaxInputBytes bounds the text the engine reads from one message; a
// longer message is answered with a polite refusal.
const MaxInputBytes = 8 << 10

// Input is a parsed message.
type Input struct {
	Kind Kind
	// Nums are the numbers of a KindNumber message, in the order typed.
	Nums []int
	// Cmd is the canonical (simplified) command word of a KindCommand
	// message, such as "菜单" for 主菜单, 菜單 or 首页.
	Cmd string
	// Args are the normalised words after the command (full-width
	// letters and digits made ASCII, traditional characters simplified):
	// "绑定 ３－５０２ 123456" has Args ["3-502", "123456"].
	Args []string
	// Rest is the text after the command word as the user wrote it, for
	// free text such as a notice.
	Rest string
	// Text is the whole message as the user wrote it, without control
	// characters and surrounding spaces.
	Text string
	// Norm is the normalised message the parse was made from.
	Norm string
}

// Parse reads a message. It is pure: the same text always gives the same
// Input, and nothing about a user or a screen is consulted; screens decide
// what a number or a word means where they are.
func Parse(text string) Input {
	if len(text) > MaxInputBytes {
		text = text[:MaxInputBytes]
	}
	orig, norm := normalize(text)
	in := Input{Text: strings.TrimSpace(string(orig)), Norm: strings.TrimSpace(string(norm))}
	// Trailing punctuation ("1。", "菜单！") and surrounding spaces do not
	// change what a short reply means; a lone "?" still asks for help.
	core := strings.TrimFunc(in.Norm, isSpaceOrPunct)
	if core == "" {
		if strings.ContainsAny(in.Norm, "?") {
			in.Kind, in.Cmd = KindCommand, "帮助"
			return in
		}
		in.Kind = KindEmpty
		return in
	}
	if signed(in.Norm) {
		// "-1" is not 1: reading it as 1 would pick 同意 for someone who
		// typed something else. A signed number is asked again.
		in.Kind = KindText
		return in
	}
	if nums, ok := parseNumbers(core); ok {
		in.Kind, in.Nums = KindNumber, nums
		return in
	}
	if cmd, ok := commandWords[strings.ToLower(core)]; ok {
		in.Kind, in.Cmd = KindCommand, cmd
		return in
	}
	if answer := unwrapAnswer(core); answer != core {
		// "我选1", "投同意", "同意的": the words around an answer do
		// not change it. Only a number or a ballot or confirmation word
		// is unwrapped, so "我不同意" is 反对 and "不选1" stays text.
		if nums, ok := parseNumbers(answer); ok {
			in.Kind, in.Nums = KindNumber, nums
			return in
		}
		if cmd, ok := commandWords[answer]; ok && answerWords[cmd] {
			in.Kind, in.Cmd = KindCommand, cmd
			return in
		}
	}
	// "我要投票", "想报修", "看看公告": a wish to go somewhere is the
	// command itself.
	for _, p := range []string{"我要", "我想", "想要", "想", "要", "看看", "查看", "看"} {
		rest, ok := strings.CutPrefix(core, p)
		if !ok {
			continue
		}
		if cmd, ok := commandWords[strings.ToLower(strings.TrimFunc(rest, isSpaceOrPunct))]; ok && !answerWords[cmd] {
			in.Kind, in.Cmd = KindCommand, cmd
			return in
		}
	}
	for _, w := range argCommands {
		rest, ok := strings.CutPrefix(core, w)
		if !ok || rest == "" {
			continue
		}
		// "绑定 3-502 …" and "绑定3-502 …" both work, but "绑定码" is not
		// 绑定 with argument 码.
		r, _ := utf8.DecodeRuneInString(rest)
		if !unicode.IsSpace(r) && !(r < utf8.RuneSelf && (unicode.IsDigit(r) || unicode.IsLetter(r))) {
			continue
		}
		in.Kind, in.Cmd = KindCommand, w
		in.Args = strings.Fields(rest)
		// Rest is cut from the original text at the same rune offset.
		n := utf8.RuneCountInString(in.Norm[:strings.Index(in.Norm, w)+len(w)])
		in.Rest = strings.TrimSpace(string(orig[n:]))
		return in
	}
	in.Kind = KindText
	return in
}

// commandWords maps every accepted spelling (after normalisation) to its
// canonical command word.
var commandWords = map[string]string{
	"菜单": "菜单", "主菜单": "菜单", "首页": "菜单", "目录": "菜单", "开始": "菜单", "menu": "菜单",
	"你好": "菜单", "您好": "菜单", "hi": "菜单", "hello": "菜单",
	"回首页": "菜单", "回到首页": "菜单", "主页": "菜单", "回主菜单": "菜单", "退出": "菜单",
	"返回": "返回", "上一步": "返回", "后退": "返回", "back": "返回", "回去": "返回", "上一页": "返回",
	"返回上一步": "返回", "回上一步": "返回", "退回": "返回", "返回上一页": "返回",
	"投票": "投票", "表决": "投票", "投票表决": "投票",
	"账目": "账目", "查账": "账目", "账本": "账目", "小区账目": "账目",
	"共享": "共享", "共享物品": "共享",
	"公告": "公告", "通知": "公告", "公告通知": "公告",
	"回执": "回执", "凭证": "回执", "我的回执": "回执",
	"积分": "积分", "我的积分": "积分",
	"绑定": "绑定", "绑定房屋": "绑定",
	"帮助": "帮助", "说明": "帮助", "怎么用": "帮助", "help": "帮助",
	"我的": "我的",
	"报修": "报修", "建议": "报修", "报修建议": "报修",
	"管理": "管理",
	"委托": "委托", "委托投票": "委托", "找人代投": "委托",
	"代理": "代理", "代理投票": "代理",
	"全文": "全文", "详情": "全文",
	"同意": "同意", "赞成": "同意", "支持": "同意",
	"反对": "反对", "不同意": "反对", "不赞成": "反对",
	"弃权": "弃权",
	"确认": "确认", "确定": "确认", "是": "确认", "是的": "确认", "好": "确认", "好的": "确认", "对": "确认", "ok": "确认",
	"嗯": "确认", "嗯嗯": "确认", "恩": "确认", "可以": "确认", "行": "确认", "没问题": "确认", "对的": "确认", "好啊": "确认",
	"取消": "取消", "重选": "取消", "不": "取消", "否": "取消", "不对": "取消",
	"不行": "取消", "不可以": "取消", "不要": "取消", "算了": "取消", "不用了": "取消", "重新选": "取消", "改一下": "取消",
}

// answerWords are the command words unwrapAnswer may find inside a
// phrase: answers to a ballot or a confirmation, nothing that navigates.
var answerWords = map[string]bool{"同意": true, "反对": true, "弃权": true, "确认": true, "取消": true}

// unwrapAnswer strips the words people put around an answer: 我, 我选, 选,
// 投, 我要 before it; 的, 了, 吧, 啊, 呀, 票 after it. It strips nothing
// that negates.
func unwrapAnswer(s string) string {
	for {
		t := s
		for _, p := range []string{"我要选", "我选择", "我选", "我投", "我要", "我就", "我", "就", "投", "选择", "选"} {
			if rest, ok := strings.CutPrefix(t, p); ok && rest != "" {
				t = rest
				break
			}
		}
		for _, x := range []string{"的", "了", "吧", "啊", "呀", "票"} {
			if rest, ok := strings.CutSuffix(t, x); ok && rest != "" {
				t = rest
				break
			}
		}
		t = strings.TrimFunc(t, isSpaceOrPunct)
		if t == s || t == "" {
			return s
		}
		s = t
	}
}

// signed reports whether s is a number with a sign: -1, +2, －3, 负1.
func signed(s string) bool {
	s = strings.TrimLeftFunc(s, func(r rune) bool { return isSpaceOrPunct(r) && r != '-' && r != '+' })
	for _, p := range []string{"-", "+", "负"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			r, _ := utf8.DecodeRuneInString(strings.TrimLeft(rest, " "))
			_, cn := cnDigits[r]
			_, circ := circled(r)
			return unicode.IsDigit(r) || cn || circ
		}
	}
	return false
}

// argCommands take arguments on the same line.
var argCommands = []string{"绑定", "管理", "代理"}

// normalize returns the text without control and zero-width characters,
// twice: as written, and normalised for matching, rune for rune (so an
// offset in one is an offset in the other). Normalising makes full-width
// ASCII plain, every kind of space a space, dashes '-', and the
// traditional characters of command words simplified. Case is kept (unit
// numbers may have letters); command words match in any case.
func normalize(s string) (orig, norm []rune) {
	s = strings.ToValidUTF8(s, "")
	orig = make([]rune, 0, len(s))
	norm = make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			orig, norm = append(orig, r), append(norm, ' ')
			continue
		case unicode.IsControl(r), r == '\u200b', r == '\u200c', r == '\u200d', r == '\ufeff', r == '\u2060',
			r == '\ufe0f', r == '\ufe0e', r == '\u20e3':
			// Zero-width characters, emoji variation selectors and the
			// keycap that makes 1️⃣ out of 1.
			continue
		}
		n := r
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			n = r - 0xFEE0
		case unicode.IsSpace(r): // U+3000, U+2005 (after WeChat @-mentions), NBSP…
			n = ' '
		case r == '\u2010' || r == '\u2011' || r == '\u2012' || r == '\u2013' || r == '\u2014' || r == '\u2212' || r == '\uFE63':
			n = '-'
		}
		if s, ok := simplified[n]; ok {
			n = s
		}
		orig, norm = append(orig, r), append(norm, n)
	}
	return orig, norm
}

// simplified maps the traditional characters of command words and menu
// answers to simplified ones.
var simplified = map[rune]rune{
	'單': '单', '選': '选', '賬': '账', '帳': '账', '執': '执', '積': '积', '綁': '绑', '幫': '帮',
	'發': '发', '決': '决', '記': '记', '審': '审', '碼': '码', '設': '设', '報': '报', '議': '议',
	'確': '确', '認': '认', '贊': '赞', '對': '对', '棄': '弃', '權': '权', '號': '号', '個': '个',
	'務': '务', '員': '员', '調': '调', '業': '业', '戶': '户', '開': '开', '項': '项', '條': '条',
	'說': '说', '與': '与', '頁': '页', '錄': '录', '見': '见', '標': '标', '題': '题', '時': '时',
	'間': '间', '閱': '阅', '詳': '详', '銷': '销', '準': '准', '體': '体', '亂': '乱',
	'這': '这', '麼': '么', '們': '们', '樓': '楼', '棟': '栋', '門': '门', '預': '预',
	'覽': '览', '總': '总', '結': '结', '關': '关', '閉': '闭', '啟': '启', '協': '协', '會': '会',
	'貳': '贰', '叁': '叁', '參': '叁', '陸': '陆', '兩': '两', '後': '后', '請': '请', '問': '问',
}

func isSpaceOrPunct(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) && r != '+'
}

// parseNumbers reads one number or several separated by spaces, commas,
// 、 or 和. Each may be wrapped: 第一个, 选1, 1号, 第3项.
func parseNumbers(s string) ([]int, bool) {
	tokens := strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == ',' || r == '、' || r == ';' || r == '/' || r == '和' || r == '与' || r == '及'
	})
	if len(tokens) == 0 || len(tokens) > 9 {
		return nil, false
	}
	nums := make([]int, 0, len(tokens))
	for _, t := range tokens {
		n, ok := parseNumber(t)
		if !ok {
			return nil, false
		}
		nums = append(nums, n)
	}
	return nums, true
}

// parseNumber reads one number from 0 to 99.
func parseNumber(s string) (int, bool) {
	// A sign is kept, so that "-3" is refused rather than read as 3.
	s = strings.TrimFunc(s, func(r rune) bool { return isSpaceOrPunct(r) && r != '-' && r != '+' })
	for _, p := range []string{"选择", "选", "回复", "按", "第"} {
		s = strings.TrimPrefix(s, p)
	}
	for _, p := range []string{"项目", "个", "号", "项", "条"} {
		s = strings.TrimSuffix(s, p)
	}
	if s == "" || len(s) > 12 {
		return 0, false
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 99 && s[0] != '+' && s[0] != '-' {
		return n, true
	}
	if r, size := utf8.DecodeRuneInString(s); size == len(s) {
		if n, ok := circled(r); ok {
			return n, true
		}
	}
	return chineseNumber(s)
}

// circled reads ①–⑳, ⓪, ❶–❿, ➀–➉ and ➊–➓.
func circled(r rune) (int, bool) {
	switch {
	case r >= '①' && r <= '⑳':
		return int(r-'①') + 1, true
	case r == '⓪':
		return 0, true
	case r >= '❶' && r <= '❿':
		return int(r-'❶') + 1, true
	case r >= '➀' && r <= '➉':
		return int(r-'➀') + 1, true
	case r >= '➊' && r <= '➓':
		return int(r-'➊') + 1, true
	}
	return 0, false
}

var cnDigits = map[rune]int{
	'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9,
	'壹': 1, '贰': 2, '叁': 3, '肆': 4, '伍': 5, '陆': 6, '柒': 7, '捌': 8, '玖': 9,
}

// chineseNumber reads 零 to 九十九 in plain or financial numerals:
// 七, 十, 十二, 二十, 三十五, 拾壹.
func chineseNumber(s string) (int, bool) {
	rs := []rune(s)
	isTen := func(r rune) bool { return r == '十' || r == '拾' }
	switch len(rs) {
	case 1:
		if isTen(rs[0]) {
			return 10, true
		}
		n, ok := cnDigits[rs[0]]
		return n, ok
	case 2:
		if isTen(rs[0]) { // 十二
			n, ok := cnDigits[rs[1]]
			return 10 + n, ok && n > 0
		}
		if isTen(rs[1]) { // 二十
			n, ok := cnDigits[rs[0]]
			return 10 * n, ok && n > 1
		}
	case 3:
		if isTen(rs[1]) { // 三十五
			a, ok1 := cnDigits[rs[0]]
			b, ok2 := cnDigits[rs[2]]
			return 10*a + b, ok1 && ok2 && a > 1 && b > 0
		}
	}
	return 0, false
}
