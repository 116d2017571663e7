package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
)

var be = binary.BigEndian

// ttf is a parsed TrueType font: its tables and what subsetting needs.
type ttf struct {
	b          []byte
	tables     map[string][]byte
	unitsPerEm int
	numGlyphs  int
	numHMetric int
	longLoca   bool
}

var errShort = errors.New("truncated font")

func parseTTF(b []byte) (*ttf, error) {
	if len(b) < 12 {
		return nil, errShort
	}
	if v := be.Uint32(b); v != 0x00010000 && v != 0x74727565 {
		return nil, fmt.Errorf("not a TrueType font (version %08x)", v)
	}
	f := &ttf{b: b, tables: map[string][]byte{}}
	n := int(be.Uint16(b[4:]))
	if len(b) < 12+16*n {
		return nil, errShort
	}
	for i := range n {
		rec := b[12+16*i:]
		off, size := int(be.Uint32(rec[8:])), int(be.Uint32(rec[12:]))
		if off+size > len(b) {
			return nil, errShort
		}
		f.tables[string(rec[:4])] = b[off : off+size]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap", "OS/2", "post", "name"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("no %q table", t)
		}
	}
	head := f.tables["head"]
	f.unitsPerEm = int(be.Uint16(head[18:]))
	f.longLoca = be.Uint16(head[50:]) == 1
	f.numGlyphs = int(be.Uint16(f.tables["maxp"][4:]))
	f.numHMetric = int(be.Uint16(f.tables["hhea"][34:]))
	if f.numHMetric == 0 || len(f.tables["hmtx"]) < 4*f.numHMetric+2*(f.numGlyphs-f.numHMetric) {
		return nil, errors.New("bad hmtx")
	}
	return f, nil
}

// subtables returns the cmap subtables in file order.
func (f *ttf) subtables() (platforms, encodings []int, data [][]byte, err error) {
	c := f.tables["cmap"]
	n := int(be.Uint16(c[2:]))
	if len(c) < 4+8*n {
		return nil, nil, nil, errShort
	}
	for i := range n {
		rec := c[4+8*i:]
		off := int(be.Uint32(rec[4:]))
		if off+4 > len(c) {
			return nil, nil, nil, errShort
		}
		platforms = append(platforms, int(be.Uint16(rec)))
		encodings = append(encodings, int(be.Uint16(rec[2:])))
		data = append(data, c[off:])
	}
	return platforms, encodings, data, nil
}

// cmap4 returns the runes of the first Unicode format 4 subtable, the one
// fpdf reads: the only runes fpdf can print with this font.
func (f *ttf) cmap4() (map[rune]bool, error) {
	ps, es, data, err := f.subtables()
	if err != nil {
		return nil, err
	}
	for i, s := range data {
		if (ps[i] == 3 && es[i] == 1 || ps[i] == 0) && be.Uint16(s) == 4 {
			m, err := parseFormat4(s)
			if err != nil {
				return nil, err
			}
			out := map[rune]bool{}
			for r, g := range m {
				if g != 0 {
					out[r] = true
				}
			}
			return out, nil
		}
	}
	return nil, errors.New("no format 4 Unicode cmap")
}

