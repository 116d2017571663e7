package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// scenario is one HTTP request by a role with what the answer must and must
// not contain.
type scenario struct {
	name   string
	user   string // "" = anonymous
	method string
	path   string
	form   url.Values
	htmx   bool
	status int
	want   []string
	absent []string
	// location is the exact Location of a redirect; a 303 row must give it
	// (anonymous rows default to the login page).
	location string
	// header holds texts the answer's headers must contain.
	header map[string]string
}

func runScenarios(t *testing.T, e *env, table []scenario) {
	t.Helper()
	clients := map[string]*client{}
	for _, sc := range table {
		t.Run(sc.name, func(t *testing.T) {
			c := clients[sc.user]
			if c == nil {
				if sc.user == "" {
					c = e.client()
				} else {
					c = e.login(sc.user)
				}
				clients[sc.user] = c
			}
			var r resp
			switch {
			case sc.method == http.MethodPost:
				r = c.post(sc.path, sc.form)
			case sc.htmx:
				r = c.htmx(sc.path)
			default:
				r = c.get(sc.path)
			}
			if r.status != sc.status {
				t.Fatalf("%s %s as %q: status %d, want %d\n%.2000s", sc.method, sc.path, sc.user, r.status, sc.status, r.body)
			}
			checkStatusAnswer(t, sc, r)
			for _, w := range sc.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("answer lacks %q\n%.3000s", w, r.body)
				}
			}
			for _, a := range sc.absent {
				if strings.Contains(r.body, a) {
					t.Errorf("answer contains %q", a)
				}
			}
		})
	}
}

// checkStatusAnswer makes a row that names only a status assert what that
// status must carry, so a page that merely answers with the same code does
// not pass: a redirect's target, the error page's message for 403 and 404,
// and the headers a row names.
func checkStatusAnswer(t *testing.T, sc scenario, r resp) {
	t.Helper()
	loc := r.header.Get("Location")
	switch {
	case sc.location != "":
		if loc != sc.location {
			t.Errorf("redirect to %q, want %q", loc, sc.location)
		}
	case sc.status == http.StatusSeeOther && sc.user == "":
		if !strings.HasPrefix(loc, "/login") {
			t.Errorf("anonymous redirect to %q, want the login page", loc)
		}
	case sc.status == http.StatusSeeOther:
		t.Errorf("row gives no location; the answer redirects to %q", loc)
	}
	for k, v := range sc.header {
		if !strings.Contains(r.header.Get(k), v) {
			t.Errorf("header %s = %q, want it to contain %q", k, r.header.Get(k), v)
		}
	}
	if len(sc.want) > 0 {
		return
	}
	switch sc.status {
	case http.StatusNotFound:
		if !strings.Contains(r.body, "您访问的页面或记录不存在") {
			t.Errorf("404 answer is not the not-found message:\n%.1000s", r.body)
		}
	case http.StatusForbidden:
		if !strings.Contains(r.body, "权限") {
			t.Errorf("403 answer does not say the permission is missing:\n%.1000s", r.body)
		}
	case http.StatusOK:
		t.Errorf("a 200 row must say what the answer contains")
	}
}

