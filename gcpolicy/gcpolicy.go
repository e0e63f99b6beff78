// Package gcpolicy sets the Go garbage collector for writ's workloads.
//
// Ingest and analyses allocate many short-lived rows over a small live
// heap. At the runtime's default (GOGC=100) the collector then runs every
// few megabytes: ingesting 3.4M pings, it took about 15% of the CPU, and the
// same run was 560,000–622,000 pings/s at GOGC=400 against 480,000–499,000
// at the default. writ therefore runs with GOGC=400 and a soft memory limit
// of 4 GiB, under which the collector works harder rather than let the heap
// grow past it. Setting GOGC or GOMEMLIMIT in the environment overrides
// either (the runtime reads them itself). The writ binary applies this at
// start; the benchmarks apply the same, so they measure what the binary does.
package gcpolicy

import (
	"fmt"
	"runtime/debug"
)

const (
	// Percent is the GOGC writ runs with.
	Percent = 400
	// Limit is the soft memory limit writ runs with, in bytes.
	Limit = 4 << 30
)

// Apply sets Percent and Limit where the environment (read through getenv)
// does not set GOGC or GOMEMLIMIT, and says what it did.
func Apply(getenv func(string) string) string {
	gc, limit := "GOGC from the environment", "GOMEMLIMIT from the environment"
	if getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
		gc = fmt.Sprintf("GOGC=%d", Percent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(Limit)
		limit = fmt.Sprintf("GOMEMLIMIT=%dMiB", Limit>>20)
	}
	return gc + ", " + limit
}
