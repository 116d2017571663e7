package handlers

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/sheets"
	"certreg/store"
)

// statsExport sends the current view of 统计分析 as .xlsx: its tables with
// a title row naming the filters and the date of export, figures as
// numbers, and the view's chart as a native Excel chart on its own sheet.
// Bad filters answer the page with its errors (422).
func (s *Server) statsExport(c *fiber.Ctx) error {
	w := whoOf(c)
	f := parseStatsForm(func(k string) string { return c.Query(k) })
	rep, errs, err := s.statsReport(c, f)
	if err != nil {
		return err
	}
	if errs != nil {
		return s.renderStats(c, f)
	}
	occs, err := s.st.StatsOccupations()
	if err != nil {
		return err
	}
	now := s.now().In(cst)
	measureHeader := func(first ...string) []string {
		out := append([]string(nil), first...)
		for _, m := range statsMeasures {
			out = append(out, m.Label)
		}
		return out
	}
	figures := func(x store.StatsFigures) []int64 { return []int64{x.Issued, x.Valid, x.Cancelled, x.Superseded} }
	scope := statsScopeWords(w.org, rep)
	var what string
	book := sheets.StatsBook{}
	var notes []string
	for _, m := range statsMeasures {
		notes = append(notes, m.Label+"："+m.Hint)
	}
	book.Note = "统计口径（均按证书的发证日期统计）：" + strings.Join(notes, "；") + "。"
	province := w.org.Type == store.Province
	cityTable := func() sheets.StatsTable {
		t := sheets.StatsTable{Sheet: "各地市统计", Header: measureHeader("地市"), Text: 1}
		for _, ct := range rep.Cities {
			t.Rows = append(t.Rows, sheets.StatsRow{Text: []string{ct.Name}, Values: figures(ct.StatsFigures)})
		}
		t.Total = &sheets.StatsRow{Text: []string{"合计"}, Values: figures(rep.Total)}
		return t
	}
	switch store.StatsView(f.View) {
	case store.StatsByTrade:
		m := statsMeasureIndex(f.Measure)
		what = "职业（工种）× 等级 · " + statsMeasures[m].Label
		cross := crossView(rep.Cross, m)
		t := sheets.StatsTable{Sheet: "职业等级统计", Header: []string{"职业（工种）", "代码"}, Text: 2}
		for _, l := range cross.Levels {
			t.Header = append(t.Header, l.Name)
		}
		t.Header = append(t.Header, "合计")
		for _, r := range cross.Rows {
			t.Rows = append(t.Rows, sheets.StatsRow{Text: []string{r.Name, r.Code}, Values: append(append([]int64(nil), r.Cells...), r.Total)})
		}
		t.Total = &sheets.StatsRow{Text: []string{"合计", ""}, Values: append(append([]int64(nil), cross.Columns...), cross.Total)}
		book.Tables = append(book.Tables, t)
		series := make([]int, len(cross.Levels))
		for i := range series {
			series[i] = i
		}
		book.Chart = &sheets.StatsChart{Sheet: "图表", Title: "各职业（工种）" + statsMeasures[m].Label + "（按等级）", Series: series, Stacked: true}
	case store.StatsByMonth:
		what = "月度趋势"
		t := sheets.StatsTable{Sheet: "月度统计", Header: measureHeader("月份"), Text: 1}
		for _, mo := range rep.Trend {
			t.Rows = append(t.Rows, sheets.StatsRow{Text: []string{mo.Month.Format("2006-01")}, Values: figures(mo.StatsFigures)})
		}
		t.Total = &sheets.StatsRow{Text: []string{"合计"}, Values: figures(rep.Total)}
		book.Tables = append(book.Tables, t)
		book.Chart = &sheets.StatsChart{Sheet: "图表", Title: "每月发证数", Series: []int{0}}
	default:
		if province && f.Region == "" {
			what = "各地市发证统计"
			book.Tables = append(book.Tables, cityTable())
			book.Chart = &sheets.StatsChart{Sheet: "图表", Title: "各地市发证数", Series: []int{0}}
			break
		}
		what = "培训机构发证统计"
		if province {
			what = rep.RegionName + " · " + what
		}
		t := sheets.StatsTable{Sheet: "培训机构统计", Header: measureHeader("培训机构", "机构代码"), Text: 2}
		for _, r := range rep.Orgs {
			t.Rows = append(t.Rows, sheets.StatsRow{Text: []string{r.Org.Name, r.Org.Code}, Values: figures(r.StatsFigures)})
		}
		t.Total = &sheets.StatsRow{Text: []string{"合计", ""}, Values: figures(rep.OrgTotal)}
		book.Tables = append(book.Tables, t)
		if province {
			// The page's chart: every city.
			book.Tables = append(book.Tables, cityTable())
			book.Chart = &sheets.StatsChart{Sheet: "图表", Title: "各地市发证数", Table: 1, Series: []int{0}}
		} else {
			book.Chart = &sheets.StatsChart{Sheet: "图表", Title: "各单位发证数", Series: []int{0}}
		}
	}
	book.Title = "统计分析 · " + what + "（" + scope + "）  " + statsFilterWords(f, occs, province) + "  导出时间：" + now.Format("2006-01-02 15:04")
	var buf bytes.Buffer
	if err := sheets.WriteStats(&buf, book); err != nil {
		return err
	}
	stamp := now.Format("20060102-1504")
	return sendDownload(c, buf.Bytes(), mimeXLSX, fileName{"统计分析-" + stamp + ".xlsx", "statistics-" + stamp + ".xlsx"}, true)
}
