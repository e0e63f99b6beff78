package world

import (
	"context"
	"runtime"
	"testing"
)

// TestBoundedMemory generates 20,000 persons over a week and samples the live
// heap at every progress report: it must stay under a bound fixed by the
// population, far below what holding the week's pings would take.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates about five million pings; skipped with -short")
	}
	const bound = 32 << 20
	// Live heap after a collection, less what the test binary held before
	// (other tests' cached data): the generator's own memory.
	var ms runtime.MemStats
	live := func() uint64 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	base := live()
	var peak uint64
	var reports int
	cfg := Config{Seed: 11, Persons: 20_000, Days: 7, Out: t.TempDir(), Density: 0.1, discardEvents: true,
		Progress: func(Progress) {
			if reports%3 == 0 { // a collection each time would dominate the run
				if h := live(); h > base {
					peak = max(peak, h-base)
				}
			}
			reports++
		}}
	sum, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	held := uint64(sum.Pings) * 40 // a Ping row is at least this big in memory
	t.Logf("%d pings, %d contacts, %d plate reads in %v; peak live heap %d MiB over %d reports; holding the pings would take %d MiB",
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
