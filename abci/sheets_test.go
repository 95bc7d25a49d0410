package abci_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// scan is the SHA-256 of a named test scan, as a scrutineer would enter it.
func scan(name string) string {
	s := sha256.Sum256([]byte(name))
	return hex.EncodeToString(s[:])
}

// sheetCode is a test sheet code named by n, 12 digits.
func sheetCode(n int) string {
	return strings.Repeat("0", 11-len(itoa(n))) + "9" + itoa(n)
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}

// issueSheets has the admin issue sheets on decision id, owner i getting
// code codes[i].
func (c *testChain) issueSheets(id uint64, owners []string, codes []string) []byte {
	var specs []tx.SheetSpec
	for i, o := range owners {
		specs = append(specs, tx.SheetSpec{Owner: o, Verifier: tx.SheetVerifier(testChainID, id, codes[i])})
	}
	return c.sign(c.admin, &tx.SheetIssue{Proposal: id, Sheets: specs})
}

func enter(c *testChain, who string, id uint64, code string, choice int, scanName string) []byte {
	return c.sign(key(who), &tx.SheetEnter{Proposal: id, Code: code, Choice: choice, ScanSHA256: scan(scanName)})
}

// state returns every key and value but the signers' nonces, which a
// rejected tx in a block uses up by design.
func (c *testChain) state() string {
	c.tb.Helper()
	var b strings.Builder
	if err := c.store.Scan("", func(k string, v []byte) bool {
		if !strings.HasPrefix(k, "acct/") {
			b.WriteString(k + "=" + string(v) + "\n")
		}
		return true
	}); err != nil {
		c.tb.Fatal(err)
	}
	return b.String()
}

// refusedAsBefore commits t alone in a block and fails unless it is refused with
// want and leaves state as it was.
func (c *testChain) refusedAsBefore(name string, t []byte, want abci.Code) {
	c.tb.Helper()
	before := c.state()
	if got := c.code(t); got != want {
		c.tb.Errorf("%s: code %v, want %v", name, got, want)
	}
	if after := c.state(); after != before {
		c.tb.Errorf("%s: a refused tx changed state", name)
	}
}

// openDecision opens decision on the whole community, noticed now, voting
// from 16 to 17 days later, and returns its id.
func openPaperDecision(c *testChain, title string) uint64 {
	now := c.time
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: title, Class: tx.ClassOrdinary, NoticeAt: now.Unix(), VoteStart: now.Add(16 * day).Unix(), VoteEnd: now.Add(17 * day).Unix()}))
	var list []abci.Proposal
	c.query("proposals", &list)
	return list[len(list)-1].ID
}

func sheetOf(c *testChain, id uint64, owner string) abci.SheetView {
	c.tb.Helper()
	var s abci.SheetView
	if code := c.query("proposals/"+itoa(int(id))+"/sheets/"+owner, &s); code != 0 {
		c.tb.Fatalf("sheet of %s: %v", owner, code)
	}
	return s
}

func ballotOf(c *testChain, id uint64, owner string) (abci.Ballot, bool) {
	var b abci.Ballot
	code := c.query("ballots/"+itoa(int(id))+"/"+owner, &b)
	return b, code == 0
}

