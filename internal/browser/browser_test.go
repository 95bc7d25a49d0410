package browser_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/linli-community/linli/internal/browser"
	"github.com/linli-community/linli/internal/qr"
)

// TestDecodeQRReadsCodesAtPrintSize wants codes drawn 30 mm wide, as a
// printed notice draws them, read back from the browser's picture. The
// first text is one a single look at the 1x screenshot misread ("dimension
// = 23", the CI failure of the board's browser test); the others are its
// neighbours.
func TestDecodeQRReadsCodesAtPrintSize(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		svg, err := qr.SVG(r.URL.Query().Get("text"), 160)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `<!doctype html><style>.qr svg{display:block;width:30mm;height:30mm}</style><div id="qr" class="qr">%s</div>`, svg)
	}))
	defer srv.Close()
	ctx := browser.Start(t)
	for _, text := range []string{
		"http://127.0.0.1:30105/print/decisions/1",
		"http://127.0.0.1:30104/print/decisions/1",
		"http://127.0.0.1:30105/print/accounts/2026-Q4",
	} {
		if err := browser.Open(ctx, srv.URL+"/?text="+url.QueryEscape(text)); err != nil {
			t.Fatal(err)
		}
		got, err := browser.DecodeQR(ctx, "#qr svg")
		if err != nil || got != text {
			t.Errorf("DecodeQR of %q: %q, %v", text, got, err)
		}
	}
}
