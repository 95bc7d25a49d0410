package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
)

// KindProxy is the notification kind of a proxy's news for the owner: a
// proxy voted in the owner's name, or an admin recorded a paper
// authorisation (委托书) appointing one.
const KindProxy = "proxy"

type proxyVoteData struct {
	Title, Choice, Who string
}

type proxyAppointedData struct {
	Title, Until, Who string
}

// proxies tells the members bound to an owner, privately, when a proxy
// votes in the owner's name and when an admin appoints a proxy for the
// owner from a paper authorisation, and tells a member named as proxy: the owner learns at once of anything
// done in their name, and can vote themselves or revoke. What the owner
// did in chat is not news to them. Its memory is the number of votes told
// per appointment.
func (s *scan) proxies() error {
	var list []abci.AppointmentView
	if _, err := s.query("proxies", &list); err != nil {
		return err
	}
	told := map[string]int64{}
	if err := s.getJSON("proxies", &told); err != nil {
		return err
	}
	changed := false
	for _, p := range list {
		id := strconv.FormatUint(p.ID, 10)
		votes, known := told[id]
		if known && votes == p.Votes {
			continue
		}
		told[id], changed = p.Votes, true
		if s.silent {
			continue
		}
		if !known && p.AuthorisationSHA256 != "" {
			if err := s.proxyAppointed(p.Appointment); err != nil {
				return err
			}
		}
		if !known && !p.Agent && p.Proxy != "" && p.Status == abci.ProxyActive {
			if err := s.proxyChosen(p.Appointment); err != nil {
				return err
			}
		}
		if p.Votes > votes && p.LastProposal != 0 {
			if err := s.proxyVoted(p.Appointment); err != nil {
				return err
			}
		}
	}
	if !changed {
		return nil
	}
	return s.putJSON("proxies", told)
}

// proxyWho names a proxy by unit and relation, or as someone from
// outside.
func (s *scan) proxyWho(p abci.Appointment) (string, error) {
	if p.Proxy == "" {
		return "", nil
	}
	m, err := s.member(string(p.Proxy))
	if err != nil || m == nil || m.Unit == "" {
		return "", err
	}
	return m.Unit + " " + s.render("bot.word.relation", m.Relation), nil
}

func (s *scan) proxyVoted(p abci.Appointment) error {
	var d struct {
		abci.Proposal
	}
	if _, err := s.query(fmt.Sprintf("proposals/%d", p.LastProposal), &d); err != nil {
		return err
	}
	who, err := s.proxyWho(p)
	if err != nil {
		return err
	}
	data := proxyVoteData{Title: d.Title, Who: who}
	if p.LastChoice >= 0 && p.LastChoice < len(d.Options) {
		data.Choice = d.Options[p.LastChoice]
	}
	text := s.render("wechat.notify.proxy.voted", data)
	return s.tellOwner(p.Owner, notice{KindProxy, text, s.values(d.Title, "代理人已代投 "+data.Choice, s.date(s.chainTime), text)})
}

func (s *scan) proxyAppointed(p abci.Appointment) error {
	data := proxyAppointedData{}
	if p.Proposal != 0 {
		var d struct {
			abci.Proposal
		}
		if _, err := s.query(fmt.Sprintf("proposals/%d", p.Proposal), &d); err != nil {
			return err
		}
		data.Title = d.Title
	} else {
		// Until is the start of the day after the last day.
		data.Until = time.Unix(p.Until-1, 0).In(s.n.Location).Format("1月2日")
	}
	who, err := s.proxyWho(p)
	if err != nil {
		return err
	}
	data.Who = who
	text := s.render("wechat.notify.proxy.appointed", data)
	return s.tellOwner(p.Owner, notice{KindProxy, text, s.values("委托投票", "已登记委托书", s.date(s.chainTime), text)})
}

// proxyChosen tells a member named as proxy that they now vote for the
// owner (an agent from outside knows: it accepted the code itself).
func (s *scan) proxyChosen(p abci.Appointment) error {
	if err := s.loadUsers(); err != nil {
		return err
	}
	u := s.byAddress[string(p.Proxy)]
	if u == nil {
		return nil
	}
	var o abci.OwnerView
	if _, err := s.query("owners/"+p.Owner, &o); err != nil {
		return err
	}
	data := proxyChosenData{Units: strings.Join(o.Units, "、")}
	if p.Proposal != 0 {
		var d struct {
			abci.Proposal
		}
		if _, err := s.query(fmt.Sprintf("proposals/%d", p.Proposal), &d); err != nil {
			return err
		}
		data.Title = d.Title
	} else {
		data.Until = time.Unix(p.Until-1, 0).In(s.n.Location).Format("1月2日")
	}
	text := s.render("wechat.notify.proxy.chosen", data)
	s.deliver(u, notice{KindProxy, text, s.values("委托投票", "受托代投", s.date(s.chainTime), text)})
	return nil
}

type proxyChosenData struct {
	Units, Title, Until string
}

// tellOwner delivers a notice to every known user bound to owner as
// owner.
func (s *scan) tellOwner(owner string, nt notice) error {
	if err := s.loadUsers(); err != nil {
		return err
	}
	for i := range s.users {
		u := &s.users[i]
		if u.address == "" || !u.subscribed {
			continue
		}
		m, err := s.member(u.address)
		if err != nil {
			s.skip(u, err)
			continue
		}
		if m != nil && m.Owner == owner && m.Relation == "owner" {
			s.deliver(u, nt)
		}
	}
	return nil
}
