package bot

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/linli-community/linli/internal/golden"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/templates"
)

// botTemplateNames lists the templates the bot_*.tmpl files define.
func botTemplateNames(t *testing.T) []string {
	t.Helper()
	tm, err := template.ParseGlob(filepath.Join("..", "templates", "zh", "bot_*.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range tm.Templates() {
		if strings.HasPrefix(x.Name(), "bot.") {
			names = append(names, x.Name())
		}
	}
	slices.Sort(names)
	return names
}

// templateSamples gives every bot template the data it is rendered with,
// one or more cases each.
var templateSamples = map[string][]any{
	"bot.footer":        {nil},
	"bot.word.relation": {"owner", "tenant"},
	"bot.word.role":     {"admin", "treasurer", "mediator"},
	"bot.word.outcome":  {"passed", "rejected", "failed_quorum"},
	"bot.word.feature":  {"accounts", "sharing", "notices", "repairs", "points", "ledger", "approve", "notice"},
	"bot.hint":          {hintData{Max: 3}, hintData{}},
	"bot.expired":       {nil},
	"bot.ratelimited":   {nil},
	"bot.toolong":       {nil},
	"bot.error":         {nil},
	"bot.busy":          {nil},
	"bot.notfound":      {nil},
	"bot.done":          {nil},
	"bot.coming":        {comingData{Feature: "accounts"}},
	"bot.confirm":       {confirmData{Summary: "对【更换电梯】投 同意"}, confirmData{Summary: "发起投票【聚餐】\n选项：1 周六  2 周日", Multiline: true}},
	"bot.receipt": {receiptData{What: "对【更换电梯】投 同意", Height: 1234, Hash: "1a2b3c4d", Check: "ballots/1/O-7", Ballot: true}, receiptData{What: "对【聚餐】投 周六", Height: 1235, Hash: "2b3c4d5e", Ballot: true}, receiptData{What: "为 3-502 的业主发一个绑定码", Height: 7, Hash: "deadbeef", Secret: "12345678"}, receiptData{What: "委托小区外的人代您投票", Height: 8, Hash: "feedbeef", Secret: "1234 5678 9012 3456", AgentUnit: "3-502"},
		receiptData{What: "对【聚餐】投 周六", Height: 9, Hash: "746870a6", Ballot: true, Link: "https://gongshi.example.org/tx/746870a6"}},
	"bot.pending":           {pendingData{What: "对【更换电梯】投 同意"}},
	"bot.rejected":          {rejectedData{Message: "投票已经结束，不能再投或改票。"}},
	"bot.group.menu":        {struct{ Community string }{"阳光花园"}},
	"bot.group.votes":       {votesData{Items: []listItem{{1, "【表决】更换电梯（投票中，3月16日（周一）10:00 截止）"}}, More: 2}, votesData{}},
	"bot.group.private":     {nil},
	"bot.home":              {homeData{Community: "阳光花园", Bound: true, Unit: "3-502", Relation: "owner", Admin: true}, homeData{Community: "阳光花园"}},
	"bot.help":              {nil},
	"bot.mine":              {mineData{Bound: true, Unit: "3-502", Relation: "owner", Owner: "O-7", Roles: []string{"admin", "treasurer"}, Address: "ab12cd34"}, mineData{Address: "ab12cd34"}},
	"bot.unbind":            {nil},
	"bot.receipts":          {receiptsData{Items: []noteLine{{When: "3月10日（周二）10:00", What: "对【更换电梯】投 同意", Height: 12, Hash: "1a2b3c4d", FullHash: "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80"}, {When: "3月10日（周二）10:05", What: "对【聚餐】投 周六", Pending: true}, {When: "3月10日（周二）10:06", What: "绑定房屋 3-502（业主）", Failed: "绑定码不对。"}}}, receiptsData{}},
	"bot.bind.ask.unit":     {struct{ Unit string }{""}},
	"bot.bind.ask.relation": {struct{ Unit string }{"3-502"}},
	"bot.bind.ask.code":     {struct{ Unit string }{"3-502"}},
	"bot.bind.nounit":       {struct{ Unit string }{"9-999"}},
	"bot.bind.badcode":      {nil},
	"bot.bind.wrong":        {nil},
	"bot.bind.already":      {struct{ Unit, Relation string }{"3-502", "tenant"}},
	"bot.bind.summary":      {struct{ Unit, Relation, Code string }{"3-502", "owner", "12****78"}},
	"bot.bind.done":         {nil},
	"bot.need.bind":         {nil},
	"bot.votes":             {votesData{Items: []listItem{{1, "【表决】更换电梯（投票中，3月16日（周一）10:00 截止）"}, {2, "【投票】聚餐（已结束）"}}, More: 1, Meetings: 3}, votesData{Meetings: 1}},
	"bot.votes.line": {
		lineData{Decision: true, Title: "更换电梯", Phase: "voting", End: "3月16日（周一）10:00"},
		lineData{Title: "聚餐", Phase: "noticed", Start: "3月12日（周四）10:00"},
		lineData{Decision: true, Title: "续聘物业", Phase: "closed", Outcome: "failed_quorum"},
		lineData{Title: "聚餐", Phase: "closing"},
		lineData{Title: "聚餐", Phase: "canceled"},
		lineData{Title: "聚餐", Phase: "draft"},
	},
	"bot.item": {
		itemData{Decision: true, Title: "更换电梯", Class: "ordinary", Text: "3栋两部电梯已运行18年…", Clipped: true, Phase: "voting", Start: "3月9日（周一）10:00", End: "3月16日（周一）10:00",
			Turnout: &turnoutData{Decision: true, Heads: 40, HeadsTotal: 118, AreaPct: "34%", MissingHeads: 39, MissingArea: "3,533.34 m²"}, Mine: "同意",
			Options: []listItem{{1, "同意"}, {2, "反对"}, {3, "弃权"}}, Comments: 4, CommentCount: 12},
		itemData{Title: "聚餐", Buildings: "3、5", Phase: "voting", End: "3月16日（周一）10:00", Turnout: &turnoutData{Heads: 12}, Multi: true, Options: []listItem{{1, "周六"}, {2, "周日"}}, Comments: 3},
		itemData{Decision: true, Title: "筹集维修资金", Class: "special", OwnersOnly: true, Phase: "noticed", Start: "3月25日（周三）11:00", End: "4月1日（周三）11:00", Turnout: &turnoutData{Decision: true, HeadsTotal: 118, AreaPct: "0%", MissingHeads: 79, MissingArea: "7,333.34 m²"},
			Comments: 1, CommentCount: 3, Cancel: 2},
		itemData{Decision: true, Title: "续聘物业", Class: "ordinary", Phase: "closed", Outcome: "passed",
			Counts: []countData{{"同意", 80, "7000.00㎡"}, {"反对", 10, "1500.00㎡"}}, Tally: &tallyData{Heads: 95, HeadsTotal: 118, AreaPct: "81%"}},
		itemData{Decision: true, Title: "续聘物业", Class: "ordinary", Phase: "closed", Outcome: "failed_quorum"},
		itemData{Title: "聚餐", Phase: "closed", Winners: "周六、周日", Counts: []countData{{"周六", 5, ""}, {"周日", 5, ""}}},
		itemData{Title: "聚餐", Phase: "canceled", Reason: "改期", Comments: 1, CommentCount: 2},
		itemData{Title: "聚餐", Phase: "closing", Turnout: &turnoutData{Heads: 3}},
		itemData{Decision: true, Title: "更换电梯", Class: "ordinary", Phase: "voting", End: "3月16日（周一）10:00", Turnout: &turnoutData{Decision: true, Heads: 40, HeadsTotal: 118, AreaPct: "34%", MissingHeads: 39, MissingArea: "3,533.34 m²"},
			Options: []listItem{{1, "同意"}, {2, "反对"}, {3, "弃权"}}, Proxy: 4, ProxyOwners: 2, Comments: 5, Mine: "反对", MineByProxy: true},
		itemData{Decision: true, Title: "更换电梯", Class: "ordinary", Phase: "voting", End: "3月16日（周一）10:00", Agent: true, Proxy: 1, ProxyOwners: 1, Comments: 2},
		itemData{Decision: true, Title: "更换电梯", Class: "ordinary", Phase: "voting", End: "3月16日（周一）10:00", Agent: true, Comments: 1},
		itemData{Title: "聚餐", Phase: "voting", End: "3月16日（周一）10:00", Turnout: &turnoutData{Heads: 12}, Agent: true, Comments: 1},
	},
	"bot.vote.public":            {struct{ Decision bool }{true}, struct{ Decision bool }{false}},
	"bot.turnout":                {turnoutData{Decision: true, Heads: 40, HeadsTotal: 118, AreaPct: "34%", MissingHeads: 39, MissingArea: "3,533.34 m²"}, turnoutData{Decision: true, Heads: 80, HeadsTotal: 118, AreaPct: "70%"}, turnoutData{Decision: true, Heads: 80, HeadsTotal: 118, AreaPct: "66%", MissingArea: "0.01 m²"}, turnoutData{Heads: 12}},
	"bot.vote.summary":           {struct{ Title, Choice string }{"更换电梯", "同意"}},
	"bot.vote.one":               {nil},
	"bot.ask.form.cancel.reason": {askData{Form: map[string]string{"title": "筹集维修资金"}}},
	"bot.meetings": {meetingsData{Items: []meetingLine{{N: 1, Topic: "改选业主委员会", Owners: 12, OwnersNeeded: 12, AreaPct: "9%"},
		{N: 2, Topic: "解聘物业公司", Owners: 30, AreaPct: "25%", Due: true}, {N: 3, Topic: "增设充电桩", Owners: 25, AreaPct: "18%"}}, More: 1, New: 4},
		meetingsData{New: 1}},
	"bot.meetings.owners":          {nil},
	"bot.ask.form.meeting.title":   {askData{}},
	"bot.ask.form.meeting.text":    {askData{}},
	"bot.meetings.summary":         {struct{ Topic, Text string }{"改选业主委员会", ""}, struct{ Topic, Text string }{"改选业主委员会", "现任业委会两年没开会"}},
	"bot.meetings.signed":          {nil},
	"bot.item.summary.cancel":      {struct{ Title, Reason string }{"筹集维修资金", "方案要重新核算"}},
	"bot.fulltext":                 {struct{ Title, Text string }{"更换电梯", "全文。"}},
	"bot.admin.menu":               {struct{ Groups bool }{false}, struct{ Groups bool }{true}},
	"bot.admin.summary.group":      {groupSummary{"3"}, groupSummary{}},
	"bot.ask.admin.group.building": {nil},
	"bot.admin.group.nobuilding":   {struct{ Building, Buildings string }{"9", "1、2、3"}, struct{ Building, Buildings string }{"9", ""}},
	"bot.admin.group.off":          {nil},
	"bot.admin.group.busy":         {nil},
	"bot.admin.group.code":         {groupCodeData{Line: "绑定本群 4821 5039 6712", Expires: "3月11日（周三）10:00", Building: "3"}, groupCodeData{Line: "绑定本群 4821 5039 6712", Expires: "3月11日（周三）10:00"}},
	"bot.admin.refused":            {nil},
	"bot.admin.unknown":            {nil},
	"bot.admin.ask.title":          {askData{}},
	"bot.admin.ask.text":           {askData{}},
	"bot.admin.ask.options":        {askData{}},
	"bot.admin.ask.multi":          {askData{}},
	"bot.admin.ask.class":          {askData{}},
	"bot.admin.ask.scope":          {askData{}},
	"bot.admin.ask.days":           {askData{MinDays: 1, MaxDays: 60}},
	"bot.admin.ask.unit":           {askData{}},
	"bot.admin.ask.relation":       {askData{Form: map[string]string{"unit": "3-502"}}},
	"bot.admin.ask.member":         {askData{Form: map[string]string{"unit": "3-502"}, Members: []memberLine{{1, "owner", "ab12cd34"}, {2, "tenant", "ef56ab78"}}}},
	"bot.admin.ask.role":           {askData{}},
	"bot.admin.ask.op":             {askData{}},
	"bot.admin.bad": {struct{ Reason string }{"empty"}, struct{ Reason string }{"title_long"}, struct{ Reason string }{"text_long"},
		struct{ Reason string }{"options_count"}, struct{ Reason string }{"option_long"}, struct{ Reason string }{"option_twice"},
		struct{ Reason string }{"scope"}, struct{ Reason string }{"days"}, struct{ Reason string }{"unit"}, struct{ Reason string }{"no_member"},
		struct{ Reason string }{"pick"}, struct{ Reason string }{"sheet_code"}, struct{ Reason string }{"sheet_unknown"},
		struct{ Reason string }{"sheet_counted"}, struct{ Reason string }{"sheet_mismatch"}, struct{ Reason string }{"sheet_mine"}, struct{ Reason string }{"scan"}},
	"bot.admin.ask.decision":          {askData{Decisions: []sheetLine{{1, "更换电梯"}, {2, "续聘物业"}}}},
	"bot.ask.admin.notvoted.decision": {struct{ Decisions []sheetLine }{[]sheetLine{{1, "更换电梯"}, {2, "续聘物业"}}}},
	"bot.ask.admin.sheet.code":        {askData{}},
	"bot.ask.admin.sheet.choice":      {askData{Form: map[string]string{"owner": "O-3", "units": "5-101、5-102"}}},
	"bot.ask.admin.sheet.scan":        {askData{}},
	"bot.admin.summary.sheet":         {struct{ Owner, Units, Code, Choice, Scan string }{"O-3", "5-101", "1234 5678 9012", "同意", "9f86d081"}},
	"bot.sheet.none":                  {nil},
	"bot.sheet.voided":                {nil},
	"bot.sheet.nomismatch":            {nil},
	"bot.ask.admin.void.decision":     {askData{Decisions: []sheetLine{{1, "更换电梯"}}}},
	"bot.ask.admin.void.sheet":        {askData{Voids: []voidLine{{N: 1, Owner: "O-9", Units: "3-601、3-602"}}}},
	"bot.ask.admin.void.entry":        {askData{Voids: []voidLine{{N: 1, Owner: "O-9", Choice: "同意", Scan: "3bb30020", Who: "ab12cd34"}, {N: 2, Owner: "O-9", Choice: "反对", Scan: "3bb30020", Who: "ef56ab78"}}}},
	"bot.ask.admin.void.reason":       {askData{}},
	"bot.admin.summary.void":          {struct{ Owner, Entry, Reason string }{"O-9", "ab12cd34", "与扫描件不符"}},
	"bot.sheet.waiting":               {nil},
	"bot.sheet.counted":               {nil},
	"bot.sheet.mismatch":              {nil},
	"bot.notvoted": {notVotedData{Title: "更换电梯", Turnout: &turnoutData{Decision: true, Heads: 40, HeadsTotal: 118, AreaPct: "34%", MissingHeads: 39, MissingArea: "3,533.34 m²"},
		Units: 80, Owners: 78, Buildings: []notVotedBuilding{{"1", []string{"1-101", "1-502（书面票已录一次）"}}, {"3", []string{"3-601"}}}, More: 77, Mismatches: []string{"O-9"}},
		notVotedData{Title: "停车收费", Turnout: &turnoutData{Decision: true, Heads: 3, HeadsTotal: 4, AreaPct: "80%"}, Units: 1, Owners: 1, Buildings: []notVotedBuilding{{"2", []string{"2-101"}}}}},
	"bot.admin.summary.poll":     {pollSummary{Title: "聚餐", Options: []listItem{{1, "周六"}, {2, "周日"}}, Days: "7", End: "3月17日（周二）10:00"}, pollSummary{Title: "聚餐", Options: []listItem{{1, "周六"}, {2, "周日"}}, Multi: true, Days: "3", End: "3月13日（周五）10:00"}},
	"bot.admin.summary.decision": {decisionSummary{Title: "更换电梯", Class: "ordinary", Days: "7", Start: "3月25日（周三）11:00", End: "4月1日（周三）11:00"}, decisionSummary{Title: "筹集维修资金", Text: "按每平方米 1 元筹集。", Class: "special", Buildings: "3、5", Days: "10", Start: "3月25日（周三）11:00", End: "4月4日（周六）11:00"}},
	"bot.admin.summary.code":     {struct{ Unit, Relation string }{"3-502", "tenant"}},
	"bot.word.kind":              {"parking", "tool", "room", "other"},
	"bot.word.price":             {priceData{Free: true}, priceData{Yuan: "5", Per: "hour"}, priceData{Yuan: "20.50", Per: "day"}},
	"bot.word.booking":           {"pending", "accepted", "declined", "canceled", "returned", "no_show", "expired"},
	"bot.word.repair":            {"open", "accepted", "done", "rejected", "confirmed"},
	"bot.word.repairkind":        {"repair", "feedback"},
	"bot.share.menu":             {nil},
	"bot.share.list.items":       {shareListData{Items: []shareLine{{N: 1, Kind: "parking", Title: "B2-051 车位", Price: priceData{Yuan: "5", Per: "hour"}, Unit: "3-502"}, {N: 2, Kind: "tool", Title: "电钻", Price: priceData{Free: true}, Unit: "1-101"}}, More: 3}, shareListData{}},
	"bot.share.list.bookings":    {shareListData{Items: []shareLine{{N: 1, Kind: "tool", Title: "电钻", When: "3月11日（周三）08:00–12:00", Status: "pending"}}}, shareListData{}},
	"bot.share.list.posted":      {shareListData{Items: []shareLine{{N: 1, Kind: "tool", Title: "电钻", Price: priceData{Free: true}, Status: "open", Pending: 2}, {N: 2, Kind: "room", Title: "活动室", Price: priceData{Yuan: "20", Per: "day"}, Status: "withdrawn"}}}, shareListData{}},
	"bot.share.item":             {shareItemData{Kind: "parking", Title: "B2-051 车位", Text: "工作日白天空着", Price: priceData{Yuan: "5", Per: "hour"}, Unit: "3-502", Windows: []string{"3月11日（周三）08:00–18:00"}, Open: true}, shareItemData{Kind: "tool", Title: "电钻", Price: priceData{Free: true}, Unit: "3-502", Open: true, Own: true}, shareItemData{Kind: "tool", Title: "电钻", Price: priceData{Free: true}, Unit: "3-502"}},
	"bot.share.booking":          {bookingData{Title: "电钻", When: "3月11日（周三）08:00–12:00", Status: "pending", Cost: priceData{Free: true}, Cancel: true}, bookingData{Title: "车位", When: "3月11日（周三）08:00–12:00", Status: "declined", Reason: "那天自己用", Cost: priceData{Yuan: "20"}}, bookingData{Title: "电钻", When: "3月10日（周二）08:00–12:00", Status: "accepted", Cost: priceData{Free: true}, Running: true}},
	"bot.share.requests": {shareRequestsData{Title: "电钻", Items: []shareLine{{N: 1, Unit: "3-501", When: "3月11日（周三）08:00–12:00"}}, Lent: []shareLine{{N: 2, Unit: "1-101", When: "3月10日（周二）08:00–12:00"}}, Withdraw: 3},
		shareRequestsData{Title: "电钻", Withdraw: 1}, shareRequestsData{Title: "电钻"}},
	"bot.share.request": {bookingData{Title: "电钻", When: "3月11日（周三）08:00–12:00", Unit: "3-501", Status: "pending", Cost: priceData{Free: true}}, bookingData{Title: "车位", When: "3月11日（周三）08:00–12:00", Unit: "3-501", Status: "accepted", Cost: priceData{Yuan: "20"}},
		bookingData{Title: "电钻", When: "3月10日（周二）08:00–12:00", Unit: "3-501", Status: "accepted", Cost: priceData{Free: true}, Running: true}},
	"bot.ask.form.item.kind":    {askData{}},
	"bot.ask.form.item.title":   {askData{}},
	"bot.ask.form.item.text":    {askData{}},
	"bot.ask.form.item.price":   {askData{}},
	"bot.ask.form.booking.day":  {askData{Form: map[string]string{"title": "电钻"}, Days: []string{"3月10日（周二）", "3月11日（周三）", "3月12日（周四）"}}},
	"bot.ask.form.booking.slot": {askData{Slots: []string{"8:00–12:00", "13:00–18:00", "18:00–22:00", "8:00–22:00"}}},
	"bot.share.summary.booking": {struct {
		Title, When string
		Price       priceData
		Cost        string
	}{"电钻", "3月11日（周三）08:00–12:00", priceData{Free: true}, ""}, struct {
		Title, When string
		Price       priceData
		Cost        string
	}{"车位", "3月11日（周三）08:00–22:00", priceData{Yuan: "5", Per: "hour"}, "70.00"}},
	"bot.share.summary.item": {struct {
		Kind, Title, Text string
		Price             priceData
	}{"tool", "电钻", "", priceData{Free: true}}, struct {
		Kind, Title, Text string
		Price             priceData
	}{"parking", "B2-051 车位", "工作日白天空着", priceData{Yuan: "2.50", Per: "hour"}}},
	"bot.share.summary.cancel":  {struct{ Title, When string }{"电钻", "3月11日（周三）08:00–12:00"}},
	"bot.share.summary.accept":  {struct{ Title, When, Unit string }{"电钻", "3月11日（周三）08:00–12:00", "3-501"}},
	"bot.share.summary.decline": {struct{ Title, When, Unit string }{"电钻", "3月11日（周三）08:00–12:00", "3-501"}},
	"bot.share.summary.return":  {struct{ Title, When, Unit string }{"电钻", "3月10日（周二）08:00–12:00", "3-501"}},
	"bot.share.summary.noshow":  {struct{ Title, When, Unit string }{"电钻", "3月10日（周二）08:00–12:00", "3-501"}},
	"bot.share.summary.withdraw": {struct {
		Title   string
		Pending int
	}{"电钻", 2}, struct {
		Title   string
		Pending int
	}{"电钻", 0}},
	"bot.comments": {commentsData{Title: "使用维修资金更换3栋电梯", Items: []commentLine{{Unit: "3-501", When: "3月10日（周二）09:30", Text: "电梯确实该换了，支持。"},
		{Unit: "5-101", When: "3月9日（周一）20:00", Hidden: true, Reason: "含有人身攻击"}, {Unit: "1-101", When: "3月9日（周一）19:00", Hidden: true}}, More: 4}, commentsData{Title: "停水通知"}},
	"bot.ask.form.comment.text": {askData{Form: map[string]string{"title": "停水通知"}}},
	"bot.comments.summary":      {textSummary{"停水通知", "能不能提前一天通知", false}, textSummary{"停水通知", "停水期间请提前储水，老人和小孩家里请多备一些饮用水；如有困难请联系物业，物业会安排人员送水上门，谢谢大家理解和配合。", true}},
	"bot.word.dispute":          {"open", "mediating", "resolved", "escalated"},
	"bot.disputes": {disputesData{Items: []disputeLine{{N: 1, Topic: "楼上卫生间漏水", Status: "mediating", Role: "party"}, {N: 2, Topic: "车位被占", Status: "open", Role: "admin"},
		{N: 3, Topic: "装修噪音", Status: "resolved", Role: "mediator"}}, More: 2, New: 4}, disputesData{New: 1}},
	"bot.dispute": {disputeData{Topic: "楼上卫生间漏水", Text: "三月起我家厨房顶上一直滴水。", Status: "resolved", Parties: []string{"3-502", "3-602"}, Mediator: "1-101",
		Statements: []statementLine{{Unit: "3-502", When: "3月9日（周一）20:00", Text: "希望楼上尽快修。", Mine: true}, {Unit: "3-602", When: "3月10日（周二）09:00", Text: "下周找师傅来看。"}}, More: 3,
		Outcome: "3-602 本月内修好防水，3-502 的吊顶由 3-602 出钱修补。", Actions: []listItem{{1, "escalate"}}, Private: true},
		disputeData{Topic: "车位被占", Status: "open", Parties: []string{"5-101"}, Actions: []listItem{{1, "statement"}, {2, "assign"}}, Private: true},
		disputeData{Topic: "装修噪音", Status: "mediating", Parties: []string{"2-201", "2-301"}, Mediator: "1-101", Actions: []listItem{{1, "outcome"}}, Private: true},
		disputeData{Topic: "装修噪音", Status: "escalated", Parties: []string{"2-201", "2-301"}, Mediator: "1-101", Outcome: "周末不施工。", Poll: 7, Private: true},
		disputeData{Topic: "车位被占", Status: "open", Parties: []string{"5-101"}, Actions: []listItem{{1, "assign"}}}},
	"bot.dispute.elsewhere": {nil},
	"bot.admin.code.tries": {struct {
		Relation string
		Failures int64
	}{"owner", 7}, struct {
		Relation string
		Failures int64
	}{"tenant", 0}},
	"bot.dispute.escalate.elsewhere": {nil},
	"bot.dispute.mediators": {struct {
		Topic string
		Items []listItem
	}{"车位被占", []listItem{{1, "1-101"}, {2, "5-102"}}}, struct {
		Topic string
		Items []listItem
	}{"车位被占", nil}},
	"bot.ask.form.dispute.title":     {askData{}},
	"bot.ask.form.dispute.text":      {askData{}},
	"bot.ask.form.dispute.party":     {askData{}},
	"bot.ask.form.statement.text":    {askData{}},
	"bot.ask.form.outcome.text":      {askData{}},
	"bot.disputes.summary.open":      {struct{ Title, Text, Party string }{"楼上卫生间漏水", "上周起天花板滴水", "3-602"}, struct{ Title, Text, Party string }{"楼上卫生间漏水", "", ""}},
	"bot.disputes.summary.statement": {textSummary{"楼上卫生间漏水", "下周找师傅来看", false}},
	"bot.disputes.summary.outcome":   {textSummary{"楼上卫生间漏水", "3-602 本月内修好防水", false}, textSummary{"楼上卫生间漏水", "3-602 本月内修好防水\n3-502 的吊顶由 3-602 出钱修补", true}},
	"bot.disputes.summary.assign":    {struct{ Title, Unit string }{"车位被占", "1-101"}},
	"bot.disputes.summary.escalate": {struct {
		Title, End string
		Options    []string
	}{"装修噪音", "3月17日（周二）10:00", escalationOptions}},
	"bot.disputes.opened":    {nil},
	"bot.disputes.escalated": {nil},
	"bot.share.returned":     {nil},
	"bot.share.requested":    {nil},
	"bot.notices": {struct {
		Items []noticeLine
		More  int
	}{[]noticeLine{{1, "停水通知", "3月10日（周二）10:00"}}, 2}, struct {
		Items []noticeLine
		More  int
	}{}},
	"bot.notice": {struct {
		Title, Text, When string
		Height            int64
		Hash              string
		Comments          int
	}{"停水通知", "3月12日 9:00–15:00 停水，请提前储水。", "3月10日（周二）10:00", 88, "1a2b3c4d", 2}},
	"bot.group.notices":          {struct{ Items []noticeLine }{[]noticeLine{{1, "停水通知", "3月10日（周二）10:00"}}}, struct{ Items []noticeLine }{}},
	"bot.ask.admin.notice.text":  {askData{}},
	"bot.admin.summary.notice":   {textSummary{"停水通知", "3月12日 9:00–15:00 停水", false}, textSummary{"停水通知", "停水期间请提前储水，老人和小孩家里请多备一些饮用水；如有困难请联系物业，物业会安排人员送水上门，谢谢大家理解和配合。", true}},
	"bot.repairs":                {nil},
	"bot.ask.form.repair.title":  {askData{Form: map[string]string{"kind": "repair"}}, askData{Form: map[string]string{"kind": "feedback"}}},
	"bot.ask.form.repair.text":   {askData{}},
	"bot.ask.form.reopen.reason": {askData{}},
	"bot.repairs.summary":        {struct{ Kind, Title, Text string }{"repair", "电梯按钮失灵", "3栋东侧那部，晚上最明显"}, struct{ Kind, Title, Text string }{"feedback", "加装减速带", ""}},
	"bot.repairs.summary.ok":     {struct{ Title string }{"电梯按钮失灵"}},
	"bot.repairs.summary.reopen": {struct{ Title, Reason string }{"电梯按钮失灵", "还是不亮"}},
	"bot.repairs.mine": {struct {
		Items []repairLine
		More  int
	}{[]repairLine{{1, "repair", "电梯按钮失灵", "accepted"}}, 0}, struct {
		Items []repairLine
		More  int
	}{}},
	"bot.repair": {struct {
		Kind, Title, Text, Status string
		Steps                     []struct{ Status, Reason string }
		Confirm, Reopen           bool
	}{"repair", "电梯按钮失灵", "3栋1单元", "done", []struct{ Status, Reason string }{{"open", ""}, {"accepted", ""}, {"done", "已更换按钮"}}, true, true}, struct {
		Kind, Title, Text, Status string
		Steps                     []struct{ Status, Reason string }
		Confirm, Reopen           bool
	}{"feedback", "加装减速带", "", "rejected", []struct{ Status, Reason string }{{"open", ""}, {"rejected", "道路归市政管理"}}, false, true}},
	"bot.points": {struct {
		Points, UnitPoints int64
		Unit               string
		Board              []abci.UnitPoints
	}{12, 30, "3-502", []abci.UnitPoints{{Unit: "1-101", Points: 40}, {Unit: "3-502", Points: 30}}}, struct {
		Points, UnitPoints int64
		Unit               string
		Board              []abci.UnitPoints
	}{}},
	"bot.need.bind.other":  {nil},
	"bot.word.entrykind":   {"income", "expense", "transfer", "reversal"},
	"bot.word.entrystatus": {"pending", "posted", "withdrawn"},
	"bot.accounts": {accountsData{Items: []accountLine{{1, "物业费", "128,000.00", false}, {2, "维修资金", "1,560,000.00", true}}, Month: "3月", Income: "131,200.00", Expense: "22,560.20",
		Pending: []pendingLine{{3, "expense", "维修资金", "12,000.00", "外墙维修 · 某建筑公司", 1, 2}}, MorePending: 2},
		accountsData{Items: []accountLine{{1, "物业费", "0.00", false}}, Month: "3月"}},
	"bot.account": {accountData{Name: "物业费", Balance: "105,439.80", Items: []entryLine{{1, "3月9日", "expense", "4,560.20", false, "电费 · 供电局", "105,439.80"}, {2, "3月2日", "income", "128,000.00", true, "物业费", "110,000.00"}}, More: 4},
		accountData{Name: "维修资金", Balance: "0.00", Fund: true}},
	"bot.entry": {entryData{ID: 7, Kind: "expense", Account: "维修资金", Amount: "460,000.00", Category: "电梯", Counterparty: "某电梯公司", Memo: "更换3栋电梯", Evidence: "1a2b3c4d", Proposal: 1, Status: "pending", Required: 2, Approvals: 1, Height: 99, Hash: "abcdef12", CanApprove: true,
		When: "3月9日（周一）10:00", Recorder: whoData{Roles: []string{"treasurer"}}, Approvers: []approvalLine{{"3月10日（周二）09:50", whoData{Roles: []string{"admin"}, Unit: "5-101"}}}},
		entryData{ID: 8, Kind: "transfer", Account: "公共收益", To: "维修资金", Amount: "3,200.00", Category: "转入", Status: "posted", Height: 100, Hash: "12345678", ReversedBy: 9},
		entryData{ID: 9, Kind: "reversal", Account: "公共收益", Amount: "3,200.00", Category: "转入", Status: "posted", Height: 101, Hash: "87654321", Reverses: 8, Emergency: true}},
	"bot.word.who":                      {whoData{Roles: []string{"admin", "treasurer"}, Unit: "3-502"}, whoData{Unit: "3-502"}, whoData{}},
	"bot.group.accounts":                {struct{ Items []accountLine }{[]accountLine{{1, "物业费", "128,000.00", false}}}},
	"bot.ledger.pending":                {pendingListData{Items: []pendingLine{{1, "expense", "维修资金", "460,000.00", "电梯 · 某电梯公司", 1, 2}}, More: 1}, pendingListData{}},
	"bot.ask.admin.ledger.kind":         {askData{}},
	"bot.ask.admin.ledger.account":      {askData{Form: map[string]string{"kind": "income"}, Accounts: []accountLine{{1, "物业费", "128,000.00", false}}}, askData{Form: map[string]string{"kind": "expense"}, Accounts: []accountLine{{1, "物业费", "128,000.00", false}}}},
	"bot.ask.admin.ledger.to":           {askData{Accounts: []accountLine{{1, "维修资金", "0.00", true}}}},
	"bot.ask.admin.ledger.proposal":     {askData{}},
	"bot.ask.admin.ledger.amount":       {askData{}},
	"bot.ask.admin.ledger.category":     {askData{}},
	"bot.ask.admin.ledger.counterparty": {askData{}},
	"bot.ask.admin.ledger.memo":         {askData{}},
	"bot.ledger.summary": {ledgerSummary{Kind: "income", Account: "公共收益", Amount: "3,200.00", Category: "停车费"},
		ledgerSummary{Kind: "expense", Account: "维修资金", Amount: "460,000.00", Category: "电梯", Counterparty: "某电梯公司", Proposal: "1", Memo: "合同 2026-017"},
		ledgerSummary{Kind: "transfer", Account: "公共收益", To: "维修资金", Amount: "3,200.00", Category: "转入"}},
	"bot.ledger.summary.approve":  {approveSummary{7, "460,000.00", "电梯"}},
	"bot.ledger.posted":           {nil},
	"bot.ledger.waiting":          {nil},
	"bot.ledger.approved.posted":  {nil},
	"bot.ledger.approved.waiting": {nil},
	"bot.admin.summary.role":      {struct{ Unit, Address, Role, Op string }{"3-502", "ab12cd34", "treasurer", "grant"}, struct{ Unit, Address, Role, Op string }{"3-502", "ab12cd34", "admin", "revoke"}, struct{ Unit, Address, Role, Op string }{"3-502", "ab12cd34", "scrutineer", "grant"}},

	"bot.proxy.owners": {nil},
	"bot.proxy.list": {proxiesData{Unit: "3-502", Items: []proxyLine{{N: 1, Scope: "【更换电梯】", Who: "3-601 租户", Votes: 1}, {N: 2, Scope: "6月30日（周二）及以前的所有表决", Pending: true}}, New: 3},
		proxiesData{Unit: "3-502", New: 1}},
	"bot.proxy.summary.revoke": {proxyLine{Scope: "【更换电梯】", Who: "3-601 租户"}, proxyLine{Scope: "【更换电梯】"}},
	"bot.proxy.revoked":        {nil},
	"bot.proxy.ask.scope":      {proxyAskData{Decisions: []listItem{{1, "使用维修资金更换3栋电梯"}}, Until: 2}, proxyAskData{Until: 1}},
	"bot.proxy.ask.until":      {proxyAskData{}},
	"bot.proxy.baddate":        {nil},
	"bot.proxy.ask.target":     {proxyAskData{}},
	"bot.proxy.ask.unit":       {proxyAskData{}},
	"bot.proxy.nomember":       {struct{ Unit string }{"1-101"}},
	"bot.proxy.ask.member":     {proxyAskData{Unit: "3-601", Members: []memberLine{{1, "owner", "ab12cd34"}, {2, "tenant", "cd34ef56"}}}},
	"bot.proxy.summary":        {proxySummary{Scope: "【更换电梯】", Who: "3-601 租户（账户 cd34ef56…）"}, proxySummary{Scope: "6月30日（周二）及以前的所有表决", Agent: true, Replaces: true}},
	"bot.proxy.represented":    {representedData{Title: "更换电梯", Owners: []ownerLine{{N: 1, Units: "3-502"}, {N: 2, Units: "5-101、5-102", Choice: "同意", Mine: true}, {N: 3, Units: "1-101", Choice: "反对", InPerson: true}}}},
	"bot.proxy.ballot":         {proxyBallotData{Title: "更换电梯", Units: "3-502", Options: []listItem{{1, "同意"}, {2, "反对"}, {3, "弃权"}}}},
	"bot.proxy.summary.vote":   {struct{ Title, Units, Choice string }{"更换电梯", "3-502", "同意"}},
	"bot.agent.only":           {nil},
	"bot.agent.home":           {struct{ Community string }{"阳光花园"}},
	"bot.agent.ask.unit":       {struct{ Unit string }{""}},
	"bot.agent.ask.code":       {struct{ Unit string }{"3-502"}},
	"bot.agent.none":           {struct{ Unit string }{"3-502"}},
	"bot.agent.badcode":        {nil},
	"bot.agent.wrong":          {nil},
	"bot.agent.summary":        {struct{ Unit, Code string }{"3-502", "12************56"}},
	"bot.agent.done":           {nil},
}

// TestEveryBotTemplateRenders renders every bot template with its samples
// into one golden file, and fails for a template without samples.
func TestEveryBotTemplateRenders(t *testing.T) {
	s := templates.MustLoad()
	var b strings.Builder
	for _, name := range botTemplateNames(t) {
		samples, ok := templateSamples[name]
		if !ok {
			t.Errorf("template %s has no sample in templateSamples", name)
			continue
		}
		for i, data := range samples {
			got, err := s.Render(name, data)
			if err != nil {
				t.Errorf("%s sample %d: %v", name, i, err)
				continue
			}
			if strings.Contains(got, "<no value>") || strings.Contains(got, "{{") || strings.TrimSpace(got) == "" {
				t.Errorf("%s sample %d renders %q", name, i, got)
			}
			for _, part := range Split(got, MaxPartBytes) {
				if len(part) > MaxPartBytes {
					t.Errorf("%s sample %d is too long", name, i)
				}
			}
			fmt.Fprintf(&b, "=== %s #%d\n%s\n", name, i, got)
		}
	}
	for name := range templateSamples {
		if !s.Has(name) {
			t.Errorf("sample for %s, which no template defines", name)
		}
	}
	golden.Check(t, "templates.golden", b.String())
}

// TestOperatorOverridesAWord shows that an override directory replaces one
// template everywhere it is used.
func TestOperatorOverridesAWord(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mine.tmpl"), []byte(`{{define "bot.footer"}}0 上一步 / 菜单 首页{{end}}`), 0o644)
	s, err := templates.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	f.e.Templates = s
	if got := f.run("wang", "菜单", "1"); !strings.HasSuffix(got, "0 上一步 / 菜单 首页") {
		t.Errorf("list with an overridden footer:\n%s", got)
	}
}
