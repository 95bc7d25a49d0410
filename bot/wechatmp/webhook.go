package wechatmp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/templates"
)

// Channel is the channel name of official-account users: a Request's User
// is then the openid, and their custodial key derives from ("wechat",
// openid).
const Channel = "wechat"

// Handler is what the webhook talks to: *bot.Engine.
type Handler interface {
	Handle(ctx context.Context, req *bot.Request) (*bot.Reply, error)
}

// Store is the gateway's local data the webhook and the notifier need.
// cmd/linli passes gateway.db's WeChat tables (store.Wechat).
type Store interface {
	// BeginMessage records the arrival of the message with dedup key from
	// openid (empty: the user was recorded moments ago), and with an
	// openid changes its push allowance by grant (nil: not). fresh means
	// the key is new and the caller must handle the message and call
	// FinishMessage; otherwise answered says whether the first delivery
	// was answered, with the reply it wrote.
	BeginMessage(ctx context.Context, key, openid, address string, at time.Time, grant func(left int, until time.Time) (int, time.Time)) (fresh, answered bool, reply string, err error)
	// FinishMessage records the passive reply written to key.
	FinishMessage(ctx context.Context, key, reply string) error
	// PruneMessages forgets messages that arrived before before.
	PruneMessages(ctx context.Context, before time.Time) (int64, error)
	// SetSubscribed records a follow or unfollow.
	SetSubscribed(ctx context.Context, openid, address string, subscribed bool, at time.Time) error
	// EachUser calls fn for every user seen, until fn returns an error.
	EachUser(ctx context.Context, fn func(openid, address string, subscribed bool, lastSeen time.Time) error) error
	// GetState and PutState keep the notifier's memory (and the rest of
	// a long answer, under "more/" and the openid).
	GetState(ctx context.Context, key string) (value string, ok bool, err error)
	PutState(ctx context.Context, key, value string, at time.Time) error
	// RecordSignatures records accepted signed URLs (keys[i], the
	// request's timestamp, nonce and signature) with their bodies'
	// hashes, so that a restart remembers them.
	RecordSignatures(ctx context.Context, keys, hashes []string, at time.Time) error
	// EachSignature calls fn for each signed URL recorded since since.
	EachSignature(ctx context.Context, since time.Time, fn func(key, bodyHash string) error) error
	// PruneSignatures forgets signatures recorded before before.
	PruneSignatures(ctx context.Context, before time.Time) (int64, error)
	// UpdatePush changes what WeChat allows to be pushed to openid (see
	// PushStore).
	UpdatePush(ctx context.Context, openid string, fn func(left int, until time.Time) (int, time.Time)) (left int, ok bool, err error)
}

// Pusher sends texts to a user as customer-service messages, outside the
// request: *Outbox. Push must not block; it reports false when the text
// could not even be queued.
type Pusher interface {
	// secrets are strings in texts never to be stored (a binding code):
	// a push that cannot be delivered is recorded without them.
	Push(openid string, texts, secrets []string) bool
}

// Defaults of NewWebhook.
const (
	DefaultBudget       = 4 * time.Second
	DefaultWindow       = 5 * time.Minute
	DefaultMaxBody      = 64 << 10
	DefaultLaterTimeout = 2 * time.Minute
	// DefaultHandleTimeout bounds a message the engine is still handling
	// after the passive reply went out (its answer is pushed).
	DefaultHandleTimeout = 30 * time.Second
	// DefaultMaxConcurrent is MaxConcurrent's default: a message waiting
	// for its commit does not count (see bot.WithPause), so this bounds
	// CPU work and gateway.db's connections, not waiting.
	DefaultMaxConcurrent = 8
	// dedupKeep is how long delivered messages are remembered; WeChat
	// retries within about 15 seconds.
	dedupKeep = time.Hour
	// maxLaters bounds the receipts being waited for at once.
	maxLaters = 256
)

