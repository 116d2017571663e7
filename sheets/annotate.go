package sheets

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/xuri/excelize/v2"

	"certreg/candidate"
)

// errorFill is the fill of a bad cell (Excel's light red for "bad").
const errorFill = "FFC7CE"

// errorsWidth is the width of the 错误说明 column.
const errorsWidth = 60

// Annotate writes back the uploaded workbook src with every cell named in
// errs filled red and carrying a comment with its messages (several messages
// on one cell are joined), and a 错误说明 column after the header's last
// column summarising each bad row, in rows tall enough to show it. The
// marks of an earlier Annotate are removed first, so a corrected,
// re-uploaded copy only shows its current errors; comments of others stay,
// except on a cell that gets a mark (a cell holds one comment).
//
// It works in one pass over the errors: the comments are written as whole
// parts at the end (writeComments), never added or deleted one by one.
func Annotate(src []byte, errs []candidate.RowError, w io.Writer) error {
	f, ferr := open(src)
	if ferr != nil {
		return ferr
	}
	defer f.Close()
	cmts, err := annotate(src, f, errs)
	if err != nil {
		return fmt.Errorf("annotate workbook: %w", err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return fmt.Errorf("write annotated workbook: %w", err)
	}
	if cmts == nil {
		_, err := w.Write(buf.Bytes())
		return err
	}
	if err := writeComments(buf.Bytes(), dataSheet(f), cmts, w); err != nil {
		return fmt.Errorf("write annotated workbook: %w", err)
	}
	return nil
}

// annotateLayout reads the header of the data sheet (streaming its first
// rows only) and, scanning the sheet's tags, the rows whose 错误说明 is not
// empty (when the column exists) and the rows' own heights.
func annotateLayout(src []byte, f *excelize.File, sheet string) (layout, scan, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return layout{}, scan{}, err
	}
	var top [][]string
	for len(top) < headerSearchRows && rows.Next() {
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return layout{}, scan{}, err
		}
		top = append(top, cols)
	}
	err = rows.Error()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return layout{}, scan{}, err
	}
	lay := annotateHeader(sheet, top)
	sc, err := scanSheet(src, sheet, lay.errCol, math.MaxInt, func(string) bool { return true })
	return lay, sc, err
}

// annotateHeader is findHeader for a file that may not pass it (Annotate
// marks what Import found; a file without a header falls back to row 1).
func annotateHeader(sheet string, top [][]string) layout {
	if lay, ferr := findHeader(sheet, top); ferr == nil {
		return lay
	}
	lay := layout{header: 1, errCol: -1}
	if len(top) > 0 {
		for c, v := range top[0] {
			if candidate.Clean(v) != "" {
				lay.width = c + 1
			}
			if candidate.Clean(v) == ColErrors {
				lay.errCol = c
			}
		}
	}
	return lay
}

