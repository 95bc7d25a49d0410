package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/mempool"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/linli-community/linli/abci"
)

// DefaultPollInterval is how often Wait asks the node whether a transaction
// has been committed, unless Client.PollInterval says otherwise.
const DefaultPollInterval = 20 * time.Millisecond

// Timeouts of the HTTP client that Dial builds. Every call also ends with its
// context.
const (
	dialTimeout    = 5 * time.Second
	requestTimeout = 15 * time.Second
)

var (
	// ErrPending means that a transaction passed CheckTx but was not found
	// in a committed block before the context ended. The error returned
	// with it names the transaction's hash, and so does the Receipt; pass
	// the hash to Wait to learn the outcome later.
	ErrPending = errors.New("transaction not committed yet")

	// ErrUnreachable means that the node did not answer at all: nothing
	// listens at its address, or the connection failed.
	ErrUnreachable = errors.New("cannot reach linli node")
)

// Receipt is the outcome of a transaction. A Receipt with Height 0 and a
// non-zero Code is a transaction that CheckTx rejected and no block holds.
type Receipt struct {
	// Height is the block that committed the transaction.
	Height int64 `json:"height"`
	// Hash is the lowercase hex SHA-256 of the transaction bytes, the hash
	// CometBFT indexes it by.
	Hash string `json:"hash"`
	// Code and Log are the application's result: from FinalizeBlock for a
	// committed transaction, from CheckTx for a rejected one.
	Code uint32 `json:"code"`
	Log  string `json:"log"`
	// Created names what a committed transaction created, one key per
	// kind of record ("proposal", "poll", "entry", "item", …): numbered
	// records by their number, accounts and meeting requests by their
	// string id. It is nil when the transaction created nothing.
	Created map[string]any `json:"created,omitempty"`
	// Events are the events FinalizeBlock emitted for the transaction.
	Events []abcitypes.Event `json:"-"`
}

// QueryResult is the application's answer to an ABCI query.
type QueryResult struct {
	Code   uint32
	Log    string
	Value  []byte
	Height int64
}

// Decode decodes a successful answer into v. found is false when the
// answer is abci.CodeQueryNotFound; any other non-zero code is an error
// naming path.
func (r QueryResult) Decode(path string, v any) (found bool, err error) {
	switch abci.Code(r.Code) {
	case abci.CodeOK:
	case abci.CodeQueryNotFound:
		return false, nil
	default:
		return false, fmt.Errorf("query %s: code %d: %s", path, r.Code, r.Log)
	}
	if err := json.Unmarshal(r.Value, v); err != nil {
		return false, fmt.Errorf("query %s: %w", path, err)
	}
	return true, nil
}

// Client submits transactions to a node and queries it.
type Client struct {
	// PollInterval is how often Wait asks the node about a transaction.
	// New sets it to DefaultPollInterval.
	PollInterval time.Duration

	rpc  rpcclient.Client
	addr string       // names the node in errors
	http *http.Client // owned by the Client when Dial made it
}

// New returns a Client that talks to a node through c, such as the
// rpc/client/local client of an in-process node or an rpc/client/http one.
func New(c rpcclient.Client) *Client {
	addr := "(in process)"
	if h, ok := c.(*rpchttp.HTTP); ok {
		addr = h.Remote()
	}
	return &Client{PollInterval: DefaultPollInterval, rpc: c, addr: addr}
}

// Dial returns a Client for the node whose RPC listens at rawURL, such as
// "http://127.0.0.1:26657". CometBFT's "tcp://host:port" form and a bare
// "host:port" are accepted too. Dial does not connect: the first call does.
func Dial(rawURL string) (*Client, error) {
	addr, err := httpURL(rawURL)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			DisableCompression:  true, // as CometBFT's own client: no gzip bombs
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	rc, err := rpchttp.NewWithClient(addr, "/websocket", hc)
	if err != nil {
		return nil, fmt.Errorf("ledger: node address %q: %w", rawURL, err)
	}
	c := New(rc)
	c.addr = addr
	c.http = hc
	return c, nil
}