// Webhook is the http.Handler WeChat posts to. Configure it between
// NewWebhook and Open; ServeHTTP is safe for concurrent use.
type Webhook struct {
	// AppID, Token and AESKey are the account's: the AppID checks
	// decrypted messages, the token signs every request, and the
	// EncodingAESKey (43 characters) decrypts safe-mode ones. With an
	// AESKey, plaintext requests are refused (their body is not signed).
	AppID, Token, AESKey string
	// AllowPlaintext lets Open start without an AESKey. In plaintext mode
	// WeChat signs only the URL: a captured URL could carry another body
	// and act as another resident, which only the one-use rule for signed
	// URLs stops. Open refuses plaintext mode unless this is set.
	AllowPlaintext bool
	// Budget is how long after a request arrives its reply must be
	// written; past it the user is told the answer follows, and it is
	// pushed when the engine has it.
	Budget time.Duration
	// Window is how far a request's timestamp may be from Now.
	Window time.Duration
	// MaxBody is the largest body read, in bytes.
	MaxBody int64
	// LaterTimeout bounds the wait for a receipt that follows a reply.
	LaterTimeout time.Duration
	// HandleTimeout bounds a message the engine is still handling after
	// the budget.
	HandleTimeout time.Duration
	// MaxConcurrent bounds the messages being worked on at once (a
	// message waiting for a commit frees its slot); more wait their turn,
	// and one that cannot start within its budget is answered "请稍候再试"
	// (a non-200 would make WeChat show residents that the service is
	// broken). Few at once keep gateway.db's SQLite from contending with
	// itself.
	MaxConcurrent int
	// Community is named in the welcome.
	Community string
	// Address returns the chain address of an openid's custodial key,
	// recorded with the user in gateway.db; nil records none.
	Address func(openid string) (string, error)
	// Push sends what the passive reply could not carry; nil drops it
	// (and logs).
	Push Pusher
	// Quota is WeChat's rule of what may be pushed after a message or a
	// click (DefaultQuota).
	Quota Quota
	// Now is the clock of timestamps and records; tests fix it.
	Now func() time.Time
	// Logger receives failures; openids appear only hashed.
	Logger *slog.Logger

	h   Handler
	st  Store
	tpl *templates.Set

	mu       sync.Mutex
	inflight map[string]*call
	seen     map[string]time.Time // when each user's last message was recorded
	more     map[string]bool      // users with the rest of an answer kept

	refusals refusalLog

	// sigs are the signed URLs accepted within twice the window, by key,
	// with their bodies' hashes; sigsNew are those not yet recorded in
	// the Store (flushed in batches: one write per request would make the
	// requests queue for gateway.db's lock).
	sigMu   sync.Mutex
	sigs    map[string]sigSeen
	sigsNew []string

	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup
	laters chan struct{}
	slots  chan struct{}
}

// call is a message being handled, which retries of it wait for.
type call struct {
	done  chan struct{}
	reply string
}

// NewWebhook returns a webhook that hands messages to h and keeps its
// records in st, with the defaults set.
func NewWebhook(h Handler, st Store, t *templates.Set) *Webhook {
	return &Webhook{
		Budget: DefaultBudget, Window: DefaultWindow, MaxBody: DefaultMaxBody,
		LaterTimeout: DefaultLaterTimeout, HandleTimeout: DefaultHandleTimeout, MaxConcurrent: DefaultMaxConcurrent,
		Now: time.Now, Logger: slog.New(slog.DiscardHandler), Quota: DefaultQuota,
		h: h, st: st, tpl: t,
		inflight: map[string]*call{}, seen: map[string]time.Time{}, more: map[string]bool{},
	}
}

// Open checks the settings and starts pruning old dedup records.
func (wh *Webhook) Open() error {
	if wh.Token == "" {
		return errors.New("wechatmp: no token")
	}
	if wh.AESKey != "" {
		if _, err := aesKey(wh.AESKey); err != nil {
			return err
		}
		if wh.AppID == "" {
			return errors.New("wechatmp: safe mode needs the AppID")
		}
	} else {
		if !wh.AllowPlaintext {
			return errors.New("wechatmp: plaintext mode is refused: WeChat signs only the URL, so a captured request could act as another resident; set encoding_aes_key for safe mode, or allow_plaintext = true to accept the risk")
		}
		wh.Logger.Warn("wechat: PLAINTEXT MODE: WeChat signs only the URL; each signed URL is accepted once, but a captured one used first by someone else acts as that resident. Use safe mode (encoding_aes_key).")
	}
	if wh.Budget <= 0 || wh.Window <= 0 || wh.MaxBody <= 0 || wh.MaxConcurrent <= 0 {
		return errors.New("wechatmp: budget, window, body limit and concurrency must be positive")
	}
	wh.slots = make(chan struct{}, wh.MaxConcurrent)
	wh.ctx, wh.cancel = context.WithCancel(context.Background())
	wh.laters = make(chan struct{}, maxLaters)
	wh.sigs = map[string]sigSeen{}
	now := wh.Now()
	if err := wh.st.EachSignature(wh.ctx, now.Add(-wh.sigKeep()), func(key, hash string) error {
		wh.sigs[key] = sigSeen{hash: hash, at: now}
		return nil
	}); err != nil {
		wh.cancel()
		return err
	}
	wh.bg.Go(wh.prune)
	wh.bg.Go(wh.flushSignatures)
	return nil
}

// sigSeen is an accepted signed URL: its body's hash and when it came.
type sigSeen struct {
	hash string
	at   time.Time
}

// sigKeep is how long a signed URL is remembered: its timestamp is
// accepted up to Window after it was made, which was at most Window
// before it arrived.
func (wh *Webhook) sigKeep() time.Duration { return 2*wh.Window + time.Minute }

