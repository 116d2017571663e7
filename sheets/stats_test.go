package sheets

import (
	"bytes"
	"strings"
	"testing"
)

// A statistics workbook: the title row on every table sheet, labels as
// inert text (an organisation name that looks like a formula stays text),
// figures as numbers, the total row, the definitions under the table, the
// package's fonts and page setup, and a native column chart on its own
// chart sheet drawn from the chosen table's rows.
func TestWriteStats(t *testing.T) {
	book := StatsBook{
		Title: "统计分析 · 培训机构发证统计  导出时间：2026-11-28 10:00",
		Note:  "统计口径：发证数……",
		Tables: []StatsTable{
			{Sheet: "培训机构统计", Header: []string{"培训机构", "机构代码", "发证数", "当前有效", "已注销", "已补办"}, Text: 2,
				Rows: []StatsRow{
					{Text: []string{"合肥建工职业技能培训学校", "34010002"}, Values: []int64{120, 117, 2, 1}},
					{Text: []string{"=HYPERLINK(\"http://x\")", "34010003"}, Values: []int64{3, 3, 0, 0}},
				},
				Total: &StatsRow{Text: []string{"合计", ""}, Values: []int64{123, 120, 2, 1}}},
			{Sheet: "各地市统计", Header: []string{"地市", "发证数", "当前有效", "已注销", "已补办"}, Text: 1,
				Rows: []StatsRow{{Text: []string{"合肥市"}, Values: []int64{123, 120, 2, 1}}, {Text: []string{"省直属"}, Values: []int64{5, 5, 0, 0}}}},
		},
		Chart: &StatsChart{Sheet: "图表", Title: "各地市发证数", Table: 1, Series: []int{0}},
	}
	var buf bytes.Buffer
	if err := WriteStats(&buf, book); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	f := openBytes(t, raw)
	if got := f.GetSheetList(); strings.Join(got, ",") != "培训机构统计,各地市统计,图表" {
		t.Fatalf("sheets %v", got)
	}
	sh := "培训机构统计"
	rows, _ := f.GetRows(sh)
	if rows[0][0] != book.Title || rows[1][2] != "发证数" || rows[2][0] != "合肥建工职业技能培训学校" || rows[2][2] != "120" ||
		rows[3][0] != `=HYPERLINK("http://x")` || rows[4][0] != "合计" || rows[4][2] != "123" || !strings.HasPrefix(rows[6][0], "统计口径") {
		t.Fatalf("rows %q", rows)
	}
	for _, cell := range []string{"C3", "D3", "F3", "C5"} {
		if !isNumberCell(t, f, sh, cell) {
			t.Errorf("%s is not a number", cell)
		}
	}
	if fmtCode := numFmtOf(t, f, sh, "B3"); fmtCode != "@" {
		t.Errorf("code format %q, want text", fmtCode)
	}
	if !quotePrefixed(t, f, sh, "A4") || quotePrefixed(t, f, sh, "A3") {
		t.Error("formula-like name not quote-prefixed, or a plain one is")
	}
	assertInert(t, raw)
	assertNamedFonts(t, raw)
	assertPageSetup(t, f, sh, "$1:$2")
	chart := strings.ReplaceAll(string(zipParts(t, raw)["xl/charts/chart1.xml"]), "&#39;", "'")
	for _, want := range []string{"<barChart>", `<barDir val="col">`, "'各地市统计'!$A$3:$A$4", "'各地市统计'!$B$3:$B$4", "各地市发证数"} {
		if !strings.Contains(chart, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if _, ok := zipParts(t, raw)["xl/chartsheets/sheet3.xml"]; !ok {
		t.Error("no chart sheet")
	}
}
