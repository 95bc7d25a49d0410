package wechatmp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/linli-community/linli/internal/sdkhttp"
	"github.com/linli-community/linli/internal/tokencache"
	"github.com/silenceper/wechat/v2/officialaccount"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

// apiHost is the host of WeChat's API, which every SDK call names.
const apiHost = "api.weixin.qq.com"

// DefaultAPITimeout bounds one call to WeChat's API.
const DefaultAPITimeout = 10 * time.Second

// APIConfig is what API needs to call WeChat.
type APIConfig struct {
	AppID, AppSecret string
	// BaseURL replaces https://api.weixin.qq.com (an egress proxy, or a
	// test's fake server); empty means WeChat's own.
	BaseURL string
	// Timeout bounds each call (DefaultAPITimeout when 0).
	Timeout time.Duration
}

// API calls WeChat's API for the official account through the SDK: the
// stable access token, customer-service and template messages, the menu.
// Make one per process and share it: it is the one token refresher (the
// stable-token API, whose token stays valid while another is fetched),
// caching the token in a thread-safe cache of its own. The token is never
// logged, and errors have it removed. An API is safe for concurrent use.
type API struct {
	oa    *officialaccount.OfficialAccount
	cache *tokencache.Cache
	// The SDK makes these lazily without a lock: they are made once here.
	custom    *message.Manager
	templates *message.Template
	menu      *menu.Menu
}

// NewAPI returns an API for the account. The SDK sends every request
// through one process-wide HTTP client; NewAPI routes WeChat's host in it
// (internal/sdkhttp) with the timeout and, with a BaseURL, to that URL.
func NewAPI(c APIConfig) (*API, error) {
	if c.AppID == "" || c.AppSecret == "" {
		return nil, errors.New("wechatmp: the API needs the AppID and AppSecret")
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultAPITimeout
	}
	if err := sdkhttp.Route(apiHost, c.BaseURL, c.Timeout); err != nil {
		return nil, fmt.Errorf("wechatmp: %w", err)
	}

	cache := tokencache.New()
	oa := officialaccount.NewOfficialAccount(&oaconfig.Config{
		AppID: c.AppID, AppSecret: c.AppSecret, Cache: cache, UseStableAK: true,
	})
	return &API{oa: oa, cache: cache, custom: oa.GetCustomerMessageManager(), templates: oa.GetTemplate(), menu: oa.GetMenu()}, nil
}

// APIError is a failed call to WeChat's API. Its message never contains
// the access token.
type APIError struct {
	// Op names the call ("send text", …).
	Op string
	// Code is WeChat's errcode, or 0 when the call failed before WeChat
	// answered (network, timeout).
	Code int
	msg  string
}

func (e *APIError) Error() string { return "wechat API: " + e.Op + ": " + e.msg }

// Permanent reports whether trying again cannot help: the user
// unfollowed, is outside the 48-hour window, refused, or the request
// itself is wrong.
func (e *APIError) Permanent() bool {
	switch e.Code {
	case 40003, // invalid openid
		40037, // invalid template id
		43004, // the user does not follow the account
		43101, // the user refused
		45015, // outside the 48-hour customer-service window
		45047, // too many customer-service messages without a reply
		47003, // template data does not fit the template
		48001: // the account may not use this API
		return true
	}
	return false
}

// tokenInvalid reports an access token WeChat no longer accepts.
func (e *APIError) tokenInvalid() bool {
	return e.Code == 40001 || e.Code == 40014 || e.Code == 42001
}

var (
	tokenInText = regexp.MustCompile(`access_token=[^&\s"']*`)
	errcodeText = regexp.MustCompile(`errcode\s*=\s*(-?\d+)`)
)

// apiError turns an SDK error into an *APIError without the token, and
// forgets the token when WeChat says it is no longer valid.
func (a *API) apiError(op string, err error) error {
	if err == nil {
		return nil
	}
	msg := tokenInText.ReplaceAllString(err.Error(), "access_token=REDACTED")
	e := &APIError{Op: op, msg: msg}
	if m := errcodeText.FindStringSubmatch(msg); m != nil {
		e.Code, _ = strconv.Atoi(m[1])
	}
	if e.tokenInvalid() {
		a.cache.Clear()
	}
	return e
}

// CheckToken fetches an access token (or finds it cached), which proves
// the AppID and AppSecret right and this server's IP allowed.
func (a *API) CheckToken(ctx context.Context) error {
	_, err := a.oa.GetAccessTokenContext(ctx)
	return a.apiError("get access token", err)
}

