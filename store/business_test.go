package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"certreg/files"
	"certreg/fixture"
	"certreg/store"
)

// IDs with check digits computed by hand (ISO 7064 MOD 11-2), not by the
// code under test.
const (
	idMale1990   = "340102199003150037" // 17th digit 3: male
	idFemale1990 = "340102199003150045" // 17th digit 4: female
)

var bizSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"}
var bizGiven = []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}

// bizHolders are n holders with plain Chinese names (the name rule refuses
// digits) of occupation occ at level, unique per seed.
func bizHolders(n int, occ string, level, seed int) []store.Holder {
	hs := holders(n, occ, level, seed)
	for i := range hs {
		hs[i].Name = bizSurnames[i%10] + bizGiven[(i/10+seed)%10] + "明"
	}
	return hs
}

// issued gives demo-unit (or another unit) fresh certificates of 砌筑工
// level 5.
func issued(t *testing.T, w *fixture.World, username string, n, seed int) []store.Certificate {
	t.Helper()
	certs, err := w.Store.IssueForTest(store.IssueRequest{OrgID: w.Org(t, username).ID, Holders: bizHolders(n, "012", 5, seed), Username: "ah-reviewer"})
	if err != nil {
		t.Fatal(err)
	}
	return certs
}

func proofs(t *testing.T, n int) []*files.Upload {
	out := make([]*files.Upload, n)
	for i := range out {
		out[i] = files.Bytes(fmt.Sprintf("申请表%d.png", i+1), tinyPNG(t, 100+i))
	}
	return out
}

func apply(t *testing.T, w *fixture.World, username string, app store.BizApplication) store.Business {
	t.Helper()
	if app.Proofs == nil {
		app.Proofs = proofs(t, 1)
	}
	b, err := w.Store.ApplyBusiness(w.Actor(t, username), app)
	if err != nil {
		t.Fatalf("apply %+v: %v", app.Kind, err)
	}
	return b
}

func cert(t *testing.T, w *fixture.World, number string) store.Certificate {
	t.Helper()
	c, err := w.Store.Certificate(w.Org(t, "demo-province"), number)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBusinessApplicationRules(t *testing.T) {
	w := fixture.Demo(t)
	certs := issued(t, w, "demo-unit", 8, 61)
	c := certs[0]
	unit := w.Actor(t, "demo-unit")
	other := certs[1] // a holder of the same gender (the ID's gender must agree)
	for _, o := range certs[1:] {
		if o.Gender == c.Gender {
			other = o
			break
		}
	}
	try := func(app store.BizApplication) error {
		if app.Proofs == nil {
			app.Proofs = proofs(t, 1)
		}
		_, err := w.Store.ApplyBusiness(unit, app)
		return err
	}
	for _, tc := range []struct {
		name  string
		app   store.BizApplication
		field string
		want  string
	}{
		{"no kind", store.BizApplication{Number: c.Number}, "kind", "请选择业务类型"},
		{"nothing to change", store.BizApplication{Kind: store.BizChange, Number: c.Number}, "", "至少填写一项"},
		{"name and ID together", store.BizApplication{Kind: store.BizChange, Number: c.Number, NewName: "王五", NewIDNumber: idMale1990}, "", "不能在同一次申请中变更"},
		{"bad check digit", store.BizApplication{Kind: store.BizChange, Number: c.Number, NewIDNumber: "340102199003150038"}, "new_id_number", "校验"},
		{"impossible birth date", store.BizApplication{Kind: store.BizChange, Number: c.Number, NewIDNumber: "340102199002300033"}, "new_id_number", ""},
		{"short ID", store.BizApplication{Kind: store.BizChange, Number: c.Number, NewIDNumber: "34010219900315"}, "new_id_number", ""},
		{"same name", store.BizApplication{Kind: store.BizChange, Number: c.Number, NewName: c.Name}, "new_name", "相同"},
		{"ID of another valid certificate of the same trade", store.BizApplication{Kind: store.BizChange, Number: c.Number, NewIDNumber: other.IDNumber}, "new_id_number", other.Number},
		{"reissue without reason", store.BizApplication{Kind: store.BizReissue, Number: c.Number, Reason: " "}, "reason", "请填写补办原因"},
		{"cancel without reason", store.BizApplication{Kind: store.BizCancel, Number: c.Number}, "reason", "请填写注销原因"},
		{"no proof", store.BizApplication{Kind: store.BizCancel, Number: c.Number, Reason: "x", Proofs: []*files.Upload{}}, "proofs", "至少 1 张"},
		{"six proofs", store.BizApplication{Kind: store.BizCancel, Number: c.Number, Reason: "x", Proofs: proofs(t, 6)}, "proofs", "最多上传 5 张"},
		{"proof over 200 KB", store.BizApplication{Kind: store.BizCancel, Number: c.Number, Reason: "x",
			Proofs: []*files.Upload{files.Bytes("大.png", append(tinyPNG(t, 1), make([]byte, 200<<10)...))}}, "proofs", "200 KB"},
		{"a PDF named .png", store.BizApplication{Kind: store.BizCancel, Number: c.Number, Reason: "x",
			Proofs: []*files.Upload{files.Bytes("表.png", []byte("%PDF-1.4 x"))}}, "proofs", "PDF"},
		{"a PDF", store.BizApplication{Kind: store.BizCancel, Number: c.Number, Reason: "x",
			Proofs: []*files.Upload{files.Bytes("表.pdf", []byte("%PDF-1.4 x"))}}, "proofs", "图片"},
		{"the same image twice", store.BizApplication{Kind: store.BizCancel, Number: c.Number, Reason: "x",
			Proofs: []*files.Upload{files.Bytes("a.png", tinyPNG(t, 1)), files.Bytes("b.png", tinyPNG(t, 1))}}, "proofs", "内容相同"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := try(tc.app)
			var ve *store.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || !strings.Contains(ve.Message, tc.want) {
				t.Fatalf("got %v (%#v), want field %q with %q", err, ve, tc.field, tc.want)
			}
		})
	}
	// Gender must agree with the certificate.
	wrong := idFemale1990
	if c.Gender == "女" {
		wrong = idMale1990
	}
	err := try(store.BizApplication{Kind: store.BizChange, Number: c.Number, NewIDNumber: wrong})
	verr(t, err, "性别")
	// Nothing was saved by the refusals.
	if list, _ := w.Store.AppliedBusinesses(unit, store.BizFilter{Q: c.Number}); len(list.Items) != 0 {
		t.Fatalf("refused applications were saved: %+v", list.Items)
	}
	// Who may apply: the issuing organisation with business.apply only.
	for user, want := range map[string]error{"hfjg-clerk": store.ErrForbidden, "demo-dept": store.ErrForbidden,
		"hfcj-admin": store.ErrNotFound, "demo-direct": store.ErrNotFound} {
		_, err := w.Store.ApplyBusiness(w.Actor(t, user), store.BizApplication{Kind: store.BizCancel, Number: c.Number, Reason: "x", Proofs: proofs(t, 1)})
		if !errors.Is(err, want) {
			t.Errorf("%s applied: %v, want %v", user, err, want)
		}
	}
}

