package handlers

import (
	"testing"
	"time"

	"certreg/store"
)

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

// The home page's lists: a to-do count of zero has no colour, a rejected
// batch shows its reason on hover, every text is escaped.
func TestHomeLists(t *testing.T) {
	d := homeData{
		Todo: []todoItem{{Label: "待审核批次", Path: "/reviews/batches", Count: 3, Tone: "warn"}, {Label: "审核不通过批次", Path: "/batches?tab=rejected", Tone: "err"}},
		Batches: []store.Batch{{ID: 7, Name: "第1期<焊工>", Count: 12, State: store.BatchRejected, Reason: `缺"材料"`,
			Created: time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC)}},
		Links: []quickLink{{"新建批次", "/batches/new", "下载模板&导入"}},
	}
	if got, want := string(d.TodoHTML()), `<a class="todo-item" href="/reviews/batches"><span class="todo-count warn">3</span><span>待审核批次</span></a>`+
		`<a class="todo-item" href="/batches?tab=rejected"><span class="todo-count">0</span><span>审核不通过批次</span></a>`; got != want {
		t.Errorf("to-do:\n%s\nwant\n%s", got, want)
	}
	if got, want := string(d.BatchRows()), `<tr><td class="mono">P000007</td><td><a href="/batches/7">第1期&lt;焊工&gt;</a></td><td>12 人</td>`+
		"\n      "+`<td><span class="tag err" title="原因：缺&#34;材料&#34;">审核不通过</span></td><td>2026-03-02 00:30:00</td></tr>`; got != want {
		t.Errorf("batches:\n%s\nwant\n%s", got, want)
	}
	if got, want := string(d.LinksHTML()), "\n    "+`<a class="quick" href="/batches/new"><span class="qi"><svg class="icon"><use href="/assets/icons.svg#batch"/></svg></span>`+
		`<span><b>新建批次</b><span>下载模板&amp;导入</span></span></a>`+"\n    "; got != want {
		t.Errorf("links:\n%s\nwant\n%s", got, want)
	}
}
