package handlers

import (
	"fmt"
	"unicode/utf8"

	"certreg/store"
)

// statsChart is a server-drawn SVG bar chart of 统计分析: vertical bars
// (cities, months) or, for long names (a dept's units), horizontal ones. A
// bar with a URL selects something (a city) through htmx.
type statsChart struct {
	Width, Height int
	Horizontal    bool
	Left, Top     int // where the plot starts
	PlotW, PlotH  int
	Bars          []statsBar
	Ticks         []statsTick
	Label         string // what the bars count, for screen readers
	Zero          bool   // every bar is 0
}

type statsBar struct {
	X, Y, W, H     int
	LabelX, LabelY int
	ValueX, ValueY int
	HitX, HitW     int // the clickable column of a vertical bar
	Label, Value   string
	ShowLabel      bool
	ShowValue      bool
	URL            string
	Active         bool
}

type statsTick struct {
	X, Y  int
	Label string
}

// verticalChart lays out one bar per label.
func verticalChart(labels []string, values []int64, urls []string, active int) statsChart {
	const w, h, left, top, bottom = 1000, 260, 56, 22, 30
	ch := statsChart{Width: w, Height: h, Left: left, Top: top, PlotW: w - left - 8, PlotH: h - top - bottom, Zero: true}
	scale := ch.scaleFor(values)
	ch.Bars = make([]statsBar, 0, len(values))
	n := max(len(values), 1)
	slot := float64(ch.PlotW) / float64(n)
	// Labels that would touch are thinned out: every k-th is shown.
	widest := 0
	for _, l := range labels {
		widest = max(widest, 11*utf8.RuneCountInString(l))
	}
	every := 1
	for float64(every)*slot < float64(widest)+4 {
		every++
	}
	for i, v := range values {
		bh := int(float64(ch.PlotH) * float64(v) / float64(scale))
		if v > 0 && bh < 2 {
			bh = 2
		}
		bw := min(max(int(slot*0.62), 2), 64)
		x := left + int(float64(i)*slot+(slot-float64(bw))/2)
		b := statsBar{X: x, Y: top + ch.PlotH - bh, W: bw, H: bh, LabelX: x + bw/2, LabelY: h - 10,
			ValueX: x + bw/2, ValueY: top + ch.PlotH - bh - 5, Label: labels[i], Value: fmt.Sprint(v),
			ShowLabel: i%every == 0, ShowValue: v != 0 && slot >= 9*float64(len(fmt.Sprint(v))), Active: i == active,
			HitX: left + int(float64(i)*slot), HitW: max(int(slot), 1)}
		if urls != nil {
			b.URL = urls[i]
		}
		ch.Bars = append(ch.Bars, b)
	}
	for i := 0; i <= 4; i++ {
		ch.Ticks = append(ch.Ticks, statsTick{X: left - 6, Y: top + ch.PlotH - ch.PlotH*i/4, Label: fmt.Sprint(scale * uint64(i) / 4)})
	}
	return ch
}

// horizontalChart lays out one row per label, the labels on the left.
func horizontalChart(labels []string, values []int64) statsChart {
	const w, left, top, row = 1000, 300, 8, 26
	ch := statsChart{Width: w, Horizontal: true, Left: left, Top: top, PlotW: w - left - 80, Zero: true}
	ch.PlotH = row * len(values)
	ch.Height = top + ch.PlotH + 8
	scale := ch.scaleFor(values)
	ch.Bars = make([]statsBar, 0, len(values))
	for i, v := range values {
		bw := int(float64(ch.PlotW) * float64(v) / float64(scale))
		if v > 0 && bw < 2 {
			bw = 2
		}
		y := top + i*row
		label := labels[i]
		if r := []rune(label); len(r) > 22 {
			label = string(r[:21]) + "…"
		}
		ch.Bars = append(ch.Bars, statsBar{X: left, Y: y + 5, W: bw, H: row - 10, LabelX: left - 8, LabelY: y + row/2 + 4,
			ValueX: left + bw + 6, ValueY: y + row/2 + 4, Label: label, Value: fmt.Sprint(v), ShowLabel: true, ShowValue: true})
	}
	return ch
}

// cityStatsChart: certificates issued per city; a bar selects its city.
func cityStatsChart(cities []store.StatsCity, region string, l statsLinks) statsChart {
	labels := make([]string, len(cities))
	values := make([]int64, len(cities))
	urls := make([]string, len(cities))
	active := -1
	for i, c := range cities {
		labels[i], values[i] = c.Name, c.Issued
		urls[i] = l.link("/stats", "region", c.Region, "view", "", "org", "")
		if c.Region == region {
			active = i
		}
	}
	ch := verticalChart(labels, values, urls, active)
	ch.Label = "各地市发证数"
	return ch
}

// orgStatsChart: certificates issued per unit of a dept.
func orgStatsChart(rows []store.StatsOrgRow) statsChart {
	labels, values := series(rows, func(r store.StatsOrgRow) (string, int64) { return r.Org.Name, r.Issued })
	ch := horizontalChart(labels, values)
	ch.Label = "各单位发证数"
	return ch
}

// monthStatsChart: certificates issued per month.
func monthStatsChart(months []store.StatsMonth) statsChart {
	labels, values := series(months, func(m store.StatsMonth) (string, int64) { return m.Month.Format("2006-01"), m.Issued })
	ch := verticalChart(labels, values, nil, -1)
	ch.Label = "每月发证数"
	return ch
}

// series is the labels and values of a chart's rows.
func series[T any](rows []T, of func(T) (string, int64)) ([]string, []int64) {
	labels := make([]string, len(rows))
	values := make([]int64, len(rows))
	for i, r := range rows {
		labels[i], values[i] = of(r)
	}
	return labels, values
}

// scaleFor is the axis maximum for the values; the chart is Zero (drawn as
// an empty state) while every value is 0.
func (ch *statsChart) scaleFor(values []int64) uint64 {
	var most int64
	for _, v := range values {
		most = max(most, v)
		if v != 0 {
			ch.Zero = false
		}
	}
	return niceMax(uint64(max(most, 0)))
}
