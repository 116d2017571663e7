package certpdf

import (
	"certreg/certlayout"

	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
)

// Cert is what a page prints about one certificate.
type Cert struct {
	Number     string
	Name       string
	Gender     string
	IDNumber   string
	WorkUnit   string
	Occupation string
	Level      string
	IssueDate  time.Time
	Issuer     string // issuing organisation
	VerifyURL  string // content of the QR code
	Photo      []byte // optional JPEG or PNG
}

// cst is China Standard Time; China has kept UTC+8 without DST since 1991, so
// a fixed zone needs no tz database.
var cst = time.FixedZone("CST", 8*3600)

// FormatDate prints a date the way certificates do: 2026年11月28日 (CST).
// The zero time prints as "".
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(cst)
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// textFields are the text fields in drawing order.
var textFields = []certlayout.FieldKey{
	certlayout.FieldNumber, certlayout.FieldName, certlayout.FieldGender, certlayout.FieldID, certlayout.FieldWorkUnit,
	certlayout.FieldOccupation, certlayout.FieldLevel, certlayout.FieldIssuer, certlayout.FieldIssueDate,
}

func (c Cert) value(k certlayout.FieldKey) string {
	switch k {
	case certlayout.FieldNumber:
		return c.Number
	case certlayout.FieldName:
		return c.Name
	case certlayout.FieldGender:
		return c.Gender
	case certlayout.FieldID:
		return c.IDNumber
	case certlayout.FieldWorkUnit:
		return c.WorkUnit
	case certlayout.FieldOccupation:
		return c.Occupation
	case certlayout.FieldLevel:
		return c.Level
	case certlayout.FieldIssueDate:
		return FormatDate(c.IssueDate)
	case certlayout.FieldIssuer:
		return c.Issuer
	}
	return ""
}

// TextError reports a value that cannot be printed as the format asks: a
// character the font lacks, or text that does not fit its box even at 6 pt.
// Nothing is printed rather than a certificate with a box or missing text.
type TextError struct {
	Number  string              // certificate number
	Field   certlayout.FieldKey // which value
	Missing rune                // the character no embedded font has, or 0 when the value does not fit
	Reason  string              // Chinese
}

func (e *TextError) Error() string {
	return fmt.Sprintf("certpdf: certificate %s: field %s: %s", e.Number, e.Field, e.Reason)
}

// Message is the Chinese sentence to show a clerk.
func (e *TextError) Message() string {
	return fmt.Sprintf("证书 %s 的“%s”%s", e.Number, certlayout.Label(e.Field), e.Reason)
}

// Colours of the full design.
var (
	colInk    = [3]int{25, 25, 25}
	colLabel  = [3]int{60, 60, 60}
	colFrame  = [3]int{150, 28, 36}
	colSeal   = [3]int{205, 32, 38}
	colFaint  = [3]int{140, 140, 140}
	colAccent = [3]int{180, 140, 70}
)

const (
	ptToMM     = 25.4 / 72
	lineFactor = 1.3 // line height / font size
	sizeStep   = 0.5 // pt, when shrinking a value to fit
)

func lineHeight(pt float64) float64 { return pt * ptToMM * lineFactor }

// doc is one PDF being written.
type doc struct {
	pdf     *fpdf.Fpdf
	f       certlayout.Format
	pw, ph  float64
	images  int           // names registered so far, to keep image names unique
	frame   fpdf.Template // the full design's fixed parts, made at the first page
	sealTpl fpdf.Template // the seal outline, made at the first page

	fallbackAdded map[int]bool          // fallback fonts added to fpdf
	fallbackCodes map[int]map[rune]rune // per fallback font: code => rune printed
}

