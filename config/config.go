package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// defaultFile is the commented default linli.toml that WriteDefault writes.
//
//go:embed default.toml
var defaultFile []byte

// Config is the content of linli.toml.
type Config struct {
	// LogLevel is how much linli logs: "debug", "info" or "error".
	LogLevel string `toml:"log_level"`
	// Client holds the settings of the commands that talk to a node.
	Client Client `toml:"client"`
	// Roster holds the settings of `linli roster`.
	Roster Roster `toml:"roster"`
	// Chat holds the settings of the chat engine, for WeChat and `linli
	// chat` alike.
	Chat Chat `toml:"chat"`
	// Wechat holds the settings of the WeChat official account gateway
	// that `linli start` serves.
	Wechat Wechat `toml:"wechat"`
	// Wecom holds the settings of the WeCom customer-group channel
	// (企业微信客户群) that `linli start` posts public notices through.
	Wecom Wecom `toml:"wecom"`
	// Board holds the settings of the public notice board (公示栏) that
	// `linli start` serves.
	Board Board `toml:"board"`
	// WxGroup holds the settings of the group adapter that runs a
	// personal WeChat account in the community's groups (off by default).
	WxGroup WxGroup `toml:"wxgroup"`
}

// WxGroup holds the settings of the personal-account group adapter
// (bot/wxgroup). Its pacing has floors and caps Validate enforces: at
// least 30s between two sends to one group, at most 20 sends to one group
// and 200 in all in any 24 hours.
type WxGroup struct {
	// Enabled makes `linli start` run the adapter (after `linli wxgroup
	// login`).
	Enabled bool `toml:"enabled"`
	// OfficialAccount is the name of the community's official account,
	// where the group's members are sent for anything personal.
	OfficialAccount string `toml:"official_account"`
	// Gap is the least time between two sends to one group, Jitter the
	// most added to it at random.
	Gap    time.Duration `toml:"gap"`
	Jitter time.Duration `toml:"jitter"`
	// GroupDaily and Daily cap the sends in any 24 hours, per group and
	// in all.
	GroupDaily int `toml:"group_daily"`
	Daily      int `toml:"daily"`
	// QueueSize is how many messages may wait; beyond it the oldest is
	// dropped and logged.
	QueueSize int `toml:"queue_size"`
	// AnswerTTL is how long an answer may wait for its turn.
	AnswerTTL time.Duration `toml:"answer_ttl"`
	// RetryBase is the pause after a failed send, doubled each time up to
	// RetryMax; Tries attempts in all.
	RetryBase time.Duration `toml:"retry_base"`
	RetryMax  time.Duration `toml:"retry_max"`
	Tries     int           `toml:"tries"`
	// BindCodeTTL is how long a code from `linli wxgroup bindcode` or an
	// admin's 管理 绑群 in chat binds.
	BindCodeTTL time.Duration `toml:"bindcode_ttl"`
	// Groups are groups of the community by name, each tied to a building
	// ("" for the whole community), besides those bound with a code.
	Groups map[string]string `toml:"groups"`
}

// Floors and caps of [wxgroup]'s pacing.
const (
	MinWxGroupGap        = 30 * time.Second
	MaxWxGroupGroupDaily = 20
	MaxWxGroupDaily      = 200
)

// Wecom holds the settings of the WeCom customer-group channel: the
// community's customer groups, each owned by a committee member's WeCom
// account, get the important public notices as group messages the owner
// confirms. The secret is never here: it is in SecretFile.
type Wecom struct {
	// Enabled makes `linli start` post to the groups.
	Enabled bool `toml:"enabled"`
	// CorpID is the company's id (企业ID, not a secret).
	CorpID string `toml:"corp_id"`
	// SecretFile names the TOML file (mode 0600, relative to the home)
	// holding secret, the customer-contact (客户联系) API's secret.
	SecretFile string `toml:"secret_file"`
	// OfficialAccount is the official account's name, which each group
	// message's last line tells residents to message (a group cannot
	// answer).
	OfficialAccount string `toml:"official_account"`
	// APIURL replaces https://qyapi.weixin.qq.com (an egress proxy);
	// empty means WeCom's own.
	APIURL string `toml:"api_url"`
	// APITimeout bounds each call to WeCom's API.
	APITimeout time.Duration `toml:"api_timeout"`
	// PerDay and PerMonth are how many group messages each group gets at
	// most a day and a month; PerMonth 0 means the days of the month.
	PerDay   int `toml:"per_day"`
	PerMonth int `toml:"per_month"`
	// CheckAfter is how long after a group message its result is asked
	// of WeCom (and then again at that interval until settled).
	CheckAfter time.Duration `toml:"check_after"`
	// ConfirmBy is how long a group's owner has to confirm a send before
	// the admins are told.
	ConfirmBy time.Duration `toml:"confirm_by"`
	// Groups are the community's customer groups.
	Groups []WecomGroup `toml:"groups"`
}

