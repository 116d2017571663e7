package certpdf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/png"
	"math"
)

// MinQRModuleMM is the smallest module (the side of one black or white
// square of a QR code) that prints reliably for a phone camera held at
// reading distance (13 mil, the usual minimum for printed QR codes): a code
// that would print smaller fails the print with a QRSizeError rather than
// print a code nobody can read.
const MinQRModuleMM = 0.33

// QRSizeError reports a QR code that would print with modules smaller than
// MinQRModuleMM in the format's QR field.
type QRSizeError struct {
	Number  string  // certificate number
	Modules int     // modules per side of its code
	WidthMM float64 // the format's QR width
}

func (e *QRSizeError) Error() string {
	return fmt.Sprintf("certpdf: certificate %s: QR code of %d modules in %g mm", e.Number, e.Modules, e.WidthMM)
}

// NeedMM is the QR width the code needs.
func (e *QRSizeError) NeedMM() float64 { return math.Ceil(float64(e.Modules) * MinQRModuleMM) }

// Message is the Chinese sentence to show a clerk.
func (e *QRSizeError) Message() string {
	return fmt.Sprintf("证书 %s 的二维码有 %d×%d 个模块，按打印格式的二维码宽度 %g 毫米，每个模块不足 %g 毫米，手机难以识别；请在打印格式中把二维码宽度调到至少 %g 毫米后再打印。",
		e.Number, e.Modules, e.Modules, e.WidthMM, MinQRModuleMM, e.NeedMM())
}

// qrPNG encodes content as a QR code (level M) in a 1-bit greyscale PNG with
// one pixel per module, and returns the modules per side; the PDF scales it
// up and viewers do not smooth it. The PNG is written by hand with a stored
// (uncompressed) zlib stream: QR modules barely compress, and a deflate
// writer per page costs about a megabyte of allocation (fpdf passes PNG data
// through as it is).
func qrPNG(content string) ([]byte, int, error) {
	mods, n, err := qrEncode([]byte(content))
	if err != nil {
		return nil, 0, err
	}
	stride := 1 + (n+7)/8 // filter byte + packed row
	raw := make([]byte, stride*n)
	for y := range n {
		row := raw[y*stride+1 : (y+1)*stride] // filter 0 (none)
		for i := range row {
			row[i] = 0xFF // white
		}
		for x, dark := range mods[y*n : (y+1)*n] {
			if dark == 1 {
				row[x/8] &^= 0x80 >> (x % 8)
			}
		}
	}
	return pngGray1(n, n, raw), n, nil
}

// pngGray1 wraps filtered scanlines of a 1-bit greyscale image in a PNG.
// raw must fit in one stored deflate block (64 KiB), which any QR code does.
func pngGray1(w, h int, raw []byte) []byte {
	be := binary.BigEndian
	out := make([]byte, 0, 8+25+12+11+len(raw)+12)
	out = append(out, "\x89PNG\r\n\x1a\n"...)
	chunk := func(typ string, data []byte) {
		out = be.AppendUint32(out, uint32(len(data)))
		start := len(out)
		out = append(out, typ...)
		out = append(out, data...)
		out = be.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
	}
	ihdr := be.AppendUint32(nil, uint32(w))
	ihdr = be.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 1, 0, 0, 0, 0) // depth 1, greyscale, deflate, filter 0, no interlace
	chunk("IHDR", ihdr)
	z := make([]byte, 0, len(raw)+11)
	z = append(z, 0x78, 0x01)                           // zlib header, no preset dictionary
	z = append(z, 1, byte(len(raw)), byte(len(raw)>>8)) // final stored block, LEN
	z = append(z, ^byte(len(raw)), ^byte(len(raw)>>8))  // NLEN
	z = append(z, raw...)
	z = be.AppendUint32(z, adler32.Checksum(raw))
	chunk("IDAT", z)
	chunk("IEND", nil)
	return out
}

var errPhotoType = errors.New("not a JPEG or PNG image")

// photoImage returns the photo as fpdf can embed it and its fpdf type. JPEG
// and ordinary PNG pass through unchanged; a 16-bit or interlaced PNG, which
// fpdf refuses, is re-encoded as 8-bit PNG.
func photoImage(b []byte) ([]byte, string, error) {
	switch {
	case len(b) > 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return b, "JPG", nil
	case len(b) > 28 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		depth, interlace := b[24], b[28]
		if depth <= 8 && interlace == 0 {
			return b, "PNG", nil
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, "", fmt.Errorf("decode png: %w", err)
		}
		rgba := image.NewNRGBA(img.Bounds())
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				rgba.Set(x, y, img.At(x, y))
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, rgba); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), "PNG", nil
	}
	return nil, "", errPhotoType
}

func sincos(deg float64) (float64, float64) { return math.Sincos(deg * math.Pi / 180) }
