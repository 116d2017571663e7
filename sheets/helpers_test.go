package sheets

import (
	"bytes"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"certreg/idcard"
)

var testScope = Scope{Occupations: []Occupation{
	{Code: "001", Name: "砌筑工", Levels: []int{5, 4, 3}},
	{Code: "002", Name: "钢筋工", Levels: []int{5, 4}},
	{Code: "012", Name: "电工", Levels: []int{5, 4, 3, 2, 1}},
	{Code: "020", Name: "建筑起重机械安装拆卸工（塔式起重机）", Levels: []int{5}},
}}

// testID returns a distinct valid ID for each seq >= 0; an odd seq gives a man.
func testID(seq int) string {
	birth := time.Date(1985, 5, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, seq/1000)
	return idcard.Make("340102", birth, seq%1000)
}

// goodRow returns a valid row for a man with ID testID(2*i+1).
func goodRow(i int) []string {
	return []string{"王" + string(rune('甲'+i%10)), testID(2*i + 1), "男", "合肥建工集团", "砌筑工", "五级/初级工", "13912345678", ""}
}

// workbook builds an .xlsx with header row 1 and the rows below, all cells
// written as strings.
func workbook(t testing.TB, header []string, rows ...[]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if header != nil {
		if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rows {
		r := r
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func importBytes(b []byte, extra func(Candidate) (string, string)) (*Result, error) {
	return Import(bytes.NewReader(b), int64(len(b)), testScope, extra)
}

func templateBytes(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Template(&buf, "合肥市建设职业技能鉴定站", testScope); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func validID(id string) error { return idcard.Validate(id) }
