package abci

import (
	"fmt"
	"strings"
	"testing"

	"github.com/linli-community/linli/abci/tx"
)

// lineMonthOf is the month of the tests' postings.
const lineMonthOf = 202603

// linesState is a ledger of n postings in each of accounts, in
// lineMonthOf: posting p of account k names entry k*n+p+1.
func linesState(n int, accounts ...string) map[string][]byte {
	state := map[string][]byte{}
	for k, a := range accounts {
		state[keyAccountMonth(a, lineMonthOf)] = tx.Canonical(AccountMonth{Account: a, Month: FormatMonth(lineMonthOf), Postings: int64(n)})
		for p := range int64(n) {
			id := uint64(k*n) + uint64(p) + 1
			state[keyEntry(id)] = fmt.Appendf(nil, `{"id":%d,"memo":"第%d笔"}`, id, id)
			state[keyPosting(a, lineMonthOf, p)] = tx.Canonical(PostingRef{Posting: id, Time: 1000 + int64(id), Entry: id, Delta: 10, Balance: 10 * (p + 1)})
		}
	}
	return state
}

// entriesAnswer is account's entries in lineMonthOf as snap answers them.
func entriesAnswer(snap Snapshot, account string) string {
	return string(postingsAnswer(storeReader{snap}, account, lineMonthOf, lineMonthOf))
}

// keptLines counts the lines c remembers for account.
func keptLines(c *readCache, account string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, l := range c.lines.months[lineMonth{account, lineMonthOf}] {
		if l != nil {
			n++
		}
	}
	return n
}

