package sheets

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"certreg/candidate"
)

// Kind is how the values of an export column are stored.
type Kind int

// Kinds of export columns.
const (
	// Text values (string) are text cells: identifiers such as
	// certificate, ID and organisation codes keep every digit and leading
	// zero, and nothing typed by a person can become a formula.
	Text Kind = iota
	// Number values (int, int64, uint64, float64) are numbers that add up.
	Number
	// Date values (time.Time) are dates shown as 2026年5月1日: the calendar
	// day of the value in its own location. The zero time is an empty cell.
	Date
)

// Column is one column of an export.
type Column struct {
	Header string
	Kind   Kind
}

// Table is a list to export as a workbook of one sheet.
type Table struct {
	Sheet   string // sheet name; made valid (at most 31 characters, no : \ / ? * [ ])
	Title   string // optional title row above the header, e.g. the filters and the date
	Columns []Column
	Rows    [][]any // one value per column, of the column's kind; nil is an empty cell
}

// DateFormat is the number format of Date columns.
const DateFormat = `yyyy"年"m"月"d"日"`

// widthSample is how many rows Export measures to size its columns.
const widthSample = 500

// Export writes a table as .xlsx with the streaming writer: a bold, frozen
// header (below the title, if any) repeated on every printed page, column
// widths fitted to the header and the first rows, values typed by their
// column's Kind, and the package's font and page setup. Callers pass values
// already masked (idcard.Mask, idcard.MaskPhone) where the list requires it.
func Export(w io.Writer, t Table) error {
	f := excelize.NewFile()
	defer f.Close()
	b := newBook(f)
	if err := f.SetDefaultFont(FontName); err != nil {
		return err
	}
	name := sheetName(t.Sheet)
	if name != "Sheet1" {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return fmt.Errorf("export sheet name %q: %w", name, err)
		}
	}
	st, err := exportStyles(b)
	if err != nil {
		return err
	}
	ncol := len(t.Columns)
	headerRow := 1
	if t.Title != "" {
		headerRow = 2
	}
	if err := printSetup(f, name, headerRow, headerRow); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	for i, c := range t.Columns {
		if err := sw.SetColWidth(i+1, i+1, columnWidth(c, t.Rows, i)); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: cellName(0, headerRow+1), ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if t.Title != "" {
		cell, err := b.streamText(t.Title, st.title)
		if err != nil {
			return err
		}
		if err := sw.SetRow("A1", []any{cell}, excelize.RowOpts{Height: rowHeight(1, titleSize)}); err != nil {
			return err
		}
		if ncol > 1 {
			if err := sw.MergeCell("A1", cellName(ncol-1, 1)); err != nil {
				return err
			}
		}
	}
	cells := make([]any, ncol)
	for i, c := range t.Columns {
		if cells[i], err = b.streamText(c.Header, st.header); err != nil {
			return err
		}
	}
	if err := sw.SetRow(cellName(0, headerRow), cells, excelize.RowOpts{Height: 20}); err != nil {
		return err
	}
	for j, r := range t.Rows {
		rowNum := headerRow + 1 + j
		if len(r) > ncol {
			return fmt.Errorf("export row %d: %d values for %d columns", rowNum, len(r), ncol)
		}
		cells = cells[:len(r)]
		for i, v := range r {
			if cells[i], err = b.exportCell(t.Columns[i].Kind, v, st); err != nil {
				return fmt.Errorf("export row %d, column %q: %w", rowNum, t.Columns[i].Header, err)
			}
		}
		if err := sw.SetRow(cellName(0, rowNum), cells); err != nil {
			return fmt.Errorf("export row %d: %w", rowNum, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

// exportStyleIDs are the styles of an export.
type exportStyleIDs struct {
	title, header, text, number, date int
}

func exportStyles(b *book) (exportStyleIDs, error) {
	var st exportStyleIDs
	var err error
	if st.title, err = b.style(excelize.Style{
		NumFmt:    49,
		Font:      &excelize.Font{Bold: true, Size: titleSize},
		Alignment: &excelize.Alignment{Vertical: "center"},
	}); err != nil {
		return st, err
	}
	if st.header, err = b.style(excelize.Style{
		NumFmt:    49,
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	}); err != nil {
		return st, err
	}
	if st.text, err = b.style(excelize.Style{NumFmt: 49}); err != nil {
		return st, err
	}
	if st.number, err = b.style(excelize.Style{NumFmt: 0}); err != nil {
		return st, err
	}
	dateFmt := DateFormat
	if st.date, err = b.style(excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Horizontal: "left"}}); err != nil {
		return st, err
	}
	return st, nil
}

// exportCell is one value of an export, typed by its column's kind.
func (b *book) exportCell(k Kind, v any, st exportStyleIDs) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case Number:
		switch n := v.(type) {
		case int, int64, uint64, float64:
			return excelize.Cell{StyleID: st.number, Value: n}, nil
		}
	case Date:
		if t, ok := v.(time.Time); ok {
			if t.IsZero() {
				return nil, nil
			}
			return excelize.Cell{StyleID: st.date, Value: excelDay(t)}, nil
		}
	default:
		if s, ok := v.(string); ok {
			return b.streamText(s, st.text)
		}
	}
	return nil, fmt.Errorf("value %v (%T) does not fit a column of kind %d", v, v, k)
}

// excelDay is the serial number Excel stores for the calendar day of t.
func excelDay(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// columnWidth fits a column to its header and the first rows.
func columnWidth(c Column, rows [][]any, i int) float64 {
	wd := displayWidth(c.Header)
	for j, r := range rows {
		if j >= widthSample {
			break
		}
		if i >= len(r) || r[i] == nil {
			continue
		}
		switch v := r[i].(type) {
		case string:
			wd = max(wd, min(displayWidth(v), 100))
		case time.Time:
			wd = max(wd, displayWidth("2026年12月31日"))
		default:
			wd = max(wd, len(strconv.Quote(fmt.Sprint(v)))-2)
		}
	}
	return float64(min(max(wd+2, 8), 60))
}

// sheetName makes a valid sheet name: no : \ / ? * [ ], not starting or
// ending with a quote, at most 31 characters, not empty.
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, candidate.Clean(s))
	s = strings.Trim(s, "'")
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	if s == "" {
		return "Sheet1"
	}
	return s
}
