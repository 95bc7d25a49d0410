// Package browser drives a headless Chromium from tests (chromedp): open a
// page at a phone's width, print it to PDF, read the PDF's page size and
// count, and decode a QR code from a screenshot (gozxing). It is for tests
// only and imports nothing of linli's.
//
// A missing Chromium skips the test with a one-line install hint, except
// when the environment has CI=true: there the browser tests must run, so a
// missing browser fails.
package browser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/png" // screenshots are PNG
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

// Phone is the viewport of a small phone in WeChat's browser, CSS pixels.
const (
	PhoneWidth  = 360
	PhoneHeight = 740
)

// find returns the path of a Chromium (or Chrome) executable.
func find() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	return "", errors.New("no chromium")
}

// Start launches a headless Chromium for tb with a fresh profile and no
// network services, and returns a context for chromedp actions that ends
// with the test (the browser is stopped and its profile removed).
func Start(tb testing.TB) context.Context {
	tb.Helper()
	path, err := find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("chromium is not installed, and CI=true requires the browser tests: apt-get install -y chromium")
		}
		tb.Skip("chromium is not installed; to run the browser tests: apt-get install -y chromium fonts-noto-cjk")
	}
	dir, err := os.MkdirTemp("", "linli-chromium-")
	if err != nil {
		tb.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(dir),
		// Chromium leaves its singleton socket directory in TMPDIR when it
		// is stopped; inside the profile it goes with the profile.
		chromedp.Env("TMPDIR="+dir),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	tb.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		// A renderer may still be writing to the profile for a moment.
		for range 50 {
			if err := os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(PhoneWidth, PhoneHeight, chromedp.EmulateScale(2))); err != nil {
		tb.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Open navigates to url and waits for the page to load.
func Open(ctx context.Context, url string) error {
	return chromedp.Do(ctx, chromedp.Navigate(url))
}

// HorizontalOverflow returns how many CSS pixels the open page is wider
// than the viewport (0 or less: no horizontal scrolling).
func HorizontalOverflow(ctx context.Context) (int, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
}

// Text returns the open page's visible text.
func Text(ctx context.Context) (string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
}

// PrintText returns the innerText of the element with id as the page
// prints it (print media emulated), or an error when printing hides it.
func PrintText(ctx context.Context, id string) (string, error) {
	if err := chromedp.Do(ctx, emulateMedia("print")); err != nil {
		return "", err
	}
	defer chromedp.Do(ctx, emulateMedia(""))
	return chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(() => { const e = document.getElementById(%q); if (!e || getComputedStyle(e).display === "none") return "(hidden)"; return e.innerText })()`, id)))
}

func emulateMedia(media string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}

// PDF prints the open page as the browser's print dialog would, leaving
// the paper size to the page's CSS (@page size).
func PDF(ctx context.Context) ([]byte, error) {
	return chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
}

var (
	mediaBox = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`)
	pageObj  = regexp.MustCompile(`/Type\s*/Page[^s]`)
)

// PageSize returns the width and height in points of every page of pdf.
func PageSize(pdf []byte) (sizes [][2]float64) {
	for _, m := range mediaBox.FindAllSubmatch(pdf, -1) {
		w, _ := strconv.ParseFloat(string(m[1]), 64)
		h, _ := strconv.ParseFloat(string(m[2]), 64)
		sizes = append(sizes, [2]float64{w, h})
	}
	return sizes
}

// PageCount returns how many pages pdf has.
func PageCount(pdf []byte) int { return len(pageObj.FindAll(pdf, -1)) }

// IsA4 reports whether a page size in points is A4 portrait (210 × 297
// mm, 595.3 × 841.9 pt) within a point.
func IsA4(size [2]float64) bool {
	return abs(size[0]-595.28) < 1.5 && abs(size[1]-841.89) < 1.5
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// DecodeQR screenshots the element matching the CSS selector and decodes
// the QR code in it.
//
// A code 30 mm wide on screen is about 3 device pixels a module, not a
// whole number, so its edges are grey; a reader hunting finder patterns
// in such a picture misjudges the code's size for about one text in 300
// (CI saw "dimension = 23"). Like a phone that tries again closer, it
// looks again at larger screenshots, and harder, before it gives up; the
// code must still be read from what the browser drew.
func DecodeQR(ctx context.Context, selector string) (string, error) {
	var errs []error
	for _, scale := range []float64{1, 2, 3} {
		png, err := chromedp.Run(ctx, chromedp.ScreenshotScale(chromedp.CSS(selector), scale))
		if err != nil {
			return "", err
		}
		img, _, err := image.Decode(bytes.NewReader(png))
		if err != nil {
			return "", err
		}
		for _, hints := range []map[gozxing.DecodeHintType]any{nil, {gozxing.DecodeHintType_TRY_HARDER: true}} {
			bmp, err := gozxing.NewBinaryBitmapFromImage(img)
			if err != nil {
				return "", err
			}
			res, err := gozxingqr.NewQRCodeReader().Decode(bmp, hints)
			if err == nil {
				return res.GetText(), nil
			}
			errs = append(errs, fmt.Errorf("at %gx, hints %v: %w", scale, hints, err))
		}
	}
	return "", fmt.Errorf("decode QR in %s: %w", selector, errors.Join(errs...))
}