// At most one open business per certificate, enforced in the store.
func TestOneOpenBusinessPerCertificate(t *testing.T) {
	w := fixture.Demo(t)
	c := issued(t, w, "demo-unit", 1, 62)[0]
	unit := w.Actor(t, "demo-unit")
	b := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizCancel, Number: c.Number, Reason: "重复"})
	_, err := w.Store.ApplyBusiness(unit, store.BizApplication{Kind: store.BizChange, Number: c.Number, NewWorkUnit: "新单位", Proofs: proofs(t, 1)})
	verr(t, err, "已有一项注销业务")
	// Rejected is still open (it may be corrected and resubmitted).
	if _, err := w.Store.RejectBusiness(w.Actor(t, "demo-dept"), b.ID, "材料不清"); err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.ApplyBusiness(unit, store.BizApplication{Kind: store.BizChange, Number: c.Number, NewWorkUnit: "新单位", Proofs: proofs(t, 1)})
	verr(t, err, "已有一项注销业务")
	// Withdrawn frees the certificate.
	if _, err := w.Store.WithdrawBusiness(unit, b.ID); err != nil {
		t.Fatal(err)
	}
	apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizChange, Number: c.Number, NewWorkUnit: "新单位"})
	// Two applications at once: one wins.
	c2 := issued(t, w, "demo-unit", 1, 63)[0]
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = w.Store.ApplyBusiness(unit, store.BizApplication{Kind: store.BizCancel, Number: c2.Number, Reason: "并发", Proofs: proofs(t, 1)})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent applications succeeded: %v", ok, errs)
	}
}

