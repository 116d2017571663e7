package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"certreg/store"
)

// addUnit creates a unit under the dept of deptUser, by the province.
func (e *env) addUnit(deptUser, name string) store.Org {
	e.t.Helper()
	dept := e.w.Org(e.t, deptUser)
	o, _, err := e.w.Store.CreateOrg(e.w.Actor(e.t, "demo-province"), store.OrgInput{Name: name, Type: store.Unit, ParentID: dept.ID, Region: dept.Region},
		store.NewOrgAdmin{Username: fmt.Sprintf("picker-%d", e.w.Clock.Now().UnixNano()), Name: "某", PasswordHash: "h"})
	if err != nil {
		e.t.Fatalf("create %s: %v", name, err)
	}
	e.w.Clock.Advance(1)
	return o
}

// The 发证机构 picker's choices: the caller's organisations whose name
// contains the typed text or whose code starts with it (latin letters in
// any case), at most 20 after 全部机构 (marked as the choice when no
// organisation is), the rest counted; a dept never sees
// another dept's units; a unit has no organisation filter; names escaped.
func TestCertOrgPicker(t *testing.T) {
	e := newEnv(t)
	unit, other := e.w.Org(t, "demo-unit"), e.w.Org(t, "whhq-admin")
	for i := 1; i <= 25; i++ {
		e.addUnit("demo-dept", fmt.Sprintf("测试批量培训学校%02d", i))
	}
	e.addUnit("demo-dept", `<b>&"合肥测试学校`)
	e.addUnit("demo-dept", "合肥ABC建筑培训中心")
	long := e.addUnit("demo-dept", strings.Repeat("长", 28)+"名称培训学校号") // 35 characters
	choice := func(o store.Org) string { return `data-org-id="` + itoa(o.ID) + `" data-org-name="` + o.Name + `"` }
	q := func(s string) string { return "/certificates/orgs?q=" + url.QueryEscape(s) }
	get := http.MethodGet
	runScenarios(t, e, []scenario{
		{name: "province finds a unit by part of its name", user: "demo-province", method: get, path: q("建工"), status: 200,
			want:   []string{`data-org-id="" data-org-name="" aria-selected="true"><span class="org-name">全部机构</span>`, choice(unit) + ` aria-selected="false"`, unit.Code},
			absent: []string{"合肥市城建技工学校", "还有", "没有匹配", "<html"}},
		{name: "spaces around the text do not count", user: "demo-province", method: get, path: q("  建工 "), status: 200,
			want: []string{choice(unit)}},
		{name: "province finds by code prefix", user: "demo-province", method: get, path: q(unit.Code[:6]), status: 200,
			want: []string{choice(unit)}},
		{name: "a code prefix lists the city's dept marked and its units", user: "demo-province", method: get, path: q("3402"), status: 200,
			want:   []string{"【主管部门】芜湖市住房和城乡建设局", choice(other), "芜湖市建设职业技能培训中心"},
			absent: []string{"合肥建工职业技能培训学校", "安徽省建设干部学校"}},
		{name: "the middle of a code does not match", user: "demo-province", method: get, path: q(unit.Code[2:]), status: 200,
			want: []string{"全部机构", "没有匹配的机构"}, absent: []string{choice(unit)}},
		{name: "latin letters match in any case", user: "demo-province", method: get, path: q("abc"), status: 200,
			want: []string{"合肥ABC建筑培训中心"}},
		{name: "the text is cut to 30 characters", user: "demo-province", method: get, path: q(long.Name + "多余的字"), status: 200,
			want: []string{choice(long)}},
		{name: "the selected organisation is marked", user: "demo-province", method: get, path: q("建工") + "&org=" + itoa(unit.ID), status: 200,
			want: []string{choice(unit) + ` aria-selected="true"`, `data-org-id="" data-org-name="" aria-selected="false"`}},
		{name: "more than 20 matches: 20 and a count", user: "demo-province", method: get, path: q("测试批量"), status: 200,
			want:   []string{"测试批量培训学校01", "测试批量培训学校20", `<li role="option" class="org-note" aria-disabled="true">还有 5 个，请输入更多文字</li>`},
			absent: []string{"测试批量培训学校21", "没有匹配"}},
		{name: "no text lists the first 20 in the drop-down's order", user: "demo-province", method: get, path: "/certificates/orgs", status: 200,
			want: []string{"【主管部门】合肥市城乡建设局", "还有"}},
		{name: "names are escaped", user: "demo-province", method: get, path: q("合肥测试"), status: 200,
			want:   []string{`data-org-name="&lt;b&gt;&amp;&#34;合肥测试学校"`, `<span class="org-name">&lt;b&gt;&amp;&#34;合肥测试学校</span>`},
			absent: []string{`<b>&"`}},
		{name: "a dept lists its own units", user: "demo-dept", method: get, path: q("合肥"), status: 200,
			want:   []string{choice(unit), "合肥市城建技工学校", "合肥ABC建筑培训中心"},
			absent: []string{"芜湖", "安庆", "安徽省建设干部学校"}},
		{name: "a dept never sees another dept's unit, even by its exact name", user: "demo-dept", method: get, path: q(other.Name), status: 200,
			want: []string{"没有匹配的机构"}, absent: []string{choice(other), other.Code}},
		{name: "nor by its code", user: "demo-dept", method: get, path: q(other.Code), status: 200,
			want: []string{"没有匹配的机构"}, absent: []string{choice(other)}},
		{name: "as htmx: the same fragment", user: "demo-dept", method: get, path: q("建工"), htmx: true, status: 200,
			want: []string{choice(unit)}, absent: []string{"<html", "<nav"}},
		{name: "a unit has no organisation filter", user: "demo-unit", method: get, path: q("建工"), status: 404},
		{name: "nor a 省直所", user: "demo-direct", method: get, path: "/certificates/orgs", status: 404},
		{name: "anonymous is sent to login", method: get, path: q("建工"), status: http.StatusSeeOther},
	})
}

