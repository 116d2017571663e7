package store_test

import (
	"errors"
	"strings"
	"testing"

	"certreg/fixture"
	"certreg/store"
)

func verr(t *testing.T, err error, want string) {
	t.Helper()
	var ve *store.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Message, want) {
		t.Fatalf("error %v, want a validation error containing %q", err, want)
	}
}

func newDept(t *testing.T, w *fixture.World, name string) store.Org {
	t.Helper()
	o, _, err := w.Store.CreateOrg(w.Actor(t, "demo-province"), store.OrgInput{Name: name, Type: store.Dept, Region: "3404"},
		store.NewOrgAdmin{Username: "hn-admin", Name: "管理员", PasswordHash: fixture.DemoHash()})
	if err != nil {
		t.Fatalf("create dept: %v", err)
	}
	return o
}

func TestCreateOrgRules(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	dept := w.Actor(t, "demo-dept")
	unit := w.Actor(t, "demo-unit")
	admin := store.NewOrgAdmin{Username: "hn-admin", Name: "淮南管理员", PasswordHash: fixture.DemoHash()}

	d, u, err := w.Store.CreateOrg(prov, store.OrgInput{Name: "淮南市住房和城乡建设局", Type: store.Dept, Region: "3404", Phone: "0554-1234567"}, admin)
	if err != nil {
		t.Fatal(err)
	}
	if d.Code != "34040001" || d.Status != store.OrgActive || !u.IsAdmin || !u.MustChange || u.Enrolled() {
		t.Fatalf("org %+v admin %+v", d, u)
	}
	// Same name under the same parent, a region outside the province, a taken username.
	_, _, err = w.Store.CreateOrg(prov, store.OrgInput{Name: "淮南市住房和城乡建设局", Type: store.Dept, Region: "3404"}, store.NewOrgAdmin{Username: "x-admin", Name: "x", PasswordHash: "h"})
	verr(t, err, "同名")
	_, _, err = w.Store.CreateOrg(prov, store.OrgInput{Name: "南京", Type: store.Dept, Region: "3201"}, store.NewOrgAdmin{Username: "y-admin", Name: "y", PasswordHash: "h"})
	verr(t, err, "本省")
	_, _, err = w.Store.CreateOrg(prov, store.OrgInput{Name: "新局", Type: store.Dept, Region: "3405"}, admin)
	verr(t, err, "用户名已被使用")
	// A dept creates units under itself only; a unit creates nothing.
	hefei := w.Org(t, "demo-dept")
	unitIn := store.OrgInput{Name: "合肥新培训学校", Type: store.Unit, Region: "3401", ParentID: hefei.ID}
	if _, _, err := w.Store.CreateOrg(dept, unitIn, store.NewOrgAdmin{Username: "hfnew-admin", Name: "新", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	unitIn.ParentID = d.ID
	_, _, err = w.Store.CreateOrg(dept, unitIn, store.NewOrgAdmin{Username: "z-admin", Name: "z", PasswordHash: "h"})
	verr(t, err, "主管部门")
	if _, _, err := w.Store.CreateOrg(dept, store.OrgInput{Name: "某局", Type: store.Dept, Region: "3401"}, store.NewOrgAdmin{Username: "q-admin", Name: "q", PasswordHash: "h"}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("dept created a dept: %v", err)
	}
	if _, _, err := w.Store.CreateOrg(unit, store.OrgInput{Name: "某校", Type: store.Unit, Region: "3401", ParentID: hefei.ID}, store.NewOrgAdmin{Username: "r-admin", Name: "r", PasswordHash: "h"}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("unit created an org: %v", err)
	}
	// 省直所 use the province's region.
	_, _, err = w.Store.CreateOrg(prov, store.OrgInput{Name: "省建筑职业学院", Type: store.Direct, Region: "3401"}, store.NewOrgAdmin{Username: "s-admin", Name: "s", PasswordHash: "h"})
	verr(t, err, "本省")
}

func TestScopeSubsetAndNarrowing(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	dept := w.Actor(t, "demo-dept")
	hefei := w.Org(t, "demo-dept")
	unit := w.Org(t, "demo-unit")

	// A unit's scope must lie within its dept's.
	outside := store.Scope{"012": {5}, "999": {5}}
	_, err := w.Store.SetScope(dept, unit.ID, outside)
	verr(t, err, "不能超出上级机构")
	// The dept gives its unit part of its scope.
	part := store.Scope{"012": {5, 4}}
	if !hefei.Scope.Has("012", 5) || !hefei.Scope.Has("012", 4) {
		t.Fatal("demo dept lacks 砌筑工 5/4")
	}
	if _, err := w.Store.SetScope(dept, unit.ID, part); err != nil {
		t.Fatal(err)
	}
	// The province narrows the dept: the unit narrows in the same transaction.
	narrowed := store.Scope{}
	for occ, levels := range hefei.Scope {
		for _, l := range levels {
			if !(occ == "012" && l == 4) {
				narrowed[occ] = append(narrowed[occ], l)
			}
		}
	}
	if _, err := w.Store.SetScope(prov, hefei.ID, narrowed); err != nil {
		t.Fatal(err)
	}
	got := w.Org(t, "demo-unit").Scope
	if got.Has("012", 4) || !got.Has("012", 5) {
		t.Fatalf("unit scope after narrowing the dept: %v", got)
	}
	// A dept cannot set its own scope, nor another dept's units'.
	if _, err := w.Store.SetScope(dept, hefei.ID, narrowed); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("dept set its own scope: %v", err)
	}
	wuhuUnit := w.Org(t, "whpx-admin")
	if _, err := w.Store.SetScope(dept, wuhuUnit.ID, store.Scope{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("dept set another dept's unit: %v", err)
	}
	// Removing from one's own scope narrows the children too; the province cannot.
	if _, err := w.Store.RemoveOwnScope(dept, store.Scope{"012": {5}}); err != nil {
		t.Fatal(err)
	}
	if w.Org(t, "demo-unit").Scope.Has("012", 5) || w.Org(t, "demo-dept").Scope.Has("012", 5) {
		t.Fatal("removal did not narrow")
	}
	if _, err := w.Store.RemoveOwnScope(prov, store.Scope{"012": {5}}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("province removed from its scope: %v", err)
	}
	if _, err := w.Store.RemoveOwnScope(w.Actor(t, "hf-reviewer"), store.Scope{"013": {5}}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("non-admin removed scope: %v", err)
	}
}

func TestDeleteOrgRules(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	hefei := w.Org(t, "demo-dept")
	err := w.Store.DeleteOrg(prov, hefei.ID)
	verr(t, err, "下级机构")
	verr(t, err, "下线")
	unit := w.Org(t, "demo-unit") // has a clerk besides its admin
	verr(t, w.Store.DeleteOrg(prov, unit.ID), "用户")
	d := newDept(t, w, "淮南市住房和城乡建设局")
	if err := w.Store.DeleteOrg(w.Actor(t, "demo-dept"), d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another dept deleted it: %v", err)
	}
	if err := w.Store.DeleteOrg(prov, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Org(d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("still there")
	}
	if _, err := w.Store.UserByName("hn-admin"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("its admin survived")
	}
}

func TestOfflineEndsSessions(t *testing.T) {
	w := fixture.Demo(t)
	u := w.User(t, "demo-unit")
	if err := w.Store.PutSession("tok", store.Session{UserID: u.ID, OrgID: u.OrgID, Stage: store.StageFull, Created: w.Clock.Now(), LastSeen: w.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.SetOrgStatus(w.Actor(t, "demo-dept"), u.OrgID, store.OrgOffline); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.GetSession("tok"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("session survived 下线")
	}
	if _, err := w.Store.SetOrgStatus(w.Actor(t, "wh-dept"), u.OrgID, store.OrgActive); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another dept changed it: %v", err)
	}
	if _, err := w.Store.SetOrgStatus(w.Actor(t, "demo-unit"), u.OrgID, store.OrgActive); err == nil {
		t.Fatal("an org changed its own status")
	}
}

func TestLastAdminRule(t *testing.T) {
	w := fixture.Demo(t)
	dept := w.Actor(t, "demo-dept")
	unitAdmin := w.User(t, "hfcj-admin") // the only user of 合肥市城建技工学校
	_, err := w.Store.SetUserDisabled(dept, unitAdmin.ID, true)
	verr(t, err, "至少需要保留一名")
	_, err = w.Store.UpdateUser(dept, unitAdmin.ID, store.UserEdit{Name: unitAdmin.Name, IsAdmin: false})
	verr(t, err, "至少需要保留一名")
	// With a second admin the first may be disabled.
	second, err := w.Store.CreateUser(dept, store.NewUser{OrgID: unitAdmin.OrgID, Username: "hfcj-admin2", Name: "李四", IsAdmin: true, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.SetUserDisabled(dept, unitAdmin.ID, true); err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.SetUserDisabled(dept, second.ID, true)
	verr(t, err, "至少需要保留一名")
	// Nobody disables themselves.
	_, err = w.Store.SetUserDisabled(w.Actor(t, "demo-unit"), w.User(t, "demo-unit").ID, true)
	verr(t, err, "自己")
}

func TestCapabilityGrantRule(t *testing.T) {
	w := fixture.Demo(t)
	unitAdmin := w.Actor(t, "demo-unit")
	org := w.Org(t, "demo-unit")
	// The type's capabilities only.
	_, err := w.Store.CreateUser(unitAdmin, store.NewUser{OrgID: org.ID, Username: "u-1", Name: "甲", Caps: []store.Cap{store.CapBatchReview}, PasswordHash: "h"})
	verr(t, err, "批次审核")
	// A user with user.manage but not cert.print cannot grant cert.print, and
	// keeps what it cannot grant on edits.
	mgr, err := w.Store.CreateUser(unitAdmin, store.NewUser{OrgID: org.ID, Username: "u-mgr", Name: "乙",
		Caps: []store.Cap{store.CapUserManage, store.CapBatchManage}, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	mgrActor := store.Actor{UserID: mgr.ID, Username: mgr.Username, OrgID: org.ID}
	_, err = w.Store.CreateUser(mgrActor, store.NewUser{OrgID: org.ID, Username: "u-2", Name: "丙", Caps: []store.Cap{store.CapCertPrint}, PasswordHash: "h"})
	verr(t, err, "证书打印")
	_, err = w.Store.CreateUser(mgrActor, store.NewUser{OrgID: org.ID, Username: "u-3", Name: "丁", IsAdmin: true, PasswordHash: "h"})
	verr(t, err, "管理员")
	// A user holding what the manager lacks is out of its reach altogether.
	clerk := w.User(t, "hfjg-clerk") // holds batch.manage, cert.view, cert.print
	if _, err := w.Store.UpdateUser(mgrActor, clerk.ID, store.UserEdit{Name: clerk.Name, Caps: []store.Cap{store.CapBatchManage}}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("manager edited a user holding more than it: %v", err)
	}
	// A superior grants within the subordinate's type.
	if _, err := w.Store.CreateUser(w.Actor(t, "demo-dept"), store.NewUser{OrgID: org.ID, Username: "u-4", Name: "戊",
		Caps: []store.Cap{store.CapBatchManage, store.CapCertPrint}, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	// Across organisations: another unit's admin, another dept: not found.
	other := w.Actor(t, "hfcj-admin")
	if _, err := w.Store.CreateUser(other, store.NewUser{OrgID: org.ID, Username: "u-5", Name: "己", PasswordHash: "h"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another unit created a user here: %v", err)
	}
	if _, _, _, err := w.Store.ManagedUser(w.Actor(t, "wh-dept"), clerk.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another dept sees the clerk: %v", err)
	}
	if _, err := w.Store.ResetPassword(other, clerk.ID, "h"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another unit reset the clerk: %v", err)
	}
}

func TestResetAndUnbind(t *testing.T) {
	w := fixture.Demo(t)
	dept := w.Actor(t, "demo-dept")
	clerk := w.User(t, "hfjg-clerk")
	if err := w.Store.PutSession("tok", store.Session{UserID: clerk.ID, OrgID: clerk.OrgID, Stage: store.StageFull, Created: w.Clock.Now(), LastSeen: w.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	u, err := w.Store.ResetPassword(dept, clerk.ID, "new-hash")
	if err != nil || !u.MustChange || u.PasswordHash != "new-hash" {
		t.Fatalf("%+v %v", u, err)
	}
	if _, err := w.Store.GetSession("tok"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("session survived the reset")
	}
	u, err = w.Store.UnbindTOTP(dept, clerk.ID)
	if err != nil || u.Enrolled() || len(u.RecoveryHashes) != 0 {
		t.Fatalf("%+v %v", u, err)
	}
}

func TestOccupationCatalogue(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	if _, err := w.Store.CreateOccupation(w.Actor(t, "demo-dept"), store.Occupation{Code: "901", Name: "新工种", Levels: []int{5}}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("dept added an occupation: %v", err)
	}
	_, err := w.Store.CreateOccupation(prov, store.Occupation{Code: "012", Name: "新工种", Levels: []int{5}})
	verr(t, err, "已被使用")
	_, err = w.Store.CreateOccupation(prov, store.Occupation{Code: "901", Name: "砌筑工", Levels: []int{5}})
	verr(t, err, "已被代码")
	_, err = w.Store.CreateOccupation(prov, store.Occupation{Code: "9a1", Name: "新工种", Levels: []int{5}})
	verr(t, err, "3 位数字")
	_, err = w.Store.CreateOccupation(prov, store.Occupation{Code: "901", Name: "新工种"})
	verr(t, err, "等级")
	o, err := w.Store.CreateOccupation(prov, store.Occupation{Code: "901", Name: "新工种", Levels: []int{3, 5, 5, 4}})
	if err != nil || len(o.Levels) != 3 || o.Levels[0] != 5 {
		t.Fatalf("%+v %v", o, err)
	}
	// In a scope: cannot delete, cannot drop the level in use.
	if _, err := w.Store.SetScope(prov, w.Org(t, "demo-direct").ID, store.Scope{"901": {5}}); err != nil {
		t.Fatal(err)
	}
	verr(t, w.Store.DeleteOccupation(prov, "901"), "范围")
	_, err = w.Store.UpdateOccupation(prov, store.Occupation{Code: "901", Name: "新工种", Levels: []int{4}})
	verr(t, err, "五级")
	if _, err := w.Store.UpdateOccupation(prov, store.Occupation{Code: "901", Name: "新工种（改）", Levels: []int{5}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.SetScope(prov, w.Org(t, "demo-direct").ID, store.Scope{"012": {5}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Store.DeleteOccupation(prov, "901"); err != nil {
		t.Fatal(err)
	}
}

func TestOrgListsAreScoped(t *testing.T) {
	w := fixture.Demo(t)
	hefei := w.Org(t, "demo-dept")
	orgs, total, err := w.Store.Orgs(hefei, store.OrgFilter{})
	if err != nil || total != 3 {
		t.Fatalf("dept sees %d orgs (%v)", total, err)
	}
	for _, o := range orgs {
		if o.ParentID != hefei.ID {
			t.Fatalf("dept sees %s", o.Name)
		}
	}
	prov := w.Org(t, "demo-province")
	_, total, _ = w.Store.Orgs(prov, store.OrgFilter{})
	if total != 3+7+2 {
		t.Fatalf("province sees %d", total)
	}
	_, total, _ = w.Store.Orgs(prov, store.OrgFilter{Type: store.Direct})
	if total != 2 {
		t.Fatalf("directs %d", total)
	}
	_, total, _ = w.Store.Orgs(prov, store.OrgFilter{Q: "芜湖"})
	if total != 3 {
		t.Fatalf("search 芜湖: %d", total)
	}
	rows, total, _ := w.Store.Users(hefei, store.UserFilter{})
	for _, r := range rows {
		if !hefei.Contains(r.Org) {
			t.Fatalf("dept lists user of %s", r.Org.Name)
		}
	}
	if total < 5 {
		t.Fatalf("dept lists %d users", total)
	}
	unit := w.Org(t, "demo-unit")
	rows, total, _ = w.Store.Users(unit, store.UserFilter{})
	if total != 2 || rows[0].Org.ID != unit.ID {
		t.Fatalf("unit lists %d users", total)
	}
}

func TestUsageBlocksDeletion(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	// A unit with a batch cannot be deleted even with only its admin.
	unit, admin, err := w.Store.CreateOrg(w.Actor(t, "demo-dept"), store.OrgInput{Name: "测试培训学校", Type: store.Unit, Region: "3401", ParentID: w.Org(t, "demo-dept").ID},
		store.NewOrgAdmin{Username: "cs-admin", Name: "测试", PasswordHash: fixture.DemoHash()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.SetScope(prov, unit.ID, store.Scope{"012": {5}}); err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: admin.ID, Username: admin.Username, OrgID: unit.ID}
	if _, err := w.Store.CreateBatch(a, store.NewBatch{Name: "一期", Candidates: approvalCandidates(950, 1)}); err != nil {
		t.Fatal(err)
	}
	verr(t, w.Store.DeleteOrg(prov, unit.ID), "批次")
	// An occupation used by a candidate cannot be deleted or lose that level,
	// even when no scope holds it any more.
	if _, err := w.Store.CreateOccupation(prov, store.Occupation{Code: "961", Name: "临时工种", Levels: []int{5, 4}}); err != nil {
		t.Fatal(err)
	}
	dept := w.Org(t, "demo-dept")
	deptScope := dept.Scope
	deptScope["961"] = []int{5}
	if _, err := w.Store.SetScope(prov, dept.ID, deptScope); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.SetScope(prov, unit.ID, store.Scope{"012": {5}, "961": {5}}); err != nil {
		t.Fatal(err)
	}
	cands := approvalCandidates(951, 1)
	cands[0].OccupationCode, cands[0].OccupationName = "961", "临时工种"
	if _, err := w.Store.CreateBatch(a, store.NewBatch{Name: "二期", Candidates: cands}); err != nil {
		t.Fatal(err)
	}
	delete(deptScope, "961") // narrowing the dept narrows the unit
	if _, err := w.Store.SetScope(prov, dept.ID, deptScope); err != nil {
		t.Fatal(err)
	}
	verr(t, w.Store.DeleteOccupation(prov, "961"), "合格人员使用")
	_, err = w.Store.UpdateOccupation(prov, store.Occupation{Code: "961", Name: "临时工种", Levels: []int{4}})
	verr(t, err, "合格人员使用")
	if _, err := w.Store.UpdateOccupation(prov, store.Occupation{Code: "961", Name: "临时工种", Levels: []int{5}}); err != nil {
		t.Fatalf("dropping an unused level: %v", err)
	}
}

func TestCertificatesBlockDeletion(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	// 省直所 demo-direct has only its admin but holds certificates.
	verr(t, w.Store.DeleteOrg(prov, w.Org(t, "demo-direct").ID), "张证书") // only its admin, but certificates
}

// TestUserManagerCannotTakeOverStrongerAccounts walks the escalation chain: an
// admin grants a new user only user.manage; that user must not reset,
// unbind, disable or edit the admin or anyone holding a capability it lacks,
// while it may still manage a user holding less.
func TestUserManagerCannotTakeOverStrongerAccounts(t *testing.T) {
	w := fixture.Demo(t)
	admin := w.User(t, "demo-unit")
	org := w.Org(t, "demo-unit")
	mgr, err := w.Store.CreateUser(w.Actor(t, "demo-unit"), store.NewUser{OrgID: org.ID, Username: "only-users", Name: "甲",
		Caps: []store.Cap{store.CapUserManage}, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	weak, err := w.Store.CreateUser(w.Actor(t, "demo-unit"), store.NewUser{OrgID: org.ID, Username: "no-caps", Name: "乙", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	m := store.Actor{UserID: mgr.ID, Username: mgr.Username, OrgID: org.ID}
	clerk := w.User(t, "hfjg-clerk") // holds batch.manage, cert.view, cert.print
	for _, target := range []store.User{admin, clerk} {
		acts := map[string]func() error{
			"reset":   func() error { _, err := w.Store.ResetPassword(m, target.ID, "x"); return err },
			"unbind":  func() error { _, err := w.Store.UnbindTOTP(m, target.ID); return err },
			"disable": func() error { _, err := w.Store.SetUserDisabled(m, target.ID, true); return err },
			"edit": func() error {
				_, err := w.Store.UpdateUser(m, target.ID, store.UserEdit{Name: target.Name, IsAdmin: target.IsAdmin, Caps: target.Caps})
				return err
			},
			"view": func() error { _, _, _, err := w.Store.ManagedUser(m, target.ID); return err },
		}
		for name, act := range acts {
			if err := act(); !errors.Is(err, store.ErrForbidden) {
				t.Errorf("%s of %s by a user.manage-only user: got %v, want forbidden", name, target.Username, err)
			}
		}
	}
	after := w.User(t, "demo-unit")
	if after.PasswordHash != admin.PasswordHash || after.TOTPSecret != admin.TOTPSecret || after.Disabled {
		t.Fatal("the admin's account changed")
	}
	// Appointing an administrator needs one.
	if _, err := w.Store.UpdateUser(m, weak.ID, store.UserEdit{Name: weak.Name, IsAdmin: true}); err == nil {
		t.Fatal("a non-admin appointed an administrator")
	}
	// A user holding nothing the manager lacks stays manageable.
	if _, err := w.Store.ResetPassword(m, weak.ID, "h2"); err != nil {
		t.Fatalf("reset of a weaker user: %v", err)
	}
	// A superior's non-admin user manager is bound by the same rule.
	deptMgr, err := w.Store.CreateUser(w.Actor(t, "demo-dept"), store.NewUser{OrgID: w.Org(t, "demo-dept").ID, Username: "dept-users",
		Name: "丙", Caps: []store.Cap{store.CapUserManage}, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	dm := store.Actor{UserID: deptMgr.ID, Username: deptMgr.Username, OrgID: deptMgr.OrgID}
	if _, err := w.Store.ResetPassword(dm, admin.ID, "x"); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("a dept user manager reset a unit admin: %v", err)
	}
	// The dept's admin still may.
	if _, err := w.Store.ResetPassword(w.Actor(t, "demo-dept"), admin.ID, "x"); err != nil {
		t.Fatalf("the dept admin reset the unit admin: %v", err)
	}
}
