package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"certreg/auth"
	"certreg/fixture"
	"certreg/store"
)

func TestLoginWithPasswordAndCode(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	r := c.get("/")
	if r.status != 200 || !strings.Contains(r.body, "合肥建工职业技能培训学校") || !strings.Contains(r.body, "有效证书总数") {
		t.Fatalf("home: %d\n%s", r.status, r.body)
	}
	logs := c.get("/logs")
	if !strings.Contains(logs.body, "登录成功") {
		t.Fatalf("log lacks the login:\n%s", logs.body)
	}
}

// Unknown user and wrong password get the same page, status and message.
func TestLoginSameAnswerForUnknownUserAndWrongPassword(t *testing.T) {
	e := newEnv(t)
	a := e.client().post("/login", url.Values{"username": {"demo-unit"}, "password": {"Wrong#2026pass"}})
	b := e.client().post("/login", url.Values{"username": {"no-such-user"}, "password": {"Wrong#2026pass"}})
	norm := func(s string) string {
		s = csrfMeta.ReplaceAllString(s, "")
		s = regexp.MustCompile(`name="_csrf" value="[^"]*"`).ReplaceAllString(s, "")
		s = regexp.MustCompile(`value="(demo-unit|no-such-user)"`).ReplaceAllString(s, "")
		return regexp.MustCompile(`demo-code">\d{6}`).ReplaceAllString(s, "")
	}
	if a.status != b.status || norm(a.body) != norm(b.body) {
		t.Fatalf("answers differ: %d vs %d", a.status, b.status)
	}
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, msgBadLogin) {
		t.Fatalf("status %d, want 422 with %q", a.status, msgBadLogin)
	}
}

