package abci_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

type chainView struct {
	Height    int64  `json:"height"`
	AppHash   string `json:"app_hash"`
	BlockTime int64  `json:"block_time"`
}

// TestIdleBlocksChangeNothing checks what lets an idle chain stop making
// blocks: an empty block with nothing due keeps the app hash, while the
// block time still reaches queries and CheckTx (it is kept beside the
// height, also across a restart), and a deadline falling due in an empty
// block still changes state.
func TestIdleBlocksChangeNothing(t *testing.T) {
	c := newChain(t)
	start := c.time.Add(time.Second)
	end := start.Add(24 * time.Hour)
	c.mustOK(c.sign(c.admin, &tx.PollOpen{Title: "中秋活动", Options: []string{"周五", "周六"}, VoteStart: start.Unix(), VoteEnd: end.Unix()}))
	busy := c.appHash()

	for range 3 {
		c.block()
		if got := c.appHash(); !bytes.Equal(got, busy) {
			t.Fatalf("empty block at height %d changed the app hash %x to %x", c.height, busy, got)
		}
	}
	var v chainView
	c.query("chain", &v)
	if v.Height != c.height || v.BlockTime != c.time.Unix() {
		t.Errorf("chain query after idle blocks = height %d time %d, want %d %d", v.Height, v.BlockTime, c.height, c.time.Unix())
	}

	c.store.Close()
	c.open()
	c.query("chain", &v)
	if v.Height != c.height || v.BlockTime != c.time.Unix() {
		t.Errorf("chain query after restart = height %d time %d, want %d %d", v.Height, v.BlockTime, c.height, c.time.Unix())
	}
	// CheckTx judges deadlines by the last block time, which must have
	// survived the restart: a decision whose voting starts one second
	// short of the notice period after it is refused, one on time is not.
	minNotice := abci.DefaultParams().MinNotice
	open := func(start int64) []byte {
		return c.sign(c.admin, &tx.ProposalOpen{Title: "续聘物业", Text: "合同到期，是否续聘", Class: tx.ClassOrdinary, NoticeAt: c.time.Unix() - 3600, VoteStart: start, VoteEnd: start + 86400})
	}
	if code := c.check(open(c.time.Unix() + minNotice - 1)); code != abci.CodeNoticeTooShort {
		t.Errorf("CheckTx of a decision one second short of notice after a restart = %v, want %v", code, abci.CodeNoticeTooShort)
	}
	c.nonces[addr(c.admin)]--
	if code := c.check(open(c.time.Unix() + minNotice)); code != abci.CodeOK {
		t.Errorf("CheckTx of a decision with exactly the notice period = %v, want OK", code)
	}

	c.at(end) // the next block is the first at or after the end
	c.block()
	closed := c.appHash()
	if bytes.Equal(closed, busy) {
		t.Fatal("the empty block in which the poll closes kept the app hash")
	}
	var p struct {
		Status string `json:"status"`
	}
	c.query("proposals/1", &p)
	if p.Status != abci.StatusClosed {
		t.Errorf("poll status after an empty block at its end = %q, want %q", p.Status, abci.StatusClosed)
	}
	c.block()
	if got := c.appHash(); !bytes.Equal(got, closed) {
		t.Errorf("empty block after the tally changed the app hash")
	}
}

// hookStore calls hook (once, when armed) on the first read of key or scan
// of prefix key, from the reading goroutine, through the store or any of
// its snapshots.
type hookStore struct {
	abci.Store
	key string

	mu    sync.Mutex
	armed bool
	hook  func()
}

func (s *hookStore) fire(key string) {
	s.mu.Lock()
	fire := s.armed && key == s.key
	if fire {
		s.armed = false
	}
	s.mu.Unlock()
	if fire {
		s.hook()
	}
}

func (s *hookStore) Get(key string) ([]byte, bool, error) {
	s.fire(key)
	return s.Store.Get(key)
}

func (s *hookStore) Scan(prefix string, fn func(string, []byte) bool) error {
	s.fire(prefix)
	return s.Store.Scan(prefix, fn)
}

func (s *hookStore) Snapshot() (abci.Snapshot, error) {
	snap, err := s.Store.Snapshot()
	if err != nil {
		return nil, err
	}
	return hookSnapshot{snap, s}, nil
}

type hookSnapshot struct {
	abci.Snapshot
	s *hookStore
}

func (h hookSnapshot) Get(key string) ([]byte, bool, error) {
	h.s.fire(key)
	return h.Snapshot.Get(key)
}

func (h hookSnapshot) Scan(prefix string, fn func(string, []byte) bool) error {
	h.s.fire(prefix)
	return h.Snapshot.Scan(prefix, fn)
}

// TestQueryAnswersFromOneHeight commits a block in the middle of a query
// that reads several keys: the answer must be the state of the height it
// reports, not half of one and half of the next.
func TestQueryAnswersFromOneHeight(t *testing.T) {
	hs := &hookStore{key: "ownerunit/O/"}
	c := newChainWrapped(t, func(s abci.Store) abci.Store { hs.Store = s; return hs })
	c.mustOK(c.sign(c.admin, units(unit("1-101", "1", 8000, "O"), unit("1-102", "1", 9000, "O"))))
	before := c.height

	// The owner query lists O's units, then reads each: as the list is
	// read, the next block changes the second unit's area.
	change := c.sign(c.admin, units(unit("1-102", "1", 9500, "O")))
	hs.mu.Lock()
	hs.armed, hs.hook = true, func() { c.mustOK(change) }
	hs.mu.Unlock()

	res, err := c.app.Query(t.Context(), queryReq("owners/O"))
	if err != nil || res.Code != 0 {
		t.Fatalf("query: %v %+v", err, res)
	}
	if c.height != before+1 {
		t.Fatalf("the hook did not commit a block during the query (height %d, want %d)", c.height, before+1)
	}
	want := map[int64]string{
		before:     `{"owner":"O","units":["1-101","1-102"],"area":17000}`,
		before + 1: `{"owner":"O","units":["1-101","1-102"],"area":17500}`,
	}
	if w, ok := want[res.Height]; !ok || string(res.Value) != w {
		t.Errorf("answer at height %d = %s, want %s (the state of that height)", res.Height, res.Value, w)
	}
	// The next query sees the new block.
	res, _ = c.app.Query(t.Context(), queryReq("owners/O"))
	if res.Height != before+1 || string(res.Value) != want[before+1] {
		t.Errorf("next answer = height %d %s, want %d %s", res.Height, res.Value, before+1, want[before+1])
	}
}