// httpURL turns the address forms Dial accepts into an http(s) URL.
func httpURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("ledger: node address %q: %w", raw, err)
	}
	switch u.Scheme {
	case "tcp":
		u.Scheme = "http"
	case "http", "https":
	default:
		return "", fmt.Errorf("ledger: node address %q: want http://host:port", raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("ledger: node address %q has no host", raw)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// Close releases the idle connections of a Client made by Dial. The Client
// must not be used afterwards.
func (c *Client) Close() error {
	if c.http != nil {
		c.http.CloseIdleConnections()
	}
	return nil
}

// Hash returns the hash that CometBFT indexes tx by: the lowercase hex
// SHA-256 of its bytes.
func Hash(tx []byte) string {
	sum := sha256.Sum256(tx)
	return hex.EncodeToString(sum[:])
}

// Submit broadcasts tx and waits until a block commits it. When CheckTx
// rejects tx, Submit returns a Receipt with Height 0 and CheckTx's code and
// log, and a nil error. When ctx ends before the commit, Submit returns an
// error wrapping ErrPending and a Receipt with only Hash set. Submitting a
// transaction that the node has already seen waits for that one.
func (c *Client) Submit(ctx context.Context, tx []byte) (Receipt, error) {
	r, err := c.Broadcast(ctx, tx)
	if err != nil || r.Code != abcitypes.CodeTypeOK {
		return r, err
	}
	return c.Wait(ctx, r.Hash)
}

// Broadcast hands tx to the node's mempool and returns after CheckTx,
// without waiting for a block: a Receipt with Height 0 and CheckTx's code
// and log. A transaction the node has already seen passes. Pass the
// Receipt's Hash to Wait for the outcome. A signer's transactions
// broadcast one after another to one node reach blocks in that order.
func (c *Client) Broadcast(ctx context.Context, tx []byte) (Receipt, error) {
	hash := Hash(tx)
	res, err := c.rpc.BroadcastTxSync(ctx, tx)
	switch {
	case err != nil && isTxInCache(err):
		// A resubmission: the first one is in the mempool or committed.
	case err != nil:
		return Receipt{Hash: hash}, c.wrap("broadcast tx "+hash, err)
	case res.Code != abcitypes.CodeTypeOK:
		return Receipt{Hash: hash, Code: res.Code, Log: res.Log}, nil
	}
	return Receipt{Hash: hash}, nil
}

// Wait polls the node's transaction index every PollInterval until a block
// has committed the transaction with the given hex hash, and returns its
// Receipt. When ctx ends first, Wait returns an error wrapping ErrPending
// and ctx's error, and a Receipt with only Hash set. A transaction that was
// never accepted, or that the mempool dropped, stays pending.
func (c *Client) Wait(ctx context.Context, hash string) (Receipt, error) {
	hash = strings.ToLower(hash)
	pending := Receipt{Hash: hash}
	key, err := hex.DecodeString(hash)
	if err != nil || len(key) != sha256.Size {
		return pending, fmt.Errorf("ledger: %q is not a transaction hash", hash)
	}
	interval := c.PollInterval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	notFound := fmt.Sprintf("tx (%X) not found", key) // rpc/core.Tx's words
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		res, err := c.rpc.Tx(ctx, key, false)
		if err == nil {
			return Receipt{
				Height:  res.Height,
				Hash:    hash,
				Code:    res.TxResult.Code,
				Log:     res.TxResult.Log,
				Events:  res.TxResult.Events,
				Created: Created(res.TxResult.Events),
			}, nil
		}
		if ctx.Err() != nil {
			return pending, fmt.Errorf("ledger: tx %s: %w (%w)", hash, ErrPending, ctx.Err())
		}
		if !strings.Contains(err.Error(), notFound) {
			return pending, c.wrap("look up tx "+hash, err)
		}
		timer.Reset(interval)
		select {
		case <-ctx.Done():
			return pending, fmt.Errorf("ledger: tx %s: %w (%w)", hash, ErrPending, ctx.Err())
		case <-timer.C:
		}
	}
}

// Created collects the records a transaction's events say it created
// (abci.EventCreated): kind to id, a number where the id is one.
func Created(events []abcitypes.Event) map[string]any {
	var m map[string]any
	for _, ev := range events {
		if ev.Type != abci.EventCreated {
			continue
		}
		for _, a := range ev.Attributes {
			if m == nil {
				m = make(map[string]any)
			}
			if n, err := strconv.ParseUint(a.Value, 10, 64); err == nil {
				m[a.Key] = n
			} else {
				m[a.Key] = a.Value
			}
		}
	}
	return m
}

// Query runs an ABCI query with the given path and no data, and returns the
// application's answer, whatever its code.
func (c *Client) Query(ctx context.Context, path string) (QueryResult, error) {
	return c.query(ctx, path, nil)
}

func (c *Client) query(ctx context.Context, path string, data []byte) (QueryResult, error) {
	res, err := c.rpc.ABCIQuery(ctx, path, data)
	if err != nil {
		return QueryResult{}, c.wrap("query "+path, err)
	}
	return QueryResult{
		Code:   res.Response.Code,
		Log:    res.Response.Log,
		Value:  res.Response.Value,
		Height: res.Response.Height,
	}, nil
}

// Status returns the height and app hash of the node's latest block.
func (c *Client) Status(ctx context.Context) (height int64, appHash []byte, err error) {
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return 0, nil, c.wrap("status", err)
	}
	return st.SyncInfo.LatestBlockHeight, st.SyncInfo.LatestAppHash, nil
}

