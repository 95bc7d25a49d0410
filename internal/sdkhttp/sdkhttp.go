// Package sdkhttp is the HTTP client through which silenceper/wechat sends
// every request, the official account's (bot/wechatmp) and WeCom's
// (bot/wecom) alike: the SDK has one, process-wide
// (util.DefaultHTTPClient). Each adapter routes its own API host here,
// with its timeout and, in tests, a fake's base URL, and neither undoes
// the other's.
package sdkhttp

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// route is where one API host's requests go and how long they may take.
type route struct {
	base      *url.URL
	timeout   time.Duration
	transport *http.Transport
}

var (
	mu     sync.Mutex
	routes = map[string]route{}
	once   sync.Once
	// other carries requests for hosts no adapter routed.
	other = newTransport(0)
)

// Route sends the SDK's requests for host to baseURL (empty: to host
// itself), an http(s) URL that may end in a path, and bounds each of them,
// from sending to the end of the answer's body, by timeout. A later Route
// for the same host replaces the earlier one.
func Route(host, baseURL string, timeout time.Duration) error {
	var base *url.URL
	if baseURL != "" {
		u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("API base URL %q is not an http(s) URL", baseURL)
		}
		base = u
	}
	once.Do(func() { util.DefaultHTTPClient = &http.Client{Transport: router{}} })
	mu.Lock()
	defer mu.Unlock()
	if old, ok := routes[host]; ok {
		old.transport.CloseIdleConnections()
	}
	routes[host] = route{base: base, timeout: timeout, transport: newTransport(timeout)}
	return nil
}

func newTransport(timeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
	}
}

// router is the SDK's transport: each request goes by its host's route.
type router struct{}

func (router) RoundTrip(req *http.Request) (*http.Response, error) {
	mu.Lock()
	r, ok := routes[req.URL.Host]
	mu.Unlock()
	if !ok {
		return other.RoundTrip(req)
	}
	if r.base != nil {
		req = req.Clone(req.Context())
		req.URL.Scheme, req.URL.Host = r.base.Scheme, r.base.Host
		req.URL.Path = r.base.Path + req.URL.Path
		req.Host = ""
	}
	if r.timeout <= 0 {
		return r.transport.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), r.timeout)
	res, err := r.transport.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	res.Body = &cancelOnClose{ReadCloser: res.Body, cancel: cancel}
	return res, nil
}

// cancelOnClose ends a request's deadline when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
