package sheets

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// StatsBook is the export of a 统计分析 view: one sheet per table, each
// headed by a title row (what is counted, the filters and the date of
// export), figures written as numbers, a total row and the definitions of
// the measures; and a native Excel column chart on a chart sheet of its
// own, drawn from one of the tables.
type StatsBook struct {
	Title  string
	Note   string // the definitions of the measures, under every table
	Tables []StatsTable
	Chart  *StatsChart
}

// StatsTable is one sheet of figures: the leading Text columns of Header
// are labels, the others numbers.
type StatsTable struct {
	Sheet  string
	Header []string
	Text   int
	Rows   []StatsRow
	Total  *StatsRow
}

// StatsRow is one row: its labels and its figures.
type StatsRow struct {
	Text   []string
	Values []int64
}

// StatsChart draws columns for some number columns of a table (Series, 0
// for the first number column), one category per row, labelled by the
// table's first column.
type StatsChart struct {
	Sheet   string
	Title   string
	Table   int
	Series  []int
	Stacked bool
}

// Rows of a statistics sheet: the title, the header, then the figures.
const (
	statsTitleRow  = 1
	statsHeaderRow = 2
	statsFirstRow  = 3
)

// WriteStats writes the workbook with the package's conventions: the named
// font, every text through the neutralising gate (book.text), figures as
// numbers, and a page setup that repeats the title and header rows.
func WriteStats(w io.Writer, b StatsBook) error {
	f := excelize.NewFile()
	defer f.Close()
	bk := newBook(f)
	if err := f.SetDefaultFont(FontName); err != nil {
		return err
	}
	title, err := bk.style(excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true, Size: titleSize},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	if err != nil {
		return err
	}
	head, err := bk.style(excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	if err != nil {
		return err
	}
	text, err := bk.style(excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	num, err := bk.style(excelize.Style{NumFmt: 3}) // #,##0
	if err != nil {
		return err
	}
	totalText, err := bk.style(excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}, Border: statsTopBorder})
	if err != nil {
		return err
	}
	totalNum, err := bk.style(excelize.Style{NumFmt: 3, Font: &excelize.Font{Bold: true}, Border: statsTopBorder})
	if err != nil {
		return err
	}
	note, err := bk.style(excelize.Style{NumFmt: 49, Font: &excelize.Font{Color: "666666", Size: 9},
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return err
	}
	names := make([]string, len(b.Tables))
	for i, t := range b.Tables {
		names[i] = sheetName(t.Sheet)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", names[i]); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(names[i]); err != nil {
			return err
		}
		sh := names[i]
		ncol := len(t.Header)
		last, _ := excelize.CoordinatesToCellName(ncol, statsTitleRow)
		if err := f.MergeCell(sh, "A1", last); err != nil {
			return err
		}
		if err := bk.text(sh, "A1", b.Title, title); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, "A1", last, title); err != nil {
			return err
		}
		if err := f.SetRowHeight(sh, statsTitleRow, 36); err != nil {
			return err
		}
		widths := make([]int, ncol)
		put := func(row int, r StatsRow, textStyle, numStyle int) error {
			for c := 0; c < ncol; c++ {
				cell, _ := excelize.CoordinatesToCellName(c+1, row)
				switch {
				case c < t.Text && c < len(r.Text):
					widths[c] = max(widths[c], displayWidth(r.Text[c]))
					if err := bk.text(sh, cell, r.Text[c], textStyle); err != nil {
						return err
					}
				case c >= t.Text && c-t.Text < len(r.Values):
					v := r.Values[c-t.Text]
					widths[c] = max(widths[c], len(fmt.Sprint(v))+2)
					if err := f.SetCellInt(sh, cell, v); err != nil {
						return err
					}
					if err := f.SetCellStyle(sh, cell, cell, numStyle); err != nil {
						return err
					}
				}
			}
			return nil
		}
		for c, h := range t.Header {
			cell, _ := excelize.CoordinatesToCellName(c+1, statsHeaderRow)
			if err := bk.text(sh, cell, h, head); err != nil {
				return err
			}
			widths[c] = max(widths[c], displayWidth(h))
		}
		row := statsFirstRow
		for _, r := range t.Rows {
			if err := put(row, r, text, num); err != nil {
				return err
			}
			row++
		}
		if t.Total != nil {
			if err := put(row, *t.Total, totalText, totalNum); err != nil {
				return err
			}
			row++
		}
		if b.Note != "" {
			row++
			from, _ := excelize.CoordinatesToCellName(1, row)
			to, _ := excelize.CoordinatesToCellName(ncol, row)
			if err := f.MergeCell(sh, from, to); err != nil {
				return err
			}
			if err := bk.text(sh, from, b.Note, note); err != nil {
				return err
			}
			if err := f.SetCellStyle(sh, from, to, note); err != nil {
				return err
			}
			if err := f.SetRowHeight(sh, row, 48); err != nil {
				return err
			}
		}
		for c, wd := range widths {
			col, _ := excelize.ColumnNumberToName(c + 1)
			if err := f.SetColWidth(sh, col, col, float64(min(max(wd+2, 10), 50))); err != nil {
				return err
			}
		}
		if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: statsHeaderRow, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		if err := printSetup(f, sh, statsTitleRow, statsHeaderRow); err != nil {
			return err
		}
	}
	if c := b.Chart; c != nil && c.Table >= 0 && c.Table < len(b.Tables) && len(b.Tables[c.Table].Rows) > 0 {
		t := b.Tables[c.Table]
		ref := quoteSheet(names[c.Table]) + "!"
		lastRow := statsFirstRow + len(t.Rows) - 1
		chartTitle, _ := neutralize(c.Title)
		chart := &excelize.Chart{Type: excelize.Col, Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: chartTitle}}},
			Legend: excelize.ChartLegend{Position: "bottom"}, PlotArea: excelize.ChartPlotArea{ShowVal: len(c.Series) == 1 && len(t.Rows) <= 40},
			YAxis: excelize.ChartAxis{MajorGridLines: true}}
		if c.Stacked {
			chart.Type = excelize.ColStacked
		}
		one := false
		chart.VaryColors = &one
		if len(c.Series) == 1 {
			chart.Legend.Position = "none"
		}
		for _, s := range c.Series {
			col, _ := excelize.ColumnNumberToName(t.Text + s + 1)
			chart.Series = append(chart.Series, excelize.ChartSeries{
				Name:       fmt.Sprintf("%s$%s$%d", ref, col, statsHeaderRow),
				Categories: fmt.Sprintf("%s$A$%d:$A$%d", ref, statsFirstRow, lastRow),
				Values:     fmt.Sprintf("%s$%s$%d:$%s$%d", ref, col, statsFirstRow, col, lastRow),
			})
		}
		if err := f.AddChartSheet(sheetName(c.Sheet), chart); err != nil {
			return fmt.Errorf("statistics chart: %w", err)
		}
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

var statsTopBorder = []excelize.Border{{Type: "top", Color: "808080", Style: 1}}
