// Package certlayout owns the layout of a printed certificate (打印格式): the
// paper, the printer's calibration offset and, per field, its position in
// millimetres, font size and visibility, in 套打 overlay or 完整 full mode;
// the rules a layout must meet, and the built-in layouts. It draws nothing:
// certpdf renders a layout, the store keeps each organisation's layouts in
// a record of its own (docs/certificates.md).
package certlayout

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Mode says what a format prints.
type Mode string

const (
	// ModeOverlay (套打) prints only the field values, for pre-printed stock.
	ModeOverlay Mode = "overlay"
	// ModeFull (完整) prints the whole certificate design on plain paper.
	ModeFull Mode = "full"
)

// Paper names accepted in Format.Paper.
const (
	PaperA4     = "A4"
	PaperA5     = "A5"
	PaperCustom = "custom"
)

// Limits checked by Validate.
const (
	MinCustomMM   = 50.0
	MaxCustomMM   = 500.0
	MaxOffsetMM   = 30.0
	MinFontSizePt = 6.0
	MaxFontSizePt = 48.0
	MaxNameRunes  = 30
	// MinQRWidthMM is the smallest QR code a format may print: the code
	// carries the verification link with the certificate's signed payload
	// (about 220 characters, QR version 11 at level M, 61 modules; 12 or 13
	// for long names), and a phone reads it reliably only with modules of at
	// least MinQRModuleMM. The default layout scaled to A5 (21.2 mm) passes.
	MinQRWidthMM = 21.0
)

// FieldKey names one printable element of a certificate.
type FieldKey string

// The printable elements of a certificate.
const (
	FieldNumber     FieldKey = "number"
	FieldName       FieldKey = "name"
	FieldGender     FieldKey = "gender"
	FieldID         FieldKey = "id"
	FieldWorkUnit   FieldKey = "work_unit"
	FieldOccupation FieldKey = "occupation"
	FieldLevel      FieldKey = "level"
	FieldIssueDate  FieldKey = "issue_date"
	FieldIssuer     FieldKey = "issuer"
	FieldQR         FieldKey = "qr"
	FieldPhoto      FieldKey = "photo"
)

// FieldLabel pairs a field with its Chinese label.
type FieldLabel struct {
	Key   FieldKey
	Label string
}

var fieldLabels = []FieldLabel{
	{FieldNumber, "证书编号"},
	{FieldName, "姓名"},
	{FieldGender, "性别"},
	{FieldID, "身份证号"},
	{FieldWorkUnit, "工作单位"},
	{FieldOccupation, "职业（工种）"},
	{FieldLevel, "等级"},
	{FieldIssueDate, "发证日期"},
	{FieldIssuer, "发证机构"},
	{FieldQR, "二维码"},
	{FieldPhoto, "照片"},
}

// FieldLabels lists every field in display order with its Chinese label.
func FieldLabels() []FieldLabel { return append([]FieldLabel(nil), fieldLabels...) }

// Label returns the Chinese label of a field, or "" for an unknown key.
func Label(k FieldKey) string {
	for _, l := range fieldLabels {
		if l.Key == k {
			return l.Label
		}
	}
	return ""
}

// IsImage reports whether the field is drawn as an image rather than text.
func (k FieldKey) IsImage() bool { return k == FieldQR || k == FieldPhoto }

// Field places one element on the page. X and Y are the top-left corner of its
// box in millimetres from the top-left of the sheet. Text wraps within W and
// may use as many lines as fit in H (at least one). The QR code is a W×W
// square (H is ignored); the photo is fitted into W×H keeping its proportions.
type Field struct {
	X        float64
	Y        float64
	W        float64
	H        float64
	FontSize float64 // points; text fields only
	Visible  bool
}

// Box returns the field's box, with the QR code squared.
func (fl Field) Box(k FieldKey) (w, h float64) {
	if k == FieldQR {
		return fl.W, fl.W
	}
	return fl.W, fl.H
}

// Format is one print format of a unit. For PaperCustom the
// sheet is WidthMM wide and HeightMM high as given and Landscape is ignored;
// A4 and A5 are portrait unless Landscape. OffsetX and OffsetY shift every
// element of every page to compensate a printer's feed; positive values move
// right and down.
type Format struct {
	Name      string
	Paper     string
	WidthMM   float64
	HeightMM  float64
	Landscape bool
	OffsetX   float64
	OffsetY   float64
	Mode      Mode
	Fields    map[FieldKey]Field
}

