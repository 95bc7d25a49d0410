package sdkhttp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/linli-community/linli/internal/sdkhttp"
)

// server answers with its name and the path it was asked for; stall, when
// set, holds the body back after the headers until the test ends.
func server(t *testing.T, name string, stall chan struct{}) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		if stall != nil {
			select {
			case <-stall:
			case <-r.Context().Done():
			}
		}
		io.WriteString(w, name+" "+r.URL.Path)
	}))
	t.Cleanup(func() {
		if stall != nil {
			close(stall)
		}
		srv.Close()
	})
	return srv.URL + "/base/" // a final slash is dropped
}

// TestRouteRefusesABaseThatIsNoURL wants a base URL that is not http(s)
// refused with its text, and the host's route left as it was.
func TestRouteRefusesABaseThatIsNoURL(t *testing.T) {
	a := server(t, "a", nil)
	if err := sdkhttp.Route("keep.example.test", a, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"ftp://x", "not a url", "http://", "::"} {
		if err := sdkhttp.Route("keep.example.test", bad, time.Second); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("Route(%q) = %v, want it refused by name", bad, err)
		}
	}
	if got, err := get(t, "https://keep.example.test/k"); err != nil || got != "a /base/k" {
		t.Errorf("after refused routes: %q %v", got, err)
	}
}

func get(t *testing.T, rawURL string) (string, error) {
	t.Helper()
	res, err := util.DefaultHTTPClient.Get(rawURL)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// TestEachHostKeepsItsRoute routes two API hosts, as the official account
// and WeCom do in one process, and wants each host's requests at its own
// base whichever was routed last, a host routed again sent to its new
// base, and a request whose body stalls cut off at its host's timeout.
func TestEachHostKeepsItsRoute(t *testing.T) {
	a, b, c := server(t, "a", nil), server(t, "b", nil), server(t, "c", nil)
	if err := sdkhttp.Route("api.example.test", a, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := sdkhttp.Route("qyapi.example.test", b, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"api.example.test": "a /base/cgi-bin/x", "qyapi.example.test": "b /base/cgi-bin/x"} {
		if got, err := get(t, "https://"+host+"/cgi-bin/x"); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", host, got, err, want)
		}
	}
	if err := sdkhttp.Route("api.example.test", c, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got, err := get(t, "https://qyapi.example.test/y"); err != nil || got != "b /base/y" {
		t.Errorf("the other host after a new route: %q %v", got, err)
	}
	if got, err := get(t, "https://api.example.test/y"); err != nil || got != "c /base/y" {
		t.Errorf("the host routed again: %q %v", got, err)
	}

	slow := server(t, "slow", make(chan struct{}))
	if err := sdkhttp.Route("slow.example.test", slow, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := get(t, "https://slow.example.test/z")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a body stalled past the timeout was read")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a body stalled past its 100ms timeout was still being read after 5s")
	}
	if got, err := get(t, "https://qyapi.example.test/y"); err != nil || got != "b /base/y" {
		t.Errorf("after the slow host: %q %v", got, err)
	}
}
