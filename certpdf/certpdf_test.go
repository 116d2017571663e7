package certpdf

import (
	"certreg/certlayout"

	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boombuler/barcode/qr"
)

// tool returns the path of a poppler-utils program. Without it the test
// fails in CI (CI set, where .ci/run installs poppler-utils) and is skipped
// elsewhere.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (apt-get install poppler-utils): %v", name, err)
		}
		t.Skipf("%s not on PATH (install poppler-utils): %v", name, err)
	}
	return p
}

// writePDF saves a rendered PDF in a temporary directory for the tools.
func writePDF(t testing.TB, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "out.pdf")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// pageCount reads "Pages:" from pdfinfo.
func pageCount(t testing.TB, path string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(run(t, "pdfinfo", path))
	if m == nil {
		t.Fatal("pdfinfo: no page count")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// text is pdftotext in content order with all whitespace removed, so that a
// wrapped value compares equal to the original.
func text(t testing.TB, path string) string {
	t.Helper()
	return squeeze(run(t, "pdftotext", "-raw", "-enc", "UTF-8", path, "-"))
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }

func render(t testing.TB, f certlayout.Format, certs ...Cert) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, f, certs); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return buf.Bytes()
}

func testCerts() []Cert {
	base := SampleCert()
	a := base
	b := base
	b.Number, b.Name, b.Gender, b.IDNumber = "26340101250002", "李堃", "女", "340104199208150027"
	b.WorkUnit, b.Occupation, b.Level = "安徽华夏建筑劳务有限公司", "钢筋工", "四级/中级工"
	b.IssueDate = time.Date(2026, 3, 5, 10, 0, 0, 0, cst)
	c := base
	c.Number, c.Name, c.IDNumber = "26340301330007", "欧阳昇", "34030219851230001X"
	c.WorkUnit, c.Occupation, c.Level = "蚌埠市政工程建设集团第二分公司", "电工", "三级/高级工"
	c.Issuer = "蚌埠市建筑业协会职业技能培训学校"
	return []Cert{a, b, c}
}

func TestRenderThreeCertificates(t *testing.T) {
	certs := testCerts()
	path := writePDF(t, render(t, certlayout.DefaultFormat(certlayout.ModeFull), certs...))
	if n := pageCount(t, path); n != 3 {
		t.Fatalf("pages = %d, want 3", n)
	}
	assertSubsetFont(t, path)
	got := text(t, path)
	for _, c := range certs {
		for _, v := range []string{c.Name, c.Number, c.IDNumber, c.WorkUnit, c.Occupation, c.Level, FormatDate(c.IssueDate), c.Issuer} {
			if !strings.Contains(got, squeeze(v)) {
				t.Errorf("text lacks %q", v)
			}
		}
	}
	for _, want := range []string{"喆", "堃", "昇", "2026年11月28日", "2026年3月5日", "职业培训合格证", "住房和城乡建设行业技能人员", "姓名：", "职业（工种）：", "证书编号："} {
		if !strings.Contains(got, squeeze(want)) {
			t.Errorf("text lacks %q", want)
		}
	}
}

// assertSubsetFont checks with pdffonts that the only font is embedded as a
// subset with a Unicode map.
func assertSubsetFont(t *testing.T, path string) {
	t.Helper()
	out := run(t, "pdffonts", path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("pdffonts: want one font:\n%s", out)
	}
	// name type encoding emb sub uni object ID
	f := strings.Fields(lines[2])
	if len(f) < 7 || f[len(f)-5] != "yes" || f[len(f)-4] != "yes" || f[len(f)-3] != "yes" {
		t.Fatalf("font not an embedded subset with ToUnicode:\n%s", out)
	}
	if !regexp.MustCompile(`^[A-Z]{6}\+`).MatchString(f[0]) {
		t.Errorf("font name %q lacks a subset tag", f[0])
	}
}