// wrap names the node and the operation in err. Transport failures become
// ErrUnreachable with a hint for the operator.
func (c *Client) wrap(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("ledger: %s: %w", op, err)
	}
	if urlErr := (*url.Error)(nil); errors.As(err, &urlErr) {
		return fmt.Errorf("ledger: %w at %s: is `linli start` running? (%s: %w)", ErrUnreachable, c.addr, op, err)
	}
	return fmt.Errorf("ledger: linli node at %s: %s: %w", c.addr, op, err)
}

// isTxInCache reports whether the node refused a broadcast because it has
// seen the same transaction before. Over HTTP only the message survives.
func isTxInCache(err error) bool {
	return errors.Is(err, mempool.ErrTxInCache) || strings.Contains(err.Error(), mempool.ErrTxInCache.Error())
}

// ErrTxNotFound means that no committed block holds the transaction asked
// for (it may never have been sent, or is still in the mempool).
var ErrTxNotFound = errors.New("transaction not found")

// TxInfo is a committed transaction as its block holds it.
type TxInfo struct {
	Receipt
	// Tx is the transaction's bytes.
	Tx []byte
	// Time is the time of the block that committed it.
	Time time.Time
}

// Tx looks up the committed transaction with the given hex hash (either
// case) once, without waiting, and the time of its block. A hash that no
// block holds is ErrTxNotFound.
func (c *Client) Tx(ctx context.Context, hash string) (TxInfo, error) {
	hash = strings.ToLower(hash)
	key, err := hex.DecodeString(hash)
	if err != nil || len(key) != sha256.Size {
		return TxInfo{}, fmt.Errorf("ledger: %q is not a transaction hash", hash)
	}
	res, err := c.rpc.Tx(ctx, key, false)
	if err != nil {
		if strings.Contains(err.Error(), fmt.Sprintf("tx (%X) not found", key)) {
			return TxInfo{}, fmt.Errorf("ledger: tx %s: %w", hash, ErrTxNotFound)
		}
		return TxInfo{}, c.wrap("look up tx "+hash, err)
	}
	h, err := c.rpc.Header(ctx, &res.Height)
	if err != nil {
		return TxInfo{}, c.wrap(fmt.Sprintf("header %d", res.Height), err)
	}
	return TxInfo{
		Receipt: Receipt{Height: res.Height, Hash: hash, Code: res.TxResult.Code, Log: res.TxResult.Log, Events: res.TxResult.Events},
		Tx:      res.Tx,
		Time:    h.Header.Time,
	}, nil
}
