package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// Sharing (共享物品): browse what neighbours share and ask to borrow it,
// see and cancel one's own requests and say a borrowed thing is back,
// share something, answer the requests for what one shares, record a
// return or a borrower who never came, and take a shared thing back. Booking times are chosen with digits: a
// day (today, tomorrow, the day after) and a part of it.

// bookingDays are the days a booking can be made for, from today.
var bookingDays = []int{0, 1, 2}

// bookingSlots are the parts of a day, in local hours [from, to).
var bookingSlots = []struct{ from, to int }{{8, 12}, {13, 18}, {18, 22}, {8, 22}}

// dayStart returns local midnight i days from today.
func (t *Turn) dayStart(i int) int64 {
	n := t.now.In(t.e.Location)
	return time.Date(n.Year(), n.Month(), n.Day()+i, 0, 0, 0, 0, t.e.Location).Unix()
}

// idOf reads the id of a choice such as "item:7".
func idOf(choice string) (uint64, error) {
	_, s, _ := strings.Cut(choice, ":")
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad choice %q", choice)
	}
	return id, nil
}

// requireBound says how to bind and returns false when the user is not
// bound to a unit.
func (t *Turn) requireBound() (bool, error) {
	m, err := t.Member()
	if err != nil {
		return false, err
	}
	if m.Unit == "" {
		t.say("bot.need.bind.other", nil)
		return false, nil
	}
	return true, nil
}

// startForm begins a resident's guided dialogue with some answers given.
func (t *Turn) startForm(screen string, form map[string]string) error {
	t.leaveDialogue()
	f := Frame{Screen: screen, Form: form}
	return t.nextStep(dialogueFor(screen), &f, true)
}

func showSharing(t *Turn, f *Frame) error {
	f.Choices = []string{"share.items", "share.bookings", "item.new", "share.posted"}
	t.say("bot.share.menu", nil)
	return nil
}

func chooseSharing(t *Turn, _ *Frame, c string) error {
	if c == "share.items" {
		return t.Open(Frame{Screen: c})
	}
	if ok, err := t.requireBound(); !ok {
		return err
	}
	if c == "item.new" {
		return t.startForm("form.item", map[string]string{})
	}
	return t.Open(Frame{Screen: c})
}

type priceData struct {
	Free bool
	Yuan string
	Per  string
}

func price(terms tx.Terms) priceData {
	if terms.Price == 0 {
		return priceData{Free: true}
	}
	y := strconv.FormatInt(terms.Price/100, 10)
	if c := terms.Price % 100; c != 0 {
		y += fmt.Sprintf(".%02d", c)
	}
	return priceData{Yuan: y, Per: terms.Per}
}

// pricePattern reads 5元/小时, 5/时, 20元每天, 2.5元一天.
var pricePattern = regexp.MustCompile(`^(\d{1,6})(?:\.(\d{1,2}))?元?(?:/|每|一)?(小时|时|天|日)$`)

// parsePrice reads a price in yuan per hour or day into fen; 0 or 免费 is
// free.
func parsePrice(s string) (fen int64, per string, ok bool) {
	s = strings.ReplaceAll(s, " ", "")
	if s == "0" || s == "免费" || s == "不要钱" || s == "0元" {
		return 0, "", true
	}
	m := pricePattern.FindStringSubmatch(s)
	if m == nil {
		return 0, "", false
	}
	yuan, _ := strconv.ParseInt(m[1], 10, 64)
	cents := int64(0)
	if m[2] != "" {
		cents, _ = strconv.ParseInt(m[2], 10, 64)
		if len(m[2]) == 1 {
			cents *= 10
		}
	}
	fen = yuan*100 + cents
	if fen <= 0 || fen > tx.MaxPrice {
		return 0, "", false
	}
	per = tx.PerHour
	if m[3] == "天" || m[3] == "日" {
		per = tx.PerDay
	}
	return fen, per, true
}

type shareLine struct {
	N      int
	Kind   string
	Title  string
	Price  priceData
	Unit   string
	When   string
	Status string
	// Pending counts requests waiting for the poster's answer.
	Pending int
}

type shareListData struct {
	Items []shareLine
	More  int
}

// newestFirst keeps the last maxList of xs, newest (last) first.
func newestFirst[T any](xs []T) ([]T, int) {
	xs = slices.Clone(xs)
	slices.Reverse(xs)
	if len(xs) > maxList {
		return xs[:maxList], len(xs) - maxList
	}
	return xs, 0
}