func TestPaperBallotsDoubleEntry(t *testing.T) {
	c := community(t)
	start := c.time.Add(16 * day)
	id := openPaperDecision(c, "更换电梯")
	c.refusedAsBefore("ErrScrutineerNotBound", c.sign(c.admin, &tx.RoleGrant{Address: addr(key("stranger")), Role: tx.RoleScrutineer}), abci.CodeScrutineerNotMember)
	c.mustOK(
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("o2")), Role: tx.RoleScrutineer}),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("o3")), Role: tx.RoleScrutineer}),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("dev")), Role: tx.RoleScrutineer}),
	)
	owners := []string{"O-1", "O-2", "O-3", "developer"}
	codes := []string{sheetCode(1), sheetCode(2), sheetCode(3), sheetCode(4)}
	c.refusedAsBefore("ErrOwnerNotInElectorate", c.issueSheets(id, []string{"O-1", "O-9"}, []string{sheetCode(1), sheetCode(9)}), abci.CodeNotInElectorate)
	c.refusedAsBefore("ErrIssueNotAdmin", c.sign(key("o2"), &tx.SheetIssue{Proposal: id, Sheets: []tx.SheetSpec{{Owner: "O-1", Verifier: tx.SheetVerifier(testChainID, id, codes[0])}}}), abci.CodeUnauthorized)
	c.mustOK(c.issueSheets(id, owners, codes))
	if s := sheetOf(c, id, "O-1"); s.Status != abci.SheetIssued || s.Area != 19000 || strings.Join(s.Units, ",") != "3-501,3-502" {
		t.Errorf("O-1's sheet = %+v, want one sheet for both units, 190 m²", s)
	}
	c.refusedAsBefore("ErrEnterBeforeVoting", enter(c, "o2", id, codes[0], tx.DecisionOptionYes, "scan-1"), abci.CodeVotingNotOpen)

	c.at(start)
	c.mustOK(enter(c, "o2", id, codes[0], tx.DecisionOptionYes, "scan-1"))
	if _, ok := ballotOf(c, id, "O-1"); ok {
		t.Fatal("one entry counted")
	}
	if s := sheetOf(c, id, "O-1"); s.Status != abci.SheetEntered {
		t.Errorf("after one entry: %s, want entered", s.Status)
	}
	c.refusedAsBefore("ErrSameScrutineerTwice", enter(c, "o2", id, codes[0], tx.DecisionOptionYes, "scan-1"), abci.CodeSheetSameScrutineer)
	c.refusedAsBefore("ErrNotScrutineer", enter(c, "w1", id, codes[0], tx.DecisionOptionYes, "scan-1"), abci.CodeUnauthorized)
	c.refusedAsBefore("ErrUnknownCode", enter(c, "o3", id, sheetCode(77), tx.DecisionOptionYes, "scan-1"), abci.CodeSheetNotIssued)
	c.mustOK(enter(c, "o3", id, codes[0], tx.DecisionOptionYes, "scan-1"))
	b, ok := ballotOf(c, id, "O-1")
	if !ok || b.Channel != abci.ChannelPaper || b.Choice != tx.DecisionOptionYes || b.Height != c.height {
		t.Errorf("O-1's ballot = %+v %v, want a paper 同意 at the second entry (height %d)", b, ok, c.height)
	}
	c.refusedAsBefore("ErrReusedCode", enter(c, "dev", id, codes[0], tx.DecisionOptionNo, "scan-1"), abci.CodeSheetUsed)

	// A mismatch counts nothing; a third entry waits for an admin to void
	// the wrong one.
	c.mustOK(enter(c, "o2", id, codes[3], tx.DecisionOptionYes, "scan-4"))
	c.mustOK(enter(c, "o3", id, codes[3], tx.DecisionOptionNo, "scan-4"))
	s := sheetOf(c, id, "developer")
	if s.Status != abci.SheetMismatch {
		t.Fatalf("after disagreeing entries: %s, want mismatch", s.Status)
	}
	if _, ok := ballotOf(c, id, "developer"); ok {
		t.Error("a mismatch counted")
	}
	c.refusedAsBefore("ErrEnterWhileMismatched", enter(c, "dev", id, codes[3], tx.DecisionOptionYes, "scan-4"), abci.CodeSheetMismatched)
	wrong := s.Entries[1].TxHash
	c.refusedAsBefore("ErrVoidNotAdmin", c.sign(key("o2"), &tx.SheetVoid{Proposal: id, Owner: "developer", Entry: wrong, Reason: "录错了"}), abci.CodeUnauthorized)
	c.mustOK(c.sign(c.admin, &tx.SheetVoid{Proposal: id, Owner: "developer", Entry: wrong, Reason: "选择录错，与扫描件不符"}))
	c.refusedAsBefore("ErrVoidTwice", c.sign(c.admin, &tx.SheetVoid{Proposal: id, Owner: "developer", Entry: wrong, Reason: "again"}), abci.CodeSheetEntryNotFound)
	if s := sheetOf(c, id, "developer"); s.Status != abci.SheetEntered || s.Entries[1].VoidReason != "选择录错，与扫描件不符" {
		t.Errorf("after the void: %+v, want entered with the voided entry kept", s)
	}
	// The scrutineer whose entry was voided may enter again.
	c.mustOK(enter(c, "o3", id, codes[3], tx.DecisionOptionYes, "scan-4"))
	if b, ok := ballotOf(c, id, "developer"); !ok || b.Channel != abci.ChannelPaper {
		t.Errorf("developer's ballot after re-entry = %+v %v", b, ok)
	}
	c.refusedAsBefore("ErrVoidCounted", c.sign(c.admin, &tx.SheetVoid{Proposal: id, Owner: "developer", Entry: wrong, Reason: "x"}), abci.CodeSheetEntryNotFound)

	// A scan that differs is a mismatch too.
	c.mustOK(enter(c, "o2", id, codes[2], tx.DecisionOptionNo, "scan-3"))
	c.mustOK(enter(c, "dev", id, codes[2], tx.DecisionOptionNo, "scan-3-other"))
	if s := sheetOf(c, id, "O-3"); s.Status != abci.SheetMismatch {
		t.Errorf("different scans: %s, want mismatch", s.Status)
	}

	// Another decision's code is refused as such.
	id2 := openPaperDecision(c, "停车收费")
	c.mustOK(c.issueSheets(id2, []string{"O-2"}, []string{sheetCode(20)}))
	c.refusedAsBefore("ErrReissueOnceEntered", c.issueSheets(id, []string{"O-1"}, []string{sheetCode(21)}), abci.CodeSheetHasEntries)
	c.refusedAsBefore("ErrOtherDecisionsCode", enter(c, "o2", id, sheetCode(20), tx.DecisionOptionYes, "scan-2"), abci.CodeSheetOtherDecision)
	c.refusedAsBefore("ErrCodeOfThisDecisionOnAnother", enter(c, "o2", id2, codes[1], tx.DecisionOptionYes, "scan-2"), abci.CodeVotingNotOpen)

	var tu abci.Turnout
	c.query("proposals/1/turnout", &tu)
	if tu.HeadsVoted != 2 || tu.AreaVoted != 19000+15000 {
		t.Errorf("turnout %+v, want O-1 and the developer", tu)
	}
}