func TestScenarios(t *testing.T) {
	e := newEnv(t)
	get, post := http.MethodGet, http.MethodPost
	runScenarios(t, e, []scenario{
		{name: "anonymous home redirects to login", method: get, path: "/", status: http.StatusSeeOther},
		{name: "anonymous logs redirects to login", method: get, path: "/logs", status: http.StatusSeeOther},
		{name: "login page in demo mode", method: get, path: "/login", status: 200, want: []string{"演示模式", "当前演示验证码", "用户名", "密码"}},
		{name: "healthz", method: get, path: "/healthz", status: 200, want: []string{"ok"}},
		{name: "demo code fragment", method: get, path: "/login/demo-code", htmx: true, status: 200, want: []string{"demo-code"}, absent: []string{"<html"}},
		{name: "unknown page", method: get, path: "/no-such-page", status: 404, want: []string{"页面不存在"}, absent: []string{"goroutine", "Cannot GET"}},
		{name: "code step without password", method: get, path: "/login/code", status: http.StatusSeeOther},

		{name: "unit home", user: "demo-unit", method: get, path: "/", status: 200,
			want:   []string{"合肥建工职业技能培训学校", "单位", "有效证书总数", `href="/logs"`, "退出"},
			absent: []string{"机构管理", "号段维护"}},
		{name: "unit home as htmx fragment", user: "demo-unit", method: get, path: "/", htmx: true, status: 200,
			want: []string{"有效证书总数"}, absent: []string{"<html", "<nav"}},
		{name: "unit logs", user: "demo-unit", method: get, path: "/logs", status: 200, want: []string{"操作日志", "登录成功", "demo-unit"}},
		{name: "unit logs rows fragment", user: "demo-unit", method: get, path: "/logs?action=login.success", htmx: true, status: 200,
			want: []string{"登录成功"}, absent: []string{"<html"}},
		{name: "unit cannot open system settings", user: "demo-unit", method: post, path: "/settings/system",
			form: url.Values{"password_max_age_days": {"0"}}, status: 403, want: []string{"权限"}},
		{name: "unit settings profile", user: "demo-unit", method: get, path: "/settings", status: 200, want: []string{"个人资料", "张秀英"}, absent: []string{"系统设置"}},
		{name: "unit settings org tab", user: "demo-unit", method: get, path: "/settings?tab=org", status: 200, want: []string{"合肥市", "合肥市城乡建设局", "保存机构资料"}},
		{name: "unit saves invalid phone", user: "demo-unit", method: post, path: "/settings/profile",
			form: url.Values{"name": {"张秀英"}, "phone": {"12345"}}, status: 422, want: []string{"手机号码应为 11 位数字", `value="12345"`}},
		{name: "unit saves empty name", user: "demo-unit", method: post, path: "/settings/profile",
			form: url.Values{"name": {" "}, "phone": {""}}, status: 422, want: []string{"请填写姓名"}},
		{name: "unit saves profile", user: "demo-unit", method: post, path: "/settings/profile",
			form: url.Values{"name": {"张秀英"}, "phone": {"13800000000"}}, status: http.StatusSeeOther, location: "/settings?tab=profile"},
		{name: "unit wrong old password", user: "demo-unit", method: post, path: "/settings/password",
			form: url.Values{"old_password": {"nope"}, "new_password": {"Another#Pass9"}, "confirm": {"Another#Pass9"}}, status: 422, want: []string{"原密码不正确"}},
		{name: "unit admin edits org contact", user: "demo-unit", method: post, path: "/settings/org",
			form: url.Values{"contact": {"张秀英"}, "phone": {"0551-62880011"}, "address": {"合肥市包河区"}}, status: http.StatusSeeOther, location: "/settings?tab=org"},
		{name: "unit admin edits org with bad phone", user: "demo-unit", method: post, path: "/settings/org",
			form: url.Values{"contact": {"张秀英"}, "phone": {"电话"}, "address": {""}}, status: 422, want: []string{"联系电话格式不正确"}},
		{name: "clerk is not org admin", user: "hfjg-clerk", method: post, path: "/settings/org",
			form: url.Values{"contact": {"x"}}, status: 403},
		{name: "clerk without log.view", user: "hfjg-clerk", method: get, path: "/logs", status: 403, want: []string{"没有访问此页面的权限"}},
		{name: "clerk menu lacks logs", user: "hfjg-clerk", method: get, path: "/", status: 200,
			want: []string{"首页", `href="/batches"`}, absent: []string{`href="/logs"`}},

		{name: "dept home", user: "demo-dept", method: get, path: "/", status: 200, want: []string{"合肥市城乡建设局", "主管部门"}},
		{name: "direct home", user: "demo-direct", method: get, path: "/", status: 200, want: []string{"安徽省建设干部学校", "省直所"}},
		{name: "province home", user: "demo-province", method: get, path: "/", status: 200, want: []string{"安徽省住房和城乡建设厅", "省厅"}},
		{name: "province system settings", user: "demo-province", method: get, path: "/settings?tab=system", status: 200, want: []string{"密码有效期"}},
		{name: "province sets bad max age", user: "demo-province", method: post, path: "/settings/system",
			form: url.Values{"password_max_age_days": {"-3"}}, status: 422, want: []string{"0–3650"}},
		{name: "province sets max age", user: "demo-province", method: post, path: "/settings/system",
			form: url.Values{"password_max_age_days": {"180"}}, status: http.StatusSeeOther, location: "/settings?tab=system"},
		{name: "province reviewer is not admin", user: "ah-reviewer", method: post, path: "/settings/system",
			form: url.Values{"password_max_age_days": {"0"}}, status: 403},
		{name: "province logs show only own users", user: "demo-province", method: get, path: "/logs", status: 200,
			want: []string{"demo-province"}, absent: []string{"demo-unit", "demo-dept"}},
		{name: "dept cannot filter another org's user", user: "demo-dept", method: get, path: "/logs?user=1", status: 200,
			want: []string{"操作日志", "log-table"}, absent: []string{"demo-province"}},
	})
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/login", "/no-such-page", "/assets/app.css"} {
		r := e.client().get(p)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: nosniff/referrer missing", p)
		}
	}
	r := e.client().get("/login")
	if !strings.Contains(r.header.Get("Vary"), "HX-Request") {
		t.Error("no Vary: HX-Request")
	}
	for _, ck := range []string{"csrf_pre"} {
		if !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), "\n"), ck+"=") {
			t.Errorf("no %s cookie", ck)
		}
	}
	c := e.login("demo-unit")
	set := strings.Join(c.do(http.MethodGet, "/", nil, nil).header.Values("Set-Cookie"), "\n")
	_ = set
	// The session cookie is HttpOnly and SameSite=Lax.
	c2 := e.client()
	res := c2.post("/login", url.Values{"username": {"demo-unit"}, "password": {"Demo#2026pass"}})
	sc := strings.Join(res.header.Values("Set-Cookie"), "\n")
	if !strings.Contains(sc, "sid=") || !strings.Contains(strings.ToLower(sc), "httponly") || !strings.Contains(strings.ToLower(sc), "samesite=lax") {
		t.Errorf("session cookie flags: %s", sc)
	}
	if strings.Contains(strings.ToLower(sc), "secure") {
		t.Error("Secure cookie without TLS")
	}
}

