package abci

import "strings"

// StateExceptNonces returns every committed key and value but the signers'
// nonces (which a rejected tx in a block still uses up), so that a test can
// check that a refused tx changed nothing else.
func StateExceptNonces(a *App) map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]string{}
	storeReader{a.store}.scan("", func(k string, v []byte) bool {
		if !strings.HasPrefix(k, "acct/") {
			out[k] = string(v)
		}
		return true
	})
	return out
}
