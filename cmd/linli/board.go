package main

import (
	"fmt"

	"github.com/linli-community/linli/board"
	"github.com/linli-community/linli/config"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/templates"
)

// startBoard serves the public notice board over client when [board] in
// linli.toml enables it, on listen (the config's address unless it is
// overridden, as the demo does with a free port), and prints its one
// line, 公示栏：URL. rpcURL is the node's RPC address, against which the
// receipt page runs linli verify's checks ("" leaves them out). stop
// shuts it down.
func startBoard(env *Env, conf config.Config, client *ledger.Client, rpcURL, listen string) (stop func() error, err error) {
	bc := conf.Board
	if !bc.Enabled {
		return func() error { return nil }, nil
	}
	if listen == "" {
		listen = bc.Listen
	}
	b, err := board.New(client, templates.MustLoad())
	if err != nil {
		return nil, err
	}
	b.VerifyNode = rpcURL
	srv := &board.Server{Listen: listen, Board: b}
	if err := srv.Open(); err != nil {
		return nil, err
	}
	b.PublicURL = bc.URL(srv.Addr())
	fmt.Fprintf(env.Stderr, "公示栏：%s\n", b.PublicURL)
	return srv.Close, nil
}