// useSignature reports whether a POST signed with key and a body of hash
// may go on: the first time, or the same body again.
func (wh *Webhook) useSignature(key, hash string) bool {
	wh.sigMu.Lock()
	defer wh.sigMu.Unlock()
	if s, ok := wh.sigs[key]; ok {
		return s.hash == hash
	}
	wh.sigs[key] = sigSeen{hash: hash, at: wh.Now()}
	wh.sigsNew = append(wh.sigsNew, key)
	return true
}

// sigFlushEvery is how often new signed URLs are written to the Store: a
// crash loses at most this much of the memory.
const sigFlushEvery = 200 * time.Millisecond

// flushSignatures writes new signed URLs to the Store in batches and
// forgets old ones, until Close (which flushes once more).
func (wh *Webhook) flushSignatures() {
	t := time.NewTicker(sigFlushEvery)
	defer t.Stop()
	for n := 0; ; n++ {
		stop := false
		select {
		case <-wh.ctx.Done():
			stop = true
		case <-t.C:
		}
		now := wh.Now()
		wh.sigMu.Lock()
		keys := wh.sigsNew
		wh.sigsNew = nil
		hashes := make([]string, len(keys))
		for i, k := range keys {
			hashes[i] = wh.sigs[k].hash
		}
		if n%300 == 0 {
			for k, s := range wh.sigs {
				if now.Sub(s.at) > wh.sigKeep() {
					delete(wh.sigs, k)
				}
			}
		}
		wh.sigMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := wh.st.RecordSignatures(ctx, keys, hashes, now); err != nil {
			wh.Logger.Error("wechat: record signatures", "n", len(keys), "err", err)
		}
		cancel()
		if stop {
			return
		}
	}
}

// Close stops waiting for receipts and handling late messages, and waits
// for those goroutines to end. The HTTP server must be shut down first.
func (wh *Webhook) Close() error {
	if wh.cancel != nil {
		wh.cancel()
	}
	wh.bg.Wait()
	return nil
}

func (wh *Webhook) prune() {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if _, err := wh.st.PruneMessages(wh.ctx, wh.Now().Add(-dedupKeep)); err != nil && wh.ctx.Err() == nil {
			wh.Logger.Error("wechat: prune messages", "err", err)
		}
		// A timestamp is accepted up to Window after it was made, and
		// was made at most Window before the signature was recorded.
		if _, err := wh.st.PruneSignatures(wh.ctx, wh.Now().Add(-wh.sigKeep())); err != nil && wh.ctx.Err() == nil {
			wh.Logger.Error("wechat: prune signatures", "err", err)
		}
		select {
		case <-wh.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// aesKey decodes an EncodingAESKey.
func aesKey(s string) ([]byte, error) {
	if len(s) != 43 {
		return nil, errors.New("wechatmp: the EncodingAESKey must be 43 characters")
	}
	k, err := base64.StdEncoding.DecodeString(s + "=")
	if err != nil || len(k) != 32 {
		return nil, errors.New("wechatmp: the EncodingAESKey is not valid base64 of 32 bytes")
	}
	return k, nil
}

// signature is WeChat's: hex SHA-1 over the sorted strings, concatenated.
func signature(parts ...string) string { return util.Signature(parts...) }

func equalSig(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}

// HashID returns a short, stable hash of an openid for logs.
func HashID(openid string) string {
	sum := sha256.Sum256([]byte("linli-wechat-openid\x00" + openid))
	return hex.EncodeToString(sum[:4])
}

// envelope is a safe-mode body: the ciphertext (compatible mode also has
// the plaintext fields, which are ignored).
type envelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	Encrypt    string   `xml:"Encrypt"`
}

// inbound is a message or event as WeChat posts it, with the fields the
// gateway reads. MsgId is an unsigned 64-bit number, read as text (the
// SDK's MixMessage has it signed, and refuses ids of 2^63 and above).
type inbound struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
	Recognition  string   `xml:"Recognition"`
	Event        string   `xml:"Event"`
	EventKey     string   `xml:"EventKey"`
	MsgID        string   `xml:"MsgId"`

	msgID uint64
}

