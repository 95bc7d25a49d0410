package bot

import (
	"bytes"
	"context"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

func (f *fixture) addr(user string) tx.Address {
	a, _ := f.l.Address(UserRef{Channel: "console", ID: user})
	return a
}

// sharingFixture has wang (3-502) sharing a drill (item 5) that li (3-501)
// has asked to borrow (booking 9).
func sharingFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.bind("wang")
	li := f.addr("li")
	f.l.set("members/"+string(li), abci.MemberView{Address: li, Nonce: 3, Roles: []string{}, Unit: "3-501", Relation: tx.RelationOwner, Owner: "O-1"})
	drill := abci.Item{ID: 5, Kind: tx.ItemTool, Title: "电钻", Text: "带三个钻头", Poster: f.addr("wang"), Unit: "3-502", Version: 1, Status: abci.ItemOpen}
	tomorrow := time.Date(2026, 3, 11, 8, 0, 0, 0, f.e.Location).Unix()
	bk := abci.Booking{ID: 9, Item: 5, Borrower: li, Unit: "3-501", Relation: tx.RelationOwner, Start: tomorrow, End: tomorrow + 4*3600, Status: abci.BookingPending}
	f.l.set("items", []abci.Item{drill})
	f.l.set("items/5", itemDetail{drill, []abci.Booking{bk}})
	f.l.set("bookings/9", bk)
	f.l.set("members/"+string(li)+"/bookings", []abci.Booking{bk})
	f.l.set("members/"+string(f.addr("wang"))+"/items", []struct {
		abci.Item
		Pending int `json:"pending"`
	}{{drill, 1}})
	return f
}

func TestSharingBorrowWithDigits(t *testing.T) {
	f := sharingFixture(t)
	contains(t, "list", f.run("li", "菜单", "3", "1"), "1 【工具】电钻（免费）· 3-502")
	contains(t, "item", f.say("li", "1"), "【工具】电钻\n带三个钻头\n费用：免费\n共享人：3-502\n1 申请借用")
	contains(t, "day", f.say("li", "1"), "【电钻】哪天用？\n1 今天 3月10日（周二）\n2 明天 3月11日（周三）")
	contains(t, "slot", f.say("li", "2"), "1 上午 8:00–12:00")
	if got := f.say("li", "1"); got != "您将申请借用【电钻】，3月11日（周三）08:00–12:00，免费，确认请回复 1，重选请回复 2" {
		t.Errorf("confirmation = %q", got)
	}
	contains(t, "receipt", f.say("li", "1"), "✅ 已记录：申请借用【电钻】", "对方同意后就可以用了")
	subs := f.l.submitted()
	want := tx.BookingRequest{Item: 5, Start: time.Date(2026, 3, 11, 8, 0, 0, 0, f.e.Location).Unix(), End: time.Date(2026, 3, 11, 12, 0, 0, 0, f.e.Location).Unix()}
	if len(subs) != 1 || *subs[0].(*tx.BookingRequest) != want {
		t.Errorf("submitted %v, want %+v", subs, want)
	}
	contains(t, "own item", f.run("wang", "共享", "1", "1"), "这是您共享的")
}

func TestSharingCancelMyBooking(t *testing.T) {
	f := sharingFixture(t)
	contains(t, "my bookings", f.run("li", "共享", "2"), "1 【工具】电钻 · 3月11日（周三）08:00–12:00 · 等待对方答复")
	contains(t, "booking", f.say("li", "1"), "状态：等待对方答复\n1 取消预约")
	contains(t, "confirm", f.say("li", "1"), "您将取消预约【电钻】，3月11日（周三）08:00–12:00")
	f.say("li", "1")
	if subs := f.l.submitted(); len(subs) != 1 || *subs[0].(*tx.BookingCancel) != (tx.BookingCancel{Booking: 9}) {
		t.Errorf("submitted %v", subs)
	}
}

