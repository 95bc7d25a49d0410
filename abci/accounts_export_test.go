package abci

// SeedLedgerBalance sets an account's balance straight in committed state,
// so tests can reach the ledger's bounds without millions of entries. Only
// tests may do this.
func SeedLedgerBalance(a *App, account string, balance int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := newCache(storeReader{a.store})
	acct, _ := get[LedgerAccount](c, keyLedgerAccount(account))
	acct.Balance = balance
	put(c, keyLedgerAccount(account), acct)
	if err := a.store.Commit(Block{Height: a.height, AppHash: a.appHash, Time: a.blockTime}, c.sorted()); err != nil {
		return err
	}
	a.loadCommitted()
	return nil
}
