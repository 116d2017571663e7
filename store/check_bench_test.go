package store_test

import (
	"errors"
	"runtime"
	"syscall"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/store"
)

// BenchmarkCheck2M is the full check (every page, record, index, counter,
// rule and file) of the two-million-certificate world (target: under 60 s,
// well under a gigabyte). The world stays as it is: the check only reads.
func BenchmarkCheck2M(b *testing.B) {
	w := fixture.Big(b, benchCerts())
	if err := w.Store.Close(); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start, cpu0 := time.Now(), cpuTime()
		r, err := checkWhenFree(w.Dir)
		if err != nil {
			b.Fatal(err)
		}
		took, cpu := time.Since(start), cpuTime()-cpu0
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if !r.OK() {
			b.Fatalf("the benchmark world fails its check:\n%s", report(r))
		}
		b.ReportMetric(took.Seconds(), "s/check")
		// Processor time does not depend on what else the machine runs: on an
		// idle 2-core machine the check takes a little over half of it.
		b.ReportMetric(cpu.Seconds(), "cpu-s/check")
		b.ReportMetric(float64(after.Sys)/(1<<20), "MB-sys")
		b.ReportMetric(float64(r.Areas[store.AreaDerived].Checked), "derived-entries")
		b.Logf("%d certificates: full check in %s, %s of processor time (file %s, records %s, derived %s)", r.Figures.Certificates, took.Round(time.Millisecond), cpu.Round(time.Millisecond),
			r.Areas[store.AreaFile].Elapsed.Round(time.Millisecond), r.Areas[store.AreaRecords].Elapsed.Round(time.Millisecond),
			r.Areas[store.AreaDerived].Elapsed.Round(time.Millisecond))
	}
}

// checkWhenFree waits while another package's benchmark holds the shared
// world open.
func checkWhenFree(dir string) (*store.CheckReport, error) {
	deadline := time.Now().Add(15 * time.Minute)
	for {
		r, err := store.CheckDir(dir, store.CheckOptions{Full: true})
		if !errors.Is(err, store.ErrLocked) || time.Now().After(deadline) {
			return r, err
		}
		time.Sleep(time.Second)
	}
}

// cpuTime is the processor time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
