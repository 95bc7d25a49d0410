package bot

import (
	"strings"
	"testing"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// formCase is a way to reach one form's confirmation, and what its last
// question says.
type formCase struct {
	name    string
	fixture func(t *testing.T) *fixture
	user    string
	path    []string
	// last is part of the last question, which 重选 must ask again.
	last string
	// answer answers the last question again, back to the confirmation.
	answer string
}

func formCases() []formCase {
	bound := func(t *testing.T) *fixture { f := newFixture(t); f.bind("wang"); return f }
	admin := func(t *testing.T) *fixture { f := newFixture(t); f.admin("boss"); return f }
	return []formCase{
		{"Repair", bound, "wang", []string{"菜单", "6", "1", "3栋电梯按钮失灵", "无"}, "还有什么要补充的", "晚上八点以后"},
		{"Booking", sharingFixture, "li", []string{"菜单", "3", "1", "1", "1", "2", "1"}, "什么时候用？", "2"},
		{"Comment", bound, "wang", []string{"菜单", "1", "1", "4", "1", "电梯该换了"}, "请写下您对", "同意换电梯"},
		{"ItemPost", sharingFixture, "wang", []string{"共享", "3", "1", "B2-051 车位", "工作日白天空着", "2.5元/小时"}, "收费吗？", "免费"},
		{"AdminPollOneLine", admin, "boss", []string{"管理 发起投票 周末聚餐 周六、周日、都行 3天 多选"}, "投票进行几天", "5"},
		{"AdminPollGuided", admin, "boss", []string{"菜单", "8", "2", "周末聚餐", "周六、周日", "1", "3"}, "投票进行几天", "5"},
		{"AdminDecision", admin, "boss", []string{"菜单", "8", "1", "更换电梯", "无", "1", "1", "10"}, "投票进行几天", "12"},
		{"AdminNotice", admin, "boss", []string{"菜单", "8", "5", "电梯检修", "周五上午电梯检修"}, "请回复公告正文", "周六上午电梯检修"},
		{"AdminCode", admin, "boss", []string{"管理 发码 3-502"}, "绑定码发给 3-502 的", "2"},
		{"Ledger", func(t *testing.T) *fixture { return accountsFixture(t) }, "caiwu",
			[]string{"管理", "3", "2", "3", "4560", "电费", "供电局", "无"}, "还有什么说明", "三月电费"},
		{"Dispute", bound, "wang", []string{"报修", "4", "1", "车位被占", "无", "无"}, "对方是哪一户", ""},
		{"Meeting", func(t *testing.T) *fixture {
			f := bound(t)
			f.l.set("meetings", []abci.Meeting{})
			f.l.set("units", []abci.Unit{{Unit: "3-502", Area: 8950, Owner: "O-7"}})
			return f
		}, "wang", []string{"投票", "4", "1", "改选业主委员会", "无"}, "说说理由", "委员任期已满"},
	}
}

// TestFormConfirmationGoesBack: at every form's confirmation, 重选, 2, 0 and
// 返回 ask the last question again, a reflexive "1" after that records
// nothing, and 菜单 goes home without a write.
func TestFormConfirmationGoesBack(t *testing.T) {
	for _, tc := range formCases() {
		for _, back := range []string{"2", "重选", "0", "返回", "回去", "上一步"} {
			t.Run(tc.name+"/"+back, func(t *testing.T) {
				f := tc.fixture(t)
				contains(t, "confirmation", f.run(tc.user, tc.path...), "确认请回复 1")
				got := f.say(tc.user, back)
				contains(t, "after "+back, got, tc.last)
				lacks(t, "after "+back, got, "系统忙", "确认请回复 1")
				f.say(tc.user, "1")
				if subs := f.l.submitted(); len(subs) != 0 {
					t.Fatalf("after %s then 1: submitted %v", back, subs)
				}
				contains(t, "menu", f.say(tc.user, "菜单"), "请回复数字")
				if subs := f.l.submitted(); len(subs) != 0 {
					t.Errorf("submitted %v", subs)
				}
			})
		}
	}
}

// TestFormConfirmationRecordsTheChangedAnswer: after 重选 the new answer,
// not the old one, is what the confirmation shows and what is written.
func TestFormConfirmationRecordsTheChangedAnswer(t *testing.T) {
	for _, tc := range formCases() {
		if tc.answer == "" {
			continue // no other valid answer in the fixture
		}
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fixture(t)
			before := f.run(tc.user, tc.path...)
			f.say(tc.user, "重选")
			after := f.say(tc.user, tc.answer)
			contains(t, "confirmation", after, "确认请回复 1")
			if after == before {
				t.Errorf("the confirmation did not change after 重选:\n%s", after)
			}
			contains(t, "receipt", f.say(tc.user, "1"), "✅ 已记录")
			if subs := f.l.submitted(); len(subs) != 1 {
				t.Errorf("submitted %v, want one tx", subs)
			}
		})
	}
}