// filterForm is the library's filter form in a page.
func filterForm(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `<form class="filters cert-filters"`)
	j := strings.Index(body[max(i, 0):], "</form>")
	if i < 0 || j < 0 {
		t.Fatalf("no filter form:\n%.3000s", body)
	}
	return body[i : i+j]
}

// The full page carries the selected organisation (its ID in the hidden
// field, its name in the box) and no list of organisations, so its size
// does not grow with them; an organisation outside the caller's scope
// shows no name.
func TestCertListOrgPickerInPage(t *testing.T) {
	e := newEnv(t)
	unit := e.w.Org(t, "demo-unit")
	c := e.login("demo-province")
	r := c.get("/certificates?org=" + itoa(unit.ID))
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	form := filterForm(t, r.body)
	for _, want := range []string{
		`<input type="hidden" id="f-org" name="org" value="` + itoa(unit.ID) + `">`,
		`<input id="f-org-q" type="search" value="合肥建工职业技能培训学校" data-label="合肥建工职业技能培训学校"`,
		`placeholder="全部机构（输入名称或代码查找）"`, `role="combobox"`, `aria-expanded="false"`, `aria-controls="f-org-list"`,
		`hx-get="/certificates/orgs"`, `<ul id="f-org-list" class="org-list" role="listbox"`,
	} {
		if !strings.Contains(form, want) {
			t.Errorf("the form lacks %s\n%s", want, form)
		}
	}
	// The box is never submitted: it has no name.
	if box := form[strings.Index(form, `<input id="f-org-q"`):]; strings.Contains(box[:strings.Index(box, ">")], "name=") {
		t.Errorf("the search box has a name: %s", box[:strings.Index(box, ">")])
	}
	for _, absent := range []string{"<select id=\"f-org\"", "合肥市城建技工学校", "芜湖华强建筑工程培训学校", "安徽省建设干部学校", "【主管部门】"} {
		if strings.Contains(form, absent) {
			t.Errorf("the form carries organisations: %s", absent)
		}
	}

	// The dept's page for another dept's unit: refused by the store, and
	// the box names nothing.
	other := e.w.Org(t, "whhq-admin")
	r = e.login("demo-dept").get("/certificates?org=" + itoa(other.ID))
	if strings.Contains(r.body, other.Name) {
		t.Errorf("the dept's page names another dept's unit (status %d)", r.status)
	}

	// Fifty more organisations change the page by nothing but noise.
	before := len(c.get("/certificates").body)
	for i := range 50 {
		e.addUnit("demo-dept", fmt.Sprintf("新增培训学校%02d", i))
	}
	after := c.get("/certificates")
	d := len(after.body) - before
	if d < -200 || d > 200 {
		t.Errorf("the page grew by %d bytes with 50 organisations", d)
	}
	if strings.Contains(after.body, "新增培训学校") {
		t.Error("the page lists the new organisations")
	}
	t.Logf("full page %d bytes (%+d with 50 more organisations), its filter form %d", len(after.body), d, len(filterForm(t, after.body)))
}
