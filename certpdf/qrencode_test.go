package certpdf

import (
	"image"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// The encoder draws, module for module, the code ZXing's encoder draws for
// the same content at level M (same version, same mask), for contents of
// every length from 1 to 400 bytes (versions 1 to 16) and some far longer
// ones, of the characters verification links use.
func TestQREncodeMatchesZXing(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:/?#=&"
	rng := rand.New(rand.NewPCG(1, 2))
	lengths := []int{}
	for l := 1; l <= 400; l++ {
		lengths = append(lengths, l)
	}
	lengths = append(lengths, 600, 900, 1200, 1800, 2300)
	for _, l := range lengths {
		b := make([]byte, l)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if l > 2 {
			b[0] = 'h' // not all digits or capitals: byte mode in both
		}
		content := string(b)
		mods, n, err := qrEncode(b)
		if err != nil {
			t.Fatalf("%d bytes: %v", l, err)
		}
		want, err := encoder.Encoder_encodeWithoutHint(content, decoder.ErrorCorrectionLevel_M)
		if err != nil {
			t.Fatal(err)
		}
		if want.GetMode().String() != "BYTE" {
			continue
		}
		wm := want.GetMatrix()
		if wm.GetWidth() != n {
			t.Fatalf("%d bytes: %d modules, ZXing %d (version %v)", l, n, wm.GetWidth(), want.GetVersion())
		}
		for y := range n {
			for x := range n {
				if int8(mods[y*n+x]) != wm.Get(x, y) {
					t.Fatalf("%d bytes (version %v, ZXing's mask %d): module (%d,%d) differs", l, want.GetVersion(), want.GetMaskPattern(), x, y)
				}
			}
		}
	}
}

// A signed verification link encoded here reads back with a QR decoder.
func TestQREncodeDecodes(t *testing.T) {
	link := "https://zjt.example.gov.cn/verify?n=26340101250001&t=abcdefghijklmnop#" + strings.Repeat("AbCdEfGh-_", 17)
	mods, n, err := qrEncode([]byte(link))
	if err != nil {
		t.Fatal(err)
	}
	const scale, quiet = 4, 4
	side := (n + 2*quiet) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for y := range side {
		for x := range side {
			mx, my := x/scale-quiet, y/scale-quiet
			img.Pix[y*side+x] = 255
			if mx >= 0 && my >= 0 && mx < n && my < n && mods[my*n+mx] == 1 {
				img.Pix[y*side+x] = 0
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil || res.GetText() != link {
		t.Fatalf("decoded %v (%v)", res, err)
	}
}

func BenchmarkQREncodeSignedLink(b *testing.B) {
	link := []byte("https://zjt.example.gov.cn/verify?n=26340101250001&t=abcdefghijklmnop#" + strings.Repeat("AbCdEfGh-_", 17))
	for b.Loop() {
		if _, _, err := qrEncode(link); err != nil {
			b.Fatal(err)
		}
	}
}