// WecomGroup is one customer group.
type WecomGroup struct {
	// ChatID is WeCom's id of the group (from 客户群 → 群详情, or the
	// groupchat/list API).
	ChatID string `toml:"chat_id"`
	// Owner is the WeCom userid of the group's owner (群主).
	Owner string `toml:"owner"`
	// Building ties the group to a building, whose own votes it then
	// also hears of; empty means the community's notices only.
	Building string `toml:"building"`
}

// Board holds the settings of the public notice board: read-only pages
// and printable notices over the node's state.
type Board struct {
	// Enabled makes `linli start` serve the board.
	Enabled bool `toml:"enabled"`
	// Listen is the board's listen address, such as "127.0.0.1:8090".
	Listen string `toml:"listen"`
	// PublicURL is the board's address as residents reach it (behind a
	// reverse proxy, say), used in links and QR codes; empty means
	// http://LISTEN/.
	PublicURL string `toml:"public_url"`
}

// URL returns the board's public base URL, ending in "/": PublicURL, or
// the listen address when it is empty (an address without a host is
// reached at 127.0.0.1).
func (b Board) URL(listen string) string {
	if b.PublicURL != "" {
		return strings.TrimSuffix(b.PublicURL, "/") + "/"
	}
	host, port, _ := net.SplitHostPort(listen)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// Client holds the settings of `linli query`, `linli tx` and `linli roster`,
// which talk to a node over CometBFT RPC.
type Client struct {
	// Node is the RPC address of the node, such as "http://127.0.0.1:26657".
	// Empty means this home's own node, at the RPC address in CometBFT's
	// config/config.toml.
	Node string `toml:"node"`
	// CommitTimeout is how long `linli tx` waits for a commit before it
	// reports the transaction as pending.
	CommitTimeout time.Duration `toml:"commit_timeout"`
}

// Roster holds the settings of `linli roster`.
type Roster struct {
	// BatchSize is how many units one registration transaction carries.
	BatchSize int `toml:"batch_size"`
}

// Chat holds the settings of the chat engine.
type Chat struct {
	// Templates names a directory (relative to the home) of *.tmpl files
	// whose definitions replace the built-in wording; empty means the
	// built-in wording only.
	Templates string `toml:"templates"`
	// SessionTTL is how long a numbered menu stays valid while its user is
	// idle.
	SessionTTL time.Duration `toml:"session_ttl"`
}

// Wechat holds the settings of the WeChat official account (公众号)
// gateway: the webhook `linli start` serves when Enabled, and the
// notifications it pushes. Secrets are never here: they are in SecretFile.
type Wechat struct {
	// Enabled makes `linli start` serve the webhook.
	Enabled bool `toml:"enabled"`
	// Listen is the webhook's listen address, 127.0.0.1:8080 by default:
	// WeChat needs HTTPS, so a TLS reverse proxy on the same host forwards
	// to it.
	Listen string `toml:"listen"`
	// Path is the URL path WeChat posts to, such as "/wechat".
	Path string `toml:"path"`
	// AppID is the official account's AppID (not a secret).
	AppID string `toml:"app_id"`
	// AllowPlaintext lets `linli start` serve an account in plaintext
	// mode (no encoding_aes_key), where WeChat signs only the URL and a
	// captured request could act as another resident.
	AllowPlaintext bool `toml:"allow_plaintext"`
	// SecretFile names the TOML file (mode 0600, relative to the home)
	// holding app_secret, token and encoding_aes_key.
	SecretFile string `toml:"secret_file"`
	// Budget is how long the webhook may take to write its passive reply;
	// WeChat gives up after 5 seconds.
	Budget time.Duration `toml:"budget"`
	// TimestampWindow is how far a request's signed timestamp may be from
	// now before the request is refused as a replay.
	TimestampWindow time.Duration `toml:"timestamp_window"`
	// MaxBody is the largest request body accepted, in bytes.
	MaxBody int `toml:"max_body"`
	// MenuFile names the custom menu file (TOML or JSON, relative to the
	// home) that `linli wechat menu` creates the menu from.
	MenuFile string `toml:"menu_file"`
	// APIURL replaces https://api.weixin.qq.com (an egress proxy); empty
	// means WeChat's own.
	APIURL string `toml:"api_url"`
	// APITimeout bounds each call to WeChat's API.
	APITimeout time.Duration `toml:"api_timeout"`
	// Notify turns on notifications (new proposals, reminders, results,
	// bookings and repairs).
	Notify bool `toml:"notify"`
	// NotifyInterval is how often the chain is read for notifications.
	NotifyInterval time.Duration `toml:"notify_interval"`
	// SendRate is how many messages a second are sent to WeChat at most.
	SendRate int `toml:"send_rate"`
	// QueueSize is how many outgoing messages may wait; more are dropped
	// and logged.
	QueueSize int `toml:"queue_size"`
	// MessageQuota customer-service messages may be pushed within
	// MessageWindow of a message the user sent, and EventQuota within
	// EventWindow of a menu click or a follow: WeChat's rule (5 in 48
	// hours, 3 in a minute), less a margin.
	MessageQuota  int           `toml:"message_quota"`
	MessageWindow time.Duration `toml:"message_window"`
	EventQuota    int           `toml:"event_quota"`
	EventWindow   time.Duration `toml:"event_window"`
	// Templates names the template messages sent when WeChat allows no
	// customer-service message, by notification kind (see
	// WechatTemplateKinds).
	Templates map[string]WechatTemplate `toml:"templates"`
	// Subscriptions names the subscription messages (订阅通知) tried after
	// the template message, by kind; WeChat delivers one only to a user
	// who subscribed to it.
	Subscriptions map[string]WechatTemplate `toml:"subscriptions"`
}

// WechatTemplate is a template message the operator added to the official
// account.
type WechatTemplate struct {
	// ID is the template id WeChat assigned.
	ID string `toml:"id"`
	// Fields maps each of the template's keys (such as "thing1") to the
	// value it shows (see WechatTemplateValues).
	Fields map[string]string `toml:"fields"`
}

// WechatTemplateKinds are the notification kinds a template may be set for:
// a proposal noticed, the reminder a day before a vote closes, results, a
// booking, a repair request and a dispute that changed, a request for
// an owners' meeting that reached 20%, and an alert to the admins (a group
// channel in trouble).
var WechatTemplateKinds = []string{"proposal", "reminder", "result", "booking", "repair", "dispute", "meeting", "alert"}

// WechatTemplateValues are the values a template field may show.
var WechatTemplateValues = []string{"title", "status", "time", "detail", "community"}

// Log levels.
const (
	LogDebug = "debug"
	LogInfo  = "info"
	LogError = "error"
)

// Limits Validate enforces.
const (
	MaxCommitTimeout = time.Hour
	MaxBatchSize     = 500

	MinSessionTTL = time.Minute
	MaxSessionTTL = 24 * time.Hour

	MaxWechatBudget = 4500 * time.Millisecond
	MinWechatWindow = 30 * time.Second
	MaxWechatWindow = time.Hour
	MinWechatBody   = 1 << 10
	MaxWechatBody   = 1 << 20
)

// Default returns the default settings, the ones default.toml documents.
func Default() Config {
	return Config{
		LogLevel: LogError,
		Client: Client{
			Node:          "",
			CommitTimeout: 15 * time.Second,
		},
		Roster: Roster{
			BatchSize: 100,
		},
		Chat: Chat{
			Templates:  "",
			SessionTTL: 30 * time.Minute,
		},
		Wechat: Wechat{
			Enabled:         false,
			Listen:          "127.0.0.1:8080",
			Path:            "/wechat",
			AppID:           "",
			SecretFile:      "config/wechat_secret.toml",
			Budget:          4 * time.Second,
			TimestampWindow: 5 * time.Minute,
			MaxBody:         64 << 10,
			MenuFile:        "config/wechat_menu.toml",
			APIURL:          "",
			APITimeout:      10 * time.Second,
			Notify:          true,
			NotifyInterval:  30 * time.Second,
			SendRate:        10,
			QueueSize:       1000,
			MessageQuota:    5,
			MessageWindow:   47 * time.Hour,
			EventQuota:      3,
			EventWindow:     50 * time.Second,
		},
		Wecom: Wecom{
			Enabled:         false,
			CorpID:          "",
			SecretFile:      "config/wecom_secret.toml",
			OfficialAccount: "",
			APIURL:          "",
			APITimeout:      10 * time.Second,
			PerDay:          1,
			PerMonth:        0,
			CheckAfter:      30 * time.Minute,
			ConfirmBy:       24 * time.Hour,
		},
		Board: Board{
			Enabled:   true,
			Listen:    "127.0.0.1:8090",
			PublicURL: "",
		},
		WxGroup: WxGroup{
			Enabled:         false,
			OfficialAccount: "",
			Gap:             30 * time.Second,
			Jitter:          15 * time.Second,
			GroupDaily:      20,
			Daily:           200,
			QueueSize:       200,
			AnswerTTL:       10 * time.Minute,
			RetryBase:       time.Minute,
			RetryMax:        30 * time.Minute,
			Tries:           5,
			BindCodeTTL:     24 * time.Hour,
		},
	}
}

// KeyError is a problem with one key of linli.toml: a key linli does not
// know, a value of the wrong type or a value out of range.
type KeyError struct {
	// Key is the dotted key, such as "roster.batch_size".
	Key string
	// Reason says what is wrong with it.
	Reason string
}

func (e *KeyError) Error() string {
	return e.Key + ": " + e.Reason
}

// Load reads the linli.toml at path. Keys the file leaves out keep their
// defaults, and a missing file gives Default(). A key Load does not know, a
// duration not written as a string and a value Validate rejects are
// reported as *KeyError, all of them joined, each prefixed with path; a
// value of the wrong type is a TOML decoding error whose message names the
// line and the key.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c, err := parse(data)
	if err != nil {
		return Config{}, inFile(path, err)
	}
	return c, nil
}