func TestSharingAnswerARequest(t *testing.T) {
	f := sharingFixture(t)
	contains(t, "posted", f.run("wang", "共享", "4"), "1 【工具】电钻（免费） · 1 个申请待处理")
	contains(t, "requests", f.say("wang", "1"), "1 3-501 · 3月11日（周三）08:00–12:00")
	contains(t, "request", f.say("wang", "1"), "3-501 想借【电钻】", "1 同意\n2 婉拒")
	contains(t, "decline", f.say("wang", "2"), "您将婉拒 3-501 借用【电钻】的申请")
	f.say("wang", "2") // 重选
	contains(t, "accept", f.say("wang", "1"), "您将同意 3-501 借用【电钻】，3月11日（周三）08:00–12:00")
	f.say("wang", "1")
	if subs := f.l.submitted(); len(subs) != 1 || *subs[0].(*tx.BookingAccept) != (tx.BookingAccept{Booking: 9}) {
		t.Errorf("submitted %v", subs)
	}
}

// lentFixture adds booking 10: li has the drill this morning (accepted,
// started at 08:00; the fixture's now is 10:00).
func lentFixture(t *testing.T) *fixture {
	f := sharingFixture(t)
	li := f.addr("li")
	today := time.Date(2026, 3, 10, 8, 0, 0, 0, f.e.Location).Unix()
	pending, _ := f.l.answers["bookings/9"].(abci.Booking)
	lent := abci.Booking{ID: 10, Item: 5, Borrower: li, Unit: "3-501", Relation: tx.RelationOwner, Start: today, End: today + 4*3600, Status: abci.BookingAccepted}
	drill := f.l.answers["items/5"].(itemDetail)
	drill.Bookings = []abci.Booking{pending, lent}
	f.l.set("items/5", drill)
	f.l.set("bookings/10", lent)
	f.l.set("members/"+string(li)+"/bookings", []abci.Booking{pending, lent})
	return f
}

func TestSharingBorrowerSaysItIsBack(t *testing.T) {
	f := lentFixture(t)
	contains(t, "my bookings", f.run("li", "共享", "2"), "1 【工具】电钻 · 3月10日（周二）08:00–12:00 · 已同意")
	got := f.say("li", "1")
	contains(t, "booking", got, "状态：已同意\n用完还回去以后，请回复：\n1 我已归还")
	if strings.Contains(got, "取消预约") {
		t.Errorf("a started booking offers to cancel:\n%s", got)
	}
	contains(t, "confirm", f.say("li", "1"), "您将确认【电钻】已归还（3月10日（周二）08:00–12:00）")
	contains(t, "receipt", f.say("li", "1"), "✅ 已记录", "借还完成")
	if subs := f.l.submitted(); len(subs) != 1 || *subs[0].(*tx.BookingReturn) != (tx.BookingReturn{Booking: 10}) {
		t.Errorf("submitted %v", subs)
	}
}

func TestSharingPosterRecordsReturnOrNoShow(t *testing.T) {
	f := lentFixture(t)
	contains(t, "requests", f.run("wang", "共享", "4", "1"),
		"【电钻】\n待处理的申请，回复数字处理：\n1 3-501 · 3月11日（周三）08:00–12:00\n已同意的借用：\n2 3-501 · 3月10日（周二）08:00–12:00\n3 撤下这件物品")
	contains(t, "lent", f.say("wang", "2"), "3-501 借用【电钻】", "1 已归还\n2 对方没有来取")
	contains(t, "no-show", f.say("wang", "2"), "您将记下 3-501 没有来取【电钻】（3月10日（周二）08:00–12:00）")
	f.say("wang", "2") // 重选
	contains(t, "return", f.say("wang", "1"), "您将确认【电钻】已归还")
	f.say("wang", "1")
	if subs := f.l.submitted(); len(subs) != 1 || *subs[0].(*tx.BookingReturn) != (tx.BookingReturn{Booking: 10}) {
		t.Errorf("submitted %v", subs)
	}
	f.run("wang", "共享", "4", "1", "2", "2")
	f.say("wang", "1")
	if subs := f.l.submitted(); len(subs) != 2 || *subs[1].(*tx.BookingNoShow) != (tx.BookingNoShow{Booking: 10}) {
		t.Errorf("submitted %v", subs)
	}
	// A booking that has not started yet cannot be either.
	got := f.run("wang", "共享", "4", "1", "1")
	if strings.Contains(got, "已归还") || !strings.Contains(got, "1 同意") {
		t.Errorf("a pending request offers a return:\n%s", got)
	}
}

