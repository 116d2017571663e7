package sheets

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"certreg/candidate"
)

func openBytes(t testing.TB, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestTemplate(t *testing.T) {
	scope := Scope{Occupations: []candidate.Occupation{
		{Code: "001", Name: "砌筑工", Levels: []int{4, 5}},
		{Code: "012", Name: "电工", Levels: []int{5}},
		{Code: "020", Name: "防水工", Levels: nil},
	}}
	var buf bytes.Buffer
	if err := Template(&buf, "合肥市建设职业技能鉴定站", scope); err != nil {
		t.Fatal(err)
	}
	f := openBytes(t, buf.Bytes())

	if got := strings.Join(f.GetSheetList(), ","); got != "合格人员,填写说明,职业列表" {
		t.Fatalf("sheets %s", got)
	}
	for sheet, want := range map[string]bool{SheetCandidates: true, SheetInstructions: true, SheetOccupations: false} {
		if v, _ := f.GetSheetVisible(sheet); v != want {
			t.Errorf("sheet %s visible=%v", sheet, v)
		}
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet %d", f.GetActiveSheetIndex())
	}

	rows, err := f.GetRows(SheetCandidates)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || strings.Join(rows[0], ",") != strings.Join(Columns(), ",") {
		t.Fatalf("rows %q", rows)
	}
	ex := rows[1]
	if ex[7] != ExampleRemark || ex[4] != "砌筑工" || ex[5] != "五级/初级工" || ex[2] != "男" {
		t.Fatalf("example row %q", ex)
	}
	if _, errs := candidate.CheckRaw(Raw{Name: ex[0], IDNumber: ex[1], Gender: ex[2], WorkUnit: ex[3], Occupation: ex[4], Level: ex[5], Phone: ex[6]}, scope); errs != nil {
		t.Fatalf("example row does not pass the rules: %v", errs)
	}

	// Header: bold and filled; comments explain each column.
	st, _ := f.GetCellStyle(SheetCandidates, "B1")
	style, _ := f.GetStyle(st)
	if style.Font == nil || !style.Font.Bold || len(style.Fill.Color) == 0 {
		t.Errorf("header style %+v", style)
	}
	comments, _ := f.GetComments(SheetCandidates)
	if len(comments) != numCols {
		t.Fatalf("%d comments", len(comments))
	}
	for _, c := range comments {
		if !strings.HasSuffix(c.Cell, "1") || c.Author != author {
			t.Errorf("comment %+v", c)
		}
	}

	// ID and phone columns are text.
	for _, col := range []string{"B", "G"} {
		id, err := f.GetColStyle(SheetCandidates, col)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.GetStyle(id)
		if st.NumFmt != 49 {
			t.Errorf("column %s number format %d, want 49 (@)", col, st.NumFmt)
		}
	}
	if w, _ := f.GetColWidth(SheetCandidates, "B"); w < 18 {
		t.Errorf("column B width %v", w)
	}

	// Drop-downs.
	dvs, err := f.GetDataValidations(SheetCandidates)
	if err != nil {
		t.Fatal(err)
	}
	bySqref := map[string]string{}
	for _, dv := range dvs {
		if dv.Type != "list" {
			t.Errorf("validation %s type %s", dv.Sqref, dv.Type)
		}
		bySqref[dv.Sqref] = dv.Formula1
	}
	if got := bySqref["E2:E5001"]; got != "'职业列表'!$A$2:$A$4" {
		t.Errorf("occupation validation %q", got)
	}
	if got := bySqref["F2:F5001"]; got != `"五级/初级工,四级/中级工"` {
		t.Errorf("level validation %q", got)
	}
	if got := bySqref["C2:C5001"]; got != `"男,女"` {
		t.Errorf("gender validation %q", got)
	}
	list, _ := f.GetRows(SheetOccupations)
	var names []string
	for _, r := range list[1:] {
		names = append(names, r[0])
	}
	if strings.Join(names, ",") != "砌筑工,电工,防水工" {
		t.Errorf("occupation list %q", names)
	}

	help, _ := f.GetRows(SheetInstructions)
	if len(help) < 10 || help[0][0] != "合肥市建设职业技能鉴定站 合格人员名单导入模板 填写说明" {
		t.Errorf("instructions %q", help)
	}
	for _, r := range help {
		for _, v := range r {
			if strings.Contains(v, "候选人") {
				t.Errorf("instructions say 候选人: %q", v)
			}
		}
	}
	for cell, text := range commentsByCell(t, f, SheetCandidates) {
		if strings.Contains(text, "候选人") || text == "" {
			t.Errorf("comment %s: %q", cell, text)
		}
	}
	for _, c := range comments {
		for _, r := range c.Paragraph {
			if r.Font == nil || r.Font.Family != FontName {
				t.Errorf("comment %s font %+v", c.Cell, r.Font)
			}
		}
	}

	// Printing: every sheet on A4 landscape, one page wide, the header
	// repeated; the title row tall enough for its 14-point text; every
	// wrapped instruction as tall as its lines; named fonts only.
	assertPageSetup(t, f, SheetCandidates, "$1:$1")
	assertPageSetup(t, f, SheetInstructions, "")
	assertPageSetup(t, f, SheetOccupations, "$1:$1")
	if h, _ := f.GetRowHeight(SheetInstructions, 1); h < 14*1.3 {
		t.Errorf("title row %v pt for 14-point text", h)
	}
	merged, _ := f.GetMergeCells(SheetInstructions)
	spans := map[string]bool{}
	for _, m := range merged {
		if strings.HasPrefix(m.GetEndAxis(), "C") {
			spans[m.GetStartAxis()] = true
		}
	}
	for r, row := range help {
		cell := cellName(0, r+1)
		if r == 0 || len(row) == 0 || !spans[cell] {
			continue
		}
		// The instructions span A:C, 102 units wide.
		if h, _ := f.GetRowHeight(SheetInstructions, r+1); h < minHeight(linesOf(row[0], 102)) {
			t.Errorf("instruction row %d: %v pt for %d lines: %q", r+1, h, linesOf(row[0], 102), row[0])
		}
	}
	if len(spans) < 10 {
		t.Errorf("%d instruction rows span A:C", len(spans))
	}
	assertNamedFonts(t, buf.Bytes())
	assertInert(t, buf.Bytes())
}

// TestTemplateLongScope needs the hidden sheet: the names are far over the
// 255 characters of an inline list.
func TestTemplateLongScope(t *testing.T) {
	var scope Scope
	for i := 1; i <= 80; i++ {
		scope.Occupations = append(scope.Occupations, candidate.Occupation{
			Code: fmt.Sprintf("%03d", i), Name: fmt.Sprintf("建筑起重机械安装拆卸工第%d类", i), Levels: []int{5, 4, 3, 2, 1},
		})
	}
	var buf bytes.Buffer
	if err := Template(&buf, "省厅", scope); err != nil {
		t.Fatal(err)
	}
	f := openBytes(t, buf.Bytes())
	dvs, _ := f.GetDataValidations(SheetCandidates)
	found := false
	for _, dv := range dvs {
		found = found || dv.Formula1 == "'职业列表'!$A$2:$A$81"
	}
	if !found {
		t.Fatal("occupation validation does not cover the 80 occupations")
	}
}

func TestTemplateEmptyScope(t *testing.T) {
	var buf bytes.Buffer
	err := Template(&buf, "某单位", Scope{Occupations: []candidate.Occupation{{Code: "001", Name: "砌筑工"}}})
	if err == nil || !strings.Contains(err.Error(), "没有可登记") {
		t.Fatalf("got %v", err)
	}
}

func TestImportTemplateExampleOnly(t *testing.T) {
	_, err := importBytes(templateBytes(t))
	var fe *FileError
	if !errors.As(err, &fe) || fe.Kind != FileNoRows || !strings.Contains(fe.Error(), "示例行") {
		t.Fatalf("got %v", err)
	}
}

func TestImportFilledTemplate(t *testing.T) {
	f := openBytes(t, templateBytes(t))
	for i := 0; i < 3; i++ {
		r := goodRow(i)
		if err := f.SetSheetRow(SheetCandidates, fmt.Sprintf("A%d", i+3), &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, _ := f.WriteToBuffer()
	res, err := importBytes(buf.Bytes())
	if err != nil || !res.OK() || len(res.Candidates) != 3 || res.Candidates[0].Row != 3 {
		t.Fatalf("err %v res %+v", err, res)
	}
}

// TestImportEditedExampleRow: an example row changed by the user is not
// skipped, and its made-up ID and remark are refused.
func TestImportEditedExampleRow(t *testing.T) {
	f := openBytes(t, templateBytes(t))
	_ = f.SetCellStr(SheetCandidates, "A2", "李四")
	buf, _ := f.WriteToBuffer()
	res, err := importBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 2 || res.Errors[0].Cell != "B2" || res.Errors[1].Cell != "H2" || len(res.Candidates) != 0 {
		t.Fatalf("errors %v", res.Errors)
	}
}
