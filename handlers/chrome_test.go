package handlers

import (
	"html/template"
	"net/http"
	"strings"
	"testing"

	"certreg/store"
)

// The kept layout (chrome.go) gives the same bytes as the template, page by
// page, for users of every level; a flash message still shows.
func TestChromeSameAsTemplate(t *testing.T) {
	e := newEnv(t)
	pages := []string{"/", "/certificates", "/logs", "/batches", "/settings", "/admin/users", "/admin/orgs", "/stats",
		"/business/applied", "/reviews/batches", "/segments", "/no-such-page", "/batches/1", "/batches/2",
		"/admin/orgs/" + itoa(e.w.Org(t, "demo-unit").ID), "/admin/users/" + itoa(e.w.User(t, "hfjg-clerk").ID)}
	for _, user := range []string{"demo-unit", "hfjg-clerk", "demo-dept", "demo-province", "demo-direct"} {
		c := e.login(user)
		for _, p := range pages {
			e.srv.chromes.off = true
			want := c.get(p)
			e.srv.chromes.off = false
			for range 2 { // the first fills the cache, the second reads it
				got := c.get(p)
				if got.status != want.status || got.body != want.body {
					t.Errorf("%s %s: the kept layout differs from the template (status %d, want %d)\n%s", user, p, got.status, want.status, firstDiff(got.body, want.body))
				}
			}
		}
	}
	if len(e.srv.chromes.m) == 0 {
		t.Fatal("no layout was kept")
	}
	c := e.login("demo-unit")
	c.jar[cookieFlash] = "%E5%B7%B2%E4%BF%9D%E5%AD%98"
	if r := c.get("/"); !strings.Contains(r.body, `<div id="flash" class="hidden" data-message="已保存"></div>`) {
		t.Errorf("the flash message is missing:\n%s", r.body)
	}
}

// firstDiff shows where two bodies part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return "got:  …" + a[from:min(len(a), i+80)] + "\nwant: …" + b[from:min(len(b), i+80)]
}

// What the layout shows follows the records at once: a user's new name, the
// organisation's new name, capabilities granted or taken away (the menu),
// and the page's menu entry.
func TestChromeFollowsChanges(t *testing.T) {
	e := newEnv(t)
	c := e.login("hfjg-clerk")
	admin := e.w.Actor(t, "demo-unit")
	clerk := e.w.User(t, "hfjg-clerk")
	unit := e.w.Org(t, "demo-unit")
	top := func(r resp) string { // the header and the menu
		i, j := strings.Index(r.body, `<nav class="nav"`), strings.Index(r.body, `<main class="content"`)
		if r.status != http.StatusOK || i < 0 || j < i {
			t.Fatalf("no layout (status %d):\n%s", r.status, r.body)
		}
		return r.body[i:j]
	}
	has := func(part, s string) bool { return strings.Contains(part, s) }

	h := top(c.get("/"))
	if !has(h, "<span>刘洋</span>") || !has(h, unit.Name+" <span") || !has(h, `<a href="/certificates">`) || has(h, `<a href="/business">`) {
		t.Fatalf("the clerk's layout before the changes:\n%s", h)
	}
	if !has(h, `<a href="/" class="active" aria-current="page">`) {
		t.Errorf("首页 is not the active entry on /:\n%s", h)
	}

	// A new name, one more capability (申请业务) and one less (证书查询).
	if _, err := e.w.Store.UpdateUser(admin, clerk.ID, store.UserEdit{Name: "刘洋改", Phone: clerk.Phone,
		Caps: []store.Cap{store.CapBatchManage, store.CapCertPrint, store.CapBusinessApply}, Rev: clerk.Rev}); err != nil {
		t.Fatal(err)
	}
	h = top(c.get("/"))
	if !has(h, "<span>刘洋改</span>") || !has(h, `<span class="avatar">刘</span>`) || has(h, "<span>刘洋</span>") {
		t.Errorf("the user's new name is not shown:\n%s", h)
	}
	if !has(h, `<a href="/business">`) {
		t.Errorf("the granted capability's menu entry (申请业务) is missing:\n%s", h)
	}
	if has(h, `<a href="/certificates">`) {
		t.Errorf("the withdrawn capability's menu entry (证书查询) is still shown:\n%s", h)
	}

	// The organisation renamed by its department.
	if _, err := e.w.Store.UpdateOrg(e.w.Actor(t, "demo-dept"), unit.ID, store.OrgEdit{Name: "改名后的培训学校", Region: unit.Region,
		Contact: unit.Contact, Phone: unit.Phone, Address: unit.Address, Rev: unit.Rev}); err != nil {
		t.Fatal(err)
	}
	h = top(c.get("/"))
	if !has(h, "改名后的培训学校 <span") || has(h, unit.Name) {
		t.Errorf("the organisation's new name is not shown:\n%s", h)
	}

	// Another page of the same user marks its own entry.
	h = top(c.get("/business"))
	if !has(h, `<a href="/business" class="active" aria-current="page">`) || has(h, `<a href="/" class="active"`) {
		t.Errorf("the menu does not mark 申请业务 on /business:\n%s", h)
	}
}

// A page's title goes into the kept layout escaped as the template escapes
// it.
func TestChromeTitleEscaped(t *testing.T) {
	tpl := template.Must(template.New("t").Parse(`<title>{{.}} · 合格证登记系统</title>`))
	for _, title := range []string{"证书库", `批次 <b>"甲"</b> & 'x'+1`, "a\x00b", "变更业务 2534010145"} {
		var want strings.Builder
		if err := tpl.Execute(&want, title); err != nil {
			t.Fatal(err)
		}
		if got := "<title>" + textEscaper.Replace(title) + " · 合格证登记系统</title>"; got != want.String() {
			t.Errorf("title %q: %s, want %s", title, got, want.String())
		}
	}
}
