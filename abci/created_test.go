package abci_test

import (
	"encoding/hex"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// createdOf returns what a tx result's created events name, kind to id.
func createdOf(r *abcitypes.ExecTxResult) map[string]string {
	m := map[string]string{}
	for _, ev := range r.Events {
		if ev.Type != abci.EventCreated {
			continue
		}
		for _, a := range ev.Attributes {
			m[a.Key] = a.Value
		}
	}
	return m
}

// TestReceiptsNameWhatTheyCreated runs every tx type that creates a record
// and checks that its result names exactly that record, and that a tx that
// creates nothing, or is rejected, names nothing.
func TestReceiptsNameWhatTheyCreated(t *testing.T) {
	c := community(t)
	grantLedgerRoles(c)
	now := c.time
	mediator := key("mediator")
	c.mustOK(c.sign(c.admin, &tx.RoleGrant{Address: addr(mediator), Role: tx.RoleMediator}))
	c.mustOK(record(c, "treasurer", tx.EntryIncome, "mgmt", 100_000, "物业费"))

	steps := []struct {
		name string
		tx   func() []byte
		want map[string]string
	}{
		{"ProposalOpen", func() []byte {
			return c.sign(c.admin, &tx.ProposalOpen{Title: "更换电梯", Class: tx.ClassOrdinary,
				NoticeAt: now.Unix(), VoteStart: now.Add(15*day + time.Minute).Unix(), VoteEnd: now.Add(17 * day).Unix()})
		}, map[string]string{"proposal": "1"}},
		{"PollOpen", func() []byte {
			return c.sign(c.admin, &tx.PollOpen{Title: "活动日期", Options: []string{"周六", "周日"},
				VoteStart: now.Unix(), VoteEnd: now.Add(24 * time.Hour).Unix()})
		}, map[string]string{"poll": "2"}},
		{"VoteCastCreatesNothing", func() []byte { return vote(c, "w1", 2, 0) }, map[string]string{}},
		{"EntryRecord", func() []byte { return record(c, "treasurer", tx.EntryIncome, "mgmt", 500, "停车") }, map[string]string{"entry": "2"}},
		{"EntryReverse", func() []byte { return reverse(c, "treasurer", 2) }, map[string]string{"entry": "3"}},
		{"AccountOpen", func() []byte { return c.sign(c.admin, &tx.AccountOpen{ID: "parking", Name: "停车费"}) }, map[string]string{"account": "parking"}},
		{"ItemPost", func() []byte { return postItem(c, "w1", tx.ItemTool, tx.Terms{}) }, map[string]string{"item": "1"}},
		{"BookingRequest", func() []byte {
			return requestBooking(c, "o2", 1, now.Add(24*time.Hour), now.Add(26*time.Hour))
		}, map[string]string{"booking": "1"}},
		{"AnnouncementPost", func() []byte { return c.sign(c.admin, &tx.AnnouncementPost{Title: "停水", Text: "明天停水"}) }, map[string]string{"announcement": "1"}},
		{"CommentPost", func() []byte { return comment(c, "o2", tx.CommentOnAnnouncement, 1, "知道了") }, map[string]string{"comment": "1"}},
		{"RepairFile", func() []byte {
			return c.sign(key("o2"), &tx.RepairFile{Kind: tx.RepairKindRepair, Title: "路灯坏了"})
		}, map[string]string{"repair": "1"}},
		{"DisputeOpen", func() []byte {
			return c.sign(key("o2"), &tx.DisputeOpen{Topic: "楼上漏水", Parties: []tx.Address{addr(key("o3"))}})
		}, map[string]string{"dispute": "1"}},
		{"DisputeAssignCreatesNothing", func() []byte { return c.sign(c.admin, &tx.DisputeAssign{Dispute: 1, Mediator: addr(mediator)}) }, map[string]string{}},
		{"DisputeOutcome", func() []byte {
			return c.sign(mediator, &tx.DisputeOutcome{Dispute: 1, TextHash: tx.TextCommitment(textNonce("各付一半"), "各付一半")})
		}, map[string]string{}},
		{"DisputeEscalateOpensPoll", func() []byte {
			return c.sign(key("o3"), &tx.DisputeEscalate{Dispute: 1, Options: []string{"同意", "不同意"}, VoteEnd: now.Add(48 * time.Hour).Unix(),
				Outcome: "各付一半", OutcomeNonce: hex.EncodeToString(textNonce("各付一半"))})
		}, map[string]string{"poll": "3"}},
		{"MeetingRequestFirstSignature", func() []byte { return c.sign(key("w1"), &tx.MeetingRequest{Topic: "更换物业"}) }, nil},
		{"MeetingRequestLaterSignature", func() []byte { return c.sign(key("o2"), &tx.MeetingRequest{Topic: "更换物业"}) }, map[string]string{}},
		{"RejectedCreatesNothing", func() []byte { return c.sign(key("stranger"), &tx.RepairFile{Kind: tx.RepairKindRepair, Title: "x"}) }, map[string]string{}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := c.block(s.tx())[0]
			got := createdOf(r)
			if s.name == "RejectedCreatesNothing" {
				if r.Code == 0 {
					t.Fatal("a stranger's repair request was accepted")
				}
			} else if r.Code != 0 {
				t.Fatalf("code %d (%s): %s", r.Code, abci.Code(r.Code), r.Log)
			}
			if s.want == nil {
				// A meeting request is named by a hash of its topic.
				if len(got) != 1 || len(got["meeting"]) == 0 {
					t.Fatalf("created = %v, want one meeting", got)
				}
				var m abci.Meeting
				if code := c.query("meetings/"+got["meeting"], &m); code != 0 || m.Topic != "更换物业" {
					t.Errorf("meetings/%s: code %v, topic %q", got["meeting"], code, m.Topic)
				}
				return
			}
			if len(got) != len(s.want) {
				t.Fatalf("created = %v, want %v", got, s.want)
			}
			for k, v := range s.want {
				if got[k] != v {
					t.Errorf("created[%s] = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
