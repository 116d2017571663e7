package certpdf

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"certreg/certlayout"
)

// A signed verification link as the QR code carries it: about 220
// characters (the online lookup and the signed payload in the fragment).
const signedLink = "https://zjt.ah.gov.cn/verify?n=26340101340001&t=i34mSXKUKNExcaiP#AU0RVv8X9MhiO2FRD1ExBAU2EQvxATEJ6Z-p5paH5Y2aDOa3t-WHneWcn-W3pQgzNDAxMDAwMtUO_zV_b7yt52ZB7D3i16Y24aus5IoKUQkkOwh180QM1Tg2Ygrs2iasoxxLIFFFSfs6_0W2KPdKUHkqkcogTQE"

// The signed link prints as a version 11 code (61 modules) in the default
// 30 mm field, about 0.49 mm a module; a code that would print with
// modules under MinQRModuleMM fails the print naming the certificate and
// the width it needs.
func TestQRModuleSize(t *testing.T) {
	_, modules, err := qrPNG(signedLink)
	if err != nil {
		t.Fatal(err)
	}
	if modules != 61 {
		t.Fatalf("the signed link is a code of %d modules, want 61 (version 11)", modules)
	}
	if mm := certlayout.DefaultFormat(certlayout.ModeFull).Fields[certlayout.FieldQR].W / float64(modules); mm < MinQRModuleMM {
		t.Fatalf("the default format prints modules of %.2f mm", mm)
	}
	c := SampleCert()
	c.VerifyURL = signedLink + strings.Repeat("A", 200) // a code of about 89 modules
	f := certlayout.DefaultFormat(certlayout.ModeFull)
	qr := f.Fields[certlayout.FieldQR]
	qr.W = certlayout.MinQRWidthMM
	f.Fields[certlayout.FieldQR] = qr
	var buf bytes.Buffer
	err = Render(&buf, f, []Cert{c})
	var qe *QRSizeError
	if !errors.As(err, &qe) || qe.Number != c.Number || qe.Modules < 80 || qe.NeedMM() <= certlayout.MinQRWidthMM ||
		!strings.Contains(qe.Message(), c.Number) || !strings.Contains(qe.Message(), "二维码宽度") {
		t.Fatalf("a code too dense for its field: %v", err)
	}
	qr.W = qe.NeedMM()
	f.Fields[certlayout.FieldQR] = qr
	if err := Render(&buf, f, []Cert{c}); err != nil {
		t.Fatalf("at the width it asked for: %v", err)
	}
}
