package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/store"
)

func contains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: reply lacks %q:\n%s", what, w, got)
		}
	}
}

func lacks(t *testing.T, what, got string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(got, w) {
			t.Errorf("%s: reply has %q:\n%s", what, w, got)
		}
	}
}

func TestEveryHomeEntryIsReachableByDigits(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	for _, tc := range []struct {
		digit, want string
	}{
		{"1", "投票表决，请回复数字"},
		{"2", "小区账目（余额，单位：元）"},
		{"3", "共享物品，请回复数字"},
		{"4", "现在没有公告"},
		{"5", "我的信息"},
		{"6", "报修建议，请回复数字"},
		{"9", "怎么用"},
	} {
		f.say("wang", "菜单")
		contains(t, "home then "+tc.digit, f.say("wang", tc.digit), tc.want)
	}
	// 8 (管理) is only for members with a role.
	f.say("wang", "菜单")
	contains(t, "8 without a role", f.say("wang", "8"), "没看懂您的回复", "1 投票表决")
	lacks(t, "home of a resident", f.say("wang", "菜单"), "8 管理")
}

func TestKeywordShortcuts(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		text, want string
	}{
		{"投票", "投票表决，请回复数字"},
		{"账目", "小区账目（余额"},
		{"查账", "小区账目（余额"},
		{"共享", "共享物品，请回复数字"},
		{"公告", "现在没有公告"},
		{"回执", "您还没有回执"},
		{"积分", "我的积分：0 分"},
		{"绑定", "请先向业委会要一个绑定码"},
		{"帮助", "怎么用"},
		{"幫助", "怎么用"},
		{"我的", "还没有绑定房屋"},
	} {
		contains(t, tc.text, f.say("li", tc.text), tc.want)
		f.say("li", "菜单")
	}
}

func TestBackAndHomeNavigation(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.run("wang", "菜单", "1", "1")
	contains(t, "0 on an item", f.say("wang", "0"), "投票表决，请回复数字")
	contains(t, "返回 on the list", f.say("wang", "返回"), "请回复数字：\n1 投票表决")
	contains(t, "0 on home", f.say("wang", "0"), "1 投票表决")
	f.run("wang", "1", "2", "1")
	contains(t, "菜单 on a confirmation", f.say("wang", "菜单"), "1 投票表决")
	if n := len(f.l.submitted()); n != 0 {
		t.Errorf("navigation submitted %d txs", n)
	}
}

func TestUnexpectedReplyRepeatsScreenWithHint(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.run("wang", "菜单", "1")
	for _, in := range []string{"7", "你好呀", "😀", "", "同意"} {
		got := f.say("wang", in)
		contains(t, fmt.Sprintf("%q on the list", in), got, "没看懂您的回复", "1 【表决】使用维修资金更换3栋电梯")
	}
}

func TestSessionExpiresAfterIdleTime(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.run("wang", "菜单", "1")
	f.advance(29 * time.Minute)
	contains(t, "within the idle time", f.say("wang", "1"), "【业主表决】")
	f.advance(31 * time.Minute)
	got := f.say("wang", "1")
	// The digit is not read against the home menu (it was meant for the
	// decision): the home menu is shown at once instead.
	contains(t, "digit on an expired screen", got, "菜单已经过期", "1 投票表决")
	lacks(t, "digit on an expired screen", got, "【业主表决】", "您将")
	contains(t, "the next digit uses the home menu", f.say("wang", "1"), "投票表决，请回复数字")

	f.e.SessionTTL = time.Minute
	f.say("wang", "1")
	f.advance(2 * time.Minute)
	contains(t, "custom idle time", f.say("wang", "1"), "菜单已经过期")
}

func TestSessionSurvivesAnEngineRestart(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.run("wang", "菜单", "1")
	restarted := New(f.l, f.s, f.e.Templates)
	restarted.Now = f.e.Now
	r, err := restarted.Handle(context.Background(), &Request{Channel: "console", User: "wang", Text: "2"})
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "2 after a restart", r.Text(), "【投票】中秋活动定在哪天")
}

