package sheets

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
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
	scope := Scope{Occupations: []Occupation{
		{Code: "001", Name: "砌筑工", Levels: []int{4, 5}},
		{Code: "012", Name: "电工", Levels: []int{5}},
		{Code: "020", Name: "防水工", Levels: nil},
	}}
	var buf bytes.Buffer
	if err := Template(&buf, "合肥市建设职业技能鉴定站", scope); err != nil {
		t.Fatal(err)
	}
	f := openBytes(t, buf.Bytes())

	if got := strings.Join(f.GetSheetList(), ","); got != "候选人,填写说明,职业列表" {
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
	if _, errs := CheckRaw(Raw{Name: ex[0], IDNumber: ex[1], Gender: ex[2], WorkUnit: ex[3], Occupation: ex[4], Level: ex[5], Phone: ex[6]}, scope); errs != nil {
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
	if len(help) < 10 || !strings.HasPrefix(help[0][0], "合肥市建设职业技能鉴定站") {
		t.Errorf("instructions %q", help)
	}
}

// TestTemplateLongScope needs the hidden sheet: the names are far over the
// 255 characters of an inline list.
func TestTemplateLongScope(t *testing.T) {
	var scope Scope
	for i := 1; i <= 80; i++ {
		scope.Occupations = append(scope.Occupations, Occupation{
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
	err := Template(&buf, "某单位", Scope{Occupations: []Occupation{{Code: "001", Name: "砌筑工"}}})
	if err == nil || !strings.Contains(err.Error(), "没有可登记") {
		t.Fatalf("got %v", err)
	}
}

func TestImportTemplateExampleOnly(t *testing.T) {
	_, err := importBytes(templateBytes(t), nil)
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
	res, err := importBytes(buf.Bytes(), nil)
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
	res, err := importBytes(buf.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 2 || res.Errors[0].Cell != "B2" || res.Errors[1].Cell != "H2" || len(res.Candidates) != 0 {
		t.Fatalf("errors %v", res.Errors)
	}
}
