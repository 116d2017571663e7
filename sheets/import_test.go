package sheets

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestImportValid(t *testing.T) {
	r1 := goodRow(0)
	r2 := goodRow(1)
	r2[1] = " " + toFull(r2[1]) // full-width digits and a space
	r2[2] = ""                  // gender from the ID
	r2[4], r2[5] = "012", "4"   // codes
	r4 := goodRow(3)
	r4[4], r4[5], r4[6] = "钢筋工", "中级工", ""
	b := workbook(t, Columns(), r1, r2, []string{"", " ", "\u3000"}, r4, nil)
	res, err := importBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || len(res.Candidates) != 3 {
		t.Fatalf("errors %v, %d candidates", res.Errors, len(res.Candidates))
	}
	c := res.Candidates
	if c[0].Row != 2 || c[1].Row != 3 || c[2].Row != 5 {
		t.Fatalf("rows %d %d %d", c[0].Row, c[1].Row, c[2].Row)
	}
	if c[1].IDNumber != testID(3) || c[1].Gender != "男" || c[1].OccupationName != "电工" || c[1].Level != 4 {
		t.Fatalf("row 3: %+v", c[1])
	}
	if c[2].OccupationCode != "002" || c[2].Level != 4 || c[2].Phone != "" {
		t.Fatalf("row 5: %+v", c[2])
	}
}

func TestImportRowErrorsNameRowColumnCell(t *testing.T) {
	bad := goodRow(2)
	bad[1] = flipCheck(bad[1])
	bad[5] = "二级"
	b := workbook(t, Columns(), goodRow(0), goodRow(1), goodRow(5), bad)
	res, err := importBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || len(res.Candidates) != 3 {
		t.Fatalf("OK=%v candidates=%d", res.OK(), len(res.Candidates))
	}
	if len(res.Errors) != 2 {
		t.Fatalf("errors %v", res.Errors)
	}
	e := res.Errors[0]
	if e.Row != 5 || e.Column != ColIDNumber || e.Cell != "B5" {
		t.Fatalf("got %+v", e)
	}
	if s := e.String(); !strings.HasPrefix(s, "第 5 行「身份证号」(B5)：校验位错误") {
		t.Fatalf("String() = %q", s)
	}
	if e := res.Errors[1]; e.Cell != "F5" || e.Column != ColLevel || !strings.Contains(e.Message, "不能登记") {
		t.Fatalf("got %+v", e)
	}
}

