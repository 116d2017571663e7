package sheets

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Neutralize defuses a value that a spreadsheet could read as a formula
// (starting with = + - @, a tab or a carriage return) by prefixing a single
// quote, as OWASP advises for CSV and spreadsheet exports.
func Neutralize(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return "'" + s
	}
	return s
}

// maxCellRunes keeps a value under Excel's 32,767-character cell limit.
const maxCellRunes = 32000

// widthSample is how many rows Export measures to size its columns.
const widthSample = 500

// Export writes a list as .xlsx with the streaming writer: one sheet, a bold
// frozen header, column widths fitted to the header and the first rows, and
// every value written as text after Neutralize. Callers pass values already
// masked (idcard.Mask, idcard.MaskPhone) where the list requires it.
func Export(w io.Writer, sheet string, header []string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	name := sheetName(sheet)
	if name != "Sheet1" {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return fmt.Errorf("export sheet name %q: %w", name, err)
		}
	}
	bold, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	ncol := len(header)
	for _, r := range rows {
		ncol = max(ncol, len(r))
	}
	for i := 0; i < ncol; i++ {
		wd := 0
		if i < len(header) {
			wd = displayWidth(header[i])
		}
		for j, r := range rows {
			if j >= widthSample {
				break
			}
			if i < len(r) {
				wd = max(wd, displayWidth(r[i]))
			}
		}
		if err := sw.SetColWidth(i+1, i+1, float64(min(max(wd+2, 8), 60))); err != nil {
			return err
		}
	}
	if len(header) > 0 {
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	rowNum := 1
	if len(header) > 0 {
		cells := make([]any, len(header))
		for i, h := range header {
			cells[i] = excelize.Cell{StyleID: bold, Value: safeValue(h)}
		}
		if err := sw.SetRow("A1", cells, excelize.RowOpts{Height: 20}); err != nil {
			return err
		}
		rowNum++
	}
	cells := make([]any, ncol)
	for _, r := range rows {
		cells = cells[:len(r)]
		for i, v := range r {
			cells[i] = safeValue(v)
		}
		cell, err := excelize.CoordinatesToCellName(1, rowNum)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return fmt.Errorf("export row %d: %w", rowNum, err)
		}
		rowNum++
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

// safeValue neutralises a value, removes characters XML cannot carry and
// keeps it under the cell length limit.
func safeValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if utf8.RuneCountInString(s) > maxCellRunes {
		s = string([]rune(s)[:maxCellRunes]) + "…"
	}
	return Neutralize(s)
}

// sheetName makes a valid sheet name: no : \ / ? * [ ], not starting or
// ending with a quote, at most 31 characters, not empty.
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, clean(s))
	s = strings.Trim(s, "'")
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	if s == "" {
		return "Sheet1"
	}
	return s
}

// displayWidth approximates the width of a value in Excel columns: two for
// a wide (CJK) character, one otherwise.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115F || r >= 0x2E80 && r <= 0xA4CF || r >= 0xAC00 && r <= 0xD7A3 ||
			r >= 0xF900 && r <= 0xFAFF || r >= 0xFE30 && r <= 0xFE4F || r >= 0xFF00 && r <= 0xFF60 ||
			r >= 0xFFE0 && r <= 0xFFE6 || r >= 0x20000) {
			n += 2
		} else {
			n++
		}
		if n > 100 {
			break
		}
	}
	return n
}