// span formats a booking's time range.
func (t *Turn) span(start, end int64) string {
	s, e := t.e.unixTime(start), t.e.unixTime(end)
	if s.Year() == e.Year() && s.YearDay() == e.YearDay() {
		return dayName(s) + s.Format("15:04") + "–" + e.Format("15:04")
	}
	return t.date(start) + " 至 " + t.date(end)
}

func showShareList(t *Turn, f *Frame) error {
	var d shareListData
	f.Choices = nil
	switch f.Screen {
	case "share.items":
		var items []abci.Item
		if _, err := t.query("items", &items); err != nil {
			return err
		}
		list, more := newestFirst(items)
		d.More = more
		for i, it := range list {
			d.Items = append(d.Items, shareLine{N: i + 1, Kind: it.Kind, Title: clip(it.Title, 24), Price: price(tx.Terms(it.Terms)), Unit: it.Unit})
			f.Choices = append(f.Choices, "item:"+strconv.FormatUint(it.ID, 10))
		}
	case "share.bookings":
		a, err := t.Address()
		if err != nil {
			return err
		}
		var bks []abci.Booking
		if _, err := t.query("members/"+string(a)+"/bookings", &bks); err != nil {
			return err
		}
		list, more := newestFirst(bks)
		d.More = more
		for i, bk := range list {
			it, _, err := t.item(bk.Item)
			if err != nil {
				return err
			}
			d.Items = append(d.Items, shareLine{N: i + 1, Kind: it.Kind, Title: clip(it.Title, 24), When: t.span(bk.Start, bk.End), Status: t.bookingStatus(bk)})
			f.Choices = append(f.Choices, "booking:"+strconv.FormatUint(bk.ID, 10))
		}
	case "share.posted":
		a, err := t.Address()
		if err != nil {
			return err
		}
		var items []struct {
			abci.Item
			Pending int `json:"pending"`
		}
		if _, err := t.query("members/"+string(a)+"/items", &items); err != nil {
			return err
		}
		list, more := newestFirst(items)
		d.More = more
		for i, it := range list {
			d.Items = append(d.Items, shareLine{N: i + 1, Kind: it.Kind, Title: clip(it.Title, 24), Price: price(tx.Terms(it.Terms)), Status: it.Status, Pending: it.Pending})
			f.Choices = append(f.Choices, "posted:"+strconv.FormatUint(it.ID, 10))
		}
	}
	t.say("bot."+strings.ReplaceAll(f.Screen, "share.", "share.list."), d)
	return nil
}

func chooseShare(t *Turn, _ *Frame, c string) error {
	id, err := idOf(c)
	if err != nil {
		return err
	}
	screen := map[string]string{"item": "share.item", "booking": "share.booking", "posted": "share.requests", "request": "share.request"}
	kind, _, _ := strings.Cut(c, ":")
	return t.Open(Frame{Screen: screen[kind], ID: id})
}

type itemDetail struct {
	abci.Item
	Bookings []abci.Booking `json:"bookings"`
}

func (t *Turn) item(id uint64) (itemDetail, bool, error) {
	var it itemDetail
	ok, err := t.query("items/"+strconv.FormatUint(id, 10), &it)
	return it, ok, err
}

type shareItemData struct {
	Kind    string
	Title   string
	Text    string
	Price   priceData
	Unit    string
	Windows []string
	Open    bool
	Own     bool
}

