package sheets

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"certreg/candidate"
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
	FileHeader                               // no header, a required column missing or doubled
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
// the scope with the rules of candidate.CheckRaw, plus duplicates inside the
// file. The rules that need the database are the caller's (see
// candidate.Result.Refuse).
//
// The data sheet is 合格人员 (or 候选人, its older name) when the workbook has
// one, else the first sheet. The header is found among the first rows and
// columns by their names (see layout.go); rows above the header, blank rows
// and a row equal to the template's example row are skipped. The sheet is
// read with the streaming Rows iterator only; an ID number stored in a
// numeric cell is recognised by its cell type, whatever its number format.
//
// A file-level problem returns a *FileError and no Result. Otherwise the
// Result lists the valid candidates and the row errors; if there is any row
// error the caller must save nothing.
func Import(r io.Reader, size int64, scope candidate.Scope) (res *candidate.Result, err error) {
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
	return importSheet(b, f, scope)
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

// dataSheet returns the sheet holding the candidates: 合格人员 (or 候选人) if
// present, else the first sheet. Import and Annotate must agree on it.
func dataSheet(f *excelize.File) string {
	list := f.GetSheetList()
	for _, name := range []string{SheetCandidates, sheetCandidatesOld} {
		for _, s := range list {
			if s == name {
				return s
			}
		}
	}
	return list[0]
}

// row is a data row as read: its sheet row and values in the template's
// column order.
type row struct {
	num  int
	vals [numCols]string
}

// readRows streams the data sheet: it finds the header among the first rows
// and returns the layout and the data rows (not blank, not the example).
func readRows(f *excelize.File, sheet string, example [numCols]string, hasExample bool) (layout, []row, bool, *FileError) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return layout{}, nil, false, fileErr(FileUnreadable, err, "无法读取工作表「%s」，文件可能已损坏", sheet)
	}
	defer rows.Close()
	var (
		lay         layout
		found       bool
		top         [][]string
		data        []row
		exampleSeen bool
		rowNum      int
	)
	add := func(num int, cols []string) *FileError {
		var r row
		r.num = num
		blank := true
		for i, c := range lay.col {
			if c >= 0 && c < len(cols) {
				r.vals[i] = candidate.Clean(cols[c])
			}
			if r.vals[i] != "" {
				blank = false
			}
		}
		if blank {
			return nil
		}
		if hasExample && r.vals == example {
			exampleSeen = true
			return nil
		}
		if len(data) == MaxRows {
			return fileErr(FileTooManyRows, nil, "数据超过 %d 行（第 %d 行起超出），请分成多个文件导入", MaxRows, num)
		}
		data = append(data, r)
		return nil
	}
	header := func() *FileError {
		var ferr *FileError
		if lay, ferr = findHeader(sheet, top); ferr != nil {
			return ferr
		}
		found = true
		for i := lay.header; i < len(top); i++ {
			if ferr := add(i+1, top[i]); ferr != nil {
				return ferr
			}
		}
		top = nil
		return nil
	}
	for rows.Next() {
		rowNum++
		cols, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return layout{}, nil, false, fileErr(FileUnreadable, err, "读取第 %d 行失败，文件可能已损坏", rowNum)
		}
		if found {
			if ferr := add(rowNum, cols); ferr != nil {
				return layout{}, nil, false, ferr
			}
			continue
		}
		top = append(top, cols)
		if rowNum == headerSearchRows {
			if ferr := header(); ferr != nil {
				return layout{}, nil, false, ferr
			}
		}
	}
	if err := rows.Error(); err != nil {
		return layout{}, nil, false, fileErr(FileUnreadable, err, "读取工作表「%s」失败（第 %d 行附近），文件可能已损坏", sheet, rowNum)
	}
	if !found {
		if ferr := header(); ferr != nil {
			return layout{}, nil, false, ferr
		}
	}
	return lay, data, exampleSeen, nil
}

