package sheets

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Checks every generated workbook must pass, as the files themselves say
// (not through the code that wrote them).

// quotePrefixed reports whether a cell's style has the quote-prefix flag.
func quotePrefixed(t testing.TB, f *excelize.File, sheet, cell string) bool {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetStyle(id); err != nil {
		t.Fatal(err)
	}
	p := f.Styles.CellXfs.Xf[id].QuotePrefix
	return p != nil && *p
}

// isNumberCell reports a cell stored as a number (Excel writes no type for
// numbers, or type "n").
func isNumberCell(t testing.TB, f *excelize.File, sheet, cell string) bool {
	t.Helper()
	typ, err := f.GetCellType(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	return (typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset) && v != ""
}

// numFmtOf is a cell's number format code ("@" for text).
func numFmtOf(t testing.TB, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, _ := f.GetCellStyle(sheet, cell)
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case st.CustomNumFmt != nil:
		return *st.CustomNumFmt
	case st.NumFmt == 49:
		return "@"
	case st.NumFmt == 0:
		return "General"
	}
	return "builtin"
}

func zipParts(t testing.TB, raw []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		parts[f.Name] = b
	}
	return parts
}

var formulaElement = regexp.MustCompile(`<(\w+:)?f[\s>/]`)

// assertNoFormulas checks no sheet of a workbook holds a formula.
func assertNoFormulas(t testing.TB, raw []byte) {
	t.Helper()
	for name, b := range zipParts(t, raw) {
		if strings.HasPrefix(name, "xl/worksheets/") && formulaElement.Match(b) {
			t.Errorf("%s holds a formula", name)
		}
	}
}

// assertInert checks that no cell of any sheet holds a formula and that
// every value a spreadsheet could read as a formula is a quote-prefixed
// text cell shown exactly as written (no apostrophe).
func assertInert(t testing.TB, raw []byte) { assertInertWhere(t, raw, nil) }

// assertInertWhere is assertInert for the cells only accepts (nil: all).
func assertInertWhere(t testing.TB, raw []byte, only func(sheet, cell string) bool) {
	t.Helper()
	assertNoFormulas(t, raw)
	f := openBytes(t, raw)
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				cell := cellName(c, r+1)
				if only != nil && !only(sh, cell) {
					continue
				}
				if strings.HasPrefix(v, "'") {
					t.Errorf("%s!%s shows an apostrophe: %q", sh, cell, v)
				}
				if !startsLikeFormula(v) {
					continue
				}
				if typ, _ := f.GetCellType(sh, cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
					t.Errorf("%s!%s = %q is not a text cell (%v)", sh, cell, v, typ)
				}
				if !quotePrefixed(t, f, sh, cell) {
					t.Errorf("%s!%s = %q is not quote-prefixed", sh, cell, v)
				}
			}
		}
	}
}

// assertNamedFonts checks that every font of the style sheet is named
// FontName.
func assertNamedFonts(t testing.TB, raw []byte) {
	t.Helper()
	var doc struct {
		Fonts []struct {
			Name *struct {
				Val string `xml:"val,attr"`
			} `xml:"name"`
		} `xml:"fonts>font"`
	}
	if err := xml.Unmarshal(zipParts(t, raw)["xl/styles.xml"], &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Fonts) == 0 {
		t.Fatal("no fonts")
	}
	for i, fnt := range doc.Fonts {
		if fnt.Name == nil || fnt.Name.Val != FontName {
			t.Errorf("font %d is %+v, want %s", i, fnt.Name, FontName)
		}
	}
}

// assertPageSetup checks A4 landscape, one page wide, margins, page
// numbers and the rows repeated on every page ("" for none).
func assertPageSetup(t testing.TB, f *excelize.File, sheet, titles string) {
	t.Helper()
	pl, err := f.GetPageLayout(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Size == nil || *pl.Size != 9 || pl.Orientation == nil || *pl.Orientation != "landscape" ||
		pl.FitToWidth == nil || *pl.FitToWidth != 1 || pl.FitToHeight == nil || *pl.FitToHeight != 0 {
		t.Errorf("%s page layout: size %v orientation %v fit %v×%v", sheet, deref(pl.Size), deref(pl.Orientation), deref(pl.FitToWidth), deref(pl.FitToHeight))
	}
	props, err := f.GetSheetProps(sheet)
	if err != nil || props.FitToPage == nil || !*props.FitToPage {
		t.Errorf("%s: fit to page not set (%v)", sheet, err)
	}
	m, err := f.GetPageMargins(sheet)
	if err != nil || m.Left == nil || *m.Left > 0.75 || m.Top == nil || *m.Top > 1 {
		t.Errorf("%s margins %+v %v", sheet, m, err)
	}
	hf, err := f.GetHeaderFooter(sheet)
	if err != nil || hf == nil || !strings.Contains(hf.OddFooter, "&P") {
		t.Errorf("%s footer %+v %v", sheet, hf, err)
	}
	var got string
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" && dn.Scope == sheet {
			got = dn.RefersTo
		}
	}
	if titles == "" && got != "" || titles != "" && !strings.HasSuffix(got, "!"+titles) {
		t.Errorf("%s print titles %q, want %q", sheet, got, titles)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// minHeight is the least row height, in points, that shows lines of text
// of an 11-point CJK font: Excel's own single-line height for it is 13.5.
func minHeight(lines int) float64 { return 13.5 * float64(lines) }

// linesOf is how many lines a text needs at least in a wrapped column of
// the given width: an ASCII character is one column unit, any other
// character two.
func linesOf(s string, width float64) int {
	units := 0
	for _, r := range s {
		units += 2
		if r < 0x80 {
			units--
		}
	}
	return int(math.Ceil(float64(units) / width))
}

func TestWrappedLines(t *testing.T) {
	tests := []struct {
		s     string
		width float64
		want  int
	}{
		{"", 60, 1},
		{"短", 60, 1},
		{strings.Repeat("长", 29), 60, 1},
		{strings.Repeat("长", 30), 60, 2}, // 60 units do not fit in 60 with the padding
		{strings.Repeat("长", 100), 60, 4},
		{"一\n二\n三", 60, 3},
		{strings.Repeat("x", 200), 60, 4},
	}
	for _, tc := range tests {
		if got := wrappedLines(tc.s, tc.width); got != tc.want {
			t.Errorf("wrappedLines(%d runes, %v) = %d, want %d", len([]rune(tc.s)), tc.width, got, tc.want)
		}
	}
	if h := rowHeight(4, 11); h < minHeight(4) || h > 409 {
		t.Errorf("rowHeight(4) = %v", h)
	}
	if h := rowHeight(100, 11); h != 409 {
		t.Errorf("rowHeight(100) = %v, want Excel's limit 409", h)
	}
}
