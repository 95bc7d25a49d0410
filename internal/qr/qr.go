// Package qr draws QR codes for printed and on-screen pages (the notice
// board, binding-code slips, ballot sheets) as inline SVG, so a page needs
// no image files and prints crisply at any size. It wraps
// github.com/skip2/go-qrcode, a small, widely used encoder, rather than an
// encoder of our own. It imports nothing of linli's.
package qr

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Modules returns the code's dark modules, quiet zone included, row by row.
func Modules(text string) ([][]bool, error) {
	code, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	return code.Bitmap(), nil
}

// SVG returns an <svg> element of the code for text, sizePx wide and high on
// screen (print CSS may scale it). Each run of dark modules in a row is one
// rectangle, which keeps the markup small. The result contains only the
// numbers it computed, never text, so it is safe to insert as HTML.
func SVG(text string, sizePx int) (string, error) {
	bits, err := Modules(text)
	if err != nil {
		return "", err
	}
	n := len(bits)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges" role="img" aria-label="QR">`, n, n, sizePx, sizePx)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}
