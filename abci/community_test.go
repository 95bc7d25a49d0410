package abci_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

type announcementDetail struct {
	abci.Announcement
	Expired  bool
	Comments []abci.Comment
}

func comment(c *testChain, who, on string, target uint64, text string) []byte {
	return c.sign(key(who), &tx.CommentPost{On: on, Target: target, Text: text})
}

func TestAnnouncementsAndComments(t *testing.T) {
	c := community(t)
	now := c.time
	c.mustOK(
		c.sign(c.admin, &tx.AnnouncementPost{Title: "停水通知", Text: "3月5日上午停水"}),
		c.sign(c.admin, &tx.AnnouncementPost{Title: "消防演练", Text: "本周六上午", ExpiresAt: now.Add(time.Hour).Unix()}),
	)
	const secret = "我的电话是 13800000000"
	tests := []struct {
		name string
		tx   []byte
		want abci.Code
	}{
		{"ErrResidentPosts", c.sign(key("o2"), &tx.AnnouncementPost{Title: "x", Text: "y"}), abci.CodeUnauthorized},
		{"ErrExpiryIsBlockTime", c.sign(c.admin, &tx.AnnouncementPost{Title: "x", Text: "y", ExpiresAt: now.Add(3 * time.Second).Unix()}), abci.CodeExpiryInPast},
		{"CommentsOnAnnouncement", comment(c, "o2", tx.CommentOnAnnouncement, 1, secret), abci.CodeOK},
		{"TenantComments", comment(c, "tenant", tx.CommentOnAnnouncement, 1, "知道了，谢谢"), abci.CodeOK},
		{"ErrUnknownAnnouncement", comment(c, "o2", tx.CommentOnAnnouncement, 9, "x"), abci.CodeAnnouncementNotFound},
		{"ErrUnknownProposal", comment(c, "o2", tx.CommentOnProposal, 1, "x"), abci.CodeProposalNotFound},
		{"ErrStrangerComments", comment(c, "stranger", tx.CommentOnAnnouncement, 1, "x"), abci.CodeNotMember},
		{"OpensPoll", c.sign(c.admin, &tx.PollOpen{Title: "活动日期", Options: []string{"周六", "周日"}, VoteStart: now.Unix(), VoteEnd: now.Add(24 * time.Hour).Unix()}), abci.CodeOK},
		{"CommentsOnPoll", comment(c, "o3", tx.CommentOnProposal, 1, "周六好"), abci.CodeOK},
		{"ErrResidentHides", c.sign(key("o3"), &tx.CommentHide{Comment: 1, Reason: "x"}), abci.CodeUnauthorized},
		{"AdminHides", c.sign(c.admin, &tx.CommentHide{Comment: 1, Reason: "含有电话号码"}), abci.CodeOK},
		{"ErrHideTwice", c.sign(c.admin, &tx.CommentHide{Comment: 1, Reason: "again"}), abci.CodeCommentHidden},
		{"ErrHideUnknown", c.sign(c.admin, &tx.CommentHide{Comment: 9, Reason: "x"}), abci.CodeCommentNotFound},
	}
	bad := []tx.Body{
		&tx.CommentPost{On: tx.CommentOnAnnouncement, Target: 1, Text: strings.Repeat("长", tx.MaxCommentBytes/3+1)},
		&tx.CommentPost{On: tx.CommentOnAnnouncement, Target: 1},
		&tx.CommentPost{On: "repair", Target: 1, Text: "x"},
		&tx.CommentHide{Comment: 1},
		&tx.AnnouncementPost{Title: "x"},
	}
	for i, b := range bad {
		tests = append(tests, struct {
			name string
			tx   []byte
			want abci.Code
		}{fmt.Sprintf("ErrInvalidBody%d", i), c.sign(key(fmt.Sprint("bad", i)), b), abci.CodeInvalidBody})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.code(tt.tx); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
		})
	}

	var current []struct {
		abci.Announcement
		CommentCount int `json:"comment_count"`
	}
	c.query("announcements", &current)
	if len(current) != 2 || current[0].ID != 2 || current[1].CommentCount != 2 {
		t.Errorf("current announcements = %+v, want 2 then 1 (newest first), 1 with 2 comments", current)
	}
	var a announcementDetail
	c.query("announcements/1", &a)
	sum := sha256.Sum256([]byte(secret))
	switch {
	case len(a.Comments) != 2:
		t.Fatalf("announcement 1 has %d comments, want 2", len(a.Comments))
	case !a.Comments[0].Hidden || a.Comments[0].Text != "" || a.Comments[0].TextHash != hex.EncodeToString(sum[:]) || a.Comments[0].HideReason != "含有电话号码":
		t.Errorf("hidden comment = %+v, want no text, the original's SHA-256 and the reason", a.Comments[0])
	case a.Comments[1].Text != "知道了，谢谢" || a.Comments[1].Unit != "1-102":
		t.Errorf("visible comment = %+v", a.Comments[1])
	}
	// The hidden text is gone from state too, not only from answers.
	if err := c.store.Scan("", func(k string, v []byte) bool {
		if strings.Contains(string(v), secret) {
			t.Errorf("state key %s still holds the hidden text", k)
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	var onPoll []abci.Comment
	if code := c.query("proposals/1/comments", &onPoll); code != 0 || len(onPoll) != 1 || onPoll[0].Text != "周六好" {
		t.Errorf("proposals/1/comments: code %v, %+v", code, onPoll)
	}
	if code := c.query("proposals/7/comments", nil); code != abci.CodeQueryNotFound {
		t.Errorf("comments of a missing proposal: code %v, want %v", code, abci.CodeQueryNotFound)
	}

	c.at(now.Add(time.Hour))
	c.block()
	c.query("announcements", &current)
	if len(current) != 1 || current[0].ID != 1 {
		t.Errorf("announcements after 2 expired = %+v, want only 1", current)
	}
	c.query("announcements/2", &a)
	if !a.Expired {
		t.Errorf("announcement 2 is not marked expired")
	}
}

func TestRepairFlow(t *testing.T) {
	c := community(t)
	treasurer := key("treasurer")
	c.mustOK(c.sign(c.admin, &tx.RoleGrant{Address: addr(treasurer), Role: tx.RoleTreasurer}))
	c.mustOK(
		c.sign(key("o2"), &tx.RepairFile{Kind: tx.RepairKindRepair, Title: "1栋楼道灯不亮"}),
		c.sign(key("tenant"), &tx.RepairFile{Kind: tx.RepairKindFeedback, Title: "希望增加快递柜"}),
	)
	update := func(k string, id uint64, status, reason string) []byte {
		signer := key(k)
		if k == "admin" {
			signer = c.admin
		}
		return c.sign(signer, &tx.RepairUpdate{Repair: id, Status: status, Reason: reason})
	}
	tests := []struct {
		name string
		tx   []byte
		want abci.Code
	}{
		{"ErrStrangerFiles", c.sign(key("stranger"), &tx.RepairFile{Kind: tx.RepairKindRepair, Title: "x"}), abci.CodeNotMember},
		{"ErrResidentUpdates", update("o3", 1, tx.RepairAccepted, ""), abci.CodeUnauthorized},
		{"ErrDoneBeforeAccepted", update("treasurer", 1, tx.RepairDone, ""), abci.CodeRepairState},
		{"ErrConfirmWhileOpen", c.sign(key("o2"), &tx.RepairConfirm{Repair: 1}), abci.CodeRepairState},
		{"ErrReopenWhileOpen", c.sign(key("o2"), &tx.RepairReopen{Repair: 1, Reason: "x"}), abci.CodeRepairState},
		{"TreasurerAccepts", update("treasurer", 1, tx.RepairAccepted, ""), abci.CodeOK},
		{"ErrAcceptTwice", update("treasurer", 1, tx.RepairAccepted, ""), abci.CodeRepairState},
		{"AdminMarksDone", update("admin", 1, tx.RepairDone, ""), abci.CodeOK},
		{"ErrConfirmByOther", c.sign(key("o3"), &tx.RepairConfirm{Repair: 1}), abci.CodeNotFiler},
		{"FilerReopens", c.sign(key("o2"), &tx.RepairReopen{Repair: 1, Reason: "还是不亮"}), abci.CodeOK},
		{"AcceptedAgain", update("treasurer", 1, tx.RepairAccepted, ""), abci.CodeOK},
		{"DoneAgain", update("treasurer", 1, tx.RepairDone, ""), abci.CodeOK},
		{"FilerConfirms", c.sign(key("o2"), &tx.RepairConfirm{Repair: 1}), abci.CodeOK},
		{"ErrReopenConfirmed", c.sign(key("o2"), &tx.RepairReopen{Repair: 1, Reason: "x"}), abci.CodeRepairState},
		{"ErrUpdateConfirmed", update("treasurer", 1, tx.RepairRejected, "x"), abci.CodeRepairState},
		{"RejectsFeedback", update("treasurer", 2, tx.RepairRejected, "场地不够"), abci.CodeOK},
		{"FilerReopensRejected", c.sign(key("tenant"), &tx.RepairReopen{Repair: 2, Reason: "可以放在门岗旁"}), abci.CodeOK},
		{"ErrUnknownRepair", update("treasurer", 9, tx.RepairAccepted, ""), abci.CodeRepairNotFound},
		{"ErrRejectWithoutReason", c.sign(key("bad2"), &tx.RepairUpdate{Repair: 2, Status: tx.RepairRejected}), abci.CodeInvalidBody},
		{"ErrUnknownStatus", c.sign(key("bad0"), &tx.RepairUpdate{Repair: 2, Status: tx.RepairConfirmed}), abci.CodeInvalidBody},
		{"ErrUnknownKind", c.sign(key("bad1"), &tx.RepairFile{Kind: "complaint", Title: "x"}), abci.CodeInvalidBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.code(tt.tx); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
		})
	}
	var r struct {
		abci.Repair
		History []abci.RepairStep
	}
	c.query("repairs/1", &r)
	var got []string
	for _, s := range r.History {
		got = append(got, s.Status)
	}
	if want := "open accepted done open accepted done confirmed"; strings.Join(got, " ") != want || r.Status != tx.RepairConfirmed {
		t.Errorf("repair 1 history = %v (status %s), want %s", got, r.Status, want)
	}
	if r.History[3].Reason != "还是不亮" || r.History[3].By != addr(key("o2")) {
		t.Errorf("reopen step = %+v, want o2's reason", r.History[3])
	}
	var all []abci.Repair
	c.query("repairs", &all)
	if len(all) != 2 || all[1].Status != tx.RepairOpen || all[1].Kind != tx.RepairKindFeedback {
		t.Errorf("repairs = %+v, want 2, the feedback open again", all)
	}
	var v abci.PointsView
	c.query("points/"+string(addr(key("o2"))), &v)
	if want := abci.DefaultParams().PointsRepairConfirmed; v.Points != want || v.Unit != "1-101" || v.UnitPoints != want {
		t.Errorf("o2's points = %+v, want %d for 1-101", v, want)
	}
}

func TestDisputeFlow(t *testing.T) {
	c := community(t)
	now := c.time
	mediator := key("mediator")
	c.mustOK(
		c.sign(c.admin, &tx.RoleGrant{Address: addr(mediator), Role: tx.RoleMediator}),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("o3")), Role: tx.RoleMediator}),
	)
	c.mustOK(c.sign(key("o2"), &tx.DisputeOpen{Topic: "楼上漏水", TextHash: commit("卫生间天花板渗水"), Parties: []tx.Address{addr(key("o3"))}}))
	assign := func(signer string, m tx.Address) []byte {
		k := c.admin
		if signer != "admin" {
			k = key(signer)
		}
		return c.sign(k, &tx.DisputeAssign{Dispute: 1, Mediator: m})
	}
	const outcome = "双方各承担一半维修费"
	escalateWith := func(who string, end time.Time, text string) []byte {
		return c.sign(key(who), &tx.DisputeEscalate{Dispute: 1, Options: []string{"同意调解结果", "不同意"}, VoteEnd: end.Unix(),
			Outcome: text, OutcomeNonce: hex.EncodeToString(textNonce(outcome))})
	}
	escalate := func(who string, end time.Time) []byte { return escalateWith(who, end, outcome) }
	tests := []struct {
		name string
		tx   []byte
		want abci.Code
	}{
		{"ErrStrangerOpens", c.sign(key("stranger"), &tx.DisputeOpen{Topic: "x"}), abci.CodeNotMember},
		{"ErrStatementByOutsider", c.sign(key("w1"), &tx.DisputeStatement{Dispute: 1, TextHash: commit("我也听说了")}), abci.CodeNotDisputeParty},
		{"PartyStatesBeforeMediation", c.sign(key("o3"), &tx.DisputeStatement{Dispute: 1, TextHash: commit("已请师傅查看")}), abci.CodeOK},
		{"ErrMediatorIsParty", assign("admin", addr(key("o3"))), abci.CodeMediatorIsParty},
		{"ErrMediatorWithoutRole", assign("admin", addr(key("w1"))), abci.CodeNotMediator},
		{"ErrResidentAssigns", assign("w1", addr(mediator)), abci.CodeUnauthorized},
		{"ErrOutcomeWithoutMediator", c.sign(mediator, &tx.DisputeOutcome{Dispute: 1, TextHash: commit("x")}), abci.CodeNotAssignedMediator},
		{"ErrEscalateBeforeOutcome", escalate("o2", now.Add(48*time.Hour)), abci.CodeDisputeState},
		{"AdminAssigns", assign("admin", addr(mediator)), abci.CodeOK},
		{"ErrOutcomeByParty", c.sign(key("o2"), &tx.DisputeOutcome{Dispute: 1, TextHash: commit("我说了算")}), abci.CodeNotAssignedMediator},
		{"PartyStatesDuringMediation", c.sign(key("o2"), &tx.DisputeStatement{Dispute: 1, TextHash: commit("希望尽快修好")}), abci.CodeOK},
		{"MediatorRecordsOutcome", c.sign(mediator, &tx.DisputeOutcome{Dispute: 1, TextHash: commit(outcome)}), abci.CodeOK},
		{"ErrStatementAfterOutcome", c.sign(key("o3"), &tx.DisputeStatement{Dispute: 1, TextHash: commit("x")}), abci.CodeDisputeState},
		{"ErrReassignAfterOutcome", assign("admin", addr(mediator)), abci.CodeDisputeState},
		{"ErrEscalateByOutsider", escalate("w1", now.Add(48*time.Hour)), abci.CodeNotDisputeParty},
		{"ErrEscalatePollEndInPast", escalate("o3", now), abci.CodeStartInPast},
		{"ErrEscalatePollTooLong", escalate("o3", now.Add(61*24*time.Hour)), abci.CodeVotingTooLong},
		{"ErrEscalateWithAnotherOutcome", escalateWith("o3", now.Add(48*time.Hour), "调解员判对方全责"), abci.CodeOutcomeMismatch},
		{"PartyEscalates", escalate("o3", now.Add(48*time.Hour)), abci.CodeOK},
		{"ErrEscalateTwice", escalate("o2", now.Add(48*time.Hour)), abci.CodeDisputeState},
		{"ErrUnknownDispute", c.sign(key("o2"), &tx.DisputeStatement{Dispute: 9, TextHash: commit("x")}), abci.CodeDisputeNotFound},
		{"ErrUnsortedParties", c.sign(key("bad0"), &tx.DisputeOpen{Topic: "x", Parties: []tx.Address{addr(key("o3")), addr(key("o2"))}}), abci.CodeInvalidBody},
		{"ErrOneOption", c.sign(key("bad1"), &tx.DisputeEscalate{Dispute: 1, Options: []string{"同意"}, VoteEnd: now.Unix()}), abci.CodeInvalidBody},
		{"ErrNoOutcomeText", c.sign(key("bad2"), &tx.DisputeOutcome{Dispute: 1}), abci.CodeInvalidBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.code(tt.tx); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
		})
	}
	var d struct {
		abci.Dispute
		Statements []abci.Statement
	}
	c.query("disputes/1", &d)
	if d.Status != abci.DisputeEscalated || d.Poll != 1 || d.Mediator != addr(mediator) || len(d.Statements) != 2 || len(d.Parties) != 2 {
		t.Errorf("dispute = %+v, want escalated to poll 1, mediated, 2 statements, 2 parties", d)
	}
	var p abci.Proposal
	c.query("proposals/1", &p)
	if p.Kind != abci.KindPoll || p.Origin != "dispute/1" || p.Title != "楼上漏水" || p.Text != "双方各承担一半维修费" || p.Proposer != addr(key("o3")) {
		t.Errorf("poll = %+v, want a poll from dispute/1 titled with the topic, carrying the outcome", p)
	}
	c.mustOK(vote(c, "w1", 1, 0), vote(c, "tenant", 1, 1))
	var list []abci.Dispute
	c.query("disputes", &list)
	if len(list) != 1 || list[0].Status != abci.DisputeEscalated || list[0].OutcomeHash != commit(outcome) {
		t.Errorf("disputes = %+v, want one escalated, with the outcome's commitment", list)
	}
	if s := d.Statements; len(s) == 2 && (s[0].TextHash != commit("已请师傅查看") || s[0].By != addr(key("o3"))) {
		t.Errorf("statement 1 = %+v, want o3's commitment", s[0])
	}
	// Before issue #18 anyone with a node read every statement. Now the
	// texts are nowhere in the replicated state: not in the SQLite file.
	c.store.Close()
	for _, f := range []string{"app.db", "app.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(c.dir, f))
		for _, text := range []string{"卫生间天花板渗水", "已请师傅查看", "希望尽快修好"} {
			if bytes.Contains(b, []byte(text)) {
				t.Errorf("%s holds the private text %q", f, text)
			}
		}
	}
}