func TestSheetIssueRules(t *testing.T) {
	c := community(t)
	now := c.time
	c.mustOK(c.sign(c.admin, &tx.ProposalOpen{Title: "草案", Class: tx.ClassOrdinary, NoticeAt: now.Add(day).Unix(), VoteStart: now.Add(17 * day).Unix(), VoteEnd: now.Add(18 * day).Unix()}))
	c.refusedAsBefore("ErrDraftHasNoSheets", c.issueSheets(1, []string{"O-1"}, []string{sheetCode(1)}), abci.CodeSheetsNotNoticed)
	c.mustOK(c.sign(c.admin, &tx.PollOpen{Title: "聚餐", Options: []string{"周六", "周日"}, VoteStart: now.Unix(), VoteEnd: now.Add(day).Unix()}))
	c.refusedAsBefore("ErrPollHasNoSheets", c.issueSheets(2, []string{"O-1"}, []string{sheetCode(1)}), abci.CodeProposalNotFound)
	c.at(now.Add(day))
	c.mustOK(c.issueSheets(1, []string{"O-1"}, []string{sheetCode(1)}))
	c.refusedAsBefore("ErrSameCodeTwice", c.issueSheets(1, []string{"O-2"}, []string{sheetCode(1)}), abci.CodeSheetCodeTaken)
	// Reissuing an unused sheet replaces it: the old code stops working.
	c.mustOK(c.issueSheets(1, []string{"O-1"}, []string{sheetCode(2)}))
	c.mustOK(c.sign(c.admin, &tx.RoleGrant{Address: addr(key("o2")), Role: tx.RoleScrutineer}))
	c.at(now.Add(17 * day))
	c.refusedAsBefore("ErrReplacedCode", enter(c, "o2", 1, sheetCode(1), tx.DecisionOptionYes, "s"), abci.CodeSheetNotIssued)
	c.mustOK(enter(c, "o2", 1, sheetCode(2), tx.DecisionOptionYes, "s"))
	c.at(now.Add(18 * day))
	c.block()
	c.refusedAsBefore("ErrIssueAfterClose", c.issueSheets(1, []string{"O-2"}, []string{sheetCode(3)}), abci.CodeSheetsNotNoticed)
	c.mustOK(c.sign(c.admin, &tx.RoleGrant{Address: addr(key("o3")), Role: tx.RoleScrutineer}))
	c.refusedAsBefore("ErrEnterAfterClose", enter(c, "o3", 1, sheetCode(2), tx.DecisionOptionYes, "s"), abci.CodeVotingClosed)
}

