// Command fontgen makes certpdf's fallback fonts: every CJK ideograph that
// the main font (LXGW WenKai) cannot print through fpdf, taken from WenKai's
// own supplementary-plane glyphs where it has them and otherwise from
// Hanazono Mincho (Debian fonts-hanazono), re-encoded at private-use code
// points so that fpdf, which reads only a font's BMP cmap and writes 16-bit
// codes, can embed them.
//
// It writes fonts/fallback/NN-source.ttf.gz (TrueType, at most 6,400 glyphs
// each: the size of the BMP private use area U+E000–U+F8FF) and
// fallback_table.go, the table from rune to font and code. Run it from the
// certpdf directory with go generate; the output is the same byte for byte
// for the same input fonts.
//
// The ideograph blocks covered are those of CJK Unified Ideographs and its
// extensions A to I, and the two compatibility ideograph blocks. A block
// character that no source font has stays unprintable; the command lists how
// many there are per block.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
)

// blocks are the ideograph blocks a name may use.
var blocks = []struct {
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
	{"Extension I", 0x2EBF0, 0x2EE5F},
	{"Extension G", 0x30000, 0x3134F},
	{"Extension H", 0x31350, 0x323AF},
	{"Compatibility Ideographs", 0xF900, 0xFAFF},
	{"Compatibility Ideographs Supplement", 0x2F800, 0x2FA1F},
}

const (
	puaFirst = 0xE000
	puaSize  = 0xF8FF - 0xE000 + 1 // 6,400 codes per fallback font
)

// source is one font the fallback glyphs are taken from.
type source struct {
	key        string // file name part
	family     string // family name of the fonts made from it
	copyright  string // appended to its own
	licence    string // name ID 13
	licenceURL string
	font       *ttf
}

const (
	hanazonoLicence = "Hanazono Font License (chosen from its dual licence Hanazono Font License / SIL Open Font License 1.1): " +
		"This font is a free software. Unlimited permission is granted to use, copy, and distribute it, with or without modification, " +
		"either commercially and noncommercially. THIS FONT IS PROVIDED \"AS IS\" WITHOUT WARRANTY."
	oflLicence = "This Font Software is licensed under the SIL Open Font License, Version 1.1."
)

