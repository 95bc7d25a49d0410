package notify_test

import (
	"testing"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/templates/templatestest"
)

// groupSamples gives each group template data the notifier renders it
// with, covering its branches.
var groupSamples = map[string][]any{
	"group.figures": {
		map[string]any{"Heads": 63, "HeadsTotal": 90, "AreaM2": 5046, "AreaTotalM2": 8700, "Percent": 58, "NeedHeads": 0, "NeedM2": 754},
		map[string]any{"Heads": 61, "HeadsTotal": 90, "AreaM2": 6000, "AreaTotalM2": 8700, "Percent": 68, "NeedHeads": 0, "NeedM2": 0},
		map[string]any{"Heads": 50, "HeadsTotal": 90, "AreaM2": 6000, "AreaTotalM2": 8700, "Percent": 68, "NeedHeads": 10, "NeedM2": 0},
	},
	"group.noticed": {
		map[string]any{"Kind": "decision", "Title": "更换3栋电梯", "Start": "1月16日（周六）16:00", "End": "1月23日（周六）16:00"},
		map[string]any{"Kind": "poll", "Title": "中秋活动", "Start": "9月1日（周一）09:00", "End": "9月10日（周三）20:00"},
	},
	"group.opened": {
		map[string]any{"Kind": "decision", "Title": "更换3栋电梯", "End": "1月23日（周六）16:00", "Figures": map[string]any{"NeedHeads": 60, "NeedM2": 5800}},
		map[string]any{"Kind": "poll", "Title": "中秋活动", "End": "9月10日（周三）20:00", "Figures": nil},
	},
	"group.turnout": {
		map[string]any{"Title": "更换3栋电梯", "End": "1月23日（周六）16:00", "Figures": map[string]any{"Heads": 10, "HeadsTotal": 90, "AreaM2": 900, "AreaTotalM2": 8700, "Percent": 10, "NeedHeads": 50, "NeedM2": 4900}},
	},
	"group.reminder": {
		map[string]any{"Title": "更换3栋电梯", "OwnersOnly": true, "End": "1月23日（周六）16:00", "Figures": map[string]any{"Heads": 61, "HeadsTotal": 90, "AreaM2": 6000, "AreaTotalM2": 8700, "Percent": 68, "NeedHeads": 0, "NeedM2": 0}},
		map[string]any{"Title": "中秋活动", "OwnersOnly": false, "End": "9月10日（周三）20:00", "Figures": nil},
		map[string]any{"Title": "车位划线方案", "OwnersOnly": true, "End": "9月10日（周三）20:00", "Figures": nil},
	},
	"group.result": {
		map[string]any{"Kind": "decision", "Title": "更换3栋电梯", "Outcome": "failed_quorum", "Winners": []string(nil),
			"Voted": map[string]any{"Heads": 40, "HeadsTotal": 90, "AreaM2": 3000, "AreaTotalM2": 8700}, "Agreed": map[string]any{"Heads": 30, "AreaM2": 2500}},
		map[string]any{"Kind": "decision", "Title": "更换3栋电梯", "Outcome": "rejected", "Winners": []string(nil),
			"Voted": map[string]any{"Heads": 70, "HeadsTotal": 90, "AreaM2": 6500, "AreaTotalM2": 8700}, "Agreed": map[string]any{"Heads": 20, "AreaM2": 1800}},
		map[string]any{"Kind": "poll", "Title": "中秋活动", "Outcome": "", "Voted": nil, "Winners": []string(nil), "Counts": []abci.OptionCount{}},
	},
	"group.announcement": {abci.Announcement{Title: "垃圾分类", Text: "请按时投放。"}},
}

func TestGroupTemplatesGolden(t *testing.T) {
	templatestest.Golden(t, "group.", groupSamples, nil)
}
