package notify_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/bot/notify"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// TestPaperBallotToldToTheOwner: when a paper ballot counts, every member
// bound to its owner (and nobody else: not a tenant of the owner's unit,
// not another owner) is told what was entered, once.
func TestPaperBallotToldToTheOwner(t *testing.T) {
	ctx := context.Background()
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	wx := gw.Wechat()
	const t0 = int64(1_800_000_000)
	member := func(unit, rel, owner string) abci.MemberView {
		return abci.MemberView{Unit: unit, Relation: rel, Owner: owner, Roles: []string{}}
	}
	sheet := func(owner, status string, units ...string) abci.SheetView {
		s := abci.SheetView{Sheet: abci.Sheet{Proposal: 1, Owner: owner, Units: units, Entries: []abci.SheetEntry{
			{Scrutineer: "S1", Choice: 1, TxHash: "e1"}, {Scrutineer: "S2", Choice: 1, TxHash: "e2"},
		}}, Status: status}
		if status == abci.SheetCounted {
			s.CountedTx = "e2"
		}
		return s
	}
	c := &fakeChain{height: 10, blockTime: t0, answers: map[string]any{
		"units":      []abci.Unit{{Unit: "3-501", Building: "3"}, {Unit: "5-101", Building: "5"}, {Unit: "3-502", Building: "3"}},
		"members/A1": member("3-501", "owner", "O-1"),
		"members/A2": member("5-101", "owner", "O-1"),
		"members/A3": member("3-501", "tenant", "O-1"),
		"members/A4": member("3-502", "owner", "O-7"),
		"members/A5": abci.MemberView{Roles: []string{"admin"}},
		"members/A6": member("3-601", "owner", "O-9"),
		"proposals": []map[string]any{{"id": 1, "kind": "decision", "title": "更换3栋电梯", "options": []string{"同意", "反对", "弃权"},
			"notice_at": t0 - 100, "vote_start": t0 - 10, "vote_end": t0 + 7*86400, "phase": "voting", "status": "open"}},
		"proposals/1/sheets": []abci.SheetView{sheet("O-7", abci.SheetCounted, "3-502")},
		"repairs":            []abci.Repair{},
	}}
	now := time.Now()
	for _, u := range []struct{ openid, addr string }{{"oOwner1", "A1"}, {"oOwner1b", "A2"}, {"oTenant", "A3"}, {"oOther", "A4"}, {"oAdmin", "A5"}, {"oOwner9", "A6"}} {
		if _, _, _, err := wx.BeginMessage(ctx, "m-"+u.openid, u.openid, u.addr, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	out := &poster{texts: map[string][]string{}}
	n := notify.New(c, wx, templates.MustLoad())
	n.Users, n.Private = wx, out
	scan := func() {
		t.Helper()
		if err := n.Scan(ctx); err != nil {
			t.Fatal(err)
		}
	}
	scan() // the first scan remembers O-7's sheet, counted before the gateway knew
	c.block(func(a map[string]any) {
		a["proposals/1/sheets"] = []abci.SheetView{sheet("O-1", abci.SheetEntered, "3-501", "5-101"), sheet("O-7", abci.SheetCounted, "3-502")}
	})
	scan()
	if users, _ := out.take("书面表决票"); users != nil {
		t.Errorf("a sheet entered once was told to %v", users)
	}
	c.block(func(a map[string]any) {
		a["proposals/1/sheets"] = []abci.SheetView{sheet("O-1", abci.SheetCounted, "3-501", "5-101"), sheet("O-7", abci.SheetCounted, "3-502")}
	})
	scan()
	users, _ := out.take("您的书面表决票已录入：反对。表决事项【更换3栋电梯】，房号 3-501、5-101")
	if strings.Join(users, ",") != "oOwner1,oOwner1b" {
		t.Errorf("the counted sheet was told to %v, want both members bound to O-1", users)
	}
	c.block(func(map[string]any) {})
	scan()
	if users, _ := out.take("书面表决票"); users != nil {
		t.Errorf("told twice: %v", users)
	}

	// Two entries that disagree are told to the admins, once.
	c.block(func(a map[string]any) {
		a["proposals/1/sheets"] = append(a["proposals/1/sheets"].([]abci.SheetView), sheet("O-9", abci.SheetMismatch, "3-601"))
	})
	scan()
	if users, _ := out.take("O-9（3-601）的书面选票，两位监票人录得不一样"); strings.Join(users, ",") != "oAdmin" {
		t.Errorf("the mismatch was told to %v, want the admin", users)
	}
	c.block(func(map[string]any) {})
	scan()
	if users, _ := out.take("录得不一样"); users != nil {
		t.Errorf("the mismatch told twice: %v", users)
	}

	// A sheet that counted in the last block before the close is told
	// after it; a closed decision is then never read again.
	closed := func(a map[string]any) {
		p := a["proposals"].([]map[string]any)
		p[0]["phase"], p[0]["status"] = "closed", "closed"
	}
	c.block(func(a map[string]any) {
		closed(a)
		a["proposals/1/sheets"] = []abci.SheetView{sheet("O-1", abci.SheetCounted, "3-501", "5-101"), sheet("O-7", abci.SheetCounted, "3-502"), sheet("O-9", abci.SheetCounted, "3-601")}
	})
	scan()
	if users, _ := out.take("您的书面表决票已录入"); strings.Join(users, ",") != "oOwner9" {
		t.Errorf("after the close, told %v, want oOwner9", users)
	}
	c.fail = map[string]bool{"proposals/1/sheets": true}
	c.block(func(map[string]any) {})
	scan() // would fail if it read the sheets again
}
