package certpdf

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"unicode/utf16"
)

// The fallback fonts print the ideographs LXGW WenKai cannot: CJK Extension
// A characters it lacks, Extensions B to F (outside the BMP, which fpdf
// cannot address at all), and the compatibility ideographs. They are made by
// internal/fontgen from WenKai's own supplementary-plane glyphs (Kai, like
// the rest of the page) and otherwise from Hanazono Mincho (fonts/fallback/
// LICENSE.txt), each font holding up to 6,400 glyphs at the private-use codes
// U+E000–U+F8FF. fpdf reads only a font's BMP cmap and writes two-byte codes,
// so a rune the main font lacks is drawn as its private-use code in its
// fallback font, and the finished PDF's ToUnicode map of that font turns the
// code back into the rune for text extraction, search and copying
// (finishPDF).
//
// The fonts are stored gzip-compressed and unpacked on first use, once per
// process; a document adds to fpdf only the fallback fonts it uses.

//go:generate go run ./internal/fontgen

//go:embed fonts/fallback/*.ttf.gz
var fallbackFS embed.FS

// fallbackFile is one fallback font: its file under fonts/fallback and the
// PostScript name it gets in a PDF.
type fallbackFile struct {
	file, psName string
}

// fallbackRange is a run of runes lo–hi printed by fallback font font at the
// consecutive codes from code on.
type fallbackRange struct {
	lo, hi rune
	font   uint8
	code   uint16
}

// fallbackTTF returns the unpacked TrueType bytes of fallback font i.
var fallbackTTF = func() (fs [len(fallbackFiles)]func() ([]byte, error)) {
	for i, f := range fallbackFiles {
		fs[i] = sync.OnceValues(func() ([]byte, error) {
			zf, err := fallbackFS.Open("fonts/fallback/" + f.file)
			if err != nil {
				return nil, err
			}
			defer zf.Close()
			zr, err := gzip.NewReader(zf)
			if err != nil {
				return nil, fmt.Errorf("certpdf: fallback font %s: %w", f.file, err)
			}
			b, err := io.ReadAll(zr)
			if err != nil {
				return nil, fmt.Errorf("certpdf: fallback font %s: %w", f.file, err)
			}
			return b, nil
		})
	}
	return fs
}()

// fallbackOf returns the fallback font and private-use code that print r,
// or ok false when no fallback font has it.
func fallbackOf(r rune) (font int, code rune, ok bool) {
	i := sort.Search(len(fallbackRanges), func(i int) bool { return fallbackRanges[i].hi >= r })
	if i == len(fallbackRanges) || fallbackRanges[i].lo > r {
		return 0, 0, false
	}
	fr := fallbackRanges[i]
	return int(fr.font), rune(fr.code) + r - fr.lo, true
}

// Printable reports whether r prints with one of the embedded fonts: the
// main font, or for an ideograph it lacks, a fallback font. A name or other
// value with a rune that is not printable cannot be printed on a certificate.
func Printable(r rune) bool {
	if hasGlyph(r) {
		return true
	}
	_, _, ok := fallbackOf(r)
	return ok
}

// MissingRune returns the first rune of s that no embedded font prints.
func MissingRune(s string) (rune, bool) {
	for _, r := range s {
		if !Printable(r) {
			return r, true
		}
	}
	return 0, false
}

// fallbackFamily is the fpdf family of fallback font i.
func fallbackFamily(i int) string { return fmt.Sprintf("fallback%02d", i) }

// fallbackUnits is the advance of every fallback glyph in thousandths of the
// font size: they are full-width ideographs (fontgen checks each).
const fallbackUnits = 1000

// textRun is a piece of a line printed in one font: font -1 is the main font.
type textRun struct {
	font int
	text string // as given to fpdf: private-use codes for a fallback font
	n    int    // runes
}

// runs splits s into pieces by font, encoding fallback runes, and records
// the codes the document uses. s has only printable runes.
func (d *doc) runs(s string) []textRun {
	var out []textRun
	var b strings.Builder
	cur, n := -1, 0
	flush := func() {
		if n > 0 {
			out = append(out, textRun{font: cur, text: b.String(), n: n})
		}
		b.Reset()
		n = 0
	}
	for _, r := range s {
		font := -1
		code := r
		if !hasGlyph(r) {
			f, c, ok := fallbackOf(r)
			if ok {
				font, code = f, c
				d.useCode(f, c, r)
			}
		}
		if font != cur {
			flush()
			cur = font
		}
		b.WriteRune(code)
		n++
	}
	flush()
	return out
}

// useCode notes that the document prints r as code in fallback font font,
// for that font's ToUnicode map.
func (d *doc) useCode(font int, code, r rune) {
	if d.fallbackCodes == nil {
		d.fallbackCodes = map[int]map[rune]rune{}
	}
	m := d.fallbackCodes[font]
	if m == nil {
		m = map[rune]rune{}
		d.fallbackCodes[font] = m
	}
	m[code] = r
}

// hasFallback reports whether s needs a fallback font.
func hasFallback(s string) bool {
	for _, r := range s {
		if !hasGlyph(r) {
			return true
		}
	}
	return false
}

// selectFont makes font (-1: the main font) current at size pt, adding a
// fallback font to the document on first use.
func (d *doc) selectFont(font int, pt float64) error {
	if font < 0 {
		d.pdf.SetFont(fontFamily, "", pt)
		return d.pdf.Error()
	}
	fam := fallbackFamily(font)
	if !d.fallbackAdded[font] {
		ttf, err := fallbackTTF[font]()
		if err != nil {
			return err
		}
		// fpdf reports a font it cannot parse only on stdout and then
		// refuses to select it; SetFont below turns that into an error.
		d.pdf.AddUTF8FontFromBytes(fam, "", ttf)
		if d.fallbackAdded == nil {
			d.fallbackAdded = map[int]bool{}
		}
		d.fallbackAdded[font] = true
	}
	d.pdf.SetFont(fam, "", pt)
	if err := d.pdf.Error(); err != nil {
		return fmt.Errorf("certpdf: fallback font %s: %w", fallbackFiles[font].file, err)
	}
	return nil
}

// toUnicode is a ToUnicode CMap for the codes a document used in a fallback
// font, each mapped to its rune (as UTF-16, a surrogate pair beyond the BMP).
func toUnicode(codes map[rune]rune) []byte {
	keys := make([]rune, 0, len(codes))
	for c := range codes {
		keys = append(keys, c)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo\n<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for len(keys) > 0 {
		n := min(len(keys), 100) // at most 100 entries per block
		fmt.Fprintf(&b, "%d beginbfchar\n", n)
		for _, c := range keys[:n] {
			fmt.Fprintf(&b, "<%04X> <", c)
			for _, u := range utf16.Encode([]rune{codes[c]}) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
		keys = keys[n:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
	return b.Bytes()
}
