package handlers

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"certreg/store"
)

// The reproducers of the hardening review: each of these failed against the
// server before its fix.

func TestSafeNextKeepsOnlyLocalPaths(t *testing.T) {
	for next, want := range map[string]string{
		"/certificates?page=2":      "/certificates?page=2",
		"/batches/3":                "/batches/3",
		"/\t/other.host/x":          "",
		"/\n/other.host":            "",
		"//other.host/x":            "",
		"/\\other.host":             "",
		"/%2F%2Fother.host":         "",
		"https://other.host/":       "",
		"http:/other.host":          "",
		"/login?next=/x":            "",
		"relative":                  "",
		"/ok#frag":                  "/ok",
		"/\u00a0/other.host":        "",
		"/.%2e/x":                   "/.%2e/x",
		"/x?y=%0d%0aSet-Cookie:%20": "/x?y=%0d%0aSet-Cookie:%20",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// The login's next parameter with a tab in it once became Location: /\t/other.host/x.
func TestLoginRedirectStaysOnSite(t *testing.T) {
	e := newEnv(t)
	e.w.Clock.Advance(time.Minute)
	c := e.client()
	r := c.get("/login?next=%2F%09%2Fother.host%2Fx")
	if strings.Contains(r.body, "other.host") {
		t.Fatalf("the login form carries the foreign next: %.500s", r.body)
	}
	c.post("/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}, "next": {"/\t/other.host/x"}})
	c.get("/login/code")
	r = c.post("/login/code", url.Values{"code": {c.code("demo-unit")}})
	if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || loc != "/" {
		t.Fatalf("after login: status %d, Location %q, want 303 to /", r.status, loc)
	}
}

func TestCSRFDefenceInDepth(t *testing.T) {
	e := newEnv(t)
	unit := e.login("demo-unit")
	profile := url.Values{"name": {"张秀英"}, "phone": {""}}

	// A token in the query string is not a token.
	r := unit.do(http.MethodPost, "/settings/profile?_csrf="+url.QueryEscape(unit.csrf), profile, nil)
	if r.status != http.StatusForbidden {
		t.Fatalf("token in the query string: status %d, want 403", r.status)
	}
	// The header and the body field are.
	if r := unit.do(http.MethodPost, "/settings/profile", profile, map[string]string{"X-CSRF-Token": unit.csrf}); r.status != http.StatusSeeOther {
		t.Fatalf("token in the header: status %d, want 303", r.status)
	}
	// Cross-site requests are refused even with the token.
	for name, hdr := range map[string]map[string]string{
		"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": "cross-site"},
		"Sec-Fetch-Site same-site":  {"Sec-Fetch-Site": "same-site"},
		"foreign Origin":            {"Origin": "https://evil.example"},
		"null Origin":               {"Origin": "null"},
	} {
		form := url.Values{"name": {"张秀英"}, "phone": {""}, "_csrf": {unit.csrf}}
		if r := unit.do(http.MethodPost, "/settings/profile", form, hdr); r.status != http.StatusForbidden || !strings.Contains(r.body, "请求来源无效") {
			t.Errorf("%s: status %d, want 403 with 请求来源无效", name, r.status)
		}
	}
	// Same-origin requests pass: the Origin of the server's own host, or of
	// its public address.
	for _, origin := range []string{"http://example.com", testPublicURL} {
		form := url.Values{"name": {"张秀英"}, "phone": {""}, "_csrf": {unit.csrf}}
		if r := unit.do(http.MethodPost, "/settings/profile", form, map[string]string{"Origin": origin, "Sec-Fetch-Site": "same-origin"}); r.status != http.StatusSeeOther {
			t.Errorf("Origin %s: status %d, want 303", origin, r.status)
		}
	}

	// Before login, a cookie and field pair the client made up is refused...
	anon := e.client()
	anon.jar[cookiePreCSRF] = "made-up-by-the-client-0123456789"
	r = anon.do(http.MethodPost, "/verify", url.Values{"number": {"1"}, "name": {"x"}, "_csrf": {"made-up-by-the-client-0123456789"}}, nil)
	if r.status != http.StatusForbidden {
		t.Fatalf("made-up pre-login token: status %d, want 403", r.status)
	}
	// ...and one the server issued passes.
	anon = e.client()
	anon.get("/verify")
	if r := anon.post("/verify", url.Values{"number": {"1"}, "name": {"x"}}); r.status != http.StatusOK {
		t.Fatalf("issued pre-login token: status %d, want 200", r.status)
	}
}

// The QR code and the verification link never come from the Host header.
func TestVerificationLinksIgnoreTheHostHeader(t *testing.T) {
	e := newEnv(t)
	cert := validCert(t, e.certsOf("demo-unit"))
	unit := e.login("demo-unit")
	r := unit.do(http.MethodGet, "/certificates/"+cert.Number, nil, map[string]string{"Host": "evil.example"})
	if r.status != 200 || strings.Contains(r.body, "evil.example") || !strings.Contains(r.body, testPublicURL+"/verify?") {
		t.Fatalf("detail with Host evil.example: status %d, evil host shown or public URL missing", r.status)
	}
}

// Without a public address (no flag, no setting) nothing is printed with a
// QR code: the clerk is told why, and the province sets it in 系统设置.
func TestPrintingNeedsAPublicAddress(t *testing.T) {
	e := newEnv(t)
	app, err := New(Config{Store: e.w.Store, Now: e.w.Clock.Now, Logger: discardLogger(), LoginLimit: 1000, ProxyHeader: "X-Forwarded-For"})
	if err != nil {
		t.Fatal(err)
	}
	bare := &env{t: t, w: e.w, app: app}
	cert := validCert(t, bare.certsOf("demo-unit"))
	unit := bare.login("demo-unit")
	r := unit.do(http.MethodGet, "/certificates/"+cert.Number, nil, map[string]string{"Host": "evil.example"})
	if r.status != 200 || strings.Contains(r.body, "evil.example") {
		t.Fatalf("detail without public URL: status %d or evil host shown", r.status)
	}
	r = unit.post("/certificates/print", url.Values{"n": {cert.Number}, "format": {builtinFull}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "公开访问地址") {
		t.Fatalf("print without public URL: status %d, want 422 naming 公开访问地址\n%.800s", r.status, r.body)
	}
	prov := bare.login("demo-province")
	bad := prov.post("/settings/system", url.Values{"password_max_age_days": {"90"}, "log_retention_months": {"0"}, "public_url": {"javascript:alert(1)"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "公开访问地址应为") {
		t.Fatalf("bad public URL: status %d", bad.status)
	}
	if r := prov.post("/settings/system", url.Values{"password_max_age_days": {"90"}, "log_retention_months": {"0"},
		"public_url": {"https://zjt.ah.example/"}}); r.status != http.StatusSeeOther {
		t.Fatalf("save public URL: status %d\n%.800s", r.status, r.body)
	}
	r = unit.post("/certificates/print", url.Values{"n": {cert.Number}, "format": {builtinFull}})
	if r.status != 200 || r.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("print after setting the public URL: status %d %s", r.status, r.header.Get("Content-Type"))
	}
	r = unit.get("/certificates/" + cert.Number)
	if !strings.Contains(r.body, "https://zjt.ah.example/verify?") {
		t.Fatal("the detail page does not link to the public address that was set")
	}
}

// countLog counts the province's log entries of an action.
func countLog(e *env, action store.Action) int {
	e.t.Helper()
	prov, err := e.w.Store.ProvinceOrg()
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for off := 0; ; off += 200 {
		entries, more, err := e.w.Store.Logs(store.LogFilter{OrgID: prov.ID, Action: action, Offset: off, Limit: 200})
		if err != nil {
			e.t.Fatal(err)
		}
		n += len(entries)
		if !more {
			return n
		}
	}
}

// Anonymous refusals once wrote one synced row each: 30,000 POSTs grew the
// database by 13 MB a minute. Now a caller gets one entry a minute and a
// summary.
func TestRefusedRequestsCostABoundedLog(t *testing.T) {
	e := newEnv(t)
	before := countLog(e, store.ActAccessDenied)
	c := e.client()
	for i := 0; i < 300; i++ {
		r := c.do(http.MethodPost, "/verify"+strings.Repeat("/x", i%50), url.Values{"number": {"1"}}, nil)
		if r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Fatalf("POST without token: status %d", r.status)
		}
	}
	if got := countLog(e, store.ActAccessDenied) - before; got != 1 {
		t.Fatalf("300 refusals from one address wrote %d entries in the minute, want 1", got)
	}
	// Many addresses: at most maxDenialCallers callers (the first one
	// included) get entries of their own; the others are counted.
	for i := 0; i < 3*maxDenialCallers; i++ {
		c := e.client()
		c.ip = fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)
		c.do(http.MethodPost, "/verify", url.Values{"number": {"1"}}, nil)
	}
	if got := countLog(e, store.ActAccessDenied) - before; got != maxDenialCallers {
		t.Fatalf("refusals from %d addresses wrote %d entries, want %d", 3*maxDenialCallers, got, maxDenialCallers)
	}
	// When the minute is over, one summary per caller with more, and one for
	// the overflow.
	e.w.Clock.Advance(time.Minute)
	e.srv.denials.tick(e.w.Clock.Now())
	if got := countLog(e, store.ActAccessDenied) - before; got != maxDenialCallers+2 {
		t.Fatalf("after the minute: %d entries, want %d", got, maxDenialCallers+2)
	}
	entries, _, err := e.w.Store.Logs(store.LogFilter{OrgID: e.w.Org(t, "demo-province").ID, Action: store.ActAccessDenied, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, en := range entries {
		details = append(details, en.Detail)
	}
	joined := strings.Join(details, "|")
	if !strings.Contains(joined, "另有 299 次") || !strings.Contains(joined, fmt.Sprintf("另有 %d 次来自其他地址", 2*maxDenialCallers+1)) {
		t.Fatalf("summaries: %q", joined)
	}
}

// The request log once said status=500 for every 404 and 403 the store
// raised; it now logs the status that was sent.
func TestRequestLogShowsTheStatusSent(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	app, err := New(Config{Store: e.w.Store, Demo: true, Now: e.w.Clock.Now, Logger: slog.New(slog.NewTextHandler(&buf, nil)),
		LoginLimit: 1000, ProxyHeader: "X-Forwarded-For", PublicURL: testPublicURL})
	if err != nil {
		t.Fatal(err)
	}
	logged := &env{t: t, w: e.w, app: app}
	unit := logged.login("demo-unit")
	for path, want := range map[string]int{"/batches/99999": 404, "/certificates/99999999999999": 404, "/segments": 403} {
		buf.Reset()
		r := unit.get(path)
		if r.status != want {
			t.Fatalf("%s: status %d, want %d", path, r.status, want)
		}
		if line := buf.String(); !strings.Contains(line, fmt.Sprintf("status=%d", want)) {
			t.Errorf("%s: log line %q lacks status=%d", path, line, want)
		}
	}
}

// An administrator of users gave a new user only 用户与权限管理; that user
// reset the admin's password and took the organisation over.
func TestUserManagerCannotTakeOverTheAdmin(t *testing.T) {
	e := newEnv(t)
	newUser(t, e, "demo-unit", "users-only", store.CapUserManage)
	c := e.login("users-only")
	admin := e.w.User(t, "demo-unit")
	clerk := e.w.User(t, "hfjg-clerk")
	for _, target := range []store.User{admin, clerk} {
		id := fmt.Sprint(target.ID)
		for _, path := range []string{"/admin/users/" + id + "/reset-password", "/admin/users/" + id + "/unbind-totp", "/admin/users/" + id + "/disable"} {
			r := c.post(path, nil)
			if r.status != http.StatusForbidden || strings.Contains(r.body, "初始密码") {
				t.Errorf("POST %s (%s): status %d, want 403", path, target.Username, r.status)
			}
		}
		if r := c.post("/admin/users/"+id, url.Values{"name": {target.Name}, "caps": {"user.manage"}}); r.status != http.StatusForbidden {
			t.Errorf("edit %s: status %d, want 403", target.Username, r.status)
		}
		if r := c.get("/admin/users/" + id); r.status != http.StatusForbidden {
			t.Errorf("open %s: status %d, want 403", target.Username, r.status)
		}
	}
	after := e.w.User(t, "demo-unit")
	if after.PasswordHash != admin.PasswordHash || after.TOTPSecret != admin.TOTPSecret || after.Disabled {
		t.Fatal("the admin's account was changed")
	}
}

// newUser makes a user of username's organisation with the given
// capabilities, the demo password and the demo authenticator.
func newUser(t *testing.T, e *env, admin, username string, caps ...store.Cap) {
	t.Helper()
	org := e.w.Org(t, admin)
	u, err := e.w.Store.CreateUser(e.w.Actor(t, admin), store.NewUser{OrgID: org.ID, Username: username, Name: "新用户",
		Caps: caps, PasswordHash: e.w.User(t, admin).PasswordHash})
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: u.ID, Username: u.Username, OrgID: org.ID}
	if err := e.w.Store.SetPassword(a, u.ID, u.PasswordHash, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.w.Store.EnrolTOTP(a, u.ID, store.DemoSecret, 0, nil, nil); err != nil {
		t.Fatal(err)
	}
}

// A clerk granted only 证书业务申请 can list its organisation's certificates
// to apply for a business, without 证书查看.
func TestApplyWithoutCertView(t *testing.T) {
	e := newEnv(t)
	newUser(t, e, "demo-unit", "biz-only", store.CapBusinessApply)
	c := e.login("biz-only")
	cert := validCert(t, e.certsOf("demo-unit"))
	if r := c.get("/business?number=" + cert.Number); r.status != 200 || !strings.Contains(r.body, cert.Number) {
		t.Fatalf("/business: status %d, certificate missing", r.status)
	}
	if r := c.get("/certificates"); r.status != 403 {
		t.Fatalf("/certificates without cert.view: %d", r.status)
	}
}