func TestSharingPosterWithdrawsAnItem(t *testing.T) {
	f := lentFixture(t)
	f.run("wang", "共享", "4", "1")
	contains(t, "confirm", f.say("wang", "3"), "您将撤下【电钻】，不再共享（1 个待处理的申请会被婉拒）")
	f.say("wang", "1")
	if subs := f.l.submitted(); len(subs) != 1 || *subs[0].(*tx.ItemWithdraw) != (tx.ItemWithdraw{Item: 5}) {
		t.Errorf("submitted %v", subs)
	}
	drill := f.l.answers["items/5"].(itemDetail)
	drill.Status = abci.ItemWithdrawn
	f.l.set("items/5", drill)
	got := f.run("wang", "共享", "4", "1")
	contains(t, "withdrawn", got, "已撤下，不再共享。")
	if strings.Contains(got, "撤下这件物品") {
		t.Errorf("a withdrawn item offers to be withdrawn:\n%s", got)
	}
}

func TestSharingPostAnItem(t *testing.T) {
	f := sharingFixture(t)
	contains(t, "kind", f.run("wang", "共享", "3"), "要共享什么？")
	contains(t, "title", f.say("wang", "1"), "请用一句话说说是什么")
	contains(t, "text", f.say("wang", "B2-051 车位"), "还有什么要说明的")
	contains(t, "price", f.say("wang", "工作日白天空着"), "收费吗？")
	contains(t, "bad price", f.say("wang", "便宜点"), "没看懂价格")
	if got := f.say("wang", "2.5元/小时"); got != "您将共享【车位】B2-051 车位，2.50元/小时\n说明：工作日白天空着\n确认请回复 1，重选请回复 2" {
		t.Errorf("confirmation = %q", got)
	}
	f.say("wang", "1")
	want := tx.ItemPost{Kind: tx.ItemParking, Title: "B2-051 车位", Text: "工作日白天空着", Terms: tx.Terms{Price: 250, Per: tx.PerHour}}
	if subs := f.l.submitted(); len(subs) != 1 || subs[0].(*tx.ItemPost).Title != want.Title || subs[0].(*tx.ItemPost).Terms != want.Terms || subs[0].(*tx.ItemPost).Kind != want.Kind {
		t.Errorf("submitted %v, want %+v", subs, want)
	}
	contains(t, "unbound", f.run("nobody", "共享", "3"), "这项需要先绑定房屋")
}

func TestParsePrice(t *testing.T) {
	for _, tc := range []struct {
		in  string
		fen int64
		per string
		ok  bool
	}{
		{"0", 0, "", true}, {"免费", 0, "", true}, {"5元/小时", 500, tx.PerHour, true}, {"5/时", 500, tx.PerHour, true},
		{"20元每天", 2000, tx.PerDay, true}, {"2.5元一天", 250, tx.PerDay, true}, {"0.05元/小时", 5, tx.PerHour, true},
		{"5元", 0, "", false}, {"-5元/天", 0, "", false}, {"0元/天", 0, "", false}, {"999999元/天", 0, "", false},
	} {
		fen, per, ok := parsePrice(tc.in)
		if fen != tc.fen || per != tc.per || ok != tc.ok {
			t.Errorf("parsePrice(%q) = %d %q %v, want %d %q %v", tc.in, fen, per, ok, tc.fen, tc.per, tc.ok)
		}
	}
}

