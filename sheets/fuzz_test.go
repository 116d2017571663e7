package sheets

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"
)

func FuzzImport(f *testing.F) {
	bad := goodRow(1)
	bad[1] = flipCheck(bad[1])
	f.Add(workbook(f, Columns(), goodRow(0), bad, goodRow(0)))
	f.Add(templateBytes(f))
	f.Add([]byte("garbage \x00\x01\x02 not a workbook"))
	f.Add(append(append([]byte{}, zipMagic...), "garbage after the zip magic"...))
	f.Add(plainZip(f))

	// Let panics from excelize surface here instead of becoming FileErrors.
	recoverPanics = false
	defer func() { recoverPanics = true }()

	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Import(bytes.NewReader(b), int64(len(b)), testScope)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Message == "" || res != nil {
				t.Fatalf("error %v (%T) with result %v", err, err, res)
			}
			return
		}
		if len(res.Candidates) == 0 && len(res.Errors) == 0 {
			t.Fatal("no error, no candidate and no row error")
		}
		for _, e := range res.Errors {
			if e.Row < 2 || e.Message == "" {
				t.Fatalf("bad row error %+v", e)
			}
		}
		for _, c := range res.Candidates {
			if c.Row < 2 || len(c.IDNumber) != 18 || c.OccupationCode == "" || c.Level == 0 {
				t.Fatalf("bad candidate %+v", c)
			}
		}
		if len(res.Errors) > 0 {
			var out bytes.Buffer
			if err := Annotate(b, res.Errors, &out); err != nil {
				t.Fatalf("annotate: %v", err)
			}
		}
	})
}

// FuzzImportCells fuzzes the cell values rather than the bytes of the file:
// mutated zip bytes mostly fail the CRC check and never reach the rows.
func FuzzImportCells(f *testing.F) {
	g := goodRow(0)
	f.Add(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7])
	f.Add("", "11010519491231002x", "女", "x", "012 电工", "1", "+8613912345678", "=1+1")
	f.Add("张三", "３４０１０２１９８５０５０５００１Ｘ", "男", "单位", "12", "高级", "139-1234-5678", ExampleRemark)
	f.Add("a", "3.4010219850505101E+17", "", "u", "001砌筑工", "五级／初级工", "1", "")
	f.Fuzz(func(t *testing.T, name, id, gender, unit, occ, level, phone, remark string) {
		row := []string{name, id, gender, unit, occ, level, phone, remark}
		b := workbook(t, Columns(), goodRow(1), row, row)
		res, err := importBytes(b)
		if err != nil {
			// Only a row that reads back blank (or as the example) can
			// leave the file without data; goodRow(1) is always there.
			t.Fatalf("file error %v for row %q", err, row)
		}
		if len(res.Candidates)+len(res.Errors) < 2 {
			t.Fatalf("rows lost: %+v", res)
		}
		for _, c := range res.Candidates {
			if idErr := validID(c.IDNumber); idErr != nil || c.Gender == "" || c.OccupationName == "" || c.Level == 0 {
				t.Fatalf("bad candidate %+v (%v)", c, idErr)
			}
		}
		// The same row twice: the second is never accepted alone.
		if len(res.Candidates) == 3 {
			t.Fatalf("duplicate accepted: %+v", res.Candidates)
		}
		for _, e := range res.Errors {
			if e.Row < 2 || e.Message == "" || (e.Column != "" && e.Cell == "") {
				t.Fatalf("bad row error %+v", e)
			}
		}
	})
}

// benchWorkbook writes n varied rows with the stream writer.
func benchWorkbook(b *testing.B, n int) []byte {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	row := make([]any, numCols)
	for i, h := range columns {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		b.Fatal(err)
	}
	occs := []string{"砌筑工", "002", "012 电工", "建筑起重机械安装拆卸工（塔式起重机）"}
	levels := []string{"五级/初级工", "4", "初级工", "五级"}
	for i := 0; i < n; i++ {
		id := testID(i)
		gender := "女"
		if i%2 == 1 {
			gender = "男"
		}
		vals := []string{hanName(i), id, gender, "安徽省第三建筑工程有限公司", occs[i%4], levels[i%4],
			fmt.Sprintf("139%08d", i), "第一期培训"}
		for j, v := range vals {
			row[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkImport5000(b *testing.B) {
	data := benchWorkbook(b, MaxRows)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		res, err := Import(bytes.NewReader(data), int64(len(data)), testScope)
		if err != nil {
			b.Fatal(err)
		}
		if !res.OK() || len(res.Candidates) != MaxRows {
			b.Fatalf("%d errors, first %v", len(res.Errors), res.Errors[0])
		}
	}
}
