package board

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
