package board

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/templates"
)

// Ledger is what the board reads: the node's queries and its committed
// transactions. *ledger.Client implements it.
type Ledger interface {
	// Query runs an ABCI query; the board reads only answers with code 0
	// or abci.CodeQueryNotFound.
	Query(ctx context.Context, path string) (ledger.QueryResult, error)
	// Tx returns a committed transaction and its block time, or an error
	// wrapping ledger.ErrTxNotFound.
	Tx(ctx context.Context, hash string) (ledger.TxInfo, error)
}

var _ Ledger = (*ledger.Client)(nil)

// Defaults of a Board.
const (
	DefaultMaxConcurrent = 16
	DefaultQueueWait     = 2 * time.Second
	DefaultRenderTimeout = 10 * time.Second
	// maxCached bounds the pages kept for one height, so that a crawler
	// walking every tx hash cannot grow the cache without end.
	maxCached = 1024
)

// ContentSecurityPolicy allows the page's own inline styles and inline SVG
// and nothing else: no scripts at all, no forms, no framing.
const ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Board serves the notice board. Set its fields before the first request.
type Board struct {
	// PublicURL is the board's address as residents reach it, such as
	// "https://linli.example.org/"; links and QR codes use it.
	PublicURL string
	// MaxConcurrent bounds the requests rendered or served at once; more
	// wait up to QueueWait and are then answered 503.
	MaxConcurrent int
	QueueWait     time.Duration
	// RenderTimeout bounds the queries of one page.
	RenderTimeout time.Duration
	// Logger logs internal errors (a node that does not answer).
	Logger *slog.Logger
	// VerifyNode is the RPC URL of the board's own node. When set, the
	// receipt page runs linli verify's checks against it (package
	// verify) and says what they prove and what they do not.
	VerifyNode string

	ledger Ledger
	codes  *templates.Set
	pages  *template.Template
	labels map[string]string
	mux    *http.ServeMux

	semOnce sync.Once
	sem     chan struct{}

	mu     sync.Mutex
	height int64
	cache  map[string]*response
	closed map[uint64]*closed
}

// New returns a Board over l. codes gives the plain-Chinese message of each
// result code for the receipt page (templates.MustLoad() or an operator's
// set).
func New(l Ledger, codes *templates.Set) (*Board, error) {
	b := &Board{
		PublicURL:     "http://127.0.0.1:8090/",
		MaxConcurrent: DefaultMaxConcurrent,
		QueueWait:     DefaultQueueWait,
		RenderTimeout: DefaultRenderTimeout,
		Logger:        slog.New(slog.DiscardHandler),
		ledger:        l,
		codes:         codes,
		cache:         map[string]*response{},
		closed:        map[uint64]*closed{},
	}
	labels, err := loadLabels()
	if err != nil {
		return nil, err
	}
	b.labels = labels
	b.pages, err = template.New("board").Funcs(b.funcs()).ParseFS(templates.Board(), "*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("board: templates: %w", err)
	}
	b.routes()
	return b, nil
}

// response is a rendered page, kept for the height it was rendered at.
type response struct {
	status int
	ctype  string
	body   []byte
	// filename makes the browser save an export instead of showing it.
	filename string
}

// page renders one path at the snapshot v reads from.
type page func(v *view, r *http.Request) (*response, error)

// errNotFound answers 404 with the board's own page.
var errNotFound = errors.New("not found")

func (b *Board) routes() {
	m := http.NewServeMux()
	handle := func(pattern string, p page) { m.Handle(pattern, b.cached(p)) }
	handle("GET /{$}", b.home)
	handle("GET /decisions", b.decisions)
	handle("GET /decisions/{id}", b.proposal)
	handle("GET /polls/{id}", b.proposal)
	handle("GET /decisions/{id}/rows.csv", b.rowsExport)
	handle("GET /decisions/{id}/rows.json", b.rowsExport)
	handle("GET /accounts", b.accounts)
	handle("GET /accounts/{month}", b.accountsMonth)
	handle("GET /accounts/{month}/{page}", b.accountsMonth)
	handle("GET /accounts/{account}/entries.csv", b.entriesExport)
	handle("GET /accounts/{account}/entries.json", b.entriesExport)
	handle("GET /notices", b.notices)
	handle("GET /tx/{hash}", b.tx)
	handle("GET /print/decisions/{id}", b.printDecision)
	handle("GET /print/decisions/{id}/data.json", b.printDecision)
	handle("GET /print/accounts/{period}", b.printAccounts)
	handle("GET /print/accounts/{period}/data.json", b.printAccounts)
	// Everything else, and a wrong method, gets the board's 404.
	m.Handle("/", b.cached(func(*view, *http.Request) (*response, error) { return nil, errNotFound }))
	b.mux = m
}

