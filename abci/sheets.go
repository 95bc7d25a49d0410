package abci

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// Sheet is an owner's paper ballot sheet for one decision (书面表决票):
// the units it lists, the verifier of its one-time code and what
// scrutineers entered from it. It counts as the owner's ballot once two
// live entries by different scrutineers agree.
type Sheet struct {
	Proposal uint64       `json:"proposal"`
	Owner    string       `json:"owner"`
	Units    []string     `json:"units"`
	Area     int64        `json:"area"`
	Verifier string       `json:"verifier"`
	IssueTx  string       `json:"issue_tx"`
	Height   int64        `json:"height"`
	Entries  []SheetEntry `json:"entries"`
	// CountedTx is the entry that made the sheet count (the second), empty
	// until then.
	CountedTx string `json:"counted_tx"`
}

// SheetEntry is one scrutineer's entry of a sheet. An admin voids a wrong
// one after two entries disagreed; it stays on record.
type SheetEntry struct {
	Scrutineer tx.Address `json:"scrutineer"`
	Choice     int        `json:"choice"`
	ScanSHA256 string     `json:"scan_sha256"`
	TxHash     string     `json:"tx_hash"`
	Height     int64      `json:"height"`
	VoidReason string     `json:"void_reason"`
	VoidTx     string     `json:"void_tx"`
}

// Sheet statuses, as Status reports them.
const (
	SheetIssued   = "issued"   // nothing entered
	SheetEntered  = "entered"  // one entry, waiting for a second scrutineer
	SheetMismatch = "mismatch" // two entries disagree: an admin must void one
	SheetCounted  = "counted"  // two entries agreed: the owner's paper ballot
)

// live returns the entries that are not voided.
func (s Sheet) live() []SheetEntry {
	var out []SheetEntry
	for _, e := range s.Entries {
		if e.VoidTx == "" {
			out = append(out, e)
		}
	}
	return out
}

// Status is where the sheet stands.
func (s Sheet) Status() string {
	switch {
	case s.CountedTx != "":
		return SheetCounted
	case len(s.live()) >= 2:
		return SheetMismatch
	case len(s.live()) == 1:
		return SheetEntered
	}
	return SheetIssued
}

// sheetRef is what a sheet code's verifier points at.
type sheetRef struct {
	Proposal uint64 `json:"proposal"`
	Owner    string `json:"owner"`
}

func keySheet(id uint64, owner string) string { return fmt.Sprintf("sheet/%020d/%s", id, owner) }
func prefixSheets(id uint64) string           { return fmt.Sprintf("sheet/%020d/", id) }
func keySheetCode(verifier string) string     { return "sheetcode/" + verifier }

// keySheetDecision marks a decision that has sheets, so that a code of
// another decision is recognised as such.
func keySheetDecision(id uint64) string { return fmt.Sprintf("sheetdecision/%020d", id) }

// execSheetIssue records sheets for owners of a noticed decision's
// electorate. All are checked before any is written.
func execSheetIssue(ctx *Context, b *tx.SheetIssue) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	p, ok := getProposal(ctx.st, b.Proposal)
	switch {
	case !ok || p.Kind != KindDecision:
		return reject(CodeProposalNotFound, "no decision %d", b.Proposal)
	case p.Status == StatusCanceled:
		return reject(CodeProposalCanceled, "decision %d is canceled", p.ID)
	case p.Status != StatusOpen || ctx.Time < p.NoticeAt || ctx.Time >= p.VoteEnd:
		return reject(CodeSheetsNotNoticed, "decision %d is %s: sheets are issued from its notice to its close", p.ID, p.Phase(ctx.Time))
	}
	e := electorate(ctx.st, p.Buildings)
	for _, s := range b.Sheets {
		if _, ok := e.Owners[s.Owner]; !ok {
			return reject(CodeNotInElectorate, "owner %s has no unit in the electorate of %d", s.Owner, p.ID)
		}
		if old, ok := get[Sheet](ctx.st, keySheet(p.ID, s.Owner)); ok && len(old.Entries) > 0 {
			return reject(CodeSheetHasEntries, "the sheet of %s on %d has entries", s.Owner, p.ID)
		}
		if has(ctx.st, keySheetCode(s.Verifier)) {
			return reject(CodeSheetCodeTaken, "a sheet with this verifier exists")
		}
	}
	replaced := 0
	for _, s := range b.Sheets {
		if old, ok := get[Sheet](ctx.st, keySheet(p.ID, s.Owner)); ok {
			ctx.st.delete(keySheetCode(old.Verifier))
			replaced++
		}
		sh := Sheet{Proposal: p.ID, Owner: s.Owner, Area: e.ownerArea(s.Owner), Verifier: s.Verifier, IssueTx: ctx.TxHash, Height: ctx.Height, Entries: []SheetEntry{}}
		for _, u := range e.Owners[s.Owner] {
			sh.Units = append(sh.Units, u.Unit)
		}
		tx.SortNatural(sh.Units)
		put(ctx.st, keySheet(p.ID, s.Owner), sh)
		put(ctx.st, keySheetCode(s.Verifier), sheetRef{p.ID, s.Owner})
	}
	ctx.st.set(keySheetDecision(p.ID), marker)
	ctx.emit("sheet.issued", "proposal", strconv.FormatUint(p.ID, 10), "sheets", strconv.Itoa(len(b.Sheets)), "replaced", strconv.Itoa(replaced))
	return nil
}