// inFile prefixes err, or each error it joins, with the file's path.
func inFile(path string, err error) error {
	var errs []error
	for _, e := range unjoin(err) {
		errs = append(errs, fmt.Errorf("%s: %w", path, e))
	}
	return errors.Join(errs...)
}

// unjoin returns the errors err joins, or err alone, or nothing for nil.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// parse decodes a linli.toml over the defaults and validates it.
func parse(data []byte) (Config, error) {
	c := Default()
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		// The TOML error names the line and the last key read.
		return Config{}, err
	}
	errs := append(unjoin(checkKeys(md, &c)), unjoin(c.Validate())...)
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// checkKeys reports keys the file has but Config does not, and durations
// written as something other than a string (TOML integers would silently be
// read as nanoseconds).
func checkKeys(md toml.MetaData, c *Config) error {
	var errs []error
	unknown := make(map[string]bool)
	for _, k := range md.Undecoded() {
		unknown[k.String()] = true
		// Report an unknown table once, not each key inside it.
		if len(k) > 1 && unknown[k[:len(k)-1].String()] {
			continue
		}
		errs = append(errs, &KeyError{Key: k.String(), Reason: "unknown key"})
	}
	for _, k := range durationKeys(reflect.TypeOf(*c), nil) {
		if md.IsDefined(k...) && md.Type(k...) != "String" {
			errs = append(errs, &KeyError{
				Key:    strings.Join(k, "."),
				Reason: `a duration must be a string such as "15s"`,
			})
		}
	}
	return errors.Join(errs...)
}

