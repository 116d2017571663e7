package files

import (
	"bufio"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg" // the decoders image.Decode uses
	_ "image/png"
	"io"
)

// A small file can decode into a huge picture: a 308 KB PNG of 6300×6300
// pixels in 16-bit RGBA takes 300 MB once decoded, and a progressive JPEG
// keeps four bytes of coefficients per sample besides the picture. So an
// image is measured from its header before it is decoded: the memory the
// decoder will allocate must fit MaxDecodeBytes, and at most
// maxParallelDecodes images are decoded at once in the whole process.
const (
	MaxDecodeBytes = 64 << 20
	// MaxImageSide bounds each side whatever the budget says.
	MaxImageSide       = 10000
	maxParallelDecodes = 2
)

var decodeSlots = make(chan struct{}, maxParallelDecodes)

// imageHeader is what a picture's header says about decoding it.
type imageHeader struct {
	Width, Height int
	Depth         string // for messages, e.g. "16 位"; "" for 8 bits per sample
	Cost          int64  // bytes the decoder allocates
}

var errBadImage = errors.New("bad image header")

// readImageHeader measures a JPEG or PNG from its header only, following
// what Go's decoders allocate. It fails on anything it cannot measure.
func readImageHeader(r io.ReaderAt, size int64, mime string) (imageHeader, error) {
	sr := io.NewSectionReader(r, 0, size)
	cfg, _, err := image.DecodeConfig(bufio.NewReader(sr))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return imageHeader{}, errBadImage
	}
	var h imageHeader
	switch mime {
	case "image/png":
		h, err = pngHeader(r, size)
	case "image/jpeg":
		h, err = jpegHeader(r, size)
	default:
		return imageHeader{}, errBadImage
	}
	if err != nil {
		return imageHeader{}, err
	}
	if h.Width != cfg.Width || h.Height != cfg.Height {
		return imageHeader{}, errBadImage
	}
	// Conversions the JPEG decoder makes at the end (Adobe RGB or CMYK into
	// a 4-byte-per-pixel picture) come on top of its planes.
	if mime == "image/jpeg" && (cfg.ColorModel == color.RGBAModel || cfg.ColorModel == color.CMYKModel) {
		h.Cost += int64(h.Width) * int64(h.Height) * 4
	}
	return h, nil
}

// pngHeader reads IHDR and the chunk headers up to the first IDAT: a
// grey or true-colour picture with a tRNS chunk decodes into NRGBA.
func pngHeader(r io.ReaderAt, size int64) (imageHeader, error) {
	var ihdr [8 + 8 + 13]byte
	if _, err := r.ReadAt(ihdr[:], 0); err != nil || string(ihdr[12:16]) != "IHDR" {
		return imageHeader{}, errBadImage
	}
	w := binary.BigEndian.Uint32(ihdr[16:20])
	h := binary.BigEndian.Uint32(ihdr[20:24])
	depth, colorType, interlace := ihdr[24], ihdr[25], ihdr[28]
	if w == 0 || h == 0 || w > 1<<24 || h > 1<<24 {
		return imageHeader{}, errBadImage
	}
	transparent := false
	off := int64(8 + 8 + 13 + 4)
	for off+8 <= size {
		var ch [8]byte
		if _, err := r.ReadAt(ch[:], off); err != nil {
			return imageHeader{}, errBadImage
		}
		typ := string(ch[4:8])
		if typ == "IDAT" || typ == "IEND" {
			break
		}
		if typ == "tRNS" {
			transparent = true
		}
		off += 8 + int64(binary.BigEndian.Uint32(ch[0:4])) + 4
	}
	var bpp int64
	switch colorType {
	case 3: // paletted
		bpp = 1
	case 0: // grey: Gray, Gray16, or NRGBA(64) with tRNS
		bpp = 1
		if transparent {
			bpp = 4
		}
		if depth == 16 {
			bpp *= 2
		}
	default: // true colour (with or without alpha)
		bpp = 4
		if depth == 16 {
			bpp = 8
		}
	}
	hd := imageHeader{Width: int(w), Height: int(h), Cost: int64(w) * int64(h) * bpp}
	if depth == 16 {
		hd.Depth = "16 位"
	}
	if interlace == 1 {
		// Adam7 decodes each pass into a picture of its own before merging
		// them into the full-size one.
		hd.Cost *= 2
	}
	return hd, nil
}