// TestAnswerLinesAcrossACommit answers an account's entries from
// snapshots taken before, during (both before and after the store
// applied the writes) and after a commit that rewrites an old entry and
// adds a posting: each answer must be its own height's, and memory is
// used and added to only at the cache's height with no commit under way.
// To see where memory is used, the remembered line of position 0 (which
// the commit does not touch) is replaced by a marked copy.
func TestAnswerLinesAcrossACommit(t *testing.T) {
	const n = 20
	s := newVerStore(linesState(n, "mgmt"))
	c := newReadCache(s, 1000, 0)
	want := func(h int64) string { return entriesAnswer(verSnapshot{s, h}, "mgmt") }
	check := func(label string, snap Snapshot, want string, kept int) {
		t.Helper()
		if got := entriesAnswer(snap, "mgmt"); got != want {
			t.Errorf("%s: the answer at %d is\n%s\nwant\n%s", label, snap.Block().Height, got, want)
		}
		if got := keptLines(c, "mgmt"); got != kept {
			t.Errorf("%s: %d lines remembered, want %d", label, got, kept)
		}
	}
	a, _ := c.Snapshot()
	check("cold", a, want(0), n)
	c.mu.Lock()
	real := string(c.lines.months[lineMonth{"mgmt", lineMonthOf}][0])
	marked := strings.Replace(real, `"memo"`, `"MARK"`, 1)
	c.lines.months[lineMonth{"mgmt", lineMonthOf}][0] = []byte(marked)
	c.mu.Unlock()
	mark := func(answer string) string {
		if !strings.Contains(answer, real) {
			t.Fatalf("the answer has no line %s", real)
		}
		return strings.Replace(answer, real, marked, 1)
	}
	check("warm", a, mark(want(0)), n)

	// Block 1 reverses entry 3 (position 2), rewriting it, and posts
	// entry 21 at position 20. It also rewrites the posting at position
	// 5, which the app never does, but a line must follow it as well.
	writes := []Write{
		{keyAccountMonth("mgmt", lineMonthOf), tx.Canonical(AccountMonth{Account: "mgmt", Month: FormatMonth(lineMonthOf), Postings: n + 1})},
		{keyEntry(3), []byte(`{"id":3,"memo":"第3笔","reversed_by":21}`)},
		{keyEntry(21), []byte(`{"id":21,"memo":"冲销第3笔"}`)},
		{keyPosting("mgmt", lineMonthOf, n), tx.Canonical(PostingRef{Posting: 21, Time: 2000, Entry: 21, Delta: -10, Balance: 10 * (n - 1)})},
		{keyPosting("mgmt", lineMonthOf, 5), tx.Canonical(PostingRef{Posting: 6, Time: 1006, Entry: 6, Delta: 10, Balance: 999})},
	}
	before, after := newGate(), newGate()
	s.beforeApply, s.afterApply = before.pass, after.pass
	done := make(chan error)
	go func() { done <- c.Commit(Block{Height: 1}, writes) }()

	<-before.reached // the lines of entry 3 and position 5 are forgotten; the store is at 0
	check("the commit begun", a, want(0), n-2)
	b, _ := c.Snapshot()
	check("the commit begun, a new snapshot", b, want(0), n-2)
	close(before.release)

	<-after.reached // the store is at 1, the cache still at 0
	d, _ := c.Snapshot()
	if d.Block().Height != 1 {
		t.Fatalf("snapshot during the commit at %d, want 1", d.Block().Height)
	}
	if !strings.Contains(want(1), "reversed_by") || !strings.Contains(want(1), `"balance":999`) {
		t.Fatal("the commit changed nothing the answer shows: the test shows nothing")
	}
	check("the store committed", d, want(1), n-2)
	check("the store committed, a snapshot behind", a, want(0), n-2)
	close(after.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// After the commit the snapshots behind neither use nor add lines;
	// the one at the cache's height uses them and adds the three it built.
	check("after the commit, a snapshot behind", a, want(0), n-2)
	check("after the commit, another behind", b, want(0), n-2)
	check("after the commit, its height's snapshot", d, mark(want(1)), n+1)
	e, _ := c.Snapshot()
	check("after the commit, a new snapshot", e, mark(want(1)), n+1)
}

// TestAnswerLinesBuiltAcrossACommitAreNotKept has an answer at height 0
// read its entries from the store while a whole commit runs, which
// rewrites one of them: the lines it built are right for 0, so its answer
// is 0's, but they must not be remembered for 1.
func TestAnswerLinesBuiltAcrossACommitAreNotKept(t *testing.T) {
	const n = 20
	s := newVerStore(linesState(n, "mgmt"))
	c := newReadCache(s, 1000, 0)
	a, _ := c.Snapshot()
	read := newGate()
	s.afterScan = func(key string) {
		if strings.HasPrefix(key, prefixEntries) {
			s.afterScan = nil
			read.pass()
		}
	}
	got := make(chan string)
	go func() { got <- entriesAnswer(a, "mgmt") }()
	<-read.reached // the postings are read, the entries being read
	if err := c.Commit(Block{Height: 1}, []Write{{keyEntry(3), []byte(`{"id":3,"memo":"改过"}`)}}); err != nil {
		t.Fatal(err)
	}
	close(read.release)
	if g, w := <-got, entriesAnswer(verSnapshot{s, 0}, "mgmt"); g != w {
		t.Errorf("the answer at 0 is\n%s\nwant\n%s", g, w)
	}
	if k := keptLines(c, "mgmt"); k != 0 {
		t.Errorf("%d lines built at 0 were remembered at 1", k)
	}
	e, _ := c.Snapshot()
	if g, w := entriesAnswer(e, "mgmt"), entriesAnswer(verSnapshot{s, 1}, "mgmt"); g != w || !strings.Contains(g, "改过") {
		t.Errorf("the answer at 1 is\n%s\nwant\n%s", g, w)
	}
}

// TestAnswerLinesBounded: the memory keeps at most its bound of lines and
// of bytes, forgetting everything when a keep would pass either, and never
// keeps an answer larger than the bound; the answers stay right
// throughout, and the lines it keeps cannot be appended into.
func TestAnswerLinesBounded(t *testing.T) {
	const n = 20
	s := newVerStore(linesState(n, "mgmt", "public"))
	c := newReadCache(s, 1000, 0)
	c.lines = newAnswerLines(30, 1<<20)
	snap, _ := c.Snapshot()
	ask := func(account string) {
		t.Helper()
		if got, want := entriesAnswer(snap, account), entriesAnswer(verSnapshot{s, 0}, account); got != want {
			t.Errorf("%s: the answer is\n%s\nwant\n%s", account, got, want)
		}
	}
	ask("mgmt")
	if k := keptLines(c, "mgmt"); k != n {
		t.Fatalf("%d lines kept, want %d", k, n)
	}
	for _, l := range c.lines.months[lineMonth{"mgmt", lineMonthOf}] {
		if cap(l) != len(l) {
			t.Fatalf("a line of %d bytes kept with capacity %d", len(l), cap(l))
		}
	}
	ask("public") // 40 lines in all: the memory starts again
	if m, p := keptLines(c, "mgmt"), keptLines(c, "public"); m != 0 || p != n {
		t.Errorf("after passing the bound: %d lines of mgmt and %d of public kept, want 0 and %d", m, p, n)
	}
	if c.lines.lines != n {
		t.Errorf("the memory counts %d lines, want %d", c.lines.lines, n)
	}
	ask("mgmt")
	ask("public")

	// An answer larger than the bound is kept nowhere.
	c.lines = newAnswerLines(n-1, 1<<20)
	ask("mgmt")
	if c.lines.lines != 0 || keptLines(c, "mgmt") != 0 {
		t.Errorf("an answer of %d lines was kept by a memory of %d", n, n-1)
	}
	// Nor one larger than the bound of bytes.
	c.lines = newAnswerLines(1000, 500)
	ask("mgmt")
	ask("mgmt")
	if c.lines.lines != 0 || c.lines.bytes != 0 {
		t.Errorf("an answer of more than 500 bytes was kept: %d lines, %d bytes", c.lines.lines, c.lines.bytes)
	}
	c.lines = newAnswerLines(1000, 1<<20)
	ask("mgmt")
	if c.lines.bytes > len(entriesAnswer(snap, "mgmt")) || c.lines.bytes == 0 {
		t.Errorf("the memory counts %d bytes for an answer of %d", c.lines.bytes, len(entriesAnswer(snap, "mgmt")))
	}
}

// TestAnswerLinesFailedCommitForgets: after a commit the store refused,
// no line is kept or used.
func TestAnswerLinesFailedCommitForgets(t *testing.T) {
	s := newVerStore(linesState(5, "mgmt"))
	c := newReadCache(s, 1000, 0)
	snap, _ := c.Snapshot()
	entriesAnswer(snap, "mgmt")
	s.fail = true
	if err := c.Commit(Block{Height: 1}, []Write{{"other", []byte("x")}}); err == nil {
		t.Fatal("the failing commit succeeded")
	}
	if k := keptLines(c, "mgmt"); k != 0 {
		t.Errorf("%d lines kept after a failed commit", k)
	}
	entriesAnswer(snap, "mgmt")
	if k := keptLines(c, "mgmt"); k != 0 {
		t.Errorf("%d lines kept after a failed commit", k)
	}
}

// TestParseLineKeys reads back the keys keyPosting and keyEntry write,
// for every month a posting can have, and refuses other ledger keys.
func TestParseLineKeys(t *testing.T) {
	for _, want := range []linePlace{{lineMonth{"mgmt", 202603}, 0}, {lineMonth{"a_b-9", 197001}, 123456}, {lineMonth{"x", 1000001}, 1<<62 + 5}} {
		if got, ok := parsePostingKey(keyPosting(want.account, want.month, want.pos)); !ok || got != want {
			t.Errorf("parsePostingKey(%q) = %v %v, want %v", keyPosting(want.account, want.month, want.pos), got, ok, want)
		}
	}
	for _, id := range []uint64{0, 1, 987654321, 1<<64 - 1} {
		if got, ok := parseEntryKey(keyEntry(id)); !ok || got != id {
			t.Errorf("parseEntryKey(%q) = %d %v, want %d", keyEntry(id), got, ok, id)
		}
	}
	for _, key := range []string{keyAccountMonth("mgmt", 202603), prefixPostings("mgmt", 202603), keyPendingEntry(3), "ledger/entry/12", "ledger/post/mgmt"} {
		_, ok1 := parsePostingKey(key)
		_, ok2 := parseEntryKey(key)
		if ok1 || ok2 {
			t.Errorf("%q read as a posting (%v) or entry (%v) key", key, ok1, ok2)
		}
	}
}