// ServeHTTP answers WeChat: the GET verification, or a POSTed message.
// A missing or malformed parameter or body is a 400, a bad signature, a
// timestamp outside the window, a signed URL used before with another
// body or a plaintext request to a safe-mode account a 403, a body over
// MaxBody a 413; each refusal is logged (rate-limited) with its reason
// and source. Nothing is parsed before the URL's signature checks out.
func (wh *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		wh.refuse(w, r, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	q := r.URL.Query()
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("signature")
	if ts == "" || nonce == "" || sig == "" {
		wh.refuse(w, r, http.StatusBadRequest, "missing signature")
		return
	}
	if !equalSig(sig, signature(wh.Token, ts, nonce)) {
		wh.refuse(w, r, http.StatusForbidden, "bad signature")
		return
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		wh.refuse(w, r, http.StatusBadRequest, "bad timestamp")
		return
	}
	if d := wh.Now().Sub(time.Unix(sec, 0)); d > wh.Window || d < -wh.Window {
		wh.refuse(w, r, http.StatusForbidden, "stale timestamp")
		return
	}
	if r.Method == http.MethodGet {
		echo := q.Get("echostr")
		if echo == "" {
			wh.refuse(w, r, http.StatusBadRequest, "missing echostr")
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, echo)
		return
	}

	safe := q.Get("encrypt_type") == "aes"
	switch {
	case safe && wh.AESKey == "":
		wh.refuse(w, r, http.StatusBadRequest, "safe mode is not configured")
		return
	case !safe && wh.AESKey != "":
		wh.refuse(w, r, http.StatusForbidden, "plaintext requests are refused in safe mode")
		return
	case !safe && q.Get("encrypt_type") != "" && q.Get("encrypt_type") != "raw":
		wh.refuse(w, r, http.StatusBadRequest, "unknown encrypt_type")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wh.MaxBody))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			wh.refuse(w, r, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		wh.refuse(w, r, http.StatusBadRequest, "cannot read body")
		return
	}
	// Store calls may take only what is left of WeChat's five seconds.
	deadline := arrived.Add(wh.Budget - min(100*time.Millisecond, wh.Budget/4))
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()
	// A signed URL is accepted once: WeChat's retries come with new
	// timestamps and nonces, and the same URL with the same body again is
	// answered from the dedup record below.
	sum := sha256.Sum256(body)
	if !wh.useSignature(ts+":"+nonce+":"+strings.ToLower(sig), hex.EncodeToString(sum[:])) {
		wh.refuse(w, r, http.StatusForbidden, "signed URL used before with another body")
		return
	}
	raw := body
	if safe {
		var env envelope
		if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
			wh.refuse(w, r, http.StatusBadRequest, "malformed body")
			return
		}
		if !equalSig(q.Get("msg_signature"), signature(wh.Token, ts, nonce, env.Encrypt)) {
			wh.refuse(w, r, http.StatusForbidden, "bad msg_signature")
			return
		}
		_, raw, err = util.DecryptMsg(wh.AppID, env.Encrypt, wh.AESKey)
		if err != nil {
			wh.refuse(w, r, http.StatusBadRequest, "cannot decrypt")
			return
		}
	}
	var msg inbound
	if err := xml.Unmarshal(raw, &msg); err != nil || msg.FromUserName == "" || msg.MsgType == "" {
		wh.refuse(w, r, http.StatusBadRequest, "malformed message")
		return
	}
	if msg.MsgID != "" {
		if msg.msgID, err = strconv.ParseUint(strings.TrimSpace(msg.MsgID), 10, 64); err != nil {
			wh.refuse(w, r, http.StatusBadRequest, "malformed MsgId")
			return
		}
	}
	if id := q.Get("openid"); id != "" && id != msg.FromUserName {
		wh.refuse(w, r, http.StatusBadRequest, "openid does not match")
		return
	}
	wh.write(w, &msg, wh.message(ctx, &msg, deadline), safe)
}

// dedupKey names a message across WeChat's retries: its MsgId, or for
// events (which have none) the sender, creation time, event and key,
// which WeChat's retries repeat and which tell a menu click from a follow
// in the same second.
func dedupKey(m *inbound) string {
	if m.msgID != 0 {
		return "msg:" + strconv.FormatUint(m.msgID, 10)
	}
	return "event:" + m.FromUserName + ":" + strconv.FormatInt(m.CreateTime, 10) + ":" + m.Event + ":" + m.EventKey
}

// inboundKind is what the message earns in WeChat's push allowance:
// a message the user sent, an event that opens a short allowance (a
// click, a follow, a scan), or nothing.
func inboundKind(m *inbound) string {
	if m.MsgType != "event" {
		return InboundMessage
	}
	switch strings.ToLower(m.Event) {
	case "click", "subscribe", "scan", "scancode_push", "scancode_waitmsg":
		return InboundEvent
	}
	return ""
}