// TestChannelsReplaceInEveryOrder casts chat and paper ballots for one
// owner in both orders: the latest counts, and a paper ballot's time is
// its second entry, not its first.
func TestChannelsReplaceInEveryOrder(t *testing.T) {
	c := community(t)
	id := openPaperDecision(c, "续聘物业")
	c.mustOK(
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("o2")), Role: tx.RoleScrutineer}),
		c.sign(c.admin, &tx.RoleGrant{Address: addr(key("o3")), Role: tx.RoleScrutineer}),
	)
	c.mustOK(c.issueSheets(id, []string{"O-1", "O-2"}, []string{sheetCode(1), sheetCode(2)}))
	c.at(c.time.Add(16 * day))

	// O-1: chat, then paper: paper counts.
	c.mustOK(vote(c, "w1", id, tx.DecisionOptionNo))
	c.mustOK(enter(c, "o2", id, sheetCode(1), tx.DecisionOptionYes, "a"))
	c.mustOK(enter(c, "o3", id, sheetCode(1), tx.DecisionOptionYes, "a"))
	// O-2: first entry, then chat, then the second entry: the paper
	// ballot is later than the chat one, so it counts.
	c.mustOK(enter(c, "o3", id, sheetCode(2), tx.DecisionOptionNo, "b"))
	c.mustOK(vote(c, "o2", id, tx.DecisionOptionYes))
	c.mustOK(enter(c, "o2", id, sheetCode(2), tx.DecisionOptionNo, "b"))
	// O-1 then changes their mind in chat: chat counts.
	c.mustOK(vote(c, "w2", id, tx.DecisionOptionAbs))
	for owner, want := range map[string]abci.Ballot{
		"O-1": {Choice: tx.DecisionOptionAbs, Channel: abci.ChannelChat},
		"O-2": {Choice: tx.DecisionOptionNo, Channel: abci.ChannelPaper},
	} {
		if b, _ := ballotOf(c, id, owner); b.Choice != want.Choice || b.Channel != want.Channel {
			t.Errorf("%s: %d by %s, want %d by %s", owner, b.Choice, b.Channel, want.Choice, want.Channel)
		}
	}
	c.at(c.time.Add(day))
	c.block()
	var res struct {
		abci.Result
		Rows []abci.ResultRow
	}
	c.query("proposals/1/result", &res)
	want := map[string]string{"3-501": "弃权/chat", "3-502": "弃权/chat", "1-101": "反对/paper", "1-102": "/", "2-101": "/"}
	for _, r := range res.Rows {
		if w, ok := want[r.Unit]; ok && r.Choice+"/"+r.Channel != w {
			t.Errorf("row %s: %s/%s, want %s", r.Unit, r.Choice, r.Channel, w)
		}
	}
	if res.Tally.NP != 2 || res.Tally.NY != 0 {
		t.Errorf("tally %+v", *res.Tally)
	}
}