func TestVoteConfirmsThenAnswersWithReceipt(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.run("wang", "菜单", "1", "1")
	got := f.say("wang", "同意")
	if want := "您将对【使用维修资金更换3栋电梯】投 同意，确认请回复 1，重选请回复 2"; got != want {
		t.Errorf("confirmation = %q, want %q", got, want)
	}
	if n := len(f.l.submitted()); n != 0 {
		t.Fatalf("%d txs submitted before confirmation", n)
	}
	contains(t, "重选", f.say("wang", "2"), "请回复数字投票", "1 同意")
	f.say("wang", "反对")
	got = f.say("wang", "1")
	contains(t, "receipt", got, "✅ 已记录：对【使用维修资金更换3栋电梯】投 反对", "区块 #11 · 凭证 ", "已经记进小区账本", "按房号就能查到这一票")
	subs := f.l.submitted()
	if len(subs) != 1 {
		t.Fatalf("submitted %d txs, want 1", len(subs))
	}
	if v, ok := subs[0].(*tx.VoteCast); !ok || v.Proposal != 1 || !slices.Equal(v.Choices, []int{tx.DecisionOptionNo}) {
		t.Errorf("submitted %#v, want a vote against proposal 1", subs[0])
	}
	contains(t, "receipts", f.say("wang", "回执"), "对【使用维修资金更换3栋电梯】投 反对", "区块 #11")
}

func TestReceiptLinksTheNoticeBoard(t *testing.T) {
	f := newFixture(t)
	f.e.BoardURL = "https://gongshi.example.org/"
	f.bind("wang")
	f.run("wang", "菜单", "1", "1", "同意")
	got := f.say("wang", "1")
	subs := f.l.submitted()
	if len(subs) != 1 {
		t.Fatalf("submitted %d txs, want 1", len(subs))
	}
	sum := sha256.Sum256(tx.Canonical(subs[0])) // the fake ledger's tx hash
	contains(t, "receipt", got, "公示栏上的回执：https://gongshi.example.org/tx/"+hex.EncodeToString(sum[:]))

	plain := newFixture(t)
	plain.bind("wang")
	plain.run("wang", "菜单", "1", "1", "同意")
	if got := plain.say("wang", "1"); strings.Contains(got, "公示栏") {
		t.Errorf("a receipt without a board URL links one:\n%s", got)
	}
}

func TestBallotWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"1", tx.DecisionOptionYes}, {"一", tx.DecisionOptionYes}, {"①", tx.DecisionOptionYes}, {"赞成", tx.DecisionOptionYes},
		{"同意。", tx.DecisionOptionYes}, {"贊成", tx.DecisionOptionYes}, {"2", tx.DecisionOptionNo}, {"不同意", tx.DecisionOptionNo},
		{"反對", tx.DecisionOptionNo}, {"三", tx.DecisionOptionAbs}, {"弃权", tx.DecisionOptionAbs}, {"第三个", tx.DecisionOptionAbs},
		{"我同意", tx.DecisionOptionYes}, {"同意的", tx.DecisionOptionYes}, {"投同意", tx.DecisionOptionYes}, {"我选1", tx.DecisionOptionYes},
		{"选第一个", tx.DecisionOptionYes}, {"1️⃣", tx.DecisionOptionYes}, {"我不同意", tx.DecisionOptionNo}, {"投反对票", tx.DecisionOptionNo},
		{"我弃权", tx.DecisionOptionAbs}, {"2️⃣", tx.DecisionOptionNo},
	} {
		f := newFixture(t)
		f.bind("wang")
		f.run("wang", "菜单", "1", "1", tc.in, "确认")
		subs := f.l.submitted()
		if len(subs) != 1 || !slices.Equal(subs[0].(*tx.VoteCast).Choices, []int{tc.want}) {
			t.Errorf("ballot %q submitted %v, want choice %d", tc.in, subs, tc.want)
		}
	}
}

// TestBallotNearMissesAreAskedAgain: a negation, a mixed answer or a
// signed number on a ballot is asked again, and never leads to a
// confirmation of 同意.
func TestBallotNearMissesAreAskedAgain(t *testing.T) {
	for _, in := range []string{"-1", "－1", "+1", "不反对", "同意不同意", "同意 反对", "我同意反对", "不选1", "同意吗", "1不同意"} {
		f := newFixture(t)
		f.bind("wang")
		f.run("wang", "菜单", "1", "1")
		got := f.say("wang", in)
		contains(t, in, got, "没看懂您的回复", "1 同意")
		lacks(t, in, got, "您将对")
		f.say("wang", "确认")
		if subs := f.l.submitted(); len(subs) != 0 {
			t.Errorf("%q then 确认 submitted %v", in, subs)
		}
	}
}

