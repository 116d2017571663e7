package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"certreg/data"
	"certreg/store"
)

// What a clerk tripped over, each as the pages answer it now.

func occCode(t *testing.T, name string) string {
	t.Helper()
	for _, o := range data.Occupations() {
		if o.Name == name {
			return o.Code
		}
	}
	t.Fatalf("no occupation %s", name)
	return ""
}

// A unit's certificate list offers the occupations of its own scope, not
// the whole catalogue; the province still gets every one.
func TestCertListOccupationsOfOwnScope(t *testing.T) {
	e := newEnv(t)
	option := func(name string) string { return `<option value="` + occCode(t, name) + `">` + name + `</option>` }
	r := e.login("demo-unit").get("/certificates")
	for _, in := range []string{"砌筑工", "模板工", "防水工", "焊工"} {
		if !strings.Contains(r.body, option(in)) {
			t.Errorf("unit list lacks %s", in)
		}
	}
	for _, out := range []string{"木工", "油漆工", "涂装作业工", "线路架设工"} {
		if strings.Contains(r.body, option(out)) {
			t.Errorf("unit list offers %s, outside its scope", out)
		}
	}
	if n := strings.Count(r.body, `<option value="0`); n > 8 {
		t.Errorf("unit list offers %d occupations, its scope has 8", n)
	}
	if r := e.login("demo-province").get("/certificates"); !strings.Contains(r.body, option("木工")) || !strings.Contains(r.body, option("线路架设工")) {
		t.Error("province list lacks occupations")
	}
}

