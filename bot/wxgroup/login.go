package wxgroup

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/eatmoreapple/openwechat"
)

// ErrQRExpired means nobody confirmed the login before WeChat let its QR
// code expire.
var ErrQRExpired = errors.New("wxgroup: the QR code expired before the phone confirmed the login: run `linli wxgroup login` again")

// LoginStore keeps the hot-login storage Login saves.
type LoginStore interface {
	SaveLogin(ctx context.Context, data []byte, at time.Time) error
}

// QRPrefix is what the login QR code carries before the session's uuid,
// as WeChat's own login page encodes it.
const QRPrefix = "https://login.weixin.qq.com/l/"

// Login logs the committee's account in by QR code, once: show gets the
// text the QR code must carry (each time WeChat issues one), scanned is
// called when the phone has scanned it and must confirm. On success the
// hot-login storage is saved to st (never anywhere else) and the
// account's nickname returned; the session is left for `linli start` to
// resume. A code that expires ends it with an error: run it again.
func Login(ctx context.Context, st LoginStore, transport http.RoundTripper, show func(qr string), scanned func()) (nick string, err error) {
	// Cancelling, not b.Exit, ends the session's sync goroutine at the end:
	// Exit writes a field that goroutine reads unguarded.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b := newBot(ctx, transport)
	b.UUIDCallback = func(uuid string) { show(QRPrefix + uuid) }
	b.ScanCallBack = func(openwechat.CheckLoginResponse) {
		if scanned != nil {
			scanned()
		}
	}
	if err := b.Login(); err != nil {
		if errors.Is(err, openwechat.ErrLoginTimeout) {
			return "", ErrQRExpired
		}
		return "", fmt.Errorf("wxgroup: login: %w", err)
	}
	self, err := b.GetCurrentUser()
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := b.DumpTo(&buf); err != nil {
		return "", err
	}
	if err := st.SaveLogin(ctx, buf.Bytes(), time.Now()); err != nil {
		return "", err
	}
	return self.NickName, nil
}

// hotStorage is openwechat's HotReloadStorage over gateway.db: reads give
// the saved bytes, each write (one JSON document) replaces them.
type hotStorage struct {
	mu   sync.Mutex
	r    *bytes.Reader
	last []byte
	save func([]byte) error
}

func newHotStorage(data []byte, save func([]byte) error) *hotStorage {
	return &hotStorage{r: bytes.NewReader(data), last: data, save: save}
}

func (h *hotStorage) Read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.r.Read(p)
}

func (h *hotStorage) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if bytes.Equal(p, h.last) {
		return len(p), nil
	}
	if err := h.save(p); err != nil {
		return 0, err
	}
	h.last = append([]byte(nil), p...)
	return len(p), nil
}

var _ io.ReadWriter = (*hotStorage)(nil)

// BindCodeDigits is how many digits a group's binding code has.
const BindCodeDigits = 12

// NewBindCode draws a one-time code that binds a group, in groups of four
// digits ("4821 5039 6712"), and the hash the store keeps instead.
func NewBindCode() (code, hash string, err error) {
	var b strings.Builder
	for i := 0; i < BindCodeDigits; i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", "", err
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	code = b.String()
	return code, HashBindCode(code), nil
}

// HashBindCode is the hash a binding code is stored under: SHA-256 over a
// tag and its digits (spaces and full-width digits allowed).
func HashBindCode(code string) string {
	h := sha256.Sum256([]byte("linli wxgroup bind\x00" + digits(code)))
	return hex.EncodeToString(h[:])
}

// digits returns the decimal digits of s (full-width ones too), in order.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		}
	}
	return b.String()
}

// bindCommand recognises "绑定本群 CODE" (or 绑定群, 绑群) and returns the
// code's digits, however many: a wrong code is answered as such.
func bindCommand(text string) (code string, ok bool) {
	for _, w := range []string{"绑定本群", "绑定群", "绑群"} {
		rest, found := strings.CutPrefix(text, w)
		if !found {
			continue
		}
		if strings.IndexFunc(rest, func(r rune) bool {
			return !unicode.IsSpace(r) && !(r >= '0' && r <= '9') && !(r >= '０' && r <= '９')
		}) >= 0 {
			return "", false
		}
		d := digits(rest)
		return d, d != ""
	}
	return "", false
}
