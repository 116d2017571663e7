package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/store"
)

// statsBenchFilters is every combination of the statistics filters: four
// date ranges (none, a quarter, an awkward span of years, open at the
// start), with and without an occupation, with and without a level, and
// each organisation type.
func statsBenchFilters() []store.StatsFilter {
	dates := [][2]time.Time{
		{},
		{day(2024, 7, 1), day(2024, 9, 30)},
		{day(2022, 6, 16), day(2025, 1, 14)},
		{{}, day(2024, 5, 17)},
	}
	var out []store.StatsFilter
	for _, d := range dates {
		for _, occ := range []string{"", "012"} {
			for _, lv := range []int{0, 4} {
				for _, typ := range []store.OrgType{"", store.Unit, store.Direct} {
					out = append(out, store.StatsFilter{From: d[0], To: d[1], Occupation: occ, Level: lv, OrgType: typ})
				}
			}
		}
	}
	return out
}

// BenchmarkStats2M answers every view of 统计分析 for the province and a
// dept on two million certificates, under every combination of filters
// (target: each at most 5 ms). ns/op covers all 48 combinations; mean-ms
// and worst-ms are per query (worst: the slowest combination's median of
// nine runs, which a machine shared with other work can still inflate).
func BenchmarkStats2M(b *testing.B) {
	w := fixture.Big(b, benchCerts())
	filters := statsBenchFilters()
	for _, v := range []struct {
		name, who string
		q         store.StatsQuery
	}{
		{"province/cities", "demo-province", store.StatsQuery{View: store.StatsByOrg}},
		{"province/city-orgs", "demo-province", store.StatsQuery{View: store.StatsByOrg, Region: "3401"}},
		{"province/direct-orgs", "demo-province", store.StatsQuery{View: store.StatsByOrg, Region: "3400"}},
		{"province/trade", "demo-province", store.StatsQuery{View: store.StatsByTrade}},
		{"province/city-trade", "demo-province", store.StatsQuery{View: store.StatsByTrade, Region: "3401"}},
		{"province/month", "demo-province", store.StatsQuery{View: store.StatsByMonth}},
		{"dept/units", "demo-dept", store.StatsQuery{View: store.StatsByOrg}},
		{"dept/trade", "demo-dept", store.StatsQuery{View: store.StatsByTrade}},
		{"dept/month", "demo-dept", store.StatsQuery{View: store.StatsByMonth}},
	} {
		a := w.Actor(b, v.who)
		b.Run(v.name, func(b *testing.B) {
			run := func(f store.StatsFilter) store.StatsReport {
				q := v.q
				q.StatsFilter = f
				rep, err := w.Store.Stats(a, q)
				if err != nil {
					b.Fatalf("%+v: %v", q, err)
				}
				return rep
			}
			var total int64
			for b.Loop() {
				for _, f := range filters {
					total += run(f).Total.Issued
				}
			}
			worst, worstAt := time.Duration(0), 0
			for i, f := range filters {
				var times []time.Duration
				for range 9 {
					t0 := time.Now()
					run(f)
					times = append(times, time.Since(t0))
				}
				slices.Sort(times)
				if times[4] > worst {
					worst, worstAt = times[4], i
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*len(filters)), "mean-ms")
			b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
			if testing.Verbose() {
				b.Logf("slowest: %s %+v", fmt.Sprint(worst), filters[worstAt])
			}
		})
	}
}
