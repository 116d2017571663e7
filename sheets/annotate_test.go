package sheets

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func cellFill(t testing.TB, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Fill.Color) == 0 {
		return ""
	}
	return strings.ToUpper(st.Fill.Color[0])
}

func commentsByCell(t testing.TB, f *excelize.File, sheet string) map[string]string {
	t.Helper()
	cs, err := f.GetComments(sheet)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, c := range cs {
		text := c.Text
		for _, p := range c.Paragraph {
			text += p.Text
		}
		m[c.Cell] = text
	}
	return m
}

func TestAnnotate(t *testing.T) {
	// An uploaded template with two bad rows.
	f := openBytes(t, templateBytes(t))
	_ = f.RemoveRow(SheetCandidates, 2) // the user deleted the example row
	bad1 := goodRow(1)
	bad1[1] = flipCheck(bad1[1])
	bad1[6] = "123"
	bad2 := goodRow(2)
	bad2[5] = "一级"
	for i, r := range [][]string{goodRow(0), bad1, bad2} {
		_ = f.SetSheetRow(SheetCandidates, cellName(0, i+2), &r)
	}
	buf, _ := f.WriteToBuffer()
	src := buf.Bytes()

	res, err := importBytes(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 3 {
		t.Fatalf("errors %v", res.Errors)
	}
	errs := append(res.Errors, RowError{Row: 3, Column: ColIDNumber, Cell: "B3", Message: "第二条消息"},
		RowError{Row: 4, Message: "整行的问题"})
	var out bytes.Buffer
	if err := Annotate(src, errs, &out); err != nil {
		t.Fatal(err)
	}

	a := openBytes(t, out.Bytes())
	for _, cell := range []string{"B3", "G3", "F4"} {
		if got := cellFill(t, a, SheetCandidates, cell); got != "FFC7CE" && got != "FFFFC7CE" {
			t.Errorf("%s fill %q, want red", cell, got)
		}
	}
	for _, cell := range []string{"A2", "B2", "A3", "B4"} {
		if got := cellFill(t, a, SheetCandidates, cell); got != "" {
			t.Errorf("%s fill %q, want none", cell, got)
		}
	}
	cm := commentsByCell(t, a, SheetCandidates)
	if c := cm["B3"]; !strings.Contains(c, "校验位错误") || !strings.Contains(c, "\n第二条消息") {
		t.Errorf("B3 comment %q", c)
	}
	if c := cm["F4"]; !strings.Contains(c, "不能登记") {
		t.Errorf("F4 comment %q", c)
	}
	if _, ok := cm["A1"]; !ok {
		t.Errorf("template help comments lost")
	}
	assertNamedFonts(t, out.Bytes())
	assertPageSetup(t, a, SheetCandidates, "$1:$1")
	if len(cm) != numCols+3 {
		t.Errorf("%d comments: %v", len(cm), cm)
	}
	rows, _ := a.GetRows(SheetCandidates)
	if rows[0][8] != ColErrors {
		t.Fatalf("header %q", rows[0])
	}
	if len(rows[1]) > 8 && rows[1][8] != "" {
		t.Errorf("clean row has a summary %q", rows[1][8])
	}
	if s := rows[2][8]; !strings.Contains(s, "「身份证号」校验位错误") || !strings.Contains(s, "「手机号码」") {
		t.Errorf("row 3 summary %q", s)
	}
	if s := rows[3][8]; !strings.Contains(s, "「等级」") || !strings.Contains(s, "整行的问题") {
		t.Errorf("row 4 summary %q", s)
	}

	// The user fixes row 3 in the annotated copy and uploads it again: the
	// 错误说明 column is ignored, and annotating again clears the old marks.
	_ = a.SetCellStr(SheetCandidates, "B3", goodRow(1)[1])
	_ = a.SetCellStr(SheetCandidates, "G3", "13912345678")
	buf2, _ := a.WriteToBuffer()
	src2 := buf2.Bytes()
	res2, err := importBytes(src2)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Errors) != 1 || res2.Errors[0].Cell != "F4" {
		t.Fatalf("errors after fix %v", res2.Errors)
	}
	out.Reset()
	if err := Annotate(src2, res2.Errors, &out); err != nil {
		t.Fatal(err)
	}
	a2 := openBytes(t, out.Bytes())
	if got := cellFill(t, a2, SheetCandidates, "B3"); got != "" {
		t.Errorf("fixed B3 still filled %q", got)
	}
	cm2 := commentsByCell(t, a2, SheetCandidates)
	if _, ok := cm2["B3"]; ok {
		t.Errorf("fixed B3 still commented")
	}
	if _, ok := cm2["F4"]; !ok || len(cm2) != numCols+1 {
		t.Errorf("comments %v", cm2)
	}
	rows2, _ := a2.GetRows(SheetCandidates)
	if len(rows2[2]) > 8 && rows2[2][8] != "" {
		t.Errorf("fixed row keeps summary %q", rows2[2][8])
	}
	if !strings.Contains(rows2[3][8], "「等级」") || len(rows2[0]) != 9 {
		t.Errorf("rows %q", rows2)
	}
}

