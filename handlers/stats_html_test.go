package handlers

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"certreg/store"
)

// The rows written in Go escape every name and link, and keep the
// markup the page had when a template wrote them.
func TestStatsRowsEscapeNamesAndLinks(t *testing.T) {
	rows := []store.StatsOrgRow{{
		Org:          store.Org{ID: 7, Name: `甲<b>&"乙"`, Code: "A&1", Status: store.OrgOffline},
		StatsFigures: store.StatsFigures{Issued: 12, Valid: 10, Cancelled: 1, Superseded: 1},
	}}
	got := string(orgRows(rows, "/stats?view=trade&from=2026-01-01"))
	want := `<tr><td>甲&lt;b&gt;&amp;&#34;乙&#34; <span class="mono muted small">A&amp;1</span> <span class="tag err">下线</span></td>` +
		`<td class="num">12</td><td class="num">10</td><td class="num">1</td><td class="num">1</td>` +
		`<td class="actions"><a href="/stats?view=trade&amp;from=2026-01-01&amp;org=7" hx-get="/stats?view=trade&amp;from=2026-01-01&amp;org=7" hx-target="#stats-result" hx-push-url="true">按职业等级</a></td></tr>`
	if got != want {
		t.Errorf("org row\n got %s\nwant %s", got, want)
	}

	cross := string(crossRows([]statsCrossRow{{Code: "001", Name: "砌筑<工>", Cells: []int64{0, 3}, Total: 3}}))
	want = `<tr><td><span class="mono muted">001</span> 砌筑&lt;工&gt;</td><td class="num"><span class="muted">0</span></td><td class="num">3</td><td class="num"><b>3</b></td></tr>`
	if cross != want {
		t.Errorf("cross row\n got %s\nwant %s", cross, want)
	}

	month := string(monthRows([]store.StatsMonth{{Month: time.Date(2026, 4, 1, 0, 0, 0, 0, cst), StatsFigures: store.StatsFigures{Issued: 4, Valid: 3, Cancelled: 1}}}))
	want = `<tr><td>2026年04月</td><td class="num">4</td><td class="num">3</td><td class="num">1</td><td class="num">0</td></tr>`
	if month != want {
		t.Errorf("month row\n got %s\nwant %s", month, want)
	}

	links := newStatsLinks(statsForm{View: "org", Level: "5", Measure: "issued"})
	city := string(cityRows([]store.StatsCity{{Region: "3401", Name: "合肥市", StatsFigures: store.StatsFigures{Issued: 2}}}, links))
	want = `<tr><td><a href="/stats?level=5&amp;region=3401" hx-get="/stats?level=5&amp;region=3401" hx-target="#stats-result" hx-push-url="true">合肥市</a></td>` +
		`<td class="num">2</td><td class="num">0</td><td class="num">0</td><td class="num">0</td></tr>`
	if city != want {
		t.Errorf("city row\n got %s\nwant %s", city, want)
	}

	opts := string(options([]string{"1", "2"}, []string{"a<b", "c"}, "2"))
	if want := `<option value="1">a&lt;b</option><option value="2" selected>c</option>`; opts != want {
		t.Errorf("options\n got %s\nwant %s", opts, want)
	}
}

// The chart is well-formed SVG whatever its labels; a bar with a URL is a
// clickable group that names its label, the chosen bar is marked active.
func TestStatsChartSVG(t *testing.T) {
	ch := verticalChart([]string{"合肥<市>", `芜湖"&`}, []int64{5, 0}, []string{"/stats?region=3401&level=5", "/stats?region=3402"}, 0)
	svg := string(ch.SVG())
	dec := xml.NewDecoder(strings.NewReader(svg))
	groups := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "g" {
			groups++
		}
	}
	if groups != 2 {
		t.Errorf("%d bars", groups)
	}
	for _, want := range []string{
		`<g class="bar-link active" hx-get="/stats?region=3401&amp;level=5" hx-target="#stats-result" hx-push-url="true" data-label="合肥&lt;市&gt;"><title>合肥&lt;市&gt;：5 张</title>`,
		`<g class="bar-link" hx-get="/stats?region=3402"`,
		`class="hit"/>`, `text-anchor="middle" class="value">5</text>`, `aria-label=""`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %s\n%s", want, svg)
		}
	}
	h := horizontalChart([]string{"单位<一>"}, []int64{3})
	if hs := string(h.SVG()); !strings.Contains(hs, `text-anchor="end" class="axis">单位&lt;一&gt;</text>`) || xml.Unmarshal([]byte(hs), new(struct{})) != nil {
		t.Errorf("horizontal chart\n%s", hs)
	}
}

// The full page offers the occupations with the chosen one selected; the
// htmx answer leaves the occupation drop-down alone.
func TestStatsPageOccupationChoices(t *testing.T) {
	e := statsWorld(t)
	c := e.login("demo-province")
	occs, err := e.w.Store.Occupations()
	if err != nil || len(occs) < 2 {
		t.Fatalf("%d occupations: %v", len(occs), err)
	}
	page := c.get("/stats?occupation=" + occs[1].Code)
	if page.status != 200 {
		t.Fatalf("status %d", page.status)
	}
	for _, want := range []string{
		`<option value="` + occs[0].Code + `">` + occs[0].Name + `</option>`,
		`<option value="` + occs[1].Code + `" selected>` + occs[1].Name + `</option>`,
		`<option value="3401">合肥市</option>`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	r := c.do(http.MethodGet, "/stats?occupation="+occs[1].Code, nil, map[string]string{"HX-Request": "true", "HX-Target": "stats-result"})
	if r.status != 200 || strings.Contains(r.body, `id="s-occupation"`) {
		t.Errorf("htmx answer %d carries the occupation drop-down", r.status)
	}
}
