package sheets

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"certreg/candidate"
)

// formulaLike are values a spreadsheet could take for formulas or commands.
var formulaLike = []string{
	"=1+2",
	"-张三",
	"@王五",
	"+86 合肥公司",
	`=HYPERLINK("http://evil.example","点我")`,
	"＝SUM(A1)",
	"=cmd|' /C calc'!A0",
}

// TestEveryWorkbookKeepsFormulaLikeTextInert generates each workbook the
// application writes with formula-like values in every text it takes (the
// organisation and occupation names of the template; every column, the
// messages and the summaries of the annotated copy; every text column, the
// headers and the title of an export) and checks that no cell is a formula
// and that every formula-like cell the application wrote is quote-prefixed
// text shown without an apostrophe.
func TestEveryWorkbookKeepsFormulaLikeTextInert(t *testing.T) {
	// The template.
	scope := Scope{Occupations: []candidate.Occupation{
		{Code: "001", Name: formulaLike[0], Levels: []int{5}},
		{Code: "002", Name: formulaLike[2], Levels: []int{4}},
		{Code: "003", Name: formulaLike[4], Levels: []int{5, 4}},
	}}
	var tpl bytes.Buffer
	if err := Template(&tpl, formulaLike[4], scope); err != nil {
		t.Fatal(err)
	}
	assertInert(t, tpl.Bytes())
	assertNamedFonts(t, tpl.Bytes())
	f := openBytes(t, tpl.Bytes())
	if v, _ := f.GetCellValue(SheetInstructions, "A1"); !strings.HasPrefix(v, formulaLike[4]+" ") {
		t.Errorf("title %q", v)
	}
	if v, _ := f.GetCellValue(SheetCandidates, "E2"); v != formulaLike[0] {
		t.Errorf("example occupation %q", v)
	}

	// The annotated copy of that template filled with formula-like values.
	for i, v := range formulaLike {
		row := []string{v, v, v, v, v, v, v, v}
		if err := f.SetSheetRow(SheetCandidates, cellName(0, i+3), &row); err != nil {
			t.Fatal(err)
		}
	}
	buf, _ := f.WriteToBuffer()
	src := buf.Bytes()
	res, err := Import(bytes.NewReader(src), int64(len(src)), scope)
	if err != nil {
		t.Fatal(err)
	}
	var errs []RowError
	for i, v := range formulaLike {
		errs = append(errs, RowError{Row: i + 3, Message: v}) // row-level: the summary starts with it
	}
	errs = append(errs, res.Errors...)
	var ann bytes.Buffer
	if err := Annotate(src, errs, &ann); err != nil {
		t.Fatal(err)
	}
	// The uploader's own cells come back as they were; what Annotate
	// writes is the 错误说明 column (I) and the comments.
	assertInertWhere(t, ann.Bytes(), func(sheet, cell string) bool {
		return sheet == SheetCandidates && strings.HasPrefix(cell, "I")
	})
	assertNamedFonts(t, ann.Bytes())
	a := openBytes(t, ann.Bytes())
	for i := range formulaLike {
		if v, _ := a.GetCellValue(SheetCandidates, cellName(8, i+3)); !startsLikeFormula(v) {
			t.Errorf("row %d summary %q does not start with the row-level message", i+3, v)
		}
	}
	for cell, text := range commentsByCell(t, a, SheetCandidates) {
		if strings.HasPrefix(text, "'") {
			t.Errorf("comment %s starts with an apostrophe: %q", cell, text)
		}
	}

	// An export with formula-like values in every text column, the headers
	// and the title.
	cols := []Column{{formulaLike[0], Text}, {formulaLike[1], Text}, {formulaLike[2], Text}, {"日期", Date}, {"次数", Number}}
	var rows [][]any
	for _, v := range formulaLike {
		rows = append(rows, []any{v, v, v, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), 1})
	}
	var exp bytes.Buffer
	if err := Export(&exp, Table{Sheet: formulaLike[0], Title: formulaLike[3], Columns: cols, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	assertInert(t, exp.Bytes())
	assertNamedFonts(t, exp.Bytes())
}