func main() {
	log.SetFlags(0)
	main := flag.String("main", "fonts/LXGWWenKai-Regular.ttf", "the main font (LXGW WenKai)")
	hana := flag.String("hanazono", "/usr/share/fonts/truetype/hanazono", "directory with HanaMinA.ttf and HanaMinB.ttf")
	out := flag.String("out", "fonts/fallback", "directory for the fallback fonts")
	table := flag.String("table", "fallback_table.go", "Go file for the rune table")
	flag.Parse()

	wenkai := mustLoad(*main)
	hanaA := mustLoad(filepath.Join(*hana, "HanaMinA.ttf"))
	hanaB := mustLoad(filepath.Join(*hana, "HanaMinB.ttf"))

	// What fpdf prints with the main font: its first format 4 cmap.
	printable, err := wenkai.cmap4()
	if err != nil {
		log.Fatalf("%s: %v", *main, err)
	}
	wenkaiAll, err := wenkai.cmapFull()
	if err != nil {
		log.Fatalf("%s: %v", *main, err)
	}
	aAll, err := hanaA.cmapFull()
	if err != nil {
		log.Fatal(err)
	}
	bAll, err := hanaB.cmapFull()
	if err != nil {
		log.Fatal(err)
	}

	kai := &source{key: "wenkai", family: "Certreg Kai Supplement", font: wenkai,
		copyright: "Glyphs of LXGW WenKai outside the BMP",
		licence:   oflLicence, licenceURL: "https://openfontlicense.org"}
	mincho := map[string]*source{}
	for _, s := range []*source{
		{key: "hanamina", font: hanaA, copyright: "Glyphs of HanaMinA (Hanazono Mincho)"},
		{key: "hanaminb", font: hanaB, copyright: "Glyphs of HanaMinB (Hanazono Mincho)"},
	} {
		s.family = "Certreg Hanzi Fallback"
		s.licence = hanazonoLicence
		s.licenceURL = "http://fonts.jp/hanazono/"
		mincho[s.key] = s
	}

	// Choose a source for every block rune fpdf cannot print with WenKai.
	picked := map[*source][]rune{}
	var order []*source
	pick := func(s *source, r rune) {
		if picked[s] == nil {
			order = append(order, s)
		}
		picked[s] = append(picked[s], r)
	}
	var report []string
	for _, b := range blocks {
		var main, fb, missing int
		for r := b.lo; r <= b.hi; r++ {
			switch {
			case printable[r]:
				main++
			case wenkaiAll[r] != 0:
				pick(kai, r)
				fb++
			case r <= 0xFFFF && aAll[r] != 0, r > 0xFFFF && bAll[r] == 0 && aAll[r] != 0:
				pick(mincho["hanamina"], r)
				fb++
			case bAll[r] != 0:
				pick(mincho["hanaminb"], r)
				fb++
			default:
				if assigned(r) {
					missing++
				}
			}
		}
		report = append(report, fmt.Sprintf("%-36s main font %6d  fallback %6d  in neither %5d", b.name, main, fb, missing))
	}
	slices.SortStableFunc(order, func(a, b *source) int { return strings.Compare(a.key, b.key) })

	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(*out, "*.ttf.gz"))
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			log.Fatal(err)
		}
	}

	var files, psNames []string
	var ranges []runeRange
	for _, s := range order {
		runes := picked[s]
		slices.Sort(runes)
		for part := 0; len(runes) > 0; part++ {
			n := min(len(runes), puaSize)
			chunk := runes[:n]
			runes = runes[n:]
			idx := len(files)
			name := fmt.Sprintf("%02d-%s.ttf.gz", idx, s.key)
			family := fmt.Sprintf("%s %02d", s.family, idx)
			font, err := subset(s, chunk, family)
			if err != nil {
				log.Fatalf("%s: %v", name, err)
			}
			if err := writeGzip(filepath.Join(*out, name), font); err != nil {
				log.Fatal(err)
			}
			files = append(files, name)
			psNames = append(psNames, strings.ReplaceAll(family, " ", ""))
			for i, r := range chunk {
				code := rune(puaFirst + i)
				if l := len(ranges) - 1; l >= 0 && ranges[l].font == idx && ranges[l].hi == r-1 {
					ranges[l].hi = r
					continue
				}
				ranges = append(ranges, runeRange{lo: r, hi: r, font: idx, code: code})
			}
			log.Printf("%s: %d glyphs, %d bytes", name, len(chunk), len(font))
		}
	}
	slices.SortFunc(ranges, func(a, b runeRange) int { return int(a.lo - b.lo) })
	if err := writeTable(*table, files, psNames, ranges, report); err != nil {
		log.Fatal(err)
	}
	for _, l := range report {
		log.Print(l)
	}
}

// assigned reports whether r is an assigned ideograph: Go's tables (Unicode
// 15.0) and Extension I (Unicode 15.1).
func assigned(r rune) bool {
	return unicode.Is(unicode.Ideographic, r) || 0x2EBF0 <= r && r <= 0x2EE5D
}

func mustLoad(path string) *ttf {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	f, err := parseTTF(b)
	if err != nil {
		log.Fatalf("%s: %v", path, err)
	}
	return f
}

// runeRange is a run of consecutive runes in one fallback font at
// consecutive codes from code.
type runeRange struct {
	lo, hi rune
	font   int
	code   rune
}

// writeGzip writes b compressed, with no name or time in the header so that
// the file depends only on b.
func writeGzip(path string, b []byte) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(b); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func writeTable(path string, files, psNames []string, ranges []runeRange, report []string) error {
	var b bytes.Buffer
	b.WriteString("// Code generated by go run ./internal/fontgen; DO NOT EDIT.\n\npackage certpdf\n\n")
	b.WriteString("// Coverage of the ideograph blocks: runes printed with the main font, with\n// a fallback font, and assigned ideographs in no embedded font:\n//\n")
	for _, l := range report {
		fmt.Fprintf(&b, "//\t%s\n", l)
	}
	b.WriteString("\n// fallbackFiles are the fallback fonts under fonts/fallback, by index, with\n// their PostScript names.\nvar fallbackFiles = [...]fallbackFile{\n")
	for i, f := range files {
		fmt.Fprintf(&b, "\t{%q, %q},\n", f, psNames[i])
	}
	b.WriteString("}\n\n// fallbackRanges are the runes the fallback fonts print, sorted: runes\n// lo to hi print in font font at codes from code on.\nvar fallbackRanges = [...]fallbackRange{\n")
	for _, r := range ranges {
		fmt.Fprintf(&b, "\t{0x%X, 0x%X, %d, 0x%X},\n", r.lo, r.hi, r.font, r.code)
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return fmt.Errorf("format table: %w", err)
	}
	return os.WriteFile(path, src, 0o644)
}