func TestNotices(t *testing.T) {
	f := newFixture(t)
	n := abci.Announcement{ID: 3, Title: "停水通知", Text: "3月12日 9:00–15:00 停水，请提前储水。", Time: fixedNow.Unix(), Height: 88, TxHash: "1a2b3c4d5e"}
	f.l.set("announcements", []abci.Announcement{n})
	f.l.set("announcements/3", n)
	contains(t, "list before binding", f.run("li", "菜单", "4"), "1 停水通知（3月10日（周二）10:00）")
	contains(t, "notice", f.say("li", "1"), "【停水通知】\n3月12日 9:00–15:00 停水，请提前储水。\n发布于 3月10日（周二）10:00 · 区块 #88 · 凭证 1a2b3c4d\n1 大家的意见\n")
	contains(t, "comments", f.say("li", "1"), "【停水通知】还没有人发表意见。\n1 我要说两句")
	f.say("li", "0")
	r, err := f.e.Handle(t.Context(), &Request{Channel: "wxgroup", User: "li", Group: "g", Text: "公告"})
	if err != nil || r == nil {
		t.Fatal(err)
	}
	contains(t, "group", r.Text(), "· 停水通知（3月10日（周二）10:00）")
}

func TestAdminPostsANotice(t *testing.T) {
	f := newFixture(t)
	f.admin("boss")
	got := f.say("boss", "管理 公告 停水通知 3月12日白天停水，请提前储水。")
	if want := "您将发布公告【停水通知】：3月12日白天停水，请提前储水，确认请回复 1，重选请回复 2"; got != want {
		t.Errorf("confirmation = %q, want %q", got, want)
	}
	f.say("boss", "1")
	contains(t, "guided", f.run("boss", "管理", "5", "电梯检修"), "请回复公告正文")
	contains(t, "empty text", f.say("boss", "  "), "内容不能为空")
	f.run("boss", "周五上午电梯检修", "1")
	subs := f.l.submitted()
	if len(subs) != 2 || *subs[0].(*tx.AnnouncementPost) != (tx.AnnouncementPost{Title: "停水通知", Text: "3月12日白天停水，请提前储水。"}) ||
		*subs[1].(*tx.AnnouncementPost) != (tx.AnnouncementPost{Title: "电梯检修", Text: "周五上午电梯检修"}) {
		t.Errorf("submitted %v", subs)
	}
	f.bind("wang")
	contains(t, "resident", f.say("wang", "管理 公告 x y"), "只有业委会的管理人员才能办理")
}

func TestRepairs(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	contains(t, "title", f.run("wang", "菜单", "6", "1"), "哪里坏了？")
	contains(t, "text", f.say("wang", "3栋电梯按钮失灵"), "还有什么要补充的")
	if got := f.say("wang", "无"); got != "您将报修：3栋电梯按钮失灵，确认请回复 1，重选请回复 2" {
		t.Errorf("confirmation = %q", got)
	}
	f.say("wang", "1")
	if subs := f.l.submitted(); len(subs) != 1 || *subs[0].(*tx.RepairFile) != (tx.RepairFile{Kind: tx.RepairKindRepair, Title: "3栋电梯按钮失灵"}) {
		t.Errorf("submitted %v", subs)
	}

	r := abci.Repair{ID: 4, Kind: tx.RepairKindRepair, Title: "3栋电梯按钮失灵", Filer: f.addr("wang"), Unit: "3-502", Status: tx.RepairDone}
	f.l.set("repairs", []abci.Repair{r})
	f.l.set("repairs/4", repairDetail{r, []abci.RepairStep{{N: 1, Status: tx.RepairOpen}, {N: 2, Status: tx.RepairDone, Reason: "已更换按钮"}}})
	contains(t, "mine", f.run("wang", "菜单", "6", "3"), "1 【报修】3栋电梯按钮失灵 · 已处理，请确认")
	contains(t, "detail", f.say("wang", "1"), "· 已处理，请确认（已更换按钮）\n1 确认已经解决\n2 还没解决，重新提交")
	contains(t, "confirm", f.say("wang", "1"), "您将确认【3栋电梯按钮失灵】已经解决")
	f.say("wang", "1")
	contains(t, "reopen", f.run("wang", "0", "2"), "还有什么问题？")
	contains(t, "reopen confirm", f.say("wang", "按钮还是不亮"), "您将重新提交【3栋电梯按钮失灵】：按钮还是不亮")
	f.say("wang", "1")
	subs := f.l.submitted()
	if len(subs) != 3 || *subs[1].(*tx.RepairConfirm) != (tx.RepairConfirm{Repair: 4}) || *subs[2].(*tx.RepairReopen) != (tx.RepairReopen{Repair: 4, Reason: "按钮还是不亮"}) {
		t.Errorf("submitted %v", subs)
	}
	contains(t, "unbound", f.run("nobody", "报修", "1"), "这项需要先绑定房屋")
}

