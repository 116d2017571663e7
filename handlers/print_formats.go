package handlers

import (
	"certreg/certlayout"

	"bytes"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/certpdf"
	"certreg/store"
)

// Print formats (docs/certificates.md), for units and 省直所 with cert.print:
// list, create (from a built-in layout), edit, copy, delete, choose the
// default; a live PDF preview on sample data beside the form and a
// calibration page. Two built-in formats are always offered for printing.

const (
	builtinFull    = "builtin-full"
	builtinOverlay = "builtin-overlay"
)

type formatChoice struct {
	Key, Label string
}

// formatChoices lists the formats a print can use and the default key.
func (s *Server) formatChoices(a store.Actor) ([]formatChoice, string, error) {
	list, def, err := s.st.PrintFormatNames(a)
	if err != nil {
		return nil, "", err
	}
	out := make([]formatChoice, 0, len(list)+2)
	for _, pf := range list {
		out = append(out, formatChoice{Key: itoa(pf.ID), Label: pf.Name})
	}
	out = append(out, formatChoice{builtinFull, certlayout.BuiltinFullName}, formatChoice{builtinOverlay, certlayout.BuiltinOverlayName})
	key := builtinFull
	if def != 0 {
		key = itoa(def)
	}
	return out, key, nil
}

// resolveFormat is the format a print asks for: a stored one of the
// caller's organisation or a built-in one.
func (s *Server) resolveFormat(a store.Actor, key string) (certlayout.Format, error) {
	switch key {
	case builtinFull, "":
		return certlayout.DefaultFormat(certlayout.ModeFull), nil
	case builtinOverlay:
		return certlayout.DefaultFormat(certlayout.ModeOverlay), nil
	}
	id := parseUint(key)
	if id == 0 {
		return certlayout.Format{}, fiber.ErrNotFound
	}
	pf, err := s.st.PrintFormat(a, id)
	return pf.Format, err
}

func modeLabel(m certlayout.Mode) string {
	if m == certlayout.ModeOverlay {
		return "套打"
	}
	return "完整"
}

func paperLabel(f certlayout.Format) string {
	switch f.Paper {
	case certlayout.PaperCustom:
		return fmt.Sprintf("自定义 %g×%g 毫米", f.WidthMM, f.HeightMM)
	case certlayout.PaperA4, certlayout.PaperA5:
		if f.Landscape {
			return f.Paper + " 横向"
		}
		return f.Paper + " 纵向"
	}
	return f.Paper
}

type formatRow struct {
	store.PrintFormat
	Default bool
	Mode    string
	Paper   string
}

type formatListData struct {
	Formats []formatRow
}

func (s *Server) printFormats(c *fiber.Ctx) error {
	return s.renderFormatList(c, fiber.StatusOK, nil)
}

func (s *Server) renderFormatList(c *fiber.Ctx, status int, errs map[string]string) error {
	w := whoOf(c)
	list, def, err := s.st.PrintFormats(w.actor(c.IP()))
	if err != nil {
		return err
	}
	d := formatListData{}
	for _, pf := range list {
		d.Formats = append(d.Formats, formatRow{PrintFormat: pf, Default: pf.ID == def, Mode: modeLabel(pf.Format.Mode), Paper: paperLabel(pf.Format)})
	}
	return s.render(c, status, tplFormats, "打印格式", d, errs)
}

// formatForm is the edit form as typed.
type formatForm struct {
	ID                                           uint64
	Name, Paper, Width, Height, OffsetX, OffsetY string
	Mode                                         string
	Landscape                                    bool
	Fields                                       []fieldRow
	PreviewURL, CalibrationURL                   string // the form on sample data, and its calibration page
	Rev                                          uint64 // revision and values it was made from (stale.go)
	Base                                         string
}

// formatFields are the values of a saved format as its form shows them.
func formatFields(pf store.PrintFormat) []field {
	ff := formFromFormat(pf.Format)
	orient := "纵向"
	if ff.Landscape {
		orient = "横向"
	}
	out := []field{{"名称", ff.Name}, {"模式", ff.Mode}, {"纸张", ff.Paper + " " + ff.Width + "×" + ff.Height + " mm " + orient},
		{"整体偏移", ff.OffsetX + ", " + ff.OffsetY + " mm"}}
	for _, r := range ff.Fields {
		shown := "隐藏"
		if r.Visible {
			shown = "显示"
		}
		out = append(out, field{"「" + r.Label + "」", fmt.Sprintf("%s，位置 %s, %s，%s×%s mm，字号 %s", shown, r.X, r.Y, r.W, r.H, r.FontSize)})
	}
	return out
}