func newDoc(f certlayout.Format, title string) (*doc, error) {
	if err := certlayout.Check(f); err != nil {
		return nil, err
	}
	if _, err := coverage(); err != nil {
		return nil, err
	}
	pw, ph, _ := f.PageSize()
	pdf := fpdf.NewCustom(&fpdf.InitType{
		OrientationStr: "P", // the size is already oriented
		UnitStr:        "mm",
		Size:           fpdf.SizeType{Wd: pw, Ht: ph},
	})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCellMargin(0)
	pdf.SetTitle(title, true)
	pdf.SetCreator("certreg", true)
	// fpdf parses the font for each document (about 19 ms); the bytes come
	// from the binary and are shared.
	pdf.AddUTF8FontFromBytes(fontFamily, "", fontTTF)
	pdf.SetFont(fontFamily, "", 12)
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("certpdf: load font: %w", err)
	}
	return &doc{pdf: pdf, f: f, pw: pw, ph: ph}, nil
}

func (d *doc) output(w io.Writer) error {
	var buf bytes.Buffer
	if err := d.pdf.Output(&buf); err != nil {
		return fmt.Errorf("certpdf: write pdf: %w", err)
	}
	fixes := map[string]fontFix{fontFamily: {psName: fontPSName}}
	for font := range d.fallbackAdded {
		fixes[fallbackFamily(font)] = fontFix{psName: fallbackFiles[font].psName, toUnicode: toUnicode(d.fallbackCodes[font])}
	}
	pdf, err := finishPDF(buf.Bytes(), fixes)
	if err != nil {
		return err
	}
	if _, err := w.Write(pdf); err != nil {
		return fmt.Errorf("certpdf: write pdf: %w", err)
	}
	return nil
}

// fontSize sets the size unless it is already current: fpdf writes a font
// selection into the page at every call.
func (d *doc) fontSize(pt float64) {
	if cur, _ := d.pdf.GetFontSize(); cur != pt {
		d.pdf.SetFontSize(pt)
	}
}

// color sets text, line and fill colour, writing only what changes: fpdf
// writes every call into the page.
func (d *doc) color(c [3]int) {
	pdf := d.pdf
	if r, g, b := pdf.GetTextColor(); r != c[0] || g != c[1] || b != c[2] {
		pdf.SetTextColor(c[0], c[1], c[2])
	}
	if r, g, b := pdf.GetDrawColor(); r != c[0] || g != c[1] || b != c[2] {
		pdf.SetDrawColor(c[0], c[1], c[2])
	}
	if r, g, b := pdf.GetFillColor(); r != c[0] || g != c[1] || b != c[2] {
		pdf.SetFillColor(c[0], c[1], c[2])
	}
}

// Render writes one PDF with a page per certificate, in order.
func Render(w io.Writer, f certlayout.Format, certs []Cert) error {
	if len(certs) == 0 {
		return errors.New("certpdf: no certificates to render")
	}
	if err := certlayout.Check(f); err != nil {
		return err
	}
	codes := encodeQRs(f, certs) // start before parsing the font
	defer codes.stop()
	d, err := newDoc(f, "职业培训合格证")
	if err != nil {
		return err
	}
	for i, c := range certs {
		png, modules, err := codes.get(i)
		if err != nil {
			return fmt.Errorf("certpdf: certificate %s: qr code: %w", c.Number, err)
		}
		if w := f.Fields[certlayout.FieldQR].W; png != nil && w/float64(modules) < MinQRModuleMM {
			return &QRSizeError{Number: c.Number, Modules: modules, WidthMM: w}
		}
		if err := d.certPage(c, png); err != nil {
			return err
		}
	}
	return d.output(w)
}

// Preview renders the format with SampleCert.
func Preview(w io.Writer, f certlayout.Format) error {
	return Render(w, f, []Cert{SampleCert()})
}