func showShareItem(t *Turn, f *Frame) error {
	it, ok, err := t.item(f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	a, err := t.Address()
	if err != nil {
		return err
	}
	d := shareItemData{Kind: it.Kind, Title: it.Title, Text: it.Text, Price: price(tx.Terms(it.Terms)), Unit: it.Unit,
		Open: it.Status == abci.ItemOpen, Own: it.Poster == a}
	for _, w := range it.Windows {
		d.Windows = append(d.Windows, t.span(w.Start, w.End))
	}
	f.Choices = nil
	if d.Open && !d.Own {
		f.Choices = []string{"book"}
	}
	t.say("bot.share.item", d)
	return nil
}

func chooseShareItem(t *Turn, f *Frame, _ string) error {
	if ok, err := t.requireBound(); !ok {
		return err
	}
	it, ok, err := t.item(f.ID)
	if err != nil || !ok {
		return err
	}
	return t.startForm("form.booking", map[string]string{"item": strconv.FormatUint(f.ID, 10), "title": it.Title})
}

func bookingAction(t *Turn, f *Frame) (*Action, error) {
	day, _ := strconv.Atoi(f.Form["day"])
	slot, _ := strconv.Atoi(f.Form["slot"])
	s := bookingSlots[slot]
	start := t.dayStart(bookingDays[day]) + int64(s.from)*3600
	end := t.dayStart(bookingDays[day]) + int64(s.to)*3600
	form := map[string]string{"item": f.Form["item"], "start": strconv.FormatInt(start, 10), "end": strconv.FormatInt(end, 10)}
	id, _ := strconv.ParseUint(f.Form["item"], 10, 64)
	it, _, err := t.item(id)
	if err != nil {
		return nil, err
	}
	// The cost is the chain's own sum over the item's terms, in fen, so
	// that what the user agrees to is what the booking records.
	terms := tx.Terms(it.Terms)
	d := struct {
		Title, When string
		Price       priceData
		Cost        string
	}{f.Form["title"], t.span(start, end), price(terms), ""}
	if c := terms.Cost(start, end); c > 0 {
		d.Cost = yuan(c)
	}
	return t.action("booking", "bot.share.summary.booking", d, form)
}

func buildBooking(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	id, _ := strconv.ParseUint(a.Args["item"], 10, 64)
	start, _ := strconv.ParseInt(a.Args["start"], 10, 64)
	end, _ := strconv.ParseInt(a.Args["end"], 10, 64)
	return &tx.BookingRequest{Item: id, Start: start, End: end}, &actionExtra{After: "bot.share.requested"}, nil
}

func itemAction(t *Turn, f *Frame) (*Action, error) {
	p, _ := strconv.ParseInt(f.Form["price"], 10, 64)
	d := struct {
		Kind, Title, Text string
		Price             priceData
	}{f.Form["kind"], f.Form["title"], f.Form["text"], price(tx.Terms{Price: p, Per: f.Form["per"]})}
	return t.action("item", "bot.share.summary.item", d, f.Form)
}

func buildItem(t *Turn, a *Action) (tx.Body, *actionExtra, error) {
	p, _ := strconv.ParseInt(a.Args["price"], 10, 64)
	return &tx.ItemPost{Kind: a.Args["kind"], Title: a.Args["title"], Text: a.Args["text"], Terms: tx.Terms{Price: p, Per: a.Args["per"]}}, nil, nil
}

type bookingData struct {
	Title  string
	When   string
	Unit   string
	Status string
	Reason string
	Cost   priceData
	Cancel bool
	// Running: accepted and started, so it can be marked returned (and,
	// by the poster, as a borrower who never came).
	Running bool
}

// bookingStatusExpired is how a request shows whose time has passed
// without an answer: the chain keeps it pending, but it can no longer be
// accepted.
const bookingStatusExpired = "expired"

// bookingStatus is a booking's status as a resident should see it.
func (t *Turn) bookingStatus(bk abci.Booking) string {
	if bk.Status == abci.BookingPending && bk.End <= t.now.Unix() {
		return bookingStatusExpired
	}
	return bk.Status
}

// running reports whether an accepted booking has started: the time to
// mark it returned or not collected.
func (t *Turn) running(bk abci.Booking) bool {
	return bk.Status == abci.BookingAccepted && bk.Start <= t.now.Unix()
}

func (t *Turn) booking(id uint64) (abci.Booking, itemDetail, bool, error) {
	var bk abci.Booking
	ok, err := t.query("bookings/"+strconv.FormatUint(id, 10), &bk)
	if err != nil || !ok {
		return bk, itemDetail{}, ok, err
	}
	it, _, err := t.item(bk.Item)
	return bk, it, true, err
}

func showShareBooking(t *Turn, f *Frame) error {
	bk, it, ok, err := t.booking(f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	d := bookingData{Title: it.Title, When: t.span(bk.Start, bk.End), Status: t.bookingStatus(bk), Reason: bk.Reason,
		Cost: price(tx.Terms{Price: bk.Cost})}
	d.Cancel = d.Status == abci.BookingPending || bk.Status == abci.BookingAccepted && bk.Start > t.now.Unix()
	d.Running = t.running(bk)
	f.Choices = nil
	switch {
	case d.Cancel:
		f.Choices = []string{"cancel"}
	case d.Running:
		f.Choices = []string{"return"}
	}
	t.say("bot.share.booking", d)
	return nil
}

func chooseShareBooking(t *Turn, f *Frame, c string) error {
	bk, it, ok, err := t.booking(f.ID)
	if err != nil || !ok {
		return err
	}
	return t.confirmAction(c, "bot.share.summary."+c, struct{ Title, When, Unit string }{it.Title, t.span(bk.Start, bk.End), bk.Unit}, f.ID)
}

func showShareRequests(t *Turn, f *Frame) error {
	it, ok, err := t.item(f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	// Requests waiting for an answer, then what is lent out or promised,
	// then taking the item back.
	d := shareRequestsData{Title: it.Title}
	f.Choices = nil
	add := func(to *[]shareLine, bk abci.Booking) {
		f.Choices = append(f.Choices, "request:"+strconv.FormatUint(bk.ID, 10))
		*to = append(*to, shareLine{N: len(f.Choices), Unit: bk.Unit, When: t.span(bk.Start, bk.End), Status: bk.Status})
	}
	for _, status := range []string{abci.BookingPending, abci.BookingAccepted} {
		to := &d.Items
		if status == abci.BookingAccepted {
			to = &d.Lent
		}
		for _, bk := range it.Bookings {
			if t.bookingStatus(bk) == status && len(*to) < maxList {
				add(to, bk)
			}
		}
	}
	if it.Status == abci.ItemOpen {
		f.Choices = append(f.Choices, "withdraw")
		d.Withdraw = len(f.Choices)
	}
	t.say("bot.share.requests", d)
	return nil
}

type shareRequestsData struct {
	Title string
	// Items wait for an answer; Lent are accepted.
	Items, Lent []shareLine
	// Withdraw is the number that takes the item back, 0 when it is
	// withdrawn already.
	Withdraw int
}

func chooseShareRequests(t *Turn, f *Frame, c string) error {
	if c != "withdraw" {
		return chooseShare(t, f, c)
	}
	it, ok, err := t.item(f.ID)
	if err != nil || !ok {
		return err
	}
	pending := 0
	for _, bk := range it.Bookings {
		if bk.Status == abci.BookingPending {
			pending++
		}
	}
	return t.confirmAction("withdraw", "bot.share.summary.withdraw", struct {
		Title   string
		Pending int
	}{it.Title, pending}, f.ID)
}

func showShareRequest(t *Turn, f *Frame) error {
	bk, it, ok, err := t.booking(f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return t.gone()
	}
	d := bookingData{Title: it.Title, When: t.span(bk.Start, bk.End), Unit: bk.Unit, Status: t.bookingStatus(bk),
		Cost: price(tx.Terms{Price: bk.Cost}), Running: t.running(bk)}
	f.Choices = nil
	switch {
	case d.Status == abci.BookingPending:
		f.Choices = []string{"accept", "decline"}
	case d.Running:
		f.Choices = []string{"return", "noshow"}
	}
	t.say("bot.share.request", d)
	return nil
}

func chooseShareRequest(t *Turn, f *Frame, c string) error {
	bk, it, ok, err := t.booking(f.ID)
	if err != nil || !ok {
		return err
	}
	return t.confirmAction(c, "bot.share.summary."+c, struct{ Title, When, Unit string }{it.Title, t.span(bk.Start, bk.End), bk.Unit}, f.ID)
}

// confirmAction asks to confirm an action on one record.
func (t *Turn) confirmAction(kind, tmpl string, data any, id uint64) error {
	a, err := t.action(kind, tmpl, data, nil)
	if err != nil {
		return err
	}
	a.ID = id
	return t.confirm(a)
}

func buildCancel(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.BookingCancel{Booking: a.ID}, nil, nil
}

func buildAccept(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.BookingAccept{Booking: a.ID}, nil, nil
}

func buildDecline(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.BookingDecline{Booking: a.ID}, nil, nil
}

func buildReturn(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.BookingReturn{Booking: a.ID}, &actionExtra{After: "bot.share.returned"}, nil
}

func buildNoShow(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.BookingNoShow{Booking: a.ID}, nil, nil
}

func buildWithdraw(_ *Turn, a *Action) (tx.Body, *actionExtra, error) {
	return &tx.ItemWithdraw{Item: a.ID}, nil, nil
}
