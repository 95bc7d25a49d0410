package abci

import (
	"slices"
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// querySharing answers:
//
//	items                   open items of every kind, by id
//	items/kind/KIND         open items of one kind (parking, tool, room, other)
//	items/ID                one item with every version of its terms and all its bookings
//	bookings/ID             one booking
//	members/ADDR/items      items ADDR posted (withdrawn too), each with its pending requests counted
//	members/ADDR/bookings   bookings ADDR requested, by id
func querySharing(r reader, parts []string) (any, *Error) {
	switch {
	case len(parts) == 1 && parts[0] == "items":
		return openItems(r, "openitem/"), nil
	case len(parts) == 3 && parts[0] == "items" && parts[1] == "kind":
		if !tx.ValidItemKind(parts[2]) {
			return nil, reject(CodeQueryBad, "%q is not an item kind", parts[2])
		}
		return openItems(r, "openitem/"+parts[2]+"/"), nil
	case len(parts) == 2 && parts[0] == "items":
		id, err := parseRecordID(parts[1], "item")
		if err != nil {
			return nil, err
		}
		it, ok := get[Item](r, keyItem(id))
		if !ok {
			return nil, reject(CodeQueryNotFound, "no item %d", id)
		}
		versions := []ItemVersion{}
		r.scan(prefixItemVersions(id), func(k string, b []byte) bool {
			versions = append(versions, decode[ItemVersion](k, b))
			return true
		})
		return struct {
			Item
			Versions []ItemVersion `json:"versions"`
			Bookings []Booking     `json:"bookings"`
		}{it, versions, bookingsAt(r, prefixItemBookings(id))}, nil
	case len(parts) == 2 && parts[0] == "bookings":
		id, err := parseRecordID(parts[1], "booking")
		if err != nil {
			return nil, err
		}
		bk, ok := get[Booking](r, keyBooking(id))
		if !ok {
			return nil, reject(CodeQueryNotFound, "no booking %d", id)
		}
		return bk, nil
	case len(parts) == 3 && parts[0] == "members":
		a := tx.Address(parts[1])
		if a.Validate() != nil {
			return nil, reject(CodeQueryBad, "%q is not an address", parts[1])
		}
		switch parts[2] {
		case "items":
			list := []itemView{}
			for _, s := range suffixes(r, prefixPosterItems(a)) {
				id, _ := strconv.ParseUint(s, 10, 64)
				it, _ := get[Item](r, keyItem(id))
				list = append(list, itemView{it, countPrefix(r, prefixItemPending(id))})
			}
			return list, nil
		case "bookings":
			return bookingsAt(r, prefixBorrowerBookings(a)), nil
		}
	}
	return nil, reject(CodeQueryBad, "unknown query path")
}

// itemView is an item with the number of requests waiting for its
// poster's answer.
type itemView struct {
	Item
	Pending int `json:"pending"`
}

// openItems lists the open items indexed under prefix, in id order.
func openItems(r reader, prefix string) []Item {
	var ids []uint64
	r.scan(prefix, func(k string, _ []byte) bool {
		id, _ := strconv.ParseUint(k[len(k)-20:], 10, 64)
		ids = append(ids, id)
		return true
	})
	slices.Sort(ids)
	list := []Item{}
	for _, id := range ids {
		it, _ := get[Item](r, keyItem(id))
		list = append(list, it)
	}
	return list
}

// bookingsAt loads the bookings whose ids end the keys under prefix.
func bookingsAt(r reader, prefix string) []Booking {
	list := []Booking{}
	for _, s := range suffixes(r, prefix) {
		id, _ := strconv.ParseUint(s, 10, 64)
		bk, _ := get[Booking](r, keyBooking(id))
		list = append(list, bk)
	}
	return list
}

func parseRecordID(s, what string) (uint64, *Error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, reject(CodeQueryBad, "%q is not a %s number", s, what)
	}
	return id, nil
}
