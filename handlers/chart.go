package handlers

import (
	"fmt"
	"html"
	"html/template"
	"time"

	"certreg/store"
)

// barChart is a server-drawn SVG bar chart (no JavaScript, CSP-friendly).
type barChart struct {
	Width, Height int
	Bars          []bar
	Max           uint64
	Total         uint64
	Ticks         []tick
}

type bar struct {
	X, Y, W, H     int
	LabelX, LabelY int
	ValueY         int
	Label, Value   string
}

type tick struct {
	Y     int
	Label string
}

// monthChart lays out certificates issued per month.
func monthChart(months []store.MonthCount) barChart {
	const w, h, left, bottom, top = 560, 220, 40, 28, 18
	ch := barChart{Width: w, Height: h}
	for _, m := range months {
		if m.Count > ch.Max {
			ch.Max = m.Count
		}
		ch.Total += m.Count
	}
	scale := niceMax(ch.Max)
	plotH := h - bottom - top
	slot := (w - left) / max(len(months), 1)
	for i, m := range months {
		bh := int(float64(plotH) * float64(m.Count) / float64(scale))
		if m.Count > 0 && bh < 2 {
			bh = 2
		}
		x := left + i*slot + slot/4
		ch.Bars = append(ch.Bars, bar{X: x, Y: top + plotH - bh, W: slot / 2, H: bh,
			LabelX: x + slot/4, LabelY: h - 8, ValueY: top + plotH - bh - 5,
			Label: monthLabel(m.Month), Value: fmt.Sprint(m.Count)})
	}
	for i := 0; i <= 4; i++ {
		v := scale * uint64(i) / 4
		ch.Ticks = append(ch.Ticks, tick{Y: top + plotH - plotH*i/4, Label: fmt.Sprint(v)})
	}
	return ch
}

func monthLabel(t time.Time) string { return fmt.Sprintf("%d月", int(t.Month())) }

// niceMax rounds up to 1, 2 or 5 times a power of ten (at least 4).
func niceMax(v uint64) uint64 {
	if v < 4 {
		return 4
	}
	p := uint64(1)
	for p*10 < v {
		p *= 10
	}
	for _, m := range []uint64{1, 2, 4, 5, 10} {
		if p*m >= v {
			return p * m
		}
	}
	return p * 10
}

// SVG draws the chart (the home page's; written here rather than in a
// template, where its few dozen numbers cost more than the rest of the page).
func (ch barChart) SVG() template.HTML {
	var w htmlOut
	w.Grow(600 + len(ch.Ticks)*140 + len(ch.Bars)*360)
	num := func(n int) { w.int(int64(n)) }
	w.raw("\n<svg class=\"chart\" viewBox=\"0 0 ")
	num(ch.Width)
	w.raw(" ")
	num(ch.Height)
	w.raw("\" role=\"img\" aria-label=\"每月发证数量\">\n  ")
	for _, t := range ch.Ticks {
		w.raw(`<line x1="40" x2="`)
		num(ch.Width)
		w.raw(`" y1="`)
		num(t.Y)
		w.raw(`" y2="`)
		num(t.Y)
		w.raw(`" class="grid-line"/><text x="34" y="`)
		num(t.Y + 4)
		w.raw(`" text-anchor="end" class="axis">`)
		w.text(t.Label)
		w.raw("</text>")
	}
	w.raw("\n  ")
	for _, r := range ch.Bars {
		label, value := html.EscapeString(r.Label), html.EscapeString(r.Value)
		w.raw("\n    <rect x=\"")
		num(r.X)
		w.raw(`" y="`)
		num(r.Y)
		w.raw(`" width="`)
		num(r.W)
		w.raw(`" height="`)
		num(r.H)
		w.raw(`" rx="3" class="bar"><title>` + label + "：" + value + " 张</title></rect>\n    <text x=\"")
		num(r.LabelX)
		w.raw(`" y="`)
		num(r.LabelY)
		w.raw(`" text-anchor="middle" class="axis">` + label + "</text>\n    ")
		if r.Value != "0" {
			w.raw(`<text x="`)
			num(r.LabelX)
			w.raw(`" y="`)
			num(r.ValueY)
			w.raw(`" text-anchor="middle" class="value">` + value + "</text>")
		}
		w.raw("\n  ")
	}
	w.raw("\n</svg>\n")
	return w.html()
}
