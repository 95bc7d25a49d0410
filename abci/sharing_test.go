package abci_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// itemDetail is the answer of items/ID.
type itemDetail struct {
	abci.Item
	Versions []abci.ItemVersion
	Bookings []abci.Booking
}

func postItem(c *testChain, who, kind string, terms tx.Terms, windows ...tx.Window) []byte {
	return c.sign(key(who), &tx.ItemPost{Kind: kind, Title: "共享" + kind, Terms: terms, Windows: windows})
}

func requestBooking(c *testChain, who string, item uint64, start, end time.Time) []byte {
	return c.sign(key(who), &tx.BookingRequest{Item: item, Start: start.Unix(), End: end.Unix()})
}

func acceptBooking(c *testChain, who string, booking uint64) []byte {
	return c.sign(key(who), &tx.BookingAccept{Booking: booking})
}

// wantCodes fails unless a block's results carry exactly the codes want.
func wantCodes(t *testing.T, results []*abcitypes.ExecTxResult, want ...abci.Code) {
	t.Helper()
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d", len(results), len(want))
	}
	for i, r := range results {
		if got := abci.Code(r.Code); got != want[i] {
			t.Errorf("tx %d: code %v, want %v (%s)", i, got, want[i], r.Log)
		}
	}
}

func (c *testChain) item(id uint64) itemDetail {
	c.tb.Helper()
	var d itemDetail
	if code := c.query(fmt.Sprintf("items/%d", id), &d); code != 0 {
		c.tb.Fatalf("items/%d: code %v", id, code)
	}
	return d
}

func (c *testChain) booking(id uint64) abci.Booking {
	c.tb.Helper()
	var b abci.Booking
	if code := c.query(fmt.Sprintf("bookings/%d", id), &b); code != 0 {
		c.tb.Fatalf("bookings/%d: code %v", id, code)
	}
	return b
}