func TestPoints(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.l.set("points/"+string(f.addr("wang")), abci.PointsView{MemberPoints: abci.MemberPoints{Address: f.addr("wang"), Unit: "3-502", Points: 12}, UnitPoints: 30})
	f.l.set("points", []abci.UnitPoints{{Unit: "1-101", Points: 40}, {Unit: "3-502", Points: 30}})
	contains(t, "points", f.say("wang", "积分"), "我的积分：12 分\n3-502 全家：30 分", "· 1-101 40 分")
}

// Comments on a decision: listed newest first by unit, hidden ones
// without their text, and a new one through a one-question form.
func TestCommentsOnADecision(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	var cs []abci.Comment
	for i := 1; i <= 7; i++ {
		cs = append(cs, abci.Comment{ID: uint64(i), On: tx.CommentOnProposal, Target: 1, Unit: "3-501", Text: "第" + strconv.Itoa(i) + "条意见", Time: fixedNow.Unix() - int64(8-i)*3600})
	}
	cs[6].Unit, cs[5].Text, cs[5].Hidden, cs[5].HideReason = "5-101", "", true, "含有人身攻击"
	f.l.set("proposals/1/comments", cs)

	contains(t, "decision", f.run("wang", "菜单", "1", "1"), "3 弃权\n4 大家的意见（7 条）")
	got := f.say("wang", "4")
	contains(t, "comments", got, "大家的意见（最新的在前）：\n· 5-101（3月10日（周二）09:00）：第7条意见\n· 3-501（3月10日（周二）08:00）：这条意见已被管理员隐藏（含有人身攻击）",
		"· 3-501（3月10日（周二）06:00）：第4条意见\n· 3-501（3月10日（周二）05:00）：第3条意见\n（还有 2 条较早的）\n1 我要说两句")
	contains(t, "ask", f.say("wang", "1"), "请写下您对【使用维修资金更换3栋电梯】的意见")
	contains(t, "too long", f.say("wang", strings.Repeat("长", tx.MaxCommentBytes/3+1)), "意见太长了")
	if got := f.say("wang", "电梯该换了，支持！"); got != "您将对【使用维修资金更换3栋电梯】发表意见：电梯该换了，支持，确认请回复 1，重选请回复 2" {
		t.Errorf("confirmation = %q", got)
	}
	contains(t, "receipt", f.say("wang", "1"), "✅ 已记录：对【使用维修资金更换3栋电梯】发表意见")
	want := tx.CommentPost{On: tx.CommentOnProposal, Target: 1, Text: "电梯该换了，支持！"}
	if subs := f.l.submitted(); len(subs) != 1 || *subs[0].(*tx.CommentPost) != want {
		t.Errorf("submitted %v, want %+v", subs, want)
	}

	// Anyone may read; writing needs a bound unit.
	contains(t, "unbound reads", f.run("nobody", "菜单", "1", "1", "4"), "第7条意见")
	contains(t, "unbound writes", f.say("nobody", "1"), "这项需要先绑定房屋")
	if n := len(f.l.submitted()); n != 1 {
		t.Errorf("%d txs submitted, want 1", n)
	}
}

