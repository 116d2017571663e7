package sheets

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestNeutralizeCell(t *testing.T) {
	tests := []struct {
		in, want string
		formula  bool
	}{
		{"=1+2", "=1+2", true},
		{"-张三", "-张三", true},
		{"@王五", "@王五", true},
		{"+86 合肥公司", "+86 合肥公司", true},
		{"＠王五", "＠王五", true},
		{"张三", "张三", false},
		{"控制\x01字符", "控制字符", false},
		{"\x01=1", "=1", true},
		{"", "", false},
	}
	for _, tc := range tests {
		v, f := neutralize(tc.in)
		if v != tc.want || f != tc.formula {
			t.Errorf("neutralize(%q) = %q, %v; want %q, %v", tc.in, v, f, tc.want, tc.formula)
		}
	}
	long, _ := neutralize(strings.Repeat("长", 40000))
	if n := len([]rune(long)); n != maxCellRunes+1 {
		t.Errorf("long value kept %d characters", n)
	}
}

var exportColumns = []Column{
	{"证书编号", Text}, {"姓名", Text}, {"身份证号", Text}, {"工作单位", Text},
	{"发证日期", Date}, {"打印次数", Number}, {"版本", Number},
}

func TestExport(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	rows := [][]any{
		{"00340101250001", "张三", "342102********0029", "=HYPERLINK(\"http://x\",\"点我\")", time.Date(2020, 5, 1, 0, 30, 0, 0, cst), 3, 1},
		{"26340101250002", "+李四", "-1", "@x", time.Date(2026, 11, 28, 23, 59, 0, 0, cst), 0, int64(2)},
		{"26340101250003", "王五", "110101********001X", "控制\x01字符", time.Time{}, nil, 1.5},
		{"短行"},
	}
	var buf bytes.Buffer
	if err := Export(&buf, Table{Sheet: "证书/列表", Columns: exportColumns, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	f := openBytes(t, raw)
	const sh = "证书_列表"
	if got := f.GetSheetList(); len(got) != 1 || got[0] != sh {
		t.Fatalf("sheets %q", got)
	}
	got, err := f.GetRows(sh)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"证书编号", "姓名", "身份证号", "工作单位", "发证日期", "打印次数", "版本"},
		{"00340101250001", "张三", "342102********0029", "=HYPERLINK(\"http://x\",\"点我\")", "2020年5月1日", "3", "1"},
		{"26340101250002", "+李四", "-1", "@x", "2026年11月28日", "0", "2"},
		{"26340101250003", "王五", "110101********001X", "控制字符", "", "", "1.5"},
		{"短行"},
	}
	if len(got) != len(want) {
		t.Fatalf("rows %q", got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i+1, got[i], want[i])
		}
	}
	// Cell types: identifiers are text, counts numbers, dates numbers in
	// the Chinese date format.
	for _, cell := range []string{"A2", "C2", "D2"} {
		if got, _ := f.GetCellType(sh, cell); got != excelize.CellTypeInlineString {
			t.Errorf("%s type %v, want text", cell, got)
		}
	}
	for _, cell := range []string{"E2", "F2", "G4"} {
		if !isNumberCell(t, f, sh, cell) {
			t.Errorf("%s is not a number", cell)
		}
	}
	if v, _ := f.GetCellValue(sh, "E2", excelize.Options{RawCellValue: true}); v != "43952" {
		t.Errorf("E2 raw %q, want the serial of 2020-05-01 (43952)", v)
	}
	if fmtCode := numFmtOf(t, f, sh, "E3"); fmtCode != DateFormat {
		t.Errorf("date format %q", fmtCode)
	}
	if fmtCode := numFmtOf(t, f, sh, "A2"); fmtCode != "@" {
		t.Errorf("identifier format %q, want text", fmtCode)
	}
	// Formula-like values: inert, without an apostrophe, quote-prefixed.
	for _, cell := range []string{"D2", "B3", "C3", "D3"} {
		if !quotePrefixed(t, f, sh, cell) {
			t.Errorf("%s not quote-prefixed", cell)
		}
	}
	for _, cell := range []string{"A2", "B2", "D4"} {
		if quotePrefixed(t, f, sh, cell) {
			t.Errorf("%s quote-prefixed", cell)
		}
	}
	assertInert(t, raw)
	assertNamedFonts(t, raw)
	assertPageSetup(t, f, sh, "$1:$1")
	id, _ := f.GetCellStyle(sh, "A1")
	st, _ := f.GetStyle(id)
	if st.Font == nil || !st.Font.Bold {
		t.Error("header not bold")
	}
	if w, _ := f.GetColWidth(sh, "C"); w < 18 || w > 60 {
		t.Errorf("column C width %v", w)
	}
}

func TestExportTitle(t *testing.T) {
	var buf bytes.Buffer
	tbl := Table{Sheet: "统计", Title: "=证书统计 2026年1月1日—2026年3月31日", Columns: exportColumns[:2], Rows: [][]any{{"1", "张三"}}}
	if err := Export(&buf, tbl); err != nil {
		t.Fatal(err)
	}
	f := openBytes(t, buf.Bytes())
	rows, _ := f.GetRows("统计")
	if len(rows) != 3 || rows[0][0] != tbl.Title || rows[1][0] != "证书编号" || rows[2][1] != "张三" {
		t.Fatalf("rows %q", rows)
	}
	if !quotePrefixed(t, f, "统计", "A1") {
		t.Error("title not quote-prefixed")
	}
	if m, _ := f.GetMergeCells("统计"); len(m) != 1 || m[0].GetStartAxis() != "A1" || m[0].GetEndAxis() != "B1" {
		t.Errorf("merged %v", m)
	}
	assertPageSetup(t, f, "统计", "$2:$2")
	assertInert(t, buf.Bytes())
}

func TestExportRefusesWrongKinds(t *testing.T) {
	for _, row := range [][]any{{1}, {"x", "y", "z", "w", "2020-01-01"}, {"x", "y", "z", "w", nil, "3"}, {"1", "2", "3", "4", nil, nil, 1, "extra"}} {
		if err := Export(&bytes.Buffer{}, Table{Columns: exportColumns, Rows: [][]any{row}}); err == nil {
			t.Errorf("row %v accepted", row)
		}
	}
}

func TestExportEmptyAndLarge(t *testing.T) {
	var buf bytes.Buffer
	if err := Export(&buf, Table{}); err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, 20000)
	for i := range rows {
		rows[i] = []any{"张三", "342102********0029", strings.Repeat("x", 40000)[:i%50]}
	}
	buf.Reset()
	if err := Export(&buf, Table{Sheet: "名单", Columns: []Column{{"姓名", Text}, {"身份证号", Text}, {"备注", Text}}, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	long := [][]any{{strings.Repeat("长", 40000)}}
	if err := Export(&bytes.Buffer{}, Table{Sheet: "长", Columns: []Column{{"x", Text}}, Rows: long}); err != nil {
		t.Fatal(err)
	}
}
