package store_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/store"
)

// level says where a certificate's name and ID entries are: "recent"
// ('m', 'M', 'j', 'J'), "main" ('n', 'N', 'i', 'I'), or what else was found.
func level(t *testing.T, w *fixture.World, number string) string {
	t.Helper()
	f := w.Store.IndexFieldsForTest(number)
	recent := strings.Count(f, "m") == 1 && strings.Count(f, "M") == 1 && strings.Count(f, "j") == 1 && strings.Count(f, "J") == 1
	main := strings.Count(f, "n") == 1 && strings.Count(f, "N") == 1 && strings.Count(f, "i") == 1 && strings.Count(f, "I") == 1
	switch {
	case recent && !strings.ContainsAny(f, "nNiI"):
		return "recent"
	case main && !strings.ContainsAny(f, "mMjJ"):
		return "main"
	}
	return "fields " + f
}

// checkAndReopen closes the world's store, runs the full check on its
// directory (which must pass; only its indexes and counters when the
// world's certificates name batches it does not hold, as newLibrary's do)
// and opens the store again.
func checkAndReopen(t *testing.T, w *fixture.World, onlyIndexes bool) {
	t.Helper()
	if err := w.Store.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustCheck(t, w.Dir, store.CheckOptions{Full: true})
	for _, f := range r.Findings {
		if f.Fault && (!onlyIndexes || f.Area == store.AreaDerived) {
			t.Fatalf("check:\n%s", report(r))
		}
	}
	st, err := store.Open(w.Dir)
	if err != nil {
		t.Fatal(err)
	}
	st.Now = w.Clock.Now
	w.Store = st
	t.Cleanup(func() { st.Close() })
}

// recentCount is how many certificates were issued after the day of w.
func recentCount(certs []store.Certificate, w time.Time) int {
	n := 0
	for _, c := range certs {
		if store.IssueDay(c.IssueDate).After(store.IssueDay(w)) {
			n++
		}
	}
	return n
}

