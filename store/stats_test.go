package store_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"certreg/data"
	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

var cst = time.FixedZone("CST", 8*3600)

// day is midnight China time of a date.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, cst) }

// A covered range adds up, day by day, to exactly the range: every day
// inside counted once, every day outside (up to the last possible day) not
// at all; and no range needs more than a few dozen periods.
func TestStatsCoverAddsUpToTheRange(t *testing.T) {
	end := store.DayNumberForTest(day(2027, 12, 31))
	span := func(tm store.StatTerm) (int, int) {
		switch tm.Kind {
		case 'A':
			return 0, end
		case 'Y':
			return store.DayNumberForTest(day(tm.N, 1, 1)), store.DayNumberForTest(day(tm.N+1, 1, 1)) - 1
		case 'M':
			y, m := tm.N/12, time.Month(tm.N%12+1)
			return store.DayNumberForTest(day(y, m, 1)), store.DayNumberForTest(day(y, m+1, 1)) - 1
		case 'D':
			return tm.N, tm.N
		}
		t.Fatalf("unknown period %c", tm.Kind)
		return 0, 0
	}
	check := func(from, to int) int {
		terms := store.StatsCoverForTest(from, to, end)
		diff := make([]int64, end+2)
		for _, tm := range terms {
			a, b := span(tm)
			diff[a] += tm.Sign
			diff[b+1] -= tm.Sign
		}
		var n int64
		for d := 0; d <= end; d++ {
			n += diff[d]
			want := int64(0)
			if d >= from && d <= to {
				want = 1
			}
			if n != want {
				t.Fatalf("range %d..%d: day %d counted %d times (terms %v)", from, to, d, n, terms)
			}
		}
		return len(terms)
	}
	d := store.DayNumberForTest
	cases := [][2]int{
		{0, end}, {0, 0}, {end, end}, {0, d(day(2024, 6, 15))}, {d(day(2024, 6, 16)), end},
		{d(day(2025, 1, 1)), d(day(2025, 12, 31))}, {d(day(2025, 1, 2)), d(day(2025, 12, 30))},
		{d(day(2025, 2, 1)), d(day(2025, 2, 28))}, {d(day(2024, 2, 1)), d(day(2024, 2, 29))},
		{d(day(2023, 6, 16)), d(day(2024, 6, 15))}, {d(day(2021, 1, 16)), d(day(2025, 12, 15))},
		{d(day(2026, 7, 1)), d(day(2026, 9, 30))}, // a quarter: three months
	}
	for _, c := range cases {
		check(c[0], c[1])
	}
	if n := len(store.StatsCoverForTest(d(day(2026, 7, 1)), d(day(2026, 9, 30)), end)); n != 3 {
		t.Errorf("a quarter takes %d periods, want 3", n)
	}
	if n := len(store.StatsCoverForTest(0, end, end)); n != 1 {
		t.Errorf("all time takes %d periods, want 1", n)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	most := 0
	lo := d(day(2018, 1, 1))
	for i := 0; i < 3000; i++ {
		a, b := lo+rng.IntN(end-lo+1), lo+rng.IntN(end-lo+1)
		if a > b {
			a, b = b, a
		}
		most = max(most, check(a, b))
	}
	if most > 60 {
		t.Errorf("a range took %d periods (want at most 60)", most)
	}
	t.Logf("at most %d periods for a range", most)
}

// statsWorld is the demo province after a random sequence of issuances,
// cancellations, activations and reissues.
type statsWorld struct {
	*fixture.World
	types map[uint64]store.OrgType
	orgs  []store.Org // issuing organisations
}

func newStatsWorld(t *testing.T, seed uint64, batches int) *statsWorld {
	w := &statsWorld{World: fixture.Demo(t), types: map[uint64]store.OrgType{}}
	prov := w.Org(t, "demo-province")
	all, _, err := w.Store.Orgs(prov, store.OrgFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	w.types[prov.ID] = prov.Type
	for _, o := range all {
		w.types[o.ID] = o.Type
		if (o.Type == store.Unit || o.Type == store.Direct) && len(o.Scope) > 0 {
			w.orgs = append(w.orgs, o)
		}
	}
	if len(w.orgs) < 3 {
		t.Fatalf("demo has %d issuing organisations", len(w.orgs))
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	pa := w.Actor(t, "demo-province")
	person := 0
	for b := 0; b < batches; b++ {
		org := w.orgs[rng.IntN(len(w.orgs))]
		var occs []string
		for code := range org.Scope {
			occs = append(occs, code)
		}
		slices.Sort(occs)
		hs := make([]store.Holder, 1+rng.IntN(25))
		for i := range hs {
			occ := occs[rng.IntN(len(occs))]
			lv := org.Scope[occ][rng.IntN(len(org.Scope[occ]))]
			person++
			id := idcard.Make("340102", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, person), person%1000)
			hs[i] = store.Holder{Name: fmt.Sprintf("统计%d", person), Gender: idcard.Gender(id), IDNumber: id, WorkUnit: "安徽建工", Occupation: occ, Level: lv}
		}
		// Issued on a day of the last three years, at any hour.
		w.Clock.Set(fixture.Start.AddDate(0, 0, -rng.IntN(3*365)).Add(time.Duration(rng.IntN(24*60)) * time.Minute))
		certs, err := w.Store.IssueForTest(store.IssueRequest{OrgID: org.ID, Holders: hs, Username: "demo-province"})
		if err != nil {
			t.Fatalf("issue: %v", err)
		}
		w.Clock.Set(fixture.Start)
		for _, c := range certs {
			switch r := rng.IntN(10); {
			case r < 2:
				if _, err := w.Store.CancelCertificate(pa, c.Number, "统计测试"); err != nil {
					t.Fatal(err)
				}
				if rng.IntN(2) == 0 {
					if _, err := w.Store.ActivateCertificate(pa, c.Number, "统计测试"); err != nil {
						t.Fatal(err)
					}
				}
			case r < 3:
				nc, err := w.Store.ReissueForTest(c.Number)
				if err != nil {
					t.Fatal(err)
				}
				if rng.IntN(2) == 0 {
					if _, err := w.Store.CancelCertificate(pa, nc.Number, "统计测试"); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	return w
}

// brute counts the certificates that match by reading every one.
func (w *statsWorld) brute(certs []store.Certificate, f store.StatsFilter, in func(c store.Certificate) bool) store.StatsFigures {
	var out store.StatsFigures
	for _, c := range certs {
		d := c.IssueDate.In(cst)
		switch {
		case !f.From.IsZero() && d.Before(f.From), !f.To.IsZero() && d.After(f.To),
			f.Occupation != "" && c.Occupation != f.Occupation, f.Level != 0 && c.Level != f.Level,
			f.OrgType != "" && w.types[c.OrgID] != f.OrgType, !in(c):
			continue
		}
		if c.Replaces == "" {
			out.Issued++
		}
		switch c.Status {
		case store.CertValid:
			out.Valid++
		case store.CertCancelled:
			out.Cancelled++
		case store.CertSuperseded:
			out.Superseded++
		}
	}
	return out
}

func under(id uint64) func(c store.Certificate) bool {
	return func(c store.Certificate) bool { return c.OrgID == id || slices.Contains(c.OrgPath, id) }
}

// randomFilter picks any combination of the filters.
func randomFilter(rng *rand.Rand, certs []store.Certificate) store.StatsFilter {
	var f store.StatsFilter
	c := certs[rng.IntN(len(certs))]
	if rng.IntN(3) > 0 {
		f.From = c.IssueDate.In(cst).AddDate(0, 0, -rng.IntN(400))
	}
	if rng.IntN(3) > 0 {
		f.To = c.IssueDate.In(cst).AddDate(0, 0, rng.IntN(400))
	}
	if rng.IntN(3) == 0 {
		f.Occupation = c.Occupation
	}
	if rng.IntN(3) == 0 {
		f.Level = c.Level
	}
	switch rng.IntN(4) {
	case 0:
		f.OrgType = store.Unit
	case 1:
		f.OrgType = store.Direct
	}
	return f
}

// The counters after random issuance, 注销, 激活 and 补办 equal a count
// over every certificate, for every view, scope and any combination of
// filters; and they equal what the migration computes from scratch.
func TestStatsCountersMatchBruteForce(t *testing.T) {
	w := newStatsWorld(t, 42, 40)
	certs := w.Store.AllCertsForTest()
	counts, orgs := w.Store.StatsCountersForTest()
	rebuilt, rebuiltOrgs, err := w.Store.StatsRebuiltForTest()
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) == 0 || len(counts) != len(rebuilt) || len(orgs) != len(rebuiltOrgs) {
		t.Fatalf("%d counters and %d organisations kept, %d and %d rebuilt", len(counts), len(orgs), len(rebuilt), len(rebuiltOrgs))
	}
	for k, v := range rebuilt {
		if counts[k] != v {
			t.Fatalf("counter %s: kept %q, rebuilt %q", k, counts[k], v)
		}
	}
	for k := range rebuiltOrgs {
		if !orgs[k] {
			t.Fatalf("organisation %s not registered", k)
		}
	}

	prov, dept := w.Org(t, "demo-province"), w.Org(t, "demo-dept")
	pa, da := w.Actor(t, "demo-province"), w.Actor(t, "demo-dept")
	rng := rand.New(rand.NewPCG(3, 4))
	cities := store.StatsCities(prov)
	for i := 0; i < 150; i++ {
		f := randomFilter(rng, certs)
		name := fmt.Sprintf("filter %d %+v", i, f)
		// Province: the chart and its total.
		rep, err := w.Store.Stats(pa, store.StatsQuery{StatsFilter: f, View: store.StatsByOrg})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rep.Cities) != len(cities) {
			t.Fatalf("%s: %d cities", name, len(rep.Cities))
		}
		for _, c := range rep.Cities {
			region := c.Region
			want := w.brute(certs, f, func(c store.Certificate) bool { return c.Region == region })
			if c.StatsFigures != want {
				t.Fatalf("%s: %s %+v, counted %+v", name, c.Name, c.StatsFigures, want)
			}
		}
		if want := w.brute(certs, f, under(prov.ID)); rep.Total != want {
			t.Fatalf("%s: province total %+v, counted %+v", name, rep.Total, want)
		}
		// A city's organisations: every organisation holding certificates
		// there, each with its figures.
		c := certs[rng.IntN(len(certs))]
		rep, err = w.Store.Stats(pa, store.StatsQuery{StatsFilter: f, View: store.StatsByOrg, Region: c.Region})
		if err != nil {
			t.Fatal(err)
		}
		holders := map[uint64]bool{}
		for _, x := range certs {
			if x.Region == c.Region && (f.OrgType == "" || w.types[x.OrgID] == f.OrgType) {
				holders[x.OrgID] = true
			}
		}
		if len(rep.Orgs) != len(holders) {
			t.Fatalf("%s: region %s has %d rows, %d organisations hold certificates", name, c.Region, len(rep.Orgs), len(holders))
		}
		var sum store.StatsFigures
		for _, row := range rep.Orgs {
			id := row.Org.ID
			want := w.brute(certs, f, func(x store.Certificate) bool { return x.OrgID == id })
			if row.StatsFigures != want {
				t.Fatalf("%s: %s %+v, counted %+v", name, row.Org.Name, row.StatsFigures, want)
			}
			sum = sum.Plus(want)
		}
		if rep.OrgTotal != sum {
			t.Fatalf("%s: table total %+v, rows add up to %+v", name, rep.OrgTotal, sum)
		}
		// The dept: its units.
		drep, err := w.Store.Stats(da, store.StatsQuery{StatsFilter: f, View: store.StatsByOrg})
		if err != nil {
			t.Fatal(err)
		}
		if drep.Cities != nil {
			t.Fatalf("a dept got the province's chart")
		}
		for _, row := range drep.Orgs {
			if row.Org.ParentID != dept.ID {
				t.Fatalf("dept sees %s", row.Org.Name)
			}
			if want := w.brute(certs, f, under(row.Org.ID)); row.StatsFigures != want {
				t.Fatalf("%s: dept row %s %+v, counted %+v", name, row.Org.Name, row.StatsFigures, want)
			}
		}
		if want := w.brute(certs, f, under(dept.ID)); drep.Total != want {
			t.Fatalf("%s: dept total %+v, counted %+v", name, drep.Total, want)
		}
		// Occupation × level and the monthly trend, for the province, a
		// city, the dept and one organisation.
		focus := certs[rng.IntN(len(certs))].OrgID
		for _, v := range []struct {
			who string
			a   store.Actor
			q   store.StatsQuery
			in  func(store.Certificate) bool
		}{
			{"province", pa, store.StatsQuery{}, under(prov.ID)},
			{"city", pa, store.StatsQuery{Region: c.Region}, func(x store.Certificate) bool { return x.Region == c.Region }},
			{"dept", da, store.StatsQuery{}, under(dept.ID)},
			{"org", pa, store.StatsQuery{OrgID: focus}, under(focus)},
		} {
			q := v.q
			q.StatsFilter, q.View = f, store.StatsByTrade
			rep, err := w.Store.Stats(v.a, q)
			if err != nil {
				t.Fatalf("%s %s: %v", name, v.who, err)
			}
			cells := 0
			for _, row := range rep.Cross.Rows {
				for li, l := range rep.Cross.Levels {
					ff := f
					ff.Occupation, ff.Level = row.Code, l.Code
					if f.Occupation != "" && f.Occupation != row.Code || f.Level != 0 && f.Level != l.Code {
						ff.Level = -1 // nothing can match
					}
					want := store.StatsFigures{}
					if ff.Level >= 0 {
						want = w.brute(certs, ff, v.in)
					}
					if row.Cells[li] != want {
						t.Fatalf("%s %s: %s %s %+v, counted %+v", name, v.who, row.Name, l.Name, row.Cells[li], want)
					}
					if !want.Zero() {
						cells++
					}
				}
			}
			if want := w.brute(certs, f, v.in); rep.Cross.Total != want || rep.Total != want {
				t.Fatalf("%s %s: cross total %+v, counted %+v", name, v.who, rep.Cross.Total, want)
			}
			q.View = store.StatsByMonth
			rep, err = w.Store.Stats(v.a, q)
			if err != nil {
				t.Fatal(err)
			}
			var months store.StatsFigures
			for _, m := range rep.Trend {
				mf := f
				mf.From, mf.To = m.Month, m.Month.AddDate(0, 1, -1)
				if !f.From.IsZero() && f.From.After(mf.From) {
					mf.From = f.From
				}
				if !f.To.IsZero() && f.To.Before(mf.To) {
					mf.To = f.To
				}
				if want := w.brute(certs, mf, v.in); m.StatsFigures != want {
					t.Fatalf("%s %s: %s %+v, counted %+v", name, v.who, m.Month.Format("2006-01"), m.StatsFigures, want)
				}
				months = months.Plus(m.StatsFigures)
			}
			if want := w.brute(certs, f, v.in); months != want {
				t.Fatalf("%s %s: months add up to %+v, counted %+v", name, v.who, months, want)
			}
		}
	}
}

// Figures written out by hand for a few certificates: issued counts
// registrations only, a reissue moves one certificate to 已补办 and adds a
// valid one on the original issue day, 注销 and 激活 move between valid and
// cancelled, and the date range is whole days in China time.
func TestStatsFiguresByHand(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Org(t, "demo-unit")
	pa := w.Actor(t, "demo-province")
	// 2026-03-31 23:30 China time is still March.
	w.Clock.Set(time.Date(2026, 3, 31, 15, 30, 0, 0, time.UTC))
	certs, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, Holders: holders(3, "012", 5, 71), Username: "demo-province"})
	if err != nil {
		t.Fatal(err)
	}
	w.Clock.Set(fixture.Start)
	if _, err := w.Store.CancelCertificate(pa, certs[0].Number, "测试"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.ReissueForTest(certs[1].Number); err != nil {
		t.Fatal(err)
	}
	march := store.StatsFilter{From: day(2026, 3, 31), To: day(2026, 3, 31), Occupation: "012", Level: 5}
	for _, who := range []string{"demo-province", "demo-dept"} {
		rep, err := w.Store.Stats(w.Actor(t, who), store.StatsQuery{StatsFilter: march, View: store.StatsByOrg})
		if err != nil {
			t.Fatal(err)
		}
		want := store.StatsFigures{Issued: 3, Valid: 2, Cancelled: 1, Superseded: 1}
		if rep.Total != want {
			t.Errorf("%s: %+v, want %+v", who, rep.Total, want)
		}
	}
	rep, err := w.Store.Stats(pa, store.StatsQuery{StatsFilter: march, View: store.StatsByOrg, Region: "3401"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Orgs) != 1 || rep.Orgs[0].Org.ID != unit.ID || rep.RegionName != "合肥市" {
		t.Fatalf("合肥市 rows %+v", rep.Orgs)
	}
	for _, c := range rep.Cities {
		want := int64(0)
		if c.Region == "3401" {
			want = 3
		}
		if c.Issued != want {
			t.Errorf("%s issued %d, want %d", c.Name, c.Issued, want)
		}
	}
	if last := rep.Cities[len(rep.Cities)-1]; last.Region != "3400" || last.Name != "省直属" {
		t.Errorf("last bar %+v, want 省直属", last)
	}
	// The next day and the 省直所 see none of them.
	for _, f := range []store.StatsFilter{
		{From: day(2026, 4, 1), To: day(2026, 4, 1), Occupation: "012", Level: 5},
		{From: day(2026, 3, 31), To: day(2026, 3, 31), OrgType: store.Direct},
	} {
		rep, err := w.Store.Stats(pa, store.StatsQuery{StatsFilter: f, View: store.StatsByOrg})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Total.Zero() {
			t.Errorf("%+v: %+v, want nothing", f, rep.Total)
		}
	}
	cross, err := w.Store.Stats(pa, store.StatsQuery{StatsFilter: store.StatsFilter{From: day(2026, 3, 1), To: day(2026, 3, 31)}, View: store.StatsByTrade})
	if err != nil {
		t.Fatal(err)
	}
	if len(cross.Cross.Rows) != 1 || cross.Cross.Rows[0].Name != "砌筑工" || cross.Cross.Rows[0].Cells[0].Issued != 3 || cross.Cross.Columns[0].Valid != 2 {
		t.Errorf("March by trade: %+v", cross.Cross)
	}
	trend, err := w.Store.Stats(pa, store.StatsQuery{StatsFilter: store.StatsFilter{From: day(2026, 2, 15), To: day(2026, 4, 10), Occupation: "012", Level: 5}, View: store.StatsByMonth})
	if err != nil {
		t.Fatal(err)
	}
	if len(trend.Trend) != 3 || trend.Trend[1].Month.Month() != time.March || trend.Trend[1].Issued != 3 || trend.Trend[0].Issued != 0 {
		t.Errorf("trend %+v", trend.Trend)
	}
}

// Only the province and depts see statistics, within their scope; bad
// filters are validation errors.
func TestStatsAccessAndValidation(t *testing.T) {
	w := fixture.Demo(t)
	for _, u := range []string{"demo-unit", "demo-direct", "hfjg-clerk"} {
		if _, err := w.Store.Stats(w.Actor(t, u), store.StatsQuery{View: store.StatsByOrg}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("%s: %v, want forbidden", u, err)
		}
	}
	pa, da := w.Actor(t, "demo-province"), w.Actor(t, "demo-dept")
	if _, err := w.Store.Stats(da, store.StatsQuery{View: store.StatsByOrg}); err != nil {
		t.Errorf("dept admin: %v", err)
	}
	// Another dept's unit is not in demo-dept's scope.
	prov := w.Org(t, "demo-province")
	all, _, _ := w.Store.Orgs(prov, store.OrgFilter{Limit: 1000})
	dept := w.Org(t, "demo-dept")
	for _, o := range all {
		if o.Type == store.Unit && o.ParentID != dept.ID {
			if _, err := w.Store.Stats(da, store.StatsQuery{View: store.StatsByTrade, OrgID: o.ID}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("dept focused on %s: %v", o.Name, err)
			}
			break
		}
	}
	bad := []store.StatsQuery{
		{View: "x"},
		{View: store.StatsByOrg, StatsFilter: store.StatsFilter{Level: 6}},
		{View: store.StatsByOrg, StatsFilter: store.StatsFilter{Occupation: "12"}},
		{View: store.StatsByOrg, StatsFilter: store.StatsFilter{OrgType: store.Dept}},
		{View: store.StatsByOrg, StatsFilter: store.StatsFilter{From: day(2026, 5, 2), To: day(2026, 5, 1)}},
		{View: store.StatsByOrg, Region: "3501"},
	}
	for _, q := range bad {
		var ve *store.ValidationError
		if _, err := w.Store.Stats(pa, q); !errors.As(err, &ve) {
			t.Errorf("%+v: %v, want a validation error", q, err)
		}
	}
	if _, ok := data.CityByCode("3401"); !ok {
		t.Fatal("no 合肥市")
	}
}

// A database from before the statistics gets its counters at the next
// start, equal to the ones kept along the way.
func TestStatsMigrationBuildsCounters(t *testing.T) {
	w := newStatsWorld(t, 9, 8)
	want, wantOrgs := w.Store.StatsCountersForTest()
	if err := w.Store.DropStatsForTest(); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.Store.StatsCountersForTest(); len(got) != 0 {
		t.Fatalf("%d counters left after dropping", len(got))
	}
	w.Store.Close()
	st, err := store.Open(w.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, _ := st.Schema(); v != store.SchemaVersion {
		t.Fatalf("schema %d after start, want %d", v, store.SchemaVersion)
	}
	got, gotOrgs := st.StatsCountersForTest()
	if len(got) != len(want) || len(gotOrgs) != len(wantOrgs) {
		t.Fatalf("migration built %d counters and %d organisations, want %d and %d", len(got), len(gotOrgs), len(want), len(wantOrgs))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("counter %s: migrated %q, kept %q", k, got[k], v)
		}
	}
	// Running it again changes nothing.
	if err := st.RebuildStatsForTest(); err != nil {
		t.Fatal(err)
	}
	again, _ := st.StatsCountersForTest()
	if len(again) != len(want) {
		t.Fatalf("second run: %d counters, want %d", len(again), len(want))
	}
}
