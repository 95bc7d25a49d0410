package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/config"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
	"github.com/linli-community/linli/templates"
)

// clientFlags are the flags of every command that talks to a node.
type clientFlags struct {
	home *string
	node *string
}

func addClientFlags(fs *flag.FlagSet) clientFlags {
	return clientFlags{
		home: homeFlag(fs),
		node: fs.String("node", "", "node RPC URL (default: client.node in linli.toml, else this home's node)"),
	}
}

// client is a connection to a node plus the settings of the home.
type client struct {
	home home
	conf config.Config
	lc   *ledger.Client
}

func (f clientFlags) dial() (*client, error) {
	h := home(*f.home)
	conf, url, err := f.nodeURL()
	if err != nil {
		return nil, err
	}
	lc, err := ledger.Dial(url)
	if err != nil {
		return nil, err
	}
	return &client{home: h, conf: conf, lc: lc}, nil
}

// nodeURL returns the home's config and the node to talk to: --node,
// else client.node in linli.toml, else the home's own node.
func (f clientFlags) nodeURL() (config.Config, string, error) {
	h := home(*f.home)
	conf, err := config.Load(h.linliConfig())
	if err != nil {
		return config.Config{}, "", err
	}
	url := *f.node
	if url == "" {
		url = conf.Client.Node
	}
	if url == "" {
		url = node.DefaultRPCListen
		if h.exists() {
			nc, err := node.LoadConfig(string(h))
			if err != nil {
				return config.Config{}, "", err
			}
			url = nc.RPC.ListenAddress
		}
	}
	return conf, url, nil
}

// query runs a query and decodes its JSON answer into v. A non-zero code
// becomes a *queryError.
func (c *client) query(ctx context.Context, path string, v any) error {
	res, err := c.lc.Query(ctx, path)
	if err != nil {
		return err
	}
	if res.Code != 0 {
		return &queryError{Code: abci.Code(res.Code), Log: res.Log}
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(res.Value, v)
}

type queryError struct {
	Code abci.Code
	Log  string
}

func (e *queryError) Error() string {
	return templates.MustLoad().CodeMessage(uint32(e.Code), e.Code.String()) + " (" + e.Log + ")"
}

// signer returns the key a command signs with: the home's admin key, or
// with as = "CHANNEL:USER" the custodial key of that chat user.
func (c *client) signer(as string) (ed25519.PrivateKey, error) {
	if as == "" {
		k, err := keys.Load(c.home.adminKey())
		if err != nil {
			return nil, fmt.Errorf("%w (the admin key lives in the home; use --home)", err)
		}
		return k, nil
	}
	channel, user, ok := strings.Cut(as, ":")
	if !ok || channel == "" || user == "" {
		return nil, fmt.Errorf("--as wants CHANNEL:USER, got %q", as)
	}
	secret, err := keys.LoadMasterSecret(c.home.masterSecret())
	if err != nil {
		return nil, err
	}
	return keys.Derive(secret, channel, user)
}

// nextNonce returns the nonce the signer's next tx must carry.
func (c *client) nextNonce(ctx context.Context, a tx.Address) (uint64, error) {
	var m abci.MemberView
	err := c.query(ctx, "members/"+string(a), &m)
	var qe *queryError
	if errors.As(err, &qe) && qe.Code == abci.CodeQueryNotFound {
		return 1, nil
	}
	if err != nil {
		return 0, err
	}
	return m.Nonce + 1, nil
}

// submit signs body with key, submits it and waits for its commit up to
// the configured commit timeout. A member.bind's code becomes its proof
// first (ledger.Client.ProveBind).
func (c *client) submit(ctx context.Context, key ed25519.PrivateKey, body tx.Body) (ledger.Receipt, error) {
	var chain abci.ChainInfo
	if err := c.query(ctx, "chain", &chain); err != nil {
		return ledger.Receipt{}, err
	}
	nonce, err := c.nextNonce(ctx, keys.Address(key))
	if err != nil {
		return ledger.Receipt{}, err
	}
	if body, err = c.lc.ProveBind(ctx, chain.ChainID, keys.Address(key), body); err != nil {
		return ledger.Receipt{}, err
	}
	t := tx.New(chain.ChainID, nonce, body)
	t.Sign(key)
	wctx, cancel := context.WithTimeout(ctx, c.conf.Client.CommitTimeout)
	defer cancel()
	return c.lc.Submit(wctx, t.Encode())
}

// submitMany signs bodies with consecutive nonces, hands them all to the
// node's mempool in order, then waits for each commit, so that they share
// blocks instead of taking one block each. It returns the receipts of the
// txs it got to: after a tx that CheckTx rejects (its receipt, Height 0, is
// the last one) nothing more is sent, and a tx still pending when the
// commit timeout ends returns ledger.ErrPending with its receipt.
// committed, if not nil, is called with each tx's index once it is
// committed.
func (c *client) submitMany(ctx context.Context, key ed25519.PrivateKey, bodies []tx.Body, committed func(int)) ([]ledger.Receipt, error) {
	var chain abci.ChainInfo
	if err := c.query(ctx, "chain", &chain); err != nil {
		return nil, err
	}
	nonce, err := c.nextNonce(ctx, keys.Address(key))
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, c.conf.Client.CommitTimeout)
	defer cancel()
	var sent []ledger.Receipt
	for i, b := range bodies {
		t := tx.New(chain.ChainID, nonce+uint64(i), b)
		t.Sign(key)
		r, err := c.lc.Broadcast(wctx, t.Encode())
		if err != nil {
			return sent, err
		}
		if r.Code != 0 {
			return append(sent, r), nil
		}
		sent = append(sent, r)
	}
	for i, r := range sent {
		if sent[i], err = c.lc.Wait(wctx, r.Hash); err != nil {
			return sent[:i+1], err
		}
		if committed != nil {
			committed(i)
		}
	}
	return sent, nil
}

// receiptJSON is how commands print a receipt.
type receiptJSON struct {
	Height  int64  `json:"height"`
	Hash    string `json:"hash"`
	Code    uint32 `json:"code"`
	Name    string `json:"name"`
	Log     string `json:"log,omitempty"`
	Message string `json:"message"`
	// Created names what the tx created: {"proposal": 3}.
	Created map[string]any `json:"created,omitempty"`
	Pending bool           `json:"pending,omitempty"`
}

// printReceipt prints r as JSON. A rejected or pending tx makes the command
// fail (errReported) after printing.
func printReceipt(env *Env, r ledger.Receipt, submitErr error) error {
	pending := errors.Is(submitErr, ledger.ErrPending)
	if submitErr != nil && !pending {
		return submitErr
	}
	code := abci.Code(r.Code)
	out := receiptJSON{Height: r.Height, Hash: r.Hash, Code: r.Code, Name: code.String(), Log: r.Log,
		Message: templates.MustLoad().CodeMessage(r.Code, code.String()), Pending: pending,
		Created: r.Created}
	if pending {
		out.Message = "已提交，尚未确认写入区块；稍后可用 linli query 或 /tx?hash=0x" + r.Hash + " 查看。"
	}
	printJSON(env, out)
	if pending || r.Code != 0 {
		return errReported
	}
	return nil
}

func printJSON(env *Env, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	env.Stdout.Write(buf.Bytes())
}
