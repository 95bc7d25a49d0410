package abci

import (
	"strconv"
)

// queryGovernance answers:
//
//	proposals                     every proposal and poll, with its phase
//	proposals/ID                  one of them
//	proposals/ID/turnout          live participation: heads and area voted, not how
//	proposals/ID/result           the published result and per-unit rows, once closed
//	proposals/ID/sheets..., proposals/ID/notvoted
//	                              paper ballot sheets and who has not voted (see querySheets)
//	proposals/ID/proof/OWNER      an owner's counted ballot and the tally with their Merkle proofs (proof.go)
//	ballots/ID/OWNER              an owner's current ballot on decision ID
//	meetings, meetings/ID         requests for an extraordinary owners' meeting
//
// now is the last block time, which decides each proposal's phase.
func queryGovernance(r reader, parts []string, now int64) (any, *Error) {
	switch {
	case len(parts) == 1 && parts[0] == "proposals":
		list := []proposalView{}
		r.scan("proposal/", func(k string, b []byte) bool {
			p := decode[Proposal](k, b)
			p.Text = "" // the list stays short; proposals/ID has the text
			list = append(list, proposalView{p, p.Phase(now)})
			return true
		})
		return list, nil
	case len(parts) == 1 && parts[0] == "meetings":
		list := []Meeting{}
		r.scan("meeting/", func(k string, b []byte) bool {
			list = append(list, decode[Meeting](k, b))
			return true
		})
		return list, nil
	case len(parts) == 2 && parts[0] == "meetings":
		m, ok := get[Meeting](r, keyMeeting(parts[1]))
		if !ok {
			return nil, reject(CodeQueryNotFound, "no meeting request %s", parts[1])
		}
		return m, nil
	}
	if len(parts) < 2 {
		return nil, reject(CodeQueryBad, "unknown query path")
	}
	id, err := strconv.ParseUint(parts[1], 10, 64)
	if err != nil {
		return nil, reject(CodeQueryBad, "%q is not a proposal number", parts[1])
	}
	p, ok := getProposal(r, id)
	if !ok {
		return nil, reject(CodeQueryNotFound, "no proposal %d", id)
	}
	switch {
	case parts[0] == "proposals" && len(parts) == 2:
		return proposalView{p, p.Phase(now)}, nil
	case parts[0] == "proposals" && len(parts) >= 3 && (parts[2] == "sheets" || parts[2] == "notvoted"):
		return querySheets(r, p, parts[2:])
	case parts[0] == "proposals" && len(parts) == 3 && parts[2] == "turnout":
		return turnout(r, p), nil
	case parts[0] == "proposals" && len(parts) == 3 && parts[2] == "result":
		res, ok := get[Result](r, keyResult(id))
		if !ok {
			return nil, reject(CodeQueryNotFound, "proposal %d is not closed (phase %s)", id, p.Phase(now))
		}
		rows := []ResultRow{}
		r.scan(prefixResultRows(id), func(k string, b []byte) bool {
			rows = append(rows, decode[ResultRow](k, b))
			return true
		})
		return struct {
			Result
			Rows []ResultRow `json:"rows"`
		}{res, rows}, nil
	case parts[0] == "proposals" && len(parts) == 4 && parts[2] == "proof":
		return queryBallotProof(r, p, parts[3])
	case parts[0] == "ballots" && len(parts) == 3:
		b, ok := get[Ballot](r, keyBallot(id, parts[2]))
		if !ok {
			return nil, reject(CodeQueryNotFound, "owner %s has no ballot on %d", parts[2], id)
		}
		return b, nil
	}
	return nil, reject(CodeQueryBad, "unknown query path")
}

type proposalView struct {
	Proposal
	Phase string `json:"phase"`
}

// Turnout is live participation while voting runs: who has voted, never
// how. For polls only the number of votes is counted.
type Turnout struct {
	Proposal   uint64 `json:"proposal"`
	HeadsVoted int64  `json:"heads_voted"`
	HeadsTotal int64  `json:"heads_total"`
	AreaVoted  int64  `json:"area_voted"`
	AreaTotal  int64  `json:"area_total"`
	// MissingHeads and MissingArea (0.01 m²) are what participation still
	// lacks to reach two thirds of the heads and of the area; 0 once
	// reached, and on polls.
	MissingHeads int64 `json:"missing_heads"`
	MissingArea  int64 `json:"missing_area"`
}

func turnout(r reader, p Proposal) Turnout {
	t := Turnout{Proposal: p.ID}
	if p.Kind == KindPoll {
		t.HeadsVoted = int64(countPrefix(r, prefixPollVotes(p.ID)))
		return t
	}
	e := electorate(r, p.Buildings)
	t.HeadsTotal, t.AreaTotal = int64(len(e.Order)), e.Area
	for _, owner := range suffixes(r, prefixBallots(p.ID)) {
		if _, ok := e.Owners[owner]; ok {
			t.HeadsVoted++
			t.AreaVoted += e.ownerArea(owner)
		}
	}
	t.MissingHeads, t.MissingArea = QuorumShort(t.HeadsVoted, t.HeadsTotal), QuorumShort(t.AreaVoted, t.AreaTotal)
	return t
}
