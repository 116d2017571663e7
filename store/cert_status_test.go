package store_test

import (
	"certreg/certlayout"

	"errors"
	"fmt"
	"strings"
	"testing"

	"certreg/fixture"
	"certreg/store"
)

func valid(t *testing.T, w *fixture.World, username string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, u := range []string{"demo-unit", "demo-dept", "demo-province"} {
		out[u], _ = w.Store.ValidCertificates(w.Org(t, u).ID)
	}
	return out
}

func findCount(t *testing.T, w *fixture.World, user string, q store.CertQuery) int {
	t.Helper()
	page, err := w.Store.Certificates(w.Actor(t, user), q)
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}

// 注销 and 激活: who may, the reason, the states, the holder index, the valid
// counters of every level, the list indexes, the history and the log.
func TestCancelAndActivateCertificate(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Org(t, "demo-unit")
	certs, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 3, Holders: holders(2, "012", 5, 41), Username: "ah-reviewer"})
	if err != nil {
		t.Fatal(err)
	}
	c := certs[0]
	if c.History[0].OrgName != "安徽省住房和城乡建设厅" {
		t.Errorf("registration by %q", c.History[0].OrgName)
	}
	prov := w.Actor(t, "demo-province")
	for _, u := range []string{"demo-unit", "demo-dept", "ah-reviewer"} {
		if _, err := w.Store.CancelCertificate(w.Actor(t, u), c.Number, "原因"); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("%s cancelled: %v", u, err)
		}
	}
	_, err = w.Store.CancelCertificate(prov, c.Number, "  ")
	var ve *store.ValidationError
	if !errors.As(err, &ve) || ve.Field != "reason" {
		t.Fatalf("empty reason: %v", err)
	}
	_, err = w.Store.CancelCertificate(prov, c.Number, strings.Repeat("长", 201))
	verr(t, err, "不能超过")
	if _, err := w.Store.CancelCertificate(prov, "26349999990001", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown number: %v", err)
	}
	before := valid(t, w, "")
	cancelledBefore := findCount(t, w, "demo-province", store.CertQuery{Status: store.CertCancelled})
	got, err := w.Store.CancelCertificate(prov, c.Number, "持证人申请注销")
	if err != nil {
		t.Fatal(err)
	}
	last := got.History[len(got.History)-1]
	if got.Status != store.CertCancelled || last.Kind != "注销" || !strings.Contains(last.Detail, "持证人申请注销") || last.Username != "demo-province" {
		t.Fatalf("after cancel: %+v", got)
	}
	after := valid(t, w, "")
	for u := range before {
		if after[u] != before[u]-1 {
			t.Errorf("%s valid %d → %d", u, before[u], after[u])
		}
	}
	if n := w.Store.HolderForTest(c.IDNumber, c.Occupation, c.Level); n != "" {
		t.Errorf("holder index still has %s", n)
	}
	if n := findCount(t, w, "demo-province", store.CertQuery{Status: store.CertCancelled}); n != cancelledBefore+1 {
		t.Errorf("cancelled list %d, want %d", n, cancelledBefore+1)
	}
	if n := findCount(t, w, "demo-unit", store.CertQuery{Status: store.CertValid, Number: c.Number}); n != 0 {
		t.Error("still listed as valid")
	}
	// The newest cancellation in the province's log (the demo's own is older).
	logs, _, _ := w.Store.Logs(store.LogFilter{OrgID: prov.OrgID, Action: store.ActCertCancel})
	if len(logs) != 2 || logs[0].Target != c.Number || !strings.Contains(logs[0].Detail, "持证人申请注销") {
		t.Errorf("log %+v", logs)
	}
	_, err = w.Store.CancelCertificate(prov, c.Number, "再次")
	verr(t, err, "只有有效的证书可以注销")

	// The holder gets a new certificate for the same occupation and level:
	// the old one cannot come back while it is valid.
	again, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 4, Holders: holders(1, "012", 5, 41)})
	if err != nil {
		t.Fatalf("reissue after cancel: %v", err)
	}
	_, err = w.Store.ActivateCertificate(prov, c.Number, "误注销")
	verr(t, err, "已持有同职业（工种）同等级的有效证书 "+again[0].Number)
	if cur, _ := w.Store.Certificate(unit, c.Number); cur.Status != store.CertCancelled {
		t.Fatal("refused activation changed the certificate")
	}
	if _, err := w.Store.CancelCertificate(prov, again[0].Number, "重复发证"); err != nil {
		t.Fatal(err)
	}
	// Nor while the holder is in a batch under review.
	if err := w.Store.PutUnderReviewForTest(c.IDNumber, c.Occupation, c.Level, 77); err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.ActivateCertificate(prov, c.Number, "误注销")
	verr(t, err, "正在批次 P000077 中审核")
	if err := w.Store.PutUnderReviewForTest(c.IDNumber, c.Occupation, c.Level, 0); err != nil {
		t.Fatal(err)
	}
	mid := valid(t, w, "")
	got, err = w.Store.ActivateCertificate(prov, c.Number, "注销有误，予以恢复")
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	if got.Status != store.CertValid || got.History[len(got.History)-1].Kind != "激活" {
		t.Errorf("after activate: %+v", got)
	}
	end := valid(t, w, "")
	for u := range mid {
		if end[u] != mid[u]+1 {
			t.Errorf("%s valid %d → %d after activation", u, mid[u], end[u])
		}
	}
	if n := w.Store.HolderForTest(c.IDNumber, c.Occupation, c.Level); n != c.Number {
		t.Errorf("holder index %q after activation", n)
	}
	_, err = w.Store.ActivateCertificate(prov, c.Number, "再次")
	verr(t, err, "只有已注销的证书可以激活")

	// A superseded certificate is neither cancelled nor activated.
	if err := w.Store.SupersedeForTest(certs[1].Number, "26340101259999"); err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.ActivateCertificate(prov, certs[1].Number, "x")
	verr(t, err, "已补办为新证书 26340101259999")
	_, err = w.Store.CancelCertificate(prov, certs[1].Number, "x")
	verr(t, err, "只有有效的证书可以注销")
	if n := findCount(t, w, "demo-dept", store.CertQuery{Status: store.CertSuperseded, Number: certs[1].Number}); n != 1 {
		t.Error("superseded not in its index")
	}
}