// message handles a message once, however often WeChat delivers it, and
// returns the passive reply ("" for none). A message that cannot start
// before deadline is answered "请稍候再试" and not recorded, so that the
// user may simply send it again.
func (wh *Webhook) message(ctx context.Context, m *inbound, deadline time.Time) string {
	key := dedupKey(m)
	wh.mu.Lock()
	c, retry := wh.inflight[key]
	if !retry {
		c = &call{done: make(chan struct{})}
		wh.inflight[key] = c
	}
	wh.mu.Unlock()
	if retry {
		// The first delivery is still being handled here: answer with
		// what it answers, never handle it twice.
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		select {
		case <-c.done:
			return c.reply
		case <-t.C:
			return ""
		}
	}
	sl := &slot{ch: wh.slots}
	if !sl.acquireBy(deadline) {
		c.reply = wh.render("wechat.busy", nil)
		wh.mu.Lock()
		delete(wh.inflight, key)
		wh.mu.Unlock()
		close(c.done)
		wh.Logger.Warn("wechat: too busy to start a message within the budget; asked the user to retry", "user", HashID(m.FromUserName))
		return c.reply
	}
	defer sl.release()
	forget := func() {
		close(c.done)
		wh.mu.Lock()
		delete(wh.inflight, key)
		wh.mu.Unlock()
	}

	openid := m.FromUserName
	addr := wh.address(openid)
	now := wh.Now()
	touch := openid
	if wh.touchedRecently(openid, now) {
		touch = ""
	}
	kind := inboundKind(m)
	var grant func(int, time.Time) (int, time.Time)
	if kind != "" {
		grant = func(left int, until time.Time) (int, time.Time) {
			l, u := wh.Quota.Grant(kind, now, left, until)
			if l == left && u.After(until) && u.Sub(until) < touchInterval {
				// Not worth a write: the allowance recorded ends a
				// little early, which only errs on the safe side.
				return left, until
			}
			return l, u
		}
	}
	fresh, answered, stored, err := wh.st.BeginMessage(ctx, key, touch, addr, now, grant)
	switch {
	case err != nil:
		// Without the record, answering is still better than silence.
		wh.Logger.Error("wechat: record message", "user", HashID(openid), "err", err)
	case !fresh && answered:
		c.reply = stored
		forget()
		return stored
	case !fresh:
		// Delivered before a restart and never answered: whether it
		// took effect is unknown, so it is not handled again.
		c.reply = wh.render("wechat.inflight", nil)
		forget()
		return c.reply
	}
	if err == nil && touch != "" {
		wh.touched(openid, now)
	}
	if grant != nil && err == nil && touch == "" {
		// Recorded moments ago: the allowance changes on its own (and
		// mostly not at all, see grant).
		if _, _, err := wh.st.UpdatePush(ctx, openid, grant); err != nil {
			wh.Logger.Error("wechat: record push quota", "user", HashID(openid), "err", err)
		}
	}
	reply, secrets := wh.handle(ctx, m, openid, addr, deadline, sl)
	c.reply = reply
	// Retries are answered from memory until the reply is recorded, which
	// happens beside writing it rather than before; a secret in it (a new
	// binding code) is never recorded.
	close(c.done)
	keep := redact(reply, secrets)
	wh.bg.Go(func() {
		// Not cancelled by Close, which waits for it: a reply written
		// just before a restart is still recorded, so that WeChat's
		// retry after the restart gets it rather than "still working".
		ctx, cancel := context.WithTimeout(context.WithoutCancel(wh.ctx), finishTimeout)
		defer cancel()
		if err := wh.st.FinishMessage(ctx, key, keep); err != nil {
			wh.Logger.Error("wechat: record reply", "user", HashID(openid), "err", err)
		}
		wh.mu.Lock()
		delete(wh.inflight, key)
		wh.mu.Unlock()
	})
	return reply
}

// finishTimeout bounds recording a reply, and so how long Close can wait
// for one.
const finishTimeout = 5 * time.Second

// redact replaces each secret in s.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "（已隐藏）")
		}
	}
	return s
}

// slot is one of the webhook's MaxConcurrent places to work on a
// message. The engine gives it up while it waits for a commit (through
// bot.WithPause) and takes one again to finish.
type slot struct {
	ch   chan struct{}
	mu   sync.Mutex
	held bool
}

// acquireBy takes a place, waiting at most until deadline.
func (s *slot) acquireBy(deadline time.Time) bool {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case s.ch <- struct{}{}:
		s.mu.Lock()
		s.held = true
		s.mu.Unlock()
		return true
	case <-t.C:
		return false
	}
}

// release gives the place back, once.
func (s *slot) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held {
		s.held = false
		<-s.ch
	}
}

// pause releases the place for a wait and returns how to take one again.
func (s *slot) pause() (resume func()) {
	s.mu.Lock()
	had := s.held
	s.mu.Unlock()
	if !had {
		return func() {}
	}
	s.release()
	return func() {
		s.ch <- struct{}{}
		s.mu.Lock()
		s.held = true
		s.mu.Unlock()
	}
}

// touchInterval is how often a user's last message time is recorded:
// more often than needed for WeChat's 48-hour window would only cost
// writes.
const touchInterval = 10 * time.Minute

