package abci_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

func TestDecide(t *testing.T) {
	// Each case states its figures; areas are in 0.01 m² but any unit
	// works for checking by hand.
	tests := []struct {
		name  string
		class string
		t     abci.Tally
		want  string
	}{
		{"OrdinaryPassesWithMoreThanHalf", tx.ClassOrdinary, abci.Tally{ATot: 300, NTot: 3, AP: 300, NP: 3, AY: 200, NY: 2}, abci.OutcomePassed},
		{"QuorumAtExactlyTwoThirdsOfBoth", tx.ClassOrdinary, abci.Tally{ATot: 900, NTot: 9, AP: 600, NP: 6, AY: 600, NY: 6}, abci.OutcomePassed},
		{"FailsQuorumAtTwoThirdsAreaButNotHeads", tx.ClassOrdinary, abci.Tally{ATot: 900, NTot: 9, AP: 600, NP: 5, AY: 600, NY: 5}, abci.OutcomeFailedQuorum},
		{"FailsQuorumAtTwoThirdsHeadsButNotArea", tx.ClassOrdinary, abci.Tally{ATot: 900, NTot: 9, AP: 599, NP: 6, AY: 599, NY: 6}, abci.OutcomeFailedQuorum},
		{"FailsAtExactlyHalfArea", tx.ClassOrdinary, abci.Tally{ATot: 600, NTot: 6, AP: 600, NP: 6, AY: 300, NY: 4}, abci.OutcomeRejected},
		{"FailsAtExactlyHalfHeads", tx.ClassOrdinary, abci.Tally{ATot: 600, NTot: 6, AP: 600, NP: 6, AY: 400, NY: 3}, abci.OutcomeRejected},
		{"PassesJustOverHalf", tx.ClassOrdinary, abci.Tally{ATot: 600, NTot: 6, AP: 600, NP: 7, AY: 301, NY: 4}, abci.OutcomePassed},
		{"SpecialPassesAtExactlyThreeQuarters", tx.ClassSpecial, abci.Tally{ATot: 800, NTot: 8, AP: 800, NP: 8, AY: 600, NY: 6}, abci.OutcomePassed},
		{"SpecialFailsJustBelowThreeQuartersArea", tx.ClassSpecial, abci.Tally{ATot: 800, NTot: 8, AP: 800, NP: 8, AY: 599, NY: 6}, abci.OutcomeRejected},
		{"SpecialFailsJustBelowThreeQuartersHeads", tx.ClassSpecial, abci.Tally{ATot: 800, NTot: 8, AP: 800, NP: 8, AY: 700, NY: 5}, abci.OutcomeRejected},
		{"AbstainsCountAsParticipatingNotAgreeing", tx.ClassOrdinary, abci.Tally{ATot: 900, NTot: 9, AP: 900, NP: 9, AY: 400, NY: 4}, abci.OutcomeRejected},
		{"ZeroElectorateFailsQuorum", tx.ClassOrdinary, abci.Tally{}, abci.OutcomeFailedQuorum},
		{"NobodyVotedFailsQuorum", tx.ClassSpecial, abci.Tally{ATot: 100, NTot: 1}, abci.OutcomeFailedQuorum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := abci.Decide(tt.class, tt.t); got != tt.want {
				t.Errorf("Decide(%s, %+v) = %s, want %s", tt.class, tt.t, got, tt.want)
			}
		})
	}
}

const day = 24 * time.Hour

// community registers a small roster: O-1 owns two units (190 m²), O-2 and
// O-3 one each (80 m²), the developer three unsold ones (150 m²), and
// binds members: w1 and w2 for O-1, o2, o3, dev for the developer, and a
// tenant in 1-102.
func community(t *testing.T) *testChain {
	c := newChain(t)
	c.mustOK(c.sign(c.admin, units(
		unit("3-501", "3", 10000, "O-1"), unit("3-502", "3", 9000, "O-1"),
		unit("1-101", "1", 8000, "O-2"), unit("1-102", "1", 8000, "O-3"),
		unit("2-101", "2", 5000, "developer"), unit("2-102", "2", 5000, "developer"), unit("2-103", "2", 5000, "developer"),
	)))
	bind := map[string][2]string{
		"w1": {"3-501", tx.RelationOwner}, "w2": {"3-502", tx.RelationOwner}, "o2": {"1-101", tx.RelationOwner},
		"o3": {"1-102", tx.RelationOwner}, "dev": {"2-101", tx.RelationOwner}, "tenant": {"1-102", tx.RelationTenant},
	}
	var ms []abci.Member
	for _, who := range []string{"w1", "w2", "o2", "o3", "dev", "tenant"} {
		ms = append(ms, abci.Member{Address: addr(key(who)), Unit: bind[who][0], Relation: bind[who][1], Height: c.height})
	}
	if err := abci.SeedMembers(c.app, ms); err != nil {
		t.Fatal(err)
	}
	return c
}