func TestOverlayPrintsOnlyValues(t *testing.T) {
	c := SampleCert()
	path := writePDF(t, render(t, certlayout.DefaultFormat(certlayout.ModeOverlay), c))
	got := text(t, path)
	for _, v := range []string{c.Name, c.Number, c.IDNumber, c.WorkUnit, c.Issuer, FormatDate(c.IssueDate)} {
		if !strings.Contains(got, v) {
			t.Errorf("overlay lacks %q", v)
		}
	}
	for _, v := range []string{"职业培训合格证", "姓名：", "照片", "扫码"} {
		if strings.Contains(got, v) {
			t.Errorf("overlay prints decoration %q", v)
		}
	}
}

func TestLongWorkUnitWrapsWithoutLoss(t *testing.T) {
	c := SampleCert()
	c.WorkUnit = "中国建筑第八工程局有限公司安徽分公司合肥市轨道交通四号线（二期）土建施工项目经理部第三作业队"
	f := certlayout.DefaultFormat(certlayout.ModeFull)
	path := writePDF(t, render(t, f, c))
	if got := text(t, path); !strings.Contains(got, c.WorkUnit) {
		t.Fatalf("wrapped work unit lost characters:\nwant %s\n got %s", c.WorkUnit, got)
	}
	d, err := newDoc(f, "")
	if err != nil {
		t.Fatal(err)
	}
	fl := f.Fields[certlayout.FieldWorkUnit]
	size, lines, ok := d.fit(c.WorkUnit, fl.W, fl.H, fl.FontSize)
	if !ok || len(lines) < 2 {
		t.Fatalf("fit = %g pt, %d lines, %v; want wrapped", size, len(lines), ok)
	}
	if strings.Join(lines, "") != c.WorkUnit {
		t.Errorf("lines %q do not join to the value", lines)
	}
	for _, l := range lines[1:] {
		if strings.ContainsAny(l[:len(string([]rune(l)[0]))], noLineStart) {
			t.Errorf("line starts with closing punctuation: %q", l)
		}
	}
}

func TestTooLongValueFailsLoudly(t *testing.T) {
	c := SampleCert()
	c.Name = strings.Repeat("欧阳", 60)
	var buf bytes.Buffer
	err := Render(&buf, certlayout.DefaultFormat(certlayout.ModeOverlay), []Cert{c})
	var te *TextError
	if !errors.As(err, &te) || te.Field != certlayout.FieldName || te.Number != c.Number {
		t.Fatalf("err = %v, want TextError on name", err)
	}
	if !strings.Contains(te.Message(), "姓名") {
		t.Errorf("message %q does not name the field", te.Message())
	}
}

func TestShrinksBeforeGivingUp(t *testing.T) {
	f := certlayout.DefaultFormat(certlayout.ModeFull)
	d, err := newDoc(f, "")
	if err != nil {
		t.Fatal(err)
	}
	fl := f.Fields[certlayout.FieldName]
	name := "阿卜杜热合曼·买买提艾力·阿不都热西提江·吐尔洪" // too wide for one line at 15 pt
	size, lines, ok := d.fit(name, fl.W, fl.H, fl.FontSize)
	if !ok || len(lines) != 1 || size >= fl.FontSize || size < certlayout.MinFontSizePt {
		t.Fatalf("fit = %g pt, %q, %v; want one shrunk line", size, lines, ok)
	}
	c := SampleCert()
	c.Name = name
	path := writePDF(t, render(t, f, c))
	if !strings.Contains(text(t, path), squeeze(name)) {
		t.Error("shrunk name not printed whole")
	}
}

