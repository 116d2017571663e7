package store_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

func holders(n int, occ string, level int, seed int) []store.Holder {
	out := make([]store.Holder, n)
	for i := range out {
		// Unique per (seed, i) for i < 100: a different birth day each.
		id := idcard.Make("340102", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, seed*100+i), i%1000)
		out[i] = store.Holder{Name: fmt.Sprintf("测试%d", seed*10000+i), Gender: idcard.Gender(id), IDNumber: id, WorkUnit: "合肥建工集团",
			Occupation: occ, Level: level}
	}
	return out
}

func TestIssueNumbersAndCounters(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Org(t, "demo-unit") // region 3401
	dept := w.Org(t, "demo-dept")
	prov := w.Org(t, "demo-province")
	// The demo already holds certificates (demo/certs.go): count from there.
	base := map[uint64]uint64{}
	for _, o := range []store.Org{unit, dept, prov} {
		base[o.ID], _ = w.Store.ValidCertificates(o.ID)
	}
	monthsBefore, _ := w.Store.IssuedPerMonth(dept.ID, 6)
	hs := append(holders(3, "012", 5, 1), holders(2, "011", 4, 2)...)
	// Batch 1000: an id no demo batch has.
	certs, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 1000, Holders: hs, Username: "demo-province"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"26340101250001", "26340101250002", "26340101250003", "26340101140001", "26340101140002"}
	for i, c := range certs {
		if c.Number != want[i] || c.Status != store.CertValid || c.Version != 1 || c.OrgID != unit.ID || c.Region != "3401" {
			t.Errorf("cert %d: %+v", i, c)
		}
		if c.IssueDate.Format("2006-01-02") != "2026-11-28" {
			t.Errorf("issue date %v", c.IssueDate)
		}
	}
	for _, o := range []store.Org{unit, dept, prov} {
		if n, _ := w.Store.ValidCertificates(o.ID); n != base[o.ID]+5 {
			t.Errorf("%s valid counter %d", o.Name, n)
		}
	}
	months, _ := w.Store.IssuedPerMonth(dept.ID, 6)
	if len(months) != 6 || months[5].Count != monthsBefore[5].Count+5 || months[5].Month.Format("200601") != "202611" || months[0].Month.Format("200601") != "202606" {
		t.Errorf("per month %+v", months)
	}
	// Scope: the unit, its dept and the province see it; another dept does not.
	if _, err := w.Store.Certificate(dept, want[0]); err != nil {
		t.Error(err)
	}
	if _, err := w.Store.Certificate(w.Org(t, "wh-dept"), want[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another dept sees it: %v", err)
	}
	if _, err := w.Store.Certificate(w.Org(t, "hfcj-admin"), want[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another unit sees it: %v", err)
	}
	page, err := w.Store.Certificates(w.Actor(t, "demo-province"), store.CertQuery{Number: "2634010125", Sort: store.SortNumber, Limit: 2})
	if err != nil || len(page.Certs) != 2 || !page.More || page.Total != 3 || page.Certs[0].Number != "26340101250003" {
		t.Errorf("province list %+v: %v", page, err)
	}
	byBatch, _ := w.Store.BatchCertificates(unit, 1000)
	if len(byBatch) != 5 {
		t.Errorf("batch certs %d", len(byBatch))
	}
	// The same person, occupation and level cannot get a second valid one.
	_, err = w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 8, Holders: hs[:1]})
	verr(t, err, "已持有")
	segs := segmentsOf(t, w, "011", "012")
	if len(segs) != 2 || segs[0].Code != "2634010114" || segs[0].Current != 2 || segs[1].Current != 3 {
		t.Errorf("segments %+v", segs)
	}
}

func TestIssueIsAllOrNothing(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Org(t, "demo-unit")
	if _, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 1, Holders: holders(4, "012", 5, 1)}); err != nil {
		t.Fatal(err)
	}
	before := w.Store.CountCerts()
	store.SetIssueFailAfter(5)
	_, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 2, Holders: holders(10, "012", 5, 2)})
	store.SetIssueFailAfter(0)
	if err == nil || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("no injected failure: %v", err)
	}
	if got := w.Store.CountCerts(); got != before {
		t.Fatalf("%d certificates after a failed issue, want %d", got, before)
	}
	sg, _ := w.Store.Segment("2634010125")
	if sg.Current != 4 {
		t.Fatalf("serial moved to %d", sg.Current)
	}
	if n, _ := w.Store.ValidCertificates(unit.ID); n != demoValid(t, w, "demo-unit")+4 {
		t.Fatalf("counter %d", n)
	}
	// The next issue continues without a hole.
	certs, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 2, Holders: holders(10, "012", 5, 2)})
	if err != nil || certs[0].Number != "26340101250005" {
		t.Fatalf("after failure: %v %v", certs, err)
	}
}