// The moves: who may make each, and what each refuses.
func TestBusinessStateMachine(t *testing.T) {
	w := fixture.Demo(t)
	certs := issued(t, w, "demo-unit", 3, 64)
	unit, dept, prov := w.Actor(t, "demo-unit"), w.Actor(t, "demo-dept"), w.Actor(t, "demo-province")
	b := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizChange, Number: certs[0].Number, NewWorkUnit: "新单位甲"})
	if b.State != store.BizPendingDept || b.Round != 1 || len(b.Log) != 1 {
		t.Fatalf("after apply: %+v", b)
	}
	step := func(name string, err error, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
	_, err := w.Store.ApproveBusiness(unit, b.ID)
	step("the unit approves its own", err, store.ErrForbidden)
	_, err = w.Store.ApproveBusiness(prov, b.ID)
	step("the province before the dept", err, store.ErrForbidden)
	_, err = w.Store.ApproveBusiness(w.Actor(t, "wh-dept"), b.ID)
	step("another dept", err, store.ErrNotFound)
	_, err = w.Store.ApproveBusiness(w.Actor(t, "hfjg-clerk"), b.ID)
	step("a clerk without business.review", err, store.ErrForbidden)
	_, err = w.Store.RejectBusiness(dept, b.ID, " ")
	verr(t, err, "请填写审核不通过的原因")
	if b, err = w.Store.ApproveBusiness(w.Actor(t, "hf-reviewer"), b.ID); err != nil || b.State != store.BizPendingProvince {
		t.Fatalf("dept reviewer approves: %v %s", err, b.State)
	}
	_, err = w.Store.ApproveBusiness(dept, b.ID)
	step("the dept twice", err, store.ErrForbidden)
	if b, err = w.Store.RejectBusiness(w.Actor(t, "ah-reviewer"), b.ID, "工作单位名称不完整"); err != nil || b.State != store.BizRejected || b.RejectReason != "工作单位名称不完整" {
		t.Fatalf("province rejects: %v %+v", err, b)
	}
	_, err = w.Store.ApproveBusiness(prov, b.ID)
	step("approve a rejected one", err, store.ErrConflict)
	// Corrected and resubmitted: a new round starting at the dept.
	b, err = w.Store.ResubmitBusiness(unit, b.ID, store.BizApplication{NewWorkUnit: "新单位甲有限公司"})
	if err != nil || b.State != store.BizPendingDept || b.Round != 2 || b.RejectReason != "" || b.New.WorkUnit != "新单位甲有限公司" || len(b.Proofs) != 1 {
		t.Fatalf("resubmit: %v %+v", err, b)
	}
	_, err = w.Store.ResubmitBusiness(unit, b.ID, store.BizApplication{NewWorkUnit: "x"})
	step("resubmit a pending one", err, store.ErrConflict)
	if _, err := w.Store.ApproveBusiness(dept, b.ID); err != nil {
		t.Fatal(err)
	}
	if b, err = w.Store.ApproveBusiness(prov, b.ID); err != nil || b.State != store.BizApproved {
		t.Fatalf("province approves: %v %+v", err, b)
	}
	_, err = w.Store.WithdrawBusiness(unit, b.ID)
	step("withdraw an approved one", err, store.ErrConflict)
	var actions []string
	for _, e := range b.Log {
		actions = append(actions, fmt.Sprintf("%s:%s>%s@%s#%d", e.Action, e.From, e.To, e.OrgName, e.Round))
	}
	want := "submit:>pending_dept@合肥建工职业技能培训学校#1 approve:pending_dept>pending_province@合肥市城乡建设局#1 " +
		"reject:pending_province>rejected@安徽省住房和城乡建设厅#1 submit:rejected>pending_dept@合肥建工职业技能培训学校#2 " +
		"approve:pending_dept>pending_province@合肥市城乡建设局#2 approve:pending_province>approved@安徽省住房和城乡建设厅#2"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("review log\n got %s\nwant %s", got, want)
	}
	// Every step is in the operation log of the organisation that made it.
	for user, action := range map[string]store.Action{"demo-unit": store.ActBizResubmit, "demo-dept": store.ActBizApprove, "demo-province": store.ActBizReject} {
		ops, _, _ := w.Store.Logs(store.LogFilter{OrgID: w.Org(t, user).ID, Action: action, Limit: 50})
		found := false
		for _, o := range ops {
			found = found || o.Target == certs[0].Number
		}
		if !found {
			t.Errorf("%s's log lacks %s of %s", user, action, certs[0].Number)
		}
	}

	// A 省直所 goes straight to the province; its dept-less business is not
	// any dept's.
	dc, err := w.Store.IssueForTest(store.IssueRequest{OrgID: w.Org(t, "demo-direct").ID, Holders: bizHolders(1, "012", 5, 65), Username: "ah-reviewer"})
	if err != nil {
		t.Fatal(err)
	}
	d := apply(t, w, "demo-direct", store.BizApplication{Kind: store.BizCancel, Number: dc[0].Number, Reason: "重复取证"})
	if d.State != store.BizPendingProvince {
		t.Fatalf("省直所 business in %s", d.State)
	}
	_, err = w.Store.ApproveBusiness(dept, d.ID)
	step("a dept approves a 省直所's", err, store.ErrNotFound)
	if _, err := w.Store.Business(dept, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a dept sees a 省直所's business: %v", err)
	}
	// Withdrawing a pending one takes it out of the queue.
	before, _ := w.Store.BizQueueCounts(w.Org(t, "demo-province").ID)
	if _, err := w.Store.WithdrawBusiness(w.Actor(t, "demo-direct"), d.ID); err != nil {
		t.Fatal(err)
	}
	after, _ := w.Store.BizQueueCounts(w.Org(t, "demo-province").ID)
	if after[store.BizCancel] != before[store.BizCancel]-1 {
		t.Errorf("province cancel queue %d → %d", before[store.BizCancel], after[store.BizCancel])
	}
	_, err = w.Store.ApproveBusiness(prov, d.ID)
	step("approve a withdrawn one", err, store.ErrConflict)
}

