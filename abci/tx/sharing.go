package tx

import "fmt"

// Kinds of shared items.
const (
	ItemParking = "parking" // a parking space (车位)
	ItemTool    = "tool"    // a tool (工具)
	ItemRoom    = "room"    // a room (房间)
	ItemOther   = "other"
)

// ItemKinds lists the item kinds in a fixed order.
var ItemKinds = []string{ItemParking, ItemTool, ItemRoom, ItemOther}

// ValidItemKind reports whether k is an item kind.
func ValidItemKind(k string) bool {
	for _, x := range ItemKinds {
		if k == x {
			return true
		}
	}
	return false
}

// Pricing periods of Terms.
const (
	PerHour = "hour"
	PerDay  = "day"
)

// Limits on sharing.
const (
	MaxItemTextBytes = 1000
	// MaxPrice bounds a price, in fen per period (100,000 yuan).
	MaxPrice = 10_000_000
	// MaxWindows bounds the availability windows of one item.
	MaxWindows = 16
	// MaxBookingSeconds bounds one booking's length (366 days). With
	// MaxPrice it keeps a booking's cost far inside int64.
	MaxBookingSeconds = 366 * 24 * 3600
	// MaxBookingNote bounds a request's note and a decline's reason.
	MaxBookingNote = MaxReasonBytes
)

// Terms are what borrowing an item costs: free (Price 0, Per empty) or
// Price fen per hour or per day. Money changes hands off the chain; the
// chain records what was agreed.
type Terms struct {
	Price int64  `json:"price"`
	Per   string `json:"per,omitempty"`
}

// Validate checks terms.
func (t Terms) Validate() error {
	switch {
	case t.Price == 0 && t.Per != "":
		return fieldErr("terms.per", "must be empty when the item is free")
	case t.Price < 0 || t.Price > MaxPrice:
		return fieldErr("terms.price", "must be 0 (free) to %d fen", MaxPrice)
	case t.Price > 0 && t.Per != PerHour && t.Per != PerDay:
		return fieldErr("terms.per", "must be %q or %q for a priced item", PerHour, PerDay)
	}
	return nil
}

// Cost is what the terms come to for [start, end), in fen, counting each
// started period in full: the chain records it with a booking, and the
// chat shows the same figure before the user confirms. MaxPrice and
// MaxBookingSeconds keep it far from overflowing (at most about 9·10^10
// fen).
func (t Terms) Cost(start, end int64) int64 {
	var period int64
	switch t.Per {
	case PerHour:
		period = 3600
	case PerDay:
		period = 24 * 3600
	default:
		return 0
	}
	return t.Price * ((end - start + period - 1) / period)
}

// Window is a time range [Start, End) in unix seconds.
type Window struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// validWindows checks an item's availability windows: at most MaxWindows,
// each non-empty, in ascending order without overlaps.
func validWindows(ws []Window) error {
	if len(ws) > MaxWindows {
		return fieldErr("windows", "may list at most %d windows", MaxWindows)
	}
	for i, w := range ws {
		f := fmt.Sprintf("windows[%d]", i)
		switch {
		case w.Start <= 0 || w.End <= 0:
			return fieldErr(f, "times must be unix seconds")
		case w.End <= w.Start:
			return fieldErr(f, "must end after it starts")
		case i > 0 && w.Start < ws[i-1].End:
			return fieldErr(f, "must start after the previous window ends")
		}
	}
	return nil
}

// ItemPost offers an item for sharing (any member, tenants too). Windows,
// when given, are the only times it can be booked; without them it can be
// booked any time.
type ItemPost struct {
	Kind    string   `json:"kind"`
	Title   string   `json:"title"`
	Text    string   `json:"text,omitempty"`
	Terms   Terms    `json:"terms"`
	Windows []Window `json:"windows,omitempty"`
}

func (*ItemPost) Type() Type { return TypeItemPost }

