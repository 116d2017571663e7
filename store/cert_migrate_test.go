package store_test

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

// A database in the layout before the compact one (JSON records, one index key
// per field, scope and certificate) is converted at the next start, in
// small transactions, with progress on the console: afterwards every
// record reads the same, the index and counters are exactly what the
// writers keep, and every query answers as before. A migration cut short
// is run again at the following start.
func TestMigrationConvertsOldLayout(t *testing.T) {
	lw := newLibrary(t, 120)
	w := lw.w
	// Three certificates of demo-unit issued under another dept: the unit
	// has two issuer groups.
	prov, unit, other := w.Org(t, "demo-province"), w.Org(t, "demo-unit"), w.Org(t, "wh-dept")
	err := w.Store.BulkLoadCertificates(3, func(i int) store.Certificate {
		id := idcard.Make("340102", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), 7)
		return store.Certificate{Number: fmt.Sprintf("253401012590%02d", i+1), Name: "迁移测试", Gender: idcard.Gender(id), IDNumber: id,
			Occupation: "012", OccupationName: "砌筑工", Level: 5, OrgID: unit.ID, OrgName: unit.Name, OrgPath: []uint64{prov.ID, other.ID},
			Region: "3401", IssueDate: store.IssueDay(time.Date(2025, 5, 1+i, 0, 0, 0, 0, time.UTC)), Status: store.CertValid, Version: 1}
	})
	if err != nil {
		t.Fatal(err)
	}
	lw.certs = w.Store.AllCertsForTest()
	answers := libraryAnswers(t, w, []userQuery{
		{"demo-province", store.CertQuery{}}, {"demo-province", store.CertQuery{OrgID: unit.ID, Sort: store.SortNumber}},
		{"demo-unit", store.CertQuery{Limit: 100}}, {"demo-dept", store.CertQuery{Level: 5}}, {"wh-dept", store.CertQuery{Name: "迁移"}},
		{"demo-direct", store.CertQuery{Printed: "yes"}}, {"demo-province", store.CertQuery{Status: store.CertCancelled}},
	})
	wantAnswers := answers(w.Store)
	wantStats, _ := w.Store.StatsCountersForTest()
	// The migration writes every entry to the main level (an old database
	// has no recent level): so do the writers after a merge.
	if _, err := w.Store.MergeRecentIndex(w.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, wantIndex, err := w.Store.RebuildIndexForTest()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Store.DowngradeForTest(); err != nil {
		t.Fatal(err)
	}
	if f := w.Store.RecordFormatsForTest(); f['{'] != len(lw.certs) || !w.Store.HasBucketForTest("cert_idx") {
		t.Fatalf("downgrade: formats %v", f)
	}
	w.Store.Close()

	var mu sync.Mutex
	var lines []string
	defer store.SetMigrationLogForTest(func(msg string, args ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprint(append([]any{msg}, args...)...))
		mu.Unlock()
	})()
	// Cut short in the index step, after the records were converted.
	restore := store.SetMigrateChunkForTest(97, 3)
	if st, err := store.Open(w.Dir); err == nil || !strings.Contains(err.Error(), "injected failure") {
		if st != nil {
			st.Close()
		}
		t.Fatalf("interrupted migration: %v", err)
	}
	restore()
	defer store.SetMigrateChunkForTest(97, 0)()
	st, err := store.Open(w.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Now = w.Clock.Now
	if v, _ := st.Schema(); v != store.SchemaVersion {
		t.Errorf("schema %d, want %d", v, store.SchemaVersion)
	}
	if f := st.RecordFormatsForTest(); f[1] != len(lw.certs) || len(f) != 1 {
		t.Errorf("record formats after migration: %v", f)
	}
	if st.HasBucketForTest("cert_idx") {
		t.Error("the old index is still there")
	}
	if got := st.AllCertsForTest(); !reflect.DeepEqual(got, lw.certs) {
		t.Error("records read differently after the migration")
	}
	before, after, err := st.RebuildIndexForTest()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, wantIndex) || !reflect.DeepEqual(after, wantIndex) {
		t.Errorf("migrated index and counters (%d) differ from the writers' (%d)", len(before), len(wantIndex))
		for k, v := range wantIndex {
			if before[k] != v {
				t.Errorf("first difference at %x: %x, want %x", k, before[k], v)
				break
			}
		}
	}
	if got, _ := st.StatsCountersForTest(); !reflect.DeepEqual(got, wantStats) {
		t.Errorf("statistics counters differ after the migration (%d, want %d)", len(got), len(wantStats))
	}
	w.Store = st
	if got := answers(st); !reflect.DeepEqual(got, wantAnswers) {
		t.Errorf("answers after the migration:\n got %v\nwant %v", got, wantAnswers)
	}
	progress := strings.Join(lines, "\n")
	for _, want := range []string{"迁移证书记录", "迁移证书库索引", "迁移统计计数", "迁移完成", "压缩完成"} {
		if !strings.Contains(progress, want) {
			t.Errorf("no progress line %q in:\n%s", want, progress)
		}
	}
}

