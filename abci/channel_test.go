package abci_test

import (
	"testing"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

func TestBallotReplaces(t *testing.T) {
	b := func(channel string) abci.Ballot { return abci.Ballot{Owner: "O-1", Channel: channel} }
	tests := []struct {
		name      string
		cur, next abci.Ballot
		want      bool
	}{
		{"ChatReplacesChat", b(abci.ChannelChat), b(abci.ChannelChat), true},
		{"PaperReplacesChat", b(abci.ChannelChat), b(abci.ChannelPaper), true},
		{"ChatReplacesPaper", b(abci.ChannelPaper), b(abci.ChannelChat), true},
		{"PaperReplacesPaper", b(abci.ChannelPaper), b(abci.ChannelPaper), true},
		{"ChatReplacesProxy", b(abci.ChannelProxy), b(abci.ChannelChat), true},
		{"PaperReplacesProxy", b(abci.ChannelProxy), b(abci.ChannelPaper), true},
		{"ProxyReplacesProxy", b(abci.ChannelProxy), b(abci.ChannelProxy), true},
		{"ProxyNeverReplacesChat", b(abci.ChannelChat), b(abci.ChannelProxy), false},
		{"ProxyNeverReplacesPaper", b(abci.ChannelPaper), b(abci.ChannelProxy), false},
		{"ProxyNeverReplacesAnOldChatBallot", b(""), b(abci.ChannelProxy), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := abci.BallotReplaces(tt.cur, tt.next); got != tt.want {
				t.Errorf("BallotReplaces(%s, %s) = %v, want %v", tt.cur.Channel, tt.next.Channel, got, tt.want)
			}
		})
	}
}

func TestQuorumShortIsExact(t *testing.T) {
	tests := []struct {
		name               string
		voted, total, want int64
	}{
		{"NothingVoted", 0, 9, 6},
		{"OneShortOfTwoThirds", 5, 9, 1},
		{"ExactlyTwoThirds", 6, 9, 0},
		{"RoundsUpAThirdOfAUnit", 0, 10, 7}, // 2·10/3 = 6.67: 7 reach it
		{"JustBelowWithRemainder", 6, 10, 1},
		{"AboveTwoThirds", 10, 10, 0},
		{"EmptyElectorate", 0, 0, 0},
		{"AreaInHundredthsOfASquareMetre", 123456, 370371, 123458}, // ⌈740742/3⌉ = 246914
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := abci.QuorumShort(tt.voted, tt.total)
			if got != tt.want {
				t.Errorf("QuorumShort(%d, %d) = %d, want %d", tt.voted, tt.total, got, tt.want)
			}
			// Whatever is missing, adding it reaches the bound and one
			// less does not, by the same test Decide applies.
			if reached := func(v int64) bool { return 3*v >= 2*tt.total }; got > 0 && (!reached(tt.voted+got) || reached(tt.voted+got-1)) {
				t.Errorf("voted %d + %d does not just reach two thirds of %d", tt.voted, got, tt.total)
			}
		})
	}
}

// TestTurnoutSaysWhatIsMissing follows a decision's turnout as owners vote:
// missing heads and area fall to zero exactly when Decide would count
// the participation as reached.
func TestTurnoutSaysWhatIsMissing(t *testing.T) {
	c := community(t)
	now := c.time
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "续聘物业", Class: tx.ClassOrdinary, NoticeAt: now.Unix(), VoteStart: now.Add(16 * day).Unix(), VoteEnd: now.Add(17 * day).Unix()}))
	c.at(now.Add(16 * day))
	// 4 heads, 500 m²: two thirds are 3 heads and 333.34 m².
	steps := []struct {
		voter       string
		heads, area int64
	}{
		{"", 3, 33334},
		{"o2", 2, 25334},  // 80 m²
		{"dev", 1, 10334}, // 150 m²
		{"o3", 0, 2334},   // 80 m²: three heads, 310 m²
		{"w1", 0, 0},      // 190 m²
	}
	for _, s := range steps {
		if s.voter != "" {
			c.mustOK(vote(c, s.voter, 1, tx.DecisionOptionYes))
		}
		var tu abci.Turnout
		c.query("proposals/1/turnout", &tu)
		if tu.MissingHeads != s.heads || tu.MissingArea != s.area {
			t.Errorf("after %q: missing %d heads, %d area, want %d, %d", s.voter, tu.MissingHeads, tu.MissingArea, s.heads, s.area)
		}
	}
}