// Name and ID searches — exact and prefix, in the province, a dept and a
// unit, by date and by number, page by page with cursors — answer the same
// (and what a brute-force filter of the records answers) while every
// certificate's entries are in the recent level, when they are split
// between the levels, and after everything is merged; the full check passes
// in each state.
func TestRecentLevelSearchesAnswerAlike(t *testing.T) {
	lw := newLibrary(t, 240)
	w := lw.w
	// The demo world grew from an empty database (watermark day 0): every
	// certificate is in the recent level.
	if r, err := w.Store.RecentIndex(); err != nil || r.Certs != len(lw.certs) {
		t.Fatalf("recent level at first: %+v (%v), want %d certificates", r, err, len(lw.certs))
	}
	days := make([]time.Time, len(lw.certs))
	for i, c := range lw.certs {
		days[i] = store.IssueDay(c.IssueDate)
	}
	slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	mid := days[len(days)/2]
	unit := w.Org(t, "demo-unit")
	var early, late store.Certificate
	for _, c := range lw.certs {
		// Names and IDs that many of newLibrary's certificates share, on
		// both levels once split.
		if c.OrgID != unit.ID || !slices.Contains(libNames, c.Name) || !strings.HasPrefix(c.IDNumber, "340102") {
			continue
		}
		if !store.IssueDay(c.IssueDate).After(mid) && early.Number == "" {
			early = c
		}
		if store.IssueDay(c.IssueDate).After(mid) {
			late = c
		}
	}
	if early.Number == "" || late.Number == "" {
		t.Fatalf("no demo-unit certificates on both sides of %s", mid)
	}
	type query struct {
		user string
		q    store.CertQuery
	}
	var queries []query
	for _, c := range []store.Certificate{early, late} {
		first := string([]rune(c.Name)[:1])
		for _, user := range []string{"demo-province", "demo-dept", "demo-unit"} {
			for _, q := range []store.CertQuery{
				{Name: c.Name}, {Name: first}, {Name: first, Sort: store.SortNumber, Asc: true}, {Name: first, Offset: 7},
				{IDNumber: c.IDNumber}, {IDNumber: c.IDNumber[:6]}, {IDNumber: c.IDNumber[:10], Sort: store.SortNumber},
				{IDNumber: c.IDNumber[:6], Asc: true, Offset: 7},
			} {
				q.Limit = 7
				queries = append(queries, query{user, q})
			}
		}
		queries = append(queries, query{"demo-province", store.CertQuery{Name: first, OrgID: unit.ID, Limit: 7}},
			query{"demo-dept", store.CertQuery{IDNumber: c.IDNumber[:6], OrgID: unit.ID, Limit: 7}})
	}
	answers := func() []string {
		var out []string
		for _, limits := range [][3]int{{5000, 20000, 60000}, {40, 300, 60000}} {
			restore := store.SetQueryLimitsForTest(limits[0], limits[1], limits[2])
			for _, qq := range queries {
				page := lw.check(t, qq.user, qq.q)
				walked, _ := lw.walk(t, qq.user, qq.q)
				scope := w.Actor(t, qq.user).OrgID
				if qq.q.OrgID != 0 {
					scope = qq.q.OrgID
				}
				q := qq.q
				q.Offset = 0
				if want := numbers(lw.expect(scope, q, page.Order)); qq.q.Offset == 0 && !reflect.DeepEqual(walked, want) {
					t.Errorf("%s %+v: the cursors list %v, want %v", qq.user, qq.q, walked, want)
				}
				// A total that is a lower bound depends on where a count
				// stopped (lw.check holds it to the rows); exact ones match.
				total := -1
				if page.Exact {
					total = page.Total
				}
				out = append(out, fmt.Sprint(qq.user, qq.q, total, page.Exact, page.Order, numbers(page.Certs), len(walked)))
			}
			restore()
		}
		return out
	}
	all := answers()
	if got := level(t, w, early.Number) + " " + level(t, w, late.Number); got != "recent recent" {
		t.Fatalf("before the merge: %s", got)
	}
	checkAndReopen(t, w, true)

	// Split: the certificates issued up to mid move to the main ranges.
	moved, err := w.Store.MergeRecentIndex(mid)
	if want := len(lw.certs) - recentCount(lw.certs, mid); err != nil || moved != want {
		t.Fatalf("merge up to %s: %d moved (%v), want %d", mid, moved, err, want)
	}
	if r, _ := w.Store.RecentIndex(); !r.After.Equal(mid) || r.Certs != recentCount(lw.certs, mid) {
		t.Fatalf("after the merge: %+v, want after %s and %d certificates", r, mid, recentCount(lw.certs, mid))
	}
	if got := level(t, w, early.Number) + " " + level(t, w, late.Number); got != "main recent" {
		t.Fatalf("split: %s", got)
	}
	if got := answers(); !reflect.DeepEqual(got, all) {
		t.Errorf("split levels answer differently:\n got %v\nwant %v", got, all)
	}
	checkAndReopen(t, w, true)

	// Everything merged.
	if _, err := w.Store.MergeRecentIndex(w.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if r, _ := w.Store.RecentIndex(); r.Certs != 0 || !r.After.Equal(store.IssueDay(w.Clock.Now())) {
		t.Fatalf("after merging everything: %+v", r)
	}
	if got := level(t, w, early.Number) + " " + level(t, w, late.Number); got != "main main" {
		t.Fatalf("merged: %s", got)
	}
	if got := answers(); !reflect.DeepEqual(got, all) {
		t.Errorf("merged levels answer differently:\n got %v\nwant %v", got, all)
	}
	checkAndReopen(t, w, true)
}

// A business changes a certificate's name or ID while its entries are in
// the recent level and after they were merged: the old value no longer
// finds it, the new one does, its entries stay in their level, and the
// full check passes. A reissue keeps the old issue day and so its level;
// a certificate issued on a day the watermark covers (a clock set back)
// goes to the main ranges.
func TestRecentLevelThroughBusinesses(t *testing.T) {
	w := fixture.Demo(t)
	certs := issued(t, w, "demo-unit", 3, 71)
	for _, c := range certs {
		if got := level(t, w, c.Number); got != "recent" {
			t.Fatalf("fresh certificate %s: %s", c.Number, got)
		}
	}
	b := apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizChange, Number: certs[0].Number, NewName: "欧阳近期", Reason: "录入错误"})
	approveAll(t, w, b.ID)
	if findCount(t, w, "demo-unit", store.CertQuery{Name: certs[0].Name}) != 0 || findCount(t, w, "demo-dept", store.CertQuery{Name: "欧阳近期"}) != 1 {
		t.Error("name change in the recent level: old or new name found wrongly")
	}
	if got := level(t, w, certs[0].Number); got != "recent" {
		t.Errorf("changed in the recent level: %s", got)
	}
	checkAndReopen(t, w, false)

	if moved, err := w.Store.MergeRecentIndex(w.Clock.Now()); err != nil || moved == 0 {
		t.Fatalf("merge: %d (%v)", moved, err)
	}
	newID := sameGenderID(certs[1].Gender)
	b = apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizChange, Number: certs[1].Number, NewIDNumber: newID})
	approveAll(t, w, b.ID)
	if findCount(t, w, "demo-province", store.CertQuery{IDNumber: certs[1].IDNumber}) != 0 || findCount(t, w, "demo-unit", store.CertQuery{IDNumber: newID}) != 1 {
		t.Error("ID change after the merge: old or new ID found wrongly")
	}
	if findCount(t, w, "demo-unit", store.CertQuery{Name: "欧阳近期"}) != 1 {
		t.Error("the changed name is lost by the merge")
	}
	for _, c := range certs[:2] {
		if got := level(t, w, c.Number); got != "main" {
			t.Errorf("%s after the merge: %s", c.Number, got)
		}
	}
	// A reissue on a later day keeps the issue day: main, as the old one.
	w.Clock.Advance(24 * time.Hour)
	b = apply(t, w, "demo-unit", store.BizApplication{Kind: store.BizReissue, Number: certs[2].Number, Reason: "遗失"})
	b = approveAll(t, w, b.ID)
	if got := level(t, w, b.NewNumber); got != "main" {
		t.Errorf("reissue of a merged certificate: %s", got)
	}
	if findCount(t, w, "demo-unit", store.CertQuery{IDNumber: certs[2].IDNumber}) != 2 {
		t.Error("the reissue and the superseded certificate are not both found by ID")
	}
	// Issued today, after the watermark: recent.
	fresh := issued(t, w, "demo-unit", 1, 72)[0]
	if got := level(t, w, fresh.Number); got != "recent" {
		t.Errorf("issued after the merge: %s", got)
	}
	// The clock set back two days: issued on a day the watermark covers.
	w.Clock.Advance(-48 * time.Hour)
	old := issued(t, w, "demo-unit", 1, 73)[0]
	if got := level(t, w, old.Number); got != "main" {
		t.Errorf("issued on a day at or before the watermark: %s", got)
	}
	if findCount(t, w, "demo-unit", store.CertQuery{Name: old.Name}) == 0 || findCount(t, w, "demo-unit", store.CertQuery{IDNumber: fresh.IDNumber}) != 1 {
		t.Error("certificates issued around the watermark are not found")
	}
	checkAndReopen(t, w, false)
}

