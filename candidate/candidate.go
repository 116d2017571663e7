// Package candidate owns the candidate model: a person a training unit puts
// forward for a certificate (合格人员), the rules a candidate must meet, and
// the names of the columns those rules speak about. The Excel layer
// (sheets) reads and writes candidates; the store saves them and adds the
// rules that need the database. Neither owns the model, so both import this
// package and it imports neither.
//
// # Rules of one candidate (CheckRaw)
//
// Every field is trimmed first (spaces, the full-width space, zero-width
// characters of copy and paste).
//
//   - 姓名 (required, at most 30 characters): see "Names" below.
//   - 身份证号 (required): 18 characters, GB 11643 check digit and a real birth
//     date not after today; full-width digits, inner spaces and a lower-case x
//     are normalised first. A value that came from a numeric spreadsheet cell
//     (Raw.IDFromNumber), or that looks like one ("3.40102E+17"), is refused
//     whatever its digits: a number keeps 15 significant digits, so the last
//     ones are lost.
//   - 性别 (optional): 男 or 女 and equal to what the ID says; filled from the
//     ID when empty.
//   - 工作单位 (required, at most 100 characters, no control characters): free
//     text. It may start with = + - @; the Excel layer keeps such values
//     inert when it writes them.
//   - 职业（工种） (required): in the organisation's scope, given by name, by
//     3-digit code (also "12" when Excel dropped the zero) or as "012 砌筑工".
//   - 等级 (required): a level name or code, allowed for that occupation.
//   - 手机号码 (optional): an 11-digit mainland mobile; spaces, hyphens and a
//     +86 prefix are removed.
//   - 备注 (optional, at most 200 characters): free text; line breaks allowed.
//
// # Names
//
// A 姓名 is either Chinese or, for a foreign holder, Latin:
//
//   - Chinese: ideographs of CJK Unified Ideographs and every extension
//     (A to J), 〇, and the twelve unified ideographs of the compatibility
//     block (e.g. 﨑 U+FA11). The name is put in Unicode NFC first, so a
//     compatibility ideograph that merely duplicates a unified one (e.g.
//     U+F900) is stored as that unified ideograph, which looks the same.
//     Minority and transliterated foreign names join their parts with the
//     middle dot · (U+00B7), one at a time and only between two ideographs
//     ("阿卜杜·热合曼"). The dots people type instead are stored as U+00B7:
//     the bullet • U+2022, the hyphenation point ‧ U+2027, ∙ U+2219,
//     ⋅ U+22C5, the katakana middle dots ・ U+30FB and ･ U+FF65, ⸱ U+2E31
//     and · U+0387. Full stops (. ． 。) and hyphens are not middle dots and
//     are refused with a hint to type ·. Spaces inside a Chinese name
//     (often typed to align two-character names, "王　芳") are removed.
//   - Latin, for foreign holders: letters A–Z and a–z (full-width letters
//     become ASCII) and the accented letters of Latin-1 and Latin
//     Extended-A/B, words separated by one space (runs of spaces become
//     one). Hyphens and apostrophes are refused, as in the machine-readable
//     line of a passport: type a space instead.
//
// A name mixing ideographs and Latin letters, and any other character
// (digits, punctuation, symbols, = + - @ in front, control characters,
// invisible characters), is refused, and the message names the character
// and its code point.
//
// Characters the certificate printer cannot draw can be refused too: the
// program that wires the printer sets SetPrintable at start.
package candidate

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Occupation is one occupation an organisation may certify.
type Occupation struct {
	Code   string // 3 digits, e.g. "012"
	Name   string // e.g. "砌筑工"
	Levels []int  // level codes (data.Levels) allowed for this organisation
}

// Scope is what an organisation may certify.
type Scope struct {
	Occupations []Occupation
}

// Candidate is one checked candidate.
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

	// IDFromNumber says the ID number was read from a numeric spreadsheet
	// cell: its last digits are lost whatever the text looks like.
	IDFromNumber bool
}

// FieldError is a rule broken by one field of one candidate.
type FieldError struct {
	Column  string // header name, e.g. "身份证号"
	Message string // Chinese, without the column name
}

