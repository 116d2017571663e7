package demo

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"

	"certreg/files"
)

// The demo's uploaded files: a small PDF and pictures of a scanned form and
// of the practical exam, drawn once per process.

// materials are the supporting materials of a demo batch: a training plan
// and two pictures (files are content-addressed, so the batches share them).
func materials() ([]*files.Upload, error) {
	form, err := picture(0, false)
	if err != nil {
		return nil, err
	}
	photo, err := picture(1, true)
	if err != nil {
		return nil, err
	}
	return []*files.Upload{
		files.Bytes("培训计划及课时安排.pdf", demoPDF("Training plan and attendance record")),
		files.Bytes("培训签到表（第1页）.png", form),
		files.Bytes("实操考核现场照片.png", photo),
	}, nil
}

type pictureKey struct {
	seed  int
	photo bool
}

var pictures sync.Map // pictureKey => []byte

// picture draws a sheet of ruled paper (a scanned form) or a photo-like
// block picture; seed makes each one different.
func picture(seed int, photo bool) ([]byte, error) {
	k := pictureKey{seed, photo}
	if b, ok := pictures.Load(k); ok {
		return b.([]byte), nil
	}
	const w, h = 640, 480
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{250, 248, 240, 255}
			if photo {
				c = color.RGBA{uint8(120 + y/6), uint8(150 + x/8), uint8(180 + (seed*13)%60), 255}
				if y > 300 {
					c = color.RGBA{uint8(90 + (seed*7)%50), 110, 90, 255}
				}
				if x > 200+seed%40 && x < 330 && y > 160 && y < 420 {
					c = color.RGBA{230, 120, 40, 255} // a worker's vest
				}
			} else {
				if y%32 == 0 && y > 60 || (x == 40 || x == 160 || x == 420 || x == 600) && y > 60 && y < 440 {
					c = color.RGBA{120, 130, 150, 255}
				}
				if y > 20 && y < 44 && x > 200 && x < 440 {
					c = color.RGBA{60, 70, 90, 255} // the title
				}
				if y%32 > 10 && y%32 < 22 && y > 100 && y < 440 && x > 60+(seed*17+y)%60 && x < 130+(seed*11+y)%40 {
					c = color.RGBA{30, 50, 140, 255} // a signature
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	pictures.Store(k, buf.Bytes())
	return buf.Bytes(), nil
}

// demoPDF builds a one-page PDF with a line of text.
func demoPDF(text string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	stream := fmt.Sprintf("BT /F1 18 Tf 72 760 Td (%s) Tj ET", text)
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
