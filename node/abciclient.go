package node

import (
	"context"

	abcicli "github.com/cometbft/cometbft/abci/client"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtsync "github.com/cometbft/cometbft/libs/sync"
	"github.com/cometbft/cometbft/proxy"
)

// PreChecker is implemented by applications that can do part of CheckTx's
// work, such as checking a signature, before CometBFT's ABCI mutex is
// taken. Start calls PreCheckTx just before each CheckTx, from whichever
// goroutine submits the tx (an RPC request, a peer's gossip), so several
// run at once and beside FinalizeBlock. PreCheckTx must be safe for
// concurrent use and must not change what CheckTx answers: it can only
// make CheckTx faster.
type PreChecker interface {
	PreCheckTx(tx []byte)
}

// clientCreator returns CometBFT's local client creator for app (one mutex
// over every ABCI connection), with PreCheckTx called before CheckTx when
// app is a PreChecker.
func clientCreator(app abcitypes.Application) proxy.ClientCreator {
	pre, ok := app.(PreChecker)
	if !ok {
		return proxy.NewLocalClientCreator(app)
	}
	return &preCheckCreator{mtx: new(cmtsync.Mutex), app: app, pre: pre}
}

type preCheckCreator struct {
	mtx *cmtsync.Mutex
	app abcitypes.Application
	pre PreChecker
}

func (c *preCheckCreator) NewABCIClient() (abcicli.Client, error) {
	return &preCheckClient{Client: abcicli.NewLocalClient(c.mtx, c.app), pre: c.pre}, nil
}

// preCheckClient is a local client that calls PreCheckTx before taking its
// mutex for CheckTx.
type preCheckClient struct {
	abcicli.Client
	pre PreChecker
}

func (c *preCheckClient) CheckTxAsync(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcicli.ReqRes, error) {
	c.pre.PreCheckTx(req.Tx)
	return c.Client.CheckTxAsync(ctx, req)
}

func (c *preCheckClient) CheckTx(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	c.pre.PreCheckTx(req.Tx)
	return c.Client.CheckTx(ctx, req)
}