// touchedRecently reports whether openid's last message time was recorded
// less than touchInterval before now.
func (wh *Webhook) touchedRecently(openid string, now time.Time) bool {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	t, ok := wh.seen[openid]
	return ok && now.Sub(t) < touchInterval && now.After(t)
}

func (wh *Webhook) touched(openid string, now time.Time) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	if len(wh.seen) >= 100_000 {
		clear(wh.seen)
	}
	wh.seen[openid] = now
}

func (wh *Webhook) address(openid string) string {
	if wh.Address == nil {
		return ""
	}
	a, err := wh.Address(openid)
	if err != nil {
		wh.Logger.Error("wechat: derive address", "user", HashID(openid), "err", err)
	}
	return a
}

// clickCommands maps the keys of the custom menu's click buttons to the
// command words the engine knows.
var clickCommands = map[string]string{
	"MENU":     "菜单",
	"VOTE":     "投票",
	"ACCOUNTS": "账目",
	"SHARE":    "共享",
	"NOTICES":  "公告",
	"RECEIPTS": "回执",
	"POINTS":   "积分",
	"BIND":     "绑定",
	"MINE":     "我的",
	"REPAIR":   "报修",
	"HELP":     "帮助",
}

// handle translates one message for the engine and returns the passive
// reply, with the secrets it carries; what else the engine said is
// pushed (at most one message, see more).
func (wh *Webhook) handle(ctx context.Context, m *inbound, openid, addr string, deadline time.Time, sl *slot) (string, []string) {
	req := &bot.Request{Channel: Channel, User: openid, MsgID: dedupKey(m), Time: time.Unix(m.CreateTime, 0)}
	var prefix string
	switch m.MsgType {
	case "text":
		req.Text = m.Content
		if isMore(m.Content) {
			if rest, ok := wh.takeMore(ctx, openid); ok {
				return wh.deliver(ctx, openid, "", rest, nil), nil
			}
		}
	case "voice":
		// WeChat is retiring Recognition: without it the engine sees an
		// empty message and asks for a digit.
		req.Text, req.Voice = m.Recognition, true
		if strings.TrimSpace(m.Recognition) == "" {
			prefix = wh.render("wechat.voice", nil)
		}
	case "event":
		switch ev := m.Event; {
		case strings.EqualFold(ev, "subscribe"):
			if err := wh.st.SetSubscribed(ctx, openid, addr, true, wh.Now()); err != nil {
				wh.Logger.Error("wechat: record follow", "user", HashID(openid), "err", err)
			}
			prefix = wh.render("wechat.welcome", struct{ Community string }{wh.Community})
			req.Text = "菜单"
		case strings.EqualFold(ev, "unsubscribe"):
			if err := wh.st.SetSubscribed(ctx, openid, addr, false, wh.Now()); err != nil {
				wh.Logger.Error("wechat: record unfollow", "user", HashID(openid), "err", err)
			}
			return "", nil
		case strings.EqualFold(ev, "CLICK"):
			cmd, ok := clickCommands[strings.ToUpper(strings.TrimSpace(m.EventKey))]
			if !ok {
				return wh.render("wechat.unsupported", nil), nil
			}
			req.Text = cmd
		default:
			// VIEW, SCAN, LOCATION, template delivery reports…: nothing
			// to say.
			return "", nil
		}
	default:
		return wh.render("wechat.unsupported", nil), nil
	}

	rep, late := wh.ask(req, deadline, sl)
	if late {
		return wh.render("wechat.slow", nil), nil
	}
	parts := splitParts(rep)
	if prefix != "" {
		parts = prepend(prefix, parts)
	}
	wh.followUp(openid, rep, nil)
	var secrets []string
	if rep != nil {
		secrets = rep.Secrets
	}
	return wh.deliver(ctx, openid, "", parts, secrets), secrets
}

// moreWords are what a user replies to see the rest of a long answer.
var moreWords = []string{"n", "ｎ", "更多", "查看更多"}

func isMore(text string) bool {
	return slices.Contains(moreWords, strings.ToLower(strings.TrimSpace(text)))
}

// deliver returns the first of parts as the passive reply and pushes at
// most one more: WeChat allows few pushes (Grant), and four messages in a
// row bury each other. What does not fit waits in gateway.db, and the
// pushed part (or the reply) ends with "回复 N 查看更多". prefix goes
// before the first part.
func (wh *Webhook) deliver(ctx context.Context, openid, prefix string, parts, secrets []string) string {
	if prefix != "" {
		parts = prepend(prefix, parts)
	}
	out := wh.cut(ctx, openid, parts, secrets)
	if len(out) == 0 {
		return ""
	}
	wh.push(openid, out[1:], secrets)
	return out[0]
}