// Disputes are listed to their parties, their mediator and (while one is
// needed) admins; nobody else sees them. Opening one needs a bound unit,
// and the other side must be someone else's unit with a bound member.
func TestDisputesWhoSeesWhatAndBadParties(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.admin("boss")
	wang := f.addr("wang")
	d := abci.Dispute{ID: 4, Topic: "车位被占", Opener: wang, Parties: []tx.Address{wang}, Status: abci.DisputeOpen}
	f.l.set("disputes", []abci.Dispute{d})
	f.l.set("disputes/4", disputeDetail{Dispute: d})
	f.l.set("units/5-101", struct {
		abci.Unit
		Members []abci.Member `json:"members"`
	}{abci.Unit{Unit: "5-101", Building: "5", Area: 6025, Owner: "O-3"}, []abci.Member{}})

	contains(t, "party", f.run("wang", "报修", "4"), "1 车位被占 · 等待指派调解员\n2 我要申请调解")
	contains(t, "admin", f.run("boss", "报修", "4"), "1 车位被占 · 等待指派调解员（需要您指派）")
	contains(t, "admin's dispute", f.say("boss", "1"), "当事方：3-502\n经过、各方说明和调解结果只有当事方和调解员能看到。\n1 指派调解员")
	got := f.run("li", "报修", "4")
	if strings.Contains(got, "车位被占") {
		t.Errorf("a stranger sees the dispute:\n%s", got)
	}
	contains(t, "unbound opens", f.say("li", "1"), "这项需要先绑定房屋")

	f.run("wang", "报修", "4", "2", "车位被占", "无")
	contains(t, "own unit", f.say("wang", "3-502"), "这是您自己家的房号")
	contains(t, "no such unit", f.say("wang", "9-909"), "没有这个房号")
	contains(t, "nobody bound", f.say("wang", "5-101"), "这户还没有人绑定")
	if got := f.say("wang", "无"); got != "您将申请调解【车位被占】，确认请回复 1，重选请回复 2" {
		t.Errorf("confirmation = %q", got)
	}
	f.say("wang", "1")
	if subs := f.l.submitted(); len(subs) != 1 || subs[0].(*tx.DisputeOpen).Topic != "车位被占" || len(subs[0].(*tx.DisputeOpen).Parties) != 0 {
		t.Errorf("submitted %v", subs)
	}
}

// An admin cancels a decision that is still in its notice period, with a
// reason; once voting runs, and for anyone else, there is no such choice.
func TestAdminCancelsANoticedDecision(t *testing.T) {
	f := newFixture(t)
	f.admin("boss")
	f.bind("wang")
	now := fixedNow.Unix()
	fund := abci.Proposal{ID: 4, Kind: abci.KindDecision, Title: "筹集维修资金", Class: tx.ClassSpecial, Options: tx.DecisionOptions,
		NoticeAt: now - day, VoteStart: now + 14*day, VoteEnd: now + 21*day, Status: abci.StatusOpen}
	f.l.set("proposals/4", proposalView{fund, phaseNoticed})
	f.l.set("proposals", []proposalView{{fund, phaseNoticed}})

	got := f.run("wang", "投票", "1")
	if strings.Contains(got, "取消这一项") {
		t.Errorf("a resident is offered to cancel:\n%s", got)
	}
	contains(t, "admin", f.run("boss", "投票", "1"), "1 大家的意见\n2 取消这一项")
	contains(t, "ask", f.say("boss", "2"), "为什么取消【筹集维修资金】")
	contains(t, "empty", f.say("boss", "  "), "内容不能为空")
	if got := f.say("boss", "方案要重新核算。"); got != "您将取消【筹集维修资金】，原因：方案要重新核算，确认请回复 1，重选请回复 2" {
		t.Errorf("confirmation = %q", got)
	}
	f.say("boss", "1")
	want := tx.ProposalCancel{ID: 4, Reason: "方案要重新核算。"}
	if subs := f.l.submitted(); len(subs) != 1 || *subs[0].(*tx.ProposalCancel) != want {
		t.Errorf("submitted %v, want %+v", subs, want)
	}
	// Voting has started on decision 1: nothing to cancel there.
	f.l.set("proposals", []proposalView{f.l.answers["proposals/1"].(proposalView)})
	got = f.run("boss", "投票", "1")
	if !strings.Contains(got, "4 大家的意见") || strings.Contains(got, "取消这一项") {
		t.Errorf("a decision being voted on offers to cancel:\n%s", got)
	}
}