// approveAll takes a unit's business through both reviews.
func approveAll(t *testing.T, w *fixture.World, id uint64) store.Business {
	t.Helper()
	if _, err := w.Store.ApproveBusiness(w.Actor(t, "demo-dept"), id); err != nil {
		t.Fatal(err)
	}
	b, err := w.Store.ApproveBusiness(w.Actor(t, "demo-province"), id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestChangeApprovalUpdatesTheCertificate(t *testing.T) {
	w := fixture.Demo(t)
	certs := issued(t, w, "demo-unit", 2, 66)
	c := certs[0]
	validBefore := valid(t, w, "")
	b := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizChange, Number: c.Number, NewName: "欧阳修远", Reason: "录入错误"})
	// Nothing changes before the province approves.
	if _, err := w.Store.ApproveBusiness(w.Actor(t, "demo-dept"), b.ID); err != nil {
		t.Fatal(err)
	}
	if got := cert(t, w, c.Number); got.Name != c.Name || got.Version != 1 {
		t.Fatalf("changed before the province's approval: %+v", got)
	}
	if _, err := w.Store.ApproveBusiness(w.Actor(t, "demo-province"), b.ID); err != nil {
		t.Fatal(err)
	}
	got := cert(t, w, c.Number)
	last := got.History[len(got.History)-1]
	if got.Name != "欧阳修远" || got.Version != 2 || got.Printed || last.Kind != "变更" || !strings.Contains(last.Detail, c.Name) || !strings.Contains(last.Detail, "欧阳修远") {
		t.Fatalf("after approval: name %s version %d printed %v history %+v", got.Name, got.Version, got.Printed, last)
	}
	if n := findCount(t, w, "demo-province", store.CertQuery{Name: c.Name}); n != 0 {
		t.Errorf("the old name still finds %d", n)
	}
	if n := findCount(t, w, "demo-unit", store.CertQuery{Name: "欧阳修远"}); n != 1 {
		t.Errorf("the new name finds %d", n)
	}
	if n := findCount(t, w, "demo-dept", store.CertQuery{Name: "欧阳"}); n != 1 {
		t.Errorf("the new name's beginning finds %d in the dept's scope", n)
	}
	// A name change needs printing again: 业务打印 lists it until printed.
	prints, err := w.Store.BusinessPrints(w.Actor(t, "demo-unit"), 0, 200)
	if err != nil || !hasCert(prints.Certs, c.Number) {
		t.Fatalf("业务打印 lacks %s: %v", c.Number, err)
	}
	if _, err := w.Store.RecordPrint(w.Actor(t, "demo-unit"), []string{c.Number}, "内置"); err != nil {
		t.Fatal(err)
	}
	if prints, _ = w.Store.BusinessPrints(w.Actor(t, "demo-unit"), 0, 200); hasCert(prints.Certs, c.Number) {
		t.Error("still in 业务打印 after printing")
	}

	// An ID change moves the holder index; the counts stay.
	b2 := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizChange, Number: certs[1].Number, NewIDNumber: sameGenderID(certs[1].Gender)})
	approveAll(t, w, b2.ID)
	got2 := cert(t, w, certs[1].Number)
	if got2.IDNumber != sameGenderID(certs[1].Gender) || got2.Version != 2 {
		t.Fatalf("ID change: %+v", got2)
	}
	if n := w.Store.HolderForTest(certs[1].IDNumber, "012", 5); n != "" {
		t.Errorf("the old ID still holds %s", n)
	}
	if n := w.Store.HolderForTest(got2.IDNumber, "012", 5); n != certs[1].Number {
		t.Errorf("the new ID holds %q", n)
	}
	if n := findCount(t, w, "demo-unit", store.CertQuery{IDNumber: certs[1].IDNumber}); n != 0 {
		t.Errorf("the old ID finds %d", n)
	}
	if after := valid(t, w, ""); fmt.Sprint(after) != fmt.Sprint(validBefore) {
		t.Errorf("valid counters moved on changes: %v → %v", validBefore, after)
	}
	// A work-unit change does not ask for printing again.
	b3 := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizChange, Number: certs[1].Number, NewWorkUnit: "中建八局"})
	approveAll(t, w, b3.ID)
	if got3 := cert(t, w, certs[1].Number); got3.WorkUnit != "中建八局" || got3.Version != 3 {
		t.Fatalf("work unit change: %+v", got3)
	}
}