// findSheet finds the sheet of code on decision p. A code that is not one
// of p's is looked for among the other decisions with sheets, so that the
// scrutineer hears it belongs elsewhere rather than that it does not exist.
func findSheet(ctx *Context, p Proposal, code string) (Sheet, error) {
	if ref, ok := get[sheetRef](ctx.st, keySheetCode(tx.SheetVerifier(ctx.ChainID, p.ID, code))); ok && ref.Proposal == p.ID {
		s, _ := get[Sheet](ctx.st, keySheet(ref.Proposal, ref.Owner))
		return s, nil
	}
	var other uint64
	ctx.st.scan("sheetdecision/", func(k string, _ []byte) bool {
		id, _ := strconv.ParseUint(k[len("sheetdecision/"):], 10, 64)
		if id == p.ID {
			return true
		}
		if ref, ok := get[sheetRef](ctx.st, keySheetCode(tx.SheetVerifier(ctx.ChainID, id, code))); ok && ref.Proposal == id {
			other = id
			return false
		}
		return true
	})
	if other != 0 {
		return Sheet{}, reject(CodeSheetOtherDecision, "the sheet belongs to decision %d, not %d", other, p.ID)
	}
	return Sheet{}, reject(CodeSheetNotIssued, "no sheet of decision %d has this code", p.ID)
}

// execSheetEnter records a scrutineer's entry of a sheet. When another
// scrutineer's live entry agrees (same choice and scan), the sheet counts
// as the owner's paper ballot, whose time is this second entry; when it
// disagrees, the mismatch is recorded and nothing counts until an admin
// voids the wrong entry.
func execSheetEnter(ctx *Context, b *tx.SheetEnter) error {
	if err := ctx.requireRole(tx.RoleScrutineer); err != nil {
		return err
	}
	if !has(ctx.st, keyMember(ctx.Signer)) {
		return reject(CodeNotMember, "a scrutineer must be bound to a unit")
	}
	p, ok := getProposal(ctx.st, b.Proposal)
	switch {
	case !ok || p.Kind != KindDecision:
		return reject(CodeProposalNotFound, "no decision %d", b.Proposal)
	case p.Status == StatusCanceled:
		return reject(CodeProposalCanceled, "decision %d is canceled", p.ID)
	case p.Status == StatusClosed || ctx.Time >= p.VoteEnd:
		return reject(CodeVotingClosed, "voting on %d closed at %d", p.ID, p.VoteEnd)
	case ctx.Time < p.VoteStart:
		return reject(CodeVotingNotOpen, "voting on %d opens at %d", p.ID, p.VoteStart)
	}
	s, err := findSheet(ctx, p, b.Code)
	if err != nil {
		return err
	}
	if s.CountedTx != "" {
		return reject(CodeSheetUsed, "the sheet of %s on %d was counted", s.Owner, p.ID)
	}
	live := s.live()
	for _, e := range live {
		if e.Scrutineer == ctx.Signer {
			return reject(CodeSheetSameScrutineer, "this scrutineer already entered the sheet of %s", s.Owner)
		}
	}
	if len(live) >= 2 {
		return reject(CodeSheetMismatched, "the entries of the sheet of %s disagree: an admin must void one", s.Owner)
	}
	s.Entries = append(s.Entries, SheetEntry{Scrutineer: ctx.Signer, Choice: b.Choice, ScanSHA256: b.ScanSHA256, TxHash: ctx.TxHash, Height: ctx.Height})
	id := strconv.FormatUint(p.ID, 10)
	status := SheetEntered
	if len(live) == 1 {
		if first := live[0]; first.Choice == b.Choice && first.ScanSHA256 == b.ScanSHA256 {
			status, s.CountedTx = SheetCounted, ctx.TxHash
			// No member cast it: the sheet's entries name the scrutineers.
			putBallot(ctx, p.ID, Ballot{Owner: s.Owner, Choice: b.Choice, TxHash: ctx.TxHash, Height: ctx.Height, Channel: ChannelPaper})
		} else {
			status = SheetMismatch
		}
	}
	put(ctx.st, keySheet(p.ID, s.Owner), s)
	ctx.emit("sheet.entered", "proposal", id, "owner", s.Owner, "scrutineer", string(ctx.Signer), "status", status)
	switch status {
	case SheetCounted:
		// As for a chat ballot, the event names the owner, not the choice.
		ctx.emit("vote.cast", "proposal", id, "owner", s.Owner, "channel", ChannelPaper)
	case SheetMismatch:
		// Admins are told: nothing counts until one of them voids an entry.
		ctx.emit("sheet.mismatch", "proposal", id, "owner", s.Owner)
	}
	return nil
}

