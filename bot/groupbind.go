package bot

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// GroupCodes makes the one-time codes that bind a WeChat group of the
// group account to the community, for an admin's 管理 绑群. bot/wxgroup
// implements it over gateway.db; cmd/linli sets it on the engine only when
// linli.toml turns the group account on.
type GroupCodes interface {
	// NewGroupCode makes a code that binds one group to building ("" for
	// the whole community) and stores what checks it (never the code). It
	// returns the code as it is posted in the group ("4821 5039 6712") and
	// when it stops binding. The engine calls it once per confirmation.
	NewGroupCode(ctx context.Context, building string) (code string, expires time.Time, err error)
}

// groupOneLine reads 管理 绑群 [3 | 3号楼 | 全小区]. A building that is not
// on the roster is refused, naming the ones that are, and then asked.
func groupOneLine(t *Turn, f *Frame, args, _ []string) error {
	if wholeCommunity(args[0]) {
		f.Form["building"] = ""
		return nil
	}
	b, ok, err := t.rosterBuilding(buildingLabel(args[0]))
	if err == nil && ok {
		f.Form["building"] = b
	}
	return err
}

// readGroupStep reads the one question of 管理 绑群: 1 for a group of the
// whole community, or the building ("3栋", "3号楼", or a bare 3 — a bare
// 1 is the listed choice).
func readGroupStep(t *Turn, f *Frame, _ string) (bool, error) {
	in := t.In
	word := strings.TrimFunc(in.Norm, isSpaceOrPunct)
	if in.Kind == KindNumber && len(in.Nums) == 1 && in.Nums[0] == 1 || wholeCommunity(word) {
		f.Form["building"] = ""
		return true, nil
	}
	if in.Kind == KindNumber && len(in.Nums) == 1 {
		word = strconv.Itoa(in.Nums[0])
	}
	b, ok, err := t.rosterBuilding(buildingLabel(word))
	if err != nil || !ok {
		return false, err
	}
	f.Form["building"] = b
	return true, nil
}

func wholeCommunity(s string) bool {
	switch s {
	case "全体", "全小区", "全部", "小区", "全体业主":
		return true
	}
	return false
}

// buildingLabel strips what people write after a building's label: 3栋,
// 3号楼, 3幢 and 3楼 are building 3.
func buildingLabel(s string) string {
	for _, suffix := range []string{"号楼", "栋", "幢", "楼"} {
		if b, ok := strings.CutSuffix(s, suffix); ok && b != "" {
			return b
		}
	}
	return s
}

// rosterBuilding reports whether b is a building of the chain's roster.
// When it is not, the admin is told which buildings there are.
func (t *Turn) rosterBuilding(b string) (string, bool, error) {
	var units []abci.Unit
	if _, err := t.query("units", &units); err != nil {
		return "", false, err
	}
	var all []string
	for _, u := range units {
		if !slices.Contains(all, u.Building) {
			all = append(all, u.Building)
		}
	}
	if tx.ValidLabel(b, tx.MaxLabelBytes) && slices.Contains(all, b) {
		return b, true, nil
	}
	tx.SortNatural(all)
	t.say("bot.admin.group.nobuilding", struct {
		Building  string
		Buildings string
	}{b, strings.Join(all, "、")})
	return "", false, nil
}

type groupSummary struct{ Building string }

func groupAction(t *Turn, f *Frame) (*Action, error) {
	return t.action("groupcode", "bot.admin.summary.group", groupSummary{f.Form["building"]}, f.Form)
}

type groupCodeData struct {
	Line     string
	Expires  string
	Building string
}

// runGroupCode makes the code when the admin confirms. Nothing goes to the
// chain: the code lives in gateway.db as a hash, and is shown once, as a
// secret of the reply (an adapter that keeps replies keeps them without
// it). A failure leaves the admin on the confirmation, to answer 1 again.
func runGroupCode(t *Turn, a *Action) error {
	if t.e.GroupCodes == nil {
		// Confirmed after a restart that turned the group account off.
		t.leaveAction()
		t.say("bot.admin.group.off", nil)
		return nil
	}
	building := a.Args["building"]
	code, expires, err := t.e.GroupCodes.NewGroupCode(t.ctx, building)
	if err != nil {
		t.e.Logger.Error("make a group binding code", "err", err)
		t.say("bot.admin.group.busy", nil)
		return nil
	}
	t.leaveAction()
	t.secrets = append(t.secrets, code)
	t.say("bot.admin.group.code", groupCodeData{Line: "绑定本群 " + code, Expires: t.date(expires.Unix()), Building: building})
	return nil
}
