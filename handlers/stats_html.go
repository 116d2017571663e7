package handlers

import (
	"html/template"
	"net/url"
	"strconv"

	"certreg/store"
)

// The repeated parts of 统计分析 — the chart's bars, the rows of its tables
// and the long drop-downs — are written here rather than by html/template.
// A template action costs about 2 µs (a reflective field lookup and an
// escaper call each), and a view repeats a dozen actions per bar and row:
// the monthly trend of ten years ran 2,400 actions, 4.5 ms of processor
// time for 35 KB. Written directly (htmlOut) they cost a few µs in all; the
// templates keep the page's structure, headings and totals.

// statsLinks makes the page's links from the form's parameters, encoded
// once rather than per link.
type statsLinks struct{ base url.Values }

func newStatsLinks(f statsForm) statsLinks { return statsLinks{base: f.values()} }

// link is statsForm.Link.
func (l statsLinks) link(path string, set ...string) string {
	v := make(url.Values, len(l.base)+len(set)/2)
	for k, x := range l.base {
		v[k] = x
	}
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			delete(v, set[i])
		} else {
			v[set[i]] = []string{set[i+1]}
		}
	}
	if q := v.Encode(); q != "" {
		return path + "?" + q
	}
	return path
}

// htmxLink writes an <a> that loads url into #stats-result and pushes it.
func (w *htmlOut) htmxLink(u, label string) {
	w.raw("<a")
	w.attr("href", u)
	w.attr("hx-get", u)
	w.raw(` hx-target="#stats-result" hx-push-url="true">`)
	w.text(label)
	w.raw("</a>")
}

// figureCells writes the four measures as numeric cells.
func (w *htmlOut) figureCells(f store.StatsFigures) {
	for _, n := range [...]int64{f.Issued, f.Valid, f.Cancelled, f.Superseded} {
		w.raw(`<td class="num">`)
		w.int(n)
		w.raw("</td>")
	}
}

// cityRows is the body of the province's table of cities.
func cityRows(cities []store.StatsCity, l statsLinks) template.HTML {
	var w htmlOut
	w.Grow(300 * len(cities))
	for _, c := range cities {
		w.raw("<tr><td>")
		w.htmxLink(l.link("/stats", "region", c.Region), c.Name)
		w.raw("</td>")
		w.figureCells(c.StatsFigures)
		w.raw("</tr>")
	}
	return w.html()
}

// orgRows is the body of a table of training organisations; orgLink is the
// trade view of one organisation, minus its id.
func orgRows(rows []store.StatsOrgRow, orgLink string) template.HTML {
	var w htmlOut
	w.Grow(400 * len(rows))
	for _, r := range rows {
		w.raw("<tr><td>")
		w.text(r.Org.Name)
		w.raw(` <span class="mono muted small">`)
		w.text(r.Org.Code)
		w.raw("</span>")
		if r.Org.Offline() {
			w.raw(` <span class="tag err">下线</span>`)
		}
		w.raw("</td>")
		w.figureCells(r.StatsFigures)
		w.raw(`<td class="actions">`)
		w.htmxLink(orgLink+"&org="+strconv.FormatUint(r.Org.ID, 10), "按职业等级")
		w.raw("</td></tr>")
	}
	return w.html()
}

// monthRows is the body of the monthly trend's table.
func monthRows(months []store.StatsMonth) template.HTML {
	var w htmlOut
	w.Grow(120 * len(months))
	for _, m := range months {
		w.raw("<tr><td>")
		w.raw(m.Month.Format("2006年01月"))
		w.raw("</td>")
		w.figureCells(m.StatsFigures)
		w.raw("</tr>")
	}
	return w.html()
}

// crossRows is the body of the occupation × level table in one measure.
func crossRows(rows []statsCrossRow) template.HTML {
	var w htmlOut
	w.Grow(250 * len(rows))
	for _, r := range rows {
		w.raw(`<tr><td><span class="mono muted">`)
		w.text(r.Code)
		w.raw("</span> ")
		w.text(r.Name)
		w.raw("</td>")
		for _, n := range r.Cells {
			if n == 0 {
				w.raw(`<td class="num"><span class="muted">0</span></td>`)
				continue
			}
			w.raw(`<td class="num">`)
			w.int(n)
			w.raw("</td>")
		}
		w.raw(`<td class="num"><b>`)
		w.int(r.Total)
		w.raw("</b></td></tr>")
	}
	return w.html()
}