// TestFreeTextRefusesAReflex: a digit, a menu or confirmation word, or
// symbols alone at a free-text question are asked again and never stored;
// a comment needs real content.
func TestFreeTextRefusesAReflex(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	contains(t, "title", f.run("wang", "菜单", "6", "1"), "哪里坏了？")
	for _, in := range []string{"1", "2", "好", "确认", "嗯", "👍", "111", "同意"} {
		got := f.say("wang", in)
		contains(t, in, got, "这里请用文字说明", "回复 0 返回", "哪里坏了？")
	}
	contains(t, "text", f.say("wang", "电梯按钮失灵"), "还有什么要补充的")
	for _, in := range []string{"1", "好的", "可以"} {
		contains(t, in, f.say("wang", in), "这里请用文字说明", "还有什么要补充的")
	}
	contains(t, "无 is an answer", f.say("wang", "无"), "您将报修：电梯按钮失灵，确认请回复 1")
	f.say("wang", "1")

	// A comment: "1" twice must not publish "1" under the user's unit.
	contains(t, "comment", f.run("wang", "菜单", "1", "1", "4", "1"), "请写下您对")
	contains(t, "digit", f.say("wang", "1"), "这里请用文字说明")
	contains(t, "digit again", f.say("wang", "1"), "这里请用文字说明")
	contains(t, "too short", f.say("wang", "哦"), "意见太短了")
	contains(t, "real comment", f.say("wang", "换电梯要快"), "发表意见：换电梯要快")
	f.say("wang", "1")
	subs := f.l.submitted()
	if len(subs) != 2 {
		t.Fatalf("submitted %v, want the repair and one comment", subs)
	}
	if r := subs[0].(*tx.RepairFile); r.Title != "电梯按钮失灵" || r.Text != "" {
		t.Errorf("repair = %+v", r)
	}
	if c := subs[1].(*tx.CommentPost); c.Text != "换电梯要快" {
		t.Errorf("comment = %+v", c)
	}
}

// TestConfirmationsRestateEveryField: what the user typed is shown before
// it is written: a repair's detail, a paid booking's cost in yuan from the
// item's terms, a poll's end date with its weekday.
func TestConfirmationsRestateEveryField(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	got := f.run("wang", "菜单", "6", "1", "3栋电梯按钮失灵", "东侧那部，晚上最明显")
	if want := "您将报修：3栋电梯按钮失灵\n补充：东侧那部，晚上最明显\n确认请回复 1，重选请回复 2"; got != want {
		t.Errorf("repair confirmation =\n%s\nwant\n%s", got, want)
	}

	f = sharingFixture(t)
	space := abci.Item{ID: 6, Kind: tx.ItemParking, Title: "B2-051 车位", Poster: f.addr("wang"), Unit: "3-502", Version: 1, Status: abci.ItemOpen,
		Terms: abci.Terms{Price: 500, Per: tx.PerHour}}
	f.l.set("items", []abci.Item{space})
	f.l.set("items/6", itemDetail{Item: space})
	// All day (8:00–22:00) tomorrow at 5 元/小时 is 14 hours: 70 元.
	got = f.run("li", "菜单", "3", "1", "1", "1", "2", "4")
	contains(t, "booking", got, "申请借用【B2-051 车位】，3月11日（周三）08:00–22:00\n费用：70.00 元（5元/小时")
	f.say("li", "1")
	subs := f.l.submitted()
	if len(subs) != 1 {
		t.Fatalf("submitted %v", subs)
	}
	b := subs[0].(*tx.BookingRequest)
	if c := tx.Terms(space.Terms).Cost(b.Start, b.End); c != 7000 {
		t.Errorf("the booked range costs %d fen, want 7000", c)
	}

	f = newFixture(t)
	f.admin("boss")
	contains(t, "poll", f.say("boss", "管理 发起投票 周末聚餐 周六、周日 3天"), "投 3 天，到 3月13日（周五）10:00 截止")

	// A long comment is restated whole, not cut at the summary's length.
	f = newFixture(t)
	f.bind("wang")
	long := strings.Repeat("电梯该换了，", 15) + "请尽快。"
	f.run("wang", "菜单", "1", "1", "4", "1")
	contains(t, "long comment", f.say("wang", long), "发表意见\n意见："+long+"\n确认请回复 1")
}