// at sets the next block's time to t.
func (c *testChain) at(t time.Time) { c.time = t.Add(-time.Second) }

func vote(c *testChain, who string, id uint64, choices ...int) []byte {
	return c.sign(key(who), &tx.VoteCast{Proposal: id, Choices: choices})
}

func TestDecisionLifecycle(t *testing.T) {
	c := community(t)
	now := c.time
	start, end := now.Add(16*day), now.Add(17*day)
	open := &tx.ProposalOpen{Title: "续聘物业", Class: tx.ClassOrdinary, NoticeAt: now.Add(day).Unix(), VoteStart: start.Unix(), VoteEnd: end.Unix()}
	c.mustOK(c.sign(c.admin, open))
	var p struct {
		abci.Proposal
		Phase string
	}
	c.query("proposals/1", &p)
	if p.Phase != "draft" || len(p.Options) != 3 {
		t.Fatalf("proposal = %+v, want a draft with 3 options", p)
	}
	amended := &tx.ProposalAmend{ID: 1, ProposalOpen: *open}
	amended.Text = "续聘物业三年"
	c.mustOK(c.sign(c.admin, amended))
	c.at(now.Add(day))
	if got := c.code(c.sign(c.admin, amended)); got != abci.CodeAgendaFrozen {
		t.Errorf("amend after notice: %v, want %v", got, abci.CodeAgendaFrozen)
	}
	if got := c.code(vote(c, "w1", 1, tx.DecisionOptionYes)); got != abci.CodeVotingNotOpen {
		t.Errorf("vote before start: %v, want %v", got, abci.CodeVotingNotOpen)
	}

	c.at(start)
	results := c.block(
		vote(c, "w1", 1, tx.DecisionOptionNo),
		vote(c, "w2", 1, tx.DecisionOptionYes), // same owner, later in the block: wins
		vote(c, "o2", 1, tx.DecisionOptionYes),
		vote(c, "o3", 1, tx.DecisionOptionAbs),
		vote(c, "tenant", 1, tx.DecisionOptionNo),
		vote(c, "stranger", 1, tx.DecisionOptionNo),
		vote(c, "dev", 1, 3),
		vote(c, "dev", 1, 0, 1),
	)
	wantCodes := []abci.Code{0, 0, 0, 0, abci.CodeTenantCannotVote, abci.CodeNotMember, abci.CodeBadChoice, abci.CodeBadChoice}
	for i, r := range results {
		if abci.Code(r.Code) != wantCodes[i] {
			t.Errorf("vote %d: code %v, want %v (%s)", i, abci.Code(r.Code), wantCodes[i], r.Log)
		}
	}
	if got := c.code(c.sign(c.admin, &tx.ProposalCancel{ID: 1, Reason: "太晚了"})); got != abci.CodeCancelTooLate {
		t.Errorf("cancel during voting: %v, want %v", got, abci.CodeCancelTooLate)
	}
	var turnout abci.Turnout
	c.query("proposals/1/turnout", &turnout)
	if want := (abci.Turnout{Proposal: 1, HeadsVoted: 3, HeadsTotal: 4, AreaVoted: 35000, AreaTotal: 50000}); turnout != want {
		t.Errorf("turnout = %+v, want %+v", turnout, want)
	}

	// The first block at or after the end tallies before its txs.
	c.at(end)
	res := c.finalize(vote(c, "dev", 1, tx.DecisionOptionNo))
	if _, err := c.app.Commit(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	c.height++
	if got := abci.Code(res.TxResults[0].Code); got != abci.CodeVotingClosed {
		t.Errorf("vote in the closing block: %v, want %v", got, abci.CodeVotingClosed)
	}
	if len(res.Events) != 1 || res.Events[0].Type != "proposal.closed" {
		t.Fatalf("closing block events = %v, want one proposal.closed", res.Events)
	}
	var result struct {
		abci.Result
		Rows []abci.ResultRow
	}
	if code := c.query("proposals/1/result", &result); code != 0 {
		t.Fatalf("result: code %v", code)
	}
	// ATot = 190+80+80+150 m², NTot = 4 (the developer is one head);
	// AP = 350 m² over 3 heads, AY = 270 m² over 2: ordinary, passed.
	want := abci.Tally{ATot: 50000, NTot: 4, AP: 35000, NP: 3, AY: 27000, NY: 2}
	if *result.Tally != want || result.Outcome != abci.OutcomePassed {
		t.Errorf("tally = %+v %s, want %+v passed", *result.Tally, result.Outcome, want)
	}
	if len(result.Rows) != 7 {
		t.Fatalf("rows = %d, want one per electorate unit (7)", len(result.Rows))
	}
	for _, row := range result.Rows {
		wantChoice := map[string]string{"O-1": "同意", "O-2": "同意", "O-3": "弃权", "developer": ""}[row.Owner]
		if row.Choice != wantChoice {
			t.Errorf("row %+v: choice %q, want %q", row, row.Choice, wantChoice)
		}
		if wantChannel := map[bool]string{true: abci.ChannelChat}[wantChoice != ""]; row.Channel != wantChannel {
			t.Errorf("row %+v: channel %q, want %q", row, row.Channel, wantChannel)
		}
	}
	var ballot abci.Ballot
	c.query("ballots/1/O-1", &ballot)
	if ballot.Member != addr(key("w2")) || ballot.Choice != tx.DecisionOptionYes || len(ballot.TxHash) != 64 || ballot.Channel != abci.ChannelChat {
		t.Errorf("O-1's ballot = %+v, want w2's 同意 with its tx hash", ballot)
	}
}

func TestDecisionRejections(t *testing.T) {
	c := community(t)
	now := c.time
	ok := func() *tx.ProposalOpen {
		return &tx.ProposalOpen{Title: "加装电梯", Class: tx.ClassSpecial, NoticeAt: now.Unix(),
			VoteStart: now.Add(16 * day).Unix(), VoteEnd: now.Add(20 * day).Unix()}
	}
	with := func(f func(*tx.ProposalOpen)) *tx.ProposalOpen { p := ok(); f(p); return p }
	tests := []struct {
		name string
		tx   []byte
		want abci.Code
	}{
		{"ErrNoticeTooShort", c.sign(c.admin, with(func(p *tx.ProposalOpen) { p.VoteStart = now.Add(14 * day).Unix() })), abci.CodeNoticeTooShort},
		{"ErrVotingTooShort", c.sign(c.admin, with(func(p *tx.ProposalOpen) { p.VoteEnd = p.VoteStart + 3600 })), abci.CodeVotingTooShort},
		{"ErrVotingTooLong", c.sign(c.admin, with(func(p *tx.ProposalOpen) { p.VoteEnd = p.VoteStart + 61*86400 })), abci.CodeVotingTooLong},
		{"ErrUnknownBuilding", c.sign(c.admin, with(func(p *tx.ProposalOpen) { p.Buildings = []string{"9"} })), abci.CodeUnknownBuilding},
		{"ErrNotAdmin", c.sign(key("w1"), ok()), abci.CodeUnauthorized},
		{"ErrVoteOnUnknownProposal", vote(c, "w1", 99, 0), abci.CodeProposalNotFound},
		{"Opens", c.sign(c.admin, ok()), abci.CodeOK},
		{"Cancels", c.sign(c.admin, &tx.ProposalCancel{ID: 1, Reason: "报价有误"}), abci.CodeOK},
		{"ErrCancelTwice", c.sign(c.admin, &tx.ProposalCancel{ID: 1, Reason: "again"}), abci.CodeProposalCanceled},
	}
	// Bodies invalid on their own are rejected before the nonce is used,
	// so they get keys of their own.
	bad := []struct {
		name string
		body tx.Body
	}{
		{"ErrEndBeforeStart", with(func(p *tx.ProposalOpen) { p.VoteEnd = p.VoteStart - 1 })},
		{"ErrUnknownClass", with(func(p *tx.ProposalOpen) { p.Class = "urgent" })},
		{"ErrNoTitle", with(func(p *tx.ProposalOpen) { p.Title = "" })},
		{"ErrRepeatedBuilding", with(func(p *tx.ProposalOpen) { p.Buildings = []string{"3", "1", "3"} })},
		{"ErrPollOneOption", &tx.PollOpen{Title: "x", Options: []string{"a"}, VoteStart: 1, VoteEnd: 2}},
		{"ErrPollDuplicateOption", &tx.PollOpen{Title: "x", Options: []string{"a", "a"}, VoteStart: 1, VoteEnd: 2}},
		{"ErrPollTenOptions", &tx.PollOpen{Title: "x", Options: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}, VoteStart: 1, VoteEnd: 2}},
		{"ErrVoteNoChoice", &tx.VoteCast{Proposal: 1}},
		{"ErrVoteRepeatedChoice", &tx.VoteCast{Proposal: 1, Choices: []int{1, 1}}},
	}
	for i, b := range bad {
		tests = append(tests, struct {
			name string
			tx   []byte
			want abci.Code
		}{b.name, c.sign(key(fmt.Sprint("bad", i)), b.body), abci.CodeInvalidBody})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.code(tt.tx); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
		})
	}
	c.at(now.Add(16 * day))
	if got := c.code(vote(c, "w1", 1, 0)); got != abci.CodeProposalCanceled {
		t.Errorf("vote on a canceled proposal: %v, want %v", got, abci.CodeProposalCanceled)
	}
	var p abci.Proposal
	c.query("proposals/1", &p)
	if p.Status != abci.StatusCanceled || p.CancelReason != "报价有误" {
		t.Errorf("canceled proposal = %+v", p)
	}
}

