package store_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

// libraryWorld is a demo world with a few thousand certificates of several
// organisations, issued on different days, some printed, cancelled and
// re-activated, so that every index and counter has moved.
type libraryWorld struct {
	w     *fixture.World
	certs []store.Certificate
}

var libNames = []string{"王伟", "王伟", "王芳", "王", "李娜", "李静", "张伟", "张秀英", "刘洋", "陈杰", "欧阳娜娜", "阿依·努尔"}

func newLibrary(t *testing.T, perOrg int) *libraryWorld {
	t.Helper()
	w := fixture.Demo(t)
	rng := rand.New(rand.NewPCG(7, 7))
	type plan struct {
		user string
		occs []string
	}
	plans := []plan{
		{"demo-unit", []string{"012", "011", "013"}},
		{"hfcj-admin", []string{"012", "018"}},
		{"whpx-admin", []string{"012", "011"}},
		{"demo-direct", []string{"031", "012"}},
	}
	seq := 0
	for day := 0; day < 6; day++ {
		w.Clock.Advance(time.Duration(20+rng.IntN(40)) * 24 * time.Hour)
		for _, p := range plans {
			org := w.Org(t, p.user)
			var hs []store.Holder
			for i := 0; i < perOrg/6; i++ {
				seq++
				id := idcard.Make([]string{"340102", "340104", "342102"}[seq%3], time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, seq), seq%1000)
				hs = append(hs, store.Holder{Name: libNames[rng.IntN(len(libNames))], Gender: idcard.Gender(id), IDNumber: id, WorkUnit: "某建筑公司",
					Occupation: p.occs[rng.IntN(len(p.occs))], Level: []int{5, 5, 5, 4, 4, 3, 1}[rng.IntN(7)]})
			}
			if _, err := w.Store.IssueForTest(store.IssueRequest{OrgID: org.ID, BatchID: uint64(day + 1), Holders: hs, Username: "demo-province"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	lw := &libraryWorld{w: w}
	all := w.Store.AllCertsForTest()
	// Status and print changes through the store's own paths.
	prov := w.Actor(t, "demo-province")
	var cancelled []string
	for i, c := range all {
		if i%23 == 0 && c.Status == store.CertValid {
			if _, err := w.Store.CancelCertificate(prov, c.Number, "测试注销"); err != nil {
				t.Fatal(err)
			}
			cancelled = append(cancelled, c.Number)
		}
	}
	for i, n := range cancelled {
		if i%3 == 0 {
			if _, err := w.Store.ActivateCertificate(prov, n, "测试激活"); err != nil {
				t.Fatal(err)
			}
		}
	}
	byOrg := map[uint64][]string{}
	for i, c := range w.Store.AllCertsForTest() {
		if i%3 != 0 && c.Status == store.CertValid {
			byOrg[c.OrgID] = append(byOrg[c.OrgID], c.Number)
		}
	}
	for _, p := range plans {
		org := w.Org(t, p.user)
		nums := byOrg[org.ID]
		if len(nums) > store.MaxPrintBatch {
			nums = nums[:store.MaxPrintBatch]
		}
		if len(nums) == 0 {
			continue
		}
		a := w.Actor(t, p.user)
		if _, err := w.Store.RecordPrint(a, nums, "测试格式"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Store.SetPrinted(a, nums[:len(nums)/4], false); err != nil {
			t.Fatal(err)
		}
	}
	lw.certs = w.Store.AllCertsForTest()
	return lw
}

// expect is the brute-force answer to a query of a scope.
func (lw *libraryWorld) expect(scope uint64, q store.CertQuery, order string) []store.Certificate {
	var out []store.Certificate
	day := func(t time.Time) string { return t.In(time.FixedZone("CST", 8*3600)).Format("20060102") }
	for _, c := range lw.certs {
		in := c.OrgID == scope || slices.Contains(c.OrgPath, scope)
		switch {
		case !in:
		case q.Number != "" && !strings.HasPrefix(c.Number, q.Number):
		case q.Name != "" && !strings.HasPrefix(store.NormalizeName(c.Name), store.NormalizeName(q.Name)):
		case q.IDNumber != "" && !strings.HasPrefix(c.IDNumber, idcard.Normalize(q.IDNumber)):
		case q.Occupation != "" && c.Occupation != q.Occupation:
		case q.Level != 0 && c.Level != q.Level:
		case q.Status != "" && c.Status != q.Status:
		case q.Printed == "yes" && !c.Printed, q.Printed == "no" && c.Printed:
		case !q.From.IsZero() && day(c.IssueDate) < day(q.From):
		case !q.To.IsZero() && day(c.IssueDate) > day(q.To):
		default:
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !q.Asc && (order == store.SortDate || order == store.SortNumber) {
			a, b = b, a
		}
		switch order {
		case store.SortDate:
			if !a.IssueDate.Equal(b.IssueDate) {
				return a.IssueDate.Before(b.IssueDate)
			}
		case store.SortName:
			if na, nb := store.NormalizeName(a.Name), store.NormalizeName(b.Name); na != nb {
				if !q.Asc {
					return na > nb
				}
				return na < nb
			}
			if !q.Asc {
				return a.Number > b.Number
			}
		case store.SortID:
			if a.IDNumber != b.IDNumber {
				if !q.Asc {
					return a.IDNumber > b.IDNumber
				}
				return a.IDNumber < b.IDNumber
			}
			if !q.Asc {
				return a.Number > b.Number
			}
		}
		return a.Number < b.Number
	})
	return out
}

func numbers(cs []store.Certificate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Number
	}
	return out
}

// check runs q as the actor and compares with brute force.
func (lw *libraryWorld) check(t *testing.T, user string, q store.CertQuery) store.CertPage {
	t.Helper()
	w := lw.w
	a := w.Actor(t, user)
	page, err := w.Store.Certificates(a, q)
	if err != nil {
		t.Fatalf("%+v: %v", q, err)
	}
	scope := a.OrgID
	if q.OrgID != 0 {
		scope = q.OrgID
	}
	want := lw.expect(scope, q, page.Order)
	wantOrder := q.Sort
	if wantOrder == "" {
		wantOrder = store.SortDate
	}
	fallback := page.Order == store.SortName && q.Name != "" || page.Order == store.SortID && q.IDNumber != "" ||
		page.Order == store.SortNumber && (len(idcard.Normalize(q.IDNumber)) == 18 || q.Number != "") ||
		page.Order == store.SortDate && (!q.From.IsZero() || !q.To.IsZero())
	if page.Order != wantOrder && !fallback {
		t.Errorf("%s %+v: order %s", user, q, page.Order)
	}
	limit := q.Limit
	if limit == 0 {
		limit = 20
	}
	from, to := min(q.Offset, len(want)), min(q.Offset+limit, len(want))
	if got, exp := numbers(page.Certs), numbers(want[from:to]); !reflect.DeepEqual(got, exp) && !(len(got) == 0 && len(exp) == 0) {
		t.Errorf("%s %+v (order %s): page\n got %v\nwant %v", user, q, page.Order, got, exp)
	}
	if page.Exact {
		if page.Total != len(want) || page.More != (q.Offset+limit < len(want)) {
			t.Errorf("%s %+v: total %d more %v, want %d", user, q, page.Total, page.More, len(want))
		}
	} else if page.Total > len(want) || !page.More {
		t.Errorf("%s %+v: lower bound %d more %v, but %d match", user, q, page.Total, page.More, len(want))
	}
	return page
}

// Every filter, alone and combined, in every scope and order, against a
// brute-force filter of the records; with small in-memory limits so that
// every plan (gather and sort, stream along an index, fall back to name or
// ID order, count within the budget) runs.
func TestCertificateQueriesMatchBruteForce(t *testing.T) {
	lw := newLibrary(t, 360)
	t.Logf("%d certificates", len(lw.certs))
	for _, limits := range [][3]int{{5000, 20000, 60000}, {40, 300, 60000}, {0, 50, 0}, {20, 50, 100}} {
		restore := store.SetQueryLimitsForTest(limits[0], limits[1], limits[2])
		rng := rand.New(rand.NewPCG(1, uint64(limits[0])))
		users := []string{"demo-unit", "demo-dept", "demo-province", "demo-direct", "wh-dept"}
		pick := func() store.Certificate { return lw.certs[rng.IntN(len(lw.certs))] }
		for i := 0; i < 400; i++ {
			user := users[rng.IntN(len(users))]
			c := pick()
			q := store.CertQuery{Sort: []string{"", store.SortNumber, store.SortDate}[rng.IntN(3)], Asc: rng.IntN(2) == 0,
				Limit: []int{0, 7, 20}[rng.IntN(3)]}
			q.Offset = []int{0, 0, 5, 20, 100, 300}[rng.IntN(6)]
			for f := rng.IntN(3); f >= 0; f-- {
				switch rng.IntN(10) {
				case 0:
					q.Number = c.Number[:[]int{2, 6, 9, 10, 12, 14}[rng.IntN(6)]]
				case 1:
					q.Name = string([]rune(c.Name)[:1+rng.IntN(len([]rune(c.Name)))])
				case 2:
					q.IDNumber = c.IDNumber[:[]int{4, 6, 10, 18}[rng.IntN(4)]]
				case 3:
					q.Occupation = c.Occupation
				case 4:
					q.Level = c.Level
				case 5:
					q.Status = []store.CertStatus{store.CertValid, store.CertCancelled}[rng.IntN(2)]
				case 6:
					q.Printed = []string{"yes", "no"}[rng.IntN(2)]
				case 7:
					q.From = c.IssueDate.AddDate(0, 0, -rng.IntN(60))
				case 8:
					q.To = c.IssueDate.AddDate(0, 0, rng.IntN(60))
				case 9:
					if user == "demo-province" || user == "demo-dept" {
						q.OrgID = w(t, lw, []string{"demo-unit", "hfcj-admin"}[rng.IntN(2)])
					}
				}
			}
			lw.check(t, user, q)
		}
		restore()
	}
}

func w(t *testing.T, lw *libraryWorld, user string) uint64 { return lw.w.Org(t, user).ID }

// Single filters are exact from the counters and read only about a page
// of index entries.
func TestSingleFiltersUseIndexesAndCounters(t *testing.T) {
	lw := newLibrary(t, 240)
	c := lw.certs[len(lw.certs)/2]
	for _, q := range []store.CertQuery{
		{}, {Sort: store.SortNumber}, {Asc: true},
		{Occupation: "011"}, {Occupation: "011", Sort: store.SortNumber},
		{Level: 1}, {Level: 5, Sort: store.SortNumber},
		{Status: store.CertCancelled}, {Status: store.CertValid},
		{Printed: "no"}, {Printed: "yes", Sort: store.SortNumber},
		{From: c.IssueDate, To: c.IssueDate},
		{Number: c.Number}, {Number: c.Number[:10], Sort: store.SortNumber},
		{Name: c.Name}, {IDNumber: c.IDNumber},
		{OrgID: c.OrgID},
	} {
		page := lw.check(t, "demo-province", q)
		if !page.Exact {
			t.Errorf("%+v: total not exact", q)
		}
		// Prefix searches count their matches on the index; the others
		// read about a page, except a value listed by date asked for by
		// number (it reads the numbers until its page is full).
		byNumber := q.Sort == store.SortNumber && (q.Occupation != "" || q.Level != 0 || q.Printed != "")
		if limit := max(60, page.Total+30); page.Scanned > limit && !byNumber && q.From.IsZero() {
			t.Errorf("%+v: %d index entries read for one page", q, page.Scanned)
		}
	}
	// Deep pages are read from the far end.
	all, _ := lw.w.Store.Certificates(lw.w.Actor(t, "demo-province"), store.CertQuery{})
	deep := lw.check(t, "demo-province", store.CertQuery{Offset: all.Total - 20, Limit: 20})
	if deep.Scanned > 40 {
		t.Errorf("last page read %d entries", deep.Scanned)
	}
}

// reindexCertTx keeps exactly the keys and counters a fresh build of the
// indexes writes, after issuance, cancel, activate, print and marks.
func TestReindexKeepsIndexesExact(t *testing.T) {
	lw := newLibrary(t, 120)
	before, after, err := lw.w.Store.RebuildIndexForTest()
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != len(after) {
		t.Errorf("kept %d index keys and counters, a rebuild writes %d", len(before), len(after))
	}
	for k, v := range after {
		if before[k] != v {
			t.Errorf("key %q: kept %x, rebuilt %x", k, before[k], v)
			break
		}
	}
}

func TestCertificateQueryScopeAndValidation(t *testing.T) {
	lw := newLibrary(t, 60)
	st := lw.w.Store
	// An organisation outside the viewer's scope does not exist for it.
	if _, err := st.Certificates(lw.w.Actor(t, "demo-dept"), store.CertQuery{OrgID: w(t, lw, "whpx-admin")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("dept filtered by another dept's unit: %v", err)
	}
	if _, err := st.Certificates(lw.w.Actor(t, "demo-unit"), store.CertQuery{OrgID: w(t, lw, "hfcj-admin")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unit filtered by another unit: %v", err)
	}
	// A unit never sees another unit's certificates.
	page, _ := st.Certificates(lw.w.Actor(t, "demo-unit"), store.CertQuery{Limit: 500})
	unit := w(t, lw, "demo-unit")
	for _, c := range page.Certs {
		if c.OrgID != unit {
			t.Fatalf("unit sees %s of org %d", c.Number, c.OrgID)
		}
	}
	for _, q := range []store.CertQuery{{Number: "26a"}, {IDNumber: "3401*"}, {Level: 9}, {Status: "x"}, {Printed: "maybe"},
		{From: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}} {
		_, err := st.Certificates(lw.w.Actor(t, "demo-province"), q)
		var ve *store.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%+v: %v, want a validation error", q, err)
		}
	}
	// Full-width digits, spaces and a lower-case x are normalised.
	c := lw.certs[3]
	fw := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, c.IDNumber)
	page, err := st.Certificates(lw.w.Actor(t, "demo-province"), store.CertQuery{IDNumber: " " + fw})
	if err != nil || page.Total < 1 {
		t.Errorf("full-width ID: %+v %v", page.Total, err)
	}
	page, _ = st.Certificates(lw.w.Actor(t, "demo-province"), store.CertQuery{Name: " " + string([]rune(c.Name)[0]) + " "})
	if page.Total < 1 {
		t.Error("name with spaces found nothing")
	}
	_ = fmt.Sprint()
}

// walk pages through a query with Next cursors and returns every row.
func (lw *libraryWorld) walk(t *testing.T, user string, q store.CertQuery) ([]string, int) {
	t.Helper()
	a := lw.w.Actor(t, user)
	var got []string
	pages := 0
	for {
		page, err := lw.w.Store.Certificates(a, q)
		if err != nil {
			t.Fatalf("%s %+v: %v", user, q, err)
		}
		pages++
		got = append(got, numbers(page.Certs)...)
		if !page.More || page.Next == "" || pages > 1000 {
			return got, pages
		}
		q.After, q.Offset = page.Next, 0
	}
}

// Following the Next cursor from the first page lists every match once, in
// order, whatever the plan; Before from a page gives the page before it.
func TestCursorPagingListsEveryRow(t *testing.T) {
	lw := newLibrary(t, 240)
	c := lw.certs[len(lw.certs)/3]
	for _, limits := range [][3]int{{5000, 20000, 40000}, {40, 300, 40000}} {
		restore := store.SetQueryLimitsForTest(limits[0], limits[1], limits[2])
		for _, tc := range []struct {
			user string
			q    store.CertQuery
		}{
			{"demo-province", store.CertQuery{Limit: 37}},
			{"demo-province", store.CertQuery{Sort: store.SortNumber, Asc: true, Limit: 50}},
			{"demo-province", store.CertQuery{Occupation: "012", Sort: store.SortNumber, Limit: 20}},
			{"demo-province", store.CertQuery{Occupation: "012", Printed: "no", Limit: 20}},
			{"demo-province", store.CertQuery{Name: "王", Limit: 15}},
			{"demo-province", store.CertQuery{IDNumber: c.IDNumber[:6], Asc: true, Limit: 25}},
			{"demo-province", store.CertQuery{From: c.IssueDate.AddDate(0, 0, -40), To: c.IssueDate, Limit: 20}},
			{"demo-dept", store.CertQuery{Limit: 30}},
			{"demo-dept", store.CertQuery{Level: 5, Sort: store.SortNumber, Limit: 30}},
			{"demo-unit", store.CertQuery{Status: store.CertValid, Limit: 45}},
		} {
			got, pages := lw.walk(t, tc.user, tc.q)
			first, _ := lw.w.Store.Certificates(lw.w.Actor(t, tc.user), tc.q)
			scope := lw.w.Actor(t, tc.user).OrgID
			want := numbers(lw.expect(scope, tc.q, first.Order))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %+v (order %s): %d rows in %d pages, want %d\n got %v\nwant %v", tc.user, tc.q, first.Order, len(got), pages, len(want), got, want)
				continue
			}
			// Back from the third page.
			if len(want) > 3*tc.q.Limit {
				q := tc.q
				q.After = first.Next
				second, _ := lw.w.Store.Certificates(lw.w.Actor(t, tc.user), q)
				q.After = second.Next
				third, _ := lw.w.Store.Certificates(lw.w.Actor(t, tc.user), q)
				q.After, q.Before = "", third.Prev
				back, err := lw.w.Store.Certificates(lw.w.Actor(t, tc.user), q)
				if err != nil || !reflect.DeepEqual(numbers(back.Certs), numbers(second.Certs)) {
					t.Errorf("%s %+v: before the third page %v (%v), want the second %v", tc.user, tc.q, numbers(back.Certs), err, numbers(second.Certs))
				}
			}
		}
		restore()
	}
	// A cursor that is not one is a validation error.
	for _, bad := range []string{"x", "d:zz", "q:0102030405060708", "n:01"} {
		_, err := lw.w.Store.Certificates(lw.w.Actor(t, "demo-province"), store.CertQuery{After: bad})
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != "page" {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
}

// A page asked for by number starts at most maxDepth rows from either end
// of the list; deeper, the message asks to narrow the query, and cursors
// still go on.
func TestDeepPagesByNumberAreRefused(t *testing.T) {
	lw := newLibrary(t, 240)
	defer store.SetScanLimitsForTest(40000, 100)()
	a := lw.w.Actor(t, "demo-province")
	all, _ := lw.w.Store.Certificates(a, store.CertQuery{})
	if all.Total < 400 {
		t.Fatalf("only %d certificates", all.Total)
	}
	_, err := lw.w.Store.Certificates(a, store.CertQuery{Offset: 200, Limit: 20})
	var ve *store.ValidationError
	if !errors.As(err, &ve) || ve.Field != "page" || !strings.Contains(ve.Message, "只能按页码查看前 100 条和最后 100 条结果") || !strings.Contains(ve.Message, "请增加查询条件") {
		t.Fatalf("deep page: %v", err)
	}
	// Near the end (read backwards) and within the depth: answered.
	lw.check(t, "demo-province", store.CertQuery{Offset: all.Total - 30, Limit: 20})
	lw.check(t, "demo-province", store.CertQuery{Offset: 100, Limit: 20})
	// A combination without an exact total cannot be read from the end.
	if _, err := lw.w.Store.Certificates(a, store.CertQuery{Occupation: "012", Printed: "yes", Offset: 150}); !errors.As(err, &ve) {
		t.Errorf("deep page of a combination: %v", err)
	}
	// Cursors go past the depth.
	got, _ := lw.walk(t, "demo-province", store.CertQuery{Limit: 100})
	if len(got) != all.Total {
		t.Errorf("cursor walk: %d rows, want %d", len(got), all.Total)
	}
}

// A rare combination that does not fill its page within the scan budget
// answers what it found, marked Partial, and its Next cursor goes on from
// where the walk stopped: walking on finds every match.
func TestScanBudgetMarksPartialPages(t *testing.T) {
	lw := newLibrary(t, 240)
	defer store.SetQueryLimitsForTest(0, 50, 0)()
	defer store.SetScanLimitsForTest(60, 10000)()
	// Level 1 is a seventh of the certificates, and one organisation in
	// eight issues occupation 031: 60 entries of either hold a few matches.
	q := store.CertQuery{Level: 1, Occupation: "031", Limit: 20}
	page, err := lw.w.Store.Certificates(lw.w.Actor(t, "demo-province"), q)
	if err != nil {
		t.Fatal(err)
	}
	if !page.Partial || page.Scanned > 60+200 {
		t.Fatalf("partial %v after %d entries, %d rows", page.Partial, page.Scanned, len(page.Certs))
	}
	got, _ := lw.walk(t, "demo-province", q)
	want := numbers(lw.expect(lw.w.Actor(t, "demo-province").OrgID, q, store.SortDate))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("walk: %d rows, want %d", len(got), len(want))
	}
}

// The occupation, level, status and print-flag entries list each value by
// date, the list's default order: a page filtered by one of them (and by a
// date range as well) reads its own rows and no more, in each scope and on
// the next page by cursor.
func TestValueFiltersReadOnlyTheirPage(t *testing.T) {
	lw := newLibrary(t, 240)
	c := lw.certs[len(lw.certs)/2]
	from, to := c.IssueDate.AddDate(0, 0, -40), c.IssueDate.AddDate(0, 0, 40)
	for _, user := range []string{"demo-province", "demo-dept", "demo-unit"} {
		for _, q := range []store.CertQuery{
			{Occupation: "012"}, {Occupation: "012", Asc: true}, {Level: 5}, {Level: 4, Asc: true},
			{Status: store.CertCancelled}, {Printed: "no"}, {Printed: "yes", Asc: true},
			{Occupation: "012", From: from, To: to}, {Level: 5, From: from}, {Printed: "no", To: to, Asc: true},
		} {
			q.Limit = 10
			page := lw.check(t, user, q)
			if len(page.Certs) == 0 {
				continue
			}
			// A dept merges its units' issuer groups: one more entry per
			// group. Two filters have no counter: the page goes on counting
			// its matches, and reads nothing else.
			if want := max(10+4, page.Total+4); page.Scanned > want {
				t.Errorf("%s %+v: %d index entries read for a page of %d", user, q, page.Scanned, len(page.Certs))
			}
			if page.Next == "" || !page.More {
				continue
			}
			a := lw.w.Actor(t, user)
			want := numbers(lw.expect(a.OrgID, q, store.SortDate))
			q.After = page.Next
			next, err := lw.w.Store.Certificates(a, q)
			if err != nil {
				t.Fatal(err)
			}
			if got := numbers(next.Certs); !reflect.DeepEqual(got, want[10:min(20, len(want))]) {
				t.Errorf("%s %+v: next page %v, want %v", user, q, got, want[10:min(20, len(want))])
			}
			if want := 10 + 4 + 1; next.Scanned > want {
				t.Errorf("%s %+v: %d index entries read for the next page", user, q, next.Scanned)
			}
		}
	}
}

// Queries answered at the same time give the answers they give one by one:
// the buffers a query borrows (decoded index runs, gathered matches) are
// never shared with another query while in use.
func TestConcurrentQueriesAnswerAlike(t *testing.T) {
	lw := newLibrary(t, 360)
	rng := rand.New(rand.NewPCG(7, 8))
	type asked struct {
		actor store.Actor
		q     store.CertQuery
		want  []string
	}
	var all []asked
	users := []string{"demo-unit", "demo-dept", "demo-province"}
	for i := 0; i < 120; i++ {
		c := lw.certs[rng.IntN(len(lw.certs))]
		q := store.CertQuery{Sort: []string{store.SortNumber, store.SortDate}[rng.IntN(2)], Asc: rng.IntN(2) == 0}
		switch rng.IntN(4) {
		case 0:
			q.Name = c.Name
		case 1:
			q.Name = string([]rune(c.Name)[:1])
		case 2:
			q.IDNumber = c.IDNumber[:10]
		default:
			q.Occupation, q.Level = c.Occupation, c.Level
		}
		a := lw.w.Actor(t, users[rng.IntN(len(users))])
		page, err := lw.w.Store.Certificates(a, q)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, asked{a, q, numbers(page.Certs)})
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 5; round++ {
				for i := range all {
					x := &all[(i*(g+1)+round)%len(all)]
					page, err := lw.w.Store.Certificates(x.actor, x.q)
					if err != nil {
						t.Error(err)
						return
					}
					if got := numbers(page.Certs); !reflect.DeepEqual(got, x.want) {
						t.Errorf("%+v: got %v, want %v", x.q, got, x.want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
