package files_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// tinyPNG is a valid 8×8 PNG whose content depends on seed.
func tinyPNG(t testing.TB, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = byte(seed*31 + i)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tinyJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := 0; x < 16; x++ {
		img.Set(x, x, color.RGBA{200, 10, 10, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngSpec is the header of a crafted PNG.
type pngSpec struct {
	w, h             uint32
	depth, colorType byte
	interlaced, tRNS bool
}

func chunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	c := append([]byte(typ), data...)
	b.Write(c)
	binary.Write(b, binary.BigEndian, crc32.ChecksumIEEE(c))
}

// craftPNG writes a PNG with the given header. With rows, the picture data
// is real: every row zero, each row one deflate block compressed once and
// repeated (a block refers only to its own bytes), the zlib checksum of n
// zero bytes being 1 + (n mod 65521) << 16. Without, IDAT holds a few bytes
// that are not a valid stream: enough for every check that reads only the
// header.
func craftPNG(t testing.TB, s pngSpec, rows bool) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], s.w)
	binary.BigEndian.PutUint32(ihdr[4:], s.h)
	ihdr[8], ihdr[9] = s.depth, s.colorType
	if s.interlaced {
		ihdr[12] = 1
	}
	chunk(&b, "IHDR", ihdr)
	if s.colorType == 3 {
		chunk(&b, "PLTE", make([]byte, 3*256))
	}
	if s.tRNS {
		chunk(&b, "tRNS", make([]byte, 2))
	}
	idat := []byte{0x78, 0x9c, 0xff, 0xff}
	if rows {
		if s.interlaced {
			t.Fatal("craftPNG: real rows only without interlacing")
		}
		channels := map[byte]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[s.colorType]
		row := make([]byte, 1+(int(s.w)*channels*int(s.depth)+7)/8)
		var block bytes.Buffer
		fw, err := flate.NewWriter(&block, flate.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(row)
		fw.Flush() // ends on a byte boundary, not the final block
		var z bytes.Buffer
		z.Write([]byte{0x78, 0xda})
		z.Write(bytes.Repeat(block.Bytes(), int(s.h)))
		z.Write([]byte{0x03, 0x00}) // an empty final block
		n := uint64(len(row)) * uint64(s.h)
		binary.Write(&z, binary.BigEndian, uint32(n%65521)<<16|1)
		idat = z.Bytes()
	}
	chunk(&b, "IDAT", idat)
	chunk(&b, "IEND", nil)
	return b.Bytes()
}

// jpegSpec is the frame header of a crafted JPEG.
type jpegSpec struct {
	w, h        uint16
	progressive bool
	sampling    []byte // per component, h<<4|v; len is the component count
}

// craftJPEG writes SOI, a JFIF APP0, the frame header and EOI: enough for
// image.DecodeConfig, not for decoding.
func craftJPEG(s jpegSpec) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8})
	b.Write([]byte{0xFF, 0xE0, 0, 16})
	b.WriteString("JFIF\x00")
	b.Write([]byte{1, 1, 0, 0, 1, 0, 1, 0, 0})
	marker := byte(0xC0)
	if s.progressive {
		marker = 0xC2
	}
	n := 8 + 3*len(s.sampling)
	b.Write([]byte{0xFF, marker, byte(n >> 8), byte(n), 8, byte(s.h >> 8), byte(s.h), byte(s.w >> 8), byte(s.w), byte(len(s.sampling))})
	for i, hv := range s.sampling {
		b.Write([]byte{byte(i + 1), hv, 0})
	}
	b.Write([]byte{0xFF, 0xD9})
	return b.Bytes()
}
