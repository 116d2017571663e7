package store_test

import (
	"errors"
	"testing"

	"certreg/fixture"
	"certreg/store"
)

// A save from an older revision is refused; the current revision passes and
// raises it; 0 (a caller without a form) skips the comparison.
func TestRevisionsRefuseStaleSaves(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Actor(t, "demo-unit")
	o := w.Org(t, "demo-unit")
	rev := store.CurrentRev(o.Rev)
	got, err := w.Store.UpdateOrgContact(unit, store.OrgUpdate{Contact: "甲", Rev: rev})
	if err != nil || got.Rev != rev+1 {
		t.Fatalf("save at the current revision: %v, rev %d", err, got.Rev)
	}
	_, err = w.Store.UpdateOrgContact(unit, store.OrgUpdate{Contact: "乙", Rev: rev})
	var se *store.StaleError
	if !errors.As(err, &se) || !errors.Is(err, store.ErrConflict) || se.Rev != rev+1 {
		t.Fatalf("save from the old revision: %v", err)
	}
	if w.Org(t, "demo-unit").Contact != "甲" {
		t.Fatal("a stale save changed the record")
	}
	if got, err := w.Store.UpdateOrgContact(unit, store.OrgUpdate{Contact: "丙"}); err != nil || got.Rev != rev+2 {
		t.Fatalf("save without a revision: %v, rev %d", err, got.Rev)
	}
	// The others behave alike.
	u := w.User(t, "hfjg-clerk")
	if _, err := w.Store.UpdateUser(unit, u.ID, store.UserEdit{Name: u.Name, Caps: u.Caps, Rev: store.CurrentRev(u.Rev) + 5}); !errors.As(err, &se) {
		t.Errorf("user: %v", err)
	}
	prov := w.Actor(t, "demo-province")
	occ, err := w.Store.Occupation("012")
	if err != nil {
		t.Fatal(err)
	}
	occ.Rev = store.CurrentRev(occ.Rev) + 1
	if _, err := w.Store.UpdateOccupation(prov, occ); !errors.As(err, &se) {
		t.Errorf("occupation: %v", err)
	}
}
