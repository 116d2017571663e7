package store_test

import (
	"errors"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/store"
)

func TestOpenRunsMigrationsOnceAndIsIdempotent(t *testing.T) {
	w := fixture.Empty(t)
	v, err := w.Store.Schema()
	if err != nil || v != store.SchemaVersion {
		t.Fatalf("schema %d (%v), want %d", v, err, store.SchemaVersion)
	}
	w.Store.Close()
	st, err := store.Open(w.Dir) // second open: nothing to migrate, nothing breaks
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, _ := st.Schema(); v != store.SchemaVersion {
		t.Fatalf("schema after reopen %d", v)
	}
}

func TestSecondOpenOfSameDirectoryFailsFast(t *testing.T) {
	w := fixture.Empty(t)
	start := time.Now()
	_, err := store.Open(w.Dir)
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second open took %v", d)
	}
}

func TestNotFound(t *testing.T) {
	w := fixture.Demo(t)
	if _, err := w.Store.User(99999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("User: %v", err)
	}
	if _, err := w.Store.Org(99999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Org: %v", err)
	}
	if _, err := w.Store.UserByName("nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByName: %v", err)
	}
	if _, err := w.Store.GetSession("no-such-token"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSession: %v", err)
	}
}

func TestDemoProvinceShape(t *testing.T) {
	w := fixture.Demo(t)
	prov, err := w.Store.ProvinceOrg()
	if err != nil || prov.Name != "安徽省住房和城乡建设厅" || prov.Region != "3400" {
		t.Fatalf("province %+v %v", prov, err)
	}
	kids, _ := w.Store.Children(prov.ID)
	depts, directs := 0, 0
	for _, k := range kids {
		switch k.Type {
		case store.Dept:
			depts++
			units, _ := w.Store.Children(k.ID)
			if len(units) < 2 || len(units) > 3 {
				t.Errorf("%s has %d units", k.Name, len(units))
			}
			for _, u := range units {
				for occ, levels := range u.Scope {
					for _, l := range levels {
						if !k.Scope.Has(occ, l) {
							t.Errorf("unit %s scope %s/%d outside its dept", u.Name, occ, l)
						}
					}
				}
			}
		case store.Direct:
			directs++
		}
	}
	if depts < 3 || directs != 2 {
		t.Fatalf("%d depts, %d 省直所", depts, directs)
	}
	for _, name := range []string{"demo-province", "demo-dept", "demo-unit", "demo-direct"} {
		u := w.User(t, name)
		if !u.IsAdmin || u.TOTPSecret != store.DemoSecret || u.MustChange {
			t.Errorf("%s not ready to use: %+v", name, u)
		}
	}
	if w.Org(t, "demo-dept").Type != store.Dept || w.Org(t, "demo-direct").Type != store.Direct || w.Org(t, "demo-unit").Type != store.Unit {
		t.Error("demo accounts in the wrong organisation types")
	}
	occs, _ := w.Store.Occupations()
	if len(occs) < 17 {
		t.Errorf("catalogue has %d occupations", len(occs))
	}
}

func TestOrgCodesUniqueAndScoped(t *testing.T) {
	w := fixture.Demo(t)
	prov, _ := w.Store.ProvinceOrg()
	seen := map[string]bool{}
	var walk func(id uint64)
	walk = func(id uint64) {
		kids, _ := w.Store.Children(id)
		for _, k := range kids {
			if seen[k.Code] || len(k.Code) != 8 || k.Code[:4] != k.Region {
				t.Errorf("code %q of %s", k.Code, k.Name)
			}
			seen[k.Code] = true
			if !prov.Contains(k) {
				t.Errorf("province does not contain %s", k.Name)
			}
			walk(k.ID)
		}
	}
	walk(prov.ID)
	unit, dept := w.Org(t, "demo-unit"), w.Org(t, "demo-dept")
	other := w.Org(t, "wh-dept")
	if !dept.Contains(unit) || other.Contains(unit) || unit.Contains(dept) {
		t.Error("Contains is wrong")
	}
	if _, err := w.Store.OrgInScope(other, unit.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another dept sees the unit: %v", err)
	}
	if _, err := w.Store.OrgInScope(dept, unit.ID); err != nil {
		t.Errorf("dept does not see its unit: %v", err)
	}
}

// The rule: the 5th consecutive failure locks the account for 15 minutes.
func TestLockoutInStore(t *testing.T) {
	w := fixture.Demo(t)
	u := w.User(t, "demo-unit")
	a := w.Actor(t, "demo-unit")
	for i := 1; i <= 5; i++ {
		got, locked, err := w.Store.LoginFailed(a, u.ID, "密码错误")
		if err != nil {
			t.Fatal(err)
		}
		if locked != (i == 5) {
			t.Fatalf("failure %d: locked=%v, want the 5th to lock", i, locked)
		}
		if locked && !got.LockedUntil.Equal(w.Clock.Now().Add(15*time.Minute)) {
			t.Fatalf("locked until %v, want 15 minutes from now", got.LockedUntil)
		}
		if !locked && w.User(t, "demo-unit").Locked(w.Clock.Now()) {
			t.Fatalf("locked after %d failures", i)
		}
	}
	if !w.User(t, "demo-unit").Locked(w.Clock.Now()) {
		t.Fatal("not locked")
	}
	w.Clock.Advance(15*time.Minute - time.Second)
	if !w.User(t, "demo-unit").Locked(w.Clock.Now()) {
		t.Fatal("unlocked before 15 minutes")
	}
	w.Clock.Advance(time.Second)
	if w.User(t, "demo-unit").Locked(w.Clock.Now()) {
		t.Fatal("still locked after 15 minutes")
	}
}