// jpegHeader walks the markers up to the frame header (SOFn): the planes
// are allocated in whole MCUs per component, and a progressive frame keeps
// a 64 × int32 block of coefficients for every 8×8 block of samples.
func jpegHeader(r io.ReaderAt, size int64) (imageHeader, error) {
	br := bufio.NewReader(io.NewSectionReader(r, 0, size))
	var two [2]byte
	if _, err := io.ReadFull(br, two[:]); err != nil || two != [2]byte{0xFF, 0xD8} {
		return imageHeader{}, errBadImage
	}
	for {
		b, err := br.ReadByte()
		if err != nil {
			return imageHeader{}, errBadImage
		}
		if b != 0xFF {
			continue // stray byte between segments; Go's decoder skips them too
		}
		m, err := br.ReadByte()
		for err == nil && m == 0xFF { // fill bytes
			m, err = br.ReadByte()
		}
		if err != nil {
			return imageHeader{}, errBadImage
		}
		if m == 0x00 || m == 0x01 || m >= 0xD0 && m <= 0xD8 { // escaped data or no length
			continue
		}
		if m == 0xD9 || m == 0xDA { // end of image or start of scan before any frame
			return imageHeader{}, errBadImage
		}
		if _, err := io.ReadFull(br, two[:]); err != nil {
			return imageHeader{}, errBadImage
		}
		n := int(binary.BigEndian.Uint16(two[:])) - 2
		if n < 0 {
			return imageHeader{}, errBadImage
		}
		if m < 0xC0 || m > 0xCF || m == 0xC4 || m == 0xC8 || m == 0xCC { // not a frame header
			if _, err := br.Discard(n); err != nil {
				return imageHeader{}, errBadImage
			}
			continue
		}
		seg := make([]byte, n)
		if _, err := io.ReadFull(br, seg); err != nil || n < 6 {
			return imageHeader{}, errBadImage
		}
		progressive := m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE
		height := int(binary.BigEndian.Uint16(seg[1:3]))
		width := int(binary.BigEndian.Uint16(seg[3:5]))
		comps := int(seg[5])
		if width == 0 || height == 0 || comps < 1 || comps > 4 || n < 6+3*comps {
			return imageHeader{}, errBadImage
		}
		hmax, vmax := 1, 1
		hs, vs := make([]int, comps), make([]int, comps)
		for i := range comps {
			hv := seg[6+3*i+1]
			hs[i], vs[i] = int(hv>>4), int(hv&0x0F)
			if hs[i] < 1 || hs[i] > 4 || vs[i] < 1 || vs[i] > 4 {
				return imageHeader{}, errBadImage
			}
			if comps == 1 { // Go decodes a single component in 8×8 units
				hs[i], vs[i] = 1, 1
			}
			hmax, vmax = max(hmax, hs[i]), max(vmax, vs[i])
		}
		mcus := int64((width+8*hmax-1)/(8*hmax)) * int64((height+8*vmax-1)/(8*vmax))
		var samples int64
		for i := range comps {
			samples += mcus * int64(hs[i]*vs[i]) * 64
		}
		cost := samples // one byte per sample in the decoded planes
		if progressive {
			cost += samples * 4
		}
		return imageHeader{Width: width, Height: height, Cost: cost}, nil
	}
}

// decodeImage decodes the whole picture, waiting for one of the process's
// decode slots, to refuse a file whose header is fine but whose data is
// not. The caller has checked the header's budget.
func decodeImage(r io.ReaderAt, size int64) error {
	decodeSlots <- struct{}{}
	defer func() { <-decodeSlots }()
	_, _, err := image.Decode(bufio.NewReader(io.NewSectionReader(r, 0, size)))
	return err
}