// A unit whose scope lost an occupation still finds its certificates of it.
func TestCertOccupationsKeepIssuedOnes(t *testing.T) {
	e := newEnv(t)
	unit := e.w.Org(t, "demo-unit")
	dept := e.w.Actor(t, "demo-dept")
	scope := store.Scope{}
	for code, levels := range unit.Scope {
		if code != occCode(t, "模板工") {
			scope[code] = levels
		}
	}
	if _, err := e.w.Store.SetScope(dept, unit.ID, scope); err != nil {
		t.Fatal(err)
	}
	occs, err := e.w.Store.CertOccupations(e.w.Org(t, "demo-unit"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, o := range occs {
		names[o.Name] = true
	}
	if !names["模板工"] || !names["砌筑工"] || names["木工"] {
		t.Errorf("offered %v", names)
	}
}

// The template and the pages say 合格人员, never 候选人.
func TestOneWordForCandidates(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	for _, p := range []string{"/batches/new", "/batches", "/"} {
		if r := c.get(p); r.status != 200 || strings.Contains(r.body, "候选人") {
			t.Errorf("%s: %d, says 候选人: %v", p, r.status, strings.Contains(r.body, "候选人"))
		}
	}
}

// 剩余恢复码 is a warning only when few are left, with a way to make new
// ones in 设置: the password, then the codes once, then the plain count.
func TestRecoveryCodesWarningAndRenewal(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	r := c.get("/")
	if !strings.Contains(r.body, `<span class="tag warn">恢复码仅剩 0 个</span>`) || !strings.Contains(r.body, `href="/settings?tab=totp#recovery"`) {
		t.Fatalf("no warning with 0 codes:\n%s", between(r.body, `id="recovery-codes-left"`, "</div>"))
	}
	if r := c.post("/settings/recovery-codes", url.Values{"password": {"wrong"}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "密码不正确") {
		t.Fatalf("wrong password: %d", r.status)
	}
	r = c.post("/settings/recovery-codes", url.Values{"password": {store.DemoPassword}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/settings/recovery-codes" {
		t.Fatalf("renew: %d %q", r.status, r.header.Get("Location"))
	}
	r = c.get("/settings/recovery-codes")
	codes := regexp.MustCompile(`<span>([a-z0-9-]+)</span>`).FindAllStringSubmatch(between(r.body, `id="recovery-codes"`, "</div>"), -1)
	if r.status != 200 || len(codes) != 10 || !strings.Contains(r.body, "旧恢复码已作废") {
		t.Fatalf("codes page: %d, %d codes", r.status, len(codes))
	}
	if r := c.get("/settings/recovery-codes"); r.status != http.StatusSeeOther {
		t.Fatalf("codes shown twice: %d", r.status)
	}
	if n := len(e.w.User(t, "demo-unit").RecoveryHashes); n != 10 {
		t.Fatalf("%d codes stored", n)
	}
	r = c.get("/")
	if strings.Contains(r.body, "恢复码仅剩") || !strings.Contains(r.body, "剩余恢复码 10 个") {
		t.Errorf("home after renewal: %s", between(r.body, `id="recovery-codes-left"`, "</div>"))
	}
	if r := c.get("/logs?action=recovery.renew"); !strings.Contains(r.body, "生成新的恢复码") {
		t.Error("renewal not logged")
	}
	// A new code signs in instead of the authenticator.
	l := e.client()
	l.post("/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}})
	l.get("/login/code")
	if r := l.post("/login/code", url.Values{"code": {codes[0][1]}}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Errorf("login with a new recovery code: %d %q", r.status, r.header.Get("Location"))
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// Creating an organisation redirects; its administrator's password shows
// once on the page the redirect leads to, and a reload does not post again.
func TestCreateOrgRedirectsToItsPassword(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-dept")
	form := url.Values{"type": {"unit"}, "name": {"合肥新建培训学校"}, "region": {"3401"}, "admin_username": {"hfxj-admin"}, "admin_name": {"新管理员"}}
	r := c.post("/admin/orgs", form)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/credential" {
		t.Fatalf("create: %d %q\n%.1000s", r.status, r.header.Get("Location"), r.body)
	}
	r = c.get("/admin/credential")
	if r.status != 200 || !strings.Contains(r.body, `id="initial-password"`) || !strings.Contains(r.body, "hfxj-admin") || !strings.Contains(r.body, "合肥新建培训学校") {
		t.Fatalf("credential page: %d", r.status)
	}
	if r := c.get("/admin/credential"); r.status != http.StatusSeeOther || strings.Contains(r.body, "initial-password") {
		t.Fatalf("reload shows the password again: %d", r.status)
	}
	// Another session of the same user never sees it.
	c2 := e.login("demo-dept")
	c.post("/admin/orgs", url.Values{"type": {"unit"}, "name": {"合肥第二新建学校"}, "region": {"3401"}, "admin_username": {"hfxj2-admin"}, "admin_name": {"某"}})
	if r := c2.get("/admin/credential"); r.status != http.StatusSeeOther {
		t.Fatalf("other session: %d", r.status)
	}
}

// A 主管部门's 新建单位 form speaks of its own units only and offers its own
// city; the store refuses another city.
func TestDeptNewUnitFormOwnRegion(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-dept")
	r := c.get("/admin/orgs/new")
	if r.status != 200 {
		t.Fatal(r.status)
	}
	for _, no := range []string{"省直所", "芜湖市", "主管部门</label>", `value="direct"`} {
		if strings.Contains(r.body, no) {
			t.Errorf("dept form mentions %q", no)
		}
	}
	if !strings.Contains(r.body, `<option value="3401" selected>合肥市</option>`) {
		t.Error("dept form lacks its own city")
	}
	r = c.post("/admin/orgs", url.Values{"type": {"unit"}, "name": {"芜湖某学校"}, "region": {"3402"}, "admin_username": {"whx-admin"}, "admin_name": {"某"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "主管部门只能在本地区（合肥市）设立单位") {
		t.Fatalf("other city: %d", r.status)
	}
	if r := e.login("demo-province").get("/admin/orgs/new"); !strings.Contains(r.body, "省直所") || !strings.Contains(r.body, "芜湖市") {
		t.Error("the province's form lost its choices")
	}
}

// Taking a dept offline says its units keep working and their batches wait
// on it, and can take its units offline in the same step.
func TestDeptOfflineWithUnits(t *testing.T) {
	e := newEnv(t)
	dept := e.w.Org(t, "demo-dept")
	p := e.login("demo-province")
	r := p.get("/admin/orgs/" + itoa(dept.ID))
	for _, want := range []string{"其下属单位不会随之下线", "批次将一直等待", `name="with_units"`, "同时下线其 3 个下属单位"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("dept page lacks %q", want)
		}
	}
	unitUser := e.login("demo-unit")
	r = p.post("/admin/orgs/"+itoa(dept.ID)+"/status", url.Values{"status": {"offline"}, "with_units": {"1"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("offline: %d\n%s", r.status, r.body)
	}
	kids, _ := e.w.Store.Children(dept.ID)
	for _, k := range kids {
		if !k.Offline() {
			t.Errorf("%s still online", k.Name)
		}
	}
	if r := unitUser.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("unit user still in: %d", r.status)
	}
	if r := p.get("/logs?action=org.offline"); strings.Count(r.body, "随主管部门") != 3 {
		t.Errorf("units' offline not logged: %d", strings.Count(r.body, "随主管部门"))
	}
	// Without the box the units stay online.
	e2 := newEnv(t)
	p2 := e2.login("demo-province")
	p2.post("/admin/orgs/"+itoa(e2.w.Org(t, "demo-dept").ID)+"/status", url.Values{"status": {"offline"}})
	if d, _ := e2.w.Store.Org(e2.w.Org(t, "demo-dept").ID); !d.Offline() {
		t.Error("dept not offline")
	}
	kids, _ = e2.w.Store.Children(e2.w.Org(t, "demo-dept").ID)
	for _, k := range kids {
		if k.Offline() {
			t.Errorf("%s went offline without the box", k.Name)
		}
	}
}

// The public verification page's footer says nothing of authorised users
// or operation logs; the login page still does.
func TestPublicFooter(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	r := c.get("/verify")
	foot := between(r.body, `id="plain-foot"`, "</footer>")
	if r.status != 200 || foot == "" || strings.Contains(foot, "授权") || strings.Contains(foot, "操作日志") {
		t.Errorf("verify footer: %q", foot)
	}
	if r := c.get("/login"); !strings.Contains(between(r.body, `id="plain-foot"`, "</footer>"), "仅供授权用户使用") {
		t.Error("login footer lost its warning")
	}
}