// editing marks the form as made from pf.
func (ff *formatForm) editing(pf store.PrintFormat) {
	ff.Rev, ff.Base = store.CurrentRev(pf.Rev), formBase(formatFields(pf))
}

type fieldRow struct {
	Key                  certlayout.FieldKey
	Label                string
	X, Y, W, H, FontSize string
	Visible              bool
	Image                bool
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func formFromFormat(f certlayout.Format) formatForm {
	ff := formatForm{Name: f.Name, Paper: f.Paper, Width: num(f.WidthMM), Height: num(f.HeightMM), OffsetX: num(f.OffsetX),
		OffsetY: num(f.OffsetY), Mode: string(f.Mode), Landscape: f.Landscape}
	if f.Paper != certlayout.PaperCustom {
		ff.Width, ff.Height = "", ""
	}
	def := certlayout.DefaultFormat(f.Mode).Fields
	for _, l := range certlayout.FieldLabels() {
		fl, ok := f.Fields[l.Key]
		if !ok {
			fl = def[l.Key]
			fl.Visible = false
		}
		ff.Fields = append(ff.Fields, fieldRow{Key: l.Key, Label: l.Label, X: num(fl.X), Y: num(fl.Y), W: num(fl.W), H: num(fl.H),
			FontSize: num(fl.FontSize), Visible: fl.Visible, Image: l.Key == certlayout.FieldQR || l.Key == certlayout.FieldPhoto})
	}
	return ff
}

// parseFormat reads the edit form; numbers that do not parse are problems
// under certpdf's keys, like Validate's.
func parseFormat(get func(string) string) (certlayout.Format, formatForm, map[string]string) {
	problems := map[string]string{}
	number := func(key, problem, label string) float64 {
		s := strings.TrimSpace(get(key))
		if s == "" {
			return 0
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			if problems[problem] == "" {
				problems[problem] = label + "应为数字"
			}
			return 0
		}
		return math.Round(v*10) / 10
	}
	f := certlayout.Format{Name: strings.TrimSpace(get("name")), Paper: get("paper"), Mode: certlayout.Mode(get("mode")),
		Landscape: get("landscape") == "1", Fields: map[certlayout.FieldKey]certlayout.Field{}}
	f.OffsetX = number("offset_x", certlayout.ProblemOffX, "水平偏移")
	f.OffsetY = number("offset_y", certlayout.ProblemOffY, "垂直偏移")
	if f.Paper == certlayout.PaperCustom {
		f.WidthMM = number("width_mm", certlayout.ProblemWidth, "纸张宽度")
		f.HeightMM = number("height_mm", certlayout.ProblemHeight, "纸张高度")
	}
	for _, l := range certlayout.FieldLabels() {
		k := string(l.Key)
		pk := certlayout.FieldProblemKey(l.Key)
		lab := "“" + l.Label + "”的"
		fl := certlayout.Field{Visible: get("f_"+k+"_visible") == "1"}
		fl.X = number("f_"+k+"_x", pk, lab+"位置")
		fl.Y = number("f_"+k+"_y", pk, lab+"位置")
		fl.W = number("f_"+k+"_w", pk, lab+"宽度")
		fl.H = number("f_"+k+"_h", pk, lab+"高度")
		if l.Key != certlayout.FieldQR && l.Key != certlayout.FieldPhoto {
			fl.FontSize = number("f_"+k+"_size", pk, lab+"字号")
		}
		if l.Key == certlayout.FieldQR {
			fl.H = fl.W
		}
		f.Fields[l.Key] = fl
	}
	ff := formFromFormat(f)
	// Keep what was typed, even where it did not parse.
	ff.Width, ff.Height, ff.OffsetX, ff.OffsetY = get("width_mm"), get("height_mm"), get("offset_x"), get("offset_y")
	for i := range ff.Fields {
		k := string(ff.Fields[i].Key)
		ff.Fields[i].X, ff.Fields[i].Y, ff.Fields[i].W, ff.Fields[i].H = get("f_"+k+"_x"), get("f_"+k+"_y"), get("f_"+k+"_w"), get("f_"+k+"_h")
		ff.Fields[i].FontSize = get("f_" + k + "_size")
	}
	if len(problems) == 0 {
		return f, ff, nil
	}
	return f, ff, problems
}

// previewQuery is a form as the preview URL's query.
func (ff formatForm) previewQuery() string {
	v := map[string]string{"name": ff.Name, "paper": ff.Paper, "width_mm": ff.Width, "height_mm": ff.Height, "offset_x": ff.OffsetX,
		"offset_y": ff.OffsetY, "mode": ff.Mode}
	if ff.Landscape {
		v["landscape"] = "1"
	}
	for _, r := range ff.Fields {
		k := "f_" + string(r.Key)
		v[k+"_x"], v[k+"_y"], v[k+"_w"], v[k+"_h"], v[k+"_size"] = r.X, r.Y, r.W, r.H, r.FontSize
		if r.Visible {
			v[k+"_visible"] = "1"
		}
	}
	vals := make([]string, 0, len(v))
	for k, x := range v {
		if x != "" {
			vals = append(vals, k+"="+url.QueryEscape(x))
		}
	}
	sort.Strings(vals)
	return strings.Join(vals, "&")
}

type formatEditData struct {
	Form    formatForm
	IsNew   bool
	Modes   []string
	Default bool
}

func (s *Server) renderFormatForm(c *fiber.Ctx, status int, ff formatForm, isNew bool, errs map[string]string) error {
	q := ff.previewQuery()
	ff.PreviewURL = "/certificates/formats/preview?" + q
	ff.CalibrationURL = "/certificates/formats/preview?kind=calibration&" + q
	title := "修改打印格式"
	if isNew {
		title = "新建打印格式"
	}
	return s.render(c, status, tplFormat, title, formatEditData{Form: ff, IsNew: isNew}, errs)
}

func (s *Server) newFormatPage(c *fiber.Ctx) error {
	mode := certlayout.ModeFull
	if c.Query("mode") == string(certlayout.ModeOverlay) {
		mode = certlayout.ModeOverlay
	}
	f := certlayout.DefaultFormat(mode)
	f.Name = ""
	return s.renderFormatForm(c, fiber.StatusOK, formFromFormat(f), true, nil)
}

// savedFormat is the print format the path's :id names, as the user may
// see it.
func (s *Server) savedFormat(c *fiber.Ctx) (store.PrintFormat, error) {
	id, err := idParam(c)
	if err != nil {
		return store.PrintFormat{}, err
	}
	return s.st.PrintFormat(whoOf(c).actor(c.IP()), id)
}

func (s *Server) editFormatPage(c *fiber.Ctx) error {
	pf, err := s.savedFormat(c)
	if err != nil {
		return err
	}
	ff := formFromFormat(pf.Format)
	ff.ID = pf.ID
	ff.editing(pf)
	return s.renderFormatForm(c, fiber.StatusOK, ff, false, nil)
}

// saveFormat creates (no :id) or updates a format.
func (s *Server) saveFormat(c *fiber.Ctx) error {
	w := whoOf(c)
	var id uint64
	if c.Params("id") != "" {
		var err error
		if id, err = idParam(c); err != nil {
			return err
		}
		if _, err := s.st.PrintFormat(w.actor(c.IP()), id); err != nil {
			return err
		}
	}
	f, ff, problems := parseFormat(func(k string) string { return c.FormValue(k) })
	ff.ID, ff.Rev, ff.Base = id, formRev(c), c.FormValue("base")
	problems = mergeProblems(f, problems)
	if problems != nil {
		problems[""] = fmt.Sprintf("格式中有 %d 处需要修改，请查看标出的内容。", len(problems))
		return s.renderFormatForm(c, fiber.StatusUnprocessableEntity, ff, id == 0, problems)
	}
	pf, err := s.st.SavePrintFormat(w.actor(c.IP()), id, ff.Rev, f)
	if err != nil {
		if cur, cerr := s.st.PrintFormat(w.actor(c.IP()), id); cerr == nil {
			if _, ok := staleOf(c, err, formatFields(cur)); ok {
				ff.editing(cur)
				return s.renderFormatForm(c, fiber.StatusUnprocessableEntity, ff, false, nil)
			}
		}
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderFormatForm(c, fiber.StatusUnprocessableEntity, ff, id == 0, errs)
	}
	s.flash(c, "打印格式「"+pf.Format.Name+"」已保存。")
	return s.redirect(c, "/certificates/formats/"+itoa(pf.ID))
}

func (s *Server) formatAction(c *fiber.Ctx) error {
	w := whoOf(c)
	a := w.actor(c.IP())
	id, err := idParam(c)
	if err != nil {
		return err
	}
	pf, err := s.st.PrintFormat(a, id)
	if err != nil {
		return err
	}
	switch c.Params("action") {
	case "copy":
		cp, err := s.st.CopyPrintFormat(a, id)
		if err != nil {
			return s.formatListError(c, err)
		}
		s.flash(c, "已复制为「"+cp.Format.Name+"」。")
		return s.redirect(c, "/certificates/formats/"+itoa(cp.ID))
	case "delete":
		if err := s.st.DeletePrintFormat(a, id); err != nil {
			return s.formatListError(c, err)
		}
		s.flash(c, "打印格式「"+pf.Format.Name+"」已删除。")
	case "default":
		if err := s.st.SetDefaultPrintFormat(a, id); err != nil {
			return s.formatListError(c, err)
		}
		s.flash(c, "「"+pf.Format.Name+"」已设为默认打印格式。")
	default:
		return fiber.ErrNotFound
	}
	return s.redirect(c, "/certificates/formats")
}

func (s *Server) formatListError(c *fiber.Ctx, err error) error {
	msg, ok := userMessage(err)
	if !ok {
		return err
	}
	return s.renderFormatList(c, fiber.StatusUnprocessableEntity, map[string]string{"": msg})
}

// frameable lets our own pages show the answer in an <iframe>: the global
// headers forbid any framing (frame-ancestors 'none', X-Frame-Options DENY).
func frameable(c *fiber.Ctx, csp string) {
	c.Set("Content-Security-Policy", csp+"; frame-ancestors 'self'")
	c.Set("X-Frame-Options", "SAMEORIGIN")
}

// formatPreview renders the form's format (unsaved) on sample data, or its
// calibration page, as a PDF shown inline beside the form.
func (s *Server) formatPreview(c *fiber.Ctx) error {
	f, _, problems := parseFormat(func(k string) string { return c.Query(k) })
	if f.Name == "" {
		f.Name = "预览"
	}
	problems = mergeProblems(f, problems)
	if problems != nil {
		frameable(c, "default-src 'none'; style-src 'self'")
		return s.execute(c, fiber.StatusOK, tplFormatProblems, page{Data: problemList(problems)}, "")
	}
	var buf bytes.Buffer
	var err error
	if c.Query("kind") == "calibration" {
		err = certpdf.Calibration(&buf, f)
	} else {
		err = certpdf.Preview(&buf, f)
	}
	if err != nil {
		var te *certpdf.TextError
		var qe *certpdf.QRSizeError
		switch {
		case errors.As(err, &te):
			frameable(c, "default-src 'none'; style-src 'self'")
			return s.execute(c, fiber.StatusOK, tplFormatProblems, page{Data: []string{te.Message()}}, "")
		case errors.As(err, &qe):
			frameable(c, "default-src 'none'; style-src 'self'")
			return s.execute(c, fiber.StatusOK, tplFormatProblems, page{Data: []string{qe.Message()}}, "")
		}
		return err
	}
	frameable(c, "default-src 'none'; object-src 'self'")
	return sendDownload(c, buf.Bytes(), "application/pdf", fileName{"打印预览.pdf", "print-preview.pdf"}, false)
}

// formatCalibration is a saved format's calibration page.
func (s *Server) formatCalibration(c *fiber.Ctx) error {
	pf, err := s.savedFormat(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := certpdf.Calibration(&buf, pf.Format); err != nil {
		return err
	}
	return sendDownload(c, buf.Bytes(), "application/pdf", fileName{"校准页-" + pf.Format.Name + ".pdf", fmt.Sprintf("calibration-%d.pdf", pf.ID)}, false)
}

func problemList(p map[string]string) []string {
	out := make([]string, 0, len(p))
	for _, l := range []string{certlayout.ProblemName, certlayout.ProblemMode, certlayout.ProblemPaper, certlayout.ProblemWidth, certlayout.ProblemHeight, certlayout.ProblemOffX, certlayout.ProblemOffY} {
		if v, ok := p[l]; ok {
			out = append(out, v)
		}
	}
	for _, l := range certlayout.FieldLabels() {
		if v, ok := p[certlayout.FieldProblemKey(l.Key)]; ok {
			out = append(out, v)
		}
	}
	return out
}

// mergeProblems adds certpdf's problems of f to those of parsing the form
// (which win for the same key); nil when there are none.
func mergeProblems(f certlayout.Format, parsed map[string]string) map[string]string {
	out := f.Validate()
	for k, v := range parsed {
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
