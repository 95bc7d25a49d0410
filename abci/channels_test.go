package abci_test

import (
	"testing"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// TestChatPaperAndProxyInOneDecision runs one decision with all three
// channels, in both orders where a proxy meets the owner's own paper
// ballot, and recounts the result from its published rows.
func TestChatPaperAndProxyInOneDecision(t *testing.T) {
	c := community(t)
	start, end := openDecision(c, "续聘物业")
	proxy := addr(key("tenant"))
	c.mustOK(appointAddr(c, "o2", proxy, 1, 0), appointAddr(c, "dev", proxy, 1, 0))
	c.mustOK(
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("w1")), Role: tx.RoleScrutineer}),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("w2")), Role: tx.RoleScrutineer}),
	)
	c.mustOK(c.issueSheets(1, []string{"O-2", "developer", "O-3"}, []string{sheetCode(1), sheetCode(2), sheetCode(3)}))
	c.at(start)

	// cast commits a ballot and wants its vote.cast event to name the
	// channel it came by.
	cast := func(channel string, ballot []byte) {
		t.Helper()
		r := c.block(ballot)[0]
		if r.Code != 0 {
			t.Fatalf("%s ballot: code %d: %s", channel, r.Code, r.Log)
		}
		for _, ev := range r.Events {
			for _, a := range ev.Attributes {
				if ev.Type == "vote.cast" && a.Key == "channel" && a.Value == channel {
					return
				}
			}
		}
		t.Errorf("%s ballot: events %v name no channel %s", channel, r.Events, channel)
	}
	// O-1 votes in chat.
	cast(abci.ChannelChat, vote(c, "w1", 1, tx.DecisionOptionYes))
	// O-2: the proxy votes first, then the owner's paper ballot counts.
	cast(abci.ChannelProxy, proxyVote(c, "tenant", "O-2", 1, tx.DecisionOptionYes))
	c.mustOK(enter(c, "w1", 1, sheetCode(1), tx.DecisionOptionNo, "o2"))
	cast(abci.ChannelPaper, enter(c, "w2", 1, sheetCode(1), tx.DecisionOptionNo, "o2"))
	// The developer's paper ballot first: the proxy can no longer vote.
	c.mustOK(enter(c, "w1", 1, sheetCode(2), tx.DecisionOptionNo, "dev"))
	c.mustOK(enter(c, "w2", 1, sheetCode(2), tx.DecisionOptionNo, "dev"))
	c.refused("ProxyAfterPaper", proxyVote(c, "tenant", "developer", 1, tx.DecisionOptionYes), abci.CodeOwnerVoted)
	// O-3: a first entry, a chat ballot, then the second entry: the paper
	// ballot is the later and counts.
	c.mustOK(enter(c, "w1", 1, sheetCode(3), tx.DecisionOptionYes, "o3"))
	c.mustOK(vote(c, "o3", 1, tx.DecisionOptionAbs))
	c.mustOK(enter(c, "w2", 1, sheetCode(3), tx.DecisionOptionYes, "o3"))

	want := map[string]struct {
		choice  int
		channel string
	}{
		"O-1":       {tx.DecisionOptionYes, abci.ChannelChat},
		"O-2":       {tx.DecisionOptionNo, abci.ChannelPaper},
		"O-3":       {tx.DecisionOptionYes, abci.ChannelPaper},
		"developer": {tx.DecisionOptionNo, abci.ChannelPaper},
	}
	for owner, w := range want {
		if b, ok := c.ballot(1, owner); !ok || b.Choice != w.choice || b.Channel != w.channel {
			t.Errorf("ballot of %s = %+v (%v), want %d by %s", owner, b, ok, w.choice, w.channel)
		}
	}

	c.at(end)
	c.mustOK()
	var res struct {
		abci.Result
		Rows []abci.ResultRow
	}
	c.query("proposals/1/result", &res)
	// Recount from the published rows alone.
	var got abci.Tally
	owners := map[string]bool{}
	for _, r := range res.Rows {
		got.ATot += r.Area
		if !owners[r.Owner] {
			got.NTot++
		}
		if r.Choice == "" {
			owners[r.Owner] = true
			continue
		}
		got.AP += r.Area
		if r.Choice == "同意" {
			got.AY += r.Area
		}
		if !owners[r.Owner] {
			got.NP++
			if r.Choice == "同意" {
				got.NY++
			}
		}
		owners[r.Owner] = true
		wantChannel := want[r.Owner].channel
		if r.Channel != wantChannel {
			t.Errorf("row %s of %s: channel %q, want %q", r.Unit, r.Owner, r.Channel, wantChannel)
		}
	}
	// O-1 190 m² and O-3 80 m² agree; O-2 80 m² and the developer 150 m²
	// do not: 2 of 4 heads is not more than half, so it is rejected.
	wantTally := abci.Tally{ATot: 50000, NTot: 4, AP: 50000, NP: 4, AY: 27000, NY: 2}
	if got != wantTally || *res.Tally != wantTally {
		t.Errorf("tally recounted %+v, published %+v, want %+v", got, *res.Tally, wantTally)
	}
	if res.Outcome != abci.OutcomeRejected {
		t.Errorf("outcome %s, want %s", res.Outcome, abci.OutcomeRejected)
	}
}