func TestMissingGlyphRefused(t *testing.T) {
	for _, r := range []rune{'喆', '堃', '昇', 'A', '0', '·', '（'} {
		if !hasGlyph(r) {
			t.Errorf("main font should have %c", r)
		}
	}
	// U+2EBF0 (CJK Extension I, Unicode 15.1) and an emoji are in no
	// embedded font.
	for _, bad := range []rune{0x2EBF0, 0x1F600} {
		c := SampleCert()
		c.Name = "王" + string(bad)
		err := Render(&bytes.Buffer{}, certlayout.DefaultFormat(certlayout.ModeFull), []Cert{c})
		var te *TextError
		if !errors.As(err, &te) || te.Field != certlayout.FieldName || te.Missing != bad {
			t.Fatalf("err = %v, want TextError on name for U+%X", err, bad)
		}
		if want := fmt.Sprintf("U+%X", bad); !strings.Contains(te.Message(), want) || !strings.Contains(te.Message(), "姓名") {
			t.Errorf("message %q does not name the field and %s", te.Message(), want)
		}
	}
}

func TestInvisibleFieldsNotPrinted(t *testing.T) {
	f := certlayout.DefaultFormat(certlayout.ModeFull)
	for _, k := range []certlayout.FieldKey{certlayout.FieldID, certlayout.FieldWorkUnit, certlayout.FieldQR, certlayout.FieldPhoto} {
		fl := f.Fields[k]
		fl.Visible = false
		f.Fields[k] = fl
	}
	c := SampleCert()
	got := text(t, writePDF(t, render(t, f, c)))
	for _, v := range []string{c.IDNumber, c.WorkUnit, "身份证号", "工作单位", "照片", "扫码"} {
		if strings.Contains(got, v) {
			t.Errorf("hidden %q printed", v)
		}
	}
	if !strings.Contains(got, c.Name) {
		t.Error("visible name missing")
	}
}

// TestOffsetMovesValues measures with pdftotext -bbox that the name moves by
// the offset.
func TestOffsetMovesValues(t *testing.T) {
	pos := func(f certlayout.Format) (float64, float64) {
		out := run(t, "pdftotext", "-bbox", writePDF(t, render(t, f, SampleCert())), "-")
		m := regexp.MustCompile(`xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>王喆<`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("name not found in bbox output:\n%s", out)
		}
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		return x, y
	}
	f := certlayout.DefaultFormat(certlayout.ModeOverlay)
	x0, y0 := pos(f)
	f.OffsetX, f.OffsetY = 10, -5
	x1, y1 := pos(f)
	const pt = 72 / 25.4
	if dx, dy := x1-x0, y1-y0; abs(dx-10*pt) > 0.1 || abs(dy+5*pt) > 0.1 {
		t.Errorf("moved by (%.2f, %.2f) pt, want (%.2f, %.2f)", dx, dy, 10*pt, -5*pt)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func photoImg() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 60, 80))
	for y := range 80 {
		for x := range 60 {
			img.Set(x, y, color.RGBA{uint8(x * 4), 90, uint8(y * 3), 255})
		}
	}
	return img
}

func testPhoto(t testing.TB) []byte {
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, photoImg(), nil); err != nil {
		t.Fatal(err)
	}
	return jpg.Bytes()
}

func TestPhotos(t *testing.T) {
	img := photoImg()
	var pngb, png16 bytes.Buffer
	jpg := bytes.NewBuffer(testPhoto(t))
	if err := png.Encode(&pngb, img); err != nil {
		t.Fatal(err)
	}
	deep := image.NewRGBA64(img.Bounds())
	for y := range 80 {
		for x := range 60 {
			deep.Set(x, y, img.At(x, y))
		}
	}
	if err := png.Encode(&png16, deep); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"jpeg": jpg.Bytes(), "png": pngb.Bytes(), "png16": png16.Bytes()} {
		t.Run(name, func(t *testing.T) {
			c := SampleCert()
			c.Photo = b
			var buf bytes.Buffer
			if err := Render(&buf, certlayout.DefaultFormat(certlayout.ModeFull), []Cert{c}); err != nil {
				t.Fatal(err)
			}
		})
	}
	c := SampleCert()
	c.Photo = []byte("GIF89a not a photo")
	if err := Render(&bytes.Buffer{}, certlayout.DefaultFormat(certlayout.ModeFull), []Cert{c}); err == nil || !strings.Contains(err.Error(), c.Number) {
		t.Errorf("bad photo: err = %v, want an error naming the certificate", err)
	}
}

