package handlers

import (
	"github.com/xuri/excelize/v2"
	"net/url"
	"strings"
	"testing"
)

// People type numbers with full-width digits and spaces, and names with
// spaces between the characters: /verify finds the certificate the same way
// the import and the library normalise what is typed.
func TestVerifyNormalisesWhatPeopleType(t *testing.T) {
	e := newEnv(t)
	cert := validCert(t, e.certsOf("demo-unit"))
	fullWidth := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, cert.Number)
	spaced := strings.Join(strings.Split(cert.Name, ""), " ")
	for _, in := range []struct{ number, name string }{
		{fullWidth, cert.Name},
		{" " + cert.Number[:7] + " " + cert.Number[7:] + " ", spaced},
		{fullWidth, "\u3000" + cert.Name + "\u200b"},
	} {
		c := e.client()
		c.get("/verify")
		r := c.post("/verify", url.Values{"number": {in.number}, "name": {in.name}})
		if r.status != 200 || !strings.Contains(r.body, `id="verify-status"`) || !strings.Contains(r.body, cert.Number) {
			t.Errorf("verify %q / %q: status %d, certificate not shown\n%.1200s", in.number, in.name, r.status, r.body)
		}
	}
	// The QR link's number too.
	c := e.client()
	tok := verifyToken(e.srv.certs.verifyKey, cert.Number)
	if r := c.get("/verify?n=" + url.QueryEscape(fullWidth) + "&t=" + tok); !strings.Contains(r.body, cert.Number) {
		t.Errorf("QR link with full-width digits: %.800s", r.body)
	}
	// The library's number filter too.
	unit := e.login("demo-unit")
	if r := unit.get("/certificates?number=" + url.QueryEscape(fullWidth)); r.status != 200 || !strings.Contains(r.body, cert.Number) {
		t.Errorf("library filter with full-width digits: status %d", r.status)
	}
}

// Organisations are named for people as "名称 代码": on the certificate
// detail, in the province's library, in the export and on the public page.
func TestIssuerNamedWithCode(t *testing.T) {
	e := newEnv(t)
	cert := validCert(t, e.certsOf("demo-unit"))
	org := e.w.Org(t, "demo-unit")
	want := org.Name + " " + org.Code
	unit := e.login("demo-unit")
	if r := unit.get("/certificates/" + cert.Number); !strings.Contains(r.body, want) {
		t.Errorf("detail lacks %q", want)
	}
	prov := e.login("demo-province")
	if r := prov.get("/certificates?number=" + cert.Number); !strings.Contains(r.body, want) {
		t.Errorf("library lacks %q", want)
	}
	r := prov.get("/certificates/export?number=" + cert.Number)
	if r.status != 200 {
		t.Fatalf("export: %d", r.status)
	}
	f, err := excelize.OpenReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range rows {
		for _, cell := range row {
			found = found || cell == want
		}
	}
	if !found {
		t.Errorf("export lacks %q: %v", want, rows)
	}
	c := e.client()
	tok := verifyToken(e.srv.certs.verifyKey, cert.Number)
	if r := c.get("/verify?n=" + cert.Number + "&t=" + tok); !strings.Contains(r.body, want) {
		t.Errorf("public page lacks %q", want)
	}
}
