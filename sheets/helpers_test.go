package sheets

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"certreg/candidate"
	"certreg/idcard"
)

// Aliases keep the tests short.
type (
	Candidate = candidate.Candidate
	Raw       = candidate.Raw
	RowError  = candidate.RowError
	Scope     = candidate.Scope
)

// Columns are the template's column headers.
func Columns() []string { return candidate.Columns() }

var testScope = Scope{Occupations: []candidate.Occupation{
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

func importBytes(b []byte) (*candidate.Result, error) {
	return Import(bytes.NewReader(b), int64(len(b)), testScope)
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

func flipCheck(id string) string {
	if id[17] == '0' {
		return id[:17] + "1"
	}
	return id[:17] + "0"
}

// fixCheck appends the right check digit to 17 digits.
func fixCheck(body string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * w[i]
	}
	return body + string("10X98765432"[sum%11])
}

// Column headers, as the tests name them.
const (
	ColName       = candidate.ColName
	ColIDNumber   = candidate.ColIDNumber
	ColGender     = candidate.ColGender
	ColWorkUnit   = candidate.ColWorkUnit
	ColOccupation = candidate.ColOccupation
	ColLevel      = candidate.ColLevel
	ColPhone      = candidate.ColPhone
	ColRemark     = candidate.ColRemark
)

// hanName is a distinct valid name for each i >= 0, e.g. 王一二三.
func hanName(i int) string {
	digits := []rune("零一二三四五六七八九")
	s := []rune{[]rune("王李张刘陈杨黄赵吴周")[i%10]}
	for _, d := range strconv.Itoa(i) {
		s = append(s, digits[d-'0'])
	}
	return string(s)
}