// TestConfirmationAcceptsEverydayAssent: 嗯, 可以, 行 confirm; 不行 and
// 算了 go back like 重选.
func TestConfirmationAcceptsEverydayAssent(t *testing.T) {
	for _, yes := range []string{"嗯", "可以", "行", "好的", "没问题", "确认。"} {
		f := newFixture(t)
		f.bind("wang")
		f.run("wang", "菜单", "1", "1", "1")
		contains(t, yes, f.say("wang", yes), "✅ 已记录")
	}
	for _, no := range []string{"不行", "算了", "不可以", "取消"} {
		f := newFixture(t)
		f.bind("wang")
		f.run("wang", "菜单", "1", "1", "1")
		contains(t, no, f.say("wang", no), "请回复数字投票")
		if subs := f.l.submitted(); len(subs) != 0 {
			t.Errorf("%q submitted %v", no, subs)
		}
	}
}

// TestPollOptionByItsWords: a poll is answered with an option's own words.
func TestPollOptionByItsWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{"周日", 1}, {"我选周日", 1}, {"都可以", 2}, {"周六。", 0}} {
		f := newFixture(t)
		f.bind("wang")
		f.run("wang", "菜单", "1", "2")
		contains(t, tc.in, f.say("wang", tc.in), "您将对【中秋活动定在哪天】投")
		f.say("wang", "1")
		if subs := f.l.submitted(); len(subs) != 1 || !slices.Equal(subs[0].(*tx.VoteCast).Choices, []int{tc.want}) {
			t.Errorf("%q submitted %v, want choice %d", tc.in, subs, tc.want)
		}
	}
	f := newFixture(t)
	f.bind("wang")
	f.run("wang", "菜单", "1", "2")
	contains(t, "no such option", f.say("wang", "周一"), "没看懂您的回复")
}

// TestBallotSaysVotesArePublic: every ballot says in one line that each
// unit's choice is published, and a receipt speaks plainly (the query
// command is for the help screen).
func TestBallotSaysVotesArePublic(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	for _, id := range []string{"1", "2"} {
		contains(t, "ballot "+id, f.run("wang", "菜单", "1", id), "投票不保密", "投下后谁都能查到")
	}
	got := f.run("wang", "菜单", "1", "1", "1", "1")
	lacks(t, "receipt", got, "linli query")
	contains(t, "help", f.say("wang", "帮助"), "linli query ballots/")
}

func TestPollChoices(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.run("wang", "菜单", "1", "2")
	if got := f.say("wang", "3、1"); got != "您将对【中秋活动定在哪天】投 周六、都可以，确认请回复 1，重选请回复 2" {
		t.Errorf("multi-select confirmation = %q", got)
	}
	f.say("wang", "1")
	if subs := f.l.submitted(); len(subs) != 1 || !slices.Equal(subs[0].(*tx.VoteCast).Choices, []int{0, 2}) {
		t.Errorf("submitted %v, want choices 0 and 2", subs)
	}
	f.run("wang", "菜单", "1", "1")
	contains(t, "two choices on a decision", f.say("wang", "1 2"), "这一项只能选一个", "1 同意")
	contains(t, "option 5 of 3", f.say("wang", "5"), "没看懂您的回复")
	contains(t, "4 after three options: the comments", f.say("wang", "4"), "还没有人发表意见", "1 我要说两句")
	if n := len(f.l.submitted()); n != 1 {
		t.Errorf("%d txs submitted, want 1", n)
	}
}

func TestClosedDecisionShowsResult(t *testing.T) {
	f := newFixture(t)
	got := f.run("li", "投票", "3")
	contains(t, "closed decision", got, "投票已结束", "结果：通过", "同意 80 位业主，7000.00㎡", "参与 95 位业主（共 118 位），面积占 81%")
	lacks(t, "closed decision", got, "请回复数字投票")
}

func TestUnboundUserIsGuidedToBind(t *testing.T) {
	f := newFixture(t)
	contains(t, "home", f.say("li", "菜单"), "还没绑定房屋？回复 绑定 开始。")
	f.run("li", "1", "1")
	contains(t, "vote while unbound", f.say("li", "1"), "您还没有绑定房屋，绑定后才能投票", "绑定 房号 绑定码")
	if n := len(f.l.submitted()); n != 0 {
		t.Errorf("%d txs submitted for an unbound user", n)
	}
}