// SampleCert is a plausible certificate for previews; the holder's name has a
// rare character (喆) that a GB2312 font lacks.
func SampleCert() Cert {
	return Cert{
		Number:     "26340101250001",
		Name:       "王喆",
		Gender:     "男",
		IDNumber:   "340102199005120036",
		WorkUnit:   "合肥市城建第三工程有限公司",
		Occupation: "砌筑工",
		Level:      "五级/初级工",
		IssueDate:  time.Date(2026, 11, 28, 0, 0, 0, 0, cst),
		Issuer:     "合肥市建设职业技能培训中心",
		// As long as a real link with its signed payload, so that the
		// preview shows the code's real density.
		VerifyURL: "https://zjt.example.gov.cn/verify?n=26340101250001&t=Q7m2Zp9xKc4Rw8Ny" +
			"#AU0RVv8X9MhiO2FRD1ExBAU2EQvxATEJ6Z-p5paH5Y2aDOa3t-WHneWcn-W3pQgzNDAxMDAwMtUO_zV_b7yt52ZB7D3i16Y24aus5IoKUQkkOwh180QM1Tg2Ygrs2iasoxxLIFFFSfs6_0W2KPdKUHkqkcogTQE",
	}
}

// certPage draws one certificate. Every element goes through the format's
// offset, decoration included. All values are laid out before anything is
// drawn, so that a value that cannot be printed fails the page cleanly and
// the seal can go under the issuer's name.
func (d *doc) certPage(c Cert, qrPNG []byte) error {
	full := d.f.Mode == certlayout.ModeFull
	var blocks []textBlock
	issuer, date := -1, -1 // indexes in blocks
	for _, k := range textFields {
		fl, ok := d.f.Fields[k]
		if !ok || !fl.Visible {
			continue
		}
		b, err := d.layout(c.Number, k, fl, c.value(k))
		if err != nil {
			return err
		}
		blocks = append(blocks, b)
		switch k {
		case certlayout.FieldIssuer:
			issuer = len(blocks) - 1
		case certlayout.FieldIssueDate:
			date = len(blocks) - 1
		}
	}
	pdf := d.pdf
	pdf.AddPage()
	pdf.TransformBegin()
	pdf.TransformTranslate(d.f.OffsetX, d.f.OffsetY)
	defer pdf.TransformEnd()
	if full {
		if d.frame == nil {
			d.frame = d.pdf.CreateTemplate(func(t *fpdf.Tpl) {
				main := d.pdf
				d.pdf = &t.Fpdf
				// A template starts with fpdf's defaults, not the document's.
				d.pdf.SetCellMargin(0)
				d.pdf.SetFont(fontFamily, "", 12) // also sets the template's UTF-8 mode
				d.drawFrame()
				d.pdf = main
			})
		}
		pdf.UseTemplate(d.frame)
		d.closing(blocks)
		if issuer >= 0 {
			var below *textBlock
			if date >= 0 {
				below = &blocks[date]
			}
			d.seal(blocks[issuer], below)
		}
	}
	for _, b := range blocks {
		if err := d.draw(b); err != nil {
			return err
		}
	}
	if fl, ok := d.f.Fields[certlayout.FieldQR]; ok && fl.Visible && qrPNG != nil {
		if err := d.qr(c.Number, qrPNG, fl, full); err != nil {
			return err
		}
	}
	if fl, ok := d.f.Fields[certlayout.FieldPhoto]; ok && fl.Visible {
		if err := d.photo(c, fl, full); err != nil {
			return err
		}
	}
	return pdf.Error()
}

// scale is the size of the full design's decoration relative to its A4
// landscape original.
func (d *doc) scale() float64 { return min(d.pw, d.ph) / 210 }