// durationKeys lists the keys of the time.Duration fields of struct type t,
// so that a duration added to any section is checked without a list to
// keep up to date.
func durationKeys(t reflect.Type, prefix []string) [][]string {
	var keys [][]string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := append(append([]string(nil), prefix...), name)
		switch {
		case f.Type == reflect.TypeFor[time.Duration]():
			keys = append(keys, key)
		case f.Type.Kind() == reflect.Struct:
			keys = append(keys, durationKeys(f.Type, key)...)
		}
	}
	return keys
}

// Validate checks every value and returns a *KeyError for each bad one,
// joined. Load calls it; a caller that changes a loaded Config (from
// command-line flags, say) calls it again.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &KeyError{Key: key, Reason: fmt.Sprintf(format, args...)})
	}

	switch c.LogLevel {
	case LogDebug, LogInfo, LogError:
	default:
		bad("log_level", "%q is not one of %q, %q, %q", c.LogLevel, LogDebug, LogInfo, LogError)
	}

	if reason := checkNode(c.Client.Node); c.Client.Node != "" && reason != "" {
		bad("client.node", "%q: %s", c.Client.Node, reason)
	}
	if d := c.Client.CommitTimeout; d <= 0 || d > MaxCommitTimeout {
		bad("client.commit_timeout", "%s is not greater than 0 and at most %s", d, MaxCommitTimeout)
	}

	if n := c.Roster.BatchSize; n < 1 || n > MaxBatchSize {
		bad("roster.batch_size", "%d is not between 1 and %d", n, MaxBatchSize)
	}
	if d := c.Chat.SessionTTL; d < MinSessionTTL || d > MaxSessionTTL {
		bad("chat.session_ttl", "%s is not between %s and %s", d, MinSessionTTL, MaxSessionTTL)
	}
	c.Wechat.validate(bad)
	c.Wecom.validate(bad)
	if _, port, err := net.SplitHostPort(c.Board.Listen); err != nil || port == "" {
		bad("board.listen", "%q is not host:port (such as \"127.0.0.1:8090\")", c.Board.Listen)
	}
	if p := c.Board.PublicURL; p != "" {
		if u, err := url.Parse(p); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("board.public_url", "%q is not an http:// or https:// URL without ? or #", p)
		}
	}
	c.WxGroup.validate(bad)
	return errors.Join(errs...)
}