func TestBuildingElectorate(t *testing.T) {
	c := community(t)
	now := c.time
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "3栋电梯维修", Class: tx.ClassOrdinary, Buildings: []string{"3"},
		NoticeAt: now.Unix(), VoteStart: now.Add(15*day + time.Second).Unix(), VoteEnd: now.Add(16*day + time.Second).Unix()}))
	c.at(now.Add(15*day + time.Second))
	if got := c.code(vote(c, "o2", 1, 0)); got != abci.CodeNotInElectorate {
		t.Errorf("owner outside building 3: %v, want %v", got, abci.CodeNotInElectorate)
	}
	c.mustOK(vote(c, "w1", 1, 0))
	c.at(now.Add(16*day + time.Second))
	c.block()
	var result struct{ abci.Result }
	c.query("proposals/1/result", &result)
	// Only O-1 owns units in building 3: 190 m², one head, all for.
	if want := (abci.Tally{ATot: 19000, NTot: 1, AP: 19000, NP: 1, AY: 19000, NY: 1}); *result.Tally != want || result.Outcome != abci.OutcomePassed {
		t.Errorf("tally = %+v %s, want %+v passed", *result.Tally, result.Outcome, want)
	}
}

func TestPolls(t *testing.T) {
	c := community(t)
	now := c.time
	c.mustOK(
		c.sign(c.admin, &tx.PollOpen{Title: "中秋活动", Options: []string{"周五", "周六", "周日"}, Multi: true, VoteStart: now.Unix(), VoteEnd: now.Add(day).Unix()}),
		c.sign(c.admin, &tx.PollOpen{Title: "车位划线", Options: []string{"同意", "不同意"}, OwnersOnly: true, VoteStart: now.Unix(), VoteEnd: now.Add(day).Unix()}),
	)
	tests := []struct {
		name string
		tx   []byte
		want abci.Code
	}{
		{"TenantVotesInOpenPoll", vote(c, "tenant", 1, 1, 2), abci.CodeOK},
		{"OwnerMultiSelect", vote(c, "w1", 1, 0, 1), abci.CodeOK},
		{"EachMemberVotes", vote(c, "w2", 1, 0), abci.CodeOK},
		{"OwnerChangesVote", vote(c, "w2", 1, 2), abci.CodeOK},
		{"ErrOptionOutOfRange", vote(c, "o2", 1, 3), abci.CodeBadChoice},
		{"ErrTenantInOwnersOnlyPoll", vote(c, "tenant", 2, 0), abci.CodeTenantCannotVote},
		{"ErrMultiOnSingleSelect", vote(c, "o2", 2, 0, 1), abci.CodeBadChoice},
		{"OwnerInOwnersOnlyPoll", vote(c, "o2", 2, 1), abci.CodeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.code(tt.tx); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
		})
	}
	c.at(now.Add(day))
	c.block()
	var r1, r2 struct {
		abci.Result
		Rows []abci.ResultRow
	}
	c.query("proposals/1/result", &r1)
	c.query("proposals/2/result", &r2)
	// Poll 1: 周五 1 (w1), 周六 2 (tenant, w1), 周日 2 (tenant, w2): a tie.
	if got := fmt.Sprint(r1.Winners); got != "[周六 周日]" || len(r1.Rows) != 3 {
		t.Errorf("poll 1 winners %s with %d rows, want the tie [周六 周日] and 3 rows", got, len(r1.Rows))
	}
	if got := fmt.Sprint(r2.Winners); got != "[不同意]" {
		t.Errorf("poll 2 winners %s, want [不同意]", got)
	}
}

