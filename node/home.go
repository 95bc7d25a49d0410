package node

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"
	"github.com/spf13/viper"
)

// Defaults that InitHome writes into config.toml when HomeOptions leaves a
// field empty. Everything is bound to the loopback interface: an operator
// who wants peers or remote clients edits config.toml.
const (
	DefaultRPCListen        = "tcp://127.0.0.1:26657"
	DefaultP2PListen        = "tcp://127.0.0.1:26656"
	DefaultPrometheusListen = "127.0.0.1:26660"
	DefaultTimeoutCommit    = 500 * time.Millisecond
	// DefaultEmptyBlocksInterval is CometBFT's
	// consensus.create_empty_blocks_interval: how long an idle chain waits
	// before it makes an empty block. A block with txs comes at once, and
	// the app keeps its hash when a block changes nothing, so an idle
	// chain makes one block per interval instead of one per timeout_commit.
	// The interval bounds how late a deadline is tallied: a block's time
	// is that of the commit before it, so the first block whose time is
	// at or after a deadline comes at most two intervals (plus a commit)
	// after it, within 70 s at 30 s (README, "Blocks and deadlines").
	DefaultEmptyBlocksInterval = 30 * time.Second
)

// validatorPower is the voting power of the single genesis validator.
const validatorPower = DefaultValidatorPower

// DefaultValidatorPower is the voting power InitHome gives a validator, and
// a testnet gives each of its validators.
const DefaultValidatorPower = 10

// Paths of the files InitHome writes, relative to the home directory. They
// are CometBFT's defaults.
var (
	configFile       = filepath.Join(cfg.DefaultConfigDir, cfg.DefaultConfigFileName)
	genesisFile      = filepath.Join(cfg.DefaultConfigDir, cfg.DefaultGenesisJSONName)
	nodeKeyFile      = filepath.Join(cfg.DefaultConfigDir, cfg.DefaultNodeKeyName)
	privValKeyFile   = filepath.Join(cfg.DefaultConfigDir, cfg.DefaultPrivValKeyName)
	privValStateFile = filepath.Join(cfg.DefaultDataDir, cfg.DefaultPrivValStateName)
)

// HomeOptions are the choices InitHome makes for a new CometBFT home. Zero
// values select the defaults above; Prometheus is off unless set.
type HomeOptions struct {
	// Home is the directory to initialise. It is created if missing.
	Home string
	// ChainID names the chain; empty means "linli-" and 6 random hex digits.
	ChainID string
	// Moniker names this node; empty keeps CometBFT's default (the host name).
	Moniker string
	// AppState is copied verbatim into the genesis file's app_state.
	AppState json.RawMessage

	RPCListen     string
	P2PListen     string
	TimeoutCommit time.Duration
	// EmptyBlocksInterval is how long an idle chain waits before an empty
	// block (zero: DefaultEmptyBlocksInterval).
	EmptyBlocksInterval time.Duration
	Prometheus          bool
	PrometheusListen    string

	// GenesisTime is the chain's genesis time; zero means now.
	GenesisTime time.Time

	// Validators, when not empty, are the genesis validators instead of
	// this home's own priv validator key: several homes written with the
	// same Validators, ChainID, AppState and GenesisTime share one genesis
	// file, byte for byte.
	Validators []Validator
	// Genesis, when not empty, is an existing chain's genesis file, written
	// verbatim: the home joins that chain. ChainID, AppState, GenesisTime and
	// Validators are then ignored.
	Genesis []byte

	// PersistentPeers is CometBFT's p2p.persistent_peers, a comma-separated
	// list of ID@host:port (see PeerAddress).
	PersistentPeers string
	// LocalNetwork lets several nodes on one host peer with each other:
	// CometBFT's p2p.addr_book_strict off and p2p.allow_duplicate_ip on.
	LocalNetwork bool
	// MempoolSize is the mempool's capacity in txs; zero keeps CometBFT's
	// default (5000).
	MempoolSize int
	// NoIndexer turns CometBFT's tx indexer off ("null"); the default is
	// "kv", which receipts (tx?hash=) need.
	NoIndexer bool
}

