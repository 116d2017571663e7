package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"certreg/auth"
	"certreg/store"
)

var secretRe = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

// Rebinding the authenticator needs a code of the current one and of the
// new one; it ends the user's other sessions, gives 10 new recovery codes,
// and from then on only the new secret's codes log in.
func TestRebindAuthenticator(t *testing.T) {
	e := newEnv(t)
	other := e.login("demo-unit") // another device of the same user
	c := e.login("demo-unit")
	old := e.w.User(t, "demo-unit").TOTPSecret

	r := c.get("/settings/totp")
	m := secretRe.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil || !strings.Contains(r.body, "重新绑定身份验证器") || !strings.Contains(r.body, "data:image/png;base64,") {
		t.Fatalf("rebind page: %d\n%.2000s", r.status, r.body)
	}
	secret := m[1]
	if len(secret) != 32 || secret == old {
		t.Fatalf("new secret %q", secret)
	}
	if again := secretRe.FindStringSubmatch(c.get("/settings/totp").body); again == nil || again[1] != secret {
		t.Fatal("the pending secret changed on reload")
	}

	// Wrong codes: both fields say so, the same secret stays on the page.
	r = c.post("/settings/totp", url.Values{"current_code": {"000000"}, "new_code": {"000000"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "当前身份验证器的验证码不正确") ||
		!strings.Contains(r.body, "新身份验证器的验证码不正确") || !strings.Contains(r.body, secret) {
		t.Fatalf("wrong codes: %d\n%.2000s", r.status, r.body)
	}
	// The current code of the step just used to log in is a replay.
	now := e.w.Clock.Now()
	r = c.post("/settings/totp", url.Values{"current_code": {auth.Code(old, now)}, "new_code": {auth.Code(secret, now)}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, msgReplay) {
		t.Fatalf("replayed current code: %d\n%.2000s", r.status, r.body)
	}
	if e.w.User(t, "demo-unit").TOTPSecret != old {
		t.Fatal("a refused rebind changed the secret")
	}

	e.w.Clock.Advance(auth.Period * time.Second)
	now = e.w.Clock.Now()
	r = c.post("/settings/totp", url.Values{"current_code": {auth.Code(old, now)}, "new_code": {auth.Code(secret, now)}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/settings/recovery-codes" {
		t.Fatalf("rebind: %d %q\n%.2000s", r.status, r.header.Get("Location"), r.body)
	}
	r = c.get("/settings/recovery-codes")
	if r.status != http.StatusOK || !strings.Contains(r.body, "保存恢复码") {
		t.Fatalf("recovery codes page: %d\n%.2000s", r.status, r.body)
	}
	if codes := regexp.MustCompile(`<span>[2-9a-z]{5}-[2-9a-z]{5}</span>`).FindAllString(r.body, -1); len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	u := e.w.User(t, "demo-unit")
	if u.TOTPSecret != secret || len(u.RecoveryHashes) != 10 {
		t.Fatalf("stored secret %q, %d recovery hashes", u.TOTPSecret, len(u.RecoveryHashes))
	}
	if got := other.get("/"); got.status != http.StatusSeeOther {
		t.Fatalf("the other session survived the rebind: %d", got.status)
	}
	if got := c.get("/settings?tab=totp"); got.status != http.StatusOK {
		t.Fatalf("this session ended: %d", got.status)
	}

	// The old authenticator no longer logs in; the new one does.
	e.w.Clock.Advance(auth.Period * time.Second)
	l := e.client()
	l.post("/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}})
	l.get("/login/code")
	if r := l.post("/login/code", url.Values{"code": {auth.Code(old, e.w.Clock.Now())}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("old authenticator accepted: %d", r.status)
	}
	if r := l.post("/login/code", url.Values{"code": {auth.Code(secret, e.w.Clock.Now())}}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("new authenticator refused: %d %s", r.status, r.header.Get("Location"))
	}
}

// Changing the password: the old one is required, the policy applies
// (boundaries 7/8), the two entries must match; success ends other sessions.
func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	other := e.login("demo-dept")
	c := e.login("demo-dept")
	for _, tc := range []struct {
		old, nw, confirm, msg string
	}{
		{"Wrong#2026pass", "Better#2027pw", "Better#2027pw", "原密码不正确"},
		{store.DemoPassword, "Ab1#xyz", "Ab1#xyz", "8–64"},
		{store.DemoPassword, "abcdefgh", "abcdefgh", "三类"},
		{store.DemoPassword, "Better#2027pw", "Better#2027px", "两次输入的新密码不一致"},
		{store.DemoPassword, store.DemoPassword, store.DemoPassword, "新密码不能与原密码相同"},
		{store.DemoPassword, "Xdemo-dept#1", "Xdemo-dept#1", "密码不能包含用户名"},
	} {
		r := c.post("/settings/password", url.Values{"old_password": {tc.old}, "new_password": {tc.nw}, "confirm": {tc.confirm}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tc.msg) {
			t.Errorf("%q → %q: %d, want 422 with %q\n%.1500s", tc.old, tc.nw, r.status, tc.msg, r.body)
		}
	}
	if !auth.CheckPassword(e.w.User(t, "demo-dept").PasswordHash, store.DemoPassword) {
		t.Fatal("a refused change changed the password")
	}
	r := c.post("/settings/password", url.Values{"old_password": {store.DemoPassword}, "new_password": {"Ab1#wxyz"}, "confirm": {"Ab1#wxyz"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/settings?tab=password" {
		t.Fatalf("8-character password: %d %s\n%.1500s", r.status, r.header.Get("Location"), r.body)
	}
	if !strings.Contains(c.get("/settings?tab=password").body, "密码已修改") {
		t.Error("no confirmation")
	}
	if got := other.get("/"); got.status != http.StatusSeeOther {
		t.Fatalf("the other session survived the change: %d", got.status)
	}
	if !auth.CheckPassword(e.w.User(t, "demo-dept").PasswordHash, "Ab1#wxyz") {
		t.Fatal("new password not stored")
	}
	l := e.client()
	if r := l.post("/login", url.Values{"username": {"demo-dept"}, "password": {store.DemoPassword}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("old password still logs in: %d", r.status)
	}
	if r := l.post("/login", url.Values{"username": {"demo-dept"}, "password": {"Ab1#wxyz"}}); r.status != http.StatusSeeOther {
		t.Fatalf("new password refused: %d", r.status)
	}
}

// The settings tabs each show their own form; a tab the user may not have
// falls back to the profile.
func TestSettingsTabs(t *testing.T) {
	e := newEnv(t)
	get := http.MethodGet
	runScenarios(t, e, []scenario{
		{name: "profile", user: "demo-unit", method: get, path: "/settings", status: 200, want: []string{"个人资料", `name="phone"`}},
		{name: "password", user: "demo-unit", method: get, path: "/settings?tab=password", status: 200, want: []string{`id="old_password"`, `id="confirm"`}},
		{name: "totp", user: "demo-unit", method: get, path: "/settings?tab=totp", status: 200, want: []string{`href="/settings/totp"`}},
		{name: "org", user: "demo-unit", method: get, path: "/settings?tab=org", status: 200, want: []string{`id="contact"`, `id="address"`, "合肥市城乡建设局"}},
		{name: "scope", user: "demo-unit", method: get, path: "/settings?tab=scope", status: 200, want: []string{`id="own-scope"`, "砌筑工"}},
		{name: "unit has no system tab", user: "demo-unit", method: get, path: "/settings?tab=system", status: 200,
			want: []string{`name="phone"`}, absent: []string{"数据备份", `id="maxage"`}},
		{name: "province has no scope tab", user: "demo-province", method: get, path: "/settings?tab=scope", status: 200,
			want: []string{`name="phone"`}, absent: []string{`id="own-scope"`}},
		{name: "unknown tab", user: "demo-unit", method: get, path: "/settings?tab=nonsense", status: 200, want: []string{`name="phone"`}},
		{name: "system tab", user: "demo-province", method: get, path: "/settings?tab=system", status: 200, want: []string{`id="maxage"`, "数据备份"}},
		{name: "max age not a number", user: "demo-province", method: http.MethodPost, path: "/settings/system",
			form: url.Values{"password_max_age_days": {"九十"}}, status: 422, want: []string{"请输入整数天数"}},
		{name: "max age out of range", user: "demo-province", method: http.MethodPost, path: "/settings/system",
			form: url.Values{"password_max_age_days": {"-1"}}, status: 422, want: []string{`id="maxage"`}},
		{name: "clerk cannot edit the org", user: "hfjg-clerk", method: http.MethodPost, path: "/settings/org",
			form: url.Values{"contact": {"x"}}, status: 403},
		{name: "bad org phone keeps input", user: "demo-unit", method: http.MethodPost, path: "/settings/org",
			form: url.Values{"contact": {"张秀英"}, "phone": {"abc"}, "address": {"合肥市蜀山区"}}, status: 422, want: []string{`value="合肥市蜀山区"`}},
		{name: "bad profile phone keeps input", user: "demo-unit", method: http.MethodPost, path: "/settings/profile",
			form: url.Values{"name": {"张秀英"}, "phone": {"12345"}}, status: 422, want: []string{`value="12345"`}},
	})
}
