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
	"net/url"
	"slices"
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
	// A page slower than DefaultWarmAbove to render is rendered again in
	// the background at each new height (Warm) while residents asked for
	// it in the last DefaultWarmFor; at most maxHot such pages are kept.
	DefaultWarmAbove = 20 * time.Millisecond
	DefaultWarmFor   = 15 * time.Minute
	DefaultWarmPoll  = 200 * time.Millisecond
	maxHot           = 32
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
	// WarmAbove is how long a page's render must take for Warm to render
	// it again at each new height, for WarmFor after it was last asked
	// for; Warm asks the node for its height every WarmPoll.
	WarmAbove, WarmFor, WarmPoll time.Duration
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
	// flights are the renders under way, by height and path: a request
	// for a page that is being rendered waits for it instead of rendering
	// it again.
	flights map[flightKey]*flight
	// hot are the slow pages residents asked for lately, which Warm
	// renders again at each new height.
	hot map[string]time.Time
	// rendered, when set (by tests), is called after each render that was
	// kept in the cache; joined when a request waits for another's render.
	rendered func(height int64, path string)
	joined   func(path string)

	// csvLines, jsonLines and sheetLines remember what the entries exports
	// and the printed statement wrote for each line (memo.go).
	csvLines, jsonLines lineMemo[[]byte]
	sheetLines          lineMemo[sheetLine]
	// pageSize is the size of the last printed notice of each kind
	// (sheet).
	pageSize map[string]int
}

type flightKey struct {
	height int64
	path   string
}

// flight is one render under way; res is set, before done closes, when
// the render was kept in the cache.
type flight struct {
	done chan struct{}
	res  *response
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
		flights:       map[flightKey]*flight{},
		hot:           map[string]time.Time{},
		WarmAbove:     DefaultWarmAbove,
		WarmFor:       DefaultWarmFor,
		WarmPoll:      DefaultWarmPoll,
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
// miss; a request for a page another request is rendering at the same
// height waits for that render. A page whose queries answered from another
// height than the snapshot's is rendered again, so that one page never
// mixes two heights.
func (b *Board) cached(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), b.RenderTimeout)
		defer cancel()
		path := r.URL.Path
		asked := r.Context().Value(warming{}) == nil
		var res *response
		var err error
	tries:
		for try := 0; try < 3; try++ {
			var v *view
			v, err = b.newView(ctx)
			if err != nil {
				break
			}
			h := v.snap.Height
			if res = b.lookup(h, path, asked); res != nil {
				break
			}
			f, lead := b.join(h, path)
			if !lead {
				select {
				case <-f.done:
				case <-ctx.Done():
					err = ctx.Err()
					break tries
				}
				if res = f.res; res != nil {
					break
				}
				continue // that render failed or read another height
			}
			start := time.Now()
			res, err = b.render(f, h, path, p, v, r)
			if err == nil && v.stale {
				b.land(f, h, path, nil)
				continue
			}
			if err == nil || errors.Is(err, errNotFound) {
				if errors.Is(err, errNotFound) {
					res, err = b.notFound(v), nil
				}
				b.store(h, path, res)
				if asked {
					b.noteSlow(path, time.Since(start))
				}
				b.land(f, h, path, res)
				break
			}
			b.land(f, h, path, nil)
			break
		}
		if err != nil {
			b.Logger.Error("board: render", "path", path, "err", err)
			res = b.unavailable()
		}
		write(w, r, res)
	})
}

// render runs p as the leader of flight f; should p panic, f is landed
// empty first, so that those waiting for it do not wait in vain.
func (b *Board) render(f *flight, height int64, path string, p page, v *view, r *http.Request) (*response, error) {
	ok := false
	defer func() {
		if !ok {
			b.land(f, height, path, nil)
		}
	}()
	res, err := p(v, r)
	ok = true
	return res, err
}

// join returns the render of path at height under way, or starts one
// that the caller leads (lead) and must land.
func (b *Board) join(height int64, path string) (f *flight, lead bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := flightKey{height, path}
	if f := b.flights[k]; f != nil {
		if b.joined != nil {
			b.joined(path)
		}
		return f, false
	}
	f = &flight{done: make(chan struct{})}
	b.flights[k] = f
	return f, true
}

// land ends a render that join started, with its response when it was
// kept (nil otherwise: those waiting for it then try themselves).
func (b *Board) land(f *flight, height int64, path string, res *response) {
	b.mu.Lock()
	delete(b.flights, flightKey{height, path})
	f.res = res
	rendered := b.rendered
	b.mu.Unlock()
	close(f.done)
	if res != nil && rendered != nil {
		rendered(height, path)
	}
}

