package handlers

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"certreg/store"
)

func TestAdminScenarios(t *testing.T) {
	e := newEnv(t)
	id := func(username string) string { return itoa(e.w.Org(t, username).ID) }
	uid := func(username string) string { return itoa(e.w.User(t, username).ID) }
	unit, otherUnit, wuhuUnit, dept := id("demo-unit"), id("hfcj-admin"), id("whpx-admin"), id("demo-dept")
	clerk, wuhuAdmin, provAdmin := uid("hfjg-clerk"), uid("whpx-admin"), uid("demo-province")
	get, post := http.MethodGet, http.MethodPost
	runScenarios(t, e, []scenario{
		// Organisations: who sees what.
		{name: "province lists all orgs", user: "demo-province", method: get, path: "/admin/orgs", status: 200,
			want: []string{"合肥市城乡建设局", "芜湖市住房和城乡建设局", "安徽省建设干部学校", "合肥建工职业技能培训学校"}},
		{name: "province filters by type", user: "demo-province", method: get, path: "/admin/orgs?type=direct", status: 200,
			want: []string{"安徽省建设干部学校"}, absent: []string{"合肥建工职业技能培训学校"}},
		{name: "org rows fragment", user: "demo-province", method: get, path: "/admin/orgs?q=芜湖", htmx: true, status: 200,
			want: []string{"芜湖华强建筑工程培训学校"}, absent: []string{"<html", "安庆宜城"}},
		{name: "province tree", user: "demo-province", method: get, path: "/admin/orgs?view=tree", status: 200,
			want: []string{"安徽省住房和城乡建设厅", "合肥市城乡建设局", "安庆宜城建设技工学校"}},
		{name: "dept lists only its units", user: "demo-dept", method: get, path: "/admin/orgs", status: 200,
			want: []string{"合肥建工职业技能培训学校", "合肥市城建技工学校"}, absent: []string{"芜湖华强", "安徽省建设干部学校"}},
		{name: "dept opens its unit", user: "demo-dept", method: get, path: "/admin/orgs/" + unit, status: 200,
			want: []string{"合肥建工职业技能培训学校", "hfjg-clerk", "职业（工种）范围"}},
		{name: "dept cannot open another dept's unit", user: "demo-dept", method: get, path: "/admin/orgs/" + wuhuUnit, status: 404},
		{name: "dept cannot open itself as subordinate", user: "demo-dept", method: get, path: "/admin/orgs/" + dept, status: 404},
		{name: "dept cannot edit another dept's unit", user: "demo-dept", method: post, path: "/admin/orgs/" + wuhuUnit,
			form: url.Values{"name": {"改名"}, "region": {"3402"}}, status: 404},
		{name: "dept cannot take another dept's unit offline", user: "demo-dept", method: post, path: "/admin/orgs/" + wuhuUnit + "/status",
			form: url.Values{"status": {"offline"}}, status: 404},
		{name: "dept cannot set another dept's unit scope", user: "demo-dept", method: post, path: "/admin/orgs/" + wuhuUnit + "/scope",
			form: url.Values{"pair": {"012:5"}}, status: 404},
		{name: "unit has no org management", user: "demo-unit", method: get, path: "/admin/orgs", status: 403},
		{name: "unit cannot create orgs", user: "demo-unit", method: post, path: "/admin/orgs", form: url.Values{"type": {"unit"}}, status: 403},
		{name: "non-numeric id", user: "demo-dept", method: get, path: "/admin/orgs/abc", status: 404},
		{name: "new org form", user: "demo-province", method: get, path: "/admin/orgs/new", status: 200, want: []string{"主管部门", "省直所", "机构管理员"}},
		{name: "create org with errors keeps input", user: "demo-province", method: post, path: "/admin/orgs",
			form:   url.Values{"type": {"dept"}, "name": {"淮北市住房和城乡建设局"}, "region": {""}, "admin_username": {"hb-admin"}, "admin_name": {"赵六"}},
			status: 422, want: []string{"请选择本省的地市", `value="淮北市住房和城乡建设局"`, `value="hb-admin"`}},
		{name: "create org with taken username", user: "demo-province", method: post, path: "/admin/orgs",
			form:   url.Values{"type": {"dept"}, "name": {"淮北市住房和城乡建设局"}, "region": {"3406"}, "admin_username": {"demo-unit"}, "admin_name": {"赵六"}},
			status: 422, want: []string{"该用户名已被使用"}},
		{name: "delete org with children refused", user: "demo-province", method: post, path: "/admin/orgs/" + dept + "/delete",
			status: 422, want: []string{"下级机构", "下线"}},
		{name: "scope outside parent refused", user: "demo-dept", method: post, path: "/admin/orgs/" + unit + "/scope",
			form: url.Values{"pair": {"012:5", "063:5"}}, status: 422, want: []string{"不能超出上级机构"}},
		{name: "scope page shows the grid", user: "demo-dept", method: get, path: "/admin/orgs/" + unit + "/scope", status: 200,
			want: []string{`name="pair"`, "砌筑工", "五级/初级工"}},

		// Users.
		{name: "unit admin lists own users", user: "demo-unit", method: get, path: "/admin/users", status: 200,
			want: []string{"hfjg-clerk", "demo-unit"}, absent: []string{"hfcj-admin", "demo-dept"}},
		{name: "dept lists its units' users", user: "demo-dept", method: get, path: "/admin/users", status: 200,
			want: []string{"hfjg-clerk", "hfcj-admin", "hf-reviewer"}, absent: []string{"whpx-admin", "demo-province"}},
		{name: "user rows fragment", user: "demo-dept", method: get, path: "/admin/users?q=clerk", htmx: true, status: 200,
			want: []string{"hfjg-clerk"}, absent: []string{"<html", "hfcj-admin"}},
		{name: "unit admin opens its clerk", user: "demo-unit", method: get, path: "/admin/users/" + clerk, status: 200,
			want: []string{"hfjg-clerk", "批次管理", "证书打印", "重置密码"}, absent: []string{"批次审核"}},
		{name: "unit asks for a user of another dept's unit", user: "demo-unit", method: get, path: "/admin/users/" + wuhuAdmin, status: 404},
		{name: "dept asks for a user of another dept's unit", user: "demo-dept", method: get, path: "/admin/users/" + wuhuAdmin, status: 404},
		{name: "dept cannot reset the province admin", user: "demo-dept", method: post, path: "/admin/users/" + provAdmin + "/reset-password", status: 404},
		{name: "unit admin cannot create in another unit", user: "demo-unit", method: post, path: "/admin/users",
			form: url.Values{"org": {otherUnit}, "username": {"x-user"}, "name": {"某"}}, status: 404},
		{name: "grant outside the type refused", user: "demo-unit", method: post, path: "/admin/users",
			form: url.Values{"org": {unit}, "username": {"new-user"}, "name": {"钱七"}, "cap": {"batch.review"}}, status: 422, want: []string{"批次审核"}},
		{name: "create user redirects to its password", user: "demo-unit", method: post, path: "/admin/users",
			form: url.Values{"org": {unit}, "username": {"new-clerk"}, "name": {"钱七"}, "cap": {"batch.manage", "cert.view"}}, status: http.StatusSeeOther, location: "/admin/credential"},
		{name: "the initial password shows once", user: "demo-unit", method: get, path: "/admin/credential", status: 200,
			want: []string{"初始密码只显示这一次", "new-clerk", `id="initial-password"`}},
		{name: "a reload does not show it again", user: "demo-unit", method: get, path: "/admin/credential", status: http.StatusSeeOther,
			location: "/admin/users", absent: []string{"initial-password"}},
		{name: "unknown user action", user: "demo-unit", method: post, path: "/admin/users/" + clerk + "/explode", status: 404},
		{name: "unit admin cannot disable itself", user: "demo-unit", method: post, path: "/admin/users/" + uid("demo-unit") + "/disable", status: 422,
			want: []string{"不能停用自己"}},
		{name: "clerk has no user management", user: "hfjg-clerk", method: get, path: "/admin/users", status: 403},

		// Occupations: the province only.
		{name: "province catalogue", user: "demo-province", method: get, path: "/admin/occupations", status: 200, want: []string{"012", "砌筑工", "新增职业（工种）"}},
		{name: "dept has no catalogue", user: "demo-dept", method: get, path: "/admin/occupations", status: 403},
		{name: "add occupation with bad code", user: "demo-province", method: post, path: "/admin/occupations",
			form: url.Values{"code": {"12"}, "name": {"新工种"}, "level": {"5"}}, status: 422, want: []string{"3 位数字", `value="新工种"`}},
		{name: "add occupation", user: "demo-province", method: post, path: "/admin/occupations",
			form: url.Values{"code": {"950"}, "name": {"智能建造施工员"}, "level": {"5", "4"}}, status: http.StatusSeeOther, location: "/admin/occupations"},
		{name: "delete occupation in use refused", user: "demo-province", method: post, path: "/admin/occupations/012/delete", status: 422, want: []string{"范围"}},
		{name: "delete unused occupation", user: "demo-province", method: post, path: "/admin/occupations/950/delete", status: http.StatusSeeOther, location: "/admin/occupations"},

		// Own scope in 设置.
		{name: "unit sees own scope", user: "demo-unit", method: get, path: "/settings?tab=scope", status: 200, want: []string{"砌筑工", "own-scope"}},
		{name: "clerk cannot remove scope", user: "hfjg-clerk", method: post, path: "/settings/scope", form: url.Values{"pair": {"012:5"}}, status: 403},
		{name: "province has no own-scope removal", user: "demo-province", method: post, path: "/settings/scope", form: url.Values{"pair": {"012:5"}}, status: 403},
	})
}