// A digit on a screen shown before voting opened is never taken as a
// ballot, even once voting has opened: the options were not on it. (wang
// is an admin too, so the stale screen had two numbered choices.)
func TestStaleNoticedScreenCastsNoBallot(t *testing.T) {
	f := newFixture(t)
	f.bind("wang", tx.RoleAdmin)
	now := fixedNow.Unix()
	fund := abci.Proposal{ID: 4, Kind: abci.KindDecision, Title: "筹集维修资金", Class: tx.ClassSpecial, Options: tx.DecisionOptions,
		NoticeAt: now - day, VoteStart: now + day, VoteEnd: now + 8*day, Status: abci.StatusOpen}
	f.l.set("proposals", []proposalView{{fund, phaseNoticed}})
	f.l.set("proposals/4", proposalView{fund, phaseNoticed})
	contains(t, "noticed", f.run("wang", "投票", "1"), "公示中", "1 大家的意见\n2 取消这一项")
	f.l.set("proposals/4", proposalView{fund, phaseVoting})
	contains(t, "stale digit", f.say("wang", "3"), "没看懂您的回复")
	if n := len(f.l.submitted()); n != 0 {
		t.Errorf("%d txs submitted, want none", n)
	}
	contains(t, "fresh screen", f.run("wang", "投票", "1"), "1 同意")
	contains(t, "ballot", f.say("wang", "3"), "您将对【筹集维修资金】投 弃权")
}

// A request whose time passed without an answer shows as expired to the
// borrower (nothing to cancel) and is no longer listed for the poster to
// answer; the chain would refuse to accept it.
func TestSharingUnansweredRequestExpires(t *testing.T) {
	f := sharingFixture(t)
	li := f.addr("li")
	yesterday := time.Date(2026, 3, 9, 8, 0, 0, 0, f.e.Location).Unix()
	pending, _ := f.l.answers["bookings/9"].(abci.Booking)
	old := abci.Booking{ID: 11, Item: 5, Borrower: li, Unit: "3-501", Relation: tx.RelationOwner, Start: yesterday, End: yesterday + 4*3600, Status: abci.BookingPending}
	drill := f.l.answers["items/5"].(itemDetail)
	drill.Bookings = []abci.Booking{pending, old}
	f.l.set("items/5", drill)
	f.l.set("bookings/11", old)
	f.l.set("members/"+string(li)+"/bookings", []abci.Booking{pending, old})

	contains(t, "list", f.run("li", "共享", "2"), "1 【工具】电钻 · 3月9日（周一）08:00–12:00 · 已过期（对方没有答复）\n2 【工具】电钻 · 3月11日（周三）08:00–12:00 · 等待对方答复")
	got := f.say("li", "1")
	if !strings.Contains(got, "状态：已过期（对方没有答复）") || strings.Contains(got, "取消预约") {
		t.Errorf("expired request:\n%s", got)
	}
	got = f.run("wang", "共享", "4", "1")
	if !strings.Contains(got, "1 3-501 · 3月11日（周三）08:00–12:00") || strings.Contains(got, "3月9日") {
		t.Errorf("poster's requests list an expired one:\n%s", got)
	}
}

// With nine proposals open, the votes list keeps its last digit for the
// meeting requests and says one more is not listed.
func TestVotesListKeepsADigitForMeetings(t *testing.T) {
	f := newFixture(t)
	now := fixedNow.Unix()
	var list []proposalView
	for i := 1; i <= 9; i++ {
		p := abci.Proposal{ID: uint64(i), Kind: abci.KindPoll, Title: "投票" + strconv.Itoa(i), Options: []string{"是", "否"},
			VoteStart: now - day, VoteEnd: now + int64(i)*day, Status: abci.StatusOpen}
		list = append(list, proposalView{p, phaseVoting})
	}
	f.l.set("proposals", list)
	got := f.run("li", "投票")
	contains(t, "list", got, "8 【投票】投票8", "（还有 1 项没列出）\n9 联名提议召开临时业主大会")
	if strings.Contains(got, "投票9") {
		t.Errorf("nine proposals listed beside the meetings:\n%s", got)
	}
	f.l.set("meetings", []abci.Meeting{})
	f.l.set("units", []abci.Unit{{Unit: "3-501", Area: 10000, Owner: "O-1"}})
	contains(t, "meetings", f.say("li", "9"), "1 发起新的联名提议")
}

