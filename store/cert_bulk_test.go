package store_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

// Certificates bulk-loaded into a store that holds others go into the
// library's index between the entries already there: the index's runs do
// not overlap (the full check's index area passes), and a status or print
// filter lists the old and the loaded certificates together by date.
func TestBulkLoadMergesWithTheIndexThere(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Org(t, "demo-unit")
	a := w.Actor(t, "demo-province")
	// Issue days from 2024 to 2027: before, among and after the demo's.
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 3000
	err := w.Store.BulkLoadCertificates(n, func(i int) store.Certificate {
		id := idcard.Make("340102", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), 3)
		level, serial := 1+i/(n/5), 1+i%(n/5) // numbers ascend: level by level
		c := store.Certificate{Number: fmt.Sprintf("20340101%d%d%04d", 2, level, serial), Name: "批量导入", Gender: idcard.Gender(id), IDNumber: id,
			Occupation: "012", OccupationName: "砌筑工", Level: level, OrgID: unit.ID, OrgName: unit.Name, OrgPath: unit.Path,
			Region: "3401", IssueDate: store.IssueDay(start.AddDate(0, 0, serial*1300/(n/5))), Status: store.CertValid, Version: 1}
		if i%7 == 0 {
			c.Status = store.CertCancelled
		}
		c.Printed = i%3 == 0
		return c
	})
	if err != nil {
		t.Fatal(err)
	}
	all := w.Store.AllCertsForTest()
	for _, q := range []store.CertQuery{{Status: store.CertCancelled}, {Printed: "yes"}, {Printed: "no", Asc: true}, {Level: 3}} {
		var want []string
		for _, c := range all {
			if (q.Status == "" || c.Status == q.Status) && (q.Printed == "" || c.Printed == (q.Printed == "yes")) && (q.Level == 0 || c.Level == q.Level) {
				want = append(want, c.IssueDate.Format("20060102")+c.Number)
			}
		}
		slices.Sort(want)
		if !q.Asc {
			slices.Reverse(want)
		}
		var got []string
		q.Limit = 500
		for {
			page, err := w.Store.Certificates(a, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Certs {
				got = append(got, c.IssueDate.Format("20060102")+c.Number)
			}
			if !page.More {
				break
			}
			q.After = page.Next
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: %d rows, want %d in date order", q, len(got), len(want))
		}
	}
	w.Store.Close()
	if r := mustCheck(t, w.Dir, store.CheckOptions{Full: true}); r.Areas[store.AreaDerived].Faults != 0 {
		t.Fatalf("check after the bulk load:\n%s", report(r))
	}
}