func importSheet(src []byte, f *excelize.File, scope candidate.Scope) (*candidate.Result, error) {
	sheet := dataSheet(f)
	k := candidate.NewChecker(scope)
	example, hasExample := exampleRow(scope)
	lay, data, exampleSeen, ferr := readRows(f, sheet, example, hasExample)
	if ferr != nil {
		return nil, ferr
	}
	if len(data) == 0 {
		if exampleSeen {
			return nil, fileErr(FileNoRows, nil, "文件中只有模板的示例行，没有合格人员数据；请删除示例行，在表头下方填写合格人员")
		}
		return nil, fileErr(FileNoRows, nil, "文件中没有合格人员数据：请在表头（第 %d 行）下方每行填写一名合格人员", lay.header)
	}

	// IDs that came from numeric cells: Excel keeps 15 significant digits,
	// so the last ones are gone whatever the cell shows.
	var fromNumber map[int]bool
	for _, r := range data {
		if numberLike(r.vals[iID]) {
			var err error
			if fromNumber, err = numericCells(src, sheet, lay.col[iID], data[len(data)-1].num); err != nil {
				return nil, fileErr(FileUnreadable, err, "无法读取工作表「%s」，文件可能已损坏", sheet)
			}
			break
		}
	}

	type seenID struct {
		row  int
		name string
	}
	res := &candidate.Result{Columns: lay.columns()}
	var (
		dups  = make(map[string]int)    // ID|code|level => first row
		names = make(map[string]seenID) // ID => first row and name
	)
	for _, r := range data {
		v := r.vals
		c, ferrs := k.Check(candidate.Raw{
			Name: v[iName], IDNumber: v[iID], Gender: v[iGender], WorkUnit: v[iWorkUnit],
			Occupation: v[iOccupation], Level: v[iLevel], Phone: v[iPhone], Remark: v[iRemark],
			IDFromNumber: fromNumber[r.num],
		})
		c.Row = r.num
		nerr := len(res.Errors)
		bad := make(map[string]bool, len(ferrs))
		for _, fe := range ferrs {
			bad[fe.Column] = true
			res.Errors = append(res.Errors, res.RowError(r.num, fe.Column, fe.Message))
		}
		if !bad[candidate.ColIDNumber] && hasExample && c.IDNumber == example[iID] {
			res.Errors = append(res.Errors, res.RowError(r.num, candidate.ColIDNumber, "这是模板示例行的身份证号，请填写合格人员的真实身份证号，或删除示例行"))
			bad[candidate.ColIDNumber] = true
		}
		if v[iRemark] == ExampleRemark {
			res.Errors = append(res.Errors, res.RowError(r.num, candidate.ColRemark, "本行带有示例行的说明：若是示例行请整行删除，若是真实数据请删除该备注"))
		}
		if !bad[candidate.ColIDNumber] && !bad[candidate.ColName] {
			if prev, ok := names[c.IDNumber]; !ok {
				names[c.IDNumber] = seenID{r.num, c.Name}
			} else if prev.name != c.Name {
				res.Errors = append(res.Errors, res.RowError(r.num, candidate.ColName,
					fmt.Sprintf("与第 %d 行身份证号相同，但姓名「%s」与第 %d 行的「%s」不一致", prev.row, c.Name, prev.row, prev.name)))
			}
		}
		if !bad[candidate.ColIDNumber] && !bad[candidate.ColOccupation] && !bad[candidate.ColLevel] {
			key := c.IDNumber + "|" + c.OccupationCode + "|" + strconv.Itoa(c.Level)
			if first, ok := dups[key]; ok {
				res.Errors = append(res.Errors, res.RowError(r.num, candidate.ColIDNumber,
					fmt.Sprintf("与第 %d 行重复：同一身份证号、同一职业（工种）和等级只能登记一次", first)))
			} else {
				dups[key] = r.num
			}
		}
		if len(res.Errors) == nerr {
			res.Candidates = append(res.Candidates, c)
		}
	}
	return res, nil
}

// numberLike reports a value that could be the text of a number: digits
// with at most a sign, a decimal point and an exponent.
func numberLike(s string) bool {
	digit := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digit = true
		case c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-':
		default:
			return false
		}
	}
	return digit
}
