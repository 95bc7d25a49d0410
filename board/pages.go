package board

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/verify"
)

// pageData is what every page template sees: the snapshot and the page's
// own data in D.
type pageData struct {
	Snap  snapshot
	Title string
	// Path is the page's own path, for the links to its print and export.
	Path string
	D    any
}

func (b *Board) page(v *view, name, title, path string, d any) (*response, error) {
	return b.html(name, pageData{Snap: v.snap, Title: title, Path: path, D: d})
}

// decisionView is a proposal with its live turnout or its result, and the
// figures against the thresholds as bars.
type decisionView struct {
	Proposal
	Turnout abci.Turnout
	Result  *ProposalResult
	// PartArea and PartHeads are participation against two thirds;
	// AgreeArea and AgreeHeads agreement against a half or three quarters
	// of those who took part (after the close only).
	PartArea, PartHeads, AgreeArea, AgreeHeads Bar
	// Rows are the published rows after the close, and RowsPage and
	// RowsSheet their tables, rendered once.
	Rows                []Row
	RowsPage, RowsSheet template.HTML
}

func (d decisionView) IsPoll() bool { return d.Kind == abci.KindPoll }

func (b *Board) decision(v *view, p Proposal) (decisionView, error) {
	d := decisionView{Proposal: p}
	if p.Status == abci.StatusClosed {
		c, err := b.closedResult(v, p)
		if err != nil || c == nil {
			return d, err
		}
		d.Result, d.Rows, d.RowsPage, d.RowsSheet = c.res, c.rows, c.page, c.sheet
		if tl := c.res.Tally; tl != nil {
			d.PartArea, d.PartHeads = bar(tl.AP, tl.ATot, 2, 3, false), bar(tl.NP, tl.NTot, 2, 3, false)
			if p.Class == tx.ClassSpecial {
				d.AgreeArea, d.AgreeHeads = bar(tl.AY, tl.AP, 3, 4, false), bar(tl.NY, tl.NP, 3, 4, false)
			} else {
				d.AgreeArea, d.AgreeHeads = bar(tl.AY, tl.AP, 1, 2, true), bar(tl.NY, tl.NP, 1, 2, true)
			}
		}
		return d, nil
	}
	var err error
	if d.Turnout, err = v.turnout(p.ID); err != nil {
		return d, err
	}
	t := d.Turnout
	d.PartArea, d.PartHeads = bar(t.AreaVoted, t.AreaTotal, 2, 3, false), bar(t.HeadsVoted, t.HeadsTotal, 2, 3, false)
	return d, nil
}

func (b *Board) home(v *view, r *http.Request) (*response, error) {
	list, err := v.proposals()
	if err != nil {
		return nil, err
	}
	var open []decisionView
	for _, p := range list {
		if p.Phase == "voting" || p.Phase == "noticed" || p.Phase == "closing" {
			d, err := b.decision(v, p)
			if err != nil {
				return nil, err
			}
			open = append(open, d)
		}
	}
	var notices []abci.Announcement
	if err := v.must("announcements", &notices); err != nil {
		return nil, err
	}
	notices = notices[:min(3, len(notices))]
	month := abci.FormatMonth(abci.MonthOf(v.snap.BlockTime))
	var sums []abci.MonthSummary
	if err := v.must("accounts/monthly/"+month, &sums); err != nil {
		return nil, err
	}
	return b.page(v, "home", v.snap.Community+" 公示栏", "/", struct {
		Open    []decisionView
		Notices []abci.Announcement
		Month   abci.MonthSummary
	}{open, notices, sums[0]})
}

func (b *Board) decisions(v *view, r *http.Request) (*response, error) {
	list, err := v.proposals()
	if err != nil {
		return nil, err
	}
	return b.page(v, "decisions", "表决和投票", "/decisions", list)
}

// proposalID reads the {id} of a path; a bad one is a 404.
func (v *view) proposalByID(r *http.Request) (Proposal, error) {
	var p Proposal
	id, err := strconv.ParseUint(strings.TrimSuffix(r.PathValue("id"), ".json"), 10, 64)
	if err != nil || id == 0 {
		return p, errNotFound
	}
	found, err := v.query(fmt.Sprintf("proposals/%d", id), &p)
	if err == nil && !found {
		err = errNotFound
	}
	return p, err
}

// decisionOf is the proposal or poll the request's path names, with its
// view.
func (b *Board) decisionOf(v *view, r *http.Request) (Proposal, decisionView, error) {
	p, err := v.proposalByID(r)
	if err != nil {
		return p, decisionView{}, err
	}
	d, err := b.decision(v, p)
	return p, d, err
}

func (b *Board) proposal(v *view, r *http.Request) (*response, error) {
	p, d, err := b.decisionOf(v, r)
	if err != nil {
		return nil, err
	}
	return b.page(v, "proposal", p.Title, r.URL.Path, d)
}

// Row is one published row of a result, as pages and exports show it:
// unit numbers, areas and opaque owner labels, never names or addresses.
type Row struct {
	Unit     string `json:"unit"`
	Building string `json:"building,omitempty"`
	AreaM2   string `json:"area_m2,omitempty"`
	Owner    string `json:"owner,omitempty"`
	Choice   string `json:"choice"`
	// Channel is how the counted ballot came: chat, paper or proxy.
	Channel string `json:"channel,omitempty"`
	Height  int64  `json:"height,omitempty"`
	TxHash  string `json:"tx_hash,omitempty"`
}

