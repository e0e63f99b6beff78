package world

import (
	"context"
	"testing"
)

// BenchmarkGeneratePings generates a whole world (population, sources,
// truth and a day of events written to disk) and reports pings written per
// second of the whole run; the target is at least a million.
func BenchmarkGeneratePings(b *testing.B) {
	for _, bc := range []struct {
		name string
		gzip bool
	}{{"csv", false}, {"gzip", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			dir := b.TempDir()
			var pings int64
			for i := 0; b.Loop(); i++ {
				s, err := Generate(context.Background(), Config{Seed: uint64(i), Persons: 5000, Days: 1, Out: dir, Gzip: bc.gzip})
				if err != nil {
					b.Fatal(err)
				}
				pings += s.Pings
			}
			b.ReportMetric(float64(pings)/b.Elapsed().Seconds(), "pings/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkPersonDay measures the event generation of one person-day alone,
// with output discarded.
func BenchmarkPersonDay(b *testing.B) {
	cfg := Config{Seed: 1, Persons: 2000, Days: 7, Out: b.TempDir()}
	if err := cfg.normalize(); err != nil {
		b.Fatal(err)
	}
	w := build(cfg)
	g := &eventGen{w: w, buf: make([]byte, 0, 64<<10)}
	for i, p := range []**outFile{&g.pings, &g.contacts, &g.plates} {
		o, err := create("", eventFiles[i].path, "event", false, true)
		if err != nil {
			b.Fatal(err)
		}
		*p = o
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n%len(w.persons) == 0 {
			g.startDay(n / len(w.persons) % w.days)
		}
		if err := g.person(int32(n % len(w.persons))); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(g.pings.rows)/b.Elapsed().Seconds(), "pings/s")
}
