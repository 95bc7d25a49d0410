package notify

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/linli-community/linli/abci"
)

// Paper ballot notifications: an owner's paper ballot counted (to every
// member bound to that owner), and two entries of a sheet disagree (to
// admins, who must void the wrong one).
const (
	KindPaper         = "paper"
	KindPaperMismatch = "paper_mismatch"
)

// paperBallots tells the owner of every paper ballot that counted since
// the last scan: each member bound to that owner gets a message with the
// choice entered, so that a ballot entered in someone's name is noticed.
// This is the main protection against it, so every counted sheet is told
// once, in every phase after it counted (a sheet may count in the block
// that closes the vote).
func (s *scan) paperBallots() error {
	list, err := s.proposalList()
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range list {
		if p.Kind != abci.KindDecision || p.Phase == "draft" || p.Phase == abci.StatusCanceled {
			continue
		}
		// A closed decision's sheets can change no more: read once after
		// the close, then never again.
		done := "paper/" + strconv.FormatUint(p.ID, 10) + "/closed"
		if p.Status == abci.StatusClosed {
			if _, ok, err := s.n.st.GetState(s.ctx, done); err != nil || ok {
				errs = append(errs, err)
				continue
			}
		}
		if err := s.paperBallotsOf(p); err != nil {
			errs = append(errs, fmt.Errorf("paper ballots of %d: %w", p.ID, err))
			continue
		}
		if p.Status == abci.StatusClosed {
			errs = append(errs, s.n.st.PutState(s.ctx, done, "1", s.n.Now()))
		}
	}
	return errors.Join(errs...)
}

func (s *scan) paperBallotsOf(p proposalRow) error {
	var sheets []abci.SheetView
	if _, err := s.query(fmt.Sprintf("proposals/%d/sheets", p.ID), &sheets); err != nil {
		return err
	}
	for _, sh := range sheets {
		if sh.Status == abci.SheetMismatch {
			if err := s.paperMismatch(p, sh); err != nil {
				return err
			}
			continue
		}
		if sh.Status != abci.SheetCounted {
			continue
		}
		key := "paper/" + strconv.FormatUint(p.ID, 10) + "/" + sh.Owner
		_, told, err := s.n.st.GetState(s.ctx, key)
		if err != nil {
			return err
		}
		if told {
			continue
		}
		if err := s.tellPaperBallot(p, sh); err != nil {
			return err
		}
		if err := s.n.st.PutState(s.ctx, key, sh.CountedTx, s.n.Now()); err != nil {
			return err
		}
	}
	return nil
}

// tellPaperBallot sends the notice of one counted sheet to the members
// bound to its owner.
func (s *scan) tellPaperBallot(p proposalRow, sh abci.SheetView) error {
	if s.silent {
		return nil
	}
	if err := s.loadUsers(); err != nil {
		return err
	}
	choice := ""
	for _, e := range sh.Entries {
		if e.TxHash == sh.CountedTx && e.Choice < len(p.Options) {
			choice = p.Options[e.Choice]
		}
	}
	text := s.render("wechat.notify.paper", struct {
		Title, Choice, Units, End string
	}{p.Title, choice, strings.Join(sh.Units, "、"), s.dateText(p.VoteEnd)})
	for i := range s.users {
		u := &s.users[i]
		if u.address == "" {
			continue
		}
		m, err := s.member(u.address)
		if err != nil {
			s.n.Logger.Error("wechat: paper ballot notice", "proposal", p.ID, "err", err)
			continue
		}
		if m == nil || m.Owner != sh.Owner || m.Relation != "owner" {
			continue
		}
		s.deliver(u, notice{kind: KindPaper, text: text, values: s.values(p.Title, "书面表决票已录入："+choice, s.date(s.chainTime), text)})
	}
	return nil
}

// paperMismatch tells the admins, once per mismatch, that two scrutineers
// entered a sheet differently: it counts for nothing until one of them
// voids the wrong entry.
func (s *scan) paperMismatch(p proposalRow, sh abci.SheetView) error {
	// A sheet can fall into mismatch again after a void: each time has
	// more entries.
	key := fmt.Sprintf("paper-mismatch/%d/%s/%d", p.ID, sh.Owner, len(sh.Entries))
	_, told, err := s.n.st.GetState(s.ctx, key)
	if err != nil || told {
		return err
	}
	if !s.silent {
		if err := s.loadUsers(); err != nil {
			return err
		}
		admins, err := s.admins()
		if err != nil {
			return err
		}
		text := s.render("wechat.notify.paper_mismatch", struct{ Title, Owner, Units string }{p.Title, sh.Owner, strings.Join(sh.Units, "、")})
		for _, a := range admins {
			s.deliver(s.byAddress[string(a)], notice{kind: KindPaperMismatch, text: text, values: s.values(p.Title, "选票录入不一致", s.date(s.chainTime), text)})
		}
	}
	return s.n.st.PutState(s.ctx, key, "1", s.n.Now())
}
