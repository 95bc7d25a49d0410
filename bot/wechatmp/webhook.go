package wechatmp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
	// openid. fresh means the key is new and the caller must handle the
	// message and call FinishMessage; otherwise answered says whether the
	// first delivery was answered, with the reply it wrote.
	BeginMessage(ctx context.Context, key, openid, address string, at time.Time) (fresh, answered bool, reply string, err error)
	// FinishMessage records the passive reply written to key.
	FinishMessage(ctx context.Context, key, reply string) error
	// PruneMessages forgets messages that arrived before before.
	PruneMessages(ctx context.Context, before time.Time) (int64, error)
	// SetSubscribed records a follow or unfollow.
	SetSubscribed(ctx context.Context, openid, address string, subscribed bool, at time.Time) error
	// EachUser calls fn for every user seen, until fn returns an error.
	EachUser(ctx context.Context, fn func(openid, address string, subscribed bool, lastSeen time.Time) error) error
	// GetState and PutState keep the notifier's memory.
	GetState(ctx context.Context, key string) (value string, ok bool, err error)
	PutState(ctx context.Context, key, value string, at time.Time) error
}

// Pusher sends texts to a user as customer-service messages, outside the
// request: *Outbox. Push must not block; it reports false when the text
// could not even be queued.
type Pusher interface {
	Push(openid string, texts []string) bool
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
	// DefaultMaxConcurrent is MaxConcurrent's default.
	DefaultMaxConcurrent = 4
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
	// MaxConcurrent bounds the messages handled at once; more wait their
	// turn (a request that cannot start within its budget gets a 503, and
	// WeChat sends it again). Few at once keep gateway.db's SQLite from
	// contending with itself.
	MaxConcurrent int
	// Community is named in the welcome.
	Community string
	// Address returns the chain address of an openid's custodial key,
	// recorded with the user in gateway.db; nil records none.
	Address func(openid string) (string, error)
	// Push sends what the passive reply could not carry; nil drops it
	// (and logs).
	Push Pusher
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
	// busy reports that it could not start (and WeChat should retry).
	busy bool
}

