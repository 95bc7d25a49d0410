package wechatmp_test

import (
	"testing"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/templates/templatestest"
)

// templateSamples gives each wechat template the data the package renders
// it with.
var templateSamples = map[string][]any{
	"wechat.welcome":       {struct{ Community string }{"阳光花园"}, struct{ Community string }{""}},
	"wechat.unsupported":   {nil},
	"wechat.voice":         {nil},
	"wechat.slow":          {nil},
	"wechat.inflight":      {nil},
	"wechat.busy":          {nil},
	"wechat.more":          {3},
	"wechat.word.proposal": {"decision", "poll"},
	"wechat.word.result": {
		map[string]any{"Kind": "decision", "Outcome": "passed"}, map[string]any{"Kind": "decision", "Outcome": "failed_quorum"},
		map[string]any{"Kind": "poll", "Winners": []string{"周六", "周日"}}, map[string]any{"Kind": "poll", "Winners": []string(nil)},
	},
	"wechat.notify.proposal": {
		map[string]any{"Kind": "decision", "Title": "更换3栋电梯", "Start": "12月1日 09:00", "End": "12月8日 09:00", "Started": false},
		map[string]any{"Kind": "poll", "Title": "中秋活动", "Start": "", "End": "9月10日 20:00", "Started": true},
	},
	"wechat.notify.reminder": {map[string]any{"Title": "更换3栋电梯", "End": "12月8日 09:00"}},
	"wechat.notify.result": {
		map[string]any{"Kind": "decision", "Title": "更换3栋电梯", "Outcome": "rejected"},
		map[string]any{"Kind": "poll", "Title": "中秋活动", "Winners": []string{"周日"}},
	},
	"wechat.notify.booking": {
		map[string]any{"Title": "电钻", "Request": true},
		map[string]any{"Title": "车位", "Status": "declined", "Reason": "那天要用", "Request": false},
	},
	"wechat.notify.proxy.voted":  {map[string]any{"Title": "更换3栋电梯", "Choice": "同意", "Who": "3-601 租户"}, map[string]any{"Title": "更换3栋电梯", "Choice": "反对", "Who": ""}},
	"wechat.notify.proxy.chosen": {map[string]any{"Units": "3-502", "Title": "更换3栋电梯"}, map[string]any{"Units": "5-101、5-102", "Title": "", "Until": "6月30日"}},
	"wechat.notify.proxy.appointed": {map[string]any{"Title": "更换3栋电梯", "Who": "3-601 租户"},
		map[string]any{"Title": "", "Until": "6月30日", "Who": ""}},
	"wechat.notify.meeting": {abci.Meeting{ID: "ab12", Topic: "改选业主委员会", Owners: 24, Area: 220000, Due: true}},
	"wechat.notify.dispute": {
		struct{ Topic, Event string }{"楼上漏水", "opened"}, struct{ Topic, Event string }{"楼上漏水", "waiting"},
		struct{ Topic, Event string }{"楼上漏水", "assigned"}, struct{ Topic, Event string }{"楼上漏水", "mediator"},
		struct{ Topic, Event string }{"楼上漏水", "statement"}, struct{ Topic, Event string }{"楼上漏水", "resolved"},
		struct{ Topic, Event string }{"楼上漏水", "escalated"},
	},
	"wechat.notify.paper_mismatch": {struct{ Title, Owner, Units string }{"更换3栋电梯", "O-9", "3-601"}},
	"wechat.notify.paper":          {struct{ Title, Choice, Units, End string }{"更换3栋电梯", "同意", "3-501、5-101", "12月8日（周二）09:00"}},
	"wechat.notify.repair": {
		abci.Repair{Kind: "repair", Title: "楼道灯坏了", Status: "done", Reason: "已换新灯"},
		abci.Repair{Kind: "suggestion", Title: "加装充电桩", Status: "accepted"},
	},
}

func TestTemplatesGolden(t *testing.T) {
	templatestest.Golden(t, "wechat.", templateSamples, nil)
}