// TestImportEveryRule puts one broken rule on each row and checks the cell.
func TestImportEveryRule(t *testing.T) {
	edit := func(i int, f func(r []string)) []string {
		r := goodRow(i)
		f(r)
		return r
	}
	rows := [][]string{
		edit(0, func(r []string) { r[0] = "" }),
		edit(1, func(r []string) { r[0] = strings.Repeat("长", 31) }),
		edit(2, func(r []string) { r[1] = "" }),
		edit(3, func(r []string) { r[1] = "340102850505001" }),
		edit(4, func(r []string) { r[1] = fixCheck("34010219850230001") }),
		edit(5, func(r []string) { r[1] = fixCheck("340102" + time.Now().AddDate(0, 0, 2).Format("20060102") + "001") }),
		edit(6, func(r []string) { r[2] = "女" }),
		edit(7, func(r []string) { r[2] = "未知" }),
		edit(8, func(r []string) { r[3] = "" }),
		edit(9, func(r []string) { r[3] = strings.Repeat("单", 101) }),
		edit(10, func(r []string) { r[4] = "" }),
		edit(11, func(r []string) { r[4] = "焊工" }),
		edit(12, func(r []string) { r[5] = "" }),
		edit(13, func(r []string) { r[5] = "特级" }),
		edit(14, func(r []string) { r[4], r[5] = "钢筋工", "三级" }),
		edit(15, func(r []string) { r[6] = "12345" }),
		edit(16, func(r []string) { r[7] = strings.Repeat("备", 201) }),
		edit(17, func(r []string) { r[1] = "1234567890123456ab" }),
	}
	want := []struct{ cell, msg string }{
		{"A2", "不能为空"}, {"A3", "30"}, {"B4", "不能为空"}, {"B5", "15 位旧身份证号"}, {"B6", "出生日期"},
		{"B7", "晚于今天"}, {"C8", "不符"}, {"C9", "只能填写"}, {"D10", "不能为空"}, {"D11", "100"},
		{"E12", "不能为空"}, {"E13", "焊工"}, {"F14", "不能为空"}, {"F15", "特级"}, {"F16", "钢筋工"},
		{"G17", "12345"}, {"H18", "200"}, {"B19", "数字"},
	}
	res, err := importBytes(workbook(t, Columns(), rows...))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Candidates) != 0 || len(res.Errors) != len(want) {
		for _, e := range res.Errors {
			t.Log(e.String())
		}
		t.Fatalf("%d candidates, %d errors", len(res.Candidates), len(res.Errors))
	}
	for i, w := range want {
		e := res.Errors[i]
		if e.Cell != w.cell || !strings.Contains(e.Message, w.msg) || e.Column != columns[e.Cell[0]-'A'] {
			t.Errorf("error %d: %s, want %s containing %q", i, e.String(), w.cell, w.msg)
		}
		if !strings.Contains(e.String(), "第 "+e.Cell[1:]+" 行「"+e.Column+"」("+e.Cell+")：") {
			t.Errorf("String() = %q", e.String())
		}
	}
}

func TestImportDuplicates(t *testing.T) {
	a := goodRow(0)
	dup := goodRow(0)
	dup[1] = strings.ToLower(dup[1]) + " "
	otherLevel := goodRow(0)
	otherLevel[5] = "四级"
	otherName := goodRow(0)
	otherName[0] = "赵六"
	otherName[5] = "三级"
	res, err := importBytes(workbook(t, Columns(), a, goodRow(1), dup, otherLevel, otherName))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 2 {
		t.Fatalf("errors %v", res.Errors)
	}
	if e := res.Errors[0]; e.Row != 4 || e.Cell != "B4" || !strings.Contains(e.Message, "与第 2 行重复") {
		t.Fatalf("dup: %s", e.String())
	}
	if e := res.Errors[1]; e.Row != 6 || e.Cell != "A6" || !strings.Contains(e.Message, "第 2 行") {
		t.Fatalf("name: %s", e.String())
	}
	if len(res.Candidates) != 3 { // rows 2, 3 and 5 (same person, another level)
		t.Fatalf("candidates %d", len(res.Candidates))
	}
}

// TestImportThenRefuse: the rules that need the database run after the
// import (candidate.Result.Refuse) on the rows that passed; their errors
// fall in sheet order and name the cells of the sheet.
func TestImportThenRefuse(t *testing.T) {
	bad := goodRow(2)
	bad[0] = ""
	held := goodRow(3)
	res, err := importBytes(workbook(t, Columns(), goodRow(0), goodRow(1), bad, held))
	if err != nil {
		t.Fatal(err)
	}
	var calls []int
	res.Refuse(func(c Candidate) (string, string) {
		calls = append(calls, c.Row)
		if c.IDNumber == held[1] {
			return ColIDNumber, "已持有该职业（工种）该等级的有效证书"
		}
		if c.Row == 3 {
			return ColOccupation, "正在其他批次审核中"
		}
		return "", ""
	})
	if got := calls; len(got) != 3 || got[0] != 2 || got[1] != 3 || got[2] != 5 {
		t.Fatalf("rule called for rows %v", got)
	}
	if len(res.Candidates) != 1 || len(res.Errors) != 3 {
		t.Fatalf("candidates %d errors %v", len(res.Candidates), res.Errors)
	}
	if e := res.Errors[0]; e.Cell != "E3" || e.Message != "正在其他批次审核中" {
		t.Fatalf("got %s", e.String())
	}
	if e := res.Errors[1]; e.Cell != "A4" {
		t.Fatalf("got %s", e.String())
	}
	if e := res.Errors[2]; e.String() != "第 5 行「身份证号」(B5)：已持有该职业（工种）该等级的有效证书" {
		t.Fatalf("got %s", e.String())
	}
}