func (w WxGroup) validate(bad func(key, format string, args ...any)) {
	if d := w.Gap; d < MinWxGroupGap || d > time.Hour {
		bad("wxgroup.gap", "%s is not between %s and 1h", d, MinWxGroupGap)
	}
	if d := w.Jitter; d < 0 || d > 10*time.Minute {
		bad("wxgroup.jitter", "%s is not between 0s and 10m", d)
	}
	if n := w.GroupDaily; n < 1 || n > MaxWxGroupGroupDaily {
		bad("wxgroup.group_daily", "%d is not between 1 and %d", n, MaxWxGroupGroupDaily)
	}
	if n := w.Daily; n < 1 || n > MaxWxGroupDaily {
		bad("wxgroup.daily", "%d is not between 1 and %d", n, MaxWxGroupDaily)
	}
	if n := w.QueueSize; n < 1 || n > 10_000 {
		bad("wxgroup.queue_size", "%d is not between 1 and 10000", n)
	}
	if d := w.AnswerTTL; d < time.Minute || d > time.Hour {
		bad("wxgroup.answer_ttl", "%s is not between 1m and 1h", d)
	}
	if d := w.RetryBase; d < 10*time.Second || d > 10*time.Minute {
		bad("wxgroup.retry_base", "%s is not between 10s and 10m", d)
	}
	if d := w.RetryMax; d < w.RetryBase || d > 6*time.Hour {
		bad("wxgroup.retry_max", "%s is not between retry_base and 6h", d)
	}
	if n := w.Tries; n < 1 || n > 10 {
		bad("wxgroup.tries", "%d is not between 1 and 10", n)
	}
	if d := w.BindCodeTTL; d < 10*time.Minute || d > 7*24*time.Hour {
		bad("wxgroup.bindcode_ttl", "%s is not between 10m and 168h", d)
	}
	names := make([]string, 0, len(w.Groups))
	for name := range w.Groups {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if strings.TrimSpace(name) == "" || len(name) > 200 {
			bad("wxgroup.groups", "%q is not a group name", name)
		}
		if b := w.Groups[name]; len(b) > 50 {
			bad("wxgroup.groups."+name, "%q is not a building", b)
		}
	}
}

