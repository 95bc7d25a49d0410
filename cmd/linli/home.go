package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
)

// home is the layout of a linli home directory. CometBFT's own files
// (config/config.toml, genesis, node and validator keys, data/) sit beside
// linli's.
type home string

func (h home) path(parts ...string) string {
	return filepath.Join(append([]string{string(h)}, parts...)...)
}
func (h home) linliConfig() string  { return h.path("linli.toml") }
func (h home) adminKey() string     { return h.path("config", "admin_key.json") }
func (h home) masterSecret() string { return h.path("config", "master_secret") }
func (h home) genesis() string      { return h.path("config", "genesis.json") }
func (h home) appDB() string        { return h.path("data", "app.db") }

// exists reports whether the home has been initialised.
func (h home) exists() bool {
	_, err := os.Stat(h.genesis())
	return err == nil
}

// defaultHome is ~/.linli, or ./.linli when there is no home directory.
func defaultHome() string {
	if d, err := os.UserHomeDir(); err == nil {
		return filepath.Join(d, ".linli")
	}
	return ".linli"
}

// homeFlag adds --home to fs.
func homeFlag(fs *flag.FlagSet) *string {
	return fs.String("home", defaultHome(), "linli home directory")
}

var errNoHome = errors.New("no linli home here: run `linli init` (or `linli start`, which initialises an empty home)")
