package handlers

import (
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/data"
	"certreg/store"
)

// 统计分析 (/stats): the province over the whole province, a dept over its
// units. Three views share the filters (issue-date range, occupation,
// level, organisation type): per city and training organisation (a chart
// of the cities; choosing a city by its bar or the select shows its
// organisations), occupation × level, and the monthly trend. Filters, tabs
// and bars update #stats-result with htmx and push a shareable URL; every
// figure comes from the store's counters.

// statsForm is the query as typed, kept for re-rendering and links.
type statsForm struct {
	View, From, To, Occupation, Level, Type, Region, Org, Measure string
}

func parseStatsForm(get func(string) string) statsForm {
	f := statsForm{View: get("view"), From: get("from"), To: get("to"), Occupation: get("occupation"), Level: get("level"),
		Type: get("type"), Region: get("region"), Org: get("org"), Measure: get("measure")}
	for _, p := range []*string{&f.View, &f.From, &f.To, &f.Occupation, &f.Level, &f.Type, &f.Region, &f.Org, &f.Measure} {
		*p = strings.TrimSpace(*p)
		if len(*p) > 20 {
			*p = (*p)[:20]
		}
	}
	switch store.StatsView(f.View) {
	case store.StatsByTrade, store.StatsByMonth:
	default:
		f.View = string(store.StatsByOrg)
	}
	if statsMeasureIndex(f.Measure) < 0 {
		f.Measure = statsMeasures[0].Key
	}
	return f
}

// values is the form as URL parameters, without defaults.
func (f statsForm) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"from": f.From, "to": f.To, "occupation": f.Occupation, "level": f.Level,
		"type": f.Type, "region": f.Region, "org": f.Org} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if f.View != string(store.StatsByOrg) {
		v.Set("view", f.View)
	}
	if f.Measure != statsMeasures[0].Key && f.View == string(store.StatsByTrade) {
		v.Set("measure", f.Measure)
	}
	return v
}

// Link is the page for the form with some parameters changed ("" removes).
func (f statsForm) Link(path string, set ...string) string {
	v := f.values()
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			v.Del(set[i])
		} else {
			v.Set(set[i], set[i+1])
		}
	}
	if q := v.Encode(); q != "" {
		return path + "?" + q
	}
	return path
}

// query turns the form into a store query; bad values are field errors.
func (f statsForm) query() (store.StatsQuery, map[string]string) {
	q := store.StatsQuery{View: store.StatsView(f.View), Region: f.Region}
	q.Occupation = f.Occupation
	q.OrgType = store.OrgType(f.Type)
	errs := map[string]string{}
	if f.Level != "" {
		n, err := strconv.Atoi(f.Level)
		if err != nil || n < 1 || n > 5 {
			errs["level"] = "等级无效"
		}
		q.Level = n
	}
	if f.Org != "" {
		if q.OrgID = parseUint(f.Org); q.OrgID == 0 {
			errs["org"] = "机构无效"
		}
	}
	q.From, q.To = dateRange(f.From, f.To, errs)
	if len(errs) > 0 {
		return q, errs
	}
	return q, nil
}

// statsMeasure is one of the four figures.
type statsMeasure struct {
	Key, Label, Hint string
}

var statsMeasures = []statsMeasure{
	{"issued", "发证数", "批次审核通过注册的证书（补办不重复计数）"},
	{"valid", "当前有效", "目前有效的证书，含补办后的新证"},
	{"cancelled", "已注销", "目前已注销的证书"},
	{"superseded", "已补办", "已被补办替换的原证书"},
}

func statsMeasureIndex(key string) int {
	for i, m := range statsMeasures {
		if m.Key == key {
			return i
		}
	}
	return -1
}

// figure picks one measure.
func figure(f store.StatsFigures, i int) int64 {
	return [...]int64{f.Issued, f.Valid, f.Cancelled, f.Superseded}[i]
}

type statsTab struct {
	Label, URL string
	Active     bool
}

type statsPreset struct {
	Label, From, To string
}

// statsCrossView is the occupation × level table in one measure.
type statsCrossView struct {
	Levels  []data.Level
	Rows    []statsCrossRow
	Columns []int64
	Total   int64
}