// Validator is a genesis validator.
type Validator struct {
	PubKey crypto.PubKey
	Power  int64
	Name   string
}

// InitHome writes a CometBFT home under opts.Home like `cometbft init` does:
// config/config.toml, config/genesis.json, config/node_key.json,
// config/priv_validator_key.json and data/priv_validator_state.json. It never
// overwrites a file: files it wrote are listed in created and files that
// were already there in existing, both relative to opts.Home. Key files are
// written with mode 0600. The genesis file names the priv validator key
// (generated or found) as the only validator, with power 10, unless
// opts.Validators lists the validators or opts.Genesis is a whole genesis
// file to join.
func InitHome(opts HomeOptions) (created, existing []string, err error) {
	if opts.Home == "" {
		return nil, nil, errors.New("node: InitHome: empty home directory")
	}
	for _, dir := range []string{opts.Home, filepath.Join(opts.Home, cfg.DefaultConfigDir), filepath.Join(opts.Home, cfg.DefaultDataDir)} {
		if err := os.MkdirAll(dir, cfg.DefaultDirPerm); err != nil {
			return nil, nil, fmt.Errorf("node: create home: %w", err)
		}
	}
	note := func(rel string, ok bool) {
		if ok {
			created = append(created, rel)
		} else {
			existing = append(existing, rel)
		}
	}

	// The priv validator key comes first: the genesis file names its public key.
	pvKey, ok, err := initPrivValKey(filepath.Join(opts.Home, privValKeyFile))
	if err != nil {
		return created, existing, err
	}
	note(privValKeyFile, ok)

	state, err := cmtjson.MarshalIndent(privval.FilePVLastSignState{}, "", "  ")
	if err != nil {
		return created, existing, err
	}
	ok, err = writeNew(filepath.Join(opts.Home, privValStateFile), state, 0o600)
	if err != nil {
		return created, existing, err
	}
	note(privValStateFile, ok)

	_, ok, err = initNodeKey(filepath.Join(opts.Home, nodeKeyFile))
	if err != nil {
		return created, existing, err
	}
	note(nodeKeyFile, ok)

	ok, err = initConfig(filepath.Join(opts.Home, configFile), opts)
	if err != nil {
		return created, existing, err
	}
	note(configFile, ok)

	genesis := opts.Genesis
	if len(genesis) > 0 {
		if _, err := types.GenesisDocFromJSON(genesis); err != nil {
			return created, existing, fmt.Errorf("node: genesis: %w", err)
		}
	} else if genesis, err = genesisJSON(opts, pvKey); err != nil {
		return created, existing, err
	}
	ok, err = writeNew(filepath.Join(opts.Home, genesisFile), genesis, 0o644)
	if err != nil {
		return created, existing, err
	}
	note(genesisFile, ok)
	return created, existing, nil
}

// ValidatorKey returns the public key of the home's priv validator key,
// writing a new key file (mode 0600) first if there is none. A testnet
// writes every home's key this way before it writes the genesis file that
// names them all.
func ValidatorKey(home string) (crypto.PubKey, error) {
	if err := os.MkdirAll(filepath.Join(home, cfg.DefaultConfigDir), cfg.DefaultDirPerm); err != nil {
		return nil, fmt.Errorf("node: create home: %w", err)
	}
	pub, _, err := initPrivValKey(filepath.Join(home, privValKeyFile))
	return pub, err
}

// NodeID returns the P2P id of the home's node key, writing a new key file
// (mode 0600) first if there is none. Peers name a node by it
// (see PeerAddress).
func NodeID(home string) (string, error) {
	if err := os.MkdirAll(filepath.Join(home, cfg.DefaultConfigDir), cfg.DefaultDirPerm); err != nil {
		return "", fmt.Errorf("node: create home: %w", err)
	}
	key, _, err := initNodeKey(filepath.Join(home, nodeKeyFile))
	if err != nil {
		return "", err
	}
	return string(key.ID()), nil
}