func TestFormatDate(t *testing.T) {
	// 2026-11-27 20:00 UTC is already the 28th in China.
	if got := FormatDate(time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)); got != "2026年11月28日" {
		t.Errorf("got %q", got)
	}
	if got := FormatDate(time.Time{}); got != "" {
		t.Errorf("zero date printed as %q", got)
	}
}

func TestWrap(t *testing.T) {
	split := func(s string, limitRunes int) []string {
		rs := []rune(s)
		ws := make([]float64, len(rs))
		for i, r := range rs {
			ws[i] = 1000
			if r < 0x80 {
				ws[i] = 500
			}
		}
		lines, ok := wrap(rs, ws, float64(limitRunes)*1000, 99)
		if !ok {
			t.Fatalf("wrap %q failed", s)
		}
		return lines
	}
	cases := []struct {
		in    string
		limit int
		want  []string
	}{
		{"一二三四五六七", 3, []string{"一二三", "四五六", "七"}},
		{"一二三，四五", 3, []string{"一二", "三，四", "五"}},         // no line starts with "，"
		{"ab cdef", 3, []string{"ab", "cdef"}},            // the word moves whole
		{"123456789012", 3, []string{"123456", "789012"}}, // no space: break inside
	}
	for _, tc := range cases {
		if got := split(tc.in, tc.limit); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func TestCalibrationOnePage(t *testing.T) {
	f := certlayout.DefaultFormat(certlayout.ModeOverlay)
	f.OffsetX, f.OffsetY = 1.5, -2
	var buf bytes.Buffer
	if err := Calibration(&buf, f); err != nil {
		t.Fatal(err)
	}
	path := writePDF(t, buf.Bytes())
	if n := pageCount(t, path); n != 1 {
		t.Fatalf("pages = %d", n)
	}
	got := text(t, path)
	for _, l := range certlayout.FieldLabels() {
		if !strings.Contains(got, l.Label) {
			t.Errorf("calibration lacks box %q", l.Label)
		}
	}
	if !strings.Contains(got, "+1.5毫米") || !strings.Contains(got, "-2.0毫米") {
		t.Errorf("calibration does not state the offset:\n%s", got)
	}
}

func TestPreview(t *testing.T) {
	var buf bytes.Buffer
	if err := Preview(&buf, certlayout.DefaultFormat(certlayout.ModeFull)); err != nil {
		t.Fatal(err)
	}
	path := writePDF(t, buf.Bytes())
	if n := pageCount(t, path); n != 1 {
		t.Fatalf("pages = %d", n)
	}
	if !strings.Contains(text(t, path), "王喆") {
		t.Error("preview lacks the sample name")
	}
}

// TestWriteLook writes the full default (also with a long work unit and with
// a name of rare ideographs), overlay and calibration PDFs to
// $CERTPDF_LOOK for a person to look at (pdftoppm -png -r 60).
func TestWriteLook(t *testing.T) {
	dir := os.Getenv("CERTPDF_LOOK")
	if dir == "" {
		t.Skip("set CERTPDF_LOOK=dir to write sample PDFs")
	}
	var full, long, rare, overlay, calib bytes.Buffer
	if err := Preview(&full, certlayout.DefaultFormat(certlayout.ModeFull)); err != nil {
		t.Fatal(err)
	}
	r := SampleCert()
	r.Name = "吉\U00020BB7\u3400\U0002A700\U0002CEB0" // Extensions B (in WenKai), A, C, F (Hanazono)
	if err := Render(&rare, certlayout.DefaultFormat(certlayout.ModeFull), []Cert{r}); err != nil {
		t.Fatal(err)
	}
	c := testCerts()[2]
	c.WorkUnit = "中国建筑第八工程局有限公司安徽分公司合肥市轨道交通四号线（二期）土建施工项目经理部第三作业队"
	c.Issuer = "安徽省住房和城乡建设厅建设职业技能鉴定与培训管理中心"
	c.Photo = testPhoto(t)
	if err := Render(&long, certlayout.DefaultFormat(certlayout.ModeFull), []Cert{c}); err != nil {
		t.Fatal(err)
	}
	if err := Preview(&overlay, certlayout.DefaultFormat(certlayout.ModeOverlay)); err != nil {
		t.Fatal(err)
	}
	if err := Calibration(&calib, certlayout.DefaultFormat(certlayout.ModeOverlay)); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"full.pdf": full.Bytes(), "full-long.pdf": long.Bytes(), "full-rare.pdf": rare.Bytes(), "overlay.pdf": overlay.Bytes(), "calibration.pdf": calib.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestQRPNGMatchesCode(t *testing.T) {
	const url = "https://zjt.example.gov.cn/verify?t=Q7m2Zp9xKc4Rw8NyT3vB"
	b, modules, err := qrPNG(url)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("hand-made PNG does not decode: %v", err)
	}
	code, err := qr.Encode(url, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != code.Bounds() || modules != code.Bounds().Dx() {
		t.Fatalf("bounds %v (%d modules), want %v", img.Bounds(), modules, code.Bounds())
	}
	for y := range code.Bounds().Dy() {
		for x := range code.Bounds().Dx() {
			a, _, _, _ := img.At(x, y).RGBA()
			c, _, _, _ := code.At(x, y).RGBA()
			if (a < 0x8000) != (c < 0x8000) {
				t.Fatalf("module (%d,%d) differs", x, y)
			}
		}
	}
}

// TestRenderConcurrentAndNoLeak renders from two goroutines at once (run with
// -race) and checks that a failed batch stops its QR workers.
func TestRenderConcurrentAndNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	certs := variedCerts(40)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := Render(io.Discard, certlayout.DefaultFormat(certlayout.ModeFull), certs); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	bad := variedCerts(200)
	bad[3].Name = strings.Repeat("名", 200)
	if err := Render(io.Discard, certlayout.DefaultFormat(certlayout.ModeFull), bad); err == nil {
		t.Fatal("want an error")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left running, %d before", n, before)
	}
}

// TestA5Scaled renders the full design on A5 landscape with the default
// layout scaled down, so the decoration must scale with the sheet.
func TestA5Scaled(t *testing.T) {
	f := certlayout.DefaultFormat(certlayout.ModeFull)
	f.Paper = certlayout.PaperA5
	const k = 210.0 / 297
	for key, fl := range f.Fields {
		fl.X, fl.Y, fl.W, fl.H = fl.X*k, fl.Y*k, fl.W*k, fl.H*k
		if fl.FontSize > 0 {
			fl.FontSize = max(certlayout.MinFontSizePt, fl.FontSize*k)
		}
		f.Fields[key] = fl
	}
	if p := f.Validate(); len(p) > 0 {
		t.Fatal(p)
	}
	var buf bytes.Buffer
	if err := Preview(&buf, f); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("CERTPDF_LOOK"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "a5.pdf"), buf.Bytes(), 0o644)
	}
	got := text(t, writePDF(t, buf.Bytes()))
	for _, v := range []string{"王喆", "合肥市城建第三工程有限公司", "职业培训合格证"} {
		if !strings.Contains(got, v) {
			t.Errorf("A5 lacks %q", v)
		}
	}
}

// Rendering refuses a format that does not validate, with its problems.
func TestRenderRefusesAnInvalidFormat(t *testing.T) {
	bad := certlayout.DefaultFormat(certlayout.ModeFull)
	bad.Paper = "letter"
	var fe *certlayout.InvalidFormatError
	if err := Render(&bytes.Buffer{}, bad, []Cert{SampleCert()}); !errors.As(err, &fe) || fe.Problems[certlayout.ProblemPaper] == "" {
		t.Errorf("Render of an invalid format: err = %v", err)
	}
}