func rows(res *ProposalResult) []Row {
	out := make([]Row, 0, len(res.Rows))
	for _, r := range res.Rows {
		row := Row{Unit: r.Unit, Building: r.Building, Owner: r.Owner, Choice: r.Choice, Channel: r.Channel, Height: r.Height, TxHash: r.TxHash}
		if r.Area > 0 {
			row.AreaM2 = strings.TrimSuffix(area(r.Area), " m²")
		}
		out = append(out, row)
	}
	return out
}

func (b *Board) rowsExport(v *view, r *http.Request) (*response, error) {
	p, d, err := b.decisionOf(v, r)
	if err != nil {
		return nil, err
	}
	if d.Result == nil {
		return nil, errNotFound // nothing is published before the close
	}
	name := fmt.Sprintf("proposal-%d-rows", p.ID)
	rs := d.Rows
	if strings.HasSuffix(r.URL.Path, ".json") {
		return jsonExport(name, rs)
	}
	return csvExport(name, []string{"unit", "building", "area_m2", "owner", "choice", "height", "tx_hash", "channel"}, len(rs), func(i int) []string {
		x := rs[i]
		return []string{x.Unit, x.Building, x.AreaM2, x.Owner, x.Choice, height(x.Height), x.TxHash, x.Channel}
	})
}

func height(h int64) string {
	if h == 0 {
		return ""
	}
	return strconv.FormatInt(h, 10)
}

func (b *Board) notices(v *view, r *http.Request) (*response, error) {
	var notices []abci.Announcement
	if err := v.must("announcements", &notices); err != nil {
		return nil, err
	}
	var repairs []abci.Repair
	if err := v.must("repairs", &repairs); err != nil {
		return nil, err
	}
	type count struct {
		Kind, Status string
		N            int
	}
	var counts []count
	for _, rp := range repairs {
		i := slices.IndexFunc(counts, func(c count) bool { return c.Kind == rp.Kind && c.Status == rp.Status })
		if i < 0 {
			counts = append(counts, count{rp.Kind, rp.Status, 0})
			i = len(counts) - 1
		}
		counts[i].N++
	}
	slices.SortFunc(counts, func(a, b count) int { return strings.Compare(a.Kind+"/"+a.Status, b.Kind+"/"+b.Status) })
	var points []abci.UnitPoints
	if err := v.must("points", &points); err != nil {
		return nil, err
	}
	return b.page(v, "notices", "公告、报修和积分", "/notices", struct {
		Notices []abci.Announcement
		Repairs []count
		Total   int
		Points  []abci.UnitPoints
	}{notices, counts, len(repairs), points})
}

// txView is what the receipt page shows of a committed transaction.
type txView struct {
	Hash    string
	Type    string
	Height  int64
	Time    int64
	Code    uint32
	Message string
	Events  []eventView
	// Checks are the lines of verify's report, when the board has a
	// node to check against; Checked says whether every step passed, and
	// Early that the only failure is the next block not being made yet.
	Checks  []string
	Checked bool
	Early   bool
}

type eventView struct {
	Type  string
	Attrs []attrView
}

type attrView struct{ Key, Value string }

// privateKeys are event attributes that carry an address or a key.
var privateKeys = []string{"signer", "nonce", "admin", "address", "mediator", "member", "recorder", "by", "author", "filer", "pub_key", "parties"}

// private reports whether an attribute would show an address or a public
// key: by its key, or by its value's shape (40 or 64 hex digits).
func private(k, val string) bool {
	if slices.Contains(privateKeys, k) {
		return true
	}
	if n := len(val); n == 40 || n == 64 {
		return strings.Trim(val, "0123456789abcdef") == ""
	}
	return false
}

func (b *Board) tx(v *view, r *http.Request) (*response, error) {
	hash := strings.ToLower(r.PathValue("hash"))
	if !isHash(hash) {
		return nil, errNotFound
	}
	info, err := v.ledger.Tx(v.ctx, hash)
	if errors.Is(err, ledger.ErrTxNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if info.Height > v.snap.Height {
		v.stale = true // committed after the snapshot: read again
	}
	tv := txView{Hash: hash, Height: info.Height, Time: info.Time.Unix(), Code: info.Code}
	if t, err := tx.Decode(info.Tx); err == nil {
		tv.Type = string(t.Type)
	}
	if info.Code != 0 {
		tv.Message = b.codes.CodeMessage(info.Code, abci.Code(info.Code).String())
	}
	for _, e := range info.Events {
		if e.Type == "tx" {
			continue // type, signer and nonce: the type is shown above
		}
		ev := eventView{Type: e.Type}
		for _, a := range e.Attributes {
			if !private(a.Key, a.Value) && a.Value != "" {
				ev.Attrs = append(ev.Attrs, attrView{a.Key, a.Value})
			}
		}
		tv.Events = append(tv.Events, ev)
	}
	if b.VerifyNode != "" {
		tv.Checks, tv.Checked, tv.Early = b.verifyLines(v.ctx, hash)
	}
	return b.page(v, "tx", "回执 "+short(hash), r.URL.Path, tv)
}

// verifyLines runs verify's checks of a receipt against the board's own
// node and renders one line per step in the words linli verify prints.
func (b *Board) verifyLines(ctx context.Context, hash string) (lines []string, ok, early bool) {
	rep := verify.Check(ctx, hash, verify.Options{Node: b.VerifyNode, NextBlock: 2 * time.Second})
	for _, s := range rep.Steps {
		if s.Node == b.VerifyNode {
			s.Node = "board" // said as 公示栏的节点: its address is internal
		}
		line, err := b.codes.Render("verify.step."+s.Name, s)
		if err != nil {
			b.Logger.Error("board: render a verify step", "step", s.Name, "err", err)
			continue
		}
		lines = append(lines, line)
	}
	failed, _ := rep.Failed()
	return lines, rep.OK(), failed.Reason == verify.ReasonNextBlock
}