func (w Wechat) validate(bad func(key, format string, args ...any)) {
	if _, port, err := net.SplitHostPort(w.Listen); err != nil || port == "" {
		bad("wechat.listen", "%q is not host:port (such as \"127.0.0.1:8080\")", w.Listen)
	}
	if !strings.HasPrefix(w.Path, "/") || strings.ContainsAny(w.Path, "?# ") {
		bad("wechat.path", "%q is not a URL path starting with /", w.Path)
	}
	if w.Enabled && w.AppID == "" {
		bad("wechat.app_id", "is empty; the gateway needs the official account's AppID")
	}
	for _, r := range w.AppID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			bad("wechat.app_id", "%q has characters an AppID never has", w.AppID)
			break
		}
	}
	if w.Enabled && w.SecretFile == "" {
		bad("wechat.secret_file", "is empty; the gateway needs its token and AppSecret")
	}
	if d := w.Budget; d <= 0 || d > MaxWechatBudget {
		bad("wechat.budget", "%s is not greater than 0 and at most %s (WeChat waits 5s)", d, MaxWechatBudget)
	}
	if d := w.TimestampWindow; d < MinWechatWindow || d > MaxWechatWindow {
		bad("wechat.timestamp_window", "%s is not between %s and %s", d, MinWechatWindow, MaxWechatWindow)
	}
	if n := w.MaxBody; n < MinWechatBody || n > MaxWechatBody {
		bad("wechat.max_body", "%d is not between %d and %d", n, MinWechatBody, MaxWechatBody)
	}
	if w.APIURL != "" {
		if u, err := url.Parse(w.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			bad("wechat.api_url", "%q is not an http:// or https:// URL", w.APIURL)
		}
	}
	if d := w.APITimeout; d <= 0 || d > time.Minute {
		bad("wechat.api_timeout", "%s is not greater than 0 and at most 1m", d)
	}
	if d := w.NotifyInterval; d < time.Second || d > time.Hour {
		bad("wechat.notify_interval", "%s is not between 1s and 1h", d)
	}
	if n := w.SendRate; n < 1 || n > 1000 {
		bad("wechat.send_rate", "%d is not between 1 and 1000", n)
	}
	if n := w.QueueSize; n < 1 || n > 100_000 {
		bad("wechat.queue_size", "%d is not between 1 and 100000", n)
	}
	if n := w.MessageQuota; n < 0 || n > 5 {
		bad("wechat.message_quota", "%d is not between 0 and 5 (WeChat allows 5)", n)
	}
	if d := w.MessageWindow; d < time.Minute || d > 48*time.Hour {
		bad("wechat.message_window", "%s is not between 1m and 48h (WeChat allows 48h)", d)
	}
	if n := w.EventQuota; n < 0 || n > 3 {
		bad("wechat.event_quota", "%d is not between 0 and 3 (WeChat allows 3)", n)
	}
	if d := w.EventWindow; d < time.Second || d > time.Minute {
		bad("wechat.event_window", "%s is not between 1s and 1m (WeChat allows 1m)", d)
	}
	validateTemplates("wechat.templates.", w.Templates, bad)
	validateTemplates("wechat.subscriptions.", w.Subscriptions, bad)
}