// Printing is the issuing unit's, of valid certificates, at most 500; it is
// recorded and indexed, and the status can be set by hand.
func TestPrintRecordsAndMarks(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Org(t, "demo-unit")
	certs, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 1, Holders: holders(3, "012", 5, 42)})
	if err != nil {
		t.Fatal(err)
	}
	nums := []string{certs[0].Number, certs[1].Number, certs[0].Number}
	ua := w.Actor(t, "demo-unit")
	if _, err := w.Store.PrintableCertificates(w.Actor(t, "hfcj-admin"), nums); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another unit: %v", err)
	}
	if _, err := w.Store.PrintableCertificates(w.Actor(t, "demo-dept"), nums); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("dept: %v", err)
	}
	if _, err := w.Store.SetPrinted(w.Actor(t, "hfcj-admin"), nums, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another unit marks: %v", err)
	}
	many := make([]string, store.MaxPrintBatch+1)
	for i := range many {
		many[i] = fmt.Sprintf("2634010125%04d", i+1)
	}
	_, err = w.Store.PrintableCertificates(ua, many)
	verr(t, err, "一次最多处理 500 本")
	got, err := w.Store.PrintableCertificates(ua, nums)
	if err != nil || len(got) != 2 || got[0].Number != certs[0].Number {
		t.Fatalf("printable: %v %v", got, err)
	}
	unprintedBefore := findCount(t, w, "demo-unit", store.CertQuery{Printed: "no"})
	if _, err := w.Store.RecordPrint(ua, nums, "测试格式"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.RecordPrint(ua, nums[:1], "测试格式"); err != nil {
		t.Fatal(err)
	}
	c0, _ := w.Store.Certificate(unit, certs[0].Number)
	if !c0.Printed || c0.PrintCount != 2 || c0.LastPrintedBy != "demo-unit" || !strings.Contains(c0.History[len(c0.History)-1].Detail, "第 2 次打印，格式：测试格式") {
		t.Errorf("print record: %+v", c0)
	}
	if n := findCount(t, w, "demo-unit", store.CertQuery{Printed: "no"}); n != unprintedBefore-2 {
		t.Errorf("unprinted %d, want %d", n, unprintedBefore-2)
	}
	if n := findCount(t, w, "demo-unit", store.CertQuery{Printed: "yes", Number: certs[0].Number[:10]}); n != 2 {
		t.Errorf("printed in segment: %d", n)
	}
	n, err := w.Store.SetPrinted(ua, []string{certs[0].Number, certs[2].Number}, false)
	if err != nil || n != 1 {
		t.Fatalf("mark unprinted: %d %v", n, err)
	}
	c0, _ = w.Store.Certificate(unit, certs[0].Number)
	if c0.Printed || c0.PrintCount != 2 || c0.History[len(c0.History)-1].Kind != "打印状态" {
		t.Errorf("after mark: %+v", c0)
	}
	_, err = w.Store.SetPrinted(ua, []string{certs[2].Number}, false)
	verr(t, err, "已经是未打印状态")
	// A cancelled certificate is not printed.
	if _, err := w.Store.CancelCertificate(w.Actor(t, "demo-province"), certs[2].Number, "测试"); err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.RecordPrint(ua, []string{certs[2].Number}, "x")
	verr(t, err, "不能打印")
}