func TestMeetingRequestBecomesDueAtTwentyPercent(t *testing.T) {
	c := community(t)
	sign := func(who string) []byte {
		return c.sign(key(who), &tx.MeetingRequest{Topic: "召开临时业主大会：更换物业"})
	}
	// Whole community: 500 m², 4 heads. O-2 alone has 80 m² (16%) and
	// 1 head (25%): not due. With O-3: 160 m² (32%), 2 heads: due.
	c.mustOK(sign("o2"))
	var ms []abci.Meeting
	c.query("meetings", &ms)
	if len(ms) != 1 || ms[0].Due {
		t.Fatalf("meetings = %+v, want one not yet due", ms)
	}
	if got := c.code(sign("o2")); got != abci.CodeAlreadyRequested {
		t.Errorf("second signature by the same owner: %v, want %v", got, abci.CodeAlreadyRequested)
	}
	if got := c.code(sign("tenant")); got != abci.CodeTenantCannotVote {
		t.Errorf("tenant signing: %v, want %v", got, abci.CodeTenantCannotVote)
	}
	res := c.block(sign("o3"))
	c.query("meetings", &ms)
	if !ms[0].Due || ms[0].Owners != 2 || ms[0].Area != 16000 {
		t.Errorf("meeting = %+v, want due with 2 owners, 160 m²", ms[0])
	}
	if last := res[0].Events[len(res[0].Events)-1]; last.Type != "meeting.due" {
		t.Errorf("last event %s, want meeting.due", last.Type)
	}
}

