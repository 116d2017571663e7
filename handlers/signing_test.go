package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"

	"certreg/certlayout"
	"certreg/certpdf"
	"certreg/fixture"
	"certreg/store"
)

// validCerts are n valid certificates of the demo unit.
func validCerts(e *env, n int) []store.Certificate {
	e.t.Helper()
	var out []store.Certificate
	for _, ct := range e.certsOf("demo-unit") {
		if ct.Status == store.CertValid && len(out) < n {
			out = append(out, ct)
		}
	}
	if len(out) < n {
		e.t.Fatalf("the demo unit has %d valid certificates, want %d", len(out), n)
	}
	return out
}

// The QR code of a printed certificate carries, besides the online lookup,
// the certificate's signed payload in the link's fragment: decoded from the
// printed PDF (150 dpi) it verifies with the published keys and says what
// the certificate says. It is a version 11 code, modules of about 0.49 mm
// in the default 30 mm field.
func TestPrintedQRCodeCarriesASignedPayload(t *testing.T) {
	e := newEnv(t)
	picks := validCerts(e, 2)
	c := e.login("demo-unit")
	r := c.post("/certificates/print", url.Values{"n": {picks[0].Number, picks[1].Number}, "format": {builtinFull}})
	if r.status != http.StatusOK {
		t.Fatalf("print: %d\n%.500s", r.status, r.body)
	}
	keys, err := e.w.Store.PublicKeys()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %v (%v)", keys, err)
	}
	unitCode := e.w.Org(t, "demo-unit").Code
	for i, ct := range picks {
		link := decodeQR(t, pagePNG(t, []byte(r.body), i+1))
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		if u.Query().Get("n") != ct.Number || len(u.Query().Get("t")) != 16 || u.Fragment == "" {
			t.Fatalf("page %d: QR link %q", i+1, link)
		}
		p, status := store.VerifyPayload(u.Fragment, keys)
		if status != store.PayloadGenuine {
			t.Fatalf("page %d: payload %v", i+1, status)
		}
		if p.Number != ct.Number || p.Name != ct.Name || p.MaskedID != maskedByRule(ct.IDNumber) || p.Occupation != ct.OccupationName ||
			p.Level != ct.Level || p.OrgCode != unitCode || p.Version != ct.Version || !p.IssueDate.Equal(ct.IssueDate) || p.KeyID != keys[0].ID {
			t.Fatalf("page %d: payload %+v for %+v", i+1, p, ct)
		}
		code, err := qr.Encode(link, qr.M, qr.Auto)
		if err != nil {
			t.Fatal(err)
		}
		if n := code.Bounds().Dx(); n > 65 || 30/float64(n) < certpdf.MinQRModuleMM {
			t.Fatalf("page %d: a code of %d modules (%d characters)", i+1, n, len(link))
		}
	}
	// The server never sees the fragment; the online lookup answers alone.
	if page := e.client().get("/verify?" + url.Values{"n": {picks[0].Number}, "t": {verifyToken(e.srv.certs.verifyKey, picks[0].Number)}}.Encode()); !strings.Contains(page.body, `data-lookup="result"`) {
		t.Fatalf("online lookup: %d", page.status)
	}
}

// The full design scaled to A5 prints the QR code at 21.2 mm; it decodes
// from a 300 dpi rendering (a printer prints at 300 dpi or more, and a
// phone sees the paper finer than that).
func TestSignedQRCodeDecodesOnA5(t *testing.T) {
	e := newEnv(t)
	ct := validCerts(e, 1)[0]
	links, err := e.srv.signedVerifyURLs(testPublicURL, []store.Certificate{ct})
	if err != nil {
		t.Fatal(err)
	}
	f := certlayout.DefaultFormat(certlayout.ModeFull)
	f.Paper = certlayout.PaperA5
	const k = 210.0 / 297
	for key, fl := range f.Fields {
		fl.X, fl.Y, fl.W, fl.H = fl.X*k, fl.Y*k, fl.W*k, fl.H*k
		if fl.FontSize > 0 {
			fl.FontSize = max(certlayout.MinFontSizePt, fl.FontSize*k)
		}
		f.Fields[key] = fl
	}
	var buf bytes.Buffer
	if err := certpdf.Render(&buf, f, []certpdf.Cert{pdfCert(ct, links[0])}); err != nil {
		t.Fatal(err)
	}
	if got := decodeQR(t, pagePNGAt(t, buf.Bytes(), 1, 300)); got != links[0] {
		t.Fatalf("decoded %q, want %q", got, links[0])
	}
}

