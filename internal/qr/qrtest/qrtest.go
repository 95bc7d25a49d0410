// Package qrtest reads back the QR codes that package qr draws, with an
// independent decoder (gozxing), for tests of printed pages. Only tests
// import it.
package qrtest

import (
	"fmt"
	"image"
	"image/color"
	"regexp"
	"strconv"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

var (
	svgElem = regexp.MustCompile(`<svg[^>]*viewBox="0 0 (\d+) (\d+)"[^>]*>.*?</svg>`)
	run     = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-\d+z`)
)

// DecodeAll decodes every QR <svg> element in page, in order.
func DecodeAll(page string) ([]string, error) {
	var out []string
	for _, m := range svgElem.FindAllStringSubmatch(page, -1) {
		n, _ := strconv.Atoi(m[1])
		bits := make([][]bool, n)
		for i := range bits {
			bits[i] = make([]bool, n)
		}
		for _, r := range run.FindAllStringSubmatch(m[0], -1) {
			x, _ := strconv.Atoi(r[1])
			y, _ := strconv.Atoi(r[2])
			w, _ := strconv.Atoi(r[3])
			if y >= n || x+w > n {
				return nil, fmt.Errorf("qrtest: run %q outside the %d-module code", r[0], n)
			}
			for i := x; i < x+w; i++ {
				bits[y][i] = true
			}
		}
		text, err := Decode(bits)
		if err != nil {
			return nil, err
		}
		out = append(out, text)
	}
	return out, nil
}

// Decode reads the text of a code given as its modules, quiet zone included.
func Decode(bits [][]bool) (string, error) {
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
		return "", fmt.Errorf("qrtest: %w", err)
	}
	// The image is the code alone, drawn exactly: say so, rather than let
	// the reader hunt for finder patterns as in a photo (which misreads a
	// few codes at this size).
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", fmt.Errorf("qrtest: %w", err)
	}
	return res.GetText(), nil
}
