package bot

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// Community life: notices (公告通知), feedback and repair requests (报修建议)
// and participation points (我的积分).

type noticeLine struct {
	N     int
	Title string
	When  string
}

func showNotices(t *Turn, f *Frame) error {
	var list []struct {
		abci.Announcement
		CommentCount int `json:"comment_count"`
	}
	if _, err := t.query("announcements", &list); err != nil {
		return err
	}
	var d struct {
		Items []noticeLine
		More  int
	}
	f.Choices = nil
	for i, a := range list { // newest first already
		if i == maxList {
			d.More = len(list) - maxList
			break
		}
		d.Items = append(d.Items, noticeLine{N: i + 1, Title: clip(a.Title, 30), When: t.date(a.Time)})
		f.Choices = append(f.Choices, "notice:"+strconv.FormatUint(a.ID, 10))
	}
	t.say("bot.notices", d)
	return nil
}

func chooseNotice(t *Turn, _ *Frame, c string) error {
	id, err := idOf(c)
	if err != nil {
		return err
	}
	return t.Open(Frame{Screen: "notice", ID: id})
}

func showNotice(t *Turn, f *Frame) error {
	var a struct {
		abci.Announcement
		CommentCount int `json:"comment_count"`
	}
	ok, err := t.query("announcements/"+strconv.FormatUint(f.ID, 10), &a)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	f.Choices = []string{"comments"}
	t.say("bot.notice", struct {
		Title, Text, When string
		Height            int64
		Hash              string
		Comments          int
	}{a.Title, a.Text, t.date(a.Time), a.Height, short(a.TxHash), a.CommentCount})
	return nil
}

// noticeOneLine reads 管理 公告 标题 正文…
func noticeOneLine(t *Turn, f *Frame, args, orig []string) error {
	f.Form["title"] = orig[0]
	if len(orig) > 1 {
		text := ""
		for i, w := range orig[1:] {
			if i > 0 {
				text += " "
			}
			text += w
		}
		f.Form["text"] = text
	}
	return nil
}

func noticeAction(t *Turn, f *Frame) (*Action, error) {
	return t.action("notice", "bot.admin.summary.notice", newTextSummary(f.Form["title"], f.Form["text"]), f.Form)
}

// textSummary is the confirmation of a text the user wrote (a notice, a
// comment, a statement): all of it, since the confirmation restates what
// will be written. A short text stays on the summary's line, a long one
// (Long) goes on its own lines after it.
type textSummary struct {
	Title, Text string
	Long        bool
}

// shortSummaryRunes is the longest text kept on the summary's line.
const shortSummaryRunes = 60

func newTextSummary(title, text string) textSummary {
	if utf8.RuneCountInString(text) > shortSummaryRunes || strings.Contains(text, "\n") {
		return textSummary{Title: title, Text: text, Long: true}
	}
	// A short summary is followed by "，确认请回复 1…": no full stop
	// before it.
	return textSummary{Title: title, Text: strings.TrimRight(text, "。.！!？?")}
}

func buildNotice(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.AnnouncementPost{Title: a.Args["title"], Text: a.Args["text"]}, nil, nil
}

func showRepairs(t *Turn, f *Frame) error {
	f.Choices = []string{tx.RepairKindRepair, tx.RepairKindFeedback, "mine", "disputes"}
	t.say("bot.repairs", nil)
	return nil
}

func chooseRepairs(t *Turn, _ *Frame, c string) error {
	if c == "disputes" {
		// Admins and mediators need not live here; opening one does.
		return t.Open(Frame{Screen: "disputes"})
	}
	if ok, err := t.requireBound(); !ok {
		return err
	}
	if c == "mine" {
		return t.Open(Frame{Screen: "repairs.mine"})
	}
	return t.startForm("form.repair", map[string]string{"kind": c})
}

func repairAction(t *Turn, f *Frame) (*Action, error) {
	return t.action("repair", "bot.repairs.summary", struct{ Kind, Title, Text string }{f.Form["kind"], f.Form["title"], f.Form["text"]}, f.Form)
}