// drawFrame draws what the full design repeats on every page: the double
// border with corner ornaments, the title, the subtitle and the labels of the
// visible fields. Render draws it once into a template (a PDF form) that every
// page uses, which keeps a page's own content to its values.
func (d *doc) drawFrame() {
	pdf := d.pdf
	s := d.scale()
	// Double border: a heavy outer rule and a hairline inside it.
	outer, inner := 8*s, 11.5*s
	d.color(colFrame)
	pdf.SetLineWidth(1.1 * s)
	pdf.Rect(outer, outer, d.pw-2*outer, d.ph-2*outer, "D")
	pdf.SetLineWidth(0.3 * s)
	pdf.Rect(inner, inner, d.pw-2*inner, d.ph-2*inner, "D")
	// Corner ornaments: an L-bracket inside each inner corner with a small
	// diamond at its knee.
	arm, in := 14*s, 14.5*s
	pdf.SetLineWidth(0.6 * s)
	for _, c := range [4][2]float64{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
		x := in + c[0]*(d.pw-2*in)
		y := in + c[1]*(d.ph-2*in)
		dx, dy := 1-2*c[0], 1-2*c[1] // towards the centre
		pdf.Line(x, y, x+dx*arm, y)
		pdf.Line(x, y, x, y+dy*arm)
		r := 1.3 * s
		cx, cy := x+dx*3*s, y+dy*3*s
		pdf.Polygon([]fpdf.PointType{{X: cx - r, Y: cy}, {X: cx, Y: cy - r}, {X: cx + r, Y: cy}, {X: cx, Y: cy + r}}, "F")
	}
	// Title, letter-spaced, centred, emboldened by stroking its outline:
	// the font has no bold weight embedded.
	cx := d.pw / 2
	pdf.SetLineWidth(0.35 * s)
	pdf.SetTextRenderingMode(2)
	d.spaced("职业培训合格证", cx, 40*s, 34*s, 5*s)
	pdf.SetTextRenderingMode(0)
	// Subtitle between two short gold rules.
	d.color(colLabel)
	subSize := 15 * s
	d.fontSize(subSize)
	sub := "住房和城乡建设行业技能人员"
	sw := d.spacedWidth(sub, subSize, 1.2*s)
	d.spaced(sub, cx, 53*s, subSize, 1.2*s)
	d.color(colAccent)
	pdf.SetLineWidth(0.4 * s)
	gap, rule := 5*s, 28*s
	pdf.Line(cx-sw/2-gap-rule, 53*s, cx-sw/2-gap, 53*s)
	pdf.Line(cx+sw/2+gap, 53*s, cx+sw/2+gap+rule, 53*s)
	for _, k := range textFields {
		if fl, ok := d.f.Fields[k]; ok && fl.Visible {
			d.label(k, fl)
		}
	}
}

// closing prints the certifying sentence under the printed body rows,
// aligned with their labels.
func (d *doc) closing(blocks []textBlock) {
	s := d.scale()
	bottom, left := 0.0, -1.0
	for _, b := range blocks {
		switch b.key {
		case certlayout.FieldNumber, certlayout.FieldIssuer, certlayout.FieldIssueDate:
			continue
		}
		fl := d.f.Fields[b.key]
		bottom = max(bottom, b.y+b.height(), fl.Y+lineHeight(fl.FontSize))
		lx := fl.X - d.labelWidth(b.key, fl.FontSize)
		if left < 0 || lx < left {
			left = lx
		}
	}
	if left < 0 {
		return
	}
	size := 14 * s
	y := bottom + 6*s
	if y+lineHeight(size) > d.ph-14*s {
		return // no room on this sheet
	}
	d.color(colInk)
	d.fontSize(size)
	d.pdf.SetXY(left, y)
	d.pdf.CellFormat(0, lineHeight(size), "经职业培训考核合格，特发此证。", "", 0, "LM", false, 0, "")
}

// spacedWidth is the width of s at size pt with extra space between runes.
func (d *doc) spacedWidth(s string, size, space float64) float64 {
	d.fontSize(size)
	n := 0
	w := 0.0
	for _, r := range s {
		w += d.pdf.GetStringWidth(string(r))
		n++
	}
	return w + space*float64(max(n-1, 0))
}