// A database whose occupation, level, status and print-flag entries list
// each value by number (schema 5) is converted at the next start, group by
// group: afterwards the index is exactly what the writers keep, every query
// answers as before, and the full check passes. A migration cut short (some
// groups converted, the rest not) is finished by the next start.
// TestCheckPassesAfterTheCompactMigration runs this migration after the
// compact one, and the whole check after both.
func TestMigrationOrdersValueEntriesByDay(t *testing.T) {
	lw := newLibrary(t, 120)
	w := lw.w
	prov := w.Org(t, "demo-province")
	from, to := lw.certs[len(lw.certs)/3].IssueDate, lw.certs[2*len(lw.certs)/3].IssueDate
	if to.Before(from) {
		from, to = to, from
	}
	answers := libraryAnswers(t, w, []userQuery{
		{"demo-province", store.CertQuery{Occupation: "012"}}, {"demo-province", store.CertQuery{Level: 5, Sort: store.SortNumber}},
		{"demo-province", store.CertQuery{Occupation: "012", Level: 4, From: from, To: to}},
		{"demo-dept", store.CertQuery{Level: 5, Asc: true}}, {"demo-unit", store.CertQuery{Printed: "no", Limit: 100}},
		{"demo-direct", store.CertQuery{Occupation: "031", From: from}}, {"demo-province", store.CertQuery{Status: store.CertCancelled}},
		{"demo-province", store.CertQuery{OrgID: prov.ID, Printed: "yes", To: to, Sort: store.SortNumber, Asc: true}},
	})
	wantAnswers := answers(w.Store)
	_, wantIndex, err := w.Store.RebuildIndexForTest()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Store.DowngradeDayOrderForTest(3); err != nil {
		t.Fatal(err)
	}
	if before, _, _ := w.Store.RebuildIndexForTest(); reflect.DeepEqual(before, wantIndex) {
		t.Fatal("the downgrade changed nothing")
	}
	w.Store.Close()

	var mu sync.Mutex
	var lines []string
	defer store.SetMigrationLogForTest(func(msg string, args ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprint(append([]any{msg}, args...)...))
		mu.Unlock()
	})()
	st, err := store.Open(w.Dir)
	if err != nil {
		t.Fatal(err)
	}
	st.Now = w.Clock.Now
	if v, _ := st.Schema(); v != store.SchemaVersion {
		t.Errorf("schema %d, want %d", v, store.SchemaVersion)
	}
	before, _, err := st.RebuildIndexForTest()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, wantIndex) {
		t.Errorf("migrated index and counters (%d) differ from the writers' (%d)", len(before), len(wantIndex))
	}
	w.Store = st
	if got := answers(st); !reflect.DeepEqual(got, wantAnswers) {
		t.Errorf("answers after the migration:\n got %v\nwant %v", got, wantAnswers)
	}
	st.Close()
	if progress := strings.Join(lines, "\n"); !strings.Contains(progress, "按发证日期排列") {
		t.Errorf("no progress line in:\n%s", progress)
	}
	// (This world's certificates are issued without batches: only the
	// index's area is asked of the check.)
	if r := mustCheck(t, w.Dir, store.CheckOptions{Full: true}); r.Areas[store.AreaDerived].Faults != 0 || r.Areas[store.AreaDerived].Checked == 0 {
		t.Fatalf("check after the migration:\n%s", report(r))
	}
}

// userQuery is a library query asked by a demo user.
type userQuery struct {
	user string
	q    store.CertQuery
}

// libraryAnswers answers queries on a store as total and numbers, to
// compare the answers before and after a migration.
func libraryAnswers(t *testing.T, w *fixture.World, queries []userQuery) func(*store.Store) []string {
	return func(st *store.Store) []string {
		t.Helper()
		var out []string
		for _, q := range queries {
			page, err := st.Certificates(w.Actor(t, q.user), q.q)
			if err != nil {
				t.Fatalf("%s %+v: %v", q.user, q.q, err)
			}
			out = append(out, fmt.Sprint(page.Total, numbers(page.Certs)))
		}
		return out
	}
}