// PageSize returns the sheet size in millimetres, width first, and false if
// the paper is unknown.
func (f Format) PageSize() (w, h float64, ok bool) {
	switch f.Paper {
	case PaperA4:
		w, h = 210, 297
	case PaperA5:
		w, h = 148, 210
	case PaperCustom:
		return f.WidthMM, f.HeightMM, true
	default:
		return 0, 0, false
	}
	if f.Landscape {
		w, h = h, w
	}
	return w, h, true
}

// Keys of the problems that Validate reports about the format itself; a
// problem with a field is reported under the key "field:" + the FieldKey.
const (
	ProblemName   = "name"
	ProblemPaper  = "paper"
	ProblemWidth  = "width_mm"
	ProblemHeight = "height_mm"
	ProblemOffX   = "offset_x"
	ProblemOffY   = "offset_y"
	ProblemMode   = "mode"
)

// FieldProblemKey is the Validate key of a problem with field k.
func FieldProblemKey(k FieldKey) string { return "field:" + string(k) }

// Validate returns a Chinese message per problem (see the Problem* keys and
// FieldProblemKey), or an empty map when the format can be printed. Only
// visible fields are checked: a hidden field's stale position does not matter.
func (f Format) Validate() map[string]string {
	p := map[string]string{}
	name := strings.TrimSpace(f.Name)
	switch {
	case name == "":
		p[ProblemName] = "请填写格式名称"
	case utf8.RuneCountInString(name) > MaxNameRunes:
		p[ProblemName] = fmt.Sprintf("格式名称不能超过 %d 个字", MaxNameRunes)
	}
	if f.Mode != ModeOverlay && f.Mode != ModeFull {
		p[ProblemMode] = "打印方式只能是套打或完整"
	}
	pageOK := true
	switch f.Paper {
	case PaperA4, PaperA5:
	case PaperCustom:
		if !inRange(f.WidthMM, MinCustomMM, MaxCustomMM) {
			p[ProblemWidth] = fmt.Sprintf("自定义纸张宽度须在 %g–%g 毫米之间", MinCustomMM, MaxCustomMM)
			pageOK = false
		}
		if !inRange(f.HeightMM, MinCustomMM, MaxCustomMM) {
			p[ProblemHeight] = fmt.Sprintf("自定义纸张高度须在 %g–%g 毫米之间", MinCustomMM, MaxCustomMM)
			pageOK = false
		}
	default:
		p[ProblemPaper] = "纸张只能是 A4、A5 或自定义尺寸"
		pageOK = false
	}
	if !inRange(f.OffsetX, -MaxOffsetMM, MaxOffsetMM) {
		p[ProblemOffX] = fmt.Sprintf("水平偏移须在 −%g 到 %g 毫米之间", MaxOffsetMM, MaxOffsetMM)
	}
	if !inRange(f.OffsetY, -MaxOffsetMM, MaxOffsetMM) {
		p[ProblemOffY] = fmt.Sprintf("垂直偏移须在 −%g 到 %g 毫米之间", MaxOffsetMM, MaxOffsetMM)
	}
	pw, ph, _ := f.PageSize()
	for k, fl := range f.Fields {
		label := Label(k)
		key := FieldProblemKey(k)
		if label == "" {
			p[key] = fmt.Sprintf("未知字段“%s”", k)
			continue
		}
		if !fl.Visible {
			continue
		}
		w, h := fl.Box(k)
		var msgs []string
		if !finite(fl.X, fl.Y, w, h) || w <= 0 || h <= 0 {
			msgs = append(msgs, "位置和宽高须为正数")
		} else if pageOK && (fl.X < 0 || fl.Y < 0 || fl.X+w > pw+1e-9 || fl.Y+h > ph+1e-9) {
			msgs = append(msgs, fmt.Sprintf("超出纸面（%g×%g 毫米）", pw, ph))
		}
		if k == FieldQR && w > 0 && w < MinQRWidthMM {
			msgs = append(msgs, fmt.Sprintf("宽度不能小于 %g 毫米（二维码含证书的签名信息，太小手机难以识别）", MinQRWidthMM))
		}
		if !k.IsImage() && !inRange(fl.FontSize, MinFontSizePt, MaxFontSizePt) {
			msgs = append(msgs, fmt.Sprintf("字号须在 %g–%g 磅之间", MinFontSizePt, MaxFontSizePt))
		} else if f.Mode == ModeFull && !k.IsImage() && len(msgs) == 0 {
			// The full design prints "姓名：" left of the box; its Chinese
			// characters are one em wide each.
			need := float64(utf8.RuneCountInString(label)+1) * fl.FontSize * PtToMM
			if fl.X < need {
				msgs = append(msgs, fmt.Sprintf("左侧放不下标签（需要 %.0f 毫米）", need))
			}
		}
		if len(msgs) > 0 {
			p[key] = "“" + label + "”" + strings.Join(msgs, "，")
		}
	}
	return p
}