// cmapFull maps every rune of the font's Unicode cmaps to its glyph.
func (f *ttf) cmapFull() (map[rune]int, error) {
	ps, es, data, err := f.subtables()
	if err != nil {
		return nil, err
	}
	out := map[rune]int{}
	for i, s := range data {
		if !(ps[i] == 0 || ps[i] == 3 && (es[i] == 1 || es[i] == 10)) {
			continue
		}
		var m map[rune]int
		switch be.Uint16(s) {
		case 4:
			m, err = parseFormat4(s)
		case 12:
			m, err = parseFormat12(s)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		for r, g := range m {
			if g != 0 && out[r] == 0 {
				out[r] = g
			}
		}
	}
	return out, nil
}

func parseFormat4(s []byte) (map[rune]int, error) {
	if len(s) < 14 {
		return nil, errShort
	}
	segX2 := int(be.Uint16(s[6:]))
	ends, starts := 14, 14+segX2+2
	deltas, ranges := starts+segX2, starts+2*segX2
	if len(s) < ranges+segX2 {
		return nil, errShort
	}
	u16 := func(off int) (int, error) {
		if off+2 > len(s) {
			return 0, errShort
		}
		return int(be.Uint16(s[off:])), nil
	}
	m := map[rune]int{}
	for i := 0; i < segX2; i += 2 {
		end, _ := u16(ends + i)
		start, _ := u16(starts + i)
		delta, _ := u16(deltas + i)
		ro, _ := u16(ranges + i)
		for c := start; c <= end && c < 0xFFFF; c++ {
			g := 0
			if ro == 0 {
				g = (c + delta) & 0xFFFF
			} else {
				gi, err := u16(ranges + i + ro + 2*(c-start))
				if err != nil {
					return nil, err
				}
				if gi != 0 {
					g = (gi + delta) & 0xFFFF
				}
			}
			if g != 0 {
				m[rune(c)] = g
			}
		}
	}
	return m, nil
}

func parseFormat12(s []byte) (map[rune]int, error) {
	if len(s) < 16 {
		return nil, errShort
	}
	n := int(be.Uint32(s[12:]))
	if len(s) < 16+12*n {
		return nil, errShort
	}
	m := map[rune]int{}
	for i := range n {
		g := s[16+12*i:]
		lo, hi, first := rune(be.Uint32(g)), rune(be.Uint32(g[4:])), int(be.Uint32(g[8:]))
		for r := lo; r <= hi; r++ {
			m[r] = first + int(r-lo)
		}
	}
	return m, nil
}

// glyph returns the outline data of glyph g.
func (f *ttf) glyph(g int) ([]byte, error) {
	loca := f.tables["loca"]
	at := func(i int) int {
		if f.longLoca {
			return int(be.Uint32(loca[4*i:]))
		}
		return 2 * int(be.Uint16(loca[2*i:]))
	}
	if g < 0 || g >= f.numGlyphs || (f.longLoca && len(loca) < 4*g+8) || (!f.longLoca && len(loca) < 2*g+4) {
		return nil, fmt.Errorf("glyph %d out of range", g)
	}
	a, b := at(g), at(g+1)
	glyf := f.tables["glyf"]
	if a > b || b > len(glyf) {
		return nil, fmt.Errorf("glyph %d: bad loca", g)
	}
	d := glyf[a:b]
	if len(d) >= 2 && int16(be.Uint16(d)) < 0 {
		// Components would need renumbering; the source fonts have none.
		return nil, fmt.Errorf("glyph %d is composite", g)
	}
	return d, nil
}

// metric returns the advance width and left side bearing of glyph g.
func (f *ttf) metric(g int) (adv uint16, lsb uint16) {
	h := f.tables["hmtx"]
	if g < f.numHMetric {
		return be.Uint16(h[4*g:]), be.Uint16(h[4*g+2:])
	}
	return be.Uint16(h[4*(f.numHMetric-1):]), be.Uint16(h[4*f.numHMetric+2*(g-f.numHMetric):])
}

// subset makes a TrueType font of glyph 0 and the glyphs of runes, in that
// order, mapped from U+E000 on. Every glyph must be as wide as the em: the
// printing code measures fallback text as full-width ideographs.
func subset(s *source, runes []rune, family string) ([]byte, error) {
	f := s.font
	cmap, err := f.cmapFull()
	if err != nil {
		return nil, err
	}
	gids := []int{0}
	for _, r := range runes {
		g := cmap[r]
		if g == 0 {
			return nil, fmt.Errorf("no glyph for U+%04X", r)
		}
		if adv, _ := f.metric(g); int(adv) != f.unitsPerEm {
			return nil, fmt.Errorf("U+%04X is %d units wide, not the em (%d)", r, adv, f.unitsPerEm)
		}
		gids = append(gids, g)
	}
	n := len(gids)

	var glyf, loca, hmtx []byte
	for _, g := range gids {
		d, err := f.glyph(g)
		if err != nil {
			return nil, err
		}
		loca = be.AppendUint32(loca, uint32(len(glyf)))
		glyf = append(glyf, d...)
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		adv, lsb := f.metric(g)
		hmtx = be.AppendUint16(be.AppendUint16(hmtx, adv), lsb)
	}
	loca = be.AppendUint32(loca, uint32(len(glyf)))
	// Glyphs after the last change of advance share it (numberOfHMetrics).
	nhm := n
	for nhm > 1 && be.Uint16(hmtx[4*(nhm-1):]) == be.Uint16(hmtx[4*(nhm-2):]) {
		nhm--
	}
	short := hmtx[:4*nhm]
	for i := nhm; i < n; i++ {
		short = append(short, hmtx[4*i+2:4*i+4]...)
	}
	hmtx = short

	head := slices.Clone(f.tables["head"])
	be.PutUint32(head[8:], 0)  // checkSumAdjustment, set below
	be.PutUint16(head[50:], 1) // long loca

	hhea := slices.Clone(f.tables["hhea"])
	be.PutUint16(hhea[34:], uint16(nhm))

	maxp := slices.Clone(f.tables["maxp"])
	be.PutUint16(maxp[4:], uint16(n))

	os2 := slices.Clone(f.tables["OS/2"])
	if len(os2) < 68 {
		return nil, errors.New("short OS/2 table")
	}
	for i := 42; i < 58; i++ { // ulUnicodeRange1–4: only the private use area (bit 60)
		os2[i] = 0
	}
	be.PutUint32(os2[46:], 1<<(60-32))
	be.PutUint16(os2[64:], puaFirst)             // usFirstCharIndex
	be.PutUint16(os2[66:], uint16(puaFirst+n-2)) // usLastCharIndex

	post := slices.Clone(f.tables["post"][:32])
	be.PutUint32(post, 0x00030000) // no glyph names

	tables := map[string][]byte{
		"OS/2": os2,
		"cmap": cmapPUA(n - 1),
		"glyf": glyf,
		"head": head,
		"hhea": hhea,
		"hmtx": hmtx,
		"loca": loca,
		"maxp": maxp,
		"name": nameTable(f, s, family),
		"post": post,
	}
	return assemble(tables), nil
}

// cmapPUA is a cmap with one format 4 subtable (Windows, Unicode BMP)
// mapping U+E000+i to glyph i+1 for i < count.
func cmapPUA(count int) []byte {
	const segs = 2
	var b []byte
	b = be.AppendUint16(b, 0) // version
	b = be.AppendUint16(b, 1) // one subtable
	b = be.AppendUint16(b, 3)
	b = be.AppendUint16(b, 1)
	b = be.AppendUint32(b, 12)
	b = be.AppendUint16(b, 4)
	b = be.AppendUint16(b, 16+8*segs) // length
	b = be.AppendUint16(b, 0)         // language
	b = be.AppendUint16(b, 2*segs)
	b = be.AppendUint16(b, 4) // searchRange = 2 × 2^floor(log2 segs)
	b = be.AppendUint16(b, 1) // entrySelector
	b = be.AppendUint16(b, 0) // rangeShift
	b = be.AppendUint16(b, uint16(puaFirst+count-1))
	b = be.AppendUint16(b, 0xFFFF)
	b = be.AppendUint16(b, 0) // reservedPad
	b = be.AppendUint16(b, puaFirst)
	b = be.AppendUint16(b, 0xFFFF)
	b = be.AppendUint16(b, uint16(0x10000+1-puaFirst)) // idDelta, modulo 65536
	b = be.AppendUint16(b, 1)
	b = be.AppendUint16(b, 0) // idRangeOffset
	b = be.AppendUint16(b, 0)
	return b
}

// nameTable names the subset so that it is not taken for its source (whose
// reserved names it must not use) and carries the copyright and licence.
func nameTable(f *ttf, s *source, family string) []byte {
	copyright := sourceName(f, 0)
	if copyright != "" {
		copyright += " "
	}
	copyright += s.copyright + ", subset and re-encoded at private-use code points by certreg (certpdf/internal/fontgen)."
	recs := []struct {
		id  int
		val string
	}{
		{0, copyright},
		{1, family},
		{2, "Regular"},
		{3, family},
		{4, family},
		{5, "Version 1.0"},
		{6, strings.ReplaceAll(family, " ", "")},
		{13, s.licence},
		{14, s.licenceURL},
	}
	var head, data []byte
	head = be.AppendUint16(head, 0)
	head = be.AppendUint16(head, uint16(len(recs)))
	head = be.AppendUint16(head, uint16(6+12*len(recs)))
	for _, r := range recs {
		var v []byte
		for _, u := range utf16.Encode([]rune(r.val)) {
			v = be.AppendUint16(v, u)
		}
		head = be.AppendUint16(head, 3)
		head = be.AppendUint16(head, 1)
		head = be.AppendUint16(head, 0x409)
		head = be.AppendUint16(head, uint16(r.id))
		head = be.AppendUint16(head, uint16(len(v)))
		head = be.AppendUint16(head, uint16(len(data)))
		data = append(data, v...)
	}
	return append(head, data...)
}

// sourceName reads a Windows English name record of the source font.
func sourceName(f *ttf, id int) string {
	t := f.tables["name"]
	if len(t) < 6 {
		return ""
	}
	n, strs := int(be.Uint16(t[2:])), int(be.Uint16(t[4:]))
	for i := range n {
		rec := t[6+12*i:]
		if len(rec) < 12 {
			return ""
		}
		if be.Uint16(rec) != 3 || be.Uint16(rec[2:]) != 1 || be.Uint16(rec[4:]) != 0x409 || int(be.Uint16(rec[6:])) != id {
			continue
		}
		l, off := int(be.Uint16(rec[8:])), int(be.Uint16(rec[10:]))
		if strs+off+l > len(t) {
			return ""
		}
		raw := t[strs+off : strs+off+l]
		u := make([]uint16, len(raw)/2)
		for j := range u {
			u[j] = be.Uint16(raw[2*j:])
		}
		return string(utf16.Decode(u))
	}
	return ""
}

// assemble writes the table directory and the tables, each padded to four
// bytes, with their checksums and the head table's checkSumAdjustment.
func assemble(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	n := len(tags)
	pow := 1
	sel := 0
	for pow*2 <= n {
		pow *= 2
		sel++
	}
	var out []byte
	out = be.AppendUint32(out, 0x00010000)
	out = be.AppendUint16(out, uint16(n))
	out = be.AppendUint16(out, uint16(16*pow))
	out = be.AppendUint16(out, uint16(sel))
	out = be.AppendUint16(out, uint16(16*n-16*pow))
	off := 12 + 16*n
	dir := len(out)
	out = append(out, make([]byte, 16*n)...)
	headAt := 0
	for i, t := range tags {
		d := tables[t]
		rec := out[dir+16*i:]
		copy(rec, t)
		be.PutUint32(rec[4:], checksum(d))
		be.PutUint32(rec[8:], uint32(off))
		be.PutUint32(rec[12:], uint32(len(d)))
		if t == "head" {
			headAt = off
		}
		out = append(out, d...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		off = len(out)
	}
	be.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	return out
}

func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += be.Uint32(w[:])
	}
	return sum
}
