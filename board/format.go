package board

import (
	"bufio"
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/linli-community/linli/templates"
)

// cst is China Standard Time, in which the community reads every date.
var cst = time.FixedZone("CST", 8*3600)

// loadLabels reads templates/board/labels.txt: one "key=中文" a line, the
// words for codes the chain stores (tx types, phases, statuses, kinds).
func loadLabels() (map[string]string, error) {
	data, err := fs.ReadFile(templates.Board(), "labels.txt")
	if err != nil {
		return nil, fmt.Errorf("board: labels: %w", err)
	}
	labels := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("board: labels.txt:%d: want key=label", n)
		}
		labels[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return labels, nil
}

// label returns the Chinese word for a stored code, or the code itself.
func (b *Board) label(kind, code string) string {
	if s, ok := b.labels[kind+"."+code]; ok {
		return s
	}
	return code
}

func (b *Board) funcs() template.FuncMap {
	return template.FuncMap{
		"label":     b.label,
		"yuan":      yuan,
		"area":      area,
		"date":      date,
		"datetime":  datetime,
		"pct":       pct,
		"short":     short,
		"bar":       bar,
		"url":       b.url,
		"qr":        qrSVG,
		"add":       func(a, b int) int { return a + b },
		"cards":     b.cards,
		"pagerows":  b.pageRows,
		"printrows": b.printRows,
	}
}

// yuan writes fen as yuan with two decimals and thousands separators.
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + group(fen/100) + "." + fmt.Sprintf("%02d", fen%100)
}

func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// area writes 0.01 m² as square metres with two decimals.
func area(a int64) string {
	return group(a/100) + "." + fmt.Sprintf("%02d", a%100) + " m²"
}

func date(unix int64) string {
	if unix == 0 {
		return ""
	}
	return time.Unix(unix, 0).In(cst).Format("2006年1月2日")
}

func datetime(unix int64) string {
	if unix == 0 {
		return ""
	}
	return time.Unix(unix, 0).In(cst).Format("2006年1月2日 15:04")
}

// pct writes num/den as a percentage with one decimal, rounded down, in
// integers (0 when den is 0).
func pct(num, den int64) string {
	if den <= 0 {
		return "0%"
	}
	p := num * 1000 / den
	return fmt.Sprintf("%d.%d%%", p/10, p%10)
}

// short is the first eight characters of a hash, as receipts show it.
func short(h string) string {
	if len(h) > 8 {
		return h[:8]
	}
	return h
}

// Bar is a progress bar against a threshold, drawn as inline SVG: the
// filled share, and a mark at the threshold.
type Bar struct {
	// Fill and Mark are per mille of the width (0-1000).
	Fill, Mark int64
	// Met says whether the figure reaches the threshold.
	Met bool
}

// bar is num/den against the threshold tn/td; strict means the figure must
// be more than the threshold (过半数), else at least it (以上).
func bar(num, den, tn, td int64, strict bool) Bar {
	b := Bar{Mark: 1000 * tn / td}
	if den > 0 {
		b.Fill = min(1000, 1000*num/den)
		if strict {
			b.Met = td*num > tn*den
		} else {
			b.Met = td*num >= tn*den
		}
	}
	return b
}
