package sheets

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// The conventions of every workbook this package writes (template,
// annotated copy, exports): one named font, text that can never become a
// formula, rows as tall as their wrapped text, and a page setup that prints.

// The font of every cell: 宋体 (SimSun) is on every Chinese Windows, is WPS's
// own default and is one of the names LibreOffice maps to the installed
// Song/Ming face; it carries its own Latin letters and digits, so numbers do
// not fall back to a serif Latin face. Charset 134 (GB2312) tells Excel and
// WPS it is a Chinese font.
const (
	FontName    = "宋体"
	fontCharset = 134
	fontSize    = 11
)

// maxCellRunes keeps a value under Excel's 32,767-character cell limit.
const maxCellRunes = 32000

// neutralize is the one gate of every string this package writes into a
// cell. It removes the characters XML cannot carry, keeps the value under
// the cell limit and reports whether a spreadsheet would read it as a
// formula; the caller then writes it as a text cell with the quote-prefix
// style (book.text), so it stays inert when a person edits the cell, and
// the person's data carries no apostrophe.
func neutralize(s string) (v string, formulaLike bool) {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) > maxCellRunes && utf8.RuneCountInString(s) > maxCellRunes {
		s = string([]rune(s)[:maxCellRunes]) + "…"
	}
	return s, startsLikeFormula(s)
}

// startsLikeFormula reports a value a spreadsheet could take for a formula
// when it is typed or imported as plain text: it starts with = + - @ (or
// their full-width forms, which input methods turn into them), a tab or a
// line break. Workbooks keep such values as quote-prefixed text cells;
// plain-text formats without cell types (the CSV log archive) prefix an
// apostrophe instead.
func startsLikeFormula(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠':
		return true
	}
	return false
}

// book wraps a workbook being written with the package's conventions.
type book struct {
	f      *excelize.File
	quoted map[int]int // style => its twin with the quote-prefix flag
}

func newBook(f *excelize.File) *book { return &book{f: f, quoted: map[int]int{}} }

var charset = fontCharset

// style creates a cell style in the package font (unless it names another).
func (b *book) style(s excelize.Style) (int, error) {
	fnt := excelize.Font{}
	if s.Font != nil {
		fnt = *s.Font
	}
	if fnt.Family == "" {
		fnt.Family = FontName
		fnt.Charset = &charset
	}
	if fnt.Size == 0 {
		fnt.Size = fontSize
	}
	s.Font = &fnt
	return b.f.NewStyle(&s)
}

// quote returns the twin of a style that also has the quote-prefix flag: a
// cell with it is text even when a person edits it and presses Enter, and
// no apostrophe shows in the cell. excelize has no option for the flag, so
// the twin is a copy of the cell format record with the flag set, added
// after the original: NewStyle, which returns the first matching record,
// keeps handing out the original.
func (b *book) quote(id int) (int, error) {
	if q, ok := b.quoted[id]; ok {
		return q, nil
	}
	if _, err := b.f.GetStyle(id); err != nil { // loads the style sheet
		return 0, err
	}
	xfs := b.f.Styles.CellXfs
	if xfs == nil || id < 0 || id >= len(xfs.Xf) {
		return 0, fmt.Errorf("quote style %d: no such cell format", id)
	}
	if p := xfs.Xf[id].QuotePrefix; p != nil && *p {
		b.quoted[id] = id
		return id, nil
	}
	xf := xfs.Xf[id]
	on := true
	xf.QuotePrefix = &on
	xfs.Xf = append(xfs.Xf, xf)
	xfs.Count = len(xfs.Xf)
	q := len(xfs.Xf) - 1
	b.quoted[id], b.quoted[q] = q, q
	return q, nil
}

// isQuoted reports whether a style has the quote-prefix flag.
func (b *book) isQuoted(id int) bool {
	if _, err := b.f.GetStyle(id); err != nil {
		return false
	}
	xfs := b.f.Styles.CellXfs
	if xfs == nil || id < 0 || id >= len(xfs.Xf) {
		return false
	}
	p := xfs.Xf[id].QuotePrefix
	return p != nil && *p
}

// text writes s into a cell as text, through neutralize.
func (b *book) text(sheet, cell, s string, style int) error {
	v, formula := neutralize(s)
	if formula {
		var err error
		if style, err = b.quote(style); err != nil {
			return err
		}
	}
	if err := b.f.SetCellStr(sheet, cell, v); err != nil {
		return err
	}
	if style == 0 {
		return nil
	}
	return b.f.SetCellStyle(sheet, cell, cell, style)
}

