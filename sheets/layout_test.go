package sheets

import (
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// sheetOf builds a workbook cell by cell: build gets the file and its
// first sheet's name.
func sheetOf(t *testing.T, build func(f *excelize.File, sh string)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f, "Sheet1")
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func setRow(t *testing.T, f *excelize.File, sh, cell string, vals ...string) {
	t.Helper()
	if err := f.SetSheetRow(sh, cell, &vals); err != nil {
		t.Fatal(err)
	}
}

// numberStyle gives a cell a number format (0: General).
func numberStyle(t *testing.T, f *excelize.File, sh, cell string, numFmt int) {
	t.Helper()
	st, err := f.NewStyle(&excelize.Style{NumFmt: numFmt})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle(sh, cell, cell, st); err != nil {
		t.Fatal(err)
	}
}

// TestImportLayouts: ID numbers in numeric cells of any format, title rows
// and merged titles above the header, columns in any order or under common
// synonyms, optional columns left out, required ones missing.
func TestImportLayouts(t *testing.T) {
	head := Columns()
	// The number Excel keeps of an ID typed without the text format: the
	// last digits are zeros (and by chance the check digit of this one
	// passes, so only the cell type can tell).
	const lost = 340104198805014000
	type wantErr struct{ cell, msg string }
	tests := []struct {
		name   string
		build  func(f *excelize.File, sh string)
		cands  int
		errs   []wantErr
		file   string // a FileError containing this
		column map[string]string
	}{
		{
			name: "numeric ID, General format",
			build: func(f *excelize.File, sh string) {
				setRow(t, f, sh, "A1", head...)
				setRow(t, f, sh, "A2", goodRow(0)...)
				setRow(t, f, sh, "A3", goodRow(1)...)
				_ = f.SetCellInt(sh, "B3", lost)
				_ = f.SetCellStr(sh, "C3", "")
			},
			cands: 1, errs: []wantErr{{"B3", "被 Excel 存成了数字，后几位已丢失"}},
		},
		{
			name: "numeric ID, scientific format",
			build: func(f *excelize.File, sh string) {
				setRow(t, f, sh, "A1", head...)
				setRow(t, f, sh, "A2", goodRow(0)...)
				_ = f.SetCellFloat(sh, "B2", 3.40104198805121e17, -1, 64)
				numberStyle(t, f, sh, "B2", 11) // 0.00E+00
			},
			errs: []wantErr{{"B2", "被 Excel 存成了数字"}},
		},
		{
			name: "numeric ID, format 0 showing every digit",
			build: func(f *excelize.File, sh string) {
				setRow(t, f, sh, "A1", head...)
				setRow(t, f, sh, "A2", goodRow(0)...)
				_ = f.SetCellInt(sh, "B2", lost)
				numberStyle(t, f, sh, "B2", 1) // 0
			},
			errs: []wantErr{{"B2", "被 Excel 存成了数字"}},
		},
		{
			name: "the same digits as text pass",
			build: func(f *excelize.File, sh string) {
				setRow(t, f, sh, "A1", head...)
				r := goodRow(0)
				r[1], r[2] = "340104198805014000", ""
				setRow(t, f, sh, "A2", r...)
			},
			cands: 1,
		},
		{
			name: "title rows and a merged title above the header",
			build: func(f *excelize.File, sh string) {
				setRow(t, f, sh, "A1", "2026 年第一期砌筑工培训合格人员名单")
				_ = f.MergeCell(sh, "A1", "H1")
				setRow(t, f, sh, "A2", "填报单位：合肥建工职业技能培训学校")
				setRow(t, f, sh, "A4", head...)
				setRow(t, f, sh, "A5", goodRow(0)...)
				bad := goodRow(1)
				bad[1] = flipCheck(bad[1])
				setRow(t, f, sh, "A6", bad...)
				_ = f.SetCellInt(sh, "B7", lost)
				setRow(t, f, sh, "C7", goodRow(2)[2:]...)
				_ = f.SetCellStr(sh, "A7", "李四")
			},
			cands: 1, errs: []wantErr{{"B6", "校验位错误"}, {"B7", "被 Excel 存成了数字"}},
		},
		{
			name: "columns in another order, with extra columns",
			build: func(f *excelize.File, sh string) {
				setRow(t, f, sh, "A1", "序号", ColIDNumber, ColName, ColOccupation, ColLevel, ColWorkUnit, "培训时间", ColRemark, ColPhone, ColGender)
				for i := 0; i < 3; i++ {
					g := goodRow(i)
					setRow(t, f, sh, cellName(0, i+2), "1", g[1], g[0], g[4], g[5], g[3], "2026-03", g[7], g[6], g[2])
				}
				_ = f.SetCellStr(sh, "B3", flipCheck(goodRow(1)[1]))
				_ = f.SetCellStr(sh, "C4", "=1+2")
				_ = f.SetCellInt(sh, "B2", lost)
			},
			errs:   []wantErr{{"B2", "被 Excel 存成了数字"}, {"B3", "校验位错误"}, {"C4", "「=」"}},
			column: map[string]string{ColIDNumber: "B", ColName: "C", ColGender: "J", ColPhone: "I"},
		},
		{
			name: "synonyms and optional columns left out",
			build: func(f *excelize.File, sh string) {
				setRow(t, f, sh, "A1", "姓名*", "身份证号码", "所在单位", "工种", "技能等级", "联系电话")
				g := goodRow(0)
				setRow(t, f, sh, "A2", g[0], g[1], g[3], g[4], g[5], g[6])
				g = goodRow(1)
				setRow(t, f, sh, "A3", g[0], g[1], g[3], g[4], "特级", g[6])
			},
			cands: 1, errs: []wantErr{{"E3", "不是有效等级"}},
		},
		{
			name: "required columns missing",
			build: func(f *excelize.File, sh string) {
				setRow(t, f, sh, "A1", "名单")
				setRow(t, f, sh, "A2", ColName, ColGender, ColOccupation, ColPhone)
				setRow(t, f, sh, "A3", "王五", "男", "砌筑工", "13912345678")
			},
			file: "表头（第 2 行）缺少必填列「身份证号」、「工作单位」、「等级」",
		},
		{
			name: "header below the first ten rows",
			build: func(f *excelize.File, sh string) {
				setRow(t, f, sh, "A11", head...)
				setRow(t, f, sh, "A12", goodRow(0)...)
			},
			file: "前 10 行中没有「姓名」「身份证号」等列名",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := importBytes(sheetOf(t, tc.build))
			if tc.file != "" {
				var fe *FileError
				if !errors.As(err, &fe) || fe.Kind != FileHeader || !strings.Contains(fe.Message, tc.file) {
					t.Fatalf("got %v, want a header error containing %q", err, tc.file)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Candidates) != tc.cands || len(res.Errors) != len(tc.errs) {
				t.Fatalf("%d candidates, errors %v", len(res.Candidates), res.Errors)
			}
			for i, w := range tc.errs {
				if e := res.Errors[i]; e.Cell != w.cell || !strings.Contains(e.Message, w.msg) {
					t.Errorf("error %d: %s, want %s with %q", i, e.String(), w.cell, w.msg)
				}
			}
			for col, letter := range tc.column {
				if got := colLetter(res.Columns[col]); got != letter {
					t.Errorf("column %s at %s, want %s", col, got, letter)
				}
			}
		})
	}
}

// TestScanCellsFindsNumericCells: the tag scanner behind the numeric-ID
// rule finds cells stored as numbers (no type or type n, with a value or a
// formula) with or without cell references and namespace prefixes, stops
// after the last row asked for, and reads the rows' own heights.
func TestScanCellsFindsNumericCells(t *testing.T) {
	const xmlSheet = `<worksheet><sheetData>` +
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>` +
		`<row r="2" ht="30" customHeight="1"><c r="A2" t="inlineStr"><is><t>张三</t></is></c><c r="B2"><v>3.40104198805014E+17</v></c></row>` +
		`<row><c t="s"><v>2</v></c><c t="n"><v>1</v></c></row>` +
		`<row r="5"><c r="A5"/><c r="B5" s="3"/></row>` +
		`<row r="6"><c r="B6" t="str"><f>A1</f><v>x</v></c></row>` +
		`<x:row r="7"><x:c r="B7"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>` +
		`<row r="8"><c r="B8"><v>1</v></c></row>` +
		`</sheetData></worksheet>`
	sc, err := scanCells(strings.NewReader(xmlSheet), 2, 7, func(t string) bool { return t == "" || t == "n" })
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]bool{2: true, 3: true, 7: true}
	if len(sc.cells) != len(want) {
		t.Fatalf("rows %v, want %v", sc.cells, want)
	}
	for r := range want {
		if !sc.cells[r] {
			t.Errorf("row %d not found: %v", r, sc.cells)
		}
	}
	if sc.heights[2] != 30 || len(sc.heights) != 1 {
		t.Errorf("heights %v", sc.heights)
	}
}
