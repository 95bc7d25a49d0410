package wechatmp_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/bot/wechatmp"
)

// The SDK's HTTP client is process-wide, so these tests do not run in
// parallel: each NewAPI points it at its own fake.

func TestOneTokenFetchUnderConcurrency(t *testing.T) {
	f := newFakeWeChat(t)
	f.set(func(f *fakeWeChat) { f.delay = 20 * time.Millisecond })
	api := f.api(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Go(func() { errs[i] = api.SendText(ctx, "oUser", "你好") })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("send %d: %v", i, err)
		}
	}
	if n := f.tokenCalls(); n != 1 {
		t.Errorf("50 concurrent sends fetched the token %d times, want 1", n)
	}
	if n := len(f.sentTexts()); n != 50 {
		t.Errorf("%d texts arrived, want 50", n)
	}
}

func TestInvalidTokenIsFetchedAgain(t *testing.T) {
	f := newFakeWeChat(t)
	api := f.api(t)
	ctx := context.Background()
	if err := api.SendText(ctx, "oUser", "一"); err != nil {
		t.Fatal(err)
	}
	f.rotate()
	err := api.SendText(ctx, "oUser", "二")
	var ae *wechatmp.APIError
	if !errors.As(err, &ae) || ae.Code != 40001 || ae.Permanent() {
		t.Fatalf("send with a revoked token: %v, want a retryable 40001", err)
	}
	if strings.Contains(err.Error(), "ACCESS-TOKEN") {
		t.Errorf("error shows the token: %v", err)
	}
	if err := api.SendText(ctx, "oUser", "三"); err != nil {
		t.Fatalf("send after the token was dropped: %v", err)
	}
	if n := f.tokenCalls(); n != 2 {
		t.Errorf("token fetched %d times, want 2", n)
	}
}

func TestErrorsNeverShowTheToken(t *testing.T) {
	f := newFakeWeChat(t)
	api := f.api(t)
	ctx := context.Background()
	if err := api.CheckToken(ctx); err != nil {
		t.Fatal(err)
	}
	f.srv.Close() // the network fails: the error names the URL
	err := api.SendText(ctx, "oUser", "你好")
	if err == nil {
		t.Fatal("send to a closed server succeeded")
	}
	if strings.Contains(err.Error(), "ACCESS-TOKEN-1") || !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("error %q shows the token (or no longer names the call)", err)
	}
}

func TestPermanentErrors(t *testing.T) {
	f := newFakeWeChat(t)
	api := f.api(t)
	for code, permanent := range map[int]bool{45015: true, 43004: true, 40003: true, -1: false, 45009: false} {
		f.set(func(f *fakeWeChat) { f.fail = code })
		err := api.SendText(context.Background(), "oUser", "x")
		var ae *wechatmp.APIError
		if !errors.As(err, &ae) || ae.Code != code || ae.Permanent() != permanent {
			t.Errorf("errcode %d: %v (permanent %v), want permanent %v", code, err, ae != nil && ae.Permanent(), permanent)
		}
	}
}

func TestTemplateMessage(t *testing.T) {
	f := newFakeWeChat(t)
	api := f.api(t)
	if err := api.SendTemplate(context.Background(), "oUser", "tmpl-reminder", "linli-abc", map[string]string{"thing1": "更换电梯", "time2": "12月6日 15:42"}); err != nil {
		t.Fatal(err)
	}
	// A retry after a timeout, with the same client_msg_id: WeChat
	// delivers it once.
	if err := api.SendTemplate(context.Background(), "oUser", "tmpl-reminder", "linli-abc", map[string]string{"thing1": "更换电梯", "time2": "12月6日 15:42"}); err != nil {
		t.Fatal(err)
	}
	got := f.sentTemplates()
	if len(got) != 1 || got[0].To != "oUser" || got[0].Template != "tmpl-reminder" || got[0].Data["thing1"] != "更换电梯" || got[0].Data["time2"] != "12月6日 15:42" || got[0].ClientMsgID != "linli-abc" {
		t.Errorf("sent %+v", got)
	}
	if err := api.SendSubscription(context.Background(), "oUser", "sub-1", map[string]string{"thing1": "投票"}); err != nil {
		t.Fatal(err)
	}
	if got := f.sentTemplates(); len(got) != 2 || !got[1].Subscription || got[1].Template != "sub-1" {
		t.Errorf("subscription: %+v", got)
	}
	ids, err := api.TemplateIDs(context.Background())
	if err != nil || len(ids) != 2 || ids[0] != "tmpl-reminder" {
		t.Errorf("template ids %v, %v", ids, err)
	}
}

func TestSetMenuSendsWeChatsFormat(t *testing.T) {
	f := newFakeWeChat(t)
	api := f.api(t)
	if err := api.SetMenu(context.Background(), wechatmp.DefaultMenu()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Button []struct {
			Type string `json:"type"`
			Name string `json:"name"`
			Key  string `json:"key"`
			Sub  []struct {
				Type, Name, Key, URL string
			} `json:"sub_button"`
		} `json:"button"`
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.menus) != 1 {
		t.Fatalf("%d menus sent", len(f.menus))
	}
	if err := json.Unmarshal(f.menus[0], &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Button) != 3 || got.Button[0].Name != "投票" || got.Button[0].Type != "click" || got.Button[0].Key != "VOTE" ||
		len(got.Button[1].Sub) != 2 || got.Button[1].Sub[0].Key != "ACCOUNTS" || got.Button[1].Sub[1].Type != "view" ||
		got.Button[1].Sub[1].URL != wechatmp.DefaultBoardURL || got.Button[2].Name != "更多" || got.Button[2].Type != "" || len(got.Button[2].Sub) != 5 ||
		got.Button[2].Sub[0].Type != "click" || got.Button[2].Sub[0].Key != "SHARE" {
		t.Errorf("menu sent: %s", f.menus[0])
	}
}

func TestAPICallsTimeOut(t *testing.T) {
	f := newFakeWeChat(t)
	api, err := wechatmp.NewAPI(wechatmp.APIConfig{AppID: testAppID, AppSecret: "app-secret-1", BaseURL: f.srv.URL, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f.set(func(f *fakeWeChat) { f.delay = 10 * time.Second })
	start := time.Now()
	if err := api.CheckToken(context.Background()); err == nil {
		t.Error("a token fetch slower than the timeout succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v, want about 100ms", d)
	}
}

func TestWrongSecretIsReported(t *testing.T) {
	f := newFakeWeChat(t)
	api, err := wechatmp.NewAPI(wechatmp.APIConfig{AppID: testAppID, AppSecret: "wrong", BaseURL: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = api.CheckToken(context.Background())
	var ae *wechatmp.APIError
	if !errors.As(err, &ae) || ae.Code != 40125 || strings.Contains(err.Error(), "wrong") {
		t.Errorf("CheckToken with a wrong secret: %v", err)
	}
}
