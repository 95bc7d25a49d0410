package qr

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

// decode reads a QR code back from its modules with an independent decoder.
func decode(t *testing.T, bits [][]bool) string {
	t.Helper()
	const scale = 4
	n := len(bits)
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for y := 0; y < n*scale; y++ {
		for x := 0; x < n*scale; x++ {
			c := color.Gray{Y: 255}
			if bits[y/scale][x/scale] {
				c = color.Gray{Y: 0}
			}
			img.SetGray(x, y, c)
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.GetText()
}

func TestModulesDecodeToTheirText(t *testing.T) {
	for _, text := range []string{
		"http://127.0.0.1:8090/tx/3F9A0C",
		"绑定 3-502 1234 5678 9012",
		strings.Repeat("a", 300),
	} {
		bits, err := Modules(text)
		if err != nil {
			t.Fatal(err)
		}
		if got := decode(t, bits); got != text {
			t.Errorf("decoded %q, want %q", got, text)
		}
	}
}

func TestSVGDrawsEveryDarkModule(t *testing.T) {
	text := "http://127.0.0.1:8090/"
	svg, err := SVG(text, 160)
	if err != nil {
		t.Fatal(err)
	}
	bits, _ := Modules(text)
	dark := 0
	for _, row := range bits {
		for _, b := range row {
			if b {
				dark++
			}
		}
	}
	// Each run is "M x yhWv1h-Wz"; the widths of all runs add up to the dark modules.
	var sum int
	for _, run := range strings.Split(svg, "M")[1:] {
		var x, y, w int
		if _, err := fmt.Sscanf(run, "%d %dh%d", &x, &y, &w); err != nil {
			t.Fatalf("run %q: %v", run, err)
		}
		sum += w
	}
	if sum != dark {
		t.Errorf("svg draws %d modules, the code has %d", sum, dark)
	}
	if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, `width="160"`) {
		t.Errorf("not an svg of the asked size: %.80s", svg)
	}
}

func TestTooLongTextIsAnError(t *testing.T) {
	if _, err := SVG(strings.Repeat("x", 5000), 100); err == nil {
		t.Error("5,000 bytes fit no QR code, yet SVG returned no error")
	}
}
