package main

import (
	"runtime/debug"
	"testing"
)

// The server collects garbage when the heap has grown to five times what
// is live, under a soft limit of 1 GiB, unless GOGC or GOMEMLIMIT say
// otherwise.
func TestTuneGCKeepsTheEnvironmentsChoice(t *testing.T) {
	oldPercent, oldLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	defer func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) }()

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	tuneGC()
	if p := debug.SetGCPercent(100); p != 400 {
		t.Errorf("GC percent %d, want 400", p)
	}
	if l := debug.SetMemoryLimit(-1); l != 1<<30 {
		t.Errorf("memory limit %d, want 1 GiB", l)
	}

	debug.SetGCPercent(150)
	debug.SetMemoryLimit(1 << 40)
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1TiB")
	tuneGC()
	if p := debug.SetGCPercent(100); p != 150 {
		t.Errorf("GOGC=150: GC percent %d", p)
	}
	if l := debug.SetMemoryLimit(-1); l != 1<<40 {
		t.Errorf("GOMEMLIMIT=1TiB: memory limit %d", l)
	}
}
