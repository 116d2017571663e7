package certpdf

import (
	"certreg/certlayout"

	"fmt"
	"io"
	"strconv"
)

// Calibration writes a one-page PDF for lining a printer up with pre-printed
// stock: a millimetre grid (1 mm light, 10 mm darker and numbered from the
// sheet's top-left corner) and every visible field's box with its label,
// all shifted by the format's offset exactly as certificates are. Printed
// on the stock, the boxes show where values will land; printed on plain
// paper, a calibrated printer puts the 10 mm lines 10 mm from the edges.
func Calibration(w io.Writer, f certlayout.Format) error {
	d, err := newDoc(f, "打印校准页")
	if err != nil {
		return err
	}
	pdf := d.pdf
	pdf.AddPage()
	pdf.TransformBegin()
	pdf.TransformTranslate(f.OffsetX, f.OffsetY)
	d.grid()
	for _, fl := range certlayout.FieldLabels() {
		if fd, ok := f.Fields[fl.Key]; ok && fd.Visible {
			d.fieldBox(fl.Key, fd)
		}
	}
	d.note()
	pdf.TransformEnd()
	return d.output(w)
}

func (d *doc) grid() {
	pdf := d.pdf
	pdf.SetLineWidth(0.05)
	pdf.SetDrawColor(205, 222, 238)
	for x := 1; float64(x) < d.pw; x++ {
		if x%10 != 0 {
			pdf.Line(float64(x), 0, float64(x), d.ph)
		}
	}
	for y := 1; float64(y) < d.ph; y++ {
		if y%10 != 0 {
			pdf.Line(0, float64(y), d.pw, float64(y))
		}
	}
	pdf.SetLineWidth(0.2)
	pdf.SetDrawColor(95, 135, 180)
	for x := 10; float64(x) < d.pw; x += 10 {
		pdf.Line(float64(x), 0, float64(x), d.ph)
	}
	for y := 10; float64(y) < d.ph; y += 10 {
		pdf.Line(0, float64(y), d.pw, float64(y))
	}
	// Numbers along the top and the left edge, and again every 50 mm so a
	// clerk need not count lines across the sheet.
	pdf.SetTextColor(40, 80, 130)
	d.fontSize(6)
	num := func(x, y float64, v int) {
		pdf.Text(x, y, strconv.Itoa(v))
	}
	for x := 10; float64(x) < d.pw; x += 10 {
		for y := 0; float64(y) < d.ph-5; y += 50 {
			num(float64(x)+0.4, float64(y)+2.6, x)
		}
	}
	for y := 10; float64(y) < d.ph; y += 10 {
		for x := 0; float64(x) < d.pw-5; x += 50 {
			num(float64(x)+0.4, float64(y)-0.5, y)
		}
	}
}

// fieldBox outlines a field's box and names it inside.
func (d *doc) fieldBox(k certlayout.FieldKey, fl certlayout.Field) {
	pdf := d.pdf
	w, h := fl.Box(k)
	pdf.SetDrawColor(200, 30, 40)
	pdf.SetFillColor(255, 255, 255)
	pdf.SetLineWidth(0.35)
	pdf.Rect(fl.X, fl.Y, w, h, "D")
	// Crosshair on the reference corner (X, Y).
	pdf.Line(fl.X-2, fl.Y, fl.X+2, fl.Y)
	pdf.Line(fl.X, fl.Y-2, fl.X, fl.Y+2)
	text := certlayout.Label(k)
	if !k.IsImage() {
		text += fmt.Sprintf(" %g磅", fl.FontSize)
	}
	text += fmt.Sprintf(" (%g,%g)", fl.X, fl.Y)
	size := min(8, max(4, h/ptToMM/lineFactor))
	d.fontSize(size)
	tw := min(pdf.GetStringWidth(text)+1, w-0.4)
	pdf.SetTextColor(170, 20, 30)
	pdf.SetXY(fl.X+0.2, fl.Y+0.2)
	pdf.CellFormat(tw, min(lineHeight(size), h-0.4), text, "", 0, "LM", true, 0, "")
}

// note prints what this sheet is and how to read it where no field is.
func (d *doc) note() {
	pdf := d.pdf
	paper := d.f.Paper
	if paper == certlayout.PaperCustom {
		paper = "自定义"
	} else if d.f.Landscape {
		paper += " 横向"
	} else {
		paper += " 纵向"
	}
	lines := []string{
		fmt.Sprintf("打印校准页　格式：%s　纸张：%s %g×%g 毫米", d.f.Name, paper, d.pw, d.ph),
		fmt.Sprintf("当前偏移：水平 %+.1f 毫米，垂直 %+.1f 毫米（正值向右、向下）", d.f.OffsetX, d.f.OffsetY),
		"粗线每 10 毫米一条，从纸张左上角量起；字段框与预印纸不符时，按差值调整偏移后重打本页。",
	}
	size := 8.0
	d.fontSize(size)
	lh := lineHeight(size)
	w := 0.0
	for _, l := range lines {
		w = max(w, pdf.GetStringWidth(l))
	}
	w += 4
	h := lh*float64(len(lines)) + 3
	x := (d.pw - w) / 2
	// First place that overlaps no field: centre, then near the top and
	// bottom edges, then anywhere down the middle column.
	candidates := []float64{(d.ph - h) / 2, 12, d.ph - h - 12}
	for y := 12.0; y+h < d.ph-12; y += 5 {
		candidates = append(candidates, y)
	}
	y := candidates[0]
	for _, cy := range candidates {
		if !d.overlapsField(x, cy, w, h) {
			y = cy
			break
		}
	}
	pdf.SetFillColor(255, 255, 255)
	pdf.SetDrawColor(95, 135, 180)
	pdf.SetLineWidth(0.3)
	pdf.Rect(x, y, w, h, "FD")
	pdf.SetTextColor(30, 30, 30)
	for i, l := range lines {
		pdf.SetXY(x+2, y+1.5+float64(i)*lh)
		pdf.CellFormat(w-4, lh, l, "", 0, "LM", false, 0, "")
	}
}

func (d *doc) overlapsField(x, y, w, h float64) bool {
	for k, fl := range d.f.Fields {
		if !fl.Visible {
			continue
		}
		fw, fh := fl.Box(k)
		if x < fl.X+fw && fl.X < x+w && y < fl.Y+fh && fl.Y < y+h {
			return true
		}
	}
	return false
}