// noteSlow remembers path for Warm when its render took d and that is
// slower than WarmAbove.
func (b *Board) noteSlow(path string, d time.Duration) {
	if d < b.WarmAbove {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.hot[path]; ok || len(b.hot) < maxHot {
		b.hot[path] = time.Now()
	}
}

// Warm keeps the slow pages residents asked for lately rendered: each
// time the node commits a new height, it renders them again at it, one
// at a time, so that the first resident after a block is served from the
// cache instead of waiting for the render (and one who comes during it
// waits for that render, not a second one). It rests after each round as
// long as the round took, so that it uses at most about half a core
// however often blocks come. It returns when ctx ends; Server.Open runs
// it.
//
// Its first round, as soon as the node answers, renders the documents
// slowest to write from nothing, once (primePaths): a board just started
// remembers no lines of them (memo.go), and the first resident to open
// one would wait several times as long as after a block.
func (b *Board) Warm(ctx context.Context) {
	poll := time.NewTicker(max(b.WarmPoll, time.Millisecond))
	defer poll.Stop()
	var warmed int64
	primed := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
		if !primed {
			if primed = b.prime(ctx); !primed {
				continue
			}
		}
		paths := b.hotPaths()
		if len(paths) == 0 {
			continue
		}
		v, err := b.newView(ctx)
		if err != nil || v.snap.Height <= warmed {
			continue
		}
		warmed = v.snap.Height
		start := time.Now()
		for _, path := range paths {
			b.warmPath(ctx, path)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Since(start)):
		}
	}
}

// warmPath renders path for Warm, for the cache only: it does not count
// as a resident asking for it.
func (b *Board) warmPath(ctx context.Context, path string) {
	req, err := http.NewRequestWithContext(context.WithValue(ctx, warming{}, true), http.MethodGet, path, nil)
	if err != nil {
		return
	}
	b.warm(req)
}

// prime renders primePaths once, and reports false when the node did
// not answer.
func (b *Board) prime(ctx context.Context) bool {
	v, err := b.newView(ctx)
	if err != nil {
		return false
	}
	for _, path := range b.primePaths(v) {
		if ctx.Err() != nil {
			break
		}
		b.warmPath(ctx, path)
	}
	return true
}

// primePaths are the documents Warm renders once at start: every
// account's entries exports and the printed statements of this quarter
// and half-year, those the accounts page links to. Their lines are then
// remembered (memo.go) for any period or format asked later.
func (b *Board) primePaths(v *view) []string {
	list, _, err := v.accountsAt()
	if err != nil {
		return nil
	}
	var paths []string
	for _, a := range list {
		id := url.PathEscape(a.ID)
		paths = append(paths, "/accounts/"+id+"/entries.csv", "/accounts/"+id+"/entries.json")
	}
	now := abci.MonthOf(v.snap.BlockTime)
	return append(paths, "/print/accounts/"+quarterOf(now), "/print/accounts/"+halfOf(now))
}

// warm renders one page for Warm. A render that panics is logged: with
// no request to answer, nothing else would recover it.
func (b *Board) warm(req *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			b.Logger.Error("board: warm render", "path", req.URL.Path, "panic", fmt.Sprint(p))
		}
	}()
	b.mux.ServeHTTP(discard{}, req)
}

// hotPaths returns the paths Warm renders, in order, forgetting those no
// one asked for in WarmFor.
func (b *Board) hotPaths() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var paths []string
	for path, asked := range b.hot {
		if time.Since(asked) > b.WarmFor {
			delete(b.hot, path)
			continue
		}
		paths = append(paths, path)
	}
	slices.Sort(paths)
	return paths
}

// warming marks the context of Warm's requests.
type warming struct{}

// discard is a ResponseWriter for Warm's renders, whose pages go only to
// the cache.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

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

// lookup returns the page at path kept for height; asked is false for
// Warm's own renders, which do not keep a page warm.
func (b *Board) lookup(height int64, path string, asked bool) *response {
	b.mu.Lock()
	defer b.mu.Unlock()
	if height != b.height {
		return nil
	}
	res := b.cache[path]
	if _, ok := b.hot[path]; ok && res != nil && asked {
		b.hot[path] = time.Now() // still asked for: keep it warm
	}
	return res
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
	// stopWarm ends the board's Warm, and warmed is closed when it has.
	stopWarm context.CancelFunc
	warmed   chan struct{}
}

// Open listens and serves in the background, and keeps the board's slow
// pages warm (Board.Warm) until Close.
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
	var ctx context.Context
	ctx, s.stopWarm = context.WithCancel(context.Background())
	s.warmed = make(chan struct{})
	go func() {
		defer close(s.warmed)
		s.Board.Warm(ctx)
	}()
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
	s.stopWarm()
	<-s.warmed
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