// The province takes a unit offline: its logged-in users are out at once.
func TestOfflineLocksUsersOutThroughThePages(t *testing.T) {
	e := newEnv(t)
	unitUser := e.login("demo-unit")
	dept := e.login("demo-dept")
	r := dept.post("/admin/orgs/"+itoa(e.w.Org(t, "demo-unit").ID)+"/status", url.Values{"status": {"offline"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("offline: %d\n%s", r.status, r.body)
	}
	if r := unitUser.get("/"); r.status != http.StatusSeeOther {
		t.Fatalf("unit user still in: %d", r.status)
	}
	r = e.client().post("/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}})
	if !strings.Contains(r.body, "已下线") {
		t.Fatalf("login after offline: %d", r.status)
	}
	if r := dept.get("/logs?action=org.offline"); !strings.Contains(r.body, "机构下线") {
		t.Fatal("offline not in the log")
	}
}

func TestCreatedUserCanLogIn(t *testing.T) {
	e := newEnv(t)
	admin := e.login("demo-unit")
	r := admin.post("/admin/users", url.Values{"org": {itoa(e.w.Org(t, "demo-unit").ID)}, "username": {"fresh-clerk"}, "name": {"孙八"}, "cap": {"batch.manage"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/credential" {
		t.Fatalf("create answers %d to %q", r.status, r.header.Get("Location"))
	}
	r = admin.get("/admin/credential")
	m := regexp.MustCompile(`id="initial-password">([^<]+)<`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no password:\n%s", r.body)
	}
	m[1] = html.UnescapeString(m[1])
	c := e.client()
	r = c.post("/login", url.Values{"username": {"fresh-clerk"}, "password": {m[1]}})
	if r.header.Get("Location") != "/login/setup" {
		t.Fatalf("new user login: %d %s", r.status, r.header.Get("Location"))
	}
	// The admin resets the password: the old one stops working.
	admin.post("/admin/users/"+itoa(e.w.User(t, "fresh-clerk").ID)+"/reset-password", nil)
	if r := admin.get("/admin/credential"); !strings.Contains(r.body, "initial-password") {
		t.Fatal("reset shows no password")
	}
	if r := e.client().post("/login", url.Values{"username": {"fresh-clerk"}, "password": {m[1]}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("old password after reset: %d", r.status)
	}
}