func (b *ItemPost) Validate() error {
	if !ValidItemKind(b.Kind) {
		return fieldErr("kind", "must be one of %v", ItemKinds)
	}
	if err := validText("title", b.Title, MaxTitleBytes, true); err != nil {
		return err
	}
	if err := validText("text", b.Text, MaxItemTextBytes, false); err != nil {
		return err
	}
	if err := b.Terms.Validate(); err != nil {
		return err
	}
	return validWindows(b.Windows)
}

// ItemUpdate replaces an item's terms and windows (its poster only). The
// item keeps its id and gets a new version; a booking keeps the terms of
// the version it was requested under.
type ItemUpdate struct {
	Item    uint64   `json:"item"`
	Terms   Terms    `json:"terms"`
	Windows []Window `json:"windows,omitempty"`
}

func (*ItemUpdate) Type() Type { return TypeItemUpdate }

func (b *ItemUpdate) Validate() error {
	if b.Item == 0 {
		return fieldErr("item", "is required")
	}
	if err := b.Terms.Validate(); err != nil {
		return err
	}
	return validWindows(b.Windows)
}

// ItemWithdraw takes an item off offer (its poster only). Pending requests
// are declined; accepted bookings stand.
type ItemWithdraw struct {
	Item   uint64 `json:"item"`
	Reason string `json:"reason,omitempty"`
}

func (*ItemWithdraw) Type() Type { return TypeItemWithdraw }

func (b *ItemWithdraw) Validate() error {
	if b.Item == 0 {
		return fieldErr("item", "is required")
	}
	return validText("reason", b.Reason, MaxReasonBytes, false)
}

// BookingRequest asks to borrow an item for [Start, End), unix seconds.
// Whether the range is sensible (ends after it starts, not in the past)
// is checked against block time by the state machine, which answers each
// with its own result code.
type BookingRequest struct {
	Item  uint64 `json:"item"`
	Start int64  `json:"start"`
	End   int64  `json:"end"`
	Note  string `json:"note,omitempty"`
}

func (*BookingRequest) Type() Type { return TypeBookingRequest }

func (b *BookingRequest) Validate() error {
	switch {
	case b.Item == 0:
		return fieldErr("item", "is required")
	case b.Start <= 0 || b.End <= 0:
		return fieldErr("start", "times must be unix seconds")
	}
	return validText("note", b.Note, MaxBookingNote, false)
}

// BookingAccept accepts a pending request (the item's poster only). It
// fails if the range overlaps a booking already accepted.
type BookingAccept struct {
	Booking uint64 `json:"booking"`
}

func (*BookingAccept) Type() Type { return TypeBookingAccept }

func (b *BookingAccept) Validate() error { return requireRecordID("booking", b.Booking) }

// BookingDecline declines a pending request (the item's poster only).
type BookingDecline struct {
	Booking uint64 `json:"booking"`
	Reason  string `json:"reason,omitempty"`
}

func (*BookingDecline) Type() Type { return TypeBookingDecline }

func (b *BookingDecline) Validate() error {
	if err := requireRecordID("booking", b.Booking); err != nil {
		return err
	}
	return validText("reason", b.Reason, MaxBookingNote, false)
}

// BookingCancel withdraws the signer's own request, pending or accepted,
// before the booking starts.
type BookingCancel struct {
	Booking uint64 `json:"booking"`
}

func (*BookingCancel) Type() Type { return TypeBookingCancel }

func (b *BookingCancel) Validate() error { return requireRecordID("booking", b.Booking) }

// BookingReturn marks an accepted booking returned (the borrower or the
// item's poster), once it has started. It completes the booking.
type BookingReturn struct {
	Booking uint64 `json:"booking"`
}

func (*BookingReturn) Type() Type { return TypeBookingReturn }

func (b *BookingReturn) Validate() error { return requireRecordID("booking", b.Booking) }

// BookingNoShow records that the borrower did not come (the item's poster
// only), once the booking has started.
type BookingNoShow struct {
	Booking uint64 `json:"booking"`
}

func (*BookingNoShow) Type() Type { return TypeBookingNoShow }

func (b *BookingNoShow) Validate() error { return requireRecordID("booking", b.Booking) }

func requireRecordID(field string, id uint64) error {
	if id == 0 {
		return fieldErr(field, "is required")
	}
	return nil
}
