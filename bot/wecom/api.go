package wecom

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/linli-community/linli/internal/sdkhttp"
	"github.com/linli-community/linli/internal/tokencache"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/util"
	wconfig "github.com/silenceper/wechat/v2/work/config"
	wcontext "github.com/silenceper/wechat/v2/work/context"
	"github.com/silenceper/wechat/v2/work/externalcontact"
)

// apiHost is the host of WeCom's API, which every SDK call names.
const apiHost = "qyapi.weixin.qq.com"

// DefaultAPITimeout bounds one call to WeCom's API.
const DefaultAPITimeout = 10 * time.Second

// Send statuses of get_groupmsg_send_result.
const (
	StatusWaiting  = 0 // the group's owner has not sent it yet
	StatusSent     = 1
	StatusNoFriend = 2 // not delivered: the customer is no longer a contact
	StatusFull     = 3 // not delivered: the group already got a group message (its budget)
)

// APIConfig is what API needs to call WeCom.
type APIConfig struct {
	// CorpID is the company's id (企业ID); Secret is the secret of its
	// customer-contact (客户联系) API.
	CorpID, Secret string
	// BaseURL replaces https://qyapi.weixin.qq.com (an egress proxy, or
	// a test's fake server); empty means WeCom's own.
	BaseURL string
	// Timeout bounds each call (DefaultAPITimeout when 0).
	Timeout time.Duration
}

// API calls WeCom's customer-contact API through silenceper's
// work/externalcontact client: the access token (cached in a thread-safe
// cache of its own), creating a group message for customer groups
// (add_msg_template with chat_type group) and reading what became of it
// (get_groupmsg_send_result). The secret and the token are never logged,
// and errors have them removed. An API is safe for concurrent use.
type API struct {
	ec     *externalcontact.Client
	tok    credential.AccessTokenContextHandle
	cache  *tokencache.Cache
	secret string
}

// NewAPI returns an API for the company. The SDK sends every request
// through one process-wide HTTP client; NewAPI routes WeCom's host in it
// (internal/sdkhttp) with the timeout and, with a BaseURL, to that URL.
func NewAPI(c APIConfig) (*API, error) {
	if c.CorpID == "" || c.Secret == "" {
		return nil, errors.New("wecom: the API needs the corp id and the secret")
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultAPITimeout
	}
	if err := sdkhttp.Route(apiHost, c.BaseURL, c.Timeout); err != nil {
		return nil, fmt.Errorf("wecom: %w", err)
	}

	cache := tokencache.New()
	tok := credential.NewWorkAccessToken(c.CorpID, c.Secret, "", credential.CacheKeyWorkPrefix, cache)
	ctx := &wcontext.Context{
		Config:            &wconfig.Config{CorpID: c.CorpID, CorpSecret: c.Secret, Cache: cache},
		AccessTokenHandle: tok,
	}
	return &API{ec: externalcontact.NewClient(ctx), tok: tok, cache: cache, secret: c.Secret}, nil
}

// APIError is a failed call to WeCom's API. Its message never contains
// the secret or the access token.
type APIError struct {
	// Op names the call.
	Op string
	// Code is WeCom's errcode, or 0 when the call failed before WeCom
	// answered (network, timeout).
	Code int
	msg  string
	// refused marks what WeCom declined as configured (a group left out
	// of a message).
	refused bool
}

func (e *APIError) Error() string { return "wecom API: " + e.Op + ": " + e.msg }

// Permanent reports whether trying again as it is cannot help: the
// configuration (secret, owner, chat id, permission) is wrong, which the
// admins must fix.
func (e *APIError) Permanent() bool {
	if e.refused {
		return true
	}
	switch e.Code {
	case 40001, // invalid secret
		40003, // invalid userid (the owner)
		40013, // invalid corp id
		40096, // invalid external group id
		41054, // the member is not active
		48002, // the API is not allowed
		60020, // the server's IP is not trusted
		84061: // no customer-contact permission
		return true
	}
	return false
}

var errcode = regexp.MustCompile(`errcode=(\d+)`)

// fail turns an SDK error into an APIError without secrets, and forgets
// a token WeCom no longer accepts.
func (a *API) fail(op string, err error) error {
	e := &APIError{Op: op}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		e.Code = int(ce.ErrCode)
	} else if m := errcode.FindStringSubmatch(err.Error()); m != nil {
		fmt.Sscan(m[1], &e.Code)
	}
	switch e.Code {
	case 40014, 42001: // invalid or expired access token
		a.cache.Clear()
	}
	msg := err.Error()
	if a.secret != "" {
		msg = strings.ReplaceAll(msg, a.secret, "SECRET")
	}
	e.msg = tokenParam.ReplaceAllString(msg, "${1}REDACTED")
	return e
}

var tokenParam = regexp.MustCompile(`((?:access_token|corpsecret)=)[^&\s"]+`)

// Check fetches an access token: the corp id and secret work.
func (a *API) Check(ctx context.Context) error {
	a.cache.Clear()
	if _, err := a.tok.GetAccessTokenContext(ctx); err != nil {
		return a.fail("get token", err)
	}
	return nil
}

// AddGroupMessage creates a group message of text from sender (the owner
// of the groups) to the customer groups chatIDs; the owner confirms the
// send in WeCom with one tap. failed lists the groups WeCom would not
// include.
func (a *API) AddGroupMessage(ctx context.Context, sender string, chatIDs []string, text string) (msgID string, failed []string, err error) {
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	res, err := a.ec.AddMsgTemplate(&externalcontact.AddMsgTemplateRequest{
		ChatType: "group", Sender: sender, ChatIDList: chatIDs, Text: externalcontact.MsgText{Content: text},
	})
	if err != nil {
		return "", nil, a.fail("add group message", err)
	}
	if res.MsgID == "" {
		return "", res.FailList, &APIError{Op: "add group message", msg: "WeCom returned no msgid"}
	}
	return res.MsgID, res.FailList, nil
}

// GroupMessageResult returns what became of group message msgID in each
// group of sender's (the Status* constants), following WeCom's pages.
func (a *API) GroupMessageResult(ctx context.Context, msgID, sender string) (map[string]int, error) {
	out := map[string]int{}
	cursor := ""
	for range 100 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := a.ec.GetGroupMsgSendResult(&externalcontact.GetGroupMsgSendResultRequest{MsgID: msgID, UserID: sender, Limit: 1000, Cursor: cursor})
		if err != nil {
			return nil, a.fail("group message result", err)
		}
		for _, s := range res.SendList {
			if s.ChatID != "" {
				out[s.ChatID] = s.Status
			}
		}
		if res.NextCursor == "" {
			return out, nil
		}
		cursor = res.NextCursor
	}
	return out, nil
}

// GroupInfo is what `linli wecom check` shows of a customer group: its
// name, its owner's userid and how many are in it (never who).
type GroupInfo struct {
	Name, Owner string
	Members     int
}

// Group returns what WeCom knows of the customer group chatID.
func (a *API) Group(ctx context.Context, chatID string) (GroupInfo, error) {
	if err := ctx.Err(); err != nil {
		return GroupInfo{}, err
	}
	res, err := a.ec.GetGroupChatDetail(&externalcontact.GroupChatDetailRequest{ChatID: chatID})
	if err != nil {
		return GroupInfo{}, a.fail("group detail", err)
	}
	return GroupInfo{Name: res.GroupChat.Name, Owner: res.GroupChat.Owner, Members: len(res.GroupChat.MemberList)}, nil
}