// PeerAddress returns the persistent_peers entry ID@host:port of a node
// with the given id whose P2P listens at listen ("tcp://host:port" or
// "host:port").
func PeerAddress(id, listen string) string {
	return p2p.IDAddressString(p2p.ID(id), listen)
}

// initNodeKey writes a new node key to path, or reads the one that is
// there. It reports whether it wrote the file.
func initNodeKey(path string) (*p2p.NodeKey, bool, error) {
	if _, err := os.Stat(path); err == nil {
		key, err := p2p.LoadNodeKey(path)
		if err != nil {
			return nil, false, fmt.Errorf("node: read node key %s: %w", path, err)
		}
		return key, false, nil
	}
	key := &p2p.NodeKey{PrivKey: ed25519.GenPrivKey()}
	data, err := cmtjson.Marshal(key)
	if err != nil {
		return nil, false, err
	}
	ok, err := writeNew(path, data, 0o600)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		// Another process wrote the key since the Stat above: use that one.
		key, err = p2p.LoadNodeKey(path)
		if err != nil {
			return nil, false, fmt.Errorf("node: read node key %s: %w", path, err)
		}
	}
	return key, ok, nil
}

// initPrivValKey writes a new priv validator key to path, or reads the one
// that is there. It reports whether it wrote the file.
func initPrivValKey(path string) (crypto.PubKey, bool, error) {
	if _, err := os.Stat(path); err == nil {
		key, err := readPrivValKey(path)
		if err != nil {
			return nil, false, err
		}
		return key.PubKey, false, nil
	}
	priv := ed25519.GenPrivKey()
	pub := priv.PubKey()
	data, err := cmtjson.MarshalIndent(privval.FilePVKey{Address: pub.Address(), PubKey: pub, PrivKey: priv}, "", "  ")
	if err != nil {
		return nil, false, err
	}
	ok, err := writeNew(path, data, 0o600)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		// Another process wrote the key since the Stat above: use that one.
		key, err := readPrivValKey(path)
		if err != nil {
			return nil, false, err
		}
		return key.PubKey, false, nil
	}
	return pub, true, nil
}

// readPrivValKey reads a priv validator key file and returns errors that
// privval.LoadFilePV would turn into os.Exit.
func readPrivValKey(path string) (privval.FilePVKey, error) {
	var key privval.FilePVKey
	data, err := os.ReadFile(path)
	if err != nil {
		return key, fmt.Errorf("node: read priv validator key: %w", err)
	}
	if err := cmtjson.Unmarshal(data, &key); err != nil {
		return key, fmt.Errorf("node: read priv validator key %s: %w", path, err)
	}
	if key.PrivKey == nil {
		return key, fmt.Errorf("node: priv validator key %s has no priv_key", path)
	}
	key.PubKey = key.PrivKey.PubKey()
	key.Address = key.PubKey.Address()
	return key, nil
}

// initConfig writes config.toml with linli's defaults unless it exists.
func initConfig(path string, opts HomeOptions) (bool, error) {
	conf := cfg.DefaultConfig()
	if opts.Moniker != "" {
		conf.Moniker = opts.Moniker
	}
	conf.RPC.ListenAddress = orDefault(opts.RPCListen, DefaultRPCListen)
	conf.P2P.ListenAddress = orDefault(opts.P2PListen, DefaultP2PListen)
	conf.Consensus.TimeoutCommit = DefaultTimeoutCommit
	if opts.TimeoutCommit > 0 {
		conf.Consensus.TimeoutCommit = opts.TimeoutCommit
	}
	// Empty blocks only every interval: see DefaultEmptyBlocksInterval.
	conf.Consensus.CreateEmptyBlocks = true
	conf.Consensus.CreateEmptyBlocksInterval = DefaultEmptyBlocksInterval
	if opts.EmptyBlocksInterval > 0 {
		conf.Consensus.CreateEmptyBlocksInterval = opts.EmptyBlocksInterval
	}
	conf.TxIndex.Indexer = "kv"
	if opts.NoIndexer {
		conf.TxIndex.Indexer = "null"
	}
	if opts.MempoolSize > 0 {
		conf.Mempool.Size = opts.MempoolSize
	}
	conf.P2P.PersistentPeers = opts.PersistentPeers
	if opts.LocalNetwork {
		conf.P2P.AddrBookStrict = false
		conf.P2P.AllowDuplicateIP = true
	}
	conf.Instrumentation.Prometheus = opts.Prometheus
	conf.Instrumentation.PrometheusListenAddr = orDefault(opts.PrometheusListen, DefaultPrometheusListen)
	if err := conf.ValidateBasic(); err != nil {
		return false, fmt.Errorf("node: config: %w", err)
	}

	// cfg.WriteConfigFile renders CometBFT's own template but calls os.Exit
	// when it cannot write. Claiming the file first both keeps an existing
	// file untouched and proves that the directory is writable.
	ok, err := writeNew(path, nil, 0o644)
	if err != nil || !ok {
		return false, err
	}
	cfg.WriteConfigFile(path, conf)
	return true, nil
}