// cut returns the first two of parts, keeping the rest for "N" (without
// secrets).
func (wh *Webhook) cut(ctx context.Context, openid string, parts, secrets []string) []string {
	if len(parts) == 0 {
		return nil
	}
	shown := min(len(parts), 2)
	rest := parts[shown:]
	out := slices.Clone(parts[:shown])
	if len(rest) > 0 {
		kept := make([]string, len(rest))
		for i, p := range rest {
			kept[i] = redact(p, secrets)
		}
		if wh.putMore(ctx, openid, kept) {
			out[shown-1] = appendLine(out[shown-1], wh.render("wechat.more", len(rest)))
		}
	} else {
		wh.putMore(ctx, openid, nil)
	}
	return out
}

// appendLine adds a line after s, keeping s within WeChat's limit.
func appendLine(s, line string) string {
	if line == "" {
		return s
	}
	if len(s)+1+len(line) > maxTextBytes {
		s = bot.Split(s, maxTextBytes-len(line)-1)[0]
	}
	return s + "\n" + line
}

const moreKey = "more/"

// putMore keeps the rest of a long answer for the user's "N" (none
// forgets it); false means it could not be kept.
func (wh *Webhook) putMore(ctx context.Context, openid string, rest []string) bool {
	v := ""
	wh.mu.Lock()
	if len(rest) > 0 {
		if len(wh.more) >= 100_000 {
			clear(wh.more)
		}
		wh.more[openid] = true
	} else if !wh.more[openid] {
		// Nothing kept since this process started (what an earlier one
		// kept is forgotten at the next long answer or N).
		wh.mu.Unlock()
		return true
	} else {
		delete(wh.more, openid)
	}
	wh.mu.Unlock()
	if len(rest) > 0 {
		b, err := json.Marshal(rest)
		if err != nil {
			return false
		}
		v = string(b)
	}
	if err := wh.st.PutState(ctx, moreKey+openid, v, wh.Now()); err != nil {
		wh.Logger.Error("wechat: keep the rest of an answer", "user", HashID(openid), "err", err)
		return false
	}
	return true
}

// takeMore returns the rest of the user's last long answer, if any.
func (wh *Webhook) takeMore(ctx context.Context, openid string) ([]string, bool) {
	v, ok, err := wh.st.GetState(ctx, moreKey+openid)
	if err != nil {
		wh.Logger.Error("wechat: read the rest of an answer", "user", HashID(openid), "err", err)
		return nil, false
	}
	var rest []string
	if !ok || v == "" || json.Unmarshal([]byte(v), &rest) != nil || len(rest) == 0 {
		return nil, false
	}
	// Taken: deliver keeps what still does not fit.
	wh.mu.Lock()
	wh.more[openid] = true
	wh.mu.Unlock()
	return rest, true
}

// ask runs the engine, waiting at most until deadline. When the engine is
// late, its whole answer is pushed once it has it, and late is true. The
// engine works in sl, and gives it up while it waits for a commit.
func (wh *Webhook) ask(req *bot.Request, deadline time.Time, sl *slot) (rep *bot.Reply, late bool) {
	type result struct {
		rep *bot.Reply
		err error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(wh.ctx, wh.HandleTimeout)
	ctx = bot.WithPause(ctx, sl.pause)
	wh.bg.Go(func() {
		defer cancel()
		defer sl.release()
		rep, err := wh.h.Handle(ctx, req)
		done <- result{rep, err}
	})
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			wh.Logger.Error("wechat: handle", "user", HashID(req.User), "err", r.err)
		}
		return r.rep, false
	case <-t.C:
	}
	wh.Logger.Warn("wechat: engine slower than the budget; the answer is pushed", "user", HashID(req.User), "budget", wh.Budget)
	wh.bg.Go(func() {
		r := <-done
		if r.err != nil {
			wh.Logger.Error("wechat: handle", "user", HashID(req.User), "err", r.err)
			return
		}
		var secrets []string
		if r.rep != nil {
			secrets = r.rep.Secrets
		}
		wh.followUp(req.User, r.rep, wh.cut(wh.ctx, req.User, splitParts(r.rep), secrets))
	})
	return nil, true
}

// followUp pushes texts now and the reply's receipt once it is committed.
func (wh *Webhook) followUp(openid string, rep *bot.Reply, texts []string) {
	var secrets []string
	if rep != nil {
		secrets = rep.Secrets
	}
	wh.push(openid, texts, secrets)
	if rep == nil || rep.Later == nil {
		return
	}
	select {
	case wh.laters <- struct{}{}:
	default:
		wh.Logger.Error("wechat: too many receipts being waited for; one is dropped (the user sees it under 回执)", "user", HashID(openid))
		return
	}
	wh.bg.Go(func() {
		defer func() { <-wh.laters }()
		ctx, cancel := context.WithTimeout(wh.ctx, wh.LaterTimeout)
		defer cancel()
		later, err := rep.Later(ctx)
		if err != nil {
			if wh.ctx.Err() == nil {
				wh.Logger.Error("wechat: wait for receipt", "user", HashID(openid), "err", err)
			}
			return
		}
		var secrets []string
		if later != nil {
			secrets = later.Secrets
		}
		wh.push(openid, wh.cut(wh.ctx, openid, splitParts(later), secrets), secrets)
	})
}

