package audit_test

import (
	"context"
	"testing"

	"github.com/writhq/writ/audit"
)

// BenchmarkRecord measures audited decisions per second with many callers
// at once, as the scope gate makes them: group commit batches them.
func BenchmarkRecord(b *testing.B) {
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			l := openLog(b, s.open(b), newKeys(b))
			ctx := context.Background()
			b.ReportAllocs()
			b.SetParallelism(64)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for i := 0; pb.Next(); i++ {
					if _, err := l.Record(ctx, sample(i)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkVerify measures full recomputation of a log.
func BenchmarkVerify(b *testing.B) {
	const n = 20000
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			l := openLog(b, s.open(b), newKeys(b))
			fill(b, l, n)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := l.Verify(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// fill records n entries from many goroutines.
func fill(tb testing.TB, l *audit.Log, n int) {
	tb.Helper()
	errs := make(chan error, 64)
	for w := range 64 {
		go func() {
			var err error
			for i := w; i < n && err == nil; i += 64 {
				_, err = l.Record(context.Background(), sample(i))
			}
			errs <- err
		}()
	}
	for range 64 {
		if err := <-errs; err != nil {
			tb.Fatal(err)
		}
	}
}
