package handlers

import (
	"strings"
	"testing"

	"certreg/store"
)

// The list's drop-downs: the selected option is the one whose value was
// asked for (escaped, so a value cannot add markup), none for an unknown
// value; a renamed organisation shows its new name in the next page's
// drop-down.
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
	r := c.get("/certificates?org=" + itoa(unit.ID))
	if !strings.Contains(r.body, `<option value="`+itoa(unit.ID)+`" selected>`+unit.Name+`</option>`) {
		t.Fatalf("the unit is not the selected option:\n%s", r.body)
	}
	if _, err := e.w.Store.UpdateOrg(e.w.Actor(t, "demo-province"), unit.ID, store.OrgEdit{Name: "改名后的培训学校", Region: unit.Region,
		Contact: unit.Contact, Phone: unit.Phone, Address: unit.Address, Rev: unit.Rev}); err != nil {
		t.Fatal(err)
	}
	r = c.get("/certificates")
	if !strings.Contains(r.body, `<option value="`+itoa(unit.ID)+`">改名后的培训学校</option>`) || strings.Contains(r.body, ">"+unit.Name+"</option>") {
		t.Errorf("the drop-down does not show the new name")
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
