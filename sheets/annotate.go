package sheets

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// errorFill is the fill of a bad cell (Excel's light red for "bad").
const errorFill = "FFC7CE"

// Annotate writes back the uploaded workbook src with every cell named in
// errs filled red and carrying a comment with its messages (several messages
// on one cell are joined), and a 错误说明 column at the end of the data sheet
// summarising each bad row. The marks of an earlier Annotate are removed
// first, so a corrected, re-uploaded copy only shows its current errors.
func Annotate(src []byte, errs []RowError, w io.Writer) error {
	f, ferr := open(src)
	if ferr != nil {
		return ferr
	}
	defer f.Close()
	if err := annotate(f, errs); err != nil {
		return fmt.Errorf("annotate workbook: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write annotated workbook: %w", err)
	}
	return nil
}

func annotate(f *excelize.File, errs []RowError) error {
	sh := dataSheet(f)
	fills := &fillCache{f: f, red: map[int]int{}, plain: map[int]int{}}

	// Remove our earlier comments and their red fills.
	old, err := f.GetComments(sh)
	if err != nil {
		return err
	}
	for _, c := range old {
		// Row 1 holds the template's help comments, which stay.
		if _, row, err := excelize.CellNameToCoordinates(c.Cell); err != nil || row < 2 || c.Author != author {
			continue
		}
		if err := f.DeleteComment(sh, c.Cell); err != nil {
			return err
		}
		if err := fills.set(sh, c.Cell, false); err != nil {
			return err
		}
	}

	// Group messages by cell and by row, keeping their order.
	var cells []string
	byCell := map[string][]string{}
	var rowsInOrder []int
	byRow := map[int][]string{}
	for _, e := range errs {
		if e.Row < 2 {
			continue
		}
		if e.Cell != "" {
			if _, ok := byCell[e.Cell]; !ok {
				cells = append(cells, e.Cell)
			}
			byCell[e.Cell] = append(byCell[e.Cell], e.Message)
		}
		if _, ok := byRow[e.Row]; !ok {
			rowsInOrder = append(rowsInOrder, e.Row)
		}
		s := e.Message
		if e.Column != "" {
			s = "「" + e.Column + "」" + s
		}
		byRow[e.Row] = append(byRow[e.Row], s)
	}

	for _, cell := range cells {
		if err := fills.set(sh, cell, true); err != nil {
			return err
		}
		// A cell holds one comment: replace any the user left there.
		_ = f.DeleteComment(sh, cell)
		msgs := byCell[cell]
		if err := f.AddComment(sh, excelize.Comment{
			Cell: cell, Author: author, Text: strings.Join(msgs, "\n"),
			Width: 300, Height: uint(40 + 30*len(msgs)),
		}); err != nil {
			return err
		}
	}

	// The 错误说明 column: reuse it if present, else add it after the last
	// header cell.
	all, err := f.GetRows(sh)
	if err != nil {
		return err
	}
	var header []string
	if len(all) > 0 {
		header = all[0]
	}
	errCol := max(len(header), numCols) + 1
	for i, h := range header {
		if clean(h) == ColErrors {
			errCol = i + 1
			break
		}
	}
	colName, err := excelize.ColumnNumberToName(errCol)
	if err != nil {
		return err
	}
	headStyle, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "C00000"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{errorFill}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	})
	if err != nil {
		return err
	}
	textStyle, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Color: "C00000"},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
	})
	if err != nil {
		return err
	}
	if err := f.SetCellStr(sh, colName+"1", ColErrors); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, colName+"1", colName+"1", headStyle); err != nil {
		return err
	}
	if err := f.SetColWidth(sh, colName, colName, 60); err != nil {
		return err
	}
	// Clear summaries of rows that are now correct.
	for r := 2; r <= len(all); r++ {
		if _, bad := byRow[r]; bad || errCol > len(all[r-1]) || all[r-1][errCol-1] == "" {
			continue
		}
		if err := f.SetCellStr(sh, fmt.Sprintf("%s%d", colName, r), ""); err != nil {
			return err
		}
	}
	for _, r := range rowsInOrder {
		cell := fmt.Sprintf("%s%d", colName, r)
		if err := f.SetCellStr(sh, cell, strings.Join(byRow[r], "；")); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cell, cell, textStyle); err != nil {
			return err
		}
	}
	return nil
}

// fillCache derives, once per existing style, the same style with the error
// fill (red) or without any fill (plain).
type fillCache struct {
	f          *excelize.File
	red, plain map[int]int
}

func (c *fillCache) set(sheet, cell string, red bool) error {
	id, err := c.f.GetCellStyle(sheet, cell)
	if err != nil {
		return err
	}
	cache := c.plain
	if red {
		cache = c.red
	}
	nid, ok := cache[id]
	if !ok {
		st, err := c.f.GetStyle(id)
		if err != nil {
			return err
		}
		if red {
			st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{errorFill}}
		} else if isErrorFill(st.Fill) {
			st.Fill = excelize.Fill{}
		}
		if nid, err = c.f.NewStyle(st); err != nil {
			return err
		}
		cache[id] = nid
	}
	return c.f.SetCellStyle(sheet, cell, cell, nid)
}

// isErrorFill reports our red fill, in RGB or ARGB form.
func isErrorFill(fl excelize.Fill) bool {
	if len(fl.Color) != 1 {
		return false
	}
	c := strings.ToUpper(strings.TrimPrefix(fl.Color[0], "#"))
	return c == errorFill || c == "FF"+errorFill
}