// validateTemplates checks template or subscription messages by kind.
func validateTemplates(prefix string, templates map[string]WechatTemplate, bad func(key, format string, args ...any)) {
	kinds := make([]string, 0, len(templates))
	for k := range templates {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, kind := range kinds {
		t := templates[kind]
		key := prefix + kind
		if !slices.Contains(WechatTemplateKinds, kind) {
			bad(key, "unknown notification kind; the kinds are %s", strings.Join(WechatTemplateKinds, ", "))
			continue
		}
		if t.ID == "" {
			bad(key+".id", "is empty")
		}
		if len(t.Fields) == 0 {
			bad(key+".fields", "is empty; map the template's keys to %s", strings.Join(WechatTemplateValues, ", "))
		}
		fields := make([]string, 0, len(t.Fields))
		for f := range t.Fields {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for _, f := range fields {
			if v := t.Fields[f]; f == "" || !slices.Contains(WechatTemplateValues, v) {
				bad(key+".fields."+f, "%q is not one of %s", v, strings.Join(WechatTemplateValues, ", "))
			}
		}
	}
}

// checkNode says what is wrong with a node address, or returns "".
func checkNode(node string) string {
	u, err := url.Parse(node)
	if err != nil {
		return "not a URL"
	}
	switch u.Scheme {
	case "http", "https", "tcp":
		if u.Host == "" || u.Hostname() == "" {
			return "no host"
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return "only a scheme, host and port are allowed"
		}
	case "unix":
		if u.Path == "" {
			return "no socket path"
		}
	default:
		return "the scheme must be http, https, tcp or unix"
	}
	return ""
}

// WriteDefault writes the commented default linli.toml to path with mode
// 0644, creating its directory if needed. It never overwrites: if path
// exists, it writes nothing and returns created == false and no error.
func WriteDefault(path string) (created bool, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, fmt.Errorf("config: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("config: %w", err)
	}
	// The umask may have narrowed the mode; a settings file holds no
	// secrets and is meant to be read.
	err = f.Chmod(0o644)
	if _, werr := f.Write(defaultFile); err == nil {
		err = werr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return false, fmt.Errorf("config: %w", err)
	}
	return true, nil
}

// defaultBoardListen is the [board] listen line of default.toml.
const defaultBoardListen = `listen = "127.0.0.1:8090"`

// SetBoardListen changes the [board] listen address of a linli.toml that
// WriteDefault wrote, keeping its comments; `linli testnet` gives every
// node of a local network its own port this way.
func SetBoardListen(path, listen string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	i := bytes.LastIndex(data, []byte(defaultBoardListen))
	if i < 0 || !bytes.Contains(data[:i], []byte("\n[board]\n")) {
		return fmt.Errorf("config: %s has no default [board] listen line to change", path)
	}
	line := fmt.Sprintf("listen = %q", listen)
	out := append(append(append([]byte{}, data[:i]...), line...), data[i+len(defaultBoardListen):]...)
	if _, err := parse(out); err != nil {
		return fmt.Errorf("config: board listen %q: %w", listen, err)
	}
	return os.WriteFile(path, out, 0o644)
}

// validate checks [wecom]; with enabled = false only the values' ranges.
func (w Wecom) validate(bad func(key, format string, args ...any)) {
	if w.Enabled {
		if w.CorpID == "" {
			bad("wecom.corp_id", "is empty; the channel needs the company's id (企业ID)")
		}
		if w.SecretFile == "" {
			bad("wecom.secret_file", "is empty; the channel needs the customer-contact secret")
		}
		if len(w.Groups) == 0 {
			bad("wecom.groups", "is empty; list each customer group as [[wecom.groups]] with chat_id and owner")
		}
	}
	if strings.ContainsAny(w.CorpID, " \t\n\"'") {
		bad("wecom.corp_id", "%q has characters a corp id never has", w.CorpID)
	}
	if w.APIURL != "" {
		if u, err := url.Parse(w.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("wecom.api_url", "%q is not an http:// or https:// URL", w.APIURL)
		}
	}
	if d := w.APITimeout; d <= 0 || d > time.Minute {
		bad("wecom.api_timeout", "%s is not greater than 0 and at most 1m", d)
	}
	if n := w.PerDay; n < 1 || n > 31 {
		bad("wecom.per_day", "%d is not between 1 and 31", n)
	}
	if n := w.PerMonth; n < 0 || n > 31 {
		bad("wecom.per_month", "%d is not between 0 (the days of the month, WeCom's limit) and 31", n)
	}
	if d := w.CheckAfter; d < time.Minute || d > 24*time.Hour {
		bad("wecom.check_after", "%s is not between 1m and 24h", d)
	}
	if d := w.ConfirmBy; d < time.Hour || d > 7*24*time.Hour {
		bad("wecom.confirm_by", "%s is not between 1h and 168h", d)
	}
	seen := map[string]bool{}
	for i, g := range w.Groups {
		key := fmt.Sprintf("wecom.groups[%d]", i)
		switch {
		case g.ChatID == "":
			bad(key+".chat_id", "is empty")
		case seen[g.ChatID]:
			bad(key+".chat_id", "%q is listed twice", g.ChatID)
		}
		seen[g.ChatID] = true
		if g.Owner == "" {
			bad(key+".owner", "is empty; WeCom sends each group message as the group's owner (群主)")
		}
	}
}