func TestLockoutAfterFiveFailures(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	// The rule: the 5th failure locks, for 15 minutes.
	for i := 1; i <= 5; i++ {
		r := c.post("/login", url.Values{"username": {"demo-dept"}, "password": {"Wrong#2026pass"}})
		locked := strings.Contains(r.body, "锁定")
		if (i < 5) == locked {
			t.Fatalf("attempt %d: locked=%v, want the 5th to lock", i, locked)
		}
		if locked && !strings.Contains(r.body, "连续 5 次") {
			t.Fatalf("lock message does not say 5 failures:\n%s", r.body)
		}
	}
	// The right password is refused while locked, with the time it ends.
	r := c.post("/login", url.Values{"username": {"demo-dept"}, "password": {store.DemoPassword}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "锁定") || !strings.Contains(r.body, "10:15") {
		t.Fatalf("locked account accepted or message lacks the end time: %d\n%s", r.status, r.body)
	}
	// Unknown accounts lock the same way, so a lockout does not reveal a user.
	u := e.client()
	var last resp
	for i := 1; i <= 5; i++ {
		last = u.post("/login", url.Values{"username": {"ghost"}, "password": {"Wrong#2026pass"}})
		if i == 4 && strings.Contains(last.body, "锁定") {
			t.Fatal("unknown user locked after four failures")
		}
	}
	if !strings.Contains(last.body, "锁定") {
		t.Fatal("unknown user not locked after five failures")
	}
	// After 15 minutes the account opens again.
	e.w.Clock.Advance(15*time.Minute + time.Second)
	e.login("demo-dept")
	// The log shows the failures and the lockout.
	admin := e.login("demo-dept")
	logs := admin.get("/logs?action=login.locked")
	if !strings.Contains(logs.body, "账户锁定") {
		t.Fatalf("lockout not logged:\n%s", logs.body)
	}
}

func TestTOTPCodeIsAcceptedOnce(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-direct")
	code := c.code("demo-direct")
	c.post("/logout", nil)
	// Same step, same code: refused as a replay.
	c2 := e.client()
	c2.post("/login", url.Values{"username": {"demo-direct"}, "password": {store.DemoPassword}})
	c2.get("/login/code")
	r := c2.post("/login/code", url.Values{"code": {code}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, msgReplay) {
		t.Fatalf("replayed code: %d\n%s", r.status, r.body)
	}
	// An earlier step than the last used is refused too; the next step works.
	e.w.Clock.Advance(30 * time.Second)
	r = c2.post("/login/code", url.Values{"code": {c2.code("demo-direct")}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("fresh code refused: %d\n%s", r.status, r.body)
	}
}

func TestWrongCodeCountsTowardsLockout(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.post("/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}})
	c.get("/login/code")
	var r resp
	for i := 1; i <= 5; i++ {
		r = c.post("/login/code", url.Values{"code": {"000000"}})
		if i == 4 && strings.Contains(r.body, "锁定") {
			t.Fatal("four wrong codes locked")
		}
	}
	if !strings.Contains(r.body, "锁定") {
		t.Fatalf("five wrong codes did not lock:\n%s", r.body)
	}
	if got := c.get("/"); got.status != http.StatusSeeOther {
		t.Fatalf("session survived the lockout: %d", got.status)
	}
}

func TestRecoveryCodeWorksOnce(t *testing.T) {
	w := fixture.Demo(t)
	e := serve(t, w)
	codes, hashes := auth.RecoveryCodes(10)
	u := w.User(t, "demo-unit")
	if err := w.Store.EnrolTOTP(w.Actor(t, "demo-unit"), u.ID, u.TOTPSecret, 0, hashes, nil); err != nil {
		t.Fatal(err)
	}
	use := func() resp {
		c := e.client()
		c.post("/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}})
		c.get("/login/code")
		return c.post("/login/code", url.Values{"code": {strings.ToUpper(codes[3])}})
	}
	if r := use(); r.status != http.StatusSeeOther {
		t.Fatalf("recovery code refused: %d\n%s", r.status, r.body)
	}
	if r := use(); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("recovery code accepted twice: %d", r.status)
	}
	if u := w.User(t, "demo-unit"); len(u.RecoveryHashes) != 9 {
		t.Fatalf("%d recovery codes left, want 9", len(u.RecoveryHashes))
	}
}

func TestSessionIDChangesAtLogin(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.post("/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}})
	first := c.jar[cookieSession]
	c.get("/login/code")
	c.post("/login/code", url.Values{"code": {c.code("demo-unit")}})
	second := c.jar[cookieSession]
	if first == "" || second == "" || first == second {
		t.Fatalf("session id not renewed: %q -> %q", first, second)
	}
	// The pre-login id is dead.
	old := e.client()
	old.jar[cookieSession] = first
	if r := old.get("/"); r.status != http.StatusSeeOther {
		t.Fatalf("old session id still works: %d", r.status)
	}
}

func TestSessionIdleAndAbsoluteExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	e.w.Clock.Advance(29 * time.Minute)
	if r := c.get("/"); r.status != 200 {
		t.Fatalf("active session refused after 29 min: %d", r.status)
	}
	e.w.Clock.Advance(31 * time.Minute)
	if r := c.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Fatalf("idle session not expired: %d %s", r.status, r.header.Get("Location"))
	}
	// Absolute: active every 20 minutes, still ends after 12 hours.
	c = e.login("demo-unit")
	for i := 0; i < 35; i++ {
		e.w.Clock.Advance(20 * time.Minute)
		if r := c.get("/"); r.status != 200 {
			t.Fatalf("refused after %d min", (i+1)*20)
		}
	}
	e.w.Clock.Advance(20 * time.Minute) // 12 h 0 min
	e.w.Clock.Advance(20 * time.Minute)
	if r := c.get("/"); r.status != http.StatusSeeOther {
		t.Fatalf("session older than 12 h accepted: %d", r.status)
	}
}

func TestCSRFRefused(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	// No token at all.
	r := c.do(http.MethodPost, "/settings/profile", url.Values{"name": {"张三"}}, nil)
	if r.status != http.StatusForbidden {
		t.Fatalf("POST without token: %d", r.status)
	}
	// Another session's token.
	other := e.login("demo-dept")
	r = c.do(http.MethodPost, "/settings/profile", url.Values{"name": {"张三"}, "_csrf": {other.csrf}}, nil)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "页面已过期") {
		t.Fatalf("POST with a foreign token: %d", r.status)
	}
	// The header works for htmx.
	r = c.do(http.MethodPost, "/settings/profile", url.Values{"name": {"张三"}}, map[string]string{"X-CSRF-Token": c.csrf})
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST with header token: %d\n%s", r.status, r.body)
	}
	// The login form itself is protected.
	r = e.client().do(http.MethodPost, "/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}}, nil)
	if r.status != http.StatusForbidden {
		t.Fatalf("login without token: %d", r.status)
	}
}

func TestLogoutEndsSession(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	tok := c.jar[cookieSession]
	if r := c.post("/logout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.status)
	}
	stolen := e.client()
	stolen.jar[cookieSession] = tok
	if r := stolen.get("/"); r.status != http.StatusSeeOther {
		t.Fatalf("session usable after logout: %d", r.status)
	}
	// GET /logout is not a route: logout is POST only.
	if r := c.get("/logout"); r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET /logout: %d", r.status)
	}
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	w := fixture.Demo(t)
	app, err := New(Config{Store: w.Store, Demo: true, Now: w.Clock.Now, Logger: discardLogger(), LoginLimit: 10, ProxyHeader: "X-Forwarded-For"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, w: w, app: app}
	c := e.client()
	var r resp
	for i := 0; i < 11; i++ {
		r = c.post("/login", url.Values{"username": {"user" + string(rune('a'+i))}, "password": {"x"}})
	}
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "频繁") {
		t.Fatalf("11th attempt: %d", r.status)
	}
	other := e.client()
	other.ip = "10.0.0.2"
	if r := other.post("/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}}); r.status != http.StatusSeeOther {
		t.Fatalf("another address limited too: %d", r.status)
	}
	w.Clock.Advance(time.Minute + time.Second)
	if r := c.post("/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}}); r.status != http.StatusSeeOther {
		t.Fatalf("limit did not reset: %d", r.status)
	}
}

// The first start: admin with an initial password must change it and enrol
// an authenticator before anything else.
func TestFirstLoginForcesPasswordChangeAndEnrolment(t *testing.T) {
	w := fixture.Empty(t)
	hash, _ := auth.HashPassword("Initial#Pass1")
	if _, _, err := w.Store.Bootstrap("34", hash); err != nil {
		t.Fatal(err)
	}
	e := serve(t, w)
	c := e.client()
	r := c.post("/login", url.Values{"username": {"admin"}, "password": {"Initial#Pass1"}})
	if r.header.Get("Location") != "/login/setup" {
		t.Fatalf("initial login goes to %q", r.header.Get("Location"))
	}
	for _, p := range []string{"/", "/logs", "/settings"} {
		if r := c.get(p); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login/setup" {
			t.Fatalf("%s before set-up: %d %s", p, r.status, r.header.Get("Location"))
		}
	}
	r = c.get("/login/setup")
	if !strings.Contains(r.body, "修改密码") {
		t.Fatalf("set-up does not ask for a password:\n%s", r.body)
	}
	// Weak and mismatched passwords: 422, nothing changed.
	r = c.post("/login/setup/password", url.Values{"old_password": {"Initial#Pass1"}, "new_password": {"weakpass"}, "confirm": {"weakpass"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "三类") {
		t.Fatalf("weak password: %d", r.status)
	}
	r = c.post("/login/setup/password", url.Values{"old_password": {"Initial#Pass1"}, "new_password": {"Strong#Pass22"}, "confirm": {"Strong#Pass22"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("change: %d\n%s", r.status, r.body)
	}
	r = c.get("/login/setup")
	m := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", r.body)
	}
	if !strings.Contains(r.body, "data:image/png;base64,") {
		t.Fatal("no QR code")
	}
	r = c.post("/login/setup/totp", url.Values{"code": {"123456"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong enrolment code: %d", r.status)
	}
	r = c.post("/login/setup/totp", url.Values{"code": {auth.Code(m[1], w.Clock.Now())}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/settings/recovery-codes" {
		t.Fatalf("enrolment answers %d to %q, want a redirect to the codes", r.status, r.header.Get("Location"))
	}
	r = c.get("/settings/recovery-codes")
	if r.status != 200 || strings.Count(r.body, "<span>") < 10 || !strings.Contains(r.body, "恢复码") {
		t.Fatalf("recovery codes not shown: %d\n%s", r.status, r.body)
	}
	if r := c.get("/settings/recovery-codes"); r.status != http.StatusSeeOther || strings.Contains(r.body, "<span>") {
		t.Fatalf("recovery codes shown twice: %d", r.status)
	}
	if r := c.get("/"); r.status != 200 || !strings.Contains(r.body, "安徽省住房和城乡建设厅") {
		t.Fatalf("home after set-up: %d", r.status)
	}
	// The next login needs the new password and a code.
	w.Clock.Advance(time.Minute)
	c2 := e.client()
	if r := c2.post("/login", url.Values{"username": {"admin"}, "password": {"Initial#Pass1"}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("old password accepted: %d", r.status)
	}
	if r := c2.post("/login", url.Values{"username": {"admin"}, "password": {"Strong#Pass22"}}); r.header.Get("Location") != "/login/code" {
		t.Fatalf("new password: %d %s", r.status, r.header.Get("Location"))
	}
}

func TestExpiredPasswordMustBeChanged(t *testing.T) {
	e := newEnv(t)
	e.w.Clock.Advance(91 * 24 * time.Hour)
	c := e.client()
	c.post("/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}})
	c.get("/login/code")
	r := c.post("/login/code", url.Values{"code": {c.code("demo-unit")}})
	if r.header.Get("Location") != "/login/setup" {
		t.Fatalf("expired password not forced: %d %s", r.status, r.header.Get("Location"))
	}
	if r := c.get("/login/setup"); !strings.Contains(r.body, "有效期") {
		t.Fatal("set-up page does not say the password expired")
	}
}