// options writes <option>s, the one whose value is chosen selected.
func options(values, labels []string, chosen string) template.HTML {
	var w htmlOut
	for i, v := range values {
		w.raw("<option")
		w.attr("value", v)
		if v == chosen {
			w.raw(" selected")
		}
		w.raw(">")
		w.text(labels[i])
		w.raw("</option>")
	}
	return w.html()
}

// SVG draws the chart: vertical bars (a bar with a URL selects through
// htmx) or horizontal rows.
func (ch statsChart) SVG() template.HTML {
	var w htmlOut
	w.Grow(400*len(ch.Bars) + 800)
	w.raw(`<svg class="chart stats-chart" viewBox="0 0 `)
	w.int(int64(ch.Width))
	w.raw(" ")
	w.int(int64(ch.Height))
	w.raw(`" role="img"`)
	w.attr("aria-label", ch.Label)
	w.raw(">\n")
	if ch.Horizontal {
		for _, b := range ch.Bars {
			w.raw("<g><title>")
			w.text(b.Label)
			w.raw("：")
			w.text(b.Value)
			w.raw(" 张</title><text")
			w.intAttr("x", b.LabelX)
			w.intAttr("y", b.LabelY)
			w.raw(` text-anchor="end" class="axis">`)
			w.text(b.Label)
			w.raw("</text>")
			ch.bar(&w, b)
			w.raw("<text")
			w.intAttr("x", b.ValueX)
			w.intAttr("y", b.ValueY)
			w.raw(` class="value">`)
			w.text(b.Value)
			w.raw("</text></g>\n")
		}
		w.raw("</svg>")
		return w.html()
	}
	for _, t := range ch.Ticks {
		w.raw("<line")
		w.intAttr("x1", ch.Left)
		w.intAttr("x2", ch.Width)
		w.intAttr("y1", t.Y)
		w.intAttr("y2", t.Y)
		w.raw(` class="grid-line"/><text`)
		w.intAttr("x", t.X)
		w.intAttr("y", t.Y+4)
		w.raw(` text-anchor="end" class="axis">`)
		w.text(t.Label)
		w.raw("</text>")
	}
	w.raw("\n")
	for _, b := range ch.Bars {
		class := ""
		if b.URL != "" {
			class = "bar-link"
		}
		if b.Active {
			class += " active"
		}
		w.raw("<g")
		w.attr("class", class)
		if b.URL != "" {
			w.attr("hx-get", b.URL)
			w.raw(` hx-target="#stats-result" hx-push-url="true"`)
			w.attr("data-label", b.Label)
		}
		w.raw("><title>")
		w.text(b.Label)
		w.raw("：")
		w.text(b.Value)
		w.raw(" 张</title>")
		if b.URL != "" {
			w.raw("<rect")
			w.intAttr("x", b.HitX)
			w.intAttr("y", ch.Top)
			w.intAttr("width", b.HitW)
			w.intAttr("height", ch.PlotH)
			w.raw(` class="hit"/>`)
		}
		ch.bar(&w, b)
		if b.ShowLabel {
			w.raw("<text")
			w.intAttr("x", b.LabelX)
			w.intAttr("y", b.LabelY)
			w.raw(` text-anchor="middle" class="axis">`)
			w.text(b.Label)
			w.raw("</text>")
		}
		if b.ShowValue {
			w.raw("<text")
			w.intAttr("x", b.ValueX)
			w.intAttr("y", b.ValueY)
			w.raw(` text-anchor="middle" class="value">`)
			w.text(b.Value)
			w.raw("</text>")
		}
		w.raw("</g>\n")
	}
	w.raw("</svg>")
	return w.html()
}

func (ch statsChart) bar(w *htmlOut, b statsBar) {
	w.raw("<rect")
	w.intAttr("x", b.X)
	w.intAttr("y", b.Y)
	w.intAttr("width", b.W)
	w.intAttr("height", b.H)
	w.raw(` rx="3" class="bar"/>`)
}

// statsMeasureHeads are the four measures as table headings, with their
// meaning as a tooltip; statsNote says what they count.
var statsMeasureHeads, statsNote = func() (template.HTML, template.HTML) {
	var heads, note htmlOut
	for i, m := range statsMeasures {
		heads.raw(`<th class="num"`)
		heads.attr("title", m.Hint)
		heads.raw(">")
		heads.text(m.Label)
		heads.raw("</th>")
		if i > 0 {
			note.raw("；")
		}
		note.raw("<b>")
		note.text(m.Label)
		note.raw("</b>：")
		note.text(m.Hint)
	}
	return heads.html(), note.html()
}()
