package abci

import (
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// AppointmentView is an appointment as queries answer it, with whether it is in
// force at the last block time.
type AppointmentView struct {
	Appointment
	InForce bool `json:"in_force"`
}

// queryProxies answers:
//
//	proxies              every appointment, oldest first
//	proxies/OWNER        an owner's appointments
//	proxies/by/ADDR      the appointments an address holds (not those
//	                     ended by revocation or replacement)
//	proxy/ID             one appointment (its agent code's salt, for the
//	                     proof that accepts it)
//
// now is the last block time, which decides InForce.
func queryProxies(r reader, parts []string, now int64) (any, *Error) {
	view := func(p Appointment) AppointmentView { return AppointmentView{p, p.InForce(r, now)} }
	list := func(prefix string) []AppointmentView {
		out := []AppointmentView{}
		for _, s := range suffixes(r, prefix) {
			id, _ := strconv.ParseUint(s, 10, 64)
			if p, ok := getProxy(r, id); ok {
				out = append(out, view(p))
			}
		}
		return out
	}
	switch {
	case len(parts) == 1 && parts[0] == "proxies":
		out := []AppointmentView{}
		r.scan("proxy/", func(k string, b []byte) bool {
			out = append(out, view(decode[Appointment](k, b)))
			return true
		})
		return out, nil
	case len(parts) == 2 && parts[0] == "proxy":
		id, err := strconv.ParseUint(parts[1], 10, 64)
		if err != nil {
			return nil, reject(CodeQueryBad, "%q is not an appointment number", parts[1])
		}
		p, ok := getProxy(r, id)
		if !ok {
			return nil, reject(CodeQueryNotFound, "no proxy appointment %d", id)
		}
		return view(p), nil
	case len(parts) == 2 && parts[0] == "proxies":
		if !tx.ValidOwnerLabel(parts[1]) {
			return nil, reject(CodeQueryBad, "%q is not an owner label", parts[1])
		}
		if !ownerExists(r, parts[1]) {
			return nil, reject(CodeQueryNotFound, "owner %s has no units", parts[1])
		}
		return list(prefixOwnerProxies(parts[1])), nil
	case len(parts) == 3 && parts[0] == "proxies" && parts[1] == "by":
		a := tx.Address(parts[2])
		if a.Validate() != nil {
			return nil, reject(CodeQueryBad, "%q is not an address", parts[2])
		}
		return list(prefixProxiesBy(a)), nil
	}
	return nil, reject(CodeQueryBad, "unknown query path")
}
