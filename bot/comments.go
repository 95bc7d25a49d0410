package bot

import (
	"slices"
	"strconv"
	"strings"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// Comments (大家的意见) on an owners' decision, a poll or a notice: the
// newest first, each by unit number (never a name), and a one-question
// form to add one. A comments frame names its subject with ID and
// Form["on"] (tx.CommentOnProposal or tx.CommentOnAnnouncement).

// commentsShown is how many comments a screen lists, and commentRunes how
// much of each it shows.
const (
	// minCommentLetters is the least a comment says, in letters
	// (Chinese characters or words' letters).
	minCommentLetters = 2
	commentsShown     = 5
	commentRunes      = 80
)

type commentLine struct {
	Unit   string
	When   string
	Text   string
	Hidden bool
	Reason string
}

type commentsData struct {
	Title string
	Items []commentLine
	// More counts older comments that did not fit.
	More int
}

// openComments opens the comments on a proposal or notice.
func (t *Turn) openComments(on string, id uint64) error {
	return t.Open(Frame{Screen: "comments", ID: id, Form: map[string]string{"on": on}})
}

// subjectComments returns the title of what f's comments are about and
// the comments, oldest first.
func (t *Turn) subjectComments(on string, id uint64) (string, []abci.Comment, bool, error) {
	if on == tx.CommentOnProposal {
		p, ok, err := t.proposal(id)
		if err != nil || !ok {
			return "", nil, ok, err
		}
		var cs []abci.Comment
		if _, err := t.query("proposals/"+strconv.FormatUint(id, 10)+"/comments", &cs); err != nil {
			return "", nil, false, err
		}
		return p.Title, cs, true, nil
	}
	var a struct {
		abci.Announcement
		Comments []abci.Comment `json:"comments"`
	}
	ok, err := t.query("announcements/"+strconv.FormatUint(id, 10), &a)
	return a.Title, a.Comments, ok, err
}

func showComments(t *Turn, f *Frame) error {
	title, cs, ok, err := t.subjectComments(f.Form["on"], f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	slices.SortFunc(cs, func(a, b abci.Comment) int { return cmpInt(int64(b.ID), int64(a.ID)) })
	d := commentsData{Title: clip(title, 30)}
	if len(cs) > commentsShown {
		d.More, cs = len(cs)-commentsShown, cs[:commentsShown]
	}
	for _, c := range cs {
		d.Items = append(d.Items, commentLine{Unit: c.Unit, When: t.date(c.Time), Text: clip(c.Text, commentRunes), Hidden: c.Hidden, Reason: c.HideReason})
	}
	f.Choices = []string{"comment"}
	t.say("bot.comments", d)
	return nil
}

func chooseComments(t *Turn, f *Frame, _ string) error {
	if ok, err := t.requireBound(); !ok {
		return err
	}
	title, _, ok, err := t.subjectComments(f.Form["on"], f.ID)
	if err != nil || !ok {
		return err
	}
	return t.startForm("form.comment", map[string]string{"on": f.Form["on"], "target": strconv.FormatUint(f.ID, 10), "title": title})
}

// readComment reads the text of a comment.
func readComment(t *Turn, f *Frame, _ string) (bool, error) {
	text := strings.TrimSpace(t.In.Text)
	switch {
	case text == "":
		t.say("bot.admin.bad", struct{ Reason string }{"empty"})
		return false, nil
	case reflex(t.In):
		t.say("bot.admin.bad", struct{ Reason string }{"words"})
		return false, nil
	case letters(text) < minCommentLetters:
		// A comment is published under the user's unit: "好" or "哦"
		// is not an opinion anyone can read.
		t.say("bot.admin.bad", struct{ Reason string }{"comment_short"})
		return false, nil
	case len(text) > tx.MaxCommentBytes:
		t.say("bot.admin.bad", struct{ Reason string }{"comment_long"})
		return false, nil
	}
	f.Form["text"] = text
	return true, nil
}

func commentAction(t *Turn, f *Frame) (*Action, error) {
	return t.action("comment", "bot.comments.summary", newTextSummary(clip(f.Form["title"], 30), f.Form["text"]), f.Form)
}

func buildComment(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	target, _ := strconv.ParseUint(a.Args["target"], 10, 64)
	return &tx.CommentPost{On: a.Args["on"], Target: target, Text: a.Args["text"]}, nil, nil
}