// genesisJSON renders the genesis document: opts.Validators, or pub as the
// only validator.
func genesisJSON(opts HomeOptions, pub crypto.PubKey) ([]byte, error) {
	chainID := opts.ChainID
	if chainID == "" {
		var b [3]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		chainID = "linli-" + hex.EncodeToString(b[:])
	}
	genesisTime := cmttime.Now()
	if !opts.GenesisTime.IsZero() {
		genesisTime = cmttime.Canonical(opts.GenesisTime)
	}
	doc := types.GenesisDoc{
		GenesisTime:     genesisTime,
		ChainID:         chainID,
		ConsensusParams: types.DefaultConsensusParams(),
		Validators: []types.GenesisValidator{{
			Address: pub.Address(),
			PubKey:  pub,
			Power:   validatorPower,
		}},
		AppState: opts.AppState,
	}
	if len(opts.Validators) > 0 {
		doc.Validators = nil
		for _, v := range opts.Validators {
			doc.Validators = append(doc.Validators, types.GenesisValidator{
				Address: v.PubKey.Address(), PubKey: v.PubKey, Power: v.Power, Name: v.Name,
			})
		}
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("node: genesis: %w", err)
	}
	return cmtjson.MarshalIndent(&doc, "", "  ")
}

// writeNew creates path with data and perm unless it exists, and reports
// whether it did.
func writeNew(path string, data []byte, perm os.FileMode) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("node: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return false, fmt.Errorf("node: %w", err)
	}
	return true, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// LoadConfig reads <home>/config/config.toml the way CometBFT's command line
// does (viper onto the defaults, then SetRoot and ValidateBasic), so that
// operators can edit the file. Unlike CometBFT it reads no environment
// variables and writes nothing: a missing file is an error.
func LoadConfig(home string) (*cfg.Config, error) {
	home, err := filepath.Abs(home)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	path := filepath.Join(home, configFile)
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("node: read config %s: %w", path, err)
	}
	conf := cfg.DefaultConfig()
	if err := v.Unmarshal(conf); err != nil {
		return nil, fmt.Errorf("node: parse config %s: %w", path, err)
	}
	conf.SetRoot(home)
	if err := conf.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("node: error in config file %s: %w", path, err)
	}
	return conf, nil
}

// ParseGenesis checks a genesis file's content and returns its chain id and
// app_state.
func ParseGenesis(data []byte) (chainID string, appState json.RawMessage, err error) {
	doc, err := types.GenesisDocFromJSON(data)
	if err != nil {
		return "", nil, fmt.Errorf("node: genesis: %w", err)
	}
	return doc.ChainID, doc.AppState, nil
}

// ReadGenesisAppState returns the chain id and app_state of the genesis file
// that the home's config.toml names.
func ReadGenesisAppState(home string) (chainID string, appState json.RawMessage, err error) {
	conf, err := LoadConfig(home)
	if err != nil {
		return "", nil, err
	}
	doc, err := types.GenesisDocFromFile(conf.GenesisFile())
	if err != nil {
		return "", nil, fmt.Errorf("node: %w", err)
	}
	return doc.ChainID, doc.AppState, nil
}