func TestTallyOfEmptyCommunityFailsQuorum(t *testing.T) {
	c := newChain(t) // no units at all
	now := c.time
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "空", Class: tx.ClassOrdinary, NoticeAt: now.Unix(),
		VoteStart: now.Add(16 * day).Unix(), VoteEnd: now.Add(17 * day).Unix()}))
	c.at(now.Add(17 * day))
	c.block()
	var r struct{ abci.Result }
	if code := c.query("proposals/1/result", &r); code != 0 {
		t.Fatalf("result: %v", code)
	}
	if r.Outcome != abci.OutcomeFailedQuorum || *r.Tally != (abci.Tally{}) {
		t.Errorf("empty electorate: %s %+v, want failed_quorum with zero figures", r.Outcome, *r.Tally)
	}
}

func TestVotingEarnsPointsOncePerProposal(t *testing.T) {
	c := community(t)
	now := c.time
	c.mustOK(c.sign(c.admin, &tx.PollOpen{Title: "活动", Options: []string{"a", "b"}, VoteStart: now.Unix(), VoteEnd: now.Add(day).Unix()}))
	c.mustOK(vote(c, "w1", 1, 0))
	c.mustOK(vote(c, "w1", 1, 1)) // a changed vote earns nothing more
	var p struct {
		Points int64 `json:"points"`
	}
	c.query("points/"+string(addr(key("w1"))), &p)
	if want := abci.DefaultParams().PointsVote; p.Points != want {
		t.Errorf("points after voting twice on one poll = %d, want %d", p.Points, want)
	}
}