func TestSecureCookiesAndHSTSUnderTLS(t *testing.T) {
	e := newEnv(t)
	app, err := New(Config{Store: e.w.Store, TLS: true, Now: e.w.Clock.Now, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	e.app = app
	r := e.client().get("/login")
	if r.header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS under TLS")
	}
	if sc := strings.ToLower(strings.Join(r.header.Values("Set-Cookie"), "\n")); !strings.Contains(sc, "secure") {
		t.Errorf("cookie not Secure under TLS: %s", sc)
	}
	if strings.Contains(r.body, "演示模式") {
		t.Error("demo banner outside demo mode")
	}
}

// Every route registered in the router must be in the authorisation table.
func TestEveryRouteIsInTheAuthorisationTable(t *testing.T) {
	e := newEnv(t)
	s := &Server{}
	listed := map[string]bool{"GET /assets/*": true, "HEAD /assets/*": true}
	for _, r := range s.routeTable() {
		listed[r.method+" "+r.path] = true
		listed[fiber.MethodHead+" "+r.path] = r.method == fiber.MethodGet || listed[fiber.MethodHead+" "+r.path]
	}
	n := 0
	for _, r := range e.app.GetRoutes(true) {
		if !listed[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is not in the authorisation table", r.Method, r.Path)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d routes seen", n)
	}
}

func TestMenuShowsOnlyExistingPagesPerRole(t *testing.T) {
	e := newEnv(t)
	for user, want := range map[string][]string{
		"demo-unit":     {"首页", "操作日志", "设置"},
		"demo-province": {"首页", "操作日志", "设置"},
	} {
		r := e.login(user).get("/")
		nav := r.body[strings.Index(r.body, "<nav"):strings.Index(r.body, "</nav>")]
		for _, w := range want {
			if !strings.Contains(nav, w) {
				t.Errorf("%s: menu lacks %s", user, w)
			}
		}
		for _, p := range []string{"/batches", "/certificates", "/segments", "/admin/orgs"} {
			if strings.Contains(nav, `href="`+p+`"`) && !e.hasRoute(p) {
				t.Errorf("%s: menu links to %s which does not exist", user, p)
			}
		}
	}
}

func (e *env) hasRoute(p string) bool {
	for _, r := range e.app.GetRoutes(true) {
		if r.Path == p && r.Method == http.MethodGet {
			return true
		}
	}
	return false
}

func TestOfflineOrgOrDisabledUserLosesSession(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	if _, err := e.w.Store.SetOrgStatus(e.w.Actor(t, "demo-dept"), e.w.Org(t, "demo-unit").ID, store.OrgOffline); err != nil {
		t.Fatal(err)
	}
	if r := c.get("/"); r.status != http.StatusSeeOther {
		t.Fatalf("offline org still served: %d", r.status)
	}
	r := e.client().post("/login", url.Values{"username": {"demo-unit"}, "password": {"Demo#2026pass"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "已下线") {
		t.Fatalf("login into offline org: %d", r.status)
	}
}
