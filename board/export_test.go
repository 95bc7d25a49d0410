package board

import "context"

// Yuan is yuan, for the tests that compare pages with the ledger.
var Yuan = yuan

// Area is area, for the same tests.
var Area = area

// Forget empties b's page cache, so that the next request renders.
func Forget(b *Board) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cache = map[string]*response{}
}

// OnRendered calls f after each render b keeps, with its height and path.
func OnRendered(b *Board, f func(height int64, path string)) { b.rendered = f }

// OnJoined calls f when a request waits for another's render of path.
func OnJoined(b *Board, f func(path string)) { b.joined = f }

// Kept returns the page b keeps for path, with the height it is kept for.
func Kept(b *Board, path string) (height int64, status int, body string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	res, ok := b.cache[path]
	if !ok {
		return b.height, 0, "", false
	}
	return b.height, res.status, string(res.body), true
}

// Prime renders what Warm renders once at start.
func Prime(b *Board, ctx context.Context) bool { return b.prime(ctx) }

// HotPaths is the pages Warm would render now.
func HotPaths(b *Board) []string { return b.hotPaths() }

// MemoSize is how many lines b remembers for its documents (memo.go).
func MemoSize(b *Board) int { return b.csvLines.size() + b.jsonLines.size() + b.sheetLines.size() }

// ForgetLines empties b's memos of lines, as a board just started has
// them.
func ForgetLines(b *Board) {
	b.csvLines.forget()
	b.jsonLines.forget()
	b.sheetLines.forget()
}