// ServeHTTP answers one request: the security headers, the concurrency
// limit, then the page.
func (b *Board) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "只能查看，不能提交。", http.StatusMethodNotAllowed)
		return
	}
	b.semOnce.Do(func() { b.sem = make(chan struct{}, max(1, b.MaxConcurrent)) })
	wait := time.NewTimer(b.QueueWait)
	defer wait.Stop()
	select {
	case b.sem <- struct{}{}:
		defer func() { <-b.sem }()
	case <-wait.C:
		h.Set("Retry-After", "5")
		http.Error(w, "看的人太多了，请稍后再试。", http.StatusServiceUnavailable)
		return
	case <-r.Context().Done():
		return
	}
	b.mux.ServeHTTP(w, r)
}

// snapshot is the committed state a page is rendered from.
type snapshot struct {
	abci.ChainInfo
	Height    int64  `json:"height"`
	AppHash   string `json:"app_hash"`
	BlockTime int64  `json:"block_time"`
}

// cached serves p from the cache of the current height, rendering it on a
// miss. A page whose queries answered from another height than the
// snapshot's is rendered again, so that one page never mixes two heights.
func (b *Board) cached(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), b.RenderTimeout)
		defer cancel()
		var res *response
		var err error
		for try := 0; try < 3; try++ {
			var v *view
			v, err = b.newView(ctx)
			if err != nil {
				break
			}
			if res = b.lookup(v.snap.Height, r.URL.Path); res != nil {
				break
			}
			res, err = p(v, r)
			if err == nil && v.stale {
				continue
			}
			if err == nil || errors.Is(err, errNotFound) {
				if errors.Is(err, errNotFound) {
					res, err = b.notFound(v), nil
				}
				b.store(v.snap.Height, r.URL.Path, res)
			}
			break
		}
		if err != nil {
			b.Logger.Error("board: render", "path", r.URL.Path, "err", err)
			res = b.unavailable()
		}
		write(w, r, res)
	})
}

func write(w http.ResponseWriter, r *http.Request, res *response) {
	h := w.Header()
	h.Set("Content-Type", res.ctype)
	h.Set("Cache-Control", "no-cache")
	if res.filename != "" {
		h.Set("Content-Disposition", `attachment; filename="`+res.filename+`"`)
	}
	w.WriteHeader(res.status)
	if r.Method != http.MethodHead {
		w.Write(res.body)
	}
}

func (b *Board) lookup(height int64, path string) *response {
	b.mu.Lock()
	defer b.mu.Unlock()
	if height != b.height {
		return nil
	}
	return b.cache[path]
}

func (b *Board) store(height int64, path string, res *response) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case height > b.height:
		b.height, b.cache = height, map[string]*response{}
	case height < b.height:
		return
	}
	if len(b.cache) < maxCached {
		b.cache[path] = res
	}
}

// html renders the named template as a page.
func (b *Board) html(name string, data any) (*response, error) {
	var buf bytes.Buffer
	if err := b.pages.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("board: template %s: %w", name, err)
	}
	return &response{status: http.StatusOK, ctype: "text/html; charset=utf-8", body: buf.Bytes()}, nil
}

func (b *Board) notFound(v *view) *response {
	res, err := b.html("notfound", pageData{Snap: v.snap, Title: "没有这一页"})
	if err != nil {
		return b.unavailable()
	}
	res.status = http.StatusNotFound
	return res
}

func (b *Board) unavailable() *response {
	return &response{status: http.StatusServiceUnavailable, ctype: "text/plain; charset=utf-8",
		body: []byte("公示栏暂时读不到账本，请稍后再试。\n")}
}

// url returns the public address of a path.
func (b *Board) url(path string) string {
	return strings.TrimSuffix(b.PublicURL, "/") + path
}

// Server serves a Board on a listen address with bounded timeouts.
type Server struct {
	// Listen is the address to listen on, such as "127.0.0.1:8090".
	Listen string
	Board  *Board

	srv    *http.Server
	ln     net.Listener
	served chan error
}

// Open listens and serves in the background.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return fmt.Errorf("board: listen: %w", err)
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.Board,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          slog.NewLogLogger(s.Board.Logger.Handler(), slog.LevelError),
	}
	s.served = make(chan error, 1)
	go func() { s.served <- s.srv.Serve(ln) }()
	return nil
}

// Addr is the address the server listens on (with the real port when
// Listen asked for port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, waiting up to five seconds for requests in
// flight.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// isHash reports whether s is a transaction hash in hex, either case.
func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