// communityWith is community with changed chain parameters.
func communityWith(t testing.TB, change func(*abci.Params)) *testChain {
	c := &testChain{tb: t, dir: t.TempDir(), time: genesisTime, nonces: map[tx.Address]uint64{}, admin: key("admin")}
	c.open()
	p := abci.DefaultParams()
	change(&p)
	g := abci.GenesisState{Community: "阳光花园", Admins: []tx.Address{addr(c.admin)}, Params: p}
	b, _ := json.Marshal(g)
	if _, err := c.app.InitChain(context.Background(), &abcitypes.RequestInitChain{
		ChainId: testChainID, InitialHeight: 1, AppStateBytes: b, Time: genesisTime,
	}); err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	c.mustOK(c.sign(c.admin, units(unit("1-101", "1", 8000, "O-2"), unit("1-102", "1", 8000, "O-3"), unit("2-101", "2", 5000, "developer"))))
	if err := abci.SeedMembers(c.app, []abci.Member{
		{Address: addr(key("o2")), Unit: "1-101", Relation: tx.RelationOwner},
		{Address: addr(key("dev")), Unit: "2-101", Relation: tx.RelationOwner},
		{Address: addr(key("tenant")), Unit: "1-102", Relation: tx.RelationTenant},
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestItemLifecycle(t *testing.T) {
	c := community(t)
	now := c.time
	c.mustOK(postItem(c, "w1", tx.ItemTool, tx.Terms{}))
	var open []abci.Item
	c.query("items", &open)
	if len(open) != 1 || open[0].Poster != addr(key("w1")) || open[0].Unit != "3-501" || open[0].Version != 1 {
		t.Fatalf("open items = %+v, want w1's tool from 3-501 at version 1", open)
	}
	for path, want := range map[string]int{"items/kind/tool": 1, "items/kind/parking": 0} {
		var list []abci.Item
		if code := c.query(path, &list); code != 0 || len(list) != want {
			t.Errorf("%s: code %v, %d items, want %d", path, code, len(list), want)
		}
	}
	if code := c.query("items/kind/boat", nil); code != abci.CodeQueryBad {
		t.Errorf("items/kind/boat: code %v, want %v", code, abci.CodeQueryBad)
	}

	// New terms are a new version; a request made now carries them.
	priced := tx.Terms{Price: 500, Per: tx.PerHour}
	c.mustOK(c.sign(key("w1"), &tx.ItemUpdate{Item: 1, Terms: priced}))
	start := now.Add(time.Hour)
	c.mustOK(
		requestBooking(c, "o2", 1, start, start.Add(90*time.Minute)),
		requestBooking(c, "tenant", 1, start.Add(3*time.Hour), start.Add(4*time.Hour)),
	)
	d := c.item(1)
	if d.Version != 2 || d.Terms != abci.Terms(priced) || len(d.Versions) != 2 || d.Versions[0].Terms != (abci.Terms{}) {
		t.Errorf("item = version %d terms %+v with versions %+v, want version 2 at 500/hour keeping version 1 free", d.Version, d.Terms, d.Versions)
	}
	if b := d.Bookings[0]; b.ItemVersion != 2 || b.Cost != 1000 || b.Status != abci.BookingPending {
		t.Errorf("booking = %+v, want pending under version 2 costing two started hours (1000 fen)", b)
	}

	// Withdrawing declines the pending requests and closes the item.
	res := c.block(c.sign(key("w1"), &tx.ItemWithdraw{Item: 1, Reason: "工具坏了"}))
	if res[0].Code != 0 {
		t.Fatalf("withdraw: %s", res[0].Log)
	}
	declined := 0
	for _, ev := range res[0].Events {
		if ev.Type == "booking.declined" {
			declined++
		}
	}
	if declined != 2 {
		t.Errorf("withdraw declined %d requests, want 2", declined)
	}
	d = c.item(1)
	if d.Status != abci.ItemWithdrawn || d.Bookings[0].Status != abci.BookingDeclined || d.Bookings[1].Status != abci.BookingDeclined {
		t.Errorf("after withdraw: item %s, bookings %s and %s; want withdrawn, declined, declined", d.Status, d.Bookings[0].Status, d.Bookings[1].Status)
	}
	c.query("items", &open)
	if len(open) != 0 {
		t.Errorf("open items after withdraw = %d, want 0", len(open))
	}
	var mine []struct {
		abci.Item
		Pending int
	}
	c.query("members/"+string(addr(key("w1")))+"/items", &mine)
	if len(mine) != 1 || mine[0].Status != abci.ItemWithdrawn || mine[0].Pending != 0 {
		t.Errorf("w1's items = %+v, want the withdrawn tool with nothing pending", mine)
	}
	if got := c.code(requestBooking(c, "o3", 1, start, start.Add(time.Hour))); got != abci.CodeItemWithdrawn {
		t.Errorf("request on a withdrawn item: %v, want %v", got, abci.CodeItemWithdrawn)
	}
	if got := c.code(c.sign(key("w1"), &tx.ItemUpdate{Item: 1, Terms: tx.Terms{}})); got != abci.CodeItemWithdrawn {
		t.Errorf("update of a withdrawn item: %v, want %v", got, abci.CodeItemWithdrawn)
	}
}

func TestBookingReturnedAwardsPoints(t *testing.T) {
	c := community(t)
	start := c.time.Add(time.Hour)
	c.mustOK(postItem(c, "w1", tx.ItemTool, tx.Terms{}))
	c.mustOK(requestBooking(c, "o2", 1, start, start.Add(time.Hour)), requestBooking(c, "o3", 1, start.Add(time.Hour), start.Add(2*time.Hour)))
	c.mustOK(acceptBooking(c, "w1", 1), acceptBooking(c, "w1", 2))
	if got := c.code(c.sign(key("o2"), &tx.BookingReturn{Booking: 1})); got != abci.CodeBookingNotStarted {
		t.Errorf("return before start: %v, want %v", got, abci.CodeBookingNotStarted)
	}
	c.at(start)
	wantCodes(t, c.block(
		c.sign(key("o3"), &tx.BookingReturn{Booking: 1}), // not o3's booking
		c.sign(key("o2"), &tx.BookingReturn{Booking: 1}),
		c.sign(key("o2"), &tx.BookingReturn{Booking: 1}),
	), abci.CodeNotBookingParty, abci.CodeOK, abci.CodeBookingState)
	c.at(start.Add(time.Hour))
	c.mustOK(c.sign(key("w1"), &tx.BookingReturn{Booking: 2})) // the poster marks it

	p := abci.DefaultParams()
	for who, want := range map[string]int64{"w1": 2 * p.PointsShare, "o2": p.PointsBookingDone, "o3": p.PointsBookingDone, "o2x": 0} {
		var v abci.PointsView
		if code := c.query("points/"+string(addr(key(who))), &v); code != 0 || v.Points != want {
			t.Errorf("points of %s: code %v, %d points, want %d", who, code, v.Points, want)
		}
	}
	var mine []abci.Booking
	c.query("members/"+string(addr(key("o2")))+"/bookings", &mine)
	if len(mine) != 1 || mine[0].Status != abci.BookingReturned || mine[0].ClosedBy != addr(key("o2")) {
		t.Errorf("o2's bookings = %+v, want one returned by o2", mine)
	}
}

// TestConflictingBookingsInOneBlock covers requests that arrive together
// and accepts in one block: txs apply in block order, so the second of two
// overlapping accepts sees the first and is rejected.
func TestConflictingBookingsInOneBlock(t *testing.T) {
	c := community(t)
	at := func(h float64) time.Time { return genesisTime.Add(24*time.Hour + time.Duration(h*float64(time.Hour))) }
	c.mustOK(postItem(c, "w1", tx.ItemTool, tx.Terms{}))
	wantCodes(t, c.block(
		requestBooking(c, "o2", 1, at(10), at(12)),
		requestBooking(c, "o3", 1, at(11), at(13)),     // overlaps 1
		requestBooking(c, "tenant", 1, at(12), at(14)), // touches 1 at 12:00
	), 0, 0, 0)
	wantCodes(t, c.block(
		acceptBooking(c, "w1", 1),
		acceptBooking(c, "w1", 2),
		acceptBooking(c, "w1", 3),
	), 0, abci.CodeBookingOverlap, 0)
	d := c.item(1)
	if got := [3]string{d.Bookings[0].Status, d.Bookings[1].Status, d.Bookings[2].Status}; got != [3]string{abci.BookingAccepted, abci.BookingPending, abci.BookingAccepted} {
		t.Errorf("statuses = %v, want accepted, pending, accepted", got)
	}
	if got := c.code(requestBooking(c, "dev", 1, at(13), at(13.5))); got != abci.CodeBookingOverlap {
		t.Errorf("request inside an accepted booking: %v, want %v", got, abci.CodeBookingOverlap)
	}
	if got := c.code(requestBooking(c, "dev", 1, at(9), at(15))); got != abci.CodeBookingOverlap {
		t.Errorf("request around two accepted bookings: %v, want %v", got, abci.CodeBookingOverlap)
	}
	// Requests and their accepts in the same block.
	wantCodes(t, c.block(
		requestBooking(c, "o2", 1, at(20), at(21)), // booking 4
		requestBooking(c, "o3", 1, at(20.5), at(22)),
		acceptBooking(c, "w1", 5),
		acceptBooking(c, "w1", 4),
		requestBooking(c, "dev", 1, at(8), at(10)), // before booking 1, touching it
		acceptBooking(c, "w1", 6),
	), 0, 0, 0, abci.CodeBookingOverlap, 0, 0)
}

func TestBookingRejections(t *testing.T) {
	c := community(t)
	now := c.time
	hour := func(h int) time.Time { return now.Add(time.Duration(h) * time.Hour) }
	c.mustOK(
		postItem(c, "w1", tx.ItemTool, tx.Terms{}),
		postItem(c, "w1", tx.ItemRoom, tx.Terms{Price: 3000, Per: tx.PerDay}, tx.Window{Start: hour(24).Unix(), End: hour(48).Unix()}),
	)
	c.mustOK(requestBooking(c, "o2", 1, hour(1), hour(2)), requestBooking(c, "o3", 1, hour(5), hour(6)))
	c.mustOK(acceptBooking(c, "w1", 1)) // o2 holds item 1 from hour 1 to 2; o3's booking 2 is pending
	tests := []struct {
		name string
		tx   []byte
		want abci.Code
	}{
		{"ErrEndBeforeStart", requestBooking(c, "o3", 1, hour(5), hour(4)), abci.CodeBookingBadRange},
		{"ErrEndEqualsStart", requestBooking(c, "o3", 1, hour(5), hour(5)), abci.CodeBookingBadRange},
		{"ErrLongerThanAYear", requestBooking(c, "o3", 1, hour(5), hour(5+367*24)), abci.CodeBookingBadRange},
		{"ErrStartInPast", requestBooking(c, "o3", 1, hour(-1), hour(3)), abci.CodeBookingInPast},
		{"ErrOverlapsAccepted", requestBooking(c, "o3", 1, now.Add(90*time.Minute), hour(3)), abci.CodeBookingOverlap},
		{"TouchesAccepted", requestBooking(c, "o3", 1, hour(2), hour(3)), abci.CodeOK}, // booking 3
		{"ErrOutsideWindow", requestBooking(c, "o3", 2, hour(23), hour(25)), abci.CodeBookingOutsideWindow},
		{"InsideWindow", requestBooking(c, "o3", 2, hour(24), hour(48)), abci.CodeOK}, // booking 4
		{"ErrBookOwnItem", requestBooking(c, "w1", 1, hour(7), hour(8)), abci.CodeBookOwnItem},
		{"ErrUnknownItem", requestBooking(c, "o3", 99, hour(7), hour(8)), abci.CodeItemNotFound},
		{"ErrNotMember", requestBooking(c, "stranger", 1, hour(7), hour(8)), abci.CodeNotMember},
		{"ErrAcceptOthersItem", acceptBooking(c, "o3", 2), abci.CodeNotItemOwner},
		{"ErrDeclineOthersItem", c.sign(key("o2"), &tx.BookingDecline{Booking: 2}), abci.CodeNotItemOwner},
		{"ErrUpdateOthersItem", c.sign(key("o2"), &tx.ItemUpdate{Item: 1, Terms: tx.Terms{Price: 1, Per: tx.PerDay}}), abci.CodeNotItemOwner},
		{"ErrWithdrawOthersItem", c.sign(key("o2"), &tx.ItemWithdraw{Item: 1}), abci.CodeNotItemOwner},
		{"ErrNoShowByBorrower", c.sign(key("o2"), &tx.BookingNoShow{Booking: 1}), abci.CodeNotItemOwner},
		{"ErrNoShowBeforeStart", c.sign(key("w1"), &tx.BookingNoShow{Booking: 1}), abci.CodeBookingNotStarted},
		{"ErrReturnBeforeStart", c.sign(key("o2"), &tx.BookingReturn{Booking: 1}), abci.CodeBookingNotStarted},
		{"ErrReturnByStranger", c.sign(key("o3"), &tx.BookingReturn{Booking: 1}), abci.CodeNotBookingParty},
		{"ErrCancelOthersBooking", c.sign(key("o3"), &tx.BookingCancel{Booking: 1}), abci.CodeNotBookingParty},
		{"ErrAcceptAccepted", acceptBooking(c, "w1", 1), abci.CodeBookingState},
		{"ErrReturnPending", c.sign(key("o3"), &tx.BookingReturn{Booking: 2}), abci.CodeBookingState},
		{"ErrUnknownBooking", acceptBooking(c, "w1", 99), abci.CodeBookingNotFound},
		{"ErrAcceptByStranger", acceptBooking(c, "stranger", 2), abci.CodeNotMember},
	}
	bad := []struct {
		name string
		body tx.Body
	}{
		{"ErrUnknownKind", &tx.ItemPost{Kind: "boat", Title: "船", Terms: tx.Terms{}}},
		{"ErrNoTitle", &tx.ItemPost{Kind: tx.ItemTool, Terms: tx.Terms{}}},
		{"ErrPriceWithoutPeriod", &tx.ItemPost{Kind: tx.ItemTool, Title: "x", Terms: tx.Terms{Price: 100}}},
		{"ErrFreeWithPeriod", &tx.ItemPost{Kind: tx.ItemTool, Title: "x", Terms: tx.Terms{Per: tx.PerDay}}},
		{"ErrNegativePrice", &tx.ItemPost{Kind: tx.ItemTool, Title: "x", Terms: tx.Terms{Price: -1, Per: tx.PerDay}}},
		{"ErrAbsurdPrice", &tx.ItemPost{Kind: tx.ItemTool, Title: "x", Terms: tx.Terms{Price: tx.MaxPrice + 1, Per: tx.PerDay}}},
		{"ErrOverlappingWindows", &tx.ItemPost{Kind: tx.ItemTool, Title: "x", Windows: []tx.Window{{Start: 10, End: 20}, {Start: 15, End: 30}}}},
		{"ErrEmptyWindow", &tx.ItemUpdate{Item: 1, Windows: []tx.Window{{Start: 10, End: 10}}}},
		{"ErrNoItem", &tx.BookingRequest{Start: 10, End: 20}},
		{"ErrNoBooking", &tx.BookingAccept{}},
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
	if b := c.booking(4); b.Cost != 3000 || b.Status != abci.BookingPending {
		t.Errorf("booking 4 = %+v, want pending at one day, 3000 fen", b)
	}
}

func TestDeclineCancelAndNoShow(t *testing.T) {
	c := community(t)
	s := c.time.Add(time.Hour)
	c.mustOK(postItem(c, "w1", tx.ItemRoom, tx.Terms{}))
	c.mustOK(
		requestBooking(c, "o2", 1, s, s.Add(time.Hour)),                        // 1: accepted, then no-show
		requestBooking(c, "o3", 1, s.Add(2*time.Hour), s.Add(3*time.Hour)),     // 2: accepted, then canceled
		requestBooking(c, "dev", 1, s.Add(5*time.Hour), s.Add(6*time.Hour)),    // 3: declined
		requestBooking(c, "tenant", 1, s.Add(7*time.Hour), s.Add(8*time.Hour)), // 4: canceled while pending
	)
	c.mustOK(acceptBooking(c, "w1", 1), acceptBooking(c, "w1", 2))
	wantCodes(t, c.block(
		c.sign(key("o3"), &tx.BookingCancel{Booking: 2}),
		requestBooking(c, "tenant", 1, s.Add(2*time.Hour), s.Add(3*time.Hour)), // 5: the freed slot
		acceptBooking(c, "w1", 5),
		c.sign(key("w1"), &tx.BookingDecline{Booking: 3, Reason: "那天家里有客人"}),
		c.sign(key("w1"), &tx.BookingDecline{Booking: 3}),
		c.sign(key("tenant"), &tx.BookingCancel{Booking: 4}),
		acceptBooking(c, "w1", 4),
	), 0, 0, 0, 0, abci.CodeBookingState, 0, abci.CodeBookingState)
	c.at(s)
	wantCodes(t, c.block(
		c.sign(key("o2"), &tx.BookingCancel{Booking: 1}), // too late: it started
		c.sign(key("w1"), &tx.BookingNoShow{Booking: 1}),
		c.sign(key("o2"), &tx.BookingReturn{Booking: 1}),
	), abci.CodeBookingState, 0, abci.CodeBookingState)
	want := map[uint64]string{1: abci.BookingNoShow, 2: abci.BookingCanceled, 3: abci.BookingDeclined, 4: abci.BookingCanceled, 5: abci.BookingAccepted}
	for id, status := range want {
		if got := c.booking(id).Status; got != status {
			t.Errorf("booking %d is %s, want %s", id, got, status)
		}
	}
	if b := c.booking(3); b.Reason != "那天家里有客人" || b.ClosedBy != addr(key("w1")) {
		t.Errorf("declined booking = %+v, want w1's reason recorded", b)
	}
	var v abci.PointsView
	c.query("points/"+string(addr(key("w1"))), &v)
	if v.Points != 0 {
		t.Errorf("w1 has %d points after a no-show, want 0", v.Points)
	}
	// A request whose whole range passed before its answer cannot be
	// accepted.
	c.mustOK(requestBooking(c, "o2", 1, c.time.Add(2*time.Second), c.time.Add(4*time.Second))) // 6
	c.at(c.time.Add(10 * time.Second))
	if got := c.code(acceptBooking(c, "w1", 6)); got != abci.CodeBookingInPast {
		t.Errorf("accept after the range ended: %v, want %v", got, abci.CodeBookingInPast)
	}
}

// TestParkingOwnerPriority: with parking_owner_priority on, a tenant's
// request for a parking space is not accepted while an owner's overlapping
// request waits for an answer (Civil Code §276).
func TestParkingOwnerPriority(t *testing.T) {
	scenario := func(t *testing.T, c *testChain, kind string) []*abcitypes.ExecTxResult {
		s := c.time.Add(time.Hour)
		c.mustOK(postItem(c, "dev", kind, tx.Terms{Price: 800, Per: tx.PerDay}))
		c.mustOK(
			requestBooking(c, "tenant", 1, s, s.Add(2*time.Hour)),                  // 1: tenant
			requestBooking(c, "o2", 1, s.Add(time.Hour), s.Add(3*time.Hour)),       // 2: owner, overlaps 1
			requestBooking(c, "tenant", 1, s.Add(3*time.Hour), s.Add(4*time.Hour)), // 3: tenant, touches 2
		)
		return c.block(acceptBooking(c, "dev", 1), acceptBooking(c, "dev", 3))
	}
	t.Run("TenantWaitsForOverlappingOwner", func(t *testing.T) {
		c := communityWith(t, func(*abci.Params) {})
		wantCodes(t, scenario(t, c, tx.ItemParking), abci.CodeOwnerPriority, 0)
		wantCodes(t, c.block(
			c.sign(key("dev"), &tx.BookingDecline{Booking: 2, Reason: "已经约出去了"}),
			acceptBooking(c, "dev", 1),
		), 0, 0)
	})
	t.Run("OwnerRequestThatEndedDoesNotBlock", func(t *testing.T) {
		c := communityWith(t, func(*abci.Params) {})
		s := c.time.Add(time.Hour)
		c.mustOK(postItem(c, "dev", tx.ItemParking, tx.Terms{}))
		c.mustOK(
			requestBooking(c, "tenant", 1, s, s.Add(4*time.Hour)),
			requestBooking(c, "o2", 1, s, s.Add(time.Hour)),
		)
		if got := c.code(acceptBooking(c, "dev", 1)); got != abci.CodeOwnerPriority {
			t.Fatalf("accept while the owner waits: %v, want %v", got, abci.CodeOwnerPriority)
		}
		c.at(s.Add(time.Hour)) // the owner's request has passed unanswered
		c.mustOK(acceptBooking(c, "dev", 1))
	})
	t.Run("ToolsHaveNoPriority", func(t *testing.T) {
		c := communityWith(t, func(*abci.Params) {})
		wantCodes(t, scenario(t, c, tx.ItemTool), 0, 0)
	})
	t.Run("ParameterOff", func(t *testing.T) {
		c := communityWith(t, func(p *abci.Params) { p.ParkingOwnerPriority = false })
		wantCodes(t, scenario(t, c, tx.ItemParking), 0, 0)
	})
}

// TestUnbindingEndsSharing: a member who is unbound (by an admin, or by
// the unit changing owner) no longer shares or asks: their open items are
// withdrawn, declining the requests waiting for them, and their own
// waiting requests are canceled. Accepted bookings stand.
func TestUnbindingEndsSharing(t *testing.T) {
	c := community(t)
	s := c.time.Add(time.Hour)
	c.mustOK(postItem(c, "w1", tx.ItemTool, tx.Terms{}), postItem(c, "o2", tx.ItemRoom, tx.Terms{}))
	c.mustOK(
		requestBooking(c, "o3", 1, s, s.Add(time.Hour)),                    // 1: on w1's tool, waiting
		requestBooking(c, "w1", 2, s, s.Add(time.Hour)),                    // 2: w1 asks o2, waiting
		requestBooking(c, "w1", 2, s.Add(2*time.Hour), s.Add(3*time.Hour)), // 3: w1 asks o2, accepted
	)
	c.mustOK(acceptBooking(c, "o2", 3))
	res := c.block(c.sign(c.admin, &tx.MemberRevoke{Address: addr(key("w1")), Reason: "已搬走"}))
	wantCodes(t, res, 0)
	if it := c.item(1); it.Status != abci.ItemWithdrawn || it.Reason != "已搬走" {
		t.Errorf("w1's tool: %s (%q), want withdrawn with the revocation's reason", it.Status, it.Reason)
	}
	want := map[uint64]string{1: abci.BookingDeclined, 2: abci.BookingCanceled, 3: abci.BookingAccepted}
	for id, status := range want {
		if got := c.booking(id).Status; got != status {
			t.Errorf("booking %d is %s, want %s", id, got, status)
		}
	}
	if it := c.item(2); it.Status != abci.ItemOpen {
		t.Errorf("o2's room is %s, want still open", it.Status)
	}

	// A change of owner unbinds the unit's owners, with the same effect.
	c.mustOK(postItem(c, "o2", tx.ItemTool, tx.Terms{})) // item 3
	c.mustOK(c.sign(c.admin, units(unit("1-101", "1", 8000, "O-9"))))
	if it := c.item(3); it.Status != abci.ItemWithdrawn {
		t.Errorf("o2's tool after 1-101 changed owner: %s, want withdrawn", it.Status)
	}
}