func TestAnnotatePlainWorkbook(t *testing.T) {
	bad := goodRow(0)
	bad[0] = ""
	src := workbook(t, Columns(), bad)
	res, err := importBytes(src)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Annotate(src, res.Errors, &out); err != nil {
		t.Fatal(err)
	}
	a := openBytes(t, out.Bytes())
	if got := cellFill(t, a, "Sheet1", "A2"); got == "" {
		t.Error("A2 not filled")
	}
	if v, _ := a.GetCellValue("Sheet1", "I1"); v != ColErrors {
		t.Errorf("I1 = %q", v)
	}
}

func TestAnnotateRefusesNonXLSX(t *testing.T) {
	if err := Annotate([]byte("not a workbook"), nil, &bytes.Buffer{}); err == nil {
		t.Fatal("no error")
	}
}

// badWorkbook is the template filled with n rows, each with a wrong check
// digit.
func badWorkbook(t testing.TB, n int) []byte {
	t.Helper()
	f := openBytes(t, templateBytes(t))
	sw, err := f.NewStreamWriter(SheetCandidates)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]any, numCols)
	for i, h := range columns {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		for j, v := range goodRow(i) {
			row[j] = v
		}
		row[0] = hanName(i)
		row[1] = flipCheck(testID(2*i + 1))
		if err := sw.SetRow(cellName(0, i+2), row); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkAnnotate5000 annotates a 5,000-row upload with an error in every
// row (target: under 2 s); Again annotates that annotated copy once more,
// replacing its 5,000 marks.
func BenchmarkAnnotate5000(b *testing.B) {
	src := badWorkbook(b, MaxRows)
	res, err := importBytes(src)
	if err != nil || len(res.Errors) != MaxRows {
		b.Fatalf("%v: %d errors", err, len(res.Errors))
	}
	var first bytes.Buffer
	if err := Annotate(src, res.Errors, &first); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		src  []byte
	}{{"Fresh", src}, {"Again", first.Bytes()}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var out bytes.Buffer
				if err := Annotate(bc.src, res.Errors, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func fontOf(t testing.TB, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, _ := f.GetCellStyle(sheet, cell)
	st, err := f.GetStyle(id)
	if err != nil || st.Font == nil {
		t.Fatalf("%s style %v %v", cell, st, err)
	}
	return st.Font.Family
}

// TestAnnotateTitleRowsAndOrder: a unit's own list (title above the header,
// columns in its own order, a comment of its own) is marked where the
// import found the errors; 错误说明 follows the header's last column, its
// rows are tall enough for their text, the header repeats when printed;
// annotating the corrected copy again clears what was fixed.
func TestAnnotateTitleRowsAndOrder(t *testing.T) {
	f := excelize.NewFile()
	const sh = "Sheet1"
	setRow(t, f, sh, "A1", "2026 年第一期合格人员名单")
	_ = f.MergeCell(sh, "A1", "F1")
	setRow(t, f, sh, "A3", "序号", ColIDNumber, ColName, ColOccupation, ColLevel, ColWorkUnit)
	for i := 0; i < 3; i++ {
		g := goodRow(i)
		setRow(t, f, sh, cellName(0, i+4), "1", g[1], g[0], g[4], g[5], g[3])
	}
	_ = f.SetCellStr(sh, "B5", flipCheck(goodRow(1)[1]))
	_ = f.SetCellStr(sh, "C6", "=1+2")
	_ = f.AddComment(sh, excelize.Comment{Cell: "A4", Author: "张老师", Text: "第一位学员"})
	_ = f.AddComment(sh, excelize.Comment{Cell: "B5", Author: "张老师", Text: "籍贯待定"})
	buf, _ := f.WriteToBuffer()
	src := buf.Bytes()

	res, err := importBytes(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 2 || res.Errors[0].Cell != "B5" || res.Errors[1].Cell != "C6" {
		t.Fatalf("errors %v", res.Errors)
	}
	long := "=" + strings.Repeat("这一行的说明很长", 15) // 121 characters, formula-like
	errs := append([]RowError{{Row: 4, Message: long}}, res.Errors...)
	var out bytes.Buffer
	if err := Annotate(src, errs, &out); err != nil {
		t.Fatal(err)
	}
	a := openBytes(t, out.Bytes())
	for cell, red := range map[string]bool{"B5": true, "C6": true, "B4": false, "C5": false, "B3": false} {
		if got := cellFill(t, a, sh, cell) != ""; got != red {
			t.Errorf("%s red=%v, want %v", cell, got, red)
		}
	}
	cm := commentsByCell(t, a, sh)
	if len(cm) != 3 || cm["A4"] != "第一位学员" || !strings.Contains(cm["B5"], "校验位错误") || strings.Contains(cm["B5"], "籍贯待定") || !strings.Contains(cm["C6"], "「=」") {
		t.Errorf("comments %v", cm)
	}
	rows, _ := a.GetRows(sh)
	if rows[2][6] != ColErrors || rows[3][6] != long || !strings.HasPrefix(rows[4][6], "「身份证号」校验位错误") || !strings.HasPrefix(rows[5][6], "「姓名」") {
		t.Fatalf("error column %q", rows)
	}
	if h, _ := a.GetRowHeight(sh, 4); h < minHeight(linesOf(long, errorsWidth)) {
		t.Errorf("row 4: %v pt for %d lines", h, linesOf(long, errorsWidth))
	}
	if w, _ := a.GetColWidth(sh, "G"); w != errorsWidth {
		t.Errorf("错误说明 width %v", w)
	}
	if !quotePrefixed(t, a, sh, "G4") || quotePrefixed(t, a, sh, "G5") {
		t.Error("summary quote prefix")
	}
	if got := fontOf(t, a, sh, "G3"); got != FontName {
		t.Errorf("错误说明 font %q", got)
	}
	assertPageSetup(t, a, sh, "$3:$3")
	assertNoFormulas(t, out.Bytes())

	// Fix B5 in the annotated copy and annotate again.
	_ = a.SetCellStr(sh, "B5", goodRow(1)[1])
	buf2, _ := a.WriteToBuffer()
	res2, err := importBytes(buf2.Bytes())
	if err != nil || len(res2.Errors) != 1 || res2.Errors[0].Cell != "C6" {
		t.Fatalf("after the fix: %v %v", err, res2.Errors)
	}
	out.Reset()
	if err := Annotate(buf2.Bytes(), res2.Errors, &out); err != nil {
		t.Fatal(err)
	}
	a2 := openBytes(t, out.Bytes())
	cm2 := commentsByCell(t, a2, sh)
	if len(cm2) != 2 || cm2["A4"] != "第一位学员" || cm2["C6"] == "" {
		t.Errorf("comments after the fix %v", cm2)
	}
	if cellFill(t, a2, sh, "B5") != "" {
		t.Error("B5 still red")
	}
	rows2, _ := a2.GetRows(sh)
	if len(rows2[2]) != 7 || rows2[2][6] != ColErrors || len(rows2[3]) > 6 && rows2[3][6] != "" || len(rows2[4]) > 6 && rows2[4][6] != "" || !strings.HasPrefix(rows2[5][6], "「姓名」") {
		t.Errorf("error column after the fix %q", rows2)
	}
}