// NewWebhook returns a webhook that hands messages to h and keeps its
// records in st, with the defaults set.
func NewWebhook(h Handler, st Store, t *templates.Set) *Webhook {
	return &Webhook{
		Budget: DefaultBudget, Window: DefaultWindow, MaxBody: DefaultMaxBody,
		LaterTimeout: DefaultLaterTimeout, HandleTimeout: DefaultHandleTimeout, MaxConcurrent: DefaultMaxConcurrent,
		Now: time.Now, Logger: slog.New(slog.DiscardHandler),
		h: h, st: st, tpl: t,
		inflight: map[string]*call{}, seen: map[string]time.Time{},
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
	}
	if wh.Budget <= 0 || wh.Window <= 0 || wh.MaxBody <= 0 || wh.MaxConcurrent <= 0 {
		return errors.New("wechatmp: budget, window, body limit and concurrency must be positive")
	}
	wh.slots = make(chan struct{}, wh.MaxConcurrent)
	wh.ctx, wh.cancel = context.WithCancel(context.Background())
	wh.laters = make(chan struct{}, maxLaters)
	wh.bg.Go(wh.prune)
	return nil
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

// ServeHTTP answers WeChat: the GET verification, or a POSTed message.
// A missing or malformed parameter or body is a 400, a bad signature, a
// timestamp outside the window or a plaintext request to a safe-mode
// account a 403, a body over MaxBody a 413. Nothing is parsed before the
// URL's signature checks out.
func (wh *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("signature")
	if ts == "" || nonce == "" || sig == "" {
		http.Error(w, "missing signature", http.StatusBadRequest)
		return
	}
	if !equalSig(sig, signature(wh.Token, ts, nonce)) {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		http.Error(w, "bad timestamp", http.StatusBadRequest)
		return
	}
	if d := wh.Now().Sub(time.Unix(sec, 0)); d > wh.Window || d < -wh.Window {
		http.Error(w, "stale timestamp", http.StatusForbidden)
		return
	}
	if r.Method == http.MethodGet {
		echo := q.Get("echostr")
		if echo == "" {
			http.Error(w, "missing echostr", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, echo)
		return
	}

	safe := q.Get("encrypt_type") == "aes"
	switch {
	case safe && wh.AESKey == "":
		http.Error(w, "safe mode is not configured", http.StatusBadRequest)
		return
	case !safe && wh.AESKey != "":
		http.Error(w, "plaintext requests are refused in safe mode", http.StatusForbidden)
		return
	case !safe && q.Get("encrypt_type") != "" && q.Get("encrypt_type") != "raw":
		http.Error(w, "unknown encrypt_type", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wh.MaxBody))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	raw := body
	if safe {
		var env envelope
		if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
			http.Error(w, "malformed body", http.StatusBadRequest)
			return
		}
		if !equalSig(q.Get("msg_signature"), signature(wh.Token, ts, nonce, env.Encrypt)) {
			http.Error(w, "bad msg_signature", http.StatusForbidden)
			return
		}
		_, raw, err = util.DecryptMsg(wh.AppID, env.Encrypt, wh.AESKey)
		if err != nil {
			http.Error(w, "cannot decrypt", http.StatusBadRequest)
			return
		}
	}
	var msg message.MixMessage
	if err := xml.Unmarshal(raw, &msg); err != nil || msg.FromUserName == "" || msg.MsgType == "" {
		http.Error(w, "malformed message", http.StatusBadRequest)
		return
	}
	if id := q.Get("openid"); id != "" && id != string(msg.FromUserName) {
		http.Error(w, "openid does not match", http.StatusBadRequest)
		return
	}
	text, ok := wh.message(&msg, arrived)
	if !ok {
		http.Error(w, "busy, try again", http.StatusServiceUnavailable)
		return
	}
	wh.write(w, &msg, text, safe)
}

// dedupKey names a message across WeChat's retries: its MsgId, or for
// events (which have none) the sender and creation time.
func dedupKey(m *message.MixMessage) string {
	if m.MsgID != 0 {
		return "msg:" + strconv.FormatInt(m.MsgID, 10)
	}
	return "event:" + string(m.FromUserName) + ":" + strconv.FormatInt(m.CreateTime, 10)
}

// message handles a message once, however often WeChat delivers it, and
// returns the passive reply ("" for none); ok is false when it could not
// start within the budget.
func (wh *Webhook) message(m *message.MixMessage, arrived time.Time) (reply string, ok bool) {
	deadline := arrived.Add(wh.Budget - min(100*time.Millisecond, wh.Budget/4))
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
			return c.reply, !c.busy
		case <-t.C:
			return "", true
		}
	}
	t := time.NewTimer(time.Until(deadline))
	select {
	case wh.slots <- struct{}{}:
		t.Stop()
	case <-t.C:
		c.busy = true
		wh.mu.Lock()
		delete(wh.inflight, key)
		wh.mu.Unlock()
		close(c.done)
		return "", false
	}
	defer func() { <-wh.slots }()
	forget := func() {
		close(c.done)
		wh.mu.Lock()
		delete(wh.inflight, key)
		wh.mu.Unlock()
	}

	openid := string(m.FromUserName)
	ctx := wh.ctx
	addr := wh.address(openid)
	now := wh.Now()
	touch := openid
	if wh.touchedRecently(openid, now) {
		touch = ""
	}
	fresh, answered, stored, err := wh.st.BeginMessage(ctx, key, touch, addr, now)
	switch {
	case err != nil:
		// Without the record, answering is still better than silence.
		wh.Logger.Error("wechat: record message", "user", HashID(openid), "err", err)
	case !fresh && answered:
		c.reply = stored
		forget()
		return stored, true
	case !fresh:
		// Delivered before a restart and never answered: whether it
		// took effect is unknown, so it is not handled again.
		c.reply = wh.render("wechat.inflight", nil)
		forget()
		return c.reply, true
	}
	if err == nil && touch != "" {
		wh.touched(openid, now)
	}
	c.reply = wh.handle(m, openid, addr, deadline)
	// Retries are answered from memory until the reply is recorded, which
	// happens beside writing it rather than before.
	close(c.done)
	wh.bg.Go(func() {
		if err := wh.st.FinishMessage(ctx, key, c.reply); err != nil && ctx.Err() == nil {
			wh.Logger.Error("wechat: record reply", "user", HashID(openid), "err", err)
		}
		wh.mu.Lock()
		delete(wh.inflight, key)
		wh.mu.Unlock()
	})
	return c.reply, true
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
// reply; the rest of the engine's answer is pushed.
func (wh *Webhook) handle(m *message.MixMessage, openid, addr string, deadline time.Time) string {
	req := &bot.Request{Channel: Channel, User: openid, MsgID: dedupKey(m), Time: time.Unix(m.CreateTime, 0)}
	var prefix string
	switch m.MsgType {
	case message.MsgTypeText:
		req.Text = m.Content
	case message.MsgTypeVoice:
		// WeChat is retiring Recognition: without it the engine sees an
		// empty message and asks for a digit.
		req.Text, req.Voice = m.Recognition, true
		if strings.TrimSpace(m.Recognition) == "" {
			prefix = wh.render("wechat.voice", nil)
		}
	case message.MsgTypeEvent:
		switch ev := string(m.Event); {
		case strings.EqualFold(ev, string(message.EventSubscribe)):
			if err := wh.st.SetSubscribed(wh.ctx, openid, addr, true, wh.Now()); err != nil {
				wh.Logger.Error("wechat: record follow", "user", HashID(openid), "err", err)
			}
			prefix = wh.render("wechat.welcome", struct{ Community string }{wh.Community})
			req.Text = "菜单"
		case strings.EqualFold(ev, string(message.EventUnsubscribe)):
			if err := wh.st.SetSubscribed(wh.ctx, openid, addr, false, wh.Now()); err != nil {
				wh.Logger.Error("wechat: record unfollow", "user", HashID(openid), "err", err)
			}
			return ""
		case strings.EqualFold(ev, string(message.EventClick)):
			cmd, ok := clickCommands[strings.ToUpper(strings.TrimSpace(m.EventKey))]
			if !ok {
				return wh.render("wechat.unsupported", nil)
			}
			req.Text = cmd
		default:
			// VIEW, SCAN, LOCATION, template delivery reports…: nothing
			// to say.
			return ""
		}
	default:
		return wh.render("wechat.unsupported", nil)
	}

	rep, late := wh.ask(req, deadline)
	if late {
		return wh.render("wechat.slow", nil)
	}
	parts := splitParts(rep)
	if prefix != "" {
		parts = prepend(prefix, parts)
	}
	if len(parts) == 0 {
		wh.followUp(openid, rep, nil)
		return ""
	}
	wh.followUp(openid, rep, parts[1:])
	return parts[0]
}

// ask runs the engine, waiting at most until deadline. When the engine is
// late, its whole answer is pushed once it has it, and late is true.
func (wh *Webhook) ask(req *bot.Request, deadline time.Time) (rep *bot.Reply, late bool) {
	type result struct {
		rep *bot.Reply
		err error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(wh.ctx, wh.HandleTimeout)
	wh.bg.Go(func() {
		defer cancel()
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
		wh.followUp(req.User, r.rep, splitParts(r.rep))
	})
	return nil, true
}

// followUp pushes texts now and the reply's receipt once it is committed.
func (wh *Webhook) followUp(openid string, rep *bot.Reply, texts []string) {
	wh.push(openid, texts)
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
		wh.push(openid, splitParts(later))
	})
}

func (wh *Webhook) push(openid string, texts []string) {
	if len(texts) == 0 {
		return
	}
	if wh.Push == nil || !wh.Push.Push(openid, texts) {
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
func (wh *Webhook) write(w http.ResponseWriter, m *message.MixMessage, text string, safe bool) {
	if text == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "success")
		return
	}
	now := wh.Now().Unix()
	reply := message.NewText(text)
	reply.SetToUserName(m.FromUserName)
	reply.SetFromUserName(m.ToUserName)
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
