package geo

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/writhq/writ/world"
)

// synthFixes is a deterministic track: 20-minute stops every so often,
// walking in between, a fix every 30 s.
func synthFixes(n int) []Fix {
	r := rand.New(rand.NewPCG(1, 2))
	fs := make([]Fix, n)
	lat, lon := 50.85, 4.35
	for i := range fs {
		if (i/40)%2 == 1 { // move for 20 min, then stay 20 min
			lat += (r.Float64() - 0.5) * 0.002
			lon += (r.Float64() - 0.5) * 0.003
		}
		fs[i] = Fix{T: int64(i * 30), Lat: lat + r.NormFloat64()*0.0001, Lon: lon + r.NormFloat64()*0.00015, Acc: 15}
	}
	return fs
}

// BenchmarkStayPoints reports pings per second on one million fixes.
func BenchmarkStayPoints(b *testing.B) {
	fs := synthFixes(1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(StayPoints(fs, StayOptions{}))
	}
	b.ReportMetric(float64(len(fs))*float64(b.N)/b.Elapsed().Seconds(), "pings/s")
	b.ReportMetric(float64(n), "stays")
}

// BenchmarkCoLocation ranks the devices near the ring's seller over 30
// days of a 1,000-person world at density 0.25 (about 2.5 million pings).
func BenchmarkCoLocation(b *testing.B) {
	dir := b.TempDir()
	if _, err := world.Generate(context.Background(), world.Config{Seed: 3, Persons: 1000, Days: 30, Density: 0.25, Out: dir}); err != nil {
		b.Fatal(err)
	}
	truth, err := world.LoadTruth(dir)
	if err != nil {
		b.Fatal(err)
	}
	tracks := readPingsCSV(b, filepath.Join(dir, "events", "pings.csv"))
	var total int
	by := map[string][]Fix{}
	for _, tr := range tracks {
		total += len(tr.Fixes)
		by[tr.Device] = tr.Fixes
	}
	seller, _ := truth.Ring.Member("seller", 0)
	target := seller.Devices[0]
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		CoLocation(by[target], tracks, target, CoLocOptions{Within: 10 * time.Minute})
	}
	b.ReportMetric(float64(total), "pings")
	b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "pings/s")
}