// Dispute texts go to the gateway's private store and only their
// commitments to the chain; they are shown to the parties and the
// mediator, not to an admin. Escalating publishes the outcome, and needs
// it on this gateway.
func TestDisputeTextsStayOffTheChain(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	f.bind("med", tx.RoleMediator)
	f.admin("boss")
	wang, li, med := f.addr("wang"), tx.Address(strings.Repeat("1", 40)), f.addr("med")
	ctx := context.Background()
	opening, _ := f.e.Texts.Keep(ctx, "三月起厨房吊顶滴水", fixedNow)
	said, _ := f.e.Texts.Keep(ctx, "希望尽快修好", fixedNow)
	outcome, _ := f.e.Texts.Keep(ctx, "楼上本月修好防水", fixedNow)
	d := abci.Dispute{ID: 4, Topic: "漏水", TextHash: opening, Opener: wang, Parties: []tx.Address{li, wang}, Mediator: med,
		Status: abci.DisputeResolved, OutcomeHash: outcome, Statements: 1}
	f.l.set("disputes", []abci.Dispute{d})
	f.l.set("disputes/4", disputeDetail{Dispute: d, Statements: []abci.Statement{{N: 1, By: wang, TextHash: said, Time: fixedNow.Unix()}}})

	for _, who := range []string{"wang", "med"} {
		contains(t, who+" reads the texts", f.run(who, "报修", "4", "1"), "三月起厨房吊顶滴水", "希望尽快修好", "调解结果：楼上本月修好防水")
	}
	f.l.set("disputes", []abci.Dispute{{ID: 4, Topic: "漏水", Parties: d.Parties, Mediator: med, Status: abci.DisputeOpen}})
	got := f.run("boss", "报修", "4", "1")
	lacks(t, "admin", got, "三月起", "希望尽快", "楼上本月")
	contains(t, "admin", got, "只有当事方和调解员能看到")

	// A statement: the chain gets a commitment that opens to the text.
	f.l.set("disputes/4", disputeDetail{Dispute: abci.Dispute{ID: 4, Topic: "漏水", Parties: d.Parties, Mediator: med, Status: abci.DisputeMediating}})
	f.run("wang", "菜单", "报修", "4", "1", "1", "下周请师傅来")
	f.say("wang", "1")
	subs := f.l.submitted()
	st, ok := subs[len(subs)-1].(*tx.DisputeStatement)
	if !ok || st.Dispute != 4 {
		t.Fatalf("submitted %#v, want a statement on dispute 4", subs[len(subs)-1])
	}
	if text, _, ok, _ := f.e.Texts.Get(ctx, st.TextHash); !ok || text != "下周请师傅来" {
		t.Errorf("statement commitment opens to %q, %v", text, ok)
	}
	if bytes.Contains(tx.Canonical(st), []byte("师傅")) {
		t.Errorf("the statement tx carries its text: %s", tx.Canonical(st))
	}

	// Escalating sends the outcome with the nonce that opens its commitment.
	f.l.set("disputes/4", disputeDetail{Dispute: d})
	f.run("wang", "菜单", "报修", "4", "1", "1")
	contains(t, "escalation says it publishes", f.say("wang", "1"), "调解结果会公开给全体邻居")
	subs = f.l.submitted()
	esc, ok := subs[len(subs)-1].(*tx.DisputeEscalate)
	if !ok {
		t.Fatalf("submitted %#v, want an escalation", subs[len(subs)-1])
	}
	nonce, _ := hex.DecodeString(esc.OutcomeNonce)
	if esc.Outcome != "楼上本月修好防水" || tx.TextCommitment(nonce, esc.Outcome) != outcome {
		t.Errorf("escalation publishes %q with a nonce that does not open the commitment", esc.Outcome)
	}

	// An outcome this gateway does not hold cannot be published from here.
	d.OutcomeHash = strings.Repeat("cd", 32)
	f.l.set("disputes/4", disputeDetail{Dispute: d})
	got = f.run("wang", "菜单", "报修", "4", "1")
	contains(t, "another gateway's outcome", got, "这段内容保存在写下它那一方的服务号上")
	n := len(f.l.submitted())
	contains(t, "escalating another gateway's outcome", f.say("wang", "1"), "调解结果不在本服务号上")
	if len(f.l.submitted()) != n {
		t.Errorf("an escalation without the outcome was submitted")
	}
}