func TestImportIgnoresErrorColumnAndExtraColumns(t *testing.T) {
	h := append(Columns(), ColErrors, "其他")
	r := append(goodRow(0), "「身份证号」校验位错误", "x")
	res, err := importBytes(workbook(t, h, r, []string{"", "", "", "", "", "", "", "", "旧的错误说明"}))
	if err != nil || !res.OK() || len(res.Candidates) != 1 {
		t.Fatalf("err %v res %+v", err, res)
	}
}

func TestImportHeaderTolerance(t *testing.T) {
	h := Columns()
	h[0] = "*姓名"
	h[4] = "职业(工种)"
	h[5] = " 等级 "
	if _, err := importBytes(workbook(t, h, goodRow(0))); err != nil {
		t.Fatal(err)
	}
}

func TestImportFileErrors(t *testing.T) {
	noUnitNoLevel := []string{ColName, ColIDNumber, ColGender, ColOccupation, ColPhone}
	twice := append(Columns(), ColName)
	blankRows := workbook(t, Columns(), []string{""}, []string{" "})
	tooMany := make([][]string, MaxRows+1)
	for i := range tooMany {
		tooMany[i] = goodRow(i)
	}
	csv := []byte("姓名,身份证号\n张三,11010119900101001X\n")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	xls := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...)

	tests := []struct {
		name string
		data []byte
		size int64 // 0: len(data)
		kind FileErrorKind
		msg  string
	}{
		{"empty", nil, 0, FileEmpty, "空的"},
		{"declared too large", []byte("PK"), MaxFileSize + 1, FileTooLarge, "10 MB"},
		{"actually too large", append(append([]byte{}, zipMagic...), make([]byte, MaxFileSize)...), -1, FileTooLarge, "10 MB"},
		{"csv renamed", csv, 0, FileNotXLSX, ".xlsx"},
		{"png renamed", png, 0, FileNotXLSX, ".xlsx"},
		{"xls renamed", xls, 0, FileNotXLSX, ".xls"},
		{"truncated xlsx", workbook(t, Columns(), goodRow(0))[:300], 0, FileNotXLSX, "损坏"},
		{"zip but not a workbook", plainZip(t), 0, FileNotXLSX, "不是 Excel"},
		{"zip bomb", zipBomb(t), 0, FileTooLarge, "解压后超过 50 MB"},
		{"missing required columns", workbook(t, noUnitNoLevel, goodRow(0)), 0, FileHeader, "表头（第 1 行）缺少必填列「工作单位」、「等级」"},
		{"a column twice", workbook(t, twice, goodRow(0)), 0, FileHeader, "「姓名」出现了两次（A 列和 I 列）"},
		{"no header in the first rows", workbook(t, []string{"序号", "名单"}, goodRow(0)), 0, FileHeader, "没有找到表头：前 10 行中没有「姓名」「身份证号」等列名"},
		{"empty sheet", workbook(t, nil), 0, FileHeader, "是空的"},
		{"header only", workbook(t, Columns()), 0, FileNoRows, "没有合格人员数据"},
		{"blank rows only", blankRows, 0, FileNoRows, "没有合格人员数据"},
		{"too many rows", workbook(t, Columns(), tooMany...), 0, FileTooManyRows, "超过 5000 行"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			size := tc.size
			if size == 0 {
				size = int64(len(tc.data))
			}
			res, err := Import(bytes.NewReader(tc.data), size, testScope)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("want *FileError, got %v (result %v)", err, res)
			}
			if res != nil || fe.Kind != tc.kind || !strings.Contains(fe.Error(), tc.msg) {
				t.Fatalf("got kind %d %q, want kind %d containing %q", fe.Kind, fe.Error(), tc.kind, tc.msg)
			}
		})
	}
}

