package sheets

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Limits of an upload.
const (
	MaxRows     = 5000     // data rows in one file
	MaxFileSize = 10 << 20 // bytes of the uploaded file

	// Unzip limits passed to excelize so that a small file that inflates to
	// gigabytes (a zip bomb) fails cleanly instead of exhausting memory.
	unzipSizeLimit    = 50 << 20
	unzipXMLSizeLimit = 20 << 20
)

// FileErrorKind classifies a file-level problem.
type FileErrorKind int

// Kinds of FileError.
const (
	FileEmpty       FileErrorKind = iota + 1 // zero bytes
	FileTooLarge                             // over MaxFileSize, or inflates over the unzip limit
	FileNotXLSX                              // not an .xlsx workbook (.xls, .csv, image, other zip …)
	FileUnreadable                           // an .xlsx that cannot be read (damaged)
	FileHeader                               // row 1 is not the template header
	FileNoRows                               // no data row (only blank rows or the example row)
	FileTooManyRows                          // more than MaxRows data rows
)

// FileError is a problem with the uploaded file as a whole; nothing of it can
// be imported. Error returns a Chinese message for the user; Unwrap returns
// the technical cause, if any, for the log.
type FileError struct {
	Kind    FileErrorKind
	Message string
	Err     error
}

func (e *FileError) Error() string { return e.Message }
func (e *FileError) Unwrap() error { return e.Err }

func fileErr(kind FileErrorKind, cause error, format string, args ...any) *FileError {
	return &FileError{Kind: kind, Message: fmt.Sprintf(format, args...), Err: cause}
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// recoverPanics turns a panic inside excelize on a malformed upload into a
// FileError; the fuzz test turns it off to see such panics.
var recoverPanics = true

// Import reads an uploaded candidate workbook of at most MaxFileSize bytes
// (size is the size the client declared, or -1) and checks every row against
// the scope with the rules of CheckRaw, plus duplicates inside the file.
//
// The data sheet is 候选人 when the workbook has one, else the first sheet;
// row 1 must be the template header (a trailing 错误说明 column and any
// further columns are ignored); blank rows and a row equal to the template's
// example row are skipped. The sheet is read with the streaming Rows
// iterator only.
//
// extra, when not nil, is called for each row that passed every other check,
// to apply the rules that need the database (already certified, in another
// batch under review); a non-empty message becomes a RowError on the named
// column.
//
// A file-level problem returns a *FileError and no Result. Otherwise the
// Result lists the valid candidates and the row errors; if there is any row
// error the caller must save nothing (see Result).
func Import(r io.Reader, size int64, scope Scope, extra func(c Candidate) (column, message string)) (res *Result, err error) {
	if size > MaxFileSize {
		return nil, tooLarge(size)
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fileErr(FileUnreadable, err, "读取上传的文件失败，请重新上传")
	}
	if len(b) == 0 {
		return nil, fileErr(FileEmpty, nil, "文件是空的（0 字节），请选择填写好的 .xlsx 文件")
	}
	if len(b) > MaxFileSize {
		return nil, tooLarge(int64(len(b)))
	}
	if recoverPanics {
		defer func() {
			if p := recover(); p != nil {
				res, err = nil, fileErr(FileUnreadable, fmt.Errorf("panic reading workbook: %v", p),
					"文件已损坏，无法读取，请在 Excel 中重新保存为 .xlsx 后上传")
			}
		}()
	}
	f, ferr := open(b)
	if ferr != nil {
		return nil, ferr
	}
	defer f.Close()
	return importSheet(f, newChecker(scope), extra)
}

func tooLarge(size int64) *FileError {
	return fileErr(FileTooLarge, nil, "文件大小为 %.1f MB，超过 %d MB 的上限，请分批导入", float64(size)/(1<<20), MaxFileSize>>20)
}

// open checks the content is an .xlsx workbook and opens it with unzip limits.
func open(b []byte) (*excelize.File, *FileError) {
	if !bytes.HasPrefix(b, zipMagic) {
		if bytes.HasPrefix(b, oleMagic) {
			return nil, fileErr(FileNotXLSX, nil, "这是旧版 Excel（.xls）文件或设置了密码的文件，请在 Excel 中“另存为” .xlsx 格式（不设密码）后再上传")
		}
		return nil, fileErr(FileNotXLSX, nil, "文件不是 Excel（.xlsx）格式，请下载模板填写后上传")
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{
		UnzipSizeLimit:    unzipSizeLimit,
		UnzipXMLSizeLimit: unzipXMLSizeLimit,
	})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		if strings.Contains(err.Error(), "unzip size exceeds") {
			return nil, fileErr(FileTooLarge, err, "文件解压后超过 %d MB，无法导入；请检查文件是否正确，或分批导入", unzipSizeLimit>>20)
		}
		return nil, fileErr(FileNotXLSX, err, "无法读取该文件：文件已损坏或不是 Excel（.xlsx）格式")
	}
	if len(f.GetSheetList()) == 0 {
		_ = f.Close()
		return nil, fileErr(FileNotXLSX, nil, "文件不是 Excel（.xlsx）工作簿，请下载模板填写后上传")
	}
	return f, nil
}

// dataSheet returns the sheet holding the candidates: 候选人 if present, else
// the first sheet. Import and Annotate must agree on it.
func dataSheet(f *excelize.File) string {
	list := f.GetSheetList()
	for _, s := range list {
		if s == SheetCandidates {
			return s
		}
	}
	return list[0]
}

