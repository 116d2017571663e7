package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

// The occupations a unit's list offers follow each change — a certificate
// of an occupation the unit did not hold, its scope widened and narrowed,
// an occupation renamed — and each change moves the generation a caller
// keeps the list under (the library's filter form does).
func TestCertOccupationsFollowEveryChange(t *testing.T) {
	w := fixture.Demo(t)
	unit, dept, prov := w.Org(t, "demo-unit"), w.Org(t, "demo-dept"), w.Org(t, "demo-province")
	names := func() []string {
		t.Helper()
		occs, err := w.Store.CertOccupations(w.Org(t, "demo-unit"))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range occs {
			out = append(out, o.Code+" "+o.Name)
		}
		return out
	}
	offers := func(code string) bool {
		return slices.ContainsFunc(names(), func(s string) bool { return s[:3] == code })
	}
	// Two occupations outside the unit's scope that none of its
	// certificates carries.
	var outside []store.Occupation
	catalog, err := w.Store.Occupations()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range catalog {
		if _, ok := unit.Scope[o.Code]; !ok && !offers(o.Code) {
			outside = append(outside, o)
		}
	}
	if len(outside) < 2 {
		t.Fatal("fewer than two occupations outside the unit's scope")
	}
	before := names()
	gen := w.Store.CertOccupationsGeneration()
	moved := func(what string) {
		t.Helper()
		g := w.Store.CertOccupationsGeneration()
		if g == gen {
			t.Errorf("%s: the generation did not move", what)
		}
		gen = g
	}

	// A certificate of the first: the unit's list offers it.
	err = w.Store.BulkLoadCertificates(1, func(int) store.Certificate {
		id := idcard.Make("340102", time.Date(1980, 3, 4, 0, 0, 0, 0, time.UTC), 3)
		return store.Certificate{Number: "253401" + outside[0].Code + "50901", Name: "缓存测试", Gender: idcard.Gender(id), IDNumber: id,
			Occupation: outside[0].Code, OccupationName: outside[0].Name, Level: 5, OrgID: unit.ID, OrgName: unit.Name,
			OrgPath: []uint64{prov.ID, dept.ID}, Region: "3401", IssueDate: store.IssueDay(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)),
			Status: store.CertValid, Version: 1}
	})
	if err != nil {
		t.Fatal(err)
	}
	moved("a certificate of a new occupation")
	if !offers(outside[0].Code) || len(names()) != len(before)+1 {
		t.Fatalf("after a certificate of %s: %v", outside[0].Code, names())
	}

	// The scope widened by the second: offered; narrowed again: not.
	wide := store.Scope{outside[1].Code: outside[1].Levels}
	for code, levels := range unit.Scope {
		wide[code] = levels
	}
	if _, err := w.Store.SetScope(w.Actor(t, "demo-dept"), unit.ID, wide); err != nil {
		t.Fatal(err)
	}
	moved("the scope widened")
	if !offers(outside[1].Code) {
		t.Errorf("scope widened by %s: not offered", outside[1].Code)
	}
	if _, err := w.Store.SetScope(w.Actor(t, "demo-dept"), unit.ID, unit.Scope); err != nil {
		t.Fatal(err)
	}
	moved("the scope narrowed")
	if offers(outside[1].Code) {
		t.Errorf("scope narrowed again: %s still offered", outside[1].Code)
	}

	// The occupation renamed in the catalogue: the new name.
	o, err := w.Store.Occupation(outside[0].Code)
	if err != nil {
		t.Fatal(err)
	}
	o.Name = "改名后的工种"
	if _, err := w.Store.UpdateOccupation(w.Actor(t, "demo-province"), o); err != nil {
		t.Fatal(err)
	}
	moved("an occupation renamed")
	if !slices.Contains(names(), fmt.Sprintf("%s 改名后的工种", outside[0].Code)) {
		t.Errorf("after the rename: %v", names())
	}
}
