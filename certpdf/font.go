package certpdf

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"sync"
)

// fontTTF is LXGW WenKai Regular (SIL OFL 1.1, see fonts/OFL.txt): TrueType
// outlines, Latin and digits, and rare name characters such as 喆 堃 昇 that a
// GB2312 subset lacks. fpdf embeds only the glyphs a document uses.
//
//go:embed fonts/LXGWWenKai-Regular.ttf
var fontTTF []byte

// fontFamily is the main font's fpdf family; fpdf names it "utf8" + family
// in the PDF until finishPDF renames it psName with a subset tag.
const (
	fontFamily = "wenkairegular"
	fontPSName = "LXGWWenKai"
)

// coverage is the set of BMP runes the main font maps to a glyph, read once
// per process from the same cmap subtable fpdf uses (format 4). fpdf reads
// only format 4, so runes beyond U+FFFF never print with the main font; the
// fallback fonts print the ideographs it lacks (fallback.go), and a value
// with a character no font has is refused instead of printed as a box.
var coverage = sync.OnceValues(func() (*[1 << 16 / 64]uint64, error) {
	return parseCmap4(fontTTF)
})

// hasGlyph reports whether r prints with the main font.
func hasGlyph(r rune) bool {
	if r < 0 || r > 0xFFFF {
		return false
	}
	set, err := coverage()
	if err != nil {
		return false
	}
	return set[r/64]&(1<<(r%64)) != 0
}

var errFont = errors.New("certpdf: embedded font has no usable Unicode cmap")

// parseCmap4 reads the first (3,1) or (0,*) cmap subtable of format 4, the
// choice fpdf makes, and returns the runes it maps to a glyph other than 0.
func parseCmap4(ttf []byte) (*[1 << 16 / 64]uint64, error) {
	be := binary.BigEndian
	u16 := func(off int) (int, bool) {
		if off < 0 || off+2 > len(ttf) {
			return 0, false
		}
		return int(be.Uint16(ttf[off:])), true
	}
	u32 := func(off int) (int, bool) {
		if off < 0 || off+4 > len(ttf) {
			return 0, false
		}
		return int(be.Uint32(ttf[off:])), true
	}
	numTables, ok := u16(4)
	if !ok {
		return nil, errFont
	}
	cmap := -1
	for i := range numTables {
		rec := 12 + 16*i
		if rec+16 > len(ttf) {
			return nil, errFont
		}
		if string(ttf[rec:rec+4]) == "cmap" {
			cmap, _ = u32(rec + 8)
			break
		}
	}
	if cmap < 0 {
		return nil, errFont
	}
	nSub, ok := u16(cmap + 2)
	if !ok {
		return nil, errFont
	}
	sub := -1
	for i := range nSub {
		rec := cmap + 4 + 8*i
		platform, ok1 := u16(rec)
		encoding, ok2 := u16(rec + 2)
		off, ok3 := u32(rec + 4)
		if !ok1 || !ok2 || !ok3 {
			return nil, errFont
		}
		if (platform == 3 && encoding == 1) || platform == 0 {
			if format, _ := u16(cmap + off); format == 4 {
				sub = cmap + off
				break
			}
		}
	}
	if sub < 0 {
		return nil, errFont
	}
	segX2, ok := u16(sub + 6)
	if !ok {
		return nil, errFont
	}
	ends := sub + 14
	starts := ends + segX2 + 2
	deltas := starts + segX2
	ranges := deltas + segX2
	var set [1 << 16 / 64]uint64
	for s := 0; s < segX2; s += 2 {
		end, ok1 := u16(ends + s)
		start, ok2 := u16(starts + s)
		delta, ok3 := u16(deltas + s)
		ro, ok4 := u16(ranges + s)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, errFont
		}
		for c := start; c <= end && c < 0xFFFF; c++ {
			g := 0
			if ro == 0 {
				g = (c + delta) & 0xFFFF
			} else {
				gi, ok := u16(ranges + s + ro + 2*(c-start))
				if !ok {
					return nil, errFont
				}
				if gi != 0 {
					g = (gi + delta) & 0xFFFF
				}
			}
			if g != 0 {
				set[c/64] |= 1 << (c % 64)
			}
		}
	}
	return &set, nil
}