// textNonce is the nonce of a test text commitment: fixed per text, so
// that a test can open the commitment again.
func textNonce(text string) []byte {
	s := sha256.Sum256([]byte("nonce/" + text))
	return s[:tx.TextNonceSize]
}

// commit returns the commitment to text a gateway would send.
func commit(text string) string { return tx.TextCommitment(textNonce(text), text) }

// TestLeaderboard: points come from returned bookings and confirmed
// repairs, add up per unit, and the leaderboard shows unit numbers and
// points only, most first.
func TestLeaderboard(t *testing.T) {
	c := community(t)
	p := abci.DefaultParams()
	s := c.time.Add(time.Hour)
	c.mustOK(c.sign(c.admin, &tx.RoleGrant{Address: addr(key("treasurer")), Role: tx.RoleTreasurer}))
	c.mustOK(postItem(c, "w1", tx.ItemTool, tx.Terms{}), postItem(c, "w2", tx.ItemTool, tx.Terms{}),
		c.sign(key("o2"), &tx.RepairFile{Kind: tx.RepairKindRepair, Title: "门禁坏了"}))
	c.mustOK(requestBooking(c, "o2", 1, s, s.Add(time.Hour)), requestBooking(c, "tenant", 2, s, s.Add(time.Hour)),
		c.sign(key("treasurer"), &tx.RepairUpdate{Repair: 1, Status: tx.RepairAccepted}))
	c.mustOK(acceptBooking(c, "w1", 1), acceptBooking(c, "w2", 2),
		c.sign(key("treasurer"), &tx.RepairUpdate{Repair: 1, Status: tx.RepairDone}))
	c.at(s)
	c.mustOK(c.sign(key("o2"), &tx.BookingReturn{Booking: 1}), c.sign(key("w2"), &tx.BookingReturn{Booking: 2}),
		c.sign(key("o2"), &tx.RepairConfirm{Repair: 1}))

	var rows []map[string]any
	c.query("points", &rows)
	var got []string
	for _, r := range rows {
		if len(r) != 2 || r["unit"] == nil || r["points"] == nil {
			t.Errorf("row %v, want exactly unit and points", r)
		}
		got = append(got, fmt.Sprintf("%v:%v", r["unit"], r["points"]))
	}
	// 1-101 (o2): booking done + repair confirmed; 3-501 (w1) and 3-502
	// (w2): one share each; 1-102 (tenant): booking done.
	want := []string{
		fmt.Sprintf("1-101:%d", p.PointsBookingDone+p.PointsRepairConfirmed),
		fmt.Sprintf("3-501:%d", p.PointsShare), fmt.Sprintf("3-502:%d", p.PointsShare),
		fmt.Sprintf("1-102:%d", p.PointsBookingDone),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("leaderboard = %v, want %v", got, want)
	}
}

