package main

import (
	"os"
	"runtime/debug"
)

// The server keeps little on the Go heap (the database is a memory-mapped
// file): about 4 MB live while it serves lists at two million
// certificates. With Go's default of a collection each time the heap
// doubles, a busy list page (90 KB of short-lived answers each) triggered
// 60 collections a second. tuneGC lets the heap grow to five times what is
// live before collecting, and caps the total with a soft limit so that a
// large job (a 500-certificate PDF, an import) does not grow the process
// past it. GOGC and GOMEMLIMIT, when set, take precedence (docs/operations.md).
const (
	gcPercent   = 400
	memoryLimit = 1 << 30 // bytes
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