// Print formats: the organisation's own, validated by certlayout, unique
// names, the first one the default, copies with new names.
func TestPrintFormats(t *testing.T) {
	w := fixture.Demo(t)
	a := w.Actor(t, "demo-direct")
	if list, def, err := w.Store.PrintFormats(a); err != nil || len(list) != 0 || def != 0 {
		t.Fatalf("fresh: %v %d %v", list, def, err)
	}
	if _, _, err := w.Store.PrintFormats(w.Actor(t, "demo-dept")); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("dept: %v", err)
	}
	f := certlayout.DefaultFormat(certlayout.ModeOverlay)
	f.Name = "  预印纸  "
	bad := f
	bad.Paper = "B5"
	_, err := w.Store.SavePrintFormat(a, 0, 0, bad)
	verr(t, err, "纸张只能是")
	pf, err := w.Store.SavePrintFormat(a, 0, 0, f)
	if err != nil || pf.Format.Name != "预印纸" {
		t.Fatalf("create: %+v %v", pf, err)
	}
	if _, def, _ := w.Store.PrintFormats(a); def != pf.ID {
		t.Errorf("first format is not the default: %d", def)
	}
	_, err = w.Store.SavePrintFormat(a, 0, 0, f)
	verr(t, err, "已有同名")
	c1, err := w.Store.CopyPrintFormat(a, pf.ID)
	if err != nil || c1.Format.Name != "预印纸（副本）" || c1.Format.Mode != certlayout.ModeOverlay {
		t.Fatalf("copy: %+v %v", c1, err)
	}
	c2, _ := w.Store.CopyPrintFormat(a, pf.ID)
	if c2.Format.Name != "预印纸（副本2）" {
		t.Errorf("second copy %q", c2.Format.Name)
	}
	// Changing a copy leaves the original alone.
	c1.Format.OffsetX = 3
	if _, err := w.Store.SavePrintFormat(a, c1.ID, 0, c1.Format); err != nil {
		t.Fatal(err)
	}
	if orig, _ := w.Store.PrintFormat(a, pf.ID); orig.Format.OffsetX != 0 {
		t.Error("copy shares the original's data")
	}
	other := w.Actor(t, "demo-unit")
	if _, err := w.Store.PrintFormat(other, pf.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another unit reads it: %v", err)
	}
	if err := w.Store.DeletePrintFormat(other, pf.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another unit deletes it: %v", err)
	}
	if err := w.Store.SetDefaultPrintFormat(a, c2.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.Store.DeletePrintFormat(a, c2.ID); err != nil {
		t.Fatal(err)
	}
	list, def, _ := w.Store.PrintFormats(a)
	if len(list) != 2 || def != pf.ID {
		t.Errorf("after deleting the default: %d formats, default %d", len(list), def)
	}
	logs, _, _ := w.Store.Logs(store.LogFilter{OrgID: a.OrgID, Limit: 50})
	kinds := map[store.Action]int{}
	for _, l := range logs {
		kinds[l.Action]++
	}
	if kinds[store.ActPrintFormatCreate] != 3 || kinds[store.ActPrintFormatDelete] != 1 || kinds[store.ActPrintFormatPick] != 1 || kinds[store.ActPrintFormatEdit] != 1 {
		t.Errorf("log %v", kinds)
	}
}