// textRow writes values as text from the cell start rightwards.
func (b *book) textRow(sheet, start string, values []string, style int) error {
	col, row, err := excelize.CellNameToCoordinates(start)
	if err != nil {
		return err
	}
	for i, v := range values {
		cell, err := excelize.CoordinatesToCellName(col+i, row)
		if err != nil {
			return err
		}
		if err := b.text(sheet, cell, v, style); err != nil {
			return err
		}
	}
	return nil
}

// streamText is text for the stream writer.
func (b *book) streamText(s string, style int) (excelize.Cell, error) {
	v, formula := neutralize(s)
	if formula {
		var err error
		if style, err = b.quote(style); err != nil {
			return excelize.Cell{}, err
		}
	}
	return excelize.Cell{StyleID: style, Value: v}, nil
}

// Page setup of every sheet: A4 landscape, every column on one page wide
// (as many pages tall as needed), the header rows repeated on each page,
// narrow margins, centred, and page numbers in the footer.
const (
	paperA4      = 9
	marginSide   = 0.4 // inches
	marginTopBot = 0.6
	marginHdrFtr = 0.3
)

// printSetup gives a sheet the page setup; titleRows is the last row to
// repeat on every page (rows firstTitle..titleRows), 0 for none.
func printSetup(f *excelize.File, sheet string, firstTitle, titleRows int) error {
	landscape, one, tall := "landscape", 1, 0
	size := paperA4
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Size: &size, Orientation: &landscape, FitToWidth: &one, FitToHeight: &tall,
	}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	side, tb, hf, centre := marginSide, marginTopBot, marginHdrFtr, true
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{
		Left: &side, Right: &side, Top: &tb, Bottom: &tb, Header: &hf, Footer: &hf, Horizontally: &centre,
	}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: "&C第 &P 页，共 &N 页"}); err != nil {
		return err
	}
	if titleRows <= 0 {
		return nil
	}
	const printTitles = "_xlnm.Print_Titles"
	for _, dn := range f.GetDefinedName() {
		if dn.Name == printTitles && dn.Scope == sheet {
			if err := f.DeleteDefinedName(&excelize.DefinedName{Name: printTitles, Scope: sheet}); err != nil {
				return err
			}
		}
	}
	return f.SetDefinedName(&excelize.DefinedName{
		Name:     printTitles,
		RefersTo: fmt.Sprintf("%s!$%d:$%d", quoteSheet(sheet), max(firstTitle, 1), titleRows),
		Scope:    sheet,
	})
}

// quoteSheet quotes a sheet name for a reference.
func quoteSheet(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// displayWidth approximates the width of a value in Excel's column units
// (the width of a digit): one for ASCII and other narrow letters, two for
// a wide character. In 宋体 the CJK punctuation, the curly quotes, the
// middle dot and most symbols are wide too.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if isWide(r) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func isWide(r rune) bool {
	switch {
	case r < 0xB7:
		return false
	case r == 0xB7, r == 0xD7, r == 0xF7:
		return true
	case r < 0x1100:
		return false
	}
	return r <= 0x115F || r >= 0x2010 && r <= 0x206F || r >= 0x2190 && r <= 0x27BF || r >= 0x2E80 && r <= 0xA4CF ||
		r >= 0xAC00 && r <= 0xD7A3 || r >= 0xF900 && r <= 0xFAFF || r >= 0xFE30 && r <= 0xFE4F ||
		r >= 0xFF00 && r <= 0xFF60 || r >= 0xFFE0 && r <= 0xFFE6 || r >= 0x20000
}

// wrappedLines is how many lines s takes in a wrapping cell of the given
// width (in column units), allowing a unit of padding and breaking at every
// line break.
func wrappedLines(s string, width float64) int {
	usable := max(width-1.5, 1)
	lines := 0
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		lines += max(1, int(math.Ceil(float64(displayWidth(p))/usable)))
	}
	return lines
}

// maxRowHeight is Excel's limit, in points.
const maxRowHeight = 409

// rowHeight is the height in points of a row showing lines of text in a
// font of size points (line spacing 1.35 as 宋体 needs, plus padding).
func rowHeight(lines int, size float64) float64 {
	return min(math.Ceil(float64(lines)*size*1.35+4), maxRowHeight)
}