func TestTOTPStepReplayRefused(t *testing.T) {
	w := fixture.Demo(t)
	u := w.User(t, "demo-unit")
	if err := w.Store.UseTOTPStep(u.ID, 100); err != nil {
		t.Fatal(err)
	}
	for _, step := range []uint64{100, 99} {
		if err := w.Store.UseTOTPStep(u.ID, step); !errors.Is(err, store.ErrConflict) {
			t.Errorf("step %d reused: %v", step, err)
		}
	}
	if err := w.Store.UseTOTPStep(u.ID, 101); err != nil {
		t.Fatal(err)
	}
}

func TestSessionsRevokedOnPasswordChange(t *testing.T) {
	w := fixture.Demo(t)
	u := w.User(t, "demo-unit")
	for _, tok := range []string{"tok-a", "tok-b", "tok-keep"} {
		if err := w.Store.PutSession(tok, store.Session{UserID: u.ID, OrgID: u.OrgID, Stage: store.StageFull,
			Created: w.Clock.Now(), LastSeen: w.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Store.SetPassword(w.Actor(t, "demo-unit"), u.ID, "hash", store.SessionKey("tok-keep")); err != nil {
		t.Fatal(err)
	}
	for tok, alive := range map[string]bool{"tok-a": false, "tok-b": false, "tok-keep": true} {
		_, err := w.Store.GetSession(tok)
		if (err == nil) != alive {
			t.Errorf("%s alive=%v err=%v", tok, alive, err)
		}
	}
	w.Clock.Advance(store.IdleTimeout + time.Second)
	if n, err := w.Store.PurgeSessions(); err != nil || n != 1 {
		t.Fatalf("purged %d (%v), want 1", n, err)
	}
}

func TestLogIndexes(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Actor(t, "demo-unit")
	clerk := w.Actor(t, "hfjg-clerk")
	dept := w.Actor(t, "demo-dept")
	// The demo's own operations left entries already.
	base, _, err := w.Store.Logs(store.LogFilter{OrgID: unit.OrgID, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		w.Clock.Advance(time.Hour)
		a := unit
		if i%3 == 0 {
			a = clerk
		}
		if err := w.Store.Log(a, store.ActLoginSuccess, a.Username, "", true); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			_ = w.Store.Log(a, store.ActLogout, a.Username, "", true)
		}
	}
	_ = w.Store.Log(dept, store.ActLoginSuccess, "demo-dept", "", true)

	all, more, err := w.Store.Logs(store.LogFilter{OrgID: unit.OrgID, Limit: 20})
	if err != nil || len(all) != 20 || !more {
		t.Fatalf("page 1: %d more=%v err=%v", len(all), more, err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Time.After(all[i-1].Time) {
			t.Fatal("not newest first")
		}
	}
	rest, more, _ := w.Store.Logs(store.LogFilter{OrgID: unit.OrgID, Offset: 20, Limit: 200})
	if len(rest) != 36+len(base)-20 || more {
		t.Fatalf("page 2: %d more=%v", len(rest), more)
	}
	byUser, _, _ := w.Store.Logs(store.LogFilter{OrgID: unit.OrgID, UserID: clerk.UserID, Limit: 100})
	// The clerk's own: 10 logins and 2 logouts above, and from the demo its
	// first login (password, authenticator) and its password renewal.
	if len(byUser) != 10+2+3 {
		t.Fatalf("clerk entries %d", len(byUser))
	}
	byAction, _, _ := w.Store.Logs(store.LogFilter{OrgID: unit.OrgID, Action: store.ActLogout, Limit: 100})
	if len(byAction) != 6 {
		t.Fatalf("logout entries %d", len(byAction))
	}
	both, _, _ := w.Store.Logs(store.LogFilter{OrgID: unit.OrgID, UserID: clerk.UserID, Action: store.ActLogout, Limit: 100})
	if len(both) != 2 {
		t.Fatalf("clerk logouts %d", len(both))
	}
	from := fixture.Start.Add(10*time.Hour + time.Minute)
	to := fixture.Start.Add(20*time.Hour + time.Minute)
	ranged, _, _ := w.Store.Logs(store.LogFilter{OrgID: unit.OrgID, From: from, To: to, Limit: 100})
	if len(ranged) != 10+2 {
		t.Fatalf("ranged %d", len(ranged))
	}
	// A user of another organisation is not visible through the user filter.
	leak, _, _ := w.Store.Logs(store.LogFilter{OrgID: unit.OrgID, UserID: dept.UserID, Limit: 100})
	if len(leak) != 0 {
		t.Fatalf("other org's user visible: %d", len(leak))
	}
}