func TestNotVotedListsUnitsByBuildingAndFloor(t *testing.T) {
	c := newChain(t)
	c.mustOK(c.sign(c.admin, units(
		unit("10-101", "10", 8000, "A"), unit("2-1101", "2", 8000, "B"), unit("2-502", "2", 8000, "C"),
		unit("2-501", "2", 9000, "A"), unit("1-201", "1", 8000, "D"),
	)))
	if err := abci.SeedMembers(c.app, []abci.Member{{Address: addr(key("d")), Unit: "1-201", Relation: tx.RelationOwner}}); err != nil {
		t.Fatal(err)
	}
	id := openPaperDecision(c, "t")
	c.at(c.time.Add(16 * day))
	c.mustOK(vote(c, "d", id, tx.DecisionOptionNo))
	var rows []abci.NotVotedRow
	c.query("proposals/1/notvoted", &rows)
	var got []string
	for _, r := range rows {
		got = append(got, r.Unit+"/"+r.Owner)
	}
	if want := "2-501/A,2-502/C,2-1101/B,10-101/A"; strings.Join(got, ",") != want {
		t.Errorf("not voted = %s, want %s", strings.Join(got, ","), want)
	}
	raw, _ := c.app.Query(t.Context(), queryReq("proposals/1/notvoted"))
	if bytes.Contains(raw.Value, []byte("反对")) || bytes.Contains(raw.Value, []byte("choice")) {
		t.Errorf("the not-voted list shows how someone voted: %s", raw.Value)
	}
}

// BenchmarkSheetEntries1000 measures what every node pays for paper
// ballots: a block issuing 1,000 sheets (two sheet.issue txs), then two
// blocks of 1,000 sheet.enter txs each (FinalizeBlock and Commit), the
// second of which counts every sheet.
func BenchmarkSheetEntries1000(b *testing.B) {
	const n = 1000
	c := newChain(b)
	var specs []tx.UnitSpec
	for i := range n {
		specs = append(specs, unit(fmt.Sprintf("%d-%d", i/100+1, 101+i%100), fmt.Sprint(i/100+1), 8950, fmt.Sprintf("O-%04d", i)))
	}
	for len(specs) > 0 {
		k := min(len(specs), tx.MaxUnitsPerTx)
		c.mustOK(c.sign(c.admin, units(specs[:k]...)))
		specs = specs[k:]
	}
	if err := abci.SeedMembers(c.app, []abci.Member{{Address: addr(key("s1")), Unit: "1-101", Relation: tx.RelationOwner}, {Address: addr(key("s2")), Unit: "1-102", Relation: tx.RelationOwner}}); err != nil {
		b.Fatal(err)
	}
	c.mustOK(c.sign(c.admin, &tx.RoleGrant{Address: addr(key("s1")), Role: tx.RoleScrutineer}), c.sign(c.admin, &tx.RoleGrant{Address: addr(key("s2")), Role: tx.RoleScrutineer}))
	var issue, first, second time.Duration
	for b.Loop() {
		b.StopTimer()
		id := openPaperDecision(c, "bench")
		owners, codes := make([]string, n), make([]string, n)
		for i := range n {
			owners[i], codes[i] = fmt.Sprintf("O-%04d", i), fmt.Sprintf("%06d%06d", id, i)
		}
		issues := [][]byte{c.issueSheets(id, owners[:n/2], codes[:n/2]), c.issueSheets(id, owners[n/2:], codes[n/2:])}
		var e1, e2 [][]byte
		for i := range n {
			e1 = append(e1, enter(c, "s1", id, codes[i], i%3, codes[i]))
			e2 = append(e2, enter(c, "s2", id, codes[i], i%3, codes[i]))
		}
		b.StartTimer()
		t0 := time.Now()
		c.mustOK(issues...)
		c.at(c.time.Add(16 * day))
		t1 := time.Now()
		c.mustOK(e1...)
		t2 := time.Now()
		c.mustOK(e2...)
		t3 := time.Now()
		b.StopTimer()
		issue, first, second = issue+t1.Sub(t0), first+t2.Sub(t1), second+t3.Sub(t2)
		var tu abci.Turnout
		c.query(fmt.Sprintf("proposals/%d/turnout", id), &tu)
		if tu.HeadsVoted != n {
			b.Fatalf("turnout %+v, want %d", tu, n)
		}
		c.at(c.time.Add(day))
		c.block()
		b.StartTimer()
	}
	b.ReportMetric(float64(issue.Milliseconds())/float64(b.N), "issue-ms/op")
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "first-entries-ms/op")
	b.ReportMetric(float64(second.Milliseconds())/float64(b.N), "second-entries-ms/op")
}
