package handlers

import (
	"net/url"
	"strings"
	"testing"

	"certreg/store"
)

// The list's drop-downs: the selected option is the one whose value was
// asked for (escaped, so a value cannot add markup), none for an unknown
// value; the 发证机构 picker shows the selected organisation's name, and a
// renamed organisation its new name on the next page (the kept form is
// filed under the organisations' generation).
func TestCertListOptions(t *testing.T) {
	opts := fixedOptions("a", "甲", "b<", "乙&")
	if got := string(selectOption(opts, "b<")); got != `<option value="a">甲</option><option value="b&lt;" selected>乙&amp;</option>` {
		t.Errorf("selected b<: %s", got)
	}
	for _, v := range []string{"", "c", `a">`, "b"} {
		if got := string(selectOption(opts, v)); strings.Contains(got, "selected") {
			t.Errorf("value %q selected something: %s", v, got)
		}
	}

	e := newEnv(t)
	c := e.login("demo-province")
	unit := e.w.Org(t, "demo-unit")
	path := "/certificates?org=" + itoa(unit.ID)
	box := func(name string) string {
		return `<input id="f-org-q" type="search" value="` + name + `" data-label="` + name + `"`
	}
	r := c.get(path)
	if !strings.Contains(r.body, `name="org" value="`+itoa(unit.ID)+`"`) || !strings.Contains(r.body, box(unit.Name)) {
		t.Fatalf("the unit is not the selected organisation:\n%s", r.body)
	}
	if _, err := e.w.Store.UpdateOrg(e.w.Actor(t, "demo-province"), unit.ID, store.OrgEdit{Name: "改名后的培训学校", Region: unit.Region,
		Contact: unit.Contact, Phone: unit.Phone, Address: unit.Address, Rev: unit.Rev}); err != nil {
		t.Fatal(err)
	}
	r = c.get(path)
	if !strings.Contains(r.body, box("改名后的培训学校")) || strings.Contains(r.body, box(unit.Name)) {
		t.Errorf("the picker does not show the new name")
	}
	if r = c.get("/certificates/orgs?q=" + url.QueryEscape("改名后")); !strings.Contains(r.body, `data-org-name="改名后的培训学校"`) {
		t.Errorf("the choices do not show the new name:\n%s", r.body)
	}
}

// A list of a hundred thousand pages links the first, the last and two on
// either side of the current one.
func TestPagerLinksAFewPages(t *testing.T) {
	p := newPager("/x", nil, 50000, 20, 2_000_000)
	var got []int
	gaps := 0
	for _, l := range p.Links {
		if l.Gap {
			gaps++
			continue
		}
		got = append(got, l.N)
	}
	want := []int{1, 49998, 49999, 50000, 50001, 50002, 100000}
	if len(got) != len(want) || gaps != 2 {
		t.Fatalf("links %v (%d gaps), want %v", got, gaps, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("links %v, want %v", got, want)
		}
	}
	if p := newPager("/x", nil, 2, 20, 60); len(p.Links) != 3 || p.Links[1].N != 2 || !p.Links[1].Current {
		t.Errorf("three pages: %+v", p.Links)
	}
}

// The occupations a unit's filter offers are kept between requests and
// follow a change of its scope at the next page.
func TestCertListOccupationsFollowTheScope(t *testing.T) {
	e := newEnv(t)
	unit, dept := e.w.Org(t, "demo-unit"), e.w.Org(t, "demo-dept")
	catalog, err := e.w.Store.Occupations()
	if err != nil {
		t.Fatal(err)
	}
	c := e.login("demo-unit")
	page := c.get("/certificates").body
	var extra store.Occupation
	for _, o := range catalog { // in the dept's scope (a unit's cannot exceed it), not yet offered
		if _, ok := dept.Scope[o.Code]; ok && !strings.Contains(page, `<option value="`+o.Code+`">`) {
			extra = o
			break
		}
	}
	if extra.Code == "" {
		t.Fatal("every occupation is offered already")
	}
	wide := store.Scope{extra.Code: dept.Scope[extra.Code]}
	for code, levels := range unit.Scope {
		wide[code] = levels
	}
	if _, err := e.w.Store.SetScope(e.w.Actor(t, "demo-dept"), unit.ID, wide); err != nil {
		t.Fatal(err)
	}
	if page := c.get("/certificates").body; !strings.Contains(page, `<option value="`+extra.Code+`">`+extra.Name+`</option>`) {
		t.Errorf("%s %s not offered after the scope was widened", extra.Code, extra.Name)
	}
}