// RowError is a rule broken by one cell (or, with Column "", by a whole row)
// of a list of candidates.
type RowError struct {
	Row     int    // 1-based sheet row (or position in a list)
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

// Result is the outcome of checking a list of candidates read from a sheet.
//
// Candidates holds the rows that passed every check; Errors the rows that did
// not, in sheet order. When Errors is not empty the list as a whole is
// refused: the caller must not save any candidate of it (Candidates is then
// only partial).
type Result struct {
	Candidates []Candidate
	Errors     []RowError

	// Columns is where each candidate column sits in the source sheet
	// (0-based column index), so that a rule applied later names the right
	// cell. A column absent from the map is placed as in the template.
	Columns map[string]int
}

// OK reports whether the list can be saved: no row has an error.
func (r *Result) OK() bool { return len(r.Errors) == 0 }

// RowError builds a RowError of this result's sheet: the cell is named from
// Columns (or the template's order); an unknown or empty column gives a
// row-level error without a cell.
func (r *Result) RowError(row int, column, msg string) RowError {
	e := RowError{Row: row, Column: column, Message: msg}
	i, ok := r.Columns[column]
	if !ok {
		i = ColumnIndex(column)
	}
	if i >= 0 && row > 0 && column != "" {
		e.Cell = CellName(i, row)
	}
	return e
}

// Refuse moves the candidates for which rule returns a message from
// Candidates to Errors, keeping Errors in sheet order.
func (r *Result) Refuse(rule func(c Candidate) (column, message string)) {
	kept := r.Candidates[:0]
	added := false
	for _, c := range r.Candidates {
		if col, msg := rule(c); msg != "" {
			r.Errors = append(r.Errors, r.RowError(c.Row, col, msg))
			added = true
			continue
		}
		kept = append(kept, c)
	}
	clear(r.Candidates[len(kept):])
	r.Candidates = kept
	if added {
		sort.SliceStable(r.Errors, func(i, j int) bool { return r.Errors[i].Row < r.Errors[j].Row })
	}
}

// Column headers, in the template's order.
const (
	ColName       = "姓名"
	ColIDNumber   = "身份证号"
	ColGender     = "性别"
	ColWorkUnit   = "工作单位"
	ColOccupation = "职业（工种）"
	ColLevel      = "等级"
	ColPhone      = "手机号码"
	ColRemark     = "备注"
)

// Text limits, in characters (runes).
const (
	MaxNameLen     = 30
	MaxWorkUnitLen = 100
	MaxRemarkLen   = 200
)

var columns = [...]string{ColName, ColIDNumber, ColGender, ColWorkUnit, ColOccupation, ColLevel, ColPhone, ColRemark}

// Required reports the columns a list must have.
var required = [len(columns)]bool{true, true, false, true, true, true, false, false}

// Columns returns the candidate column headers in the template's order.
func Columns() []string { return append([]string(nil), columns[:]...) }

// Required reports whether a list must have the column (by index in
// Columns()).
func Required(i int) bool { return i >= 0 && i < len(required) && required[i] }

// ColumnIndex returns the index of a column header in Columns(), or -1.
func ColumnIndex(name string) int {
	for i, c := range columns {
		if c == name {
			return i
		}
	}
	return -1
}

// CellName names a cell by 0-based column and 1-based row, e.g. (1, 5) is
// "B5" and (27, 2) is "AB2".
func CellName(col, row int) string {
	return ColumnLetters(col) + strconv.Itoa(row)
}

// ColumnLetters returns the letters of a 0-based column: A … Z, AA ….
func ColumnLetters(col int) string {
	var b []byte
	for col++; col > 0; col = (col - 1) / 26 {
		b = append(b, byte('A'+(col-1)%26))
	}
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// Clean trims spaces, including the full-width space and the zero-width
// characters that come with copy and paste.
func Clean(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || isZeroWidth(r)
	})
}

func isZeroWidth(r rune) bool {
	return r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff'
}

// Fold makes a lookup key for codes and names: no spaces, ASCII digits,
// full-width parentheses and slash (the forms used in the catalogue).
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), isZeroWidth(r):
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