// annotate marks the workbook and returns the comments its data sheet must
// end with, or nil when the sheet has none and needs none.
func annotate(src []byte, f *excelize.File, errs []candidate.RowError) ([]excelize.Comment, error) {
	sh := dataSheet(f)
	b := newBook(f)
	lay, sc, err := annotateLayout(src, f, sh)
	if err != nil {
		return nil, err
	}
	fills := &fillCache{b: b, red: map[int]int{}, plain: map[int]int{}}

	// Group messages by cell and by row, keeping their order.
	var cells []string
	byCell := map[string][]string{}
	var rowsInOrder []int
	byRow := map[int][]string{}
	for _, e := range errs {
		if e.Row <= lay.header {
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

	// Earlier marks: ours below the header go (and their red fill unless
	// the cell is still bad); others stay unless a cell gets a mark now.
	old, err := f.GetComments(sh)
	if err != nil {
		return nil, err
	}
	var keep []excelize.Comment
	for _, c := range old {
		_, row, err := excelize.CellNameToCoordinates(c.Cell)
		if err != nil {
			continue
		}
		if c.Author == author && row > lay.header {
			if _, bad := byCell[c.Cell]; !bad {
				if err := fills.set(sh, c.Cell, false); err != nil {
					return nil, err
				}
			}
			continue
		}
		if _, bad := byCell[c.Cell]; bad {
			continue
		}
		keep = append(keep, c)
	}

	list := keep
	for _, cell := range cells {
		if err := fills.set(sh, cell, true); err != nil {
			return nil, err
		}
		list = append(list, excelize.Comment{Cell: cell, Author: author, Text: strings.Join(byCell[cell], "\n")})
	}
	if len(old) == 0 && len(list) > 0 {
		// Let excelize create the comment parts of the sheet once; their
		// content is replaced by writeComments.
		if err := f.AddComment(sh, list[0]); err != nil {
			return nil, err
		}
	}

	if err := writeSummaries(b, sh, lay, byRow, rowsInOrder, sc); err != nil {
		return nil, err
	}
	if err := printSetup(f, sh, lay.header, lay.header); err != nil {
		return nil, err
	}
	if len(old) == 0 && len(list) == 0 {
		return nil, nil
	}
	if list == nil {
		list = []excelize.Comment{}
	}
	return list, nil
}

// writeSummaries fills the 错误说明 column: reused if present, else added
// after the last header cell.
func writeSummaries(b *book, sh string, lay layout, byRow map[int][]string, rowsInOrder []int, sc scan) error {
	f := b.f
	errCol := lay.errCol
	if errCol < 0 {
		errCol = max(lay.width, 1)
	}
	colName := colLetter(errCol)
	headStyle, err := b.style(excelize.Style{
		NumFmt:    49,
		Font:      &excelize.Font{Bold: true, Color: "C00000"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{errorFill}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	})
	if err != nil {
		return err
	}
	textStyle, err := b.style(excelize.Style{
		NumFmt:    49,
		Font:      &excelize.Font{Color: "C00000"},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
	})
	if err != nil {
		return err
	}
	head := cellName(errCol, lay.header)
	if err := b.text(sh, head, ColErrors, headStyle); err != nil {
		return err
	}
	if err := f.SetColWidth(sh, colName, colName, errorsWidth); err != nil {
		return err
	}
	// Clear summaries of rows that are now correct.
	for r := range sc.cells {
		if _, bad := byRow[r]; bad || r <= lay.header {
			continue
		}
		if err := b.text(sh, cellName(errCol, r), "", 0); err != nil {
			return err
		}
	}
	for _, r := range rowsInOrder {
		s := strings.Join(byRow[r], "；")
		if err := b.text(sh, cellName(errCol, r), s, textStyle); err != nil {
			return err
		}
		if h := rowHeight(wrappedLines(s, errorsWidth), fontSize); h > sc.heights[r] {
			if err := f.SetRowHeight(sh, r, h); err != nil {
				return err
			}
		}
	}
	return nil
}

// fillCache derives, once per existing style, the same style with the error
// fill (red) or without any fill (plain), in a named font, keeping the
// quote-prefix flag.
type fillCache struct {
	b          *book
	red, plain map[int]int
}

func (c *fillCache) set(sheet, cell string, red bool) error {
	f := c.b.f
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		return err
	}
	cache := c.plain
	if red {
		cache = c.red
	}
	nid, ok := cache[id]
	if !ok {
		st, err := f.GetStyle(id)
		if err != nil {
			return err
		}
		if red {
			st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{errorFill}}
		} else if isErrorFill(st.Fill) {
			st.Fill = excelize.Fill{}
		}
		if nid, err = c.b.style(*st); err != nil {
			return err
		}
		if c.b.isQuoted(id) {
			if nid, err = c.b.quote(nid); err != nil {
				return err
			}
		}
		cache[id] = nid
	}
	return f.SetCellStyle(sheet, cell, cell, nid)
}

// isErrorFill reports our red fill, in RGB or ARGB form.
func isErrorFill(fl excelize.Fill) bool {
	if len(fl.Color) != 1 {
		return false
	}
	c := strings.ToUpper(strings.TrimPrefix(fl.Color[0], "#"))
	return c == errorFill || c == "FF"+errorFill
}
