package handlers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"certreg/fixture"
)

// BenchmarkStatsHTTP2M answers 统计分析 through the whole application
// (session, authorisation, counters, template) on two million certificates,
// as the htmx answer a filter gets, for every view and every combination of
// the filters (target: each at most 2 ms of processor time); and the full
// page (the same target) and the export once each. cpu-µs/op is the
// process's processor time per request (wall time misleads on a shared
// machine); worst-ms and worst-cpu-µs are the slowest combination's
// medians of nine.
func BenchmarkStatsHTTP2M(b *testing.B) {
	w := fixture.Big(b, benchCerts())
	app, err := New(Config{Store: w.Store, Now: w.Clock.Now, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	get := func(tok, path string, htmx bool) []byte {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(&http.Cookie{Name: cookieSession, Value: tok})
		if htmx {
			req.Header.Set("HX-Request", "true")
			req.Header.Set("HX-Target", "stats-result")
		}
		res, err := app.Test(req, -1)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("%s: %d\n%.500s", path, res.StatusCode, body)
		}
		return body
	}
	var filters []string
	for _, d := range []string{"", "from=2024-07-01&to=2024-09-30", "from=2022-06-16&to=2025-01-14", "to=2024-05-17"} {
		for _, occ := range []string{"", "occupation=012"} {
			for _, lv := range []string{"", "level=4"} {
				for _, typ := range []string{"", "type=unit", "type=direct"} {
					v := url.Values{}
					for _, p := range []string{d, occ, lv, typ} {
						if q, _ := url.ParseQuery(p); q != nil {
							for k, x := range q {
								v[k] = x
							}
						}
					}
					filters = append(filters, v.Encode())
				}
			}
		}
	}
	for _, v := range []struct{ name, who, q string }{
		{"province/cities", "demo-province", ""},
		{"province/city-orgs", "demo-province", "region=3401"},
		{"province/trade", "demo-province", "view=trade"},
		{"province/month", "demo-province", "view=month"},
		{"dept/units", "demo-dept", ""},
		{"dept/trade", "demo-dept", "view=trade"},
	} {
		tok := benchSession(b, w, v.who)
		path := func(f string) string {
			p := "/stats?" + v.q
			if f != "" {
				p += "&" + f
			}
			return p
		}
		b.Run(v.name, func(b *testing.B) {
			cpu0 := processCPU()
			for b.Loop() {
				for _, f := range filters {
					get(tok, path(f), true)
				}
			}
			cpu := processCPU() - cpu0
			worst, worstCPU, worstAt := time.Duration(0), time.Duration(0), ""
			for _, f := range filters {
				var times, cpus []time.Duration
				for range 9 {
					t0, c0 := time.Now(), processCPU()
					get(tok, path(f), true)
					times = append(times, time.Since(t0))
					cpus = append(cpus, processCPU()-c0)
				}
				slices.Sort(times)
				slices.Sort(cpus)
				worst = max(worst, times[4])
				if cpus[4] > worstCPU {
					worstCPU, worstAt = cpus[4], f
				}
			}
			if testing.Verbose() {
				b.Logf("most processor time: %s (%s)", path(worstAt), worstCPU)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*len(filters)), "mean-ms")
			b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*len(filters)), "cpu-µs/op")
			b.ReportMetric(float64(worstCPU.Microseconds()), "worst-cpu-µs")
		})
	}
	tok := benchSession(b, w, "demo-province")
	b.Run("province/full-page", func(b *testing.B) {
		var body []byte
		cpu0 := processCPU()
		for b.Loop() {
			body = get(tok, "/stats?region=3401&from=2024-07-01&to=2024-09-30", false)
		}
		b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		b.ReportMetric(float64(len(body)), "bytes")
	})
	b.Run("province/export", func(b *testing.B) {
		var body []byte
		cpu0 := processCPU()
		for b.Loop() {
			body = get(tok, "/stats/export?region=3401&from=2024-07-01&to=2024-09-30", false)
		}
		b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		b.ReportMetric(float64(len(body)), "bytes")
	})
}
