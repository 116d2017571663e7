package store_test

import (
	"os"
	"strconv"
	"testing"

	"certreg/fixture"
	"certreg/store"
)

// benchCerts is the size of the benchmark store (BENCH_CERTS overrides it
// for a quick look).
func benchCerts() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_CERTS")); err == nil && n > 0 {
		return n
	}
	return 2_000_000
}

// libraryQueries are the list queries of the benchmark: the unfiltered
// list in both orders and every single filter, with values taken from a
// certificate of the scope.
func libraryQueries(c store.Certificate) []struct {
	Name string
	Q    store.CertQuery
} {
	day := c.IssueDate
	return []struct {
		Name string
		Q    store.CertQuery
	}{
		{"all-by-date", store.CertQuery{}},
		{"all-by-number", store.CertQuery{Sort: store.SortNumber}},
		{"all-page-50", store.CertQuery{Offset: 1000}},
		{"number-exact", store.CertQuery{Number: c.Number}},
		{"number-segment", store.CertQuery{Number: c.Number[:10]}},
		{"number-year", store.CertQuery{Number: c.Number[:2]}},
		{"name-exact", store.CertQuery{Name: c.Name}},
		{"name-surname", store.CertQuery{Name: string([]rune(c.Name)[:1])}},
		{"id-exact", store.CertQuery{IDNumber: c.IDNumber}},
		{"id-prefix-10", store.CertQuery{IDNumber: c.IDNumber[:10]}},
		{"occupation", store.CertQuery{Occupation: c.Occupation}},
		{"occupation-by-number", store.CertQuery{Occupation: c.Occupation, Sort: store.SortNumber}},
		{"level-1", store.CertQuery{Level: 1}},
		{"level-5", store.CertQuery{Level: 5}},
		{"status-cancelled", store.CertQuery{Status: store.CertCancelled}},
		{"status-valid", store.CertQuery{Status: store.CertValid}},
		{"printed-no", store.CertQuery{Printed: "no"}},
		{"printed-yes", store.CertQuery{Printed: "yes", Sort: store.SortNumber}},
		{"date-month", store.CertQuery{From: day.AddDate(0, 0, -15), To: day.AddDate(0, 0, 15)}},
		{"date-month-by-number", store.CertQuery{From: day.AddDate(0, 0, -15), To: day.AddDate(0, 0, 15), Sort: store.SortNumber}},
		{"org", store.CertQuery{OrgID: c.OrgID}},
		{"occupation+level", store.CertQuery{Occupation: c.Occupation, Level: c.Level}},
		{"occupation+printed-no", store.CertQuery{Occupation: c.Occupation, Printed: "no"}},
		// Rare and empty combinations: each walk stops at the scan budget.
		{"id34+occ001+level1", store.CertQuery{IDNumber: "34", Occupation: "001", Level: 1}},
		{"occ+level+printed-no", store.CertQuery{Occupation: c.Occupation, Level: c.Level, Printed: "no"}},
		{"surname+cancelled", store.CertQuery{Name: string([]rune(c.Name)[:1]), Status: store.CertCancelled}},
		{"surname+level1+printed-yes", store.CertQuery{Name: string([]rune(c.Name)[:1]), Level: 1, Printed: "yes"}},
		{"month+level5+cancelled", store.CertQuery{From: day.AddDate(0, 0, -15), To: day.AddDate(0, 0, 15), Level: 5, Status: store.CertCancelled}},
		{"id-prefix-6+superseded", store.CertQuery{IDNumber: c.IDNumber[:6], Status: store.CertSuperseded}},
		{"year+occ+printed-yes-by-number", store.CertQuery{Number: c.Number[:2], Occupation: c.Occupation, Printed: "yes", Sort: store.SortNumber}},
		{"page-by-number-500", store.CertQuery{Offset: 9980}},
		{"size-100", store.CertQuery{Limit: 100}},
	}
}

// BenchmarkCertLibrary2M measures one 20-row page of the certificate library
// on two million certificates, for every single filter, rare and empty
// combinations and the deepest page by number, in every scope, with the
// processor time per page (target ≤ 2 ms).
func BenchmarkCertLibrary2M(b *testing.B) {
	w := fixture.Big(b, benchCerts())
	unit := w.Actor(b, "demo-unit")
	sample, err := w.Store.Certificates(unit, store.CertQuery{Number: "24"})
	if err != nil || len(sample.Certs) == 0 {
		b.Fatalf("no sample certificate: %v", err)
	}
	c := sample.Certs[len(sample.Certs)/2]
	for _, scope := range []string{"demo-unit", "demo-dept", "demo-province"} {
		a := w.Actor(b, scope)
		for _, q := range libraryQueries(c) {
			if q.Q.OrgID != 0 && scope == "demo-unit" {
				continue
			}
			b.Run(scope[5:]+"/"+q.Name, func(b *testing.B) {
				var page store.CertPage
				cpu0 := cpuTime()
				for b.Loop() {
					if page, err = w.Store.Certificates(a, q.Q); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
				b.ReportMetric(float64(page.Total), "total")
				b.ReportMetric(float64(page.Scanned), "scanned")
			})
		}
	}
}