type statsCrossRow struct {
	Code, Name string
	Cells      []int64
	Total      int64
}

type statsData struct {
	Form     statsForm
	Rep      store.StatsReport
	Province bool
	Levels   []data.Level
	Measures []statsMeasure
	// MeasureHeads and Note: the measures as table headings and in words.
	MeasureHeads, Note template.HTML
	Measure            statsMeasure
	Tabs               []statsTab
	Presets            []statsPreset
	Chart              statsChart
	Cross              statsCrossView
	ExportURL          string
	Filters            string // the filters in words
	Scope              string // what the figures cover, in words
	Error              string
	Errors             map[string]string
	OOB                bool // an htmx answer: update the form's state fields too
	Empty              bool
	// OrgLink is the trade view of one organisation, minus its id.
	OrgLink string
	// Rows: the body of the view's table; RegionOptions and
	// OccupationOptions: the drop-downs' choices (stats_html.go).
	Rows                             template.HTML
	RegionOptions, OccupationOptions template.HTML
}

func (s *Server) stats(c *fiber.Ctx) error {
	return s.renderStats(c, parseStatsForm(func(k string) string { return c.Query(k) }))
}

// statsReport answers the form for the caller, with field errors for bad
// input.
func (s *Server) statsReport(c *fiber.Ctx, f statsForm) (store.StatsReport, map[string]string, error) {
	q, errs := f.query()
	if errs != nil {
		return store.StatsReport{Query: q}, errs, nil
	}
	rep, err := s.st.Stats(whoOf(c).actor(c.IP()), q)
	if errs, ierr := inputErrors(err); err != nil && ierr == nil {
		if len(errs) > 1 {
			delete(errs, "") // the page names the field's own message
		}
		return store.StatsReport{Query: q}, errs, nil
	}
	return rep, nil, err
}

func (s *Server) renderStats(c *fiber.Ctx, f statsForm) error {
	w := whoOf(c)
	rep, errs, err := s.statsReport(c, f)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	d := statsData{Form: f, Rep: rep, Province: w.org.Type == store.Province, Levels: data.Levels(), Measures: statsMeasures,
		MeasureHeads: statsMeasureHeads, Note: statsNote, Measure: statsMeasures[statsMeasureIndex(f.Measure)], Errors: errs}
	if errs != nil {
		status = fiber.StatusUnprocessableEntity
		d.Error = "请修正统计条件：" + firstValue(errs)
	}
	if d.Province {
		cities := store.StatsCities(w.org)
		values, labels := make([]string, len(cities)), make([]string, len(cities))
		for i, c := range cities {
			values[i], labels[i] = c.Region, c.Name
		}
		d.RegionOptions = options(values, labels, f.Region)
	}
	occs, err := s.st.StatsOccupations()
	if err != nil {
		return err
	}
	fragment := isHTMX(c) && c.Get("HX-Target") == "stats-result"
	if !fragment { // the fragment has no occupation drop-down
		values, labels := make([]string, len(occs)), make([]string, len(occs))
		for i, o := range occs {
			values[i], labels[i] = o.Code, o.Name
		}
		d.OccupationOptions = options(values, labels, f.Occupation)
	}
	links := newStatsLinks(f)
	d.ExportURL = links.link("/stats/export")
	d.OrgLink = links.link("/stats", "view", string(store.StatsByTrade), "region", "", "org", "")
	for _, t := range []struct {
		label string
		view  store.StatsView
	}{{"按地市与机构", store.StatsByOrg}, {"按职业（工种）与等级", store.StatsByTrade}, {"月度趋势", store.StatsByMonth}} {
		label := t.label
		if t.view == store.StatsByOrg && !d.Province {
			label = "按单位"
		}
		u := links.link("/stats", "view", string(t.view))
		if t.view == store.StatsByOrg {
			u = links.link("/stats", "view", "", "org", "")
		}
		d.Tabs = append(d.Tabs, statsTab{Label: label, URL: u, Active: f.View == string(t.view)})
	}
	d.Presets = statsPresets(s.now())
	d.Filters = statsFilterWords(f, occs, d.Province)
	d.Scope = statsScopeWords(w.org, rep)
	if errs == nil {
		switch store.StatsView(f.View) {
		case store.StatsByTrade:
			d.Cross = crossView(rep.Cross, statsMeasureIndex(f.Measure))
			d.Rows = crossRows(d.Cross.Rows)
			d.Empty = len(d.Cross.Rows) == 0
		case store.StatsByMonth:
			d.Chart = monthStatsChart(rep.Trend)
			d.Rows = monthRows(rep.Trend)
			d.Empty = rep.Total.Zero()
		default:
			if d.Province {
				d.Chart = cityStatsChart(rep.Cities, f.Region, links)
			} else {
				d.Chart = orgStatsChart(rep.Orgs)
			}
			if d.Province && rep.Query.Region == "" {
				d.Rows = cityRows(rep.Cities, links)
			} else {
				d.Rows = orgRows(rep.Orgs, d.OrgLink)
			}
			d.Empty = rep.Total.Zero()
		}
	}
	if fragment {
		c.Set("HX-Push-Url", f.Link("/stats"))
		d.OOB = true
		return s.fragment(c, status, tplStatsResult, d)
	}
	return s.render(c, status, tplStats, "统计分析", d, errs)
}

