package handlers

import (
	"fmt"
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