// SendText sends a customer-service text message.
func (a *API) SendText(_ context.Context, openid, text string) error {
	return a.apiError("send text", a.custom.Send(message.NewCustomerTextMessage(openid, text)))
}

// templateMessage is the body of WeChat's template/send, written here
// rather than with the SDK's type, whose empty miniprogram object WeChat
// would read as a jump to a mini program with no AppID.
type templateMessage struct {
	ToUser      string                   `json:"touser"`
	TemplateID  string                   `json:"template_id"`
	Data        map[string]templateValue `json:"data"`
	ClientMsgID string                   `json:"client_msg_id,omitempty"`
}

type templateValue struct {
	Value string `json:"value"`
}

func templateData(data map[string]string) map[string]templateValue {
	out := make(map[string]templateValue, len(data))
	for k, v := range data {
		out[k] = templateValue{Value: v}
	}
	return out
}

// SendTemplate sends a template message with data filling the
// template's keys. clientMsgID is WeChat's client_msg_id (防重入): a
// retry with the same id of a message that was in fact delivered is not
// delivered twice.
func (a *API) SendTemplate(ctx context.Context, openid, templateID, clientMsgID string, data map[string]string) error {
	return a.post(ctx, "send template", "https://"+apiHost+"/cgi-bin/message/template/send",
		templateMessage{ToUser: openid, TemplateID: templateID, Data: templateData(data), ClientMsgID: clientMsgID})
}

// subscriptionMessage is the body of WeChat's subscribe/bizsend (the
// official account's 订阅通知), without the optional jump.
type subscriptionMessage struct {
	ToUser     string                   `json:"touser"`
	TemplateID string                   `json:"template_id"`
	Data       map[string]templateValue `json:"data"`
}

// SendSubscription sends a subscription message (订阅通知): WeChat
// delivers it only to a user who subscribed to the template, and answers
// 43101 otherwise.
func (a *API) SendSubscription(ctx context.Context, openid, templateID string, data map[string]string) error {
	return a.post(ctx, "send subscription", "https://"+apiHost+"/cgi-bin/message/subscribe/bizsend",
		subscriptionMessage{ToUser: openid, TemplateID: templateID, Data: templateData(data)})
}

// post calls one of WeChat's JSON APIs with the access token and reads
// its errcode.
func (a *API) post(ctx context.Context, op, uri string, body any) error {
	tok, err := a.oa.GetAccessTokenContext(ctx)
	if err != nil {
		return a.apiError(op, err)
	}
	res, err := util.PostJSONContext(ctx, uri+"?access_token="+url.QueryEscape(tok), body)
	if err != nil {
		return a.apiError(op, err)
	}
	var ce util.CommonError
	if err := json.Unmarshal(res, &ce); err != nil {
		return a.apiError(op, fmt.Errorf("unreadable answer: %w", err))
	}
	if ce.ErrCode != 0 {
		return a.apiError(op, fmt.Errorf("errcode=%d , errmsg=%s", ce.ErrCode, ce.ErrMsg))
	}
	return nil
}

// TemplateIDs lists the template ids the account has.
func (a *API) TemplateIDs(_ context.Context) ([]string, error) {
	list, err := a.templates.List()
	if err != nil {
		return nil, a.apiError("list templates", err)
	}
	ids := make([]string, 0, len(list))
	for _, t := range list {
		ids = append(ids, t.TemplateID)
	}
	return ids, nil
}

// SetMenu creates the account's custom menu, replacing the one it has.
func (a *API) SetMenu(_ context.Context, m Menu) error {
	if err := m.Validate(); err != nil {
		return err
	}
	return a.apiError("create menu", a.menu.SetMenu(m.buttons()))
}

func (m Menu) buttons() []*menu.Button {
	var out []*menu.Button
	for _, b := range m.Buttons {
		out = append(out, b.button())
	}
	return out
}

func (b MenuButton) button() *menu.Button {
	x := &menu.Button{}
	switch {
	case len(b.Sub) > 0:
		var subs []*menu.Button
		for _, s := range b.Sub {
			subs = append(subs, s.button())
		}
		x.SetSubButton(b.Name, subs)
	case b.URL != "":
		x.SetViewButton(b.Name, b.URL)
	default:
		x.SetClickButton(b.Name, b.Key)
	}
	return x
}