// spaced prints s centred on cx with its vertical middle at cy, with extra
// space between runes, in the current text colour.
func (d *doc) spaced(s string, cx, cy, size, space float64) {
	pdf := d.pdf
	x := cx - d.spacedWidth(s, size, space)/2
	h := lineHeight(size)
	for _, r := range s {
		w := pdf.GetStringWidth(string(r))
		pdf.SetXY(x, cy-h/2)
		pdf.CellFormat(w, h, string(r), "", 0, "CM", false, 0, "")
		x += w + space
	}
}

func labelText(k certlayout.FieldKey) string { return certlayout.Label(k) + "：" }

func (d *doc) labelWidth(k certlayout.FieldKey, size float64) float64 {
	d.fontSize(size)
	return d.pdf.GetStringWidth(labelText(k)) + 0.5
}

// label prints "姓名：" ending just left of the field's box, on its first line.
func (d *doc) label(k certlayout.FieldKey, fl certlayout.Field) {
	w := d.labelWidth(k, fl.FontSize)
	d.color(colLabel)
	d.pdf.SetXY(fl.X-w, fl.Y)
	d.pdf.CellFormat(w, lineHeight(fl.FontSize), labelText(k), "", 0, "RM", false, 0, "")
}

// textBlock is a value laid out in its box.
type textBlock struct {
	key   certlayout.FieldKey
	x, y  float64 // top-left of the first line
	w     float64 // box width
	width float64 // widest line
	size  float64 // points
	lines []string
}

func (b textBlock) height() float64 { return lineHeight(b.size) * float64(len(b.lines)) }

// layout fits a value in its box, wrapping rune by rune and shrinking the
// font (down to 6 pt) until every character fits; it never truncates.
func (d *doc) layout(number string, k certlayout.FieldKey, fl certlayout.Field, value string) (textBlock, error) {
	b := textBlock{key: k, x: fl.X, y: fl.Y, w: fl.W, size: fl.FontSize}
	value = clean(value)
	if value == "" {
		return b, nil
	}
	if r, bad := MissingRune(value); bad {
		return b, &TextError{Number: number, Field: k, Missing: r,
			Reason: fmt.Sprintf("含有内置字体都没有的字符“%c”（U+%04X）", r, r)}
	}
	size, lines, ok := d.fit(value, fl.W, fl.H, fl.FontSize)
	if !ok {
		return b, &TextError{Number: number, Field: k,
			Reason: fmt.Sprintf("太长，缩小到 %g 磅仍放不下，请加大该字段的宽度或高度", certlayout.MinFontSizePt)}
	}
	b.size, b.lines = size, lines
	if first := lineHeight(fl.FontSize); b.height() < first {
		b.y += (first - b.height()) / 2 // keep a shrunk value centred on its label
	}
	for _, ln := range lines {
		b.width = max(b.width, d.textWidth(ln, size))
	}
	return b, nil
}

// runeUnits is the advance of r in thousandths of the font size, in the
// font that prints it. The main font must be current.
func (d *doc) runeUnits(r rune) float64 {
	if !hasGlyph(r) {
		return fallbackUnits
	}
	return float64(d.pdf.GetStringSymbolWidth(string(r)))
}

// textWidth is the width of s at size pt in millimetres, each rune measured
// in the font that prints it.
func (d *doc) textWidth(s string, pt float64) float64 {
	if !hasFallback(s) {
		d.fontSize(pt)
		return d.pdf.GetStringWidth(s)
	}
	u := 0.0
	for _, r := range s {
		u += d.runeUnits(r)
	}
	return u / 1000 * pt * ptToMM
}

