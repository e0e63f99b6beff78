package resolve

import (
	"flag"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

var million = flag.Bool("resolve.million", false, "run the one-million-record benchmark")

// BenchmarkDedupeFEBRL3 resolves FEBRL dataset 3 (5,000 records) end to
// end: compile, block, u, EM, score, cluster.
func BenchmarkDedupeFEBRL3(b *testing.B) {
	recs, truth := febrl(b, "dataset3.csv", "a")
	b.ReportAllocs()
	var r *Resolver
	for b.Loop() {
		var err error
		if r, err = New(febrlSpec()); err != nil {
			b.Fatal(err)
		}
		if err := r.Run(slices.Values(recs)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(PairScores(r.Pairs(), truth, 0.5).F1, "F1")
	b.Logf("stats %+v", r.Stats())
}

// BenchmarkLink5000 links two synthetic sets of 5,000 records about the same
// people, the second corrupted.
func BenchmarkLink5000(b *testing.B) {
	recs, truth := newSynth(1).linkage(5000)
	b.ReportAllocs()
	var r *Resolver
	for b.Loop() {
		var err error
		if r, err = New(synthSpec(true)); err != nil {
			b.Fatal(err)
		}
		if err := r.Run(slices.Values(recs)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(PairScores(r.Pairs(), truth, 0.5).F1, "F1")
	b.ReportMetric(float64(r.Stats().CandidatePairs), "candidates")
	b.Logf("stats %+v", r.Stats())
}

// BenchmarkLinkFEBRL3 links FEBRL dataset 3 (5,000 records) with a
// corrupted copy of itself (5,000 more).
func BenchmarkLinkFEBRL3(b *testing.B) {
	recs, truth := febrlLinkage(b)
	spec := febrlSpec()
	spec.Link = true
	b.ReportAllocs()
	var r *Resolver
	for b.Loop() {
		var err error
		if r, err = New(spec); err != nil {
			b.Fatal(err)
		}
		if err := r.Run(slices.Values(recs)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(PairScores(r.Pairs(), truth, 0.5).F1, "F1")
	b.ReportMetric(float64(r.Stats().CandidatePairs), "candidates")
	b.Logf("stats %+v", r.Stats())
}

// BenchmarkMillion deduplicates a million generated records, streamed in so
// they are never all held as maps; run it with -resolve.million.
func BenchmarkMillion(b *testing.B) {
	if !*million || testing.Short() {
		b.Skip("one million records take minutes; run with -resolve.million")
	}
	const n = 1_000_000
	b.ReportAllocs()
	for b.Loop() {
		peak, stop := watchHeap()
		truth := make([]int32, n)
		r, err := New(synthSpec(false))
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Run(newSynth(2).dedupe(n, truth)); err != nil {
			b.Fatal(err)
		}
		stop()
		st := r.Stats()
		b.Logf("stats %+v", st)
		b.ReportMetric(float64(*peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(st.CandidatePairs), "candidates")
		tp, fp := 0, 0
		for _, e := range r.edges {
			if e.p() < 0.5 {
				continue
			}
			if truth[e.x] == truth[e.y] {
				tp++
			} else {
				fp++
			}
		}
		sizes := map[int32]int{}
		for _, e := range truth {
			sizes[e]++
		}
		positives := 0
		for _, k := range sizes {
			positives += k * (k - 1) / 2
		}
		b.ReportMetric(float64(tp)/float64(tp+fp), "precision@0.5")
		b.ReportMetric(float64(tp)/float64(positives), "recall@0.5")
	}
}

// watchHeap samples the heap in use until stop is called.
func watchHeap() (*uint64, func()) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return &peak, func() { close(done); wg.Wait() }
}