func sameGenderID(gender string) string {
	if gender == "女" {
		return idFemale1990
	}
	return idMale1990
}

func hasCert(certs []store.Certificate, number string) bool {
	for _, c := range certs {
		if c.Number == number {
			return true
		}
	}
	return false
}

// A change approved after the new ID number was taken meanwhile is refused
// at approval, and nothing changes.
func TestChangeApprovalRechecksTheRules(t *testing.T) {
	w := fixture.Demo(t)
	certs := issued(t, w, "demo-unit", 2, 67)
	b := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizChange, Number: certs[0].Number, NewIDNumber: sameGenderID(certs[0].Gender)})
	if _, err := w.Store.ApproveBusiness(w.Actor(t, "demo-dept"), b.ID); err != nil {
		t.Fatal(err)
	}
	h := bizHolders(1, "012", 5, 68)[0]
	h.IDNumber, h.Gender = sameGenderID(certs[0].Gender), certs[0].Gender
	if _, err := w.Store.IssueForTest(store.IssueRequest{OrgID: w.Org(t, "demo-unit").ID, Holders: []store.Holder{h}, Username: "ah-reviewer"}); err != nil {
		t.Fatal(err)
	}
	_, err := w.Store.ApproveBusiness(w.Actor(t, "demo-province"), b.ID)
	verr(t, err, "已持有同职业")
	if got, _ := w.Store.Business(w.Actor(t, "demo-unit"), b.ID); got.State != store.BizPendingProvince {
		t.Fatalf("state after a refused approval: %s", got.State)
	}
	if got := cert(t, w, certs[0].Number); got.IDNumber != certs[0].IDNumber || got.Version != 1 {
		t.Fatal("the certificate changed")
	}
}

func TestReissueApproval(t *testing.T) {
	w := fixture.Demo(t)
	c := issued(t, w, "demo-unit", 1, 69)[0]
	validBefore := valid(t, w, "")
	w.Clock.Advance(10 * 24 * time.Hour) // still this year
	b := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizReissue, Number: c.Number, Reason: "遗失"})
	b = approveAll(t, w, b.ID)
	if b.NewNumber == "" || b.NewNumber == c.Number || b.NewNumber[:10] != c.Number[:10] {
		t.Fatalf("reissue number %q for %s", b.NewNumber, c.Number)
	}
	if mustSerial(b.NewNumber) != mustSerial(c.Number)+1 {
		t.Errorf("reissue serial %s after %s: not the next of the segment", b.NewNumber, c.Number)
	}
	old, nc := cert(t, w, c.Number), cert(t, w, b.NewNumber)
	if old.Status != store.CertSuperseded || old.ReplacedBy != nc.Number || nc.Replaces != old.Number || nc.Status != store.CertValid {
		t.Fatalf("old %s→%s, new %s←%s", old.Status, old.ReplacedBy, nc.Status, nc.Replaces)
	}
	if !nc.IssueDate.Equal(c.IssueDate) || nc.Name != c.Name || nc.IDNumber != c.IDNumber || nc.Version != 1 || nc.Printed {
		t.Fatalf("new certificate: %+v", nc)
	}
	if n := w.Store.HolderForTest(c.IDNumber, "012", 5); n != nc.Number {
		t.Errorf("holder index points at %q", n)
	}
	if after := valid(t, w, ""); fmt.Sprint(after) != fmt.Sprint(validBefore) {
		t.Errorf("valid counters: %v → %v", validBefore, after)
	}
	pub, err := w.Store.PublicCertificate(c.Number)
	if err != nil || pub.Status != store.CertSuperseded || pub.ReplacedBy != nc.Number {
		t.Fatalf("public view of the old number: %+v %v", pub, err)
	}
	if n := findCount(t, w, "demo-unit", store.CertQuery{Status: store.CertSuperseded, Number: c.Number}); n != 1 {
		t.Errorf("superseded filter finds %d", n)
	}
	prints, _ := w.Store.BusinessPrints(w.Actor(t, "demo-unit"), 0, 200)
	if !hasCert(prints.Certs, nc.Number) {
		t.Error("the reissue is not in 业务打印")
	}
	// The old number takes no more businesses.
	_, err = w.Store.ApplyBusiness(w.Actor(t, "demo-unit"), store.BizApplication{Kind: store.BizCancel, Number: c.Number, Reason: "x", Proofs: proofs(t, 1)})
	verr(t, err, "已补办")
}

