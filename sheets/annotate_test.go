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
