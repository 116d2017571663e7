package handlers

import "testing"

// The home page's chart: a bar and its value label per month, no value label
// on an empty month, every text escaped.
func TestBarChartSVG(t *testing.T) {
	ch := barChart{Width: 100, Height: 50, Ticks: []tick{{Y: 40, Label: "0"}, {Y: 10, Label: "4"}},
		Bars: []bar{{X: 45, Y: 20, W: 10, H: 20, LabelX: 50, LabelY: 42, ValueY: 15, Label: "3月", Value: "4"},
			{X: 70, Y: 40, W: 10, H: 0, LabelX: 75, LabelY: 42, ValueY: 35, Label: "<4月>", Value: "0"}}}
	want := "\n<svg class=\"chart\" viewBox=\"0 0 100 50\" role=\"img\" aria-label=\"每月发证数量\">\n  " +
		`<line x1="40" x2="100" y1="40" y2="40" class="grid-line"/><text x="34" y="44" text-anchor="end" class="axis">0</text>` +
		`<line x1="40" x2="100" y1="10" y2="10" class="grid-line"/><text x="34" y="14" text-anchor="end" class="axis">4</text>` + "\n  " +
		"\n    " + `<rect x="45" y="20" width="10" height="20" rx="3" class="bar"><title>3月：4 张</title></rect>` +
		"\n    " + `<text x="50" y="42" text-anchor="middle" class="axis">3月</text>` +
		"\n    " + `<text x="50" y="15" text-anchor="middle" class="value">4</text>` + "\n  " +
		"\n    " + `<rect x="70" y="40" width="10" height="0" rx="3" class="bar"><title>&lt;4月&gt;：0 张</title></rect>` +
		"\n    " + `<text x="75" y="42" text-anchor="middle" class="axis">&lt;4月&gt;</text>` + "\n    \n  " +
		"\n</svg>\n"
	if got := string(ch.SVG()); got != want {
		t.Errorf("chart:\n%s\nwant\n%s", got, want)
	}
}