// TestSharingAndCommunitySameOnTwoStores applies one history of sharing
// and community txs, conflicting accepts in one block included, to two
// fresh stores: the app hash agrees at every height, and so do the answers.
func TestSharingAndCommunitySameOnTwoStores(t *testing.T) {
	a, b := community(t), community(t)
	t0 := a.time
	s := t0.Add(time.Minute)
	type timed struct {
		at  time.Time
		txs [][]byte
	}
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	mediator := key("mediator")
	blocks := []timed{
		{sec(1), [][]byte{
			a.sign(a.admin, &tx.RoleGrant{Address: addr(mediator), Role: tx.RoleMediator}),
			a.sign(a.admin, &tx.RoleGrant{Address: addr(key("treasurer")), Role: tx.RoleTreasurer}),
			postItem(a, "dev", tx.ItemParking, tx.Terms{Price: 500, Per: tx.PerHour}),
			postItem(a, "w1", tx.ItemTool, tx.Terms{}),
			a.sign(a.admin, &tx.AnnouncementPost{Title: "停水", Text: "周五停水", ExpiresAt: sec(30).Unix()}),
		}},
		{sec(2), [][]byte{
			requestBooking(a, "tenant", 1, s, s.Add(time.Hour)),
			requestBooking(a, "o2", 1, s.Add(30*time.Minute), s.Add(2*time.Hour)),
			requestBooking(a, "o3", 2, s, s.Add(time.Hour)),
			requestBooking(a, "w2", 2, s.Add(10*time.Minute), s.Add(time.Hour)),
			comment(a, "o2", tx.CommentOnAnnouncement, 1, "收到"),
			a.sign(key("o3"), &tx.RepairFile{Kind: tx.RepairKindRepair, Title: "电梯异响"}),
			a.sign(key("o2"), &tx.DisputeOpen{Topic: "噪音", Parties: []tx.Address{addr(key("w1"))}}),
		}},
		{sec(3), [][]byte{
			acceptBooking(a, "dev", 1), // owner priority: o2 waits
			acceptBooking(a, "dev", 2),
			acceptBooking(a, "w1", 3),
			acceptBooking(a, "w1", 4), // overlaps 3
			a.sign(a.admin, &tx.CommentHide{Comment: 1, Reason: "测试"}),
			a.sign(key("treasurer"), &tx.RepairUpdate{Repair: 1, Status: tx.RepairAccepted}),
			a.sign(a.admin, &tx.DisputeAssign{Dispute: 1, Mediator: addr(mediator)}),
		}},
		{sec(4), [][]byte{
			a.sign(key("treasurer"), &tx.RepairUpdate{Repair: 1, Status: tx.RepairDone}),
			a.sign(mediator, &tx.DisputeOutcome{Dispute: 1, TextHash: commit("晚上十点后保持安静")}),
			a.sign(key("w1"), &tx.DisputeStatement{Dispute: 1, TextHash: commit("好的")}),
		}},
		{sec(5), [][]byte{
			a.sign(key("o3"), &tx.RepairConfirm{Repair: 1}),
			a.sign(key("w1"), &tx.DisputeEscalate{Dispute: 1, Options: []string{"同意", "反对"}, VoteEnd: sec(40).Unix(),
				Outcome: "晚上十点后保持安静", OutcomeNonce: hex.EncodeToString(textNonce("晚上十点后保持安静"))}),
			[]byte("garbage"),
		}},
		{s.Add(30 * time.Minute), [][]byte{
			a.sign(key("o2"), &tx.BookingReturn{Booking: 2}),
			a.sign(key("o3"), &tx.BookingReturn{Booking: 3}),
			vote(a, "w2", 1, 0),
		}},
		{s.Add(time.Hour), nil},
	}
	var ha, hb [][]byte
	for _, blk := range blocks {
		a.at(blk.at)
		b.at(blk.at)
		a.block(blk.txs...)
		b.block(blk.txs...)
		ha, hb = append(ha, a.appHash()), append(hb, b.appHash())
	}
	for i := range ha {
		if !bytes.Equal(ha[i], hb[i]) {
			t.Fatalf("block %d: app hashes differ", i)
		}
		// The last block is empty and nothing falls due in it: it keeps
		// the hash.
		if changed, empty := i > 0 && !bytes.Equal(ha[i], ha[i-1]), len(blocks[i].txs) == 0; i > 0 && changed == empty {
			t.Errorf("block %d: app hash changed = %v, want %v", i, changed, !empty)
		}
	}
	for _, path := range []string{"items/1", "items/2", "announcements/1", "repairs/1", "disputes/1", "points", "proposals/1/result"} {
		qa, _ := a.app.Query(t.Context(), queryReq(path))
		qb, _ := b.app.Query(t.Context(), queryReq(path))
		if qa.Code != 0 || !bytes.Equal(qa.Value, qb.Value) {
			t.Errorf("%s: code %d, answers differ or are missing:\n%s\n%s", path, qa.Code, qa.Value, qb.Value)
		}
	}
	// The script did what it says: owner priority held booking 1 back, and
	// the second overlapping accept on item 2 failed.
	if got := [4]string{a.booking(1).Status, a.booking(2).Status, a.booking(3).Status, a.booking(4).Status}; got != [4]string{abci.BookingPending, abci.BookingReturned, abci.BookingReturned, abci.BookingPending} {
		t.Errorf("booking statuses = %v", got)
	}
}
