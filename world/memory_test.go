package world

import (
	"context"
	"runtime"
	"testing"
)

// TestBoundedMemory generates 20,000 persons over a week and samples the heap
// at every progress report: it must stay under a bound fixed by the
// population, far below what holding the week's pings would take.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates about ten million pings; skipped with -short")
	}
	const bound = 40 << 20
	var peak uint64
	var reports int
	var ms runtime.MemStats
	cfg := Config{Seed: 11, Persons: 20_000, Days: 7, Out: t.TempDir(), Density: 0.25, discardEvents: true,
		Progress: func(Progress) {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			reports++
		}}
	sum, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	held := uint64(sum.Pings) * 40 // a Ping row is at least this big in memory
	t.Logf("%d pings, %d contacts, %d plate reads in %v; peak heap in use %d MiB over %d samples; holding the pings would take %d MiB",
		sum.Pings, sum.Contacts, sum.PlateReads, sum.Elapsed, peak>>20, reports, held>>20)
	if reports < cfg.Days {
		t.Fatalf("%d progress reports, want one per day at least", reports)
	}
	if peak > bound {
		t.Errorf("peak heap in use = %d MiB, want under %d MiB", peak>>20, bound>>20)
	}
	if held < 4*bound {
		t.Errorf("the test is too small to tell: holding all pings would take only %d MiB", held>>20)
	}
}