func importSheet(f *excelize.File, k *checker, extra func(Candidate) (string, string)) (*Result, error) {
	sheet := dataSheet(f)
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, fileErr(FileUnreadable, err, "无法读取工作表「%s」，文件可能已损坏", sheet)
	}
	defer rows.Close()

	example, hasExample := exampleRow(k.scope)
	type seenID struct {
		row  int
		name string
	}
	var (
		res         = &Result{}
		rowNum      int
		dataRows    int
		exampleSeen bool
		dups        = make(map[string]int)    // ID|code|level => first row
		names       = make(map[string]seenID) // ID => first row and name
		vals        [numCols]string
	)
	for rows.Next() {
		rowNum++
		cols, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fileErr(FileUnreadable, err, "读取第 %d 行失败，文件可能已损坏", rowNum)
		}
		if rowNum == 1 {
			if ferr := checkHeader(cols); ferr != nil {
				return nil, ferr
			}
			continue
		}
		blank := true
		for i := range vals {
			vals[i] = ""
			if i < len(cols) {
				vals[i] = clean(cols[i])
			}
			if vals[i] != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		if hasExample && vals == example {
			exampleSeen = true
			continue
		}
		dataRows++
		if dataRows > MaxRows {
			return nil, fileErr(FileTooManyRows, nil, "数据超过 %d 行（第 %d 行起超出），请分成多个文件导入", MaxRows, rowNum)
		}

		c, ferrs := k.check(Raw{
			Name: vals[iName], IDNumber: vals[iID], Gender: vals[iGender], WorkUnit: vals[iWorkUnit],
			Occupation: vals[iOccupation], Level: vals[iLevel], Phone: vals[iPhone], Remark: vals[iRemark],
		})
		c.Row = rowNum
		nerr := len(res.Errors)
		bad := make(map[string]bool, len(ferrs))
		for _, fe := range ferrs {
			bad[fe.Column] = true
			res.Errors = append(res.Errors, rowError(rowNum, fe.Column, fe.Message))
		}
		if !bad[ColIDNumber] && hasExample && c.IDNumber == example[iID] {
			res.Errors = append(res.Errors, rowError(rowNum, ColIDNumber, "这是模板示例行的身份证号，请填写候选人的真实身份证号，或删除示例行"))
			bad[ColIDNumber] = true
		}
		if vals[iRemark] == ExampleRemark {
			res.Errors = append(res.Errors, rowError(rowNum, ColRemark, "本行带有示例行的说明：若是示例行请整行删除，若是真实数据请删除该备注"))
		}
		if !bad[ColIDNumber] && !bad[ColName] {
			if prev, ok := names[c.IDNumber]; !ok {
				names[c.IDNumber] = seenID{rowNum, c.Name}
			} else if prev.name != c.Name {
				res.Errors = append(res.Errors, rowError(rowNum, ColName,
					fmt.Sprintf("与第 %d 行身份证号相同，但姓名「%s」与第 %d 行的「%s」不一致", prev.row, c.Name, prev.row, prev.name)))
			}
		}
		if !bad[ColIDNumber] {
			if !bad[ColOccupation] && !bad[ColLevel] {
				key := c.IDNumber + "|" + c.OccupationCode + "|" + strconv.Itoa(c.Level)
				if first, ok := dups[key]; ok {
					res.Errors = append(res.Errors, rowError(rowNum, ColIDNumber,
						fmt.Sprintf("与第 %d 行重复：同一身份证号、同一职业（工种）和等级只能登记一次", first)))
				} else {
					dups[key] = rowNum
				}
			}
		}
		if len(res.Errors) > nerr {
			continue
		}
		if extra != nil {
			if col, msg := extra(c); msg != "" {
				res.Errors = append(res.Errors, rowError(rowNum, col, msg))
				continue
			}
		}
		res.Candidates = append(res.Candidates, c)
	}
	if err := rows.Error(); err != nil {
		return nil, fileErr(FileUnreadable, err, "读取工作表「%s」失败（第 %d 行附近），文件可能已损坏", sheet, rowNum)
	}
	if rowNum == 0 {
		return nil, fileErr(FileHeader, nil, "工作表「%s」是空的：第 1 行应为表头（%s），从第 2 行起填写候选人", sheet, strings.Join(columns[:], "、"))
	}
	if dataRows == 0 {
		if exampleSeen {
			return nil, fileErr(FileNoRows, nil, "文件中只有模板的示例行，没有候选人数据；请删除示例行并从第 2 行起填写候选人")
		}
		return nil, fileErr(FileNoRows, nil, "文件中没有候选人数据：请从第 2 行起填写候选人")
	}
	return res, nil
}

// rowError builds a RowError; an unknown or empty column gives a row-level
// error without a cell.
func rowError(row int, column, msg string) RowError {
	e := RowError{Row: row, Column: column, Message: msg}
	if i := columnIndex(column); i >= 0 {
		e.Cell = cellName(i, row)
	}
	return e
}

// checkHeader compares row 1 with the template header.
func checkHeader(cols []string) *FileError {
	for i, want := range columns {
		got := ""
		if i < len(cols) {
			got = clean(cols[i])
		}
		if headerKey(got) == headerKey(want) {
			continue
		}
		if got == "" {
			return fileErr(FileHeader, nil, "表头不正确：第 1 行 %s 列应为「%s」，实际为空。请使用下载的模板，不要修改、删除或调换表头", colLetter(i), want)
		}
		return fileErr(FileHeader, nil, "表头不正确：第 1 行 %s 列应为「%s」，实际为「%s」。请使用下载的模板，不要修改、删除或调换表头", colLetter(i), want, truncate(got, 30))
	}
	return nil
}

// headerKey tolerates a required-field asterisk and half-width parentheses.
func headerKey(s string) string {
	return fold(strings.Trim(s, "*＊"))
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