func (wh *Webhook) push(openid string, texts, secrets []string) {
	if len(texts) == 0 {
		return
	}
	if wh.Push == nil || !wh.Push.Push(openid, texts, secrets) {
		wh.Logger.Error("wechat: cannot push a follow-up message", "user", HashID(openid), "parts", len(texts))
	}
}

// maxTextBytes is WeChat's limit for a text message.
const maxTextBytes = 2048

// splitParts returns the reply's parts, each within WeChat's limit.
func splitParts(rep *bot.Reply) []string {
	if rep == nil {
		return nil
	}
	var out []string
	for _, p := range rep.Parts {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if len(p) <= maxTextBytes {
			out = append(out, p)
			continue
		}
		out = append(out, bot.Split(p, bot.MaxPartBytes)...)
	}
	return out
}

// prepend puts a line before the first part, in the same message when it
// fits.
func prepend(line string, parts []string) []string {
	if len(parts) > 0 && len(line)+1+len(parts[0]) <= bot.MaxPartBytes {
		return append([]string{line + "\n" + parts[0]}, parts[1:]...)
	}
	return append([]string{line}, parts...)
}

func (wh *Webhook) render(name string, data any) string {
	s, err := wh.tpl.Render(name, data)
	if err != nil {
		wh.Logger.Error("wechat: render", "template", name, "err", err)
		return ""
	}
	return strings.TrimSpace(s)
}

// write writes the passive reply: "success" for none (in safe mode too,
// where WeChat accepts it unencrypted), else a text message, encrypted
// when the request was.
func (wh *Webhook) write(w http.ResponseWriter, m *inbound, text string, safe bool) {
	if text == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "success")
		return
	}
	now := wh.Now().Unix()
	reply := message.NewText(text)
	reply.SetToUserName(message.CDATA(m.FromUserName))
	reply.SetFromUserName(message.CDATA(m.ToUserName))
	reply.SetCreateTime(now)
	reply.SetMsgType(message.MsgTypeText)
	out, err := xml.Marshal(reply)
	if err != nil {
		wh.Logger.Error("wechat: encode reply", "err", err)
		io.WriteString(w, "success")
		return
	}
	if safe {
		random := make([]byte, 16)
		rand.Read(random)
		enc, err := util.EncryptMsg(random, out, wh.AppID, wh.AESKey)
		if err != nil {
			wh.Logger.Error("wechat: encrypt reply", "err", err)
			io.WriteString(w, "success")
			return
		}
		nonce := fmt.Sprintf("%d", randUint32())
		ts := strconv.FormatInt(now, 10)
		out, err = xml.Marshal(message.ResponseEncryptedXMLMsg{
			EncryptedMsg: string(enc),
			MsgSignature: signature(wh.Token, ts, nonce, string(enc)),
			Timestamp:    now,
			Nonce:        nonce,
		})
		if err != nil {
			wh.Logger.Error("wechat: encode reply", "err", err)
			io.WriteString(w, "success")
			return
		}
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write(out)
}

func randUint32() uint32 {
	var b [4]byte
	rand.Read(b[:])
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// refusalLog rate-limits the log lines of refused requests: one per reason
// a minute, saying how many were refused since the last line.
type refusalLog struct {
	mu   sync.Mutex
	last map[string]refusalCount
}

type refusalCount struct {
	at     time.Time
	missed int
}

// refusalEvery is how often one reason is logged at most.
const refusalEvery = time.Minute

// refuse answers a request with status and logs why, with its source
// address (and the proxy's X-Forwarded-For, unverified), never a secret
// or the body.
func (wh *Webhook) refuse(w http.ResponseWriter, r *http.Request, status int, reason string) {
	http.Error(w, reason, status)
	l := &wh.refusals
	now := time.Now()
	l.mu.Lock()
	if l.last == nil {
		l.last = map[string]refusalCount{}
	}
	c, seen := l.last[reason]
	if seen && now.Sub(c.at) < refusalEvery {
		c.missed++
		l.last[reason] = c
		l.mu.Unlock()
		return
	}
	l.last[reason] = refusalCount{at: now}
	l.mu.Unlock()
	args := []any{"reason", reason, "status", status, "remote", r.RemoteAddr}
	if f := r.Header.Get("X-Forwarded-For"); f != "" {
		args = append(args, "forwarded_for", clipRunes(f, 64))
	}
	if c.missed > 0 {
		args = append(args, "also_refused_in_the_last_minute", c.missed)
	}
	wh.Logger.Warn("wechat: request refused", args...)
}