// Printing refuses with a clear message, and records nothing, when the
// signing key cannot be used here (e.g. a copy restored from a backup).
func TestPrintRefusedWithoutASigningKey(t *testing.T) {
	e := newEnv(t)
	ct := validCerts(e, 1)[0]
	if _, err := e.w.Store.SignCertificates(nil); err != nil { // the key exists, under its file
		t.Fatal(err)
	}
	t.Setenv(store.KEKEnv, strings.Repeat("ab", 32)) // not the key the signing key was encrypted with
	e.w.Store.SetSigningKEKFile(e.w.Dir + ".signing-kek")
	c := e.login("demo-unit")
	r := c.post("/certificates/print", url.Values{"n": {ct.Number}, "format": {builtinFull}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "证书签名密钥不可用") || !strings.Contains(r.body, "轮换") {
		t.Fatalf("print without a usable key: %d\n%.2000s", r.status, r.body)
	}
	after, err := e.w.Store.Certificate(e.w.Org(t, "demo-unit"), ct.Number)
	if err != nil || after.PrintCount != ct.PrintCount {
		t.Fatalf("the refused print was recorded: %d → %d (%v)", ct.PrintCount, after.PrintCount, err)
	}
}

// The published keys page lists every key with its validity, the
// verification page embeds them for its script, and the service worker is
// served from the root for the /verify scope, never cached by HTTP.
func TestPublishedKeysAndServiceWorker(t *testing.T) {
	e := newEnv(t)
	if _, err := e.w.Store.SignCertificates(nil); err != nil { // first use creates the key
		t.Fatal(err)
	}
	e.w.Clock.Advance(24 * 3600 * 1e9)
	k2, err := e.w.Store.RotateSigningKey(e.w.Actor(t, "demo-province"), "年度轮换")
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := e.w.Store.PublicKeys()
	c := e.client()
	page := c.get("/verify/keys")
	if page.status != http.StatusOK {
		t.Fatalf("keys page: %d", page.status)
	}
	for _, k := range keys {
		// html/template writes + as &#43;.
		for _, want := range []string{k.ID, strings.ReplaceAll(k.PublicBase64(), "+", "&#43;"), k.Fingerprint()} {
			if !strings.Contains(page.body, want) {
				t.Errorf("keys page lacks %q", want)
			}
		}
	}
	if !strings.Contains(page.body, "2026-11-28 起") || !strings.Contains(page.body, "2026-11-29 止") || !strings.Contains(page.body, "使用中") {
		t.Errorf("keys page lacks the validity periods:\n%s", page.body)
	}
	v := c.get("/verify")
	for _, want := range []string{`id="verify-keys"`, `"id":"` + k2.ID + `"`, `"id":"` + keys[1].ID + `"`, `"until":null`,
		`<script src="/assets/verify.js" defer></script>`, `data-lookup="form"`} {
		if !strings.Contains(v.body, want) {
			t.Errorf("verification page lacks %q", want)
		}
	}
	if csp := v.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	sw := c.get("/verify-sw.js")
	if sw.status != http.StatusOK || !strings.HasPrefix(sw.header.Get("Content-Type"), "text/javascript") ||
		sw.header.Get("Cache-Control") != "no-cache" || !strings.Contains(sw.body, "addEventListener('fetch'") {
		t.Fatalf("service worker: %d %v", sw.status, sw.header)
	}
	js := c.get("/assets/verify.js")
	if js.status != http.StatusOK || !strings.Contains(js.body, "ed25519Fallback") {
		t.Fatalf("verify.js: %d", js.status)
	}
}

// 系统设置 shows the signing key, the chain's head and its anchors; the
// province's administrator rotates the key with a reason (422 without).
func TestSettingsShowSigningAndRotate(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.w.Store.RecordDailyAnchor(); err != nil {
		t.Fatal(err)
	}
	c := e.login("demo-province")
	page := c.get("/settings?tab=system")
	st, _ := e.w.Store.SigningStatus()
	head, _ := e.w.Store.ChainHead()
	for _, want := range []string{`id="signing-active">` + st.Active.ID, "可以签名", st.Active.Fingerprint(), "2026-11-28", `id="chain-head"`, "signing-kek"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("settings lack %q", want)
		}
	}
	if head.ID == 0 {
		t.Fatal("no head")
	}
	r := c.post("/settings/signing/rotate", url.Values{"reason": {" "}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请填写轮换原因") || !strings.Contains(r.body, `name="password_max_age_days" type="number" min="0" max="3650" value="90"`) {
		t.Fatalf("rotation without a reason: %d\n%.3000s", r.status, r.body)
	}
	r = c.post("/settings/signing/rotate", url.Values{"reason": {"年度轮换"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("rotation: %d", r.status)
	}
	after, _ := e.w.Store.SigningStatus()
	if after.Active.ID == st.Active.ID || !after.Ready {
		t.Fatalf("after rotation %+v", after)
	}
	if page := c.get("/settings?tab=system"); !strings.Contains(page.body, "已轮换") && !strings.Contains(page.body, after.Active.ID) {
		t.Fatal("the new key is not shown")
	}
	// Only the province's administrator.
	for _, u := range []string{"ah-reviewer", "demo-dept"} {
		if r := e.login(u).post("/settings/signing/rotate", url.Values{"reason": {"x"}}); r.status != http.StatusForbidden {
			t.Errorf("%s rotated: %d", u, r.status)
		}
	}
}

// A backup restored onto another machine, where the key-encryption key is
// not (no file beside the new data directory, no variable), keeps the
// chain and the public keys: the keys page still lists the key old
// certificates were signed with. Printing refuses, saying the key must be
// rotated; after the province rotates, printing works again and both keys
// are published.
func TestRestoredCopyWithoutTheKEKAsksForRotation(t *testing.T) {
	w := fixture.Demo(t)
	old, err := w.Store.SigningStatus()
	if err != nil || !old.Ready {
		t.Fatalf("signing before the backup: %+v (%v)", old, err)
	}
	var buf bytes.Buffer
	if err := w.Store.WriteBackup(w.Actor(t, "demo-province"), &buf); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "new-machine", "data")
	if _, err := store.RestoreBackup(bytes.NewReader(buf.Bytes()), dir, nil); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.Now = w.Clock.Now
	e := serve(t, &fixture.World{Store: st, Clock: w.Clock, Dir: dir})

	if page := e.client().get("/verify/keys"); page.status != http.StatusOK || !strings.Contains(page.body, old.Active.ID) || !strings.Contains(page.body, old.Active.Fingerprint()) {
		t.Fatalf("restored keys page: %d\n%.2000s", page.status, page.body)
	}
	ct := validCerts(e, 1)[0]
	c := e.login("demo-unit")
	r := c.post("/certificates/print", url.Values{"n": {ct.Number}, "format": {builtinFull}})
	for _, want := range []string{"证书签名密钥不可用", "密钥加密密钥文件 " + dir + ".signing-kek 不存在", "轮换证书签名密钥"} {
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, want) {
			t.Fatalf("print on the restored copy: %d, want %q\n%.2000s", r.status, want, r.body)
		}
	}
	if page := e.login("demo-province").get("/settings?tab=system"); !strings.Contains(page.body, "不能签名，打印证书会被拒绝") {
		t.Errorf("settings do not say signing is unavailable:\n%.3000s", page.body)
	}
	if r := e.login("demo-province").post("/settings/signing/rotate", url.Values{"reason": {"从备份恢复到新服务器"}}); r.status != http.StatusSeeOther {
		t.Fatalf("rotation: %d\n%.2000s", r.status, r.body)
	}
	if r := c.post("/certificates/print", url.Values{"n": {ct.Number}, "format": {builtinFull}}); r.status != http.StatusOK || !strings.HasPrefix(r.body, "%PDF") {
		t.Fatalf("print after rotation: %d\n%.500s", r.status, r.body)
	}
	keys, err := st.PublicKeys()
	if err != nil || len(keys) != 2 || keys[1].ID != old.Active.ID || keys[1].Active() {
		t.Fatalf("published keys after rotation: %+v (%v)", keys, err)
	}
}