func TestBindOneLine(t *testing.T) {
	f := newFixture(t)
	got := f.say("li", "绑定 3-502 1234 5678 9012 3478")
	if want := "您将绑定房屋 3-502（业主），绑定码 12************78，确认请回复 1，重选请回复 2"; got != want {
		t.Errorf("confirmation = %q, want %q", got, want)
	}
	contains(t, "receipt", f.say("li", "1"), "✅ 已记录：绑定房屋 3-502（业主）", "绑定好了")
	subs := f.l.submitted()
	if len(subs) != 1 || *subs[0].(*tx.MemberBind) != (tx.MemberBind{Unit: "3-502", Relation: tx.RelationOwner, Code: "1234567890123478"}) {
		t.Errorf("submitted %v", subs)
	}
}

func TestBindGuided(t *testing.T) {
	f := newFixture(t)
	contains(t, "绑定", f.say("li", "綁定"), "请先向业委会要一个绑定码")
	contains(t, "unknown unit", f.say("li", "9-999"), "没有找到房号「9-999」")
	contains(t, "unit as people write it", f.say("li", "3栋502室"), "房屋 3-502，您是", "2 租户")
	contains(t, "relation", f.say("li", "2"), "请回复业委会给您的绑定码")
	contains(t, "0 goes back one question", f.say("li", "0"), "房屋 3-502，您是")
	contains(t, "relation in a sentence", f.say("li", "我是租户。"), "请回复业委会给您的绑定码")
	contains(t, "0 goes back again", f.say("li", "0"), "房屋 3-502，您是")
	f.say("li", "租户")
	contains(t, "bad code", f.say("li", "12ab"), "绑定码是 16 位数字")
	contains(t, "short code", f.say("li", "12345678"), "绑定码是 16 位数字")
	contains(t, "full-width code in groups", f.say("li", "１２３４ ５６７８－１２３４ ５６７８"), "您将绑定房屋 3-502（租户），绑定码 12************78")
	f.say("li", "1")
	subs := f.l.submitted()
	if len(subs) != 1 || *subs[0].(*tx.MemberBind) != (tx.MemberBind{Unit: "3-502", Relation: tx.RelationTenant, Code: "1234567812345678"}) {
		t.Errorf("submitted %v", subs)
	}
	f.bind("li")
	contains(t, "bound user binding again", f.say("li", "绑定"), "您已经绑定了 3-502（业主）")
}

func TestNonAdminIsRefusedAndNothingSubmitted(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	for _, in := range []string{"管理", "管理 发码 3-502", "管理 发起投票 聚餐 周六、周日", "管理 设角色 3-502 管理员", "管理 发起表决 换电梯 一般"} {
		contains(t, in, f.say("wang", in), "只有业委会的管理人员才能办理", "没有提交")
	}
	if n := len(f.l.submitted()); n != 0 {
		t.Errorf("%d txs submitted for a resident's admin commands", n)
	}
}

