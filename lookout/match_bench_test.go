package lookout

import (
	"testing"
	"time"

	"github.com/writhq/writ"
)

// BenchmarkMatch measures the index alone: 100,000 events (50% pings, 30%
// contacts, 20% plate reads, 0.1% of them about a watched selector) matched
// against 10,000 active lookouts. One op is the 100,000 events.
func BenchmarkMatch(b *testing.B) {
	now := writ.Now()
	a := &writ.Authority{ID: 1, CaseID: 1, Status: writ.AuthApproved, WindowStart: now.Add(-24 * time.Hour),
		WindowEnd: now.Add(24 * time.Hour), ExpiresAt: now.Add(24 * time.Hour)}
	ls, watched := SynthLookouts(10_000, 1, 1, 1)
	start := time.Now()
	x := newIndex()
	for _, l := range ls {
		x.add(l, a)
	}
	build := time.Since(start)
	batches := []*writ.Batch{
		SynthBatch(writ.DataPings, 50_000, "p", now.Add(-time.Hour), 0.001, watched, 2),
		SynthBatch(writ.DataContacts, 30_000, "c", now.Add(-time.Hour), 0.001, watched, 3),
		SynthBatch(writ.DataPlateReads, 20_000, "r", now.Add(-time.Hour), 0.001, watched, 4),
	}
	m := newMatcher([]byte("bench"))
	b.ReportAllocs()
	b.ResetTimer()
	cands := 0
	for range b.N {
		for _, bt := range batches {
			cands += len(m.batch(x, bt, now))
		}
	}
	b.StopTimer()
	events := float64(b.N) * 100_000
	b.ReportMetric(b.Elapsed().Seconds()*1e9/events, "ns/event")
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cands)/float64(b.N), "candidates/op")
	b.ReportMetric(float64(build.Microseconds())/1000, "index-build-ms")
}
