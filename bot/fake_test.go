package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/templates"
)

// fakeLedger answers queries from a table and records what is submitted:
// the one hand-written stand-in for a chain, for tests of the engine's own
// logic. Conversations against a real node are in transcript_test.go.
type fakeLedger struct {
	mu      sync.Mutex
	answers map[string]any
	submits []tx.Body
	// submit decides a submission's outcome; nil commits it at the next
	// height with code 0.
	submit func(body tx.Body) (ledger.Receipt, error)
	height int64
	waits  map[string]ledger.Receipt
}

func newFakeLedger() *fakeLedger {
	return &fakeLedger{answers: map[string]any{
		"chain":  abci.ChainInfo{ChainID: "linli-fake", Community: "阳光花园"},
		"params": abci.DefaultParams(),
	}, height: 10, waits: map[string]ledger.Receipt{}}
}

func (l *fakeLedger) set(path string, v any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answers[path] = v
}

func (l *fakeLedger) Query(_ context.Context, path string) (ledger.QueryResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.answers[path]
	if !ok {
		return ledger.QueryResult{Code: uint32(abci.CodeQueryNotFound), Log: "not found"}, nil
	}
	if err, ok := v.(error); ok {
		return ledger.QueryResult{}, err
	}
	return ledger.QueryResult{Value: tx.Canonical(v), Height: l.height}, nil
}

func (l *fakeLedger) Submit(_ context.Context, u UserRef, body tx.Body) (ledger.Receipt, error) {
	l.mu.Lock()
	l.submits = append(l.submits, body)
	f := l.submit
	l.height++
	h := l.height
	l.mu.Unlock()
	if f != nil {
		return f(body)
	}
	sum := sha256.Sum256(tx.Canonical(body))
	return ledger.Receipt{Height: h, Hash: hex.EncodeToString(sum[:])}, nil
}

func (l *fakeLedger) Wait(_ context.Context, hash string) (ledger.Receipt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.waits[hash]
	if !ok {
		return ledger.Receipt{Hash: hash}, fmt.Errorf("%w: %s", ledger.ErrPending, hash)
	}
	return r, nil
}

func (l *fakeLedger) Address(u UserRef) (tx.Address, error) {
	sum := sha256.Sum256([]byte(u.Channel + "\x00" + u.ID))
	return tx.Address(hex.EncodeToString(sum[:20])), nil
}

func (l *fakeLedger) submitted() []tx.Body {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]tx.Body(nil), l.submits...)
}

// memSessions keeps sessions in memory.
type memSessions struct {
	mu sync.Mutex
	m  map[string]memSession
}

type memSession struct {
	state   []byte
	updated time.Time
}

func (s *memSessions) Get(_ context.Context, channel, user string) ([]byte, time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[channel+"/"+user]
	return v.state, v.updated, ok, nil
}

func (s *memSessions) Put(_ context.Context, channel, user string, state []byte, updated time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]memSession{}
	}
	s.m[channel+"/"+user] = memSession{append([]byte(nil), state...), updated}
	return nil
}

func (s *memSessions) Delete(_ context.Context, channel, user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, channel+"/"+user)
	return nil
}

// fixture is an engine over a fake ledger with a fixed clock, and a small
// community: unit 3-502 of owner O-7, one decision (1) and one poll (2)
// open for votes, one closed decision (3).
type fixture struct {
	t      *testing.T
	e      *Engine
	l      *fakeLedger
	s      *memSessions
	now    time.Time
	nowMu  sync.Mutex
	secret string
}

