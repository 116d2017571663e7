package store_test

import (
	"errors"
	"testing"

	"certreg/fixture"
	"certreg/store"
)

// A dept and its units go offline in one step; only a dept can; units
// already offline stay as they are; other depts' units are untouched.
func TestTakeDeptOfflineWithUnits(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	dept := w.Org(t, "demo-dept")
	kids, _ := w.Store.Children(dept.ID)
	if len(kids) != 3 {
		t.Fatalf("demo-dept has %d units", len(kids))
	}
	if _, err := w.Store.SetOrgStatus(prov, kids[0].ID, store.OrgOffline); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Store.TakeDeptOfflineWithUnits(prov, kids[1].ID); err == nil {
		t.Error("a unit taken offline with its units")
	}
	if _, _, err := w.Store.TakeDeptOfflineWithUnits(w.Actor(t, "demo-dept"), dept.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a dept took itself offline: %v", err)
	}
	d, units, err := w.Store.TakeDeptOfflineWithUnits(prov, dept.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Offline() || len(units) != 2 {
		t.Fatalf("dept offline %v, %d units taken", d.Offline(), len(units))
	}
	for _, k := range kids {
		if o, _ := w.Store.Org(k.ID); !o.Offline() {
			t.Errorf("%s online", o.Name)
		}
	}
	wuhu, _ := w.Store.UserByName("whpx-admin")
	if o, _ := w.Store.Org(wuhu.OrgID); o.Offline() {
		t.Error("another dept's unit went offline")
	}
}

// A dept places units in its own city only; the province anywhere.
func TestDeptUnitsInOwnCity(t *testing.T) {
	w := fixture.Demo(t)
	dept := w.Org(t, "demo-dept") // 3401
	in := store.OrgInput{Name: "合肥外地学校", Type: store.Unit, Region: "3402", ParentID: dept.ID}
	_, _, err := w.Store.CreateOrg(w.Actor(t, "demo-dept"), in, store.NewOrgAdmin{Username: "x1-admin", Name: "某", PasswordHash: "h"})
	var ve *store.ValidationError
	if !errors.As(err, &ve) || ve.Field != "region" {
		t.Fatalf("dept created a unit in 芜湖: %v", err)
	}
	in.Region = "3401"
	u, _, err := w.Store.CreateOrg(w.Actor(t, "demo-dept"), in, store.NewOrgAdmin{Username: "x2-admin", Name: "某", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.UpdateOrg(w.Actor(t, "demo-dept"), u.ID, store.OrgEdit{Name: u.Name, Region: "3402"}); !errors.As(err, &ve) {
		t.Errorf("dept moved its unit to 芜湖: %v", err)
	}
	// The province may; the dept may then still edit it without moving it.
	if _, err := w.Store.UpdateOrg(w.Actor(t, "demo-province"), u.ID, store.OrgEdit{Name: u.Name, Region: "3402"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.UpdateOrg(w.Actor(t, "demo-dept"), u.ID, store.OrgEdit{Name: "合肥外地学校（更名）", Region: "3402"}); err != nil {
		t.Errorf("dept edit of a unit the province moved: %v", err)
	}
}

// New recovery codes replace the old ones; a user without an
// authenticator has none to renew.
func TestRenewRecoveryCodes(t *testing.T) {
	w := fixture.Demo(t)
	a := w.Actor(t, "demo-unit")
	if err := w.Store.RenewRecoveryCodes(a, []string{"h1", "h2"}); err != nil {
		t.Fatal(err)
	}
	if got := w.User(t, "demo-unit").RecoveryHashes; len(got) != 2 || got[0] != "h1" {
		t.Fatalf("codes %v", got)
	}
	if _, err := w.Store.UnbindTOTP(w.Actor(t, "demo-dept"), w.User(t, "demo-unit").ID); err != nil {
		t.Fatal(err)
	}
	var ve *store.ValidationError
	if err := w.Store.RenewRecoveryCodes(a, []string{"h3"}); !errors.As(err, &ve) {
		t.Errorf("renewed without an authenticator: %v", err)
	}
}
