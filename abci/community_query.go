package abci

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/linli-community/linli/abci/tx"
)

// LeaderboardSize is how many units the points leaderboard lists.
const LeaderboardSize = 100

// queryCommunity answers:
//
//	announcements           current announcements (not expired at the last block time), newest first
//	announcements/ID        one announcement, expired or not, with its comments
//	proposals/ID/comments   the comments on a proposal or poll
//	repairs                 every feedback and repair request, by id, without history
//	repairs/ID              one request with every step
//	disputes                every dispute, by id, without statements
//	disputes/ID             one dispute with its statements (commitments, never texts)
//	points                  the leaderboard: the top LeaderboardSize units by points, unit numbers only
//	points/ADDR             an address's points and its unit's
//
// Hidden comments appear with their hash and reason and without text.
func queryCommunity(r reader, parts []string, now int64) (any, *Error) {
	if len(parts) == 1 {
		switch parts[0] {
		case "announcements":
			list := []announcementView{}
			r.scan("announcement/", func(k string, b []byte) bool {
				a := decode[Announcement](k, b)
				if a.ExpiresAt == 0 || a.ExpiresAt > now {
					list = append(list, announcementView{a, false, countPrefix(r, prefixTargetComments(tx.CommentOnAnnouncement, a.ID))})
				}
				return true
			})
			slices.Reverse(list)
			return list, nil
		case "repairs":
			list := []Repair{}
			r.scan("repair/", func(k string, b []byte) bool {
				rp := decode[Repair](k, b)
				rp.Text = ""
				list = append(list, rp)
				return true
			})
			return list, nil
		case "disputes":
			list := []Dispute{}
			r.scan("dispute/", func(k string, b []byte) bool {
				list = append(list, decode[Dispute](k, b))
				return true
			})
			return list, nil
		case "points":
			return leaderboard(r), nil
		}
		return nil, reject(CodeQueryBad, "unknown query path")
	}
	if parts[0] == "points" && len(parts) == 2 {
		return memberPoints(r, tx.Address(parts[1]))
	}
	id, err := parseRecordID(parts[1], parts[0])
	if err != nil {
		return nil, err
	}
	switch {
	case parts[0] == "announcements" && len(parts) == 2:
		a, ok := get[Announcement](r, keyAnnouncement(id))
		if !ok {
			return nil, reject(CodeQueryNotFound, "no announcement %d", id)
		}
		cs := comments(r, tx.CommentOnAnnouncement, id)
		return struct {
			announcementView
			CommentList []Comment `json:"comments"`
		}{announcementView{a, a.ExpiresAt != 0 && a.ExpiresAt <= now, len(cs)}, cs}, nil
	case parts[0] == "proposals" && len(parts) == 3 && parts[2] == "comments":
		if !proposalExists(r, id) {
			return nil, reject(CodeQueryNotFound, "no proposal %d", id)
		}
		return comments(r, tx.CommentOnProposal, id), nil
	case parts[0] == "repairs" && len(parts) == 2:
		rp, ok := get[Repair](r, keyRepair(id))
		if !ok {
			return nil, reject(CodeQueryNotFound, "no repair %d", id)
		}
		steps := []RepairStep{}
		r.scan(prefixRepairSteps(id), func(k string, b []byte) bool {
			steps = append(steps, decode[RepairStep](k, b))
			return true
		})
		return struct {
			Repair
			History []RepairStep `json:"history"`
		}{rp, steps}, nil
	case parts[0] == "disputes" && len(parts) == 2:
		d, ok := get[Dispute](r, keyDispute(id))
		if !ok {
			return nil, reject(CodeQueryNotFound, "no dispute %d", id)
		}
		stmts := []Statement{}
		r.scan(prefixStatements(id), func(k string, b []byte) bool {
			stmts = append(stmts, decode[Statement](k, b))
			return true
		})
		return struct {
			Dispute
			StatementList []Statement `json:"statements"`
		}{d, stmts}, nil
	}
	return nil, reject(CodeQueryBad, "unknown query path")
}

type announcementView struct {
	Announcement
	Expired      bool `json:"expired"`
	CommentCount int  `json:"comment_count"`
}

// comments lists the comments on a target in id order. A hidden comment's
// text is already gone from state; it is blanked here too so no answer can
// carry it.
func comments(r reader, on string, target uint64) []Comment {
	list := []Comment{}
	for _, s := range suffixes(r, prefixTargetComments(on, target)) {
		id, _ := strconv.ParseUint(s, 10, 64)
		c, _ := get[Comment](r, keyComment(id))
		if c.Hidden {
			c.Text = ""
		}
		list = append(list, c)
	}
	return list
}

// leaderboard ranks units by points, most first, ties by unit number.
func leaderboard(r reader) []UnitPoints {
	rows := []UnitPoints{}
	r.scan(prefixUnitPoints, func(k string, b []byte) bool {
		rows = append(rows, decode[UnitPoints](k, b))
		return true
	})
	slices.SortFunc(rows, func(a, b UnitPoints) int {
		if c := cmp.Compare(b.Points, a.Points); c != 0 {
			return c
		}
		return cmp.Compare(a.Unit, b.Unit)
	})
	if len(rows) > LeaderboardSize {
		rows = rows[:LeaderboardSize]
	}
	return rows
}

// PointsView is an address's points with those of the unit it is bound to.
type PointsView struct {
	MemberPoints
	UnitPoints int64 `json:"unit_points"`
}

func memberPoints(r reader, a tx.Address) (any, *Error) {
	if a.Validate() != nil {
		return nil, reject(CodeQueryBad, "%q is not an address", a)
	}
	mp, _ := get[MemberPoints](r, keyMemberPoints(a))
	mp.Address = a
	if m, ok := get[Member](r, keyMember(a)); ok {
		mp.Unit = m.Unit
	}
	v := PointsView{MemberPoints: mp}
	if mp.Unit != "" {
		up, _ := get[UnitPoints](r, keyUnitPoints(mp.Unit))
		v.UnitPoints = up.Points
	}
	return v, nil
}