func TestConcurrentIssueNoDuplicateNoGap(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Org(t, "demo-unit")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var numbers []string
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < 5; r++ {
				certs, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: uint64(g*10 + r), Holders: holders(7, "012", 5, 100+g*10+r)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, c := range certs {
					numbers = append(numbers, c.Number)
				}
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	sort.Strings(numbers)
	if len(numbers) != 8*5*7 {
		t.Fatalf("%d numbers", len(numbers))
	}
	for i, n := range numbers {
		if want := fmt.Sprintf("2634010125%04d", i+1); n != want {
			t.Fatalf("number %d is %s, want %s (duplicate or gap)", i, n, want)
		}
	}
}

func TestSegmentExhaustionFailsCleanly(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Org(t, "demo-unit")
	before := w.Store.CountCerts()
	if err := w.Store.PutSegmentForTest(store.Segment{Code: "2634010125", Year: 2026, Region: "3401", Occupation: "012", Level: 5,
		Start: 1, End: 9999, Current: 9997, Issued: 9997}); err != nil {
		t.Fatal(err)
	}
	_, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 1, Holders: append(holders(3, "012", 5, 1), holders(2, "011", 5, 2)...)})
	verr(t, err, "号码不足")
	verr(t, err, "还可发 2 个")
	if w.Store.CountCerts() != before {
		t.Fatal("certificates written")
	}
	if sg, _ := w.Store.Segment("2634010115"); sg.Code != "" {
		t.Fatal("the other segment was created")
	}
	certs, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 1, Holders: holders(2, "012", 5, 1)})
	if err != nil || certs[1].Number != "26340101259999" {
		t.Fatalf("%v %v", certs, err)
	}
}

func TestYearRollover(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Org(t, "demo-unit")
	cst := time.FixedZone("CST", 8*3600)
	w.Clock.Set(time.Date(2026, 12, 31, 23, 59, 0, 0, cst))
	a, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 1, Holders: holders(2, "012", 5, 1)})
	if err != nil {
		t.Fatal(err)
	}
	w.Clock.Set(time.Date(2027, 1, 1, 0, 1, 0, 0, cst))
	b, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 2, Holders: holders(2, "012", 5, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if a[1].Number != "26340101250002" || b[0].Number != "27340101250001" || b[0].IssueDate.Format("2006-01-02") != "2027-01-01" {
		t.Fatalf("%s %s %v", a[1].Number, b[0].Number, b[0].IssueDate)
	}
	old, _ := w.Store.Segments(store.SegmentFilter{Year: 2026, Occupation: "012"})
	if len(old) != 1 || old[0].Current != 2 {
		t.Fatalf("2026 segments %+v", old)
	}
}

func TestRaiseSegment(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Org(t, "demo-unit")
	if _, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 1, Holders: holders(3, "012", 5, 1)}); err != nil {
		t.Fatal(err)
	}
	prov := w.Actor(t, "demo-province")
	_, err := w.Store.RaiseSegment(prov, "2634010125", 2, 9999)
	verr(t, err, "只能调高")
	_, err = w.Store.RaiseSegment(prov, "2634010125", 3, 9000)
	verr(t, err, "只能调高")
	if _, err := w.Store.RaiseSegment(w.Actor(t, "demo-dept"), "2634010125", 100, 9999); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("dept raised: %v", err)
	}
	if _, err := w.Store.RaiseSegment(w.Actor(t, "ah-reviewer"), "2634010125", 100, 9999); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("reviewer without segment.manage raised: %v", err)
	}
	sg, err := w.Store.RaiseSegment(prov, "2634010125", 100, 9999)
	if err != nil || sg.Current != 100 {
		t.Fatal(err)
	}
	certs, _ := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, BatchID: 2, Holders: holders(1, "012", 5, 2)})
	if certs[0].Number != "26340101250101" {
		t.Fatalf("after raise: %s", certs[0].Number)
	}
}

// segmentsOf lists the 2026 segments of the given occupations.
func segmentsOf(t *testing.T, w *fixture.World, occs ...string) []store.Segment {
	t.Helper()
	var out []store.Segment
	for _, o := range occs {
		segs, err := w.Store.Segments(store.SegmentFilter{Year: 2026, Occupation: o})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, segs...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// demoValid is the number of valid demo certificates of a user's
// organisation in a fresh demo world.
func demoValid(t *testing.T, w *fixture.World, username string) uint64 {
	t.Helper()
	fresh := fixture.Demo(t)
	n, err := fresh.Store.ValidCertificates(fresh.Org(t, username).ID)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