// draw prints a laid-out value. A line with runes the main font lacks is
// printed run by run, each run in its font, and the main font made current
// again.
func (d *doc) draw(b textBlock) error {
	pdf := d.pdf
	d.color(colInk)
	d.fontSize(b.size)
	lh := lineHeight(b.size)
	for i, ln := range b.lines {
		y := b.y + float64(i)*lh
		if !hasFallback(ln) {
			pdf.SetXY(b.x, y)
			pdf.CellFormat(b.w, lh, ln, "", 0, "LM", false, 0, "")
			continue
		}
		x := b.x
		for _, r := range d.runs(ln) {
			var w float64
			if r.font < 0 {
				w = pdf.GetStringWidth(r.text)
			} else {
				if err := d.selectFont(r.font, b.size); err != nil {
					return err
				}
				w = float64(r.n*fallbackUnits) / 1000 * b.size * ptToMM
			}
			pdf.SetXY(x, y)
			pdf.CellFormat(w, lh, r.text, "", 0, "LM", false, 0, "")
			x += w
			if r.font >= 0 {
				if err := d.selectFont(-1, b.size); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// clean turns control characters (newlines, tabs) into spaces and trims.
func clean(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	return strings.TrimSpace(s)
}

// fit finds the largest size from size down to 6 pt at which s wraps into the
// box, and its lines.
func (d *doc) fit(s string, w, h, size float64) (float64, []string, bool) {
	runes := []rune(s)
	widths := make([]float64, len(runes)) // glyph units: 1/1000 of the size
	for i, r := range runes {
		widths[i] = d.runeUnits(r)
	}
	for ; size >= certlayout.MinFontSizePt-1e-9; size -= sizeStep {
		limit := w / (size * ptToMM) * 1000
		maxLines := max(1, int(h/lineHeight(size)+1e-9))
		if lines, ok := wrap(runes, widths, limit, maxLines); ok {
			return size, lines, true
		}
	}
	return 0, nil, false
}

// Closing punctuation must not begin a line (禁则).
const noLineStart = "，。、；：？！）》」』】〕”’,.;:?!)]}%…·"

// wrap breaks runes into lines no wider than limit, measuring each rune, and
// reports whether they fit in maxLines. A line never starts with closing
// punctuation, a Latin word is carried whole when the line has a space
// before it, and only spaces at a break are dropped.
func wrap(runes []rune, widths []float64, limit float64, maxLines int) ([]string, bool) {
	var lines []string
	start, w := 0, 0.0
	for i := 0; i < len(runes); i++ {
		if i == start && runes[i] == ' ' {
			start++ // no leading space on a line
			continue
		}
		if w+widths[i] <= limit+1e-9 || i == start {
			w += widths[i]
			if w > limit+1e-9 {
				return nil, false // a single rune wider than the box
			}
			continue
		}
		// runes[i] does not fit: choose the break.
		brk := i
		switch {
		case strings.ContainsRune(noLineStart, runes[i]) && i-start >= 2:
			brk = i - 1
		case isWordRune(runes[i]) && isWordRune(runes[i-1]):
			for j := i - 1; j > start; j-- {
				if runes[j] == ' ' {
					brk = j + 1
					break
				}
			}
		}
		lines = append(lines, strings.TrimRight(string(runes[start:brk]), " "))
		if len(lines) >= maxLines {
			return nil, false
		}
		start, w = brk, 0
		i = brk - 1
	}
	if start < len(runes) {
		lines = append(lines, string(runes[start:]))
	}
	return lines, len(lines) <= maxLines
}

func isWordRune(r rune) bool { return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

const sealR = 18.0 // mm, radius of the seal outline

// seal places the seal outline under the issuer's name and the date, where
// the organisation stamps the certificate, with its star between them. The
// outline is a template made once per document and moved to each page's
// issuer.
func (d *doc) seal(p textBlock, date *textBlock) {
	if p.width == 0 {
		return
	}
	cx := p.x + p.width/2
	cy := p.y + p.height()/2 + 6*d.scale()
	if date != nil && date.y > p.y+p.height() {
		cy = (p.y + p.height() + date.y) / 2
	}
	s := d.scale()
	side := (2*sealR + 2) * s // room for the outer stroke
	if d.sealTpl == nil {
		d.sealTpl = d.pdf.CreateTemplateCustom(fpdf.PointType{}, fpdf.SizeType{Wd: side, Ht: side}, func(t *fpdf.Tpl) {
			c := side / 2
			t.SetDrawColor(colSeal[0], colSeal[1], colSeal[2])
			t.SetFillColor(colSeal[0], colSeal[1], colSeal[2])
			t.SetLineWidth(1.0 * s)
			t.Circle(c, c, sealR*s, "D")
			t.SetLineWidth(0.25 * s)
			t.Circle(c, c, (sealR-1.6)*s, "D")
			t.Polygon(star(c, c, 5*s), "F")
		})
	}
	d.pdf.UseTemplateScaled(d.sealTpl, fpdf.PointType{X: cx - side/2, Y: cy - side/2}, fpdf.SizeType{Wd: side, Ht: side})
}

// star returns the points of a five-pointed star pointing up.
func star(cx, cy, r float64) []fpdf.PointType {
	pts := make([]fpdf.PointType, 0, 10)
	for i := range 10 {
		rr := r
		if i%2 == 1 {
			rr = r * 0.382
		}
		a := float64(i)*36 - 90
		s, c := sincos(a)
		pts = append(pts, fpdf.PointType{X: cx + rr*c, Y: cy + rr*s})
	}
	return pts
}

// qr draws the verification QR code (a PNG from qrPNG) as a W×W square.
func (d *doc) qr(number string, png []byte, fl certlayout.Field, full bool) error {
	name := d.imageName("qr")
	d.pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	if err := d.pdf.Error(); err != nil {
		return fmt.Errorf("certpdf: certificate %s: qr code: %w", number, err)
	}
	d.pdf.ImageOptions(name, fl.X, fl.Y, fl.W, fl.W, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	if full {
		size := max(certlayout.MinFontSizePt, 9*d.scale())
		d.color(colFaint)
		d.fontSize(size)
		d.pdf.SetXY(fl.X, fl.Y+fl.W+1)
		d.pdf.CellFormat(fl.W, lineHeight(size), "扫码查验证书", "", 0, "CM", false, 0, "")
	}
	return nil
}

// photo draws the holder's photo fitted and centred in its box, or in full
// mode a "照片" frame when there is none.
func (d *doc) photo(c Cert, fl certlayout.Field, full bool) error {
	pdf := d.pdf
	if len(c.Photo) == 0 {
		if full {
			d.color(colFaint)
			pdf.SetLineWidth(0.3)
			pdf.SetDashPattern([]float64{1.2, 0.8}, 0)
			pdf.Rect(fl.X, fl.Y, fl.W, fl.H, "D")
			pdf.SetDashPattern(nil, 0)
			size := min(12, fl.W/4/ptToMM)
			d.fontSize(size)
			pdf.SetXY(fl.X, fl.Y)
			pdf.CellFormat(fl.W, fl.H, "照片", "", 0, "CM", false, 0, "")
		}
		return nil
	}
	img, typ, err := photoImage(c.Photo)
	if err != nil {
		return fmt.Errorf("certpdf: certificate %s: photo: %w", c.Number, err)
	}
	name := d.imageName("photo")
	opt := fpdf.ImageOptions{ImageType: typ}
	info := pdf.RegisterImageOptionsReader(name, opt, bytes.NewReader(img))
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("certpdf: certificate %s: photo: %w", c.Number, err)
	}
	iw, ih := info.Extent()
	if iw <= 0 || ih <= 0 {
		return fmt.Errorf("certpdf: certificate %s: photo: empty image", c.Number)
	}
	k := min(fl.W/iw, fl.H/ih)
	w, h := iw*k, ih*k
	pdf.ImageOptions(name, fl.X+(fl.W-w)/2, fl.Y+(fl.H-h)/2, w, h, false, opt, 0, "")
	return nil
}

func (d *doc) imageName(kind string) string {
	d.images++
	return fmt.Sprintf("%s%d", kind, d.images)
}