func TestAdminPollOneLine(t *testing.T) {
	f := newFixture(t)
	f.admin("boss")
	got := f.say("boss", "管理 发起投票 周末聚餐 周六、周日、都行 3天 多选")
	want := "您将发起投票【周末聚餐】\n选项：1 周六  2 周日  3 都行\n可多选，投 3 天，到 3月13日（周五）10:00 截止\n确认请回复 1，重选请回复 2"
	if got != want {
		t.Errorf("confirmation =\n%s\nwant\n%s", got, want)
	}
	contains(t, "receipt", f.say("boss", "1"), "✅ 已记录：发起投票【周末聚餐】")
	subs := f.l.submitted()
	if len(subs) != 1 {
		t.Fatalf("submitted %v", subs)
	}
	p := subs[0].(*tx.PollOpen)
	now := fixedNow.Unix()
	if p.Title != "周末聚餐" || !slices.Equal(p.Options, []string{"周六", "周日", "都行"}) || !p.Multi || p.VoteEnd != now+3*day || p.VoteStart > now {
		t.Errorf("poll = %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("poll does not validate: %v", err)
	}
}

func TestAdminDecisionGuided(t *testing.T) {
	f := newFixture(t)
	f.admin("boss")
	contains(t, "admin menu", f.run("boss", "菜单", "8"), "1 发起表决", "7 设角色")
	for _, step := range []struct{ in, want string }{
		{"1", "请回复标题"},
		{"  更换 3 栋电梯  ", "请回复详细说明"},
		{"无", "这是哪类事项"},
		{"3", "请回复下面列出的数字"},
		{"2", "由谁表决"},
		{"3栋、5栋", "投票进行几天"},
		{"0", "由谁表决"},
		{"3号楼 5栋", "投票进行几天"},
		{"99", "天数不在允许的范围内"},
		{"十天", "您将发起业主表决【更换 3 栋电梯】\n特别事项（四分之三同意通过），3、5 栋业主表决\n公示后 3月25日（周三）11:00 开始投票，4月4日（周六）11:00 截止"},
	} {
		contains(t, fmt.Sprintf("answer %q", step.in), f.say("boss", step.in), step.want)
	}
	f.say("boss", "1")
	subs := f.l.submitted()
	if len(subs) != 1 {
		t.Fatalf("submitted %v", subs)
	}
	p := subs[0].(*tx.ProposalOpen)
	now := fixedNow.Unix()
	// The notice a minute back, so that a block whose time trails the
	// clock notices it; voting after the minimum notice and a minute,
	// rounded up to the hour.
	start := now + 15*day + 3600
	if p.Title != "更换 3 栋电梯" || p.Text != "" || p.Class != tx.ClassSpecial || !slices.Equal(p.Buildings, []string{"3", "5"}) ||
		p.NoticeAt != now-60 || p.VoteStart != start || p.VoteEnd != start+10*day {
		t.Errorf("decision = %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("decision does not validate: %v", err)
	}
}

func TestAdminBindCodeIsShownOnceAndNeverStored(t *testing.T) {
	f := newFixture(t)
	f.admin("boss")
	contains(t, "one line", f.say("boss", "管理 发码 3-502 租户"), "您将为 3-502 的租户发一个绑定码（7 天内有效）")
	got := f.say("boss", "1")
	contains(t, "receipt", got, "绑定码：7777 7777 7777 7777（只显示这一次")
	subs := f.l.submitted()
	if len(subs) != 1 {
		t.Fatalf("submitted %v", subs)
	}
	b := subs[0].(*tx.BindCodeIssue)
	if b.Unit != "3-502" || b.Relation != tx.RelationTenant || b.ExpiresAt != fixedNow.Add(bindCodeTTL).Unix() || b.Validate() != nil {
		t.Errorf("issue = %+v", b)
	}
	salt, _ := hex.DecodeString(b.Salt)
	if want := tx.NewBindVerifier("7777777777777777", salt); b.BindVerifier != want {
		t.Errorf("issued verifier = %+v, want the one of the code shown", b.BindVerifier)
	}
	for k, s := range f.s.m {
		if strings.Contains(string(s.state), "7777") {
			t.Errorf("session %s stores the code: %s", k, s.state)
		}
	}
	contains(t, "receipts", f.say("boss", "回执"), "为 3-502 的租户发一个绑定码")
	lacks(t, "receipts", f.say("boss", "回执"), "7777")
}

// Codes never lock, so an admin about to replace one sees how many wrong
// codes were tried with it.
func TestAdminSeesWrongTriesBeforeANewCode(t *testing.T) {
	f := newFixture(t)
	f.admin("boss")
	f.l.set("units/3-502", struct {
		abci.Unit
		Members   []abci.Member         `json:"members"`
		BindCodes []abci.BindCodeStatus `json:"bind_codes"`
	}{abci.Unit{Unit: "3-502", Building: "3", Area: 8950, Owner: "O-7"}, []abci.Member{},
		[]abci.BindCodeStatus{{Relation: tx.RelationOwner, ExpiresAt: fixedNow.Unix() + 3600, Failures: 12}}})
	contains(t, "owner code", f.say("boss", "管理 发码 3-502"), "这户现有的业主绑定码还没用过，已有 12 次输错", "您将为 3-502 的业主发一个绑定码")
	f.say("boss", "2")
	got := f.say("boss", "管理 发码 3-502 租户")
	lacks(t, "tenant code", got, "输错")
	contains(t, "tenant code", got, "您将为 3-502 的租户发一个绑定码")
}

func TestAdminRole(t *testing.T) {
	f := newFixture(t)
	f.admin("boss")
	wang, _ := f.l.Address(UserRef{Channel: "console", ID: "wang"})
	f.l.set("units/3-502", struct {
		abci.Unit
		Members []abci.Member `json:"members"`
	}{abci.Unit{Unit: "3-502"}, []abci.Member{{Address: wang, Unit: "3-502", Relation: tx.RelationOwner}}})
	got := f.say("boss", "管理 设角色 3-502 财务")
	contains(t, "one line", got, "您将授予 3-502 的成员（账户 "+string(wang[:8])+"…）财务身份")
	f.say("boss", "1")
	if subs := f.l.submitted(); len(subs) != 1 || *subs[0].(*tx.RoleGrant) != (tx.RoleGrant{Address: wang, Role: tx.RoleTreasurer}) {
		t.Errorf("submitted %v", subs)
	}

	// A role revoked while the dialogue runs stops it at the confirmation.
	f.run("boss", "管理", "7", "3-502", "3", "2")
	a, _ := f.l.Address(UserRef{Channel: "console", ID: "boss"})
	f.l.set("members/"+string(a), abci.MemberView{Address: a, Roles: []string{}})
	contains(t, "confirm after losing the role", f.say("boss", "1"), "只有业委会的管理人员才能办理")
	if n := len(f.l.submitted()); n != 1 {
		t.Errorf("%d txs submitted, want still 1", n)
	}
}

func TestGroupEtiquette(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.run("wang", "菜单", "1") // a private conversation in progress
	group := func(text string, mentioned bool) *Reply {
		r, err := f.e.Handle(context.Background(), &Request{Channel: "wxgroup", User: "wang", Group: "g1", Mentioned: mentioned, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, in := range []string{"1", "今天天气不错", "好的"} {
		if r := group(in, false); r != nil && in != "好的" {
			t.Errorf("unaddressed %q in a group got a reply: %q", in, r.Text())
		}
	}
	r := group("投票", false)
	if r == nil || r.Private {
		t.Fatalf("投票 in a group = %+v, want a public reply", r)
	}
	contains(t, "投票 in a group", r.Text(), "使用维修资金更换3栋电梯", "要投票请私聊我")
	for _, in := range []string{"我的", "回执", "绑定 3-502 12345678", "管理 发码 3-502"} {
		r := group(in, false)
		contains(t, in+" in a group", r.Text(), "请私聊我继续")
		lacks(t, in+" in a group", r.Text(), "3-502", "O-7")
	}
	contains(t, "@-mention with a digit", group("1", true).Text(), "投票、绑定房屋、查看个人信息，请私聊我")
	if n := len(f.l.submitted()); n != 0 {
		t.Errorf("group messages submitted %d txs", n)
	}
	contains(t, "private session untouched", f.say("wang", "2"), "【投票】中秋活动定在哪天")
}

// TestBindWrongCodeAcceptsTheNextCode: after a code the chain finds
// wrong, the next message is read as a code (no need to start over), and
// nothing speaks of a lock: wrong codes never lock a unit.
func TestBindWrongCodeAcceptsTheNextCode(t *testing.T) {
	f := newFixture(t)
	f.l.set("units/3-502", struct {
		abci.Unit
		Members   []abci.Member         `json:"members"`
		BindCodes []abci.BindCodeStatus `json:"bind_codes"`
	}{abci.Unit{Unit: "3-502", Building: "3", Area: 8950, Owner: "O-7"}, []abci.Member{},
		[]abci.BindCodeStatus{{Relation: tx.RelationOwner, Failures: 1}}})
	wrong := true
	f.l.submit = func(b tx.Body) (ledger.Receipt, error) {
		if wrong {
			return ledger.Receipt{Height: 20, Hash: strings.Repeat("ab", 32), Code: uint32(abci.CodeBindCodeWrong)}, nil
		}
		return ledger.Receipt{Height: 21, Hash: strings.Repeat("cd", 32)}, nil
	}
	f.say("li", "绑定 3-502 1234 5678 1234 5678")
	got := f.say("li", "1")
	contains(t, "wrong", got, "绑定码不对", "请回复业委会给您的绑定码")
	lacks(t, "wrong", got, "❌", "再试", "暂停")
	wrong = false
	contains(t, "next code", f.say("li", "8765 4321 8765 4321"), "您将绑定房屋 3-502（业主），绑定码 87************21")
	contains(t, "bound", f.say("li", "1"), "✅ 已记录：绑定房屋 3-502（业主）")
	subs := f.l.submitted()
	if len(subs) != 2 || subs[1].(*tx.MemberBind).Code != "8765432187654321" {
		t.Errorf("submitted %v", subs)
	}
	contains(t, "receipts keep the wrong try", f.say("li", "回执"), "没有记录：绑定码不对")
}

// TestBindExamplesAreNotInput: the examples the bind screens show cannot
// be sent as they are and spend a unit's try.
func TestBindExamplesAreNotInput(t *testing.T) {
	f := newFixture(t)
	for _, screen := range []string{f.say("li", "绑定"), f.run("li", "菜单", "1", "1", "1"), f.run("li", "菜单", "6", "1")} {
		lacks(t, "example", screen, "3-502 1", "12345678")
	}
	contains(t, "format copied", f.say("li", "绑定 房号 绑定码"), "没有找到房号")
	if subs := f.l.submitted(); len(subs) != 0 {
		t.Errorf("submitted %v", subs)
	}
}

func TestRejectedTxIsPlainChinese(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.l.submit = func(tx.Body) (ledger.Receipt, error) {
		return ledger.Receipt{Height: 20, Hash: strings.Repeat("ab", 32), Code: uint32(abci.CodeVotingClosed), Log: "voting on 1 closed at 123"}, nil
	}
	got := f.run("wang", "菜单", "1", "1", "1", "1")
	contains(t, "rejection", got, "❌ 没有记录。"+f.e.Templates.CodeMessage(uint32(abci.CodeVotingClosed), ""))
	lacks(t, "rejection", got, "voting_closed", "closed at", "49")
	contains(t, "receipts keep the rejection", f.say("wang", "回执"), "没有记录：投票已经结束")
}

func TestSlowCommitIsAcknowledgedAndReceiptFollows(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	hash := strings.Repeat("cd", 32)
	f.l.submit = func(tx.Body) (ledger.Receipt, error) {
		return ledger.Receipt{Hash: hash}, fmt.Errorf("ledger: tx %s: %w", hash, ledger.ErrPending)
	}
	f.run("wang", "菜单", "1", "1", "1")
	r, err := f.e.Handle(context.Background(), &Request{Channel: "console", User: "wang", Text: "1"})
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "pending", r.Text(), "⏳ 正在记录：对【使用维修资金更换3栋电梯】投 同意", "记好后马上把回执发给您")
	if r.Later == nil {
		t.Fatal("pending reply has no Later")
	}
	contains(t, "receipts while pending", f.say("wang", "回执"), "正在记录…")
	if _, err := r.Later(context.Background()); !errors.Is(err, ledger.ErrPending) {
		t.Errorf("Later before the commit: err = %v, want ErrPending", err)
	}
	f.l.mu.Lock()
	f.l.waits[hash] = ledger.Receipt{Height: 42, Hash: hash}
	f.l.mu.Unlock()
	later, err := r.Later(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "later receipt", later.Text(), "✅ 已记录：对【使用维修资金更换3栋电梯】投 同意", "区块 #42 · 凭证 cdcdcdcd")
	if !later.Private {
		t.Error("a later receipt must go to the user privately")
	}
	contains(t, "receipts after the commit", f.say("wang", "回执"), "区块 #42 · 凭证 cdcdcdcd")
}

func TestLedgerUnreachableIsAPoliteAnswer(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.run("wang", "菜单", "1", "1", "1")
	f.l.submit = func(tx.Body) (ledger.Receipt, error) { return ledger.Receipt{}, ledger.ErrUnreachable }
	contains(t, "submit fails", f.say("wang", "1"), "暂时连不上账本，还没有记录。请稍后回复 1 再试一次。")
	f.l.submit = nil
	contains(t, "retry", f.say("wang", "1"), "✅ 已记录")

	f.l.set("proposals", ledger.ErrUnreachable)
	got := f.say("wang", "投票")
	if got != "系统忙，请稍后再试。" {
		t.Errorf("query fails: %q", got)
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"TemplateInAnAnswer", `绑定 {{.X}} 12345678`, "没有找到房号「{{.X}}」"},
		{"Empty", "", "1 投票表决"},
		{"Spaces", " \t ", "1 投票表决"},
		{"TenKilobytes", strings.Repeat("长", 3500), "这条消息太长了"},
		{"Emoji", "🙂🙂🙂", "1 投票表决"},
		{"ControlCharacters", "\x00\x1b[31m\x07", "1 投票表决"},
		{"InvalidUTF8", "\xff\xfe\xfd", "1 投票表决"},
		{"SQL", "'; DROP TABLE sessions; --", "没看懂您的回复"},
		{"TemplateAction", `{{template "bot.help"}}{{.Secret}}`, "没看懂您的回复"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.say("wang", "菜单")
			got := f.say("wang", tc.in)
			f.bind("wang") // unbound for the first case only
			contains(t, tc.name, got, tc.want)
			lacks(t, tc.name, got, "<no value>", "怎么用") // nothing executed the user's text
		})
	}
	if n := len(f.l.submitted()); n != 0 {
		t.Errorf("bad input submitted %d txs", n)
	}
	if r, err := f.e.Handle(context.Background(), &Request{Text: "1"}); err == nil || r != nil {
		t.Errorf("request without a user = %v, %v; want ErrBadRequest", r, err)
	}
}

func TestConcurrentConfirmationsSubmitOnce(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.run("wang", "菜单", "1", "1", "1")
	var wg sync.WaitGroup
	replies := make([]string, 8)
	for i := range replies {
		wg.Go(func() { replies[i] = f.say("wang", "1") })
	}
	wg.Wait()
	if n := len(f.l.submitted()); n != 1 {
		t.Errorf("8 concurrent confirmations submitted %d txs, want 1", n)
	}
	receipts := 0
	for _, r := range replies {
		if strings.Contains(r, "✅ 已记录") {
			receipts++
		}
	}
	if receipts != 1 {
		t.Errorf("%d replies carry a receipt, want 1: %q", receipts, replies)
	}
}

func TestFloodIsRateLimited(t *testing.T) {
	f := newFixture(t)
	f.e.RateBurst, f.e.RatePer = 10, 10*time.Second
	for i := range 10 {
		if got := f.say("wang", "菜单"); !strings.Contains(got, "1 投票表决") {
			t.Fatalf("message %d: %q", i+1, got)
		}
	}
	const notice = "您发得太快了，这条消息没有处理。请歇一会儿，十几秒后再发。"
	for _, n := range []string{"11th", "12th", "13th"} {
		// Every limited message is answered: none is dropped silently.
		if got := f.say("wang", "菜单"); got != notice {
			t.Errorf("%s message = %q, want the rate notice", n, got)
		}
	}
	contains(t, "another user", f.say("li", "菜单"), "1 投票表决")
	f.advance(time.Second)
	contains(t, "a second later", f.say("wang", "菜单"), "1 投票表决")
	if got := f.say("wang", "菜单"); got != notice {
		t.Errorf("right after = %q, want the notice again", got)
	}
	f.e = New(f.l, f.s, f.e.Templates)
	f.e.Now = func() time.Time { return fixedNow }
	f.e.RateBurst = 0
	for i := range 50 {
		if got := f.say("wang", "菜单"); !strings.Contains(got, "1 投票表决") {
			t.Fatalf("unlimited engine, message %d: %q", i+1, got)
		}
	}
}

func TestSplitAtLineBoundaries(t *testing.T) {
	line := strings.Repeat("字", 100) // 300 bytes
	text := strings.Repeat(line+"\n", 20)
	parts := Split(text, MaxPartBytes)
	if len(parts) != 4 {
		t.Fatalf("%d parts, want 4", len(parts))
	}
	for i, p := range parts {
		if len(p) > MaxPartBytes || strings.HasPrefix(p, "\n") || strings.HasSuffix(p, "\n") {
			t.Errorf("part %d: %d bytes, starts or ends with a newline", i, len(p))
		}
		for _, l := range strings.Split(p, "\n") {
			if l != line {
				t.Errorf("part %d cut a line", i)
			}
		}
	}
	long := strings.Repeat("长", 1000) // one 3000-byte line
	parts = Split(long, MaxPartBytes)
	if len(parts) != 2 || parts[0]+parts[1] != long || len(parts[0]) != 1998 {
		t.Errorf("a long line split into %d parts of %d bytes", len(parts), len(parts[0]))
	}
	if got := Split("a\nb", MaxPartBytes); !slices.Equal(got, []string{"a\nb"}) {
		t.Errorf("short text = %q", got)
	}
}

// TestSessionsPersistInGatewayDB restarts everything but the chain: a new
// engine over a reopened gateway.db continues the conversation.
func TestSessionsPersistInGatewayDB(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	file := filepath.Join(t.TempDir(), "gateway.db")
	gw, err := store.OpenGateway(file)
	if err != nil {
		t.Fatal(err)
	}
	f.e.Sessions = gw.Sessions()
	f.run("wang", "菜单", "1", "1", "反对")
	gw.Close()

	gw, err = store.OpenGateway(file)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	e := New(f.l, gw.Sessions(), f.e.Templates)
	e.Now = f.e.Now
	r, err := e.Handle(context.Background(), &Request{Channel: "console", User: "wang", Text: "1"})
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "confirmation after a restart", r.Text(), "✅ 已记录：对【使用维修资金更换3栋电梯】投 反对")
}