// fixedNow is the fixture's clock: 2026-03-10 10:00 in Beijing.
var fixedNow = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, l: newFakeLedger(), s: &memSessions{}, now: fixedNow}
	f.e = New(f.l, f.s, templates.MustLoad())
	f.e.Texts = &memTexts{}
	f.e.Now = func() time.Time {
		f.nowMu.Lock()
		defer f.nowMu.Unlock()
		return f.now
	}
	f.e.RateBurst = 1000
	f.e.Rand = strings.NewReader(strings.Repeat("\x07", 1000))
	now := fixedNow.Unix()
	dec := abci.Proposal{ID: 1, Kind: abci.KindDecision, Title: "使用维修资金更换3栋电梯", Text: "3栋两部电梯已运行18年，故障频繁。拟使用维修资金约46万元更换。",
		Class: tx.ClassOrdinary, Options: tx.DecisionOptions, NoticeAt: now - 20*day, VoteStart: now - day, VoteEnd: now + 6*day, Status: abci.StatusOpen}
	poll := abci.Proposal{ID: 2, Kind: abci.KindPoll, Title: "中秋活动定在哪天", Options: []string{"周六", "周日", "都可以"}, Multi: true,
		NoticeAt: now - day, VoteStart: now - day, VoteEnd: now + 2*day, Status: abci.StatusOpen}
	closed := abci.Proposal{ID: 3, Kind: abci.KindDecision, Title: "续聘物业公司", Class: tx.ClassOrdinary, Options: tx.DecisionOptions,
		NoticeAt: now - 40*day, VoteStart: now - 25*day, VoteEnd: now - 18*day, Status: abci.StatusClosed, Outcome: abci.OutcomePassed, ClosedHeight: 5}
	f.l.set("proposals", []proposalView{{dec, phaseVoting}, {poll, phaseVoting}, {closed, phaseClosed}})
	f.l.set("proposals/1", proposalView{dec, phaseVoting})
	f.l.set("proposals/2", proposalView{poll, phaseVoting})
	f.l.set("proposals/3", proposalView{closed, phaseClosed})
	f.l.set("proposals/1/turnout", abci.Turnout{Proposal: 1, HeadsVoted: 40, HeadsTotal: 118, AreaVoted: 380000, AreaTotal: 1100000, MissingHeads: 39, MissingArea: 353334})
	f.l.set("proposals/2/turnout", abci.Turnout{Proposal: 2, HeadsVoted: 12})
	f.l.set("proposals/3/result", abci.Result{Proposal: 3, Kind: abci.KindDecision, Class: tx.ClassOrdinary, Outcome: abci.OutcomePassed,
		Tally:  &abci.Tally{ATot: 1100000, NTot: 118, AP: 900000, NP: 95, AY: 700000, NY: 80},
		Counts: []abci.OptionCount{{Option: "同意", Votes: 80, Area: 700000}, {Option: "反对", Votes: 10, Area: 150000}, {Option: "弃权", Votes: 5, Area: 50000}}})
	f.l.set("units/3-502", struct {
		abci.Unit
		Members []abci.Member `json:"members"`
	}{abci.Unit{Unit: "3-502", Building: "3", Area: 8950, Owner: "O-7"}, []abci.Member{}})
	return f
}

// bind makes the chain know user as the owner member of 3-502, with roles.
func (f *fixture) bind(user string, roles ...string) {
	a, _ := f.l.Address(UserRef{Channel: "console", ID: user})
	if roles == nil {
		roles = []string{}
	}
	f.l.set("members/"+string(a), abci.MemberView{Address: a, Nonce: 1, Roles: roles, Unit: "3-502", Relation: tx.RelationOwner, Owner: "O-7"})
}

// admin makes the chain know user as an unbound admin.
func (f *fixture) admin(user string) {
	a, _ := f.l.Address(UserRef{Channel: "console", ID: user})
	f.l.set("members/"+string(a), abci.MemberView{Address: a, Roles: []string{tx.RoleAdmin}})
}

func (f *fixture) advance(d time.Duration) {
	f.nowMu.Lock()
	defer f.nowMu.Unlock()
	f.now = f.now.Add(d)
}

// say sends text as console user and returns the reply's text.
func (f *fixture) say(user, text string) string {
	f.t.Helper()
	r, err := f.e.Handle(context.Background(), &Request{Channel: "console", User: user, Text: text})
	if err != nil {
		f.t.Fatalf("Handle(%q): %v", text, err)
	}
	return r.Text()
}

// run sends each line and returns the last reply.
func (f *fixture) run(user string, lines ...string) string {
	f.t.Helper()
	var last string
	for _, l := range lines {
		last = f.say(user, l)
	}
	return last
}

// memTexts keeps private texts in memory, committed as a gateway would.
type memTexts struct {
	mu sync.Mutex
	n  int
	m  map[string][2]string // commitment -> text, nonce
}

func (p *memTexts) Keep(_ context.Context, text string, _ time.Time) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	nonce := make([]byte, tx.TextNonceSize)
	nonce[0] = byte(p.n)
	c := tx.TextCommitment(nonce, text)
	if p.m == nil {
		p.m = map[string][2]string{}
	}
	p.m[c] = [2]string{text, hex.EncodeToString(nonce)}
	return c, nil
}

func (p *memTexts) Get(_ context.Context, c string) (string, string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.m[c]
	return v[0], v[1], ok, nil
}
