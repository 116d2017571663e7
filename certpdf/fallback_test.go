package certpdf

import (
	"certreg/certlayout"

	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
)

// rareNames are holders' names with an ideograph from each block a Chinese
// ID name may use (GB 18030-2022) beyond the basic one: each must print and
// come back from the PDF as the same code points.
var rareNames = []struct{ block, name string }{
	{"Extension A", "李\u4DAE"},                 // 䶮
	{"Extension A (not in WenKai)", "王\u3400"}, // 㐀
	{"Extension B", "吉\U00020BB7"},             // 𠮷
	{"Extension B (first)", "张\U00020000"},     // 𠀀
	{"Extension C", "陈\U0002A700"},             // 𪜀
	{"Extension D", "赵\U0002B740"},             // 𫝀
	{"Extension E", "孙\U0002B820"},             // 𫠠
	{"Extension F", "周\U0002CEB0"},             // 𬺰
	{"Compatibility", "郑\uF900"},               // 豈
	{"Compatibility Supplement", "吴\U0002F800"},
	{"several in one name", "\U00020BB7\u4DAE\U0002A700\U0002CEB0明"},
}

func TestRareIdeographsPrint(t *testing.T) {
	var certs []Cert
	for i, n := range rareNames {
		c := SampleCert()
		c.Number = fmt.Sprintf("263401012500%02d", i+1)
		c.Name = n.name
		certs = append(certs, c)
	}
	// A wrapped work unit with rare characters on both lines.
	certs[2].WorkUnit = "合肥市\U00020BB7野家建筑工程有限公司第\U0002A700\U0002B740\U0002B820分公司包河区项目部\u3400"
	path := writePDF(t, render(t, certlayout.DefaultFormat(certlayout.ModeFull), certs...))
	if out := run(t, "pdfinfo", path); strings.Contains(out, "rror") {
		t.Fatalf("pdfinfo reports errors:\n%s", out)
	}
	got := text(t, path)
	for _, n := range rareNames {
		if !strings.Contains(got, n.name) {
			t.Errorf("%s: %q (%U) not in the text", n.block, n.name, []rune(n.name))
		}
	}
	if !strings.Contains(got, squeeze(certs[2].WorkUnit)) {
		t.Errorf("wrapped work unit lost characters:\nwant %s\n got %s", certs[2].WorkUnit, got)
	}
	if i := strings.IndexFunc(got, func(r rune) bool { return r >= 0xE000 && r <= 0xF8FF }); i >= 0 {
		t.Errorf("private-use code %U leaked into the text", []rune(got[i:])[0])
	}
	if fonts := assertSubsetFonts(t, path); len(fonts) < 2 {
		t.Errorf("want the main font and fallback fonts, got %v", fonts)
	}
}

