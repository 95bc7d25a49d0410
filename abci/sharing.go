package abci

import (
	"fmt"
	"math"
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// Item statuses.
const (
	ItemOpen      = "open"
	ItemWithdrawn = "withdrawn"
)

// Booking statuses. A request is pending until the item's poster accepts
// or declines it; an accepted booking ends returned, no_show or canceled.
const (
	BookingPending  = "pending"
	BookingAccepted = "accepted"
	BookingDeclined = "declined"
	BookingCanceled = "canceled"
	BookingReturned = "returned"
	BookingNoShow   = "no_show"
)

// Item is a shared item (资源共享): a parking space, tool, room or other
// thing a member offers to neighbours.
type Item struct {
	ID     uint64     `json:"id"`
	Kind   string     `json:"kind"`
	Title  string     `json:"title"`
	Text   string     `json:"text"`
	Poster tx.Address `json:"poster"`
	Unit   string     `json:"unit"`
	// Version counts the item's terms: 1 when posted, one more for each
	// update. Every version is kept (ItemVersion).
	Version int64       `json:"version"`
	Terms   Terms       `json:"terms"`
	Windows []tx.Window `json:"windows"`
	Status  string      `json:"status"`
	Reason  string      `json:"reason"`
	Height  int64       `json:"height"`
	Updated int64       `json:"updated"`
}

// Terms are an item's terms as state keeps them: tx.Terms, with "per"
// present ("" for a free item) in every answer.
type Terms struct {
	Price int64  `json:"price"`
	Per   string `json:"per"`
}

// ItemVersion is one version of an item's terms.
type ItemVersion struct {
	Version int64       `json:"version"`
	Terms   Terms       `json:"terms"`
	Windows []tx.Window `json:"windows"`
	TxHash  string      `json:"tx_hash"`
	Height  int64       `json:"height"`
}

// Booking is a request to borrow an item for [Start, End).
type Booking struct {
	ID       uint64     `json:"id"`
	Item     uint64     `json:"item"`
	Borrower tx.Address `json:"borrower"`
	Unit     string     `json:"unit"`
	// Relation is the borrower's relation to their unit when requesting,
	// which decides parking priority.
	Relation string `json:"relation"`
	Start    int64  `json:"start"`
	End      int64  `json:"end"`
	Note     string `json:"note"`
	// ItemVersion is the version of the item's terms the request was made
	// under; Cost is what those terms come to for the whole range, in fen
	// (each started hour or day counts in full).
	ItemVersion int64  `json:"item_version"`
	Cost        int64  `json:"cost"`
	Status      string `json:"status"`
	Reason      string `json:"reason"`
	// ClosedBy is who declined, canceled, returned or recorded the no-show.
	ClosedBy tx.Address `json:"closed_by"`
	TxHash   string     `json:"tx_hash"`
	Height   int64      `json:"height"`
	Updated  int64      `json:"updated"`
}

// Sharing state keys. Ids and times are zero-padded so scans run in
// numeric order.
func keyItem(id uint64) string                 { return fmt.Sprintf("item/%020d", id) }
func keyItemVersion(id uint64, v int64) string { return fmt.Sprintf("itemver/%020d/%020d", id, v) }
func prefixItemVersions(id uint64) string      { return fmt.Sprintf("itemver/%020d/", id) }
func keyOpenItem(kind string, id uint64) string {
	return fmt.Sprintf("openitem/%s/%020d", kind, id)
}
func keyPosterItem(a tx.Address, id uint64) string { return fmt.Sprintf("posteritem/%s/%020d", a, id) }
func prefixPosterItems(a tx.Address) string        { return "posteritem/" + string(a) + "/" }
func keyBooking(id uint64) string                  { return fmt.Sprintf("booking/%020d", id) }
func keyItemBooking(item, id uint64) string        { return fmt.Sprintf("itembooking/%020d/%020d", item, id) }
func prefixItemBookings(item uint64) string        { return fmt.Sprintf("itembooking/%020d/", item) }
func keyBorrowerBooking(a tx.Address, id uint64) string {
	return fmt.Sprintf("borrowerbooking/%s/%020d", a, id)
}
func prefixBorrowerBookings(a tx.Address) string { return "borrowerbooking/" + string(a) + "/" }

// keyItemPending indexes an item's pending requests.
func keyItemPending(item, id uint64) string { return fmt.Sprintf("itempending/%020d/%020d", item, id) }
func prefixItemPending(item uint64) string  { return fmt.Sprintf("itempending/%020d/", item) }

// keyItemAccepted indexes an item's running accepted bookings (not yet
// returned, no-show or canceled) by start time, latest first: the key holds
// MaxInt64 minus the start.
func keyItemAccepted(item uint64, start int64, id uint64) string {
	return fmt.Sprintf("itemaccepted/%020d/%020d/%020d", item, math.MaxInt64-start, id)
}
func prefixItemAccepted(item uint64) string { return fmt.Sprintf("itemaccepted/%020d/", item) }

const (
	seqItem    = "seq/item"
	seqBooking = "seq/booking"
)

// boundSigner returns the signer's binding, or CodeNotMember.
func boundSigner(ctx *Context) (Member, error) {
	m, ok := get[Member](ctx.st, keyMember(ctx.Signer))
	if !ok {
		return Member{}, reject(CodeNotMember, "signer is not bound to a unit")
	}
	return m, nil
}

func execItemPost(ctx *Context, b *tx.ItemPost) error {
	m, err := boundSigner(ctx)
	if err != nil {
		return err
	}
	it := Item{
		ID: nextID(ctx.st, seqItem), Kind: b.Kind, Title: b.Title, Text: b.Text,
		Poster: ctx.Signer, Unit: m.Unit, Version: 1, Terms: Terms(b.Terms), Windows: b.Windows,
		Status: ItemOpen, Height: ctx.Height, Updated: ctx.Height,
	}
	putItem(ctx, it)
	ctx.st.set(keyOpenItem(it.Kind, it.ID), marker)
	ctx.st.set(keyPosterItem(it.Poster, it.ID), marker)
	ctx.emit("item.posted", "id", uintStr(it.ID), "kind", it.Kind, "unit", it.Unit)
	ctx.created("item", uintStr(it.ID))
	return nil
}

// putItem stores the item and its current version.
func putItem(ctx *Context, it Item) {
	put(ctx.st, keyItem(it.ID), it)
	put(ctx.st, keyItemVersion(it.ID, it.Version), ItemVersion{
		Version: it.Version, Terms: it.Terms, Windows: it.Windows, TxHash: ctx.TxHash, Height: ctx.Height,
	})
}

// posterItem loads an item the signer posted and may still change.
func posterItem(ctx *Context, id uint64) (Item, error) {
	if _, err := boundSigner(ctx); err != nil {
		return Item{}, err
	}
	it, ok := get[Item](ctx.st, keyItem(id))
	switch {
	case !ok:
		return it, reject(CodeItemNotFound, "no item %d", id)
	case it.Poster != ctx.Signer:
		return it, reject(CodeNotItemOwner, "item %d was posted by %s", id, it.Poster)
	case it.Status != ItemOpen:
		return it, reject(CodeItemWithdrawn, "item %d is withdrawn", id)
	}
	return it, nil
}

func execItemUpdate(ctx *Context, b *tx.ItemUpdate) error {
	it, err := posterItem(ctx, b.Item)
	if err != nil {
		return err
	}
	it.Version++
	it.Terms, it.Windows, it.Updated = Terms(b.Terms), b.Windows, ctx.Height
	putItem(ctx, it)
	ctx.emit("item.updated", "id", uintStr(it.ID), "version", strconv.FormatInt(it.Version, 10))
	return nil
}

// execItemWithdraw takes an item off offer and declines its pending
// requests. Accepted bookings stand: the poster answers for them.
func execItemWithdraw(ctx *Context, b *tx.ItemWithdraw) error {
	it, err := posterItem(ctx, b.Item)
	if err != nil {
		return err
	}
	withdrawItem(ctx, it, b.Reason)
	return nil
}

// withdrawItem takes an open item off offer and declines the requests
// waiting for it; accepted bookings stand.
func withdrawItem(ctx *Context, it Item, reason string) {
	it.Status, it.Reason, it.Updated = ItemWithdrawn, reason, ctx.Height
	put(ctx.st, keyItem(it.ID), it)
	ctx.st.delete(keyOpenItem(it.Kind, it.ID))
	ctx.emit("item.withdrawn", "id", uintStr(it.ID), "reason", reason)
	for _, bk := range pendingBookings(ctx.st, it.ID) {
		closeBooking(ctx, bk, BookingDeclined, "item withdrawn")
	}
}

// leaveSharing is what unbinding a member does to sharing: the items they
// share are withdrawn and the requests they made that wait for an answer
// are canceled, with reason; bookings already accepted stand.
func leaveSharing(ctx *Context, a tx.Address, reason string) {
	for _, s := range suffixes(ctx.st, prefixPosterItems(a)) {
		id, _ := strconv.ParseUint(s, 10, 64)
		if it, ok := get[Item](ctx.st, keyItem(id)); ok && it.Status == ItemOpen {
			withdrawItem(ctx, it, reason)
		}
	}
	for _, s := range suffixes(ctx.st, prefixBorrowerBookings(a)) {
		id, _ := strconv.ParseUint(s, 10, 64)
		if bk, ok := get[Booking](ctx.st, keyBooking(id)); ok && bk.Status == BookingPending {
			closeBooking(ctx, bk, BookingCanceled, reason)
		}
	}
}

func pendingBookings(r reader, item uint64) []Booking {
	var out []Booking
	for _, s := range suffixes(r, prefixItemPending(item)) {
		id, _ := strconv.ParseUint(s, 10, 64)
		bk, _ := get[Booking](r, keyBooking(id))
		out = append(out, bk)
	}
	return out
}

func execBookingRequest(ctx *Context, b *tx.BookingRequest) error {
	m, err := boundSigner(ctx)
	if err != nil {
		return err
	}
	it, ok := get[Item](ctx.st, keyItem(b.Item))
	switch {
	case !ok:
		return reject(CodeItemNotFound, "no item %d", b.Item)
	case it.Status != ItemOpen:
		return reject(CodeItemWithdrawn, "item %d is withdrawn", b.Item)
	case it.Poster == ctx.Signer:
		return reject(CodeBookOwnItem, "item %d is the signer's own", b.Item)
	case b.End <= b.Start:
		return reject(CodeBookingBadRange, "end %d is not after start %d", b.End, b.Start)
	case b.End-b.Start > tx.MaxBookingSeconds:
		return reject(CodeBookingBadRange, "a booking lasts at most %d s", tx.MaxBookingSeconds)
	case b.Start < ctx.Time:
		return reject(CodeBookingInPast, "start %d is before block time %d", b.Start, ctx.Time)
	case !inWindows(it.Windows, b.Start, b.End):
		return reject(CodeBookingOutsideWindow, "item %d is not available for the whole range", b.Item)
	}
	if other, ok := overlapping(ctx.st, it.ID, b.Start, b.End); ok {
		return reject(CodeBookingOverlap, "booking %d of item %d already holds [%d, %d)", other.ID, it.ID, other.Start, other.End)
	}
	bk := Booking{
		ID: nextID(ctx.st, seqBooking), Item: it.ID, Borrower: ctx.Signer, Unit: m.Unit, Relation: m.Relation,
		Start: b.Start, End: b.End, Note: b.Note, ItemVersion: it.Version, Cost: cost(it.Terms, b.Start, b.End),
		Status: BookingPending, TxHash: ctx.TxHash, Height: ctx.Height, Updated: ctx.Height,
	}
	put(ctx.st, keyBooking(bk.ID), bk)
	ctx.st.set(keyItemBooking(it.ID, bk.ID), marker)
	ctx.st.set(keyBorrowerBooking(bk.Borrower, bk.ID), marker)
	ctx.st.set(keyItemPending(it.ID, bk.ID), marker)
	ctx.emit("booking.requested", "id", uintStr(bk.ID), "item", uintStr(it.ID), "unit", bk.Unit,
		"start", strconv.FormatInt(bk.Start, 10), "end", strconv.FormatInt(bk.End, 10))
	ctx.created("booking", uintStr(bk.ID))
	return nil
}

// cost is what terms come to for [start, end) (tx.Terms.Cost, which the
// chat shows before a booking is confirmed).
func cost(t Terms, start, end int64) int64 { return tx.Terms(t).Cost(start, end) }

// inWindows reports whether [start, end) lies inside one window (always,
// when an item has no windows).
func inWindows(ws []tx.Window, start, end int64) bool {
	if len(ws) == 0 {
		return true
	}
	for _, w := range ws {
		if w.Start <= start && end <= w.End {
			return true
		}
	}
	return false
}

// overlapping returns the running accepted booking of item whose range
// meets [start, end), if there is one. Ranges are half-open: a booking may
// start the second the previous one ends. Accepted bookings of an item
// never overlap one another, so in order of start they are in order of end
// too: scanning from the latest start, the first booking that starts
// before end is the only one that can reach past start. The scan skips
// only the bookings that start after this range ends.
func overlapping(r reader, item uint64, start, end int64) (Booking, bool) {
	var found Booking
	ok := false
	prefix := prefixItemAccepted(item)
	r.scan(prefix, func(k string, _ []byte) bool {
		inv, _ := strconv.ParseInt(k[len(prefix):len(prefix)+20], 10, 64)
		if math.MaxInt64-inv >= end {
			return true
		}
		id, _ := strconv.ParseUint(k[len(prefix)+21:], 10, 64)
		bk, _ := get[Booking](r, keyBooking(id))
		found, ok = bk, bk.End > start
		return false
	})
	return found, ok
}

// ownerWaiting returns an owner's pending request on item overlapping
// [start, end) that has not yet ended at block time, in id order.
func ownerWaiting(ctx *Context, item uint64, start, end int64) (Booking, bool) {
	for _, bk := range pendingBookings(ctx.st, item) {
		if bk.Relation == tx.RelationOwner && bk.Start < end && start < bk.End && bk.End > ctx.Time {
			return bk, true
		}
	}
	return Booking{}, false
}

// posterBooking loads a booking on an item the signer posted.
func posterBooking(ctx *Context, id uint64) (Booking, Item, error) {
	if _, err := boundSigner(ctx); err != nil {
		return Booking{}, Item{}, err
	}
	bk, ok := get[Booking](ctx.st, keyBooking(id))
	if !ok {
		return bk, Item{}, reject(CodeBookingNotFound, "no booking %d", id)
	}
	it, _ := get[Item](ctx.st, keyItem(bk.Item))
	if it.Poster != ctx.Signer {
		return bk, it, reject(CodeNotItemOwner, "item %d was posted by %s", it.ID, it.Poster)
	}
	return bk, it, nil
}

// execBookingAccept accepts a pending request unless it overlaps a running
// accepted booking of the same item. Txs of a block apply in order, so of
// two overlapping accepts in one block the second sees the first and is
// rejected. With ParkingOwnerPriority, a tenant's request for a parking
// space waits while an owner's overlapping request is pending.
func execBookingAccept(ctx *Context, b *tx.BookingAccept) error {
	bk, it, err := posterBooking(ctx, b.Booking)
	if err != nil {
		return err
	}
	switch {
	case bk.Status != BookingPending:
		return reject(CodeBookingState, "booking %d is %s, not pending", bk.ID, bk.Status)
	case bk.End <= ctx.Time:
		return reject(CodeBookingInPast, "booking %d ended at %d", bk.ID, bk.End)
	}
	if other, ok := overlapping(ctx.st, it.ID, bk.Start, bk.End); ok {
		return reject(CodeBookingOverlap, "booking %d of item %d already holds [%d, %d)", other.ID, it.ID, other.Start, other.End)
	}
	if ctx.Params.ParkingOwnerPriority && it.Kind == tx.ItemParking && bk.Relation != tx.RelationOwner {
		if o, ok := ownerWaiting(ctx, it.ID, bk.Start, bk.End); ok {
			return reject(CodeOwnerPriority, "owner's request %d for [%d, %d) is waiting", o.ID, o.Start, o.End)
		}
	}
	bk.Status, bk.Updated = BookingAccepted, ctx.Height
	put(ctx.st, keyBooking(bk.ID), bk)
	ctx.st.delete(keyItemPending(it.ID, bk.ID))
	ctx.st.set(keyItemAccepted(it.ID, bk.Start, bk.ID), marker)
	ctx.emit("booking.accepted", "id", uintStr(bk.ID), "item", uintStr(it.ID), "unit", bk.Unit)
	return nil
}

func execBookingDecline(ctx *Context, b *tx.BookingDecline) error {
	bk, _, err := posterBooking(ctx, b.Booking)
	if err != nil {
		return err
	}
	if bk.Status != BookingPending {
		return reject(CodeBookingState, "booking %d is %s, not pending", bk.ID, bk.Status)
	}
	closeBooking(ctx, bk, BookingDeclined, b.Reason)
	return nil
}

// execBookingCancel lets a borrower withdraw a pending request, or an
// accepted booking before it starts.
func execBookingCancel(ctx *Context, b *tx.BookingCancel) error {
	if _, err := boundSigner(ctx); err != nil {
		return err
	}
	bk, ok := get[Booking](ctx.st, keyBooking(b.Booking))
	switch {
	case !ok:
		return reject(CodeBookingNotFound, "no booking %d", b.Booking)
	case bk.Borrower != ctx.Signer:
		return reject(CodeNotBookingParty, "booking %d was requested by %s", bk.ID, bk.Borrower)
	case bk.Status != BookingPending && bk.Status != BookingAccepted:
		return reject(CodeBookingState, "booking %d is %s", bk.ID, bk.Status)
	case bk.Status == BookingAccepted && ctx.Time >= bk.Start:
		return reject(CodeBookingState, "booking %d started at %d", bk.ID, bk.Start)
	}
	closeBooking(ctx, bk, BookingCanceled, "")
	return nil
}

// execBookingReturn completes an accepted booking that has started; the
// borrower or the poster may record it. The poster earns sharing points
// and the borrower booking points.
func execBookingReturn(ctx *Context, b *tx.BookingReturn) error {
	if _, err := boundSigner(ctx); err != nil {
		return err
	}
	bk, ok := get[Booking](ctx.st, keyBooking(b.Booking))
	if !ok {
		return reject(CodeBookingNotFound, "no booking %d", b.Booking)
	}
	it, _ := get[Item](ctx.st, keyItem(bk.Item))
	switch {
	case ctx.Signer != bk.Borrower && ctx.Signer != it.Poster:
		return reject(CodeNotBookingParty, "only the borrower or the poster of item %d may mark booking %d returned", it.ID, bk.ID)
	case bk.Status != BookingAccepted:
		return reject(CodeBookingState, "booking %d is %s, not accepted", bk.ID, bk.Status)
	case ctx.Time < bk.Start:
		return reject(CodeBookingNotStarted, "booking %d starts at %d", bk.ID, bk.Start)
	}
	closeBooking(ctx, bk, BookingReturned, "")
	ref := "booking/" + uintStr(bk.ID)
	awardPointsOnce(ctx, it.Poster, PointsForShare, ref)
	awardPointsOnce(ctx, bk.Borrower, PointsForBookingDone, ref)
	return nil
}

// execBookingNoShow records that the borrower of an accepted booking did
// not come (the poster only, once the booking has started).
func execBookingNoShow(ctx *Context, b *tx.BookingNoShow) error {
	bk, _, err := posterBooking(ctx, b.Booking)
	if err != nil {
		return err
	}
	switch {
	case bk.Status != BookingAccepted:
		return reject(CodeBookingState, "booking %d is %s, not accepted", bk.ID, bk.Status)
	case ctx.Time < bk.Start:
		return reject(CodeBookingNotStarted, "booking %d starts at %d", bk.ID, bk.Start)
	}
	closeBooking(ctx, bk, BookingNoShow, "")
	return nil
}

// closeBooking moves a pending or accepted booking to a final status and
// drops it from the pending and running indexes.
func closeBooking(ctx *Context, bk Booking, status, reason string) {
	switch bk.Status {
	case BookingPending:
		ctx.st.delete(keyItemPending(bk.Item, bk.ID))
	case BookingAccepted:
		ctx.st.delete(keyItemAccepted(bk.Item, bk.Start, bk.ID))
	}
	bk.Status, bk.Reason, bk.ClosedBy, bk.Updated = status, reason, ctx.Signer, ctx.Height
	put(ctx.st, keyBooking(bk.ID), bk)
	ctx.emit("booking."+status, "id", uintStr(bk.ID), "item", uintStr(bk.Item), "unit", bk.Unit, "reason", reason)
}

func uintStr(id uint64) string { return strconv.FormatUint(id, 10) }
