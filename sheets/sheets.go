// Package sheets owns everything Excel in the registration system: the
// candidate template a unit downloads, the import of a filled template with
// per-row errors, the annotated copy of a rejected upload, and a generic list
// export that is safe against formula injection. The row rules in CheckRaw
// are shared by the import and by online editing of a batch.
package sheets

import (
	"strconv"
	"strings"
	"unicode"
)

// Occupation is one occupation the caller's organisation may certify.
type Occupation struct {
	Code   string // 3 digits, e.g. "012"
	Name   string // e.g. "砌筑工"
	Levels []int  // level codes (data.Levels) allowed for this organisation
}

// Scope is what the caller's organisation may certify.
type Scope struct {
	Occupations []Occupation
}

// Candidate is one checked candidate row.
type Candidate struct {
	Row            int // 1-based sheet row, 0 for online edits
	Name           string
	IDNumber       string // normalised (idcard.Normalize) and valid
	Gender         string // 男 or 女, filled from the ID when left empty
	WorkUnit       string
	OccupationCode string
	OccupationName string
	Level          int
	Phone          string // 11 digits or ""
	Remark         string
}

// Raw is a candidate as typed by a user, in an online form or a sheet row.
type Raw struct {
	Name, IDNumber, Gender, WorkUnit, Occupation, Level, Phone, Remark string
}

// FieldError is a rule broken by one field of one candidate.
type FieldError struct {
	Column  string // header name, e.g. "身份证号"
	Message string // Chinese, without the column name
}

// RowError is a rule broken by one cell (or, with Column "", by a whole row)
// of an uploaded sheet.
type RowError struct {
	Row     int    // 1-based sheet row
	Column  string // header name, e.g. "身份证号"; "" for the whole row
	Cell    string // e.g. "B5"; "" for the whole row
	Message string // Chinese, without the row or column
}

// String renders the error as shown to users, e.g.
// 第 5 行「身份证号」(B5)：校验位错误.
func (e RowError) String() string {
	var b strings.Builder
	b.WriteString("第 ")
	b.WriteString(strconv.Itoa(e.Row))
	b.WriteString(" 行")
	if e.Column != "" {
		b.WriteString("「" + e.Column + "」")
	}
	if e.Cell != "" {
		b.WriteString("(" + e.Cell + ")")
	}
	b.WriteString("：")
	b.WriteString(e.Message)
	return b.String()
}

// Result is the outcome of an import that could read the file.
//
// Candidates holds the rows that passed every check; Errors the rows that did
// not, in sheet order. When Errors is not empty the upload as a whole is
// refused: the caller must not save any candidate of it (Candidates is then
// only partial), but show the errors and offer Annotate.
type Result struct {
	Candidates []Candidate
	Errors     []RowError
}

// OK reports whether the upload can be saved: no row has an error.
func (r *Result) OK() bool { return len(r.Errors) == 0 }

// Column headers, in sheet order.
const (
	ColName       = "姓名"
	ColIDNumber   = "身份证号"
	ColGender     = "性别"
	ColWorkUnit   = "工作单位"
	ColOccupation = "职业（工种）"
	ColLevel      = "等级"
	ColPhone      = "手机号码"
	ColRemark     = "备注"
	// ColErrors is the column Annotate adds at the end of an annotated
	// workbook; the import ignores it so a corrected copy can be uploaded.
	ColErrors = "错误说明"
)

// Text limits, in characters (runes).
const (
	MaxNameLen     = 30
	MaxWorkUnitLen = 100
	MaxRemarkLen   = 200
)

var columns = [...]string{ColName, ColIDNumber, ColGender, ColWorkUnit, ColOccupation, ColLevel, ColPhone, ColRemark}

const (
	iName = iota
	iID
	iGender
	iWorkUnit
	iOccupation
	iLevel
	iPhone
	iRemark
	numCols
)

// Columns returns the candidate column headers in sheet order.
func Columns() []string { return append([]string(nil), columns[:]...) }

// colLetter returns the column letter of a 0-based column index (< 26).
func colLetter(i int) string { return string(rune('A' + i)) }

// columnIndex returns the 0-based index of a candidate column header, or -1.
func columnIndex(name string) int {
	for i, c := range columns {
		if c == name {
			return i
		}
	}
	return -1
}

func cellName(col, row int) string { return colLetter(col) + strconv.Itoa(row) }

// clean trims spaces, including the full-width space and the zero-width
// characters that come with copy and paste.
func clean(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff'
	})
}

// fold makes a lookup key for codes and names: no spaces, ASCII digits,
// full-width parentheses and slash (the forms used in the catalogue).
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), r == '\u200b', r == '\ufeff':
		case r >= '０' && r <= '９':
			b.WriteByte(byte('0' + (r - '０')))
		case r == '(':
			b.WriteRune('（')
		case r == ')':
			b.WriteRune('）')
		case r == '／':
			b.WriteByte('/')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
