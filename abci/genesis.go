package abci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/linli-community/linli/abci/tx"
)

// GenesisState is the app_state of genesis.json: who the community is,
// its first admins, and its parameters.
type GenesisState struct {
	Community string       `json:"community"`
	Admins    []tx.Address `json:"admins"`
	Params    Params       `json:"params"`
}

// Validate checks a genesis state before a chain starts from it.
func (g GenesisState) Validate() error {
	if g.Community == "" || len(g.Community) > 64 || !utf8.ValidString(g.Community) {
		return errors.New("community must be 1-64 bytes of UTF-8")
	}
	if len(g.Admins) == 0 {
		return errors.New("genesis must name at least one admin")
	}
	seen := map[tx.Address]bool{}
	for _, a := range g.Admins {
		if err := a.Validate(); err != nil {
			return fmt.Errorf("admin %q: %w", a, err)
		}
		if seen[a] {
			return fmt.Errorf("admin %s is listed twice", a)
		}
		seen[a] = true
	}
	return g.Params.Validate()
}

// ParseGenesis decodes app_state strictly: unknown fields are errors.
func ParseGenesis(b []byte) (GenesisState, error) {
	var g GenesisState
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return g, fmt.Errorf("genesis app_state: %w", err)
	}
	if err := g.Validate(); err != nil {
		return g, fmt.Errorf("genesis app_state: %w", err)
	}
	return g, nil
}

// writeGenesis stores the genesis state.
func writeGenesis(c *cache, chainID string, g GenesisState) {
	put(c, keyChain, ChainInfo{ChainID: chainID, Community: g.Community})
	put(c, keyParams, g.Params)
	for _, a := range g.Admins {
		c.set(keyRole(tx.RoleAdmin, a), marker)
	}
	writeGenesisAccounts(c, g.Params)
}