func buildRepair(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.RepairFile{Kind: a.Args["kind"], Title: a.Args["title"], Text: a.Args["text"]}, nil, nil
}

type repairLine struct {
	N      int
	Kind   string
	Title  string
	Status string
}

func showMyRepairs(t *Turn, f *Frame) error {
	a, err := t.Address()
	if err != nil {
		return err
	}
	var all []abci.Repair
	if _, err := t.query("repairs", &all); err != nil {
		return err
	}
	var mine []abci.Repair
	for _, r := range all {
		if r.Filer == a {
			mine = append(mine, r)
		}
	}
	list, more := newestFirst(mine)
	var d struct {
		Items []repairLine
		More  int
	}
	d.More = more
	f.Choices = nil
	for i, r := range list {
		d.Items = append(d.Items, repairLine{N: i + 1, Kind: r.Kind, Title: clip(r.Title, 24), Status: r.Status})
		f.Choices = append(f.Choices, "repair:"+strconv.FormatUint(r.ID, 10))
	}
	t.say("bot.repairs.mine", d)
	return nil
}

func chooseRepair(t *Turn, _ *Frame, c string) error {
	id, err := idOf(c)
	if err != nil {
		return err
	}
	return t.Open(Frame{Screen: "repair", ID: id})
}

type repairDetail struct {
	abci.Repair
	History []abci.RepairStep `json:"history"`
}

func showRepair(t *Turn, f *Frame) error {
	var r repairDetail
	ok, err := t.query("repairs/"+strconv.FormatUint(f.ID, 10), &r)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	a, err := t.Address()
	if err != nil {
		return err
	}
	f.Choices = nil
	if r.Filer == a {
		switch r.Status {
		case tx.RepairDone:
			f.Choices = []string{"repairok", "reopen"}
		case tx.RepairRejected:
			f.Choices = []string{"", "reopen"}
		}
	}
	var steps []struct{ Status, Reason string }
	for _, s := range r.History {
		steps = append(steps, struct{ Status, Reason string }{s.Status, s.Reason})
	}
	t.say("bot.repair", struct {
		Kind, Title, Text, Status string
		Steps                     []struct{ Status, Reason string }
		Confirm, Reopen           bool
	}{r.Kind, r.Title, r.Text, r.Status, steps, r.Status == tx.RepairDone && r.Filer == a, len(f.Choices) > 0})
	return nil
}

func chooseRepairAction(t *Turn, f *Frame, c string) error {
	var r abci.Repair
	if ok, err := t.query("repairs/"+strconv.FormatUint(f.ID, 10), &r); err != nil || !ok {
		return err
	}
	if c == "repairok" {
		return t.confirmAction("repairok", "bot.repairs.summary.ok", struct{ Title string }{r.Title}, f.ID)
	}
	return t.startForm("form.reopen", map[string]string{"repair": strconv.FormatUint(f.ID, 10), "title": r.Title})
}

func reopenAction(t *Turn, f *Frame) (*Action, error) {
	return t.actionOn("reopen", "bot.repairs.summary.reopen", struct{ Title, Reason string }{f.Form["title"], f.Form["reason"]}, f.Form, "repair")
}

func buildRepairOK(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.RepairConfirm{Repair: a.ID}, nil, nil
}

func buildReopen(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.RepairReopen{Repair: a.ID, Reason: a.Args["reason"]}, nil, nil
}

func showPoints(t *Turn, f *Frame) error {
	a, err := t.Address()
	if err != nil {
		return err
	}
	var mine abci.PointsView
	if _, err := t.query("points/"+string(a), &mine); err != nil {
		return err
	}
	var board []abci.UnitPoints
	if _, err := t.query("points", &board); err != nil {
		return err
	}
	board = board[:min(len(board), 5)]
	f.Choices = nil
	t.say("bot.points", struct {
		Points, UnitPoints int64
		Unit               string
		Board              []abci.UnitPoints
	}{mine.Points, mine.UnitPoints, mine.Unit, board})
	return nil
}
