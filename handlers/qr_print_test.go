package handlers

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"certreg/fixture"
	"certreg/store"
)

// pagePNG renders one page of a PDF to PNG with pdftoppm, as a person
// looking at the printout would see it.
func pagePNG(t *testing.T, pdf []byte, page int) image.Image {
	t.Helper()
	return pagePNGAt(t, pdf, page, 150)
}

// pagePNGAt renders a page at the given resolution (dots per inch).
func pagePNGAt(t *testing.T, pdf []byte, page, dpi int) image.Image {
	t.Helper()
	path, err := exec.LookPath("pdftoppm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftoppm is not installed (apt-get install poppler-utils)")
		}
		t.Skip("pdftoppm is not installed")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	p := itoa(uint64(page))
	out, err := exec.Command(path, "-png", "-r", itoa(uint64(dpi)), "-f", p, "-l", p, "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// decodeQR reads the one QR code on a rendered page.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	text, err := tryDecodeQR(img)
	if err != nil {
		t.Fatalf("no QR code found on the page: %v", err)
	}
	return text
}

func tryDecodeQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// maskedByRule is the public form of an 18-character ID number: its first 6
// and last 4 characters around 8 asterisks.
func maskedByRule(id string) string { return id[:6] + "********" + id[14:] }

// The QR code printed on a certificate opens the public verification page of
// that certificate on the public address (the -public-url flag, else the
// province's setting): decode it from the rendered page, follow it without
// logging in, and find the certificate's number, holder and masked ID.
func TestPrintedQRCodeOpensItsCertificate(t *testing.T) {
	for _, tc := range []struct{ flag, setting, want string }{
		{flag: "https://zjt.example.gov.cn/", want: "https://zjt.example.gov.cn/verify?"},
		{setting: "https://verify.example.cn", want: "https://verify.example.cn/verify?"},
		{}, // no public address: nothing with a QR code prints
	} {
		t.Run("flag="+tc.flag+",setting="+tc.setting, func(t *testing.T) {
			w := fixture.Demo(t)
			if tc.setting != "" {
				prov := w.Actor(t, "demo-province")
				st, err := w.Store.Settings()
				if err != nil {
					t.Fatal(err)
				}
				st.PublicURL = tc.setting
				if err := w.Store.SaveSettings(prov, st); err != nil {
					t.Fatal(err)
				}
			}
			app, err := New(Config{Store: w.Store, Demo: true, Now: w.Clock.Now, Logger: discardLogger(), LoginLimit: 1000,
				ProxyHeader: "X-Forwarded-For", PublicURL: tc.flag})
			if err != nil {
				t.Fatal(err)
			}
			e := &env{t: t, w: w, app: app}
			certs := e.certsOf("demo-unit")
			var picks []store.Certificate
			for _, ct := range certs {
				if ct.Status == store.CertValid && len(picks) < 2 {
					picks = append(picks, ct)
				}
			}
			if len(picks) < 2 {
				t.Fatal("the demo unit needs two valid certificates")
			}
			c := e.login("demo-unit")
			r := c.post("/certificates/print", url.Values{"n": {picks[0].Number, picks[1].Number}, "format": {builtinFull}})
			if tc.want == "" {
				if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "公开访问地址") {
					t.Fatalf("print without a public address: %d\n%.1000s", r.status, r.body)
				}
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("print: %d\n%.500s", r.status, r.body)
			}
			for i, ct := range picks {
				link := decodeQR(t, pagePNG(t, []byte(r.body), i+1))
				if !strings.HasPrefix(link, tc.want) {
					t.Fatalf("page %d: QR link %q, want it to start with %q", i+1, link, tc.want)
				}
				u, err := url.Parse(link)
				if err != nil {
					t.Fatal(err)
				}
				if u.Query().Get("n") != ct.Number || len(u.Query().Get("t")) != 16 {
					t.Fatalf("page %d: QR link %q does not carry number %s and a 16-character token", i+1, link, ct.Number)
				}
				page := e.client().get(u.RequestURI())
				if page.status != http.StatusOK || !strings.Contains(page.body, `id="verify-status"`) {
					t.Fatalf("page %d: following the QR link: %d\n%.2000s", i+1, page.status, page.body)
				}
				for _, s := range []string{ct.Number, ct.Name, maskedByRule(ct.IDNumber), ct.OccupationName, "有效"} {
					if !strings.Contains(page.body, s) {
						t.Errorf("page %d: verification page lacks %q", i+1, s)
					}
				}
				if strings.Contains(page.body, ct.IDNumber) {
					t.Errorf("page %d: the full ID number is public", i+1)
				}
				if strings.Contains(page.body, picks[1-i].Number) {
					t.Errorf("page %d: shows the other certificate", i+1)
				}
			}
		})
	}
}
