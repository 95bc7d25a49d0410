package wechatmp_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file plays WeChat's side of the callback protocol, written from
// WeChat's documentation rather than from the package under test: SHA-1
// signatures over the sorted token, timestamp and nonce (and ciphertext),
// and AES-256-CBC with the EncodingAESKey (IV = the key's first 16 bytes,
// PKCS#7 to 32 bytes) over random(16) + length(4, big-endian) + XML + AppID.

const (
	testToken  = "linliToken2026"
	testAppID  = "wx1234567890abcdef"
	testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" // 43 characters
	testOA     = "gh_0123456789ab"
)

func wxSign(parts ...string) string {
	s := append([]string(nil), parts...)
	sort.Strings(s)
	h := sha1.Sum([]byte(strings.Join(s, "")))
	return hex.EncodeToString(h[:])
}

func wxKey(t testing.TB) []byte {
	k, err := base64.StdEncoding.DecodeString(testAESKey + "=")
	if err != nil || len(k) != 32 {
		t.Fatalf("bad test key: %v", err)
	}
	return k
}

func wxEncrypt(t testing.TB, appID string, plain []byte) string {
	key := wxKey(t)
	var buf bytes.Buffer
	random := make([]byte, 16)
	rand.Read(random)
	buf.Write(random)
	binary.Write(&buf, binary.BigEndian, uint32(len(plain)))
	buf.Write(plain)
	buf.WriteString(appID)
	pad := 32 - buf.Len()%32
	buf.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	out := make([]byte, buf.Len())
	block, _ := aes.NewCipher(key)
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, buf.Bytes())
	return base64.StdEncoding.EncodeToString(out)
}

func wxDecrypt(t testing.TB, enc string) (plain []byte, appID string) {
	t.Helper()
	key := wxKey(t)
	ct, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(ct)%32 != 0 || len(ct) == 0 {
		t.Fatalf("reply ciphertext: %v (%d bytes)", err, len(ct))
	}
	block, _ := aes.NewCipher(key)
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad < 1 || pad > 32 {
		t.Fatalf("reply padding %d", pad)
	}
	pt = pt[:len(pt)-pad]
	n := binary.BigEndian.Uint32(pt[16:20])
	return pt[20 : 20+n], string(pt[20+n:])
}

// wxMsg is a message as WeChat posts it.
type wxMsg struct {
	From        string
	CreateTime  int64
	Type        string // text, voice, image, event, …
	Content     string
	Recognition string
	Event       string
	EventKey    string
	MsgID       int64
}

func (m wxMsg) xml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[%s]]></MsgType>",
		testOA, m.From, m.CreateTime, m.Type)
	switch m.Type {
	case "text":
		fmt.Fprintf(&b, "<Content><![CDATA[%s]]></Content>", m.Content)
	case "voice":
		fmt.Fprintf(&b, "<MediaId><![CDATA[media-1]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[%s]]></Recognition>", m.Recognition)
	case "image":
		b.WriteString("<PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[media-2]]></MediaId>")
	case "location":
		b.WriteString("<Location_X>31.2</Location_X><Location_Y>121.4</Location_Y><Scale>15</Scale><Label><![CDATA[上海]]></Label>")
	case "event":
		fmt.Fprintf(&b, "<Event><![CDATA[%s]]></Event><EventKey><![CDATA[%s]]></EventKey>", m.Event, m.EventKey)
	}
	if m.MsgID != 0 {
		fmt.Fprintf(&b, "<MsgId>%d</MsgId>", m.MsgID)
	}
	b.WriteString("</xml>")
	return b.String()
}

// mode is how a request is sent.
type mode int

const (
	plaintext mode = iota
	compatible
	safe
)

// wxRequest builds a POST signed as WeChat signs it, at time at.
func wxRequest(t testing.TB, base string, m wxMsg, md mode, at time.Time) *http.Request {
	t.Helper()
	ts := strconv.FormatInt(at.Unix(), 10)
	nonce := strconv.FormatInt(at.UnixNano()%1e9, 10)
	q := url.Values{"signature": {wxSign(testToken, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {m.From}}
	body := m.xml()
	if md != plaintext {
		enc := wxEncrypt(t, testAppID, []byte(body))
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wxSign(testToken, ts, nonce, enc))
		if md == compatible {
			body = strings.Replace(body, "</xml>", "<Encrypt><![CDATA["+enc+"]]></Encrypt></xml>", 1)
		} else {
			body = "<xml><ToUserName><![CDATA[" + testOA + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
		}
	}
	r, err := http.NewRequest(http.MethodPost, base+"?"+q.Encode(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "text/xml")
	return r
}

// wxReply is a passive reply as WeChat reads it.
type wxReply struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
	// Safe mode.
	Encrypt      string `xml:"Encrypt"`
	MsgSignature string `xml:"MsgSignature"`
	TimeStamp    string `xml:"TimeStamp"`
	Nonce        string `xml:"Nonce"`
}

// readReply reads a passive reply as WeChat would: "success" is no reply
// (""), and a safe-mode reply must be signed and encrypted for the AppID.
func readReply(t testing.TB, res *http.Response, md mode) string {
	t.Helper()
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if string(body) == "success" {
		return ""
	}
	var r wxReply
	if err := xml.Unmarshal(body, &r); err != nil {
		t.Fatalf("reply is not XML: %v: %s", err, body)
	}
	if md != plaintext {
		if r.Encrypt == "" {
			t.Fatalf("a safe-mode request got a plaintext reply: %s", body)
		}
		if got, want := r.MsgSignature, wxSign(testToken, r.TimeStamp, r.Nonce, r.Encrypt); got != want {
			t.Fatalf("reply msg_signature %s, want %s", got, want)
		}
		plain, appID := wxDecrypt(t, r.Encrypt)
		if appID != testAppID {
			t.Fatalf("reply encrypted for %q", appID)
		}
		r = wxReply{}
		if err := xml.Unmarshal(plain, &r); err != nil {
			t.Fatalf("decrypted reply is not XML: %v: %s", err, plain)
		}
	} else if r.Encrypt != "" {
		t.Fatalf("a plaintext request got an encrypted reply")
	}
	if r.MsgType != "text" || r.ToUserName == "" || r.FromUserName != testOA {
		t.Fatalf("reply %+v: want a text message from %s", r, testOA)
	}
	return r.Content
}

// post sends a request to an httptest server and reads the reply.
func post(t testing.TB, srv *httptest.Server, m wxMsg, md mode) string {
	t.Helper()
	res, err := srv.Client().Do(wxRequest(t, srv.URL, m, md, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return readReply(t, res, md)
}

func contains(t testing.TB, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q does not contain %q", what, got, w)
		}
	}
}
