// Package slips writes binding-code slips: a print-styled, self-contained
// HTML page with one slip per unit (the unit, its code, a QR code of the
// chat message that binds, how to bind in three lines, and the expiry),
// for the committee to print, cut and hand out. Codes are secrets: the page
// is written only where the caller says, never logged.
//
// It is one small file so that it can move beside the notice board's
// printed pages. It imports only internal/qr.
package slips

import (
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/linli-community/linli/internal/qr"
)

// Slip is one unit's binding code.
type Slip struct {
	Unit    string
	Code    string
	Expires time.Time
}

// BindMessage is the chat message a resident sends to bind: what the
// slip's QR code holds, so that scanning it shows the words to send.
func BindMessage(s Slip) string { return "绑定 " + s.Unit + " " + s.Code }

// Write writes the page of slips for community, in the order given, with
// times in China time (UTC+8, which keeps no daylight saving).
func Write(w io.Writer, community string, slips []Slip) error {
	cst := time.FixedZone("CST", 8*3600)
	type slipView struct {
		Slip
		QR      template.HTML
		Message string
		Until   string
	}
	views := make([]slipView, len(slips))
	for i, s := range slips {
		svg, err := qr.SVG(BindMessage(s), 120)
		if err != nil {
			return fmt.Errorf("slips: %s: %w", s.Unit, err)
		}
		views[i] = slipView{Slip: s, QR: template.HTML(svg), Message: BindMessage(s),
			Until: s.Expires.In(cst).Format("2006年1月2日 15:04")}
	}
	return page.Execute(w, struct {
		Community string
		Slips     []slipView
	}{community, views})
}

// page is A4, three slips across, with dashed cutting lines; each slip
// stays whole on one page.
var page = template.Must(template.New("slips").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{.Community}} 业主绑定码</title>
<style>
@page { size: A4; margin: 10mm; }
body { font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; margin: 0; color: #000; }
.sheet { display: flex; flex-wrap: wrap; }
.slip { box-sizing: border-box; width: 33.33%; padding: 4mm; border: 1px dashed #888; break-inside: avoid; page-break-inside: avoid; }
.slip h2 { font-size: 13pt; margin: 0 0 2mm; }
.code { font-size: 18pt; font-weight: bold; letter-spacing: 2px; font-family: monospace; }
.qr { float: right; margin-left: 2mm; }
.qr svg { width: 26mm; height: 26mm; }
ol { margin: 2mm 0 0; padding-left: 5mm; font-size: 9pt; }
.until { font-size: 9pt; margin-top: 2mm; clear: both; }
</style>
</head>
<body>
<div class="sheet">
{{range .Slips}}<div class="slip">
<div class="qr">{{.QR}}</div>
<h2>{{$.Community}} {{.Unit}}</h2>
<div>绑定码</div>
<div class="code">{{.Code}}</div>
<ol>
<li>微信关注小区服务号</li>
<li>发送：{{.Message}}</li>
<li>按提示回复 1 确认</li>
</ol>
<div class="until">有效期至 {{.Until}}，用过一次即作废；请勿转给他人。</div>
</div>
{{end}}</div>
</body>
</html>
`))