// execSheetVoid voids a wrong entry of a sheet that has not counted, so
// that a scrutineer can enter the sheet again.
func execSheetVoid(ctx *Context, b *tx.SheetVoid) error {
	if err := ctx.requireRole(tx.RoleAdmin); err != nil {
		return err
	}
	s, ok := get[Sheet](ctx.st, keySheet(b.Proposal, b.Owner))
	if !ok || s.CountedTx != "" {
		return reject(CodeSheetEntryNotFound, "no sheet of %s on %d waiting for entry", b.Owner, b.Proposal)
	}
	i := -1
	for j, e := range s.Entries {
		if e.TxHash == b.Entry && e.VoidTx == "" {
			i = j
		}
	}
	if i < 0 {
		return reject(CodeSheetEntryNotFound, "the sheet of %s has no live entry %s", b.Owner, b.Entry)
	}
	s.Entries[i].VoidReason, s.Entries[i].VoidTx = b.Reason, ctx.TxHash
	put(ctx.st, keySheet(b.Proposal, b.Owner), s)
	ctx.emit("sheet.voided", "proposal", strconv.FormatUint(b.Proposal, 10), "owner", b.Owner, "entry", b.Entry, "reason", b.Reason)
	return nil
}

// SheetView is a sheet as queries answer it, with its status.
type SheetView struct {
	Sheet
	Status string `json:"status"`
}

// NotVotedRow is one unit of an electorate whose owner has not voted:
// for door-to-door visits, never how anyone voted.
type NotVotedRow struct {
	Unit     string `json:"unit"`
	Building string `json:"building"`
	Area     int64  `json:"area"`
	Owner    string `json:"owner"`
	// Sheet is the status of the owner's paper sheet, empty when none
	// was issued.
	Sheet string `json:"sheet"`
}

// querySheets answers, for decision p:
//
//	proposals/ID/sheets          every sheet with its entries and status
//	proposals/ID/sheets/OWNER    one owner's sheet
//	proposals/ID/notvoted        units whose owners have no ballot yet, by building and unit
func querySheets(r reader, p Proposal, parts []string) (any, *Error) {
	switch {
	case parts[0] == "sheets" && len(parts) == 1:
		list := []SheetView{}
		r.scan(prefixSheets(p.ID), func(k string, b []byte) bool {
			s := decode[Sheet](k, b)
			list = append(list, SheetView{s, s.Status()})
			return true
		})
		return list, nil
	case parts[0] == "sheets" && len(parts) == 2:
		s, ok := get[Sheet](r, keySheet(p.ID, parts[1]))
		if !ok {
			return nil, reject(CodeQueryNotFound, "owner %s has no sheet on %d", parts[1], p.ID)
		}
		return SheetView{s, s.Status()}, nil
	case parts[0] == "notvoted" && len(parts) == 1:
		return notVoted(r, p), nil
	}
	return nil, reject(CodeQueryBad, "unknown query path")
}

// notVoted lists the electorate's units whose owner has no ballot, in
// building order and, within a building, in unit order (which is floor
// order for numbers like 3-502).
func notVoted(r reader, p Proposal) []NotVotedRow {
	e := electorate(r, p.Buildings)
	rows := []NotVotedRow{}
	for _, owner := range e.Order {
		if has(r, keyBallot(p.ID, owner)) {
			continue
		}
		status := ""
		if s, ok := get[Sheet](r, keySheet(p.ID, owner)); ok {
			status = s.Status()
		}
		for _, u := range e.Owners[owner] {
			rows = append(rows, NotVotedRow{Unit: u.Unit, Building: u.Building, Area: u.Area, Owner: owner, Sheet: status})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Building != rows[j].Building {
			return tx.NaturalLess(rows[i].Building, rows[j].Building)
		}
		return tx.NaturalLess(rows[i].Unit, rows[j].Unit)
	})
	return rows
}
