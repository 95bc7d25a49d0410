package bot

import (
	"slices"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// Requests for an extraordinary owners' meeting (临时业主大会): owners sign
// a request by its topic, and once the signers hold 20% of the area and
// of the owners, the committee must call the meeting. The chain counts;
// chat shows how far each request is and lets an owner sign one or start
// another.

type meetingLine struct {
	N      int
	Topic  string
	Owners int64
	// OwnersNeeded is how many owners still have to sign (0 when enough).
	OwnersNeeded int64
	AreaPct      string
	Due          bool
}

type meetingsData struct {
	Items []meetingLine
	More  int
	// New is the digit that starts a new request.
	New int
}

// communityTotals returns the owners (one per owner label, the
// developer's unsold units being one) and the area of all units, which
// the 20% is of.
func (t *Turn) communityTotals() (owners, area int64, err error) {
	var units []abci.Unit
	if _, err := t.query("units", &units); err != nil {
		return 0, 0, err
	}
	seen := map[string]bool{}
	for _, u := range units {
		if !seen[u.Owner] {
			seen[u.Owner] = true
			owners++
		}
		area += u.Area
	}
	return owners, area, nil
}

func showMeetings(t *Turn, f *Frame) error {
	var all []abci.Meeting
	if _, err := t.query("meetings", &all); err != nil {
		return err
	}
	owners, area, err := t.communityTotals()
	if err != nil {
		return err
	}
	// Newest first; the last digit starts a new one.
	slices.SortStableFunc(all, func(a, b abci.Meeting) int { return cmpInt(b.Opened, a.Opened) })
	d := meetingsData{}
	if len(all) > maxList-1 {
		d.More, all = len(all)-(maxList-1), all[:maxList-1]
	}
	f.Choices = nil
	for _, m := range all {
		f.Choices = append(f.Choices, "meeting:"+m.ID)
		need := (owners+4)/5 - m.Owners // 5·signers ≥ owners
		d.Items = append(d.Items, meetingLine{N: len(f.Choices), Topic: clip(m.Topic, 24), Owners: m.Owners,
			OwnersNeeded: max(0, need), AreaPct: percent(m.Area, area), Due: m.Due})
	}
	f.Choices = append(f.Choices, "new")
	d.New = len(f.Choices)
	t.say("bot.meetings", d)
	return nil
}

func chooseMeetings(t *Turn, f *Frame, c string) error {
	m, err := t.Member()
	if err != nil {
		return err
	}
	switch {
	case m.Unit == "":
		t.say("bot.need.bind.other", nil)
		return nil
	case m.Relation != tx.RelationOwner:
		t.say("bot.meetings.owners", nil)
		return nil
	case c == "new":
		return t.startForm("form.meeting", map[string]string{})
	}
	var mt abci.Meeting
	ok, err := t.query("meetings/"+c[len("meeting:"):], &mt)
	if err != nil || !ok {
		return err
	}
	a, err := t.action("meeting", "bot.meetings.summary", struct{ Topic, Text string }{mt.Topic, ""}, map[string]string{"title": mt.Topic})
	if err != nil {
		return err
	}
	return t.confirm(a)
}

func meetingAction(t *Turn, f *Frame) (*Action, error) {
	return t.action("meeting", "bot.meetings.summary", struct{ Topic, Text string }{f.Form["title"], f.Form["text"]}, f.Form)
}

// buildMeeting signs the request with this topic: the chain finds it by
// its topic, or opens it.
func buildMeeting(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.MeetingRequest{Topic: a.Args["title"], Text: a.Args["text"]}, &actionExtra{After: "bot.meetings.signed"}, nil
}