func TestImportExactlyMaxRows(t *testing.T) {
	rows := make([][]string, MaxRows)
	for i := range rows {
		rows[i] = goodRow(i)
	}
	res, err := importBytes(workbook(t, Columns(), rows...))
	if err != nil || !res.OK() || len(res.Candidates) != MaxRows {
		t.Fatalf("err %v, errors %d", err, len(res.Errors))
	}
}

// TestImportNumericCells covers cells Excel stored as numbers.
func TestImportNumericCells(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	h := Columns()
	_ = f.SetSheetRow("Sheet1", "A1", &h)
	r := goodRow(0)
	_ = f.SetSheetRow("Sheet1", "A2", &r)
	_ = f.SetCellInt("Sheet1", "E2", 12)          // occupation code 012 lost its zero
	_ = f.SetCellInt("Sheet1", "F2", 4)           // level code
	_ = f.SetCellInt("Sheet1", "G2", 13912345678) // phone as a number
	_ = f.SetSheetRow("Sheet1", "A3", &r)
	// An ID typed as a number: Excel stores a double in scientific notation.
	_ = f.SetCellStr("Sheet1", "B3", "3.4010219850505101E+17")
	_ = f.SetCellValue("Sheet1", "F3", "四级")
	buf, _ := f.WriteToBuffer()
	res, err := importBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Candidates) != 1 || res.Candidates[0].OccupationCode != "012" || res.Candidates[0].Level != 4 || res.Candidates[0].Phone != "13912345678" {
		t.Fatalf("candidates %+v", res.Candidates)
	}
	if len(res.Errors) != 1 || res.Errors[0].Cell != "B3" || !strings.Contains(res.Errors[0].Message, "数字") {
		t.Fatalf("errors %v", res.Errors)
	}
}

// TestImportReadsCandidateSheet: the data sheet is 合格人员, or 候选人 in
// templates downloaded before the product said 合格人员, whatever its place.
func TestImportReadsCandidateSheet(t *testing.T) {
	for _, name := range []string{SheetCandidates, sheetCandidatesOld} {
		f := excelize.NewFile()
		_ = f.SetCellStr("Sheet1", "A1", "说明")
		_, _ = f.NewSheet(name)
		h := Columns()
		r := goodRow(0)
		_ = f.SetSheetRow(name, "A1", &h)
		_ = f.SetSheetRow(name, "A2", &r)
		buf, _ := f.WriteToBuffer()
		f.Close()
		res, err := importBytes(buf.Bytes())
		if err != nil || len(res.Candidates) != 1 {
			t.Fatalf("%s: err %v res %+v", name, err, res)
		}
	}
}

func TestImportReaderError(t *testing.T) {
	_, err := Import(io.MultiReader(strings.NewReader("PK"), errReader{}), -1, testScope)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Kind != FileUnreadable {
		t.Fatalf("got %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func plainZip(t testing.TB) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("readme.txt")
	_, _ = w.Write([]byte("hello"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipBomb is a valid workbook plus a 60 MB part of zeros that compresses to
// about 60 KB.
func zipBomb(t testing.TB) []byte {
	src := workbook(t, Columns(), goodRow(0))
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, _ := zw.Create(f.Name)
		rc, _ := f.Open()
		_, _ = io.Copy(w, rc)
		rc.Close()
	}
	w, _ := zw.Create("xl/media/padding.bin")
	if _, err := io.CopyN(w, zeros{}, 60<<20); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 1<<20 {
		t.Fatalf("bomb is %d bytes", buf.Len())
	}
	return buf.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func toFull(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			r = '０' + (r - '0')
		}
		b.WriteRune(r)
	}
	return b.String()
}