// 补办 numbers stay unique and gap-free when approvals race, and across the
// new year the current year's segment starts at its beginning.
func TestReissueNumbering(t *testing.T) {
	w := fixture.Demo(t)
	certs := issued(t, w, "demo-unit", 6, 70)
	var ids []uint64
	for _, c := range certs {
		b := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizReissue, Number: c.Number, Reason: "遗失"})
		if _, err := w.Store.ApproveBusiness(w.Actor(t, "demo-dept"), b.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, b.ID)
	}
	var wg sync.WaitGroup
	nums := make([]string, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := w.Store.ApproveBusiness(w.Actor(t, "demo-province"), id)
			if err != nil {
				t.Error(err)
				return
			}
			nums[i] = b.NewNumber
		}()
	}
	wg.Wait()
	last := mustSerial(certs[len(certs)-1].Number)
	seen := map[int]bool{}
	for _, n := range nums {
		seen[mustSerial(n)] = true
	}
	for s := last + 1; s <= last+len(ids); s++ {
		if !seen[s] {
			t.Fatalf("serials %v after %d: %d missing", nums, last, s)
		}
	}
	// New year: the reissue takes the new year's segment from 0001, and
	// keeps the old issue date.
	c := issued(t, w, "demo-unit", 1, 71)[0]
	b := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizReissue, Number: c.Number, Reason: "损毁"})
	if _, err := w.Store.ApproveBusiness(w.Actor(t, "demo-dept"), b.ID); err != nil {
		t.Fatal(err)
	}
	w.Clock.Set(time.Date(2027, 1, 1, 0, 0, 1, 0, time.FixedZone("CST", 8*3600)))
	b, err := w.Store.ApproveBusiness(w.Actor(t, "demo-province"), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.NewNumber != "27"+c.Number[2:10]+"0001" {
		t.Fatalf("new year's reissue %s of %s", b.NewNumber, c.Number)
	}
	if nc := cert(t, w, b.NewNumber); !nc.IssueDate.Equal(c.IssueDate) {
		t.Fatalf("issue date %s, want %s", nc.IssueDate, c.IssueDate)
	}
}

func TestCancelApproval(t *testing.T) {
	w := fixture.Demo(t)
	c := issued(t, w, "demo-unit", 1, 72)[0]
	before := valid(t, w, "")
	b := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizCancel, Number: c.Number, Reason: "持证人申请"})
	approveAll(t, w, b.ID)
	got := cert(t, w, c.Number)
	if got.Status != store.CertCancelled || !strings.Contains(got.History[len(got.History)-1].Detail, "持证人申请") {
		t.Fatalf("after cancel: %+v", got)
	}
	after := valid(t, w, "")
	for u := range before {
		if after[u] != before[u]-1 {
			t.Errorf("%s valid %d → %d", u, before[u], after[u])
		}
	}
	if n := w.Store.HolderForTest(c.IDNumber, "012", 5); n != "" {
		t.Errorf("holder index still has %s", n)
	}
	// A certificate cancelled by the province meanwhile cannot be approved.
	c2 := issued(t, w, "demo-unit", 1, 73)[0]
	b2 := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizChange, Number: c2.Number, NewWorkUnit: "新单位"})
	if _, err := w.Store.ApproveBusiness(w.Actor(t, "demo-dept"), b2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.CancelCertificate(w.Actor(t, "demo-province"), c2.Number, "省厅注销"); err != nil {
		t.Fatal(err)
	}
	_, err := w.Store.ApproveBusiness(w.Actor(t, "demo-province"), b2.ID)
	verr(t, err, "已注销")
}

// Two reviewers at once: one wins, the other gets a clear error.
func TestTwoBusinessReviewersOneWins(t *testing.T) {
	w := fixture.Demo(t)
	c := issued(t, w, "demo-unit", 1, 74)[0]
	b := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizReissue, Number: c.Number, Reason: "遗失"})
	if _, err := w.Store.ApproveBusiness(w.Actor(t, "demo-dept"), b.ID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, user := range []string{"demo-province", "ah-reviewer"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 0 {
				_, errs[i] = w.Store.ApproveBusiness(w.Actor(t, user), b.ID)
			} else {
				_, errs[i] = w.Store.RejectBusiness(w.Actor(t, user), b.ID, "不通过")
			}
		}()
	}
	wg.Wait()
	var won, lost int
	for _, err := range errs {
		var se *store.BizStateError
		switch {
		case err == nil:
			won++
		case errors.As(err, &se) && errors.Is(err, store.ErrConflict) && strings.Contains(err.Error(), "不能"):
			lost++
		default:
			t.Errorf("unexpected: %v", err)
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("won %d lost %d: %v", won, lost, errs)
	}
}

