package qr_test

import (
	"strings"
	"testing"

	"github.com/linli-community/linli/internal/qr"
	"github.com/linli-community/linli/internal/qr/qrtest"
)

var texts = []string{
	"http://127.0.0.1:8090/tx/3F9A0C",
	"绑定 3-502 1234 5678 9012 3456",
	strings.Repeat("a", 300),
}

// TestModulesDecodeToTheirText reads each code back with an independent
// decoder (gozxing, through qrtest).
func TestModulesDecodeToTheirText(t *testing.T) {
	for _, text := range texts {
		bits, err := qr.Modules(text)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := qrtest.Decode(bits); err != nil || got != text {
			t.Errorf("decoded %q (%v), want %q", got, err, text)
		}
	}
}

// TestSVGDecodesToItsText: the drawn <svg>, parsed back into modules, is
// the same code.
func TestSVGDecodesToItsText(t *testing.T) {
	for _, text := range texts {
		svg, err := qr.SVG(text, 160)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, `width="160"`) {
			t.Errorf("not an svg of the asked size: %.80s", svg)
		}
		got, err := qrtest.DecodeAll(svg)
		if err != nil || len(got) != 1 || got[0] != text {
			t.Errorf("the svg decodes to %q (%v), want %q", got, err, text)
		}
	}
}

func TestTooLongTextIsAnError(t *testing.T) {
	if _, err := qr.SVG(strings.Repeat("x", 5000), 100); err == nil {
		t.Error("5,000 bytes fit no QR code, yet SVG returned no error")
	}
}