// assertSubsetFonts checks with pdffonts that every font is embedded as a
// tagged subset with a Unicode map, and returns their names.
func assertSubsetFonts(t *testing.T, path string) []string {
	t.Helper()
	out := run(t, "pdffonts", path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 {
		t.Fatalf("pdffonts: no font:\n%s", out)
	}
	var names []string
	for _, l := range lines[2:] {
		// name type encoding emb sub uni object ID
		f := strings.Fields(l)
		if len(f) < 7 || f[len(f)-5] != "yes" || f[len(f)-4] != "yes" || f[len(f)-3] != "yes" {
			t.Errorf("font not an embedded subset with ToUnicode: %s", l)
			continue
		}
		if !regexp.MustCompile(`^[A-Z]{6}\+\w+$`).MatchString(f[0]) {
			t.Errorf("font name %q lacks a subset tag", f[0])
		}
		names = append(names, f[0])
	}
	return names
}

// TestPrintable checks the set the import refuses characters by: every
// assigned ideograph of the basic block, Extensions A–F and the two
// compatibility blocks prints; characters no embedded font has do not.
func TestPrintable(t *testing.T) {
	blocks := []struct {
		name   string
		lo, hi rune
	}{
		{"CJK Unified Ideographs", 0x4E00, 0x9FFF},
		{"Extension A", 0x3400, 0x4DBF},
		{"Extension B", 0x20000, 0x2A6DF},
		{"Extension C", 0x2A700, 0x2B73F},
		{"Extension D", 0x2B740, 0x2B81F},
		{"Extension E", 0x2B820, 0x2CEAF},
		{"Extension F", 0x2CEB0, 0x2EBEF},
		{"Compatibility Ideographs", 0xF900, 0xFAFF},
		{"Compatibility Ideographs Supplement", 0x2F800, 0x2FA1F},
	}
	for _, b := range blocks {
		n, bad := 0, 0
		for r := b.lo; r <= b.hi; r++ {
			if !unicode.Is(unicode.Ideographic, r) {
				continue
			}
			n++
			if !Printable(r) {
				if bad < 5 {
					t.Errorf("%s: %U %c not printable", b.name, r, r)
				}
				bad++
			}
		}
		if n == 0 || bad > 0 {
			t.Errorf("%s: %d of %d assigned ideographs not printable", b.name, bad, n)
		}
	}
	for _, r := range []rune{'A', 'z', '0', ' ', '·', '（', '）', '—', '喆', '龑', 0x4DAE, 0x20BB7} {
		if !Printable(r) {
			t.Errorf("%U %c not printable", r, r)
		}
	}
	for _, r := range []rune{0x1F600, 0x2EBF0, '\n', 0x10FFFF, -1} {
		if Printable(r) {
			t.Errorf("%U printable", r)
		}
	}
	for _, tc := range []struct {
		in   string
		want rune
	}{
		{"吉\U00020BB7", 0},
		{"王\u3400\U0002CEB0", 0},
		{"", 0},
		{"李\U0001F600四\U0002EBF0", 0x1F600},
		{"李四\U0002EBF0", 0x2EBF0},
	} {
		r, bad := MissingRune(tc.in)
		if r != tc.want || bad != (tc.want != 0) {
			t.Errorf("MissingRune(%q) = %U, %v; want %U", tc.in, r, bad, tc.want)
		}
	}
}

// TestFallbackFontsMatchTable checks that each generated fallback font maps
// exactly the private-use codes the table gives it, each to a glyph fpdf
// measures as full width, so that the printed runes are the ones the table
// promises.
func TestFallbackFontsMatchTable(t *testing.T) {
	want := make([]map[rune]bool, len(fallbackFiles))
	for i := range want {
		want[i] = map[rune]bool{}
	}
	prev := rune(-1)
	for _, fr := range fallbackRanges {
		if fr.lo <= prev || fr.hi < fr.lo {
			t.Fatalf("ranges not sorted and disjoint at %U", fr.lo)
		}
		prev = fr.hi
		for r := fr.lo; r <= fr.hi; r++ {
			if hasGlyph(r) {
				t.Errorf("%U is in the main font and a fallback font", r)
			}
			code := rune(fr.code) + r - fr.lo
			if code < 0xE000 || code > 0xF8FF || want[fr.font][code] {
				t.Fatalf("%U: code %U outside the private use area or used twice", r, code)
			}
			want[fr.font][code] = true
		}
	}
	for i, f := range fallbackFiles {
		ttf, err := fallbackTTF[i]() // unpacked once for the whole test binary
		if err != nil {
			t.Fatal(err)
		}
		set, err := parseCmap4(ttf)
		if err != nil {
			t.Fatalf("%s: %v", f.file, err)
		}
		n := 0
		for c := rune(0); c < 1<<16; c++ {
			if has := set[c/64]&(1<<(c%64)) != 0; has != want[i][c] {
				t.Fatalf("%s: code %U in font %v, in table %v", f.file, c, has, want[i][c])
			}
			if want[i][c] {
				n++
			}
		}
		pdf := fpdf.New("P", "mm", "A4", "")
		pdf.AddUTF8FontFromBytes("f", "", ttf)
		pdf.SetFont("f", "", 10)
		if err := pdf.Error(); err != nil {
			t.Fatalf("%s: fpdf: %v", f.file, err)
		}
		for c := range want[i] {
			if w := pdf.GetStringSymbolWidth(string(c)); w != fallbackUnits {
				t.Fatalf("%s: %U is %d units wide, want %d", f.file, c, w, fallbackUnits)
			}
		}
		t.Logf("%s (%s): %d glyphs, %d bytes", f.file, f.psName, n, len(ttf))
	}
}

// TestFinishedPDFCrossReference checks the rewritten file the way a strict
// reader does: every cross-reference entry points at its object and
// startxref at the table (poppler repairs a broken table silently).
func TestFinishedPDFCrossReference(t *testing.T) {
	c := SampleCert()
	c.Name = "吉\U00020BB7"
	pdf := render(t, certlayout.DefaultFormat(certlayout.ModeFull), c, SampleCert())
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref at the end")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[xref:], []byte("xref\n0 ")) {
		t.Fatalf("startxref %d does not point at the table", xref)
	}
	entries := regexp.MustCompile(`(\d{10}) 00000 n \n`).FindAllSubmatch(pdf[xref:], -1)
	if len(entries) < 10 {
		t.Fatalf("%d entries", len(entries))
	}
	for i, e := range entries {
		off, _ := strconv.Atoi(string(e[1]))
		if want := fmt.Sprintf("%d 0 obj\n", i+1); !bytes.HasPrefix(pdf[off:], []byte(want)) {
			t.Errorf("entry %d points at %q", i+1, pdf[off:min(off+20, len(pdf))])
		}
	}
	for _, old := range []string{"/utf8wenkairegular", "/utf8fallback"} {
		if bytes.Contains(pdf, []byte(old)) {
			t.Errorf("font name %s not renamed", old)
		}
	}
}