// The lists and the counters agree with what happened.
func TestBusinessListsAndCounters(t *testing.T) {
	w := fixture.Demo(t)
	unit, dept, prov := w.Actor(t, "demo-unit"), w.Actor(t, "demo-dept"), w.Actor(t, "demo-province")
	base, _ := w.Store.BizStateCounts(unit.OrgID)
	qDept, _ := w.Store.BizQueueCounts(dept.OrgID)
	certs := issued(t, w, "demo-unit", 3, 75)
	b1 := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizChange, Number: certs[0].Number, NewWorkUnit: "甲公司"})
	b2 := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizCancel, Number: certs[1].Number, Reason: "注销"})
	b3 := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizCancel, Number: certs[2].Number, Reason: "注销"})
	if _, err := w.Store.RejectBusiness(dept, b3.ID, "不清楚"); err != nil {
		t.Fatal(err)
	}
	counts, _ := w.Store.BizStateCounts(unit.OrgID)
	if counts[store.BizPendingDept] != base[store.BizPendingDept]+2 || counts[store.BizRejected] != base[store.BizRejected]+1 {
		t.Errorf("state counts %v (base %v)", counts, base)
	}
	q, _ := w.Store.BizQueueCounts(dept.OrgID)
	if q[store.BizChange] != qDept[store.BizChange]+1 || q[store.BizCancel] != qDept[store.BizCancel]+1 {
		t.Errorf("dept queue %v (base %v)", q, qDept)
	}
	// 待审核 of the dept per kind, 已审核 with the rejection.
	pend, err := w.Store.ReviewBusinesses(dept, store.BizCancel, store.ReviewPending, store.BizFilter{Limit: 100})
	if err != nil || !hasBiz(pend.Items, b2.ID) || hasBiz(pend.Items, b1.ID) || hasBiz(pend.Items, b3.ID) || pend.Total != int(q[store.BizCancel]) {
		t.Errorf("dept cancel queue: %v %+v", err, pend)
	}
	done, _ := w.Store.ReviewBusinesses(dept, store.BizCancel, store.ReviewDone, store.BizFilter{Limit: 100})
	if !hasBiz(done.Items, b3.ID) {
		t.Error("已审核 lacks the rejected business")
	}
	// Other depts and units see none of them.
	if other, _ := w.Store.ReviewBusinesses(w.Actor(t, "wh-dept"), store.BizCancel, store.ReviewPending, store.BizFilter{Limit: 100}); hasBiz(other.Items, b2.ID) {
		t.Error("another dept's queue holds it")
	}
	if _, err := w.Store.AppliedBusinesses(w.Actor(t, "hfcj-admin"), store.BizFilter{}); err != nil {
		t.Fatal(err)
	}
	if other, _ := w.Store.AppliedBusinesses(w.Actor(t, "hfcj-admin"), store.BizFilter{Limit: 200}); hasBiz(other.Items, b1.ID) {
		t.Error("another unit lists it")
	}
	if _, err := w.Store.Business(w.Actor(t, "hfcj-admin"), b1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another unit reads it: %v", err)
	}
	if _, _, err := w.Store.BusinessProof(w.Actor(t, "hfcj-admin"), b1.ID, b1.Proofs[0].Hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another unit reads its proof: %v", err)
	}
	if _, _, err := w.Store.BusinessProof(dept, b1.ID, b1.Proofs[0].Hash); err != nil {
		t.Errorf("its dept cannot read its proof: %v", err)
	}
	// 已申请业务 with filters.
	mine, _ := w.Store.AppliedBusinesses(unit, store.BizFilter{Kind: store.BizCancel, Limit: 200})
	if !hasBiz(mine.Items, b2.ID) || !hasBiz(mine.Items, b3.ID) || hasBiz(mine.Items, b1.ID) {
		t.Errorf("kind filter: %+v", mine.Items)
	}
	rej, _ := w.Store.AppliedBusinesses(unit, store.BizFilter{State: store.BizRejected, Limit: 200})
	if !hasBiz(rej.Items, b3.ID) || hasBiz(rej.Items, b2.ID) || rej.Total != int(counts[store.BizRejected]) {
		t.Errorf("state filter: %+v", rej)
	}
	byNum, _ := w.Store.AppliedBusinesses(unit, store.BizFilter{Q: certs[0].Number})
	if len(byNum.Items) != 1 || byNum.Items[0].ID != b1.ID {
		t.Errorf("number search: %+v", byNum.Items)
	}
	// The province's overview holds businesses and batch registrations.
	rows, _, err := w.Store.BusinessOverview(prov, store.BizFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[store.BizKind]int{}
	for _, r := range rows {
		kinds[r.Kind]++
	}
	if kinds[store.BizRegister] == 0 || kinds[store.BizChange] == 0 || kinds[store.BizCancel] == 0 {
		t.Errorf("overview kinds %v", kinds)
	}
	regs, _, _ := w.Store.BusinessOverview(prov, store.BizFilter{Kind: store.BizRegister, State: store.BizPendingDept, Limit: 200})
	for _, r := range regs {
		if r.Batch == nil || r.Batch.State != store.BatchPendingDept {
			t.Errorf("register filter row %+v", r)
		}
	}
	if len(regs) == 0 {
		t.Error("no pending registration in the overview")
	}
	mineOnly, _, _ := w.Store.BusinessOverview(prov, store.BizFilter{OrgID: w.Org(t, "demo-direct").ID, Limit: 200})
	for _, r := range mineOnly {
		if r.Org.ID != w.Org(t, "demo-direct").ID {
			t.Errorf("org filter row of %s", r.Org.Name)
		}
	}
	for _, user := range []string{"demo-dept", "ah-reviewer", "demo-unit"} {
		if _, _, err := w.Store.BusinessOverview(w.Actor(t, user), store.BizFilter{}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("%s reads the overview: %v", user, err)
		}
	}
	// The certificate's businesses.
	all, open, err := w.Store.CertificateBusinesses(w.Org(t, "demo-unit"), certs[2].Number)
	if err != nil || len(all) != 1 || open == nil || open.ID != b3.ID {
		t.Errorf("certificate businesses %v %+v %+v", err, all, open)
	}
	if all, _, _ := w.Store.CertificateBusinesses(w.Org(t, "hfcj-admin"), certs[2].Number); len(all) != 0 {
		t.Error("another unit sees a certificate's businesses")
	}
}

