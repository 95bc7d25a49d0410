package board

import (
	"github.com/linli-community/linli/abci"
)

// chart is the geometry of a monthly bar chart, drawn as inline SVG by the
// accounts template: for each month an income bar and an expense bar. Our
// own few lines rather than a charting library: the Go ones either draw
// with JavaScript in the browser (go-echarts), which the board's CSP and
// WeChat's browser rule out, or bring fonts and a plotting stack
// (gonum/plot) for what is two rectangles a month.
type chart struct {
	Width, Height int
	Bars          []chartBar
	Labels        []chartLabel
	// Max is the largest monthly figure, in fen, the full bar height.
	Max   int64
	Empty bool
}

type chartBar struct {
	X, Y, W, H int
	Expense    bool
	Month      string
	Amount     int64
}

type chartLabel struct {
	X     int
	Month int // 1-12
}

const (
	chartWidth  = 340
	chartHeight = 120
	chartBase   = 104 // the baseline; month numbers go below it
)

func monthChart(months []abci.AccountMonth) chart {
	c := chart{Width: chartWidth, Height: chartHeight}
	for _, m := range months {
		c.Max = max(c.Max, m.Income, m.Expense)
	}
	c.Empty = c.Max == 0
	if len(months) == 0 {
		return c
	}
	slot := chartWidth / len(months)
	for i, m := range months {
		x := i * slot
		ym, _ := abci.ParseMonth(m.Month)
		c.Labels = append(c.Labels, chartLabel{X: x + slot/2, Month: ym % 100})
		for j, v := range []int64{m.Income, m.Expense} {
			h := 0
			if c.Max > 0 {
				h = int(v * (chartBase - 4) / c.Max)
			}
			if v > 0 && h == 0 {
				h = 1 // a small figure still shows
			}
			c.Bars = append(c.Bars, chartBar{X: x + 2 + j*(slot-4)/2, Y: chartBase - h, W: (slot-4)/2 - 1, H: h,
				Expense: j == 1, Month: m.Month, Amount: v})
		}
	}
	return c
}