func crossView(x store.StatsCross, m int) statsCrossView {
	v := statsCrossView{Levels: x.Levels, Total: figure(x.Total, m)}
	for _, col := range x.Columns {
		v.Columns = append(v.Columns, figure(col, m))
	}
	for _, r := range x.Rows {
		row := statsCrossRow{Code: r.Code, Name: r.Name, Total: figure(r.Total, m)}
		for _, cell := range r.Cells {
			row.Cells = append(row.Cells, figure(cell, m))
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// statsPresets are the usual reporting periods up to today.
func statsPresets(now time.Time) []statsPreset {
	t := now.In(cst)
	y, m, _ := t.Date()
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	today := day(t)
	q0 := time.Date(y, time.Month((int(m)-1)/3*3+1), 1, 0, 0, 0, 0, cst)
	return []statsPreset{
		{"本月", day(time.Date(y, m, 1, 0, 0, 0, 0, cst)), today},
		{"本季度", day(q0), today},
		{"上季度", day(q0.AddDate(0, -3, 0)), day(q0.AddDate(0, 0, -1))},
		{"本年", fmt.Sprintf("%d-01-01", y), today},
		{"上一年", fmt.Sprintf("%d-01-01", y-1), fmt.Sprintf("%d-12-31", y-1)},
		{"全部", "", ""},
	}
}

// statsFilterWords names the filters, for the page and the workbook title
// (the organisation type only for the province: a dept holds units only).
func statsFilterWords(f statsForm, occs []store.Occupation, province bool) string {
	var parts []string
	switch {
	case f.From != "" && f.To != "":
		parts = append(parts, "发证日期 "+f.From+" 至 "+f.To)
	case f.From != "":
		parts = append(parts, "发证日期 "+f.From+" 起")
	case f.To != "":
		parts = append(parts, "发证日期截至 "+f.To)
	default:
		parts = append(parts, "发证日期：全部")
	}
	occ := "全部"
	for _, o := range occs {
		if o.Code == f.Occupation {
			occ = o.Name
		}
	}
	parts = append(parts, "职业（工种）："+occ)
	level := "全部"
	if n, err := strconv.Atoi(f.Level); err == nil && data.LevelName(n) != "" {
		level = data.LevelName(n)
	}
	parts = append(parts, "等级："+level)
	if !province {
		return strings.Join(parts, "；")
	}
	typ := "全部"
	switch store.OrgType(f.Type) {
	case store.Unit, store.Direct:
		typ = store.OrgType(f.Type).Label()
	}
	return strings.Join(append(parts, "机构类型："+typ), "；")
}

// statsScopeWords says whose certificates a view counts.
func statsScopeWords(own store.Org, rep store.StatsReport) string {
	switch {
	case rep.Focus.ID != 0:
		return rep.Focus.Display()
	case rep.RegionName != "" && rep.Query.View != store.StatsByOrg:
		return rep.RegionName
	case own.Type == store.Province:
		return "全省"
	}
	return own.Name + " 所辖单位"
}