func hasBiz(list []store.Business, id uint64) bool {
	for _, b := range list {
		if b.ID == id {
			return true
		}
	}
	return false
}

// The demo holds businesses in every state for demo-unit and demo-direct.
func TestDemoBusinessesInEveryState(t *testing.T) {
	w := fixture.Demo(t)
	for user, states := range map[string][]store.BizState{
		"demo-unit":   {store.BizPendingDept, store.BizPendingProvince, store.BizApproved, store.BizRejected, store.BizWithdrawn},
		"demo-direct": {store.BizPendingProvince, store.BizApproved, store.BizRejected},
	} {
		counts, err := w.Store.BizStateCounts(w.Org(t, user).ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range states {
			if counts[st] == 0 {
				t.Errorf("%s has no business in %s", user, st)
			}
		}
	}
}

// The overview's export holds every row the filters select, in the list's
// order, and refuses more than the cap.
func TestBusinessOverviewExport(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	var paged []store.OverviewRow
	for off := 0; ; off += 5 {
		rows, more, err := w.Store.BusinessOverview(prov, store.BizFilter{Offset: off, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, rows...)
		if !more {
			break
		}
	}
	all, err := w.Store.BusinessOverviewExport(prov, store.BizFilter{Offset: 5, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(paged) || len(all) < 10 {
		t.Fatalf("export has %d rows, the pages %d", len(all), len(paged))
	}
	for i := range all {
		if all[i].Kind != paged[i].Kind || all[i].Business.ID != paged[i].Business.ID || (all[i].Batch == nil) != (paged[i].Batch == nil) {
			t.Fatalf("row %d differs: %+v vs %+v", i, all[i], paged[i])
		}
	}
	cancels, err := w.Store.BusinessOverviewExport(prov, store.BizFilter{Kind: store.BizCancel})
	if err != nil || len(cancels) == 0 {
		t.Fatalf("cancel export: %d rows, %v", len(cancels), err)
	}
	for _, r := range cancels {
		if r.Kind != store.BizCancel {
			t.Errorf("kind filter lets %s through", r.Kind)
		}
	}
	restore := store.SetBizExportCapForTest(len(all) - 1)
	defer restore()
	var ve *store.ValidationError
	if _, err := w.Store.BusinessOverviewExport(prov, store.BizFilter{}); !errors.As(err, &ve) || !strings.Contains(ve.Message, fmt.Sprintf("超过 %d 条", len(all)-1)) {
		t.Errorf("over the cap: %v", err)
	}
	if _, err := w.Store.BusinessOverviewExport(w.Actor(t, "ah-reviewer"), store.BizFilter{}); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("a reviewer without business.overview exports: %v", err)
	}
}