// The watermark never goes down: a merge up to a day it covers moves
// nothing and leaves it; a database without one (written before it existed,
// every entry in the main ranges) gets its last issue day at open.
func TestRecentWatermarkNeverDecreases(t *testing.T) {
	w := fixture.Demo(t)
	now := w.Clock.Now()
	if _, err := w.Store.MergeRecentIndex(now.AddDate(0, 0, -3)); err != nil {
		t.Fatal(err)
	}
	r, _ := w.Store.RecentIndex()
	if want := store.IssueDay(now.AddDate(0, 0, -3)); !r.After.Equal(want) {
		t.Fatalf("watermark %s, want %s", r.After, want)
	}
	if moved, err := w.Store.MergeRecentIndex(now.AddDate(0, 0, -30)); err != nil || moved != 0 {
		t.Fatalf("merge to an earlier day: %d (%v)", moved, err)
	}
	if r2, _ := w.Store.RecentIndex(); !r2.After.Equal(r.After) {
		t.Fatalf("watermark went from %s to %s", r.After, r2.After)
	}
	if _, err := w.Store.MergeRecentIndex(now.AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	// The last certificate is issued before that watermark: an old database
	// with the same entries gets its day.
	last := time.Time{}
	for _, c := range w.Store.AllCertsForTest() {
		if c.IssueDate.After(last) {
			last = c.IssueDate
		}
	}
	if err := w.Store.DeleteRecentWatermarkForTest(); err != nil {
		t.Fatal(err)
	}
	checkAndReopen(t, w, false) // opens it again: the watermark is set
	if r, _ := w.Store.RecentIndex(); !r.After.Equal(store.IssueDay(last)) || r.Certs != 0 {
		t.Fatalf("watermark of an old database: %+v, want %s", r, store.IssueDay(last))
	}
	checkAndReopen(t, w, false)
}

// The check names a missing recent entry like any other, and -repair
// writes it again.
func TestCheckNamesAMissingRecentEntry(t *testing.T) {
	w := fixture.Demo(t)
	c := issued(t, w, "demo-unit", 1, 74)[0]
	if n, err := w.Store.DeleteIndexEntriesForTest(c.Number, 'j'); err != nil || n != 1 {
		t.Fatalf("delete the recent ID entry: %d (%v)", n, err)
	}
	w.Store.Close()
	r := mustCheck(t, w.Dir, store.CheckOptions{Full: true})
	if r.OK() || !faultWith(r, store.AreaDerived, "cert_ix", "'j'", c.IDNumber, c.Number) {
		t.Fatalf("missing recent entry not named:\n%s", report(r))
	}
	if r := mustCheck(t, w.Dir, store.CheckOptions{Repair: true}); !r.OK() {
		t.Fatalf("repair:\n%s", report(r))
	}
	withStore(t, w.Dir, func(st *store.Store) {
		if f := st.IndexFieldsForTest(c.Number); !strings.Contains(f, "j") {
			t.Errorf("after the repair: fields %s", f)
		}
	})
}
