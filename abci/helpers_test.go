package abci_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/store"
)

const testChainID = "linli-test"

// genesisTime is where every test chain's clock starts.
var genesisTime = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// key returns a deterministic test key named by seed.
func key(seed string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte(seed))
	return ed25519.NewKeyFromSeed(s[:])
}

func addr(k ed25519.PrivateKey) tx.Address { return tx.AddressOf(k.Public().(ed25519.PublicKey)) }

// testChain drives an App block by block over a real SQLite file, the way
// CometBFT would: InitChain, then FinalizeBlock and Commit per block.
type testChain struct {
	tb     testing.TB
	dir    string
	store  *store.AppState
	app    *abci.App
	height int64
	time   time.Time
	nonces map[tx.Address]uint64
	admin  ed25519.PrivateKey
	// wrap, when set, is put between the app and its store.
	wrap func(abci.Store) abci.Store
}

func newChain(tb testing.TB) *testChain { return newChainWrapped(tb, nil) }

// newChainWrapped is newChain with wrap between the app and the store.
func newChainWrapped(tb testing.TB, wrap func(abci.Store) abci.Store) *testChain {
	tb.Helper()
	c := &testChain{tb: tb, dir: tb.TempDir(), time: genesisTime, nonces: map[tx.Address]uint64{}, admin: key("admin"), wrap: wrap}
	c.open()
	g := abci.GenesisState{Community: "阳光花园", Admins: []tx.Address{addr(c.admin)}, Params: abci.DefaultParams()}
	b, _ := json.Marshal(g)
	if _, err := c.app.InitChain(context.Background(), &abcitypes.RequestInitChain{
		ChainId: testChainID, InitialHeight: 1, AppStateBytes: b, Time: genesisTime,
	}); err != nil {
		tb.Fatalf("InitChain: %v", err)
	}
	return c
}

// open (re)opens the store and app from the chain's directory.
func (c *testChain) open() {
	c.tb.Helper()
	s, err := store.OpenAppState(filepath.Join(c.dir, "app.db"))
	if err != nil {
		c.tb.Fatalf("open store: %v", err)
	}
	c.tb.Cleanup(func() { s.Close() })
	var st abci.Store = s
	if c.wrap != nil {
		st = c.wrap(s)
	}
	app, err := abci.New(st)
	if err != nil {
		c.tb.Fatalf("new app: %v", err)
	}
	c.store, c.app = s, app
}

// sign builds, signs and encodes a tx from k with the next nonce. A bind
// that carries a code is first turned into its proof for the code issued
// by issueCode, as a client does.
func (c *testChain) sign(k ed25519.PrivateKey, body tx.Body) []byte {
	a := addr(k)
	if b, ok := body.(*tx.MemberBind); ok && b.Code != "" {
		salt := testSalt(b.Unit, b.Relation)
		sig := ed25519.Sign(codeKey(b.Code, salt), tx.BindProofMessage(testChainID, b.Unit, b.Relation, hex.EncodeToString(salt), a))
		body = &tx.MemberBind{Unit: b.Unit, Relation: b.Relation, Proof: hex.EncodeToString(sig)}
	}
	c.nonces[a]++
	t := tx.New(testChainID, c.nonces[a], body)
	t.Sign(k)
	return t.Encode()
}

// finalize runs FinalizeBlock for the next block (one second later)
// without committing it.
func (c *testChain) finalize(txs ...[]byte) *abcitypes.ResponseFinalizeBlock {
	c.tb.Helper()
	c.time = c.time.Add(time.Second)
	res, err := c.app.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{
		Height: c.height + 1, Time: c.time, Txs: txs,
	})
	if err != nil {
		c.tb.Fatalf("FinalizeBlock: %v", err)
	}
	return res
}

// block finalizes and commits the next block and returns its tx results.
func (c *testChain) block(txs ...[]byte) []*abcitypes.ExecTxResult {
	c.tb.Helper()
	res := c.finalize(txs...)
	if _, err := c.app.Commit(context.Background(), &abcitypes.RequestCommit{}); err != nil {
		c.tb.Fatalf("Commit: %v", err)
	}
	c.height++
	return res.TxResults
}

// mustOK commits txs in one block and fails unless all succeed.
func (c *testChain) mustOK(txs ...[]byte) {
	c.tb.Helper()
	for i, r := range c.block(txs...) {
		if r.Code != 0 {
			c.tb.Fatalf("tx %d: code %d (%s): %s", i, r.Code, abci.Code(r.Code), r.Log)
		}
	}
}

// code commits one tx in its own block and returns its result code.
func (c *testChain) code(t []byte) abci.Code {
	c.tb.Helper()
	return abci.Code(c.block(t)[0].Code)
}

// check runs CheckTx.
func (c *testChain) check(t []byte) abci.Code {
	c.tb.Helper()
	res, err := c.app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: t})
	if err != nil {
		c.tb.Fatalf("CheckTx: %v", err)
	}
	return abci.Code(res.Code)
}

// query runs an ABCI query and decodes a successful answer into v.
func (c *testChain) query(path string, v any) abci.Code {
	c.tb.Helper()
	res, err := c.app.Query(context.Background(), &abcitypes.RequestQuery{Path: path})
	if err != nil {
		c.tb.Fatalf("Query: %v", err)
	}
	if res.Code == 0 && v != nil {
		if err := json.Unmarshal(res.Value, v); err != nil {
			c.tb.Fatalf("decode %s: %v", path, err)
		}
	}
	return abci.Code(res.Code)
}

// appHash returns the last committed app hash.
func (c *testChain) appHash() []byte {
	c.tb.Helper()
	info, err := c.app.Info(context.Background(), &abcitypes.RequestInfo{})
	if err != nil {
		c.tb.Fatalf("Info: %v", err)
	}
	return info.LastBlockAppHash
}

func units(specs ...tx.UnitSpec) *tx.UnitRegister { return &tx.UnitRegister{Units: specs} }

func unit(n, building string, area int64, owner string) tx.UnitSpec {
	return tx.UnitSpec{Unit: n, Building: building, Area: area, Owner: owner}
}

// issueCode has the admin issue code for unit and relation, valid for a
// day, with the salt testSalt gives.
func (c *testChain) issueCode(unit, relation, code string) []byte {
	salt := testSalt(unit, relation)
	v := tx.BindVerifier{Salt: hex.EncodeToString(salt), PublicKey: hex.EncodeToString(codeKey(code, salt).Public().(ed25519.PublicKey))}
	return c.sign(c.admin, &tx.BindCodeIssue{Unit: unit, Relation: relation, BindVerifier: v, ExpiresAt: c.time.Unix() + 86400})
}

// testSalt is the salt of every test code of a unit and relation, so that
// sign can prove a code without asking the chain.
func testSalt(unit, relation string) []byte {
	s := sha256.Sum256([]byte(unit + "/" + relation))
	return s[:tx.BindCodeSaltSize]
}

// codeKeys caches tx.BindCodeKey, which is slow on purpose.
var codeKeys sync.Map

func codeKey(code string, salt []byte) ed25519.PrivateKey {
	id := code + "/" + string(salt)
	if k, ok := codeKeys.Load(id); ok {
		return k.(ed25519.PrivateKey)
	}
	k := tx.BindCodeKey(code, salt)
	codeKeys.Store(id, k)
	return k
}

func queryReq(path string) *abcitypes.RequestQuery { return &abcitypes.RequestQuery{Path: path} }