// The names a print offers (PrintFormatNames, kept in memory) follow every
// creation, copy, rename, deletion and change of default at once, and stay
// the organisation's own.
func TestPrintFormatNamesFollowEveryChange(t *testing.T) {
	w := fixture.Demo(t)
	a, other := w.Actor(t, "demo-direct"), w.Actor(t, "demo-unit")
	names := func(a store.Actor) string {
		t.Helper()
		list, def, err := w.Store.PrintFormatNames(a)
		if err != nil {
			t.Fatal(err)
		}
		out := fmt.Sprint(def)
		for _, n := range list {
			out += fmt.Sprintf(" %d:%s", n.ID, n.Name)
		}
		return out
	}
	if got := names(a); got != "0" {
		t.Fatalf("fresh: %q", got)
	}
	others := names(other)
	f := certlayout.DefaultFormat(certlayout.ModeFull)
	f.Name = "全打印"
	pf, err := w.Store.SavePrintFormat(a, 0, 0, f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(a), fmt.Sprintf("%d %d:全打印", pf.ID, pf.ID); got != want {
		t.Errorf("after creating: %q, want %q", got, want)
	}
	cp, err := w.Store.CopyPrintFormat(a, pf.ID)
	if err != nil {
		t.Fatal(err)
	}
	cp.Format.Name = "套打"
	if _, err := w.Store.SavePrintFormat(a, cp.ID, 0, cp.Format); err != nil {
		t.Fatal(err)
	}
	if got, want := names(a), fmt.Sprintf("%d %d:全打印 %d:套打", pf.ID, pf.ID, cp.ID); got != want {
		t.Errorf("after copying and renaming: %q, want %q", got, want)
	}
	if err := w.Store.SetDefaultPrintFormat(a, cp.ID); err != nil {
		t.Fatal(err)
	}
	if got, want := names(a), fmt.Sprintf("%d %d:全打印 %d:套打", cp.ID, pf.ID, cp.ID); got != want {
		t.Errorf("after a new default: %q, want %q", got, want)
	}
	if err := w.Store.DeletePrintFormat(a, pf.ID); err != nil {
		t.Fatal(err)
	}
	if got, want := names(a), fmt.Sprintf("%d %d:套打", cp.ID, cp.ID); got != want {
		t.Errorf("after deleting: %q, want %q", got, want)
	}
	if got := names(other); got != others {
		t.Errorf("another unit's formats %q, were %q", got, others)
	}
	if _, _, err := w.Store.PrintFormatNames(w.Actor(t, "demo-dept")); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("dept: %v", err)
	}
}
