package abci

// SeedMembers binds members straight into committed state, skipping the
// binding-code txs whose deliberately slow hash would make large tests
// and benchmarks take minutes. Only tests may do this.
func SeedMembers(a *App, members []Member) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := newCache(storeReader{a.store})
	for _, m := range members {
		put(c, keyMember(m.Address), m)
		c.set(keyUnitMember(m.Unit, m.Address), marker)
	}
	if err := a.store.Commit(Block{Height: a.height, AppHash: a.appHash, Time: a.blockTime}, c.sorted()); err != nil {
		return err
	}
	a.loadCommitted()
	return nil
}
