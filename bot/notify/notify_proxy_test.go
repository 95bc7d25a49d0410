package notify_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/bot/notify"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// TestOwnerToldOfProxy: the owner's bound members are told privately when
// an admin records a 委托书 in the owner's name and each time the proxy
// votes; an appointment the owner made in chat is not news to them, and
// nobody else hears of any of it.
func TestOwnerToldOfProxy(t *testing.T) {
	ctx := context.Background()
	gw, err := store.OpenGateway(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	wx := gw.Wechat()
	now := time.Now()
	const t0 = int64(1_800_000_000)
	member := func(unit, rel, owner string) abci.MemberView {
		return abci.MemberView{Unit: unit, Relation: rel, Owner: owner, Roles: []string{}}
	}
	c := &fakeChain{height: 10, blockTime: t0, answers: map[string]any{
		"members/A1":  member("3-501", "owner", "O-1"),
		"members/A2":  member("3-502", "owner", "O-7"),
		"members/A3":  member("3-601", "tenant", "O-2"),
		"members/A4":  member("3-501", "owner", "O-1"),
		"proposals":   []map[string]any{},
		"proposals/1": map[string]any{"id": 1, "kind": "decision", "title": "更换3栋电梯", "options": []string{"同意", "反对", "弃权"}},
		"proxies":     []abci.AppointmentView{},
		"owners/O-1":  abci.OwnerView{Owner: "O-1", Units: []string{"3-501"}},
		"owners/O-7":  abci.OwnerView{Owner: "O-7", Units: []string{"3-502"}},
	}}
	for _, u := range []struct{ openid, addr string }{{"oOwner1", "A1"}, {"oOwner7", "A2"}, {"oTenant", "A3"}, {"oOwner1b", "A4"}} {
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
	check := func(step, want string, users ...string) {
		t.Helper()
		got, _ := out.take(want)
		if fmt.Sprint(got) != fmt.Sprint(users) {
			t.Errorf("%s: %q went to %v, want %v", step, want, got, users)
		}
	}
	scan()
	check("FirstScanOnlyRemembers", "")

	byAdmin := abci.Appointment{ID: 1, Owner: "O-1", Proxy: "A3", Proposal: 1, AuthorisationSHA256: "ab", Status: abci.ProxyActive}
	byOwner := abci.Appointment{ID: 2, Owner: "O-7", Proxy: "A3", Until: t0 + 30*86400, Status: abci.ProxyActive}
	c.block(func(a map[string]any) {
		a["proxies"] = []abci.AppointmentView{{Appointment: byAdmin, InForce: true}, {Appointment: byOwner, InForce: true}}
	})
	scan()
	// The member named as proxy hears of both appointments.
	if got := out.peek("3-501 的业主委托您代为投票：【更换3栋电梯】"); fmt.Sprint(got) != "[oTenant]" {
		t.Errorf("the proxy was told of O-1's appointment: %v, want [oTenant]", got)
	}
	if got := out.peek("3-502 的业主委托您代为投票"); fmt.Sprint(got) != "[oTenant]" {
		t.Errorf("the proxy was told of O-7's appointment: %v, want [oTenant]", got)
	}
	check("AdminRecordedAuthorisation", "业委会已登记您家的书面委托书：请 3-601 租户 代您家参加【更换3栋电梯】", "oOwner1", "oOwner1b")

	byAdmin.Votes, byAdmin.LastProposal, byAdmin.LastChoice = 1, 1, 1
	c.block(func(a map[string]any) {
		a["proxies"] = []abci.AppointmentView{{Appointment: byAdmin, InForce: true}, {Appointment: byOwner, InForce: true}}
	})
	scan()
	check("ProxyVoted", "您的代理人（3-601 租户）已为您家对【更换3栋电梯】投了「反对」", "oOwner1", "oOwner1b")

	scan()
	c.block(func(map[string]any) {})
	scan()
	check("ToldOnce", "")

	byAdmin.Votes, byAdmin.LastChoice = 2, 0
	byOwner.Votes, byOwner.LastProposal = 1, 1
	c.block(func(a map[string]any) {
		a["proxies"] = []abci.AppointmentView{{Appointment: byAdmin, InForce: true}, {Appointment: byOwner, InForce: true}}
	})
	scan()
	check("ChangedVoteToo", "投了「同意」", "oOwner1", "oOwner1b", "oOwner7")
}