func inRange(v, lo, hi float64) bool { return v >= lo && v <= hi } // false for NaN

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// InvalidFormatError is returned by Check (and so by certpdf's Render,
// Preview and Calibration) when the format does not validate; Problems is the map from Validate.
type InvalidFormatError struct {
	Problems map[string]string
}

func (e *InvalidFormatError) Error() string {
	return fmt.Sprintf("certlayout: invalid format (%d problems)", len(e.Problems))
}

// Check is Validate as an error: a *InvalidFormatError holding the problems.
func Check(f Format) error {
	if p := f.Validate(); len(p) > 0 {
		return &InvalidFormatError{Problems: p}
	}
	return nil
}

// Names of the built-in formats, the same in the format selector and in the
// print history.
const (
	BuiltinFullName    = "内置完整证书（A4 横向）"
	BuiltinOverlayName = "内置套打（A4 横向）"
)

// DefaultFormat returns the built-in layout of a mode: an A4 landscape
// certificate. The overlay default has the same positions as the full design
// so that stock printed from the full design can be filled in by overlay.
func DefaultFormat(mode Mode) Format {
	name := BuiltinFullName
	if mode == ModeOverlay {
		name = BuiltinOverlayName
	}
	return Format{
		Name:      name,
		Paper:     PaperA4,
		Landscape: true,
		Mode:      mode,
		Fields:    defaultFields(),
	}
}

// defaultFields is the layout certpdf's full design is drawn around: body rows of
// 11 mm between the photo (left) and the QR code (right), the number top right
// and the issuer block bottom right.
func defaultFields() map[FieldKey]Field {
	const (
		valueX = 112.0
		valueW = 100.0
		rowY   = 72.0
		row    = 11.0
		line   = 8.0
		size   = 15.0
	)
	return map[FieldKey]Field{
		FieldNumber:     {X: 226, Y: 19, W: 52, H: 7, FontSize: 12, Visible: true},
		FieldName:       {X: valueX, Y: rowY, W: valueW, H: line, FontSize: size, Visible: true},
		FieldGender:     {X: valueX, Y: rowY + row, W: valueW, H: line, FontSize: size, Visible: true},
		FieldID:         {X: valueX, Y: rowY + 2*row, W: valueW, H: line, FontSize: size, Visible: true},
		FieldOccupation: {X: valueX, Y: rowY + 3*row, W: valueW, H: line, FontSize: size, Visible: true},
		FieldLevel:      {X: valueX, Y: rowY + 4*row, W: valueW, H: line, FontSize: size, Visible: true},
		FieldWorkUnit:   {X: valueX, Y: rowY + 5*row, W: valueW, H: 15, FontSize: size, Visible: true},
		FieldIssuer:     {X: 190, Y: 158, W: 80, H: 13, FontSize: 13, Visible: true},
		FieldIssueDate:  {X: 190, Y: 173, W: 80, H: 7, FontSize: 13, Visible: true},
		FieldQR:         {X: 236, Y: 72, W: 30, Visible: true},
		FieldPhoto:      {X: 32, Y: 72, W: 33, H: 45, Visible: true},
	}
}

// PtToMM is the length of a typographic point in millimetres.
const PtToMM = 25.4 / 72
