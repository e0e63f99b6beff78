package lookout_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/lookout"
)

// TestWrapPassesThrough checks that a wrapped store still lays out batches
// ahead (ingest.Preparer) and settles (ingest.Settler), as the store alone.
func TestWrapPassesThrough(t *testing.T) {
	f := newFixture(t, lookout.Config{})
	pr, ok := f.ingest.(ingest.Preparer)
	if !ok {
		t.Fatal("the wrapped store is not an ingest.Preparer")
	}
	se, ok := f.ingest.(ingest.Settler)
	if !ok {
		t.Fatal("the wrapped store is not an ingest.Settler")
	}
	at := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	var line int64 = 2
	for n := range 3 {
		b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:wrapped", Number: int64(n), Size: 20, Dataset: f.agreement.Dataset,
			Source: "pings.csv", Kind: writ.DataPings, BasisKind: "agreement", BasisID: f.agreement.ID}}
		for i := range 20 {
			b.Pings = append(b.Pings, writ.Ping{Device: fmt.Sprint("dev-", n), At: at.Add(time.Duration(i) * time.Minute),
				Lat: 50.85, Lon: 4.35, AccuracyM: 10, Prov: writ.Provenance{Offset: line, ContentHash: fmt.Sprint("h", line)}})
			line++
		}
		pr.PrepareBatch(b)
		if res, err := f.ingest.CommitBatch(f.ctx, b); err != nil || res.Stored != 20 {
			t.Fatalf("CommitBatch = %+v, %v", res, err)
		}
	}
	blocks := func() int {
		var n int
		if err := f.db.Reader().QueryRow(`SELECT count(*) FROM ping_cell_blocks`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := blocks(); n != 3 {
		t.Fatalf("cell blocks before settling = %d, want 3", n)
	}
	if err := se.Settle(f.ctx); err != nil {
		t.Fatal(err)
	}
	if n := blocks(); n != 1 {
		t.Errorf("cell blocks after settling through the wrapper = %d, want 1", n)
	}
}
