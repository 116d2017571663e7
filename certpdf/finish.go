package certpdf

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// fontFix is what finishPDF changes about one font of a document.
type fontFix struct {
	psName    string // the name after the subset tag, e.g. "LXGWWenKai"
	toUnicode []byte // replacement ToUnicode CMap, or nil to keep fpdf's
}

// fontDictRe matches the Type0 font dictionary fpdf writes for a UTF-8 font.
var fontDictRe = regexp.MustCompile(`/BaseFont /utf8(\w+)\n/Encoding /Identity-H\n/DescendantFonts \[\d+ 0 R\]\n/ToUnicode (\d+) 0 R>>`)

var errLayout = errors.New("certpdf: unexpected PDF layout from fpdf")

// finishPDF rewrites a PDF fpdf wrote, keyed by fpdf's font names ("utf8" +
// family):
//
//   - Every font is renamed "ABCDEF+Name". fpdf embeds only the glyphs used
//     but omits the six-letter tag that PDF 32000 9.6.4 requires of a
//     subset's name, so readers (and pdffonts) take it for the whole font.
//     The tag is derived from the document and the font, so that subsets
//     merged into one file keep distinct names.
//   - A fallback font's ToUnicode map, which fpdf writes as the identity,
//     is replaced by one that maps its private-use codes to the real runes.
//
// The objects are then laid out again with a new cross-reference table.
func finishPDF(pdf []byte, fixes map[string]fontFix) ([]byte, error) {
	objs, trailer, err := splitPDF(pdf)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pdf)
	// No fpdf name is a prefix of another: fallback families have two digits.
	var rename [][2][]byte
	replace := map[int][]byte{} // object number => new ToUnicode stream
	for fam, fx := range fixes {
		h := sha256.Sum256(append(sum[:], fam...))
		var tag [6]byte
		for i := range tag {
			tag[i] = 'A' + h[i]%26
		}
		rename = append(rename, [2][]byte{[]byte("/utf8" + fam), []byte("/" + string(tag[:]) + "+" + fx.psName)})
	}
	for _, o := range objs {
		if o.stream {
			continue
		}
		for _, m := range fontDictRe.FindAllSubmatch(o.data, -1) {
			fx, ok := fixes[string(m[1])]
			if !ok || fx.toUnicode == nil {
				continue
			}
			n, _ := strconv.Atoi(string(m[2]))
			replace[n] = fx.toUnicode
		}
	}
	var out bytes.Buffer
	out.Grow(len(pdf) + 4096)
	out.Write(pdf[:objs[0].at])
	offsets := make([]int, len(objs)+1)
	for _, o := range objs {
		offsets[o.num] = out.Len()
		if s, ok := replace[o.num]; ok {
			fmt.Fprintf(&out, "%d 0 obj\n<</Length %d>>\nstream\n", o.num, len(s))
			out.Write(s)
			out.WriteString("\nendstream\nendobj\n")
			continue
		}
		// Font names are in dictionaries; streams (pages, font files,
		// images) are left as they are.
		d := o.data
		if !o.stream {
			for _, r := range rename {
				if bytes.Contains(d, r[0]) {
					d = bytes.ReplaceAll(d, r[0], r[1])
				}
			}
		}
		out.Write(d)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offsets))
	for _, off := range offsets[1:] {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	out.Write(trailer)
	fmt.Fprintf(&out, "startxref\n%d\n%%%%EOF\n", xref)
	return out.Bytes(), nil
}

// pdfObject is "N 0 obj … endobj" as fpdf wrote it, at byte at.
type pdfObject struct {
	num    int
	at     int
	data   []byte
	stream bool // a dictionary and a stream, not a dictionary alone
}

// splitPDF cuts a PDF with one classic cross-reference table (what fpdf
// writes) into its objects, in file order, and the trailer dictionary
// ("trailer … >>\n").
func splitPDF(pdf []byte) ([]pdfObject, []byte, error) {
	sx := bytes.LastIndex(pdf, []byte("startxref\n"))
	if sx < 0 {
		return nil, nil, errLayout
	}
	end := bytes.IndexByte(pdf[sx+10:], '\n')
	if end < 0 {
		return nil, nil, errLayout
	}
	xref, err := strconv.Atoi(string(pdf[sx+10 : sx+10+end]))
	if err != nil || xref <= 0 || xref >= sx || !bytes.HasPrefix(pdf[xref:], []byte("xref\n0 ")) {
		return nil, nil, errLayout
	}
	p := pdf[xref+7:]
	nl := bytes.IndexByte(p, '\n')
	if nl < 0 {
		return nil, nil, errLayout
	}
	count, err := strconv.Atoi(string(p[:nl]))
	if err != nil || count < 2 {
		return nil, nil, errLayout
	}
	entries := p[nl+1:]
	const entry = 20 // "0000000123 00000 n \n"
	if len(entries) < count*entry {
		return nil, nil, errLayout
	}
	trailer := entries[count*entry:]
	if t := bytes.LastIndex(trailer, []byte("startxref\n")); t >= 0 {
		trailer = trailer[:t]
	}
	if !bytes.HasPrefix(trailer, []byte("trailer\n")) {
		return nil, nil, errLayout
	}
	objs := make([]pdfObject, 0, count-1)
	for n := 1; n < count; n++ {
		e := entries[n*entry : (n+1)*entry]
		if e[17] != 'n' {
			return nil, nil, fmt.Errorf("%w: xref entry %d", errLayout, n)
		}
		at, err := strconv.Atoi(string(e[:10]))
		if err != nil || at <= 0 || at >= xref {
			return nil, nil, fmt.Errorf("%w: xref entry %d", errLayout, n)
		}
		objs = append(objs, pdfObject{num: n, at: at})
	}
	slices.SortFunc(objs, func(a, b pdfObject) int { return a.at - b.at })
	for i := range objs {
		stop := xref
		if i+1 < len(objs) {
			stop = objs[i+1].at
		}
		objs[i].data = pdf[objs[i].at:stop]
		objs[i].stream = bytes.Contains(objs[i].data, []byte(">>\nstream\n"))
		if !bytes.HasPrefix(objs[i].data, []byte(strconv.Itoa(objs[i].num)+" 0 obj")) {
			return nil, nil, fmt.Errorf("%w: object %d", errLayout, objs[i].num)
		}
	}
	return objs, trailer, nil
}
