package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/bot/console"
	"github.com/linli-community/linli/internal/testnode"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
)

// TestEveryDemoQueryAnswerHasEveryField seeds the demo community (plus a
// repair request, a dispute, a booking and a meeting request, so that
// those paths answer too), asks every query path it has, and checks that
// objects of one kind always carry the same fields: a field that is 0, ""
// or false is there, not left out. (abci's TestNoFieldOfAnAnswerIsOmittedWhenZero
// checks the same from the code's side.)
func TestEveryDemoQueryAnswerHasEveryField(t *testing.T) {
	admin := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	params := abci.DefaultParams()
	params.MinNotice = demoNotice
	n, _ := testnode.Start(t, testnode.Options{ChainID: demoChainID, Genesis: abci.GenesisState{
		Community: demoCommunity, Admins: []tx.Address{keys.Address(admin)}, Params: params}})
	secret := make([]byte, 32)
	rand.Read(secret)
	cust := ledger.NewCustodian(ledger.New(n.Local()), secret, demoChainID)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := seedDemo(ctx, cust, admin); err != nil {
		t.Fatal(err)
	}
	key := func(user string) ed25519.PrivateKey {
		k, _ := cust.Key(ledger.User{Channel: console.Channel, ID: user})
		return k
	}
	tomorrow := time.Now().Add(24 * time.Hour).Truncate(time.Hour).Unix()
	if err := submitAll(ctx, cust,
		signed{key(demoResident), &tx.RepairFile{Kind: tx.RepairKindRepair, Title: "楼道灯不亮"}},
		signed{key("neighbour-3-101"), &tx.DisputeOpen{Topic: "楼上漏水", Parties: []tx.Address{keys.Address(key("neighbour-3-303"))}}},
		signed{key(demoResident), &tx.BookingRequest{Item: 2, Start: tomorrow, End: tomorrow + 3600}},
		signed{key("neighbour-1-101"), &tx.MeetingRequest{Topic: "召开临时业主大会：更换物业"}},
	); err != nil {
		t.Fatal(err)
	}

	q := func(path string) (any, bool) {
		t.Helper()
		res, err := cust.Query(ctx, path)
		if err != nil {
			t.Fatalf("query %s: %v", path, err)
		}
		if res.Code == uint32(abci.CodeQueryNotFound) {
			return nil, false
		}
		if res.Code != 0 {
			t.Fatalf("query %s: code %d: %s", path, res.Code, res.Log)
		}
		var v any
		if err := json.Unmarshal(res.Value, &v); err != nil {
			t.Fatalf("query %s: %v", path, err)
		}
		return v, true
	}
	list := func(path string) []map[string]any {
		v, _ := q(path)
		var out []map[string]any
		for _, x := range v.([]any) {
			out = append(out, x.(map[string]any))
		}
		return out
	}
	str := func(m map[string]any, k string) string { return fmt.Sprint(m[k]) }

	// Every path the demo's state answers, with the kind of answer it is.
	type ask struct{ kind, path string }
	asks := []ask{{"chain", "chain"}, {"params", "params"}, {"units", "units"}, {"roles", "roles"},
		{"validators", "validators"}, {"proposals", "proposals"}, {"meetings", "meetings"}, {"items", "items"},
		{"announcements", "announcements"}, {"repairs", "repairs"}, {"disputes", "disputes"}, {"points", "points"},
		{"accounts", "accounts"}, {"accounts/pending", "accounts/pending"}}
	month := time.Now().In(cstZone).Format("2006-01")
	asks = append(asks, ask{"accounts/monthly", "accounts/monthly/" + month}, ask{"accounts/statement", "accounts/statement/" + month + "/" + month})
	owners := map[string]bool{}
	var addrs []string
	for _, u := range list("units") {
		asks = append(asks, ask{"units/UNIT", "units/" + str(u, "unit")})
		owners[str(u, "owner")] = true
		v, _ := q("units/" + str(u, "unit"))
		for _, m := range v.(map[string]any)["members"].([]any) {
			addrs = append(addrs, str(m.(map[string]any), "address"))
		}
	}
	for o := range owners {
		asks = append(asks, ask{"owners/OWNER", "owners/" + o})
	}
	addrs = append(addrs, string(keys.Address(admin)), string(keys.Address(key(demoAdmin))), string(keys.Address(key("caiwu"))))
	for _, a := range addrs {
		asks = append(asks, ask{"members/ADDR", "members/" + a}, ask{"members/ADDR/items", "members/" + a + "/items"},
			ask{"members/ADDR/bookings", "members/" + a + "/bookings"}, ask{"points/ADDR", "points/" + a})
	}
	for _, p := range list("proposals") {
		id := str(p, "id")
		asks = append(asks, ask{"proposals/ID", "proposals/" + id}, ask{"proposals/ID/turnout", "proposals/" + id + "/turnout"},
			ask{"proposals/ID/comments", "proposals/" + id + "/comments"})
		if str(p, "kind") == abci.KindDecision {
			for o := range owners {
				asks = append(asks, ask{"ballots/ID/OWNER", "ballots/" + id + "/" + o})
			}
		}
	}
	for _, m := range list("meetings") {
		asks = append(asks, ask{"meetings/ID", "meetings/" + str(m, "id")})
	}
	for _, it := range list("items") {
		asks = append(asks, ask{"items/ID", "items/" + str(it, "id")})
	}
	for _, k := range tx.ItemKinds {
		asks = append(asks, ask{"items/kind/KIND", "items/kind/" + k})
	}
	asks = append(asks, ask{"bookings/ID", "bookings/1"}, ask{"repairs/ID", "repairs/1"}, ask{"disputes/ID", "disputes/1"})
	for _, a := range list("announcements") {
		asks = append(asks, ask{"announcements/ID", "announcements/" + str(a, "id")})
	}
	for _, a := range list("accounts") {
		id := str(a, "id")
		asks = append(asks, ask{"accounts/ACCOUNT", "accounts/" + id}, ask{"accounts/ACCOUNT/entries", "accounts/" + id + "/entries/" + month + "/" + month})
	}
	for i := 1; i <= 5; i++ {
		asks = append(asks, ask{"accounts/entry/ID", fmt.Sprintf("accounts/entry/%d", i)})
	}

	// fields[kind and place of an object] = the field sets seen there.
	fields := map[string]map[string][]string{}
	var walk func(place string, path string, v any)
	walk = func(place, path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k, x := range v {
				keys = append(keys, k)
				walk(place+"."+k, path, x)
			}
			sort.Strings(keys)
			set := strings.Join(keys, ",")
			if fields[place] == nil {
				fields[place] = map[string][]string{}
			}
			fields[place][set] = append(fields[place][set], path)
		case []any:
			for _, x := range v {
				walk(place+"[]", path, x)
			}
		}
	}
	answered := 0
	for _, a := range asks {
		v, ok := q(a.path)
		if !ok {
			if strings.HasPrefix(a.kind, "ballots/") {
				continue // an owner who has not voted
			}
			t.Errorf("%s: not found", a.path)
			continue
		}
		answered++
		walk(a.kind, a.path, v)
	}
	for place, sets := range fields {
		if len(sets) == 1 {
			continue
		}
		var desc []string
		for set, paths := range sets {
			desc = append(desc, fmt.Sprintf("{%s} in %s", set, paths[0]))
		}
		slices.Sort(desc)
		t.Errorf("%s has different fields in different answers:\n  %s", place, strings.Join(desc, "\n  "))
	}
	if answered < 300 {
		t.Errorf("only %d answers; the demo should have answered far more paths", answered)
	}

	// Figures that are 0 in the demo are there as 0.
	tu, _ := q("proposals/2/turnout")
	for _, k := range []string{"heads_voted", "area_voted", "area_total", "heads_total"} {
		if _, ok := tu.(map[string]any)[k]; !ok {
			t.Errorf("poll turnout %v lacks %s", tu, k)
		}
	}
	// The demo posts its items concurrently, so find the free one (a tool
	// lent for nothing) by its terms: "per" is there, empty, beside price 0.
	items, _ := q("items")
	freeFound := false
	for _, it := range items.([]any) {
		terms := it.(map[string]any)["terms"].(map[string]any)
		if terms["price"] == 0.0 {
			freeFound = true
			if per, ok := terms["per"]; !ok || per != "" {
				t.Errorf("a free item's terms = %v, want per present and empty", terms)
			}
		}
	}
	if !freeFound {
		t.Error("the demo has no free item to check")
	}
}
