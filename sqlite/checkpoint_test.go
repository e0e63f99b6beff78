package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/storetest"
)

// TestCheckpointAfterBatch commits ingest batches and reads the WAL index:
// past checkpointBytes, CommitBatch leaves the WAL copied into the
// database; below it, the frames stay in the WAL, as SQLite's own
// threshold is far off.
func TestCheckpointAfterBatch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "writ.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A data-sharing agreement is the batches' legal basis.
	agreement := storetest.Agreement(t, db)
	n := 0
	commit := func() {
		t.Helper()
		n++
		b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:ckpt", Number: int64(n), Size: 200, Dataset: "carrier",
			Source: "feed", Kind: writ.DataContacts, BasisKind: "agreement", BasisID: agreement}}
		for i := range 200 {
			b.Contacts = append(b.Contacts, writ.Contact{Caller: fmt.Sprintf("+3247%07d", n*1000+i), Callee: "+32470000001",
				StartedAt: time.Unix(1_700_000_000+int64(n*1000+i), 0).UTC(), Type: "call",
				Prov: writ.Provenance{Offset: int64(i + 1), ContentHash: fmt.Sprintf("h%d-%d", n, i)}})
		}
		if res, err := db.CommitBatch(ctx, b); err != nil || !res.Committed {
			t.Fatalf("CommitBatch(%d) = %+v, %v", n, res, err)
		}
	}
	defer func(b int) { checkpointBytes = b }(checkpointBytes)

	checkpointBytes = 1 << 40 // never
	commit()
	frames, backfilled, err := walIndex(path + "-shm")
	if err != nil || frames == 0 || backfilled >= frames {
		t.Fatalf("after a batch below the threshold: %d frames, %d copied, %v; want frames left in the WAL", frames, backfilled, err)
	}
	checkpointBytes = 1 // every batch
	commit()
	frames, backfilled, err = walIndex(path + "-shm")
	if err != nil || frames == 0 || backfilled != frames {
		t.Fatalf("after a batch past the threshold: %d frames, %d copied, %v; want all copied", frames, backfilled, err)
	}
	if _, _, err := walIndex(filepath.Join(t.TempDir(), "none-shm")); err == nil {
		t.Error("walIndex(missing file) = nil error")
	}
}

// TestUnsettledAfterCrash commits pings into three hours and, without
// closing the store (as a killed process leaves it), opens it again: the
// new handle knows the hours left pending and settles them.
func TestUnsettledAfterCrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "writ.db")
	crashed, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	agreement := storetest.Agreement(t, crashed)
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for n := range 12 { // four batches an hour, 100 pings each, in one cell
		b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:crash", Number: int64(n), Size: 100, Dataset: "carrier",
			Source: "pings.csv", Kind: writ.DataPings, BasisKind: "agreement", BasisID: agreement}}
		for i := range 100 {
			at := start.Add(time.Duration(n*15)*time.Minute + time.Duration(i)*time.Second)
			b.Pings = append(b.Pings, writ.Ping{Device: fmt.Sprintf("dev-%d", i%5), At: at, Lat: float64(50_850_000+10*i) / 1e6, Lon: 4.35, // on the 1e-6° grid, as parsed
				AccuracyM: 10, Prov: writ.Provenance{Offset: int64(n*100 + i + 2), ContentHash: fmt.Sprintf("h%d-%d", n, i)}})
		}
		if res, err := crashed.CommitBatch(ctx, b); err != nil || !res.Committed {
			t.Fatalf("CommitBatch(%d) = %+v, %v", n, res, err)
		}
	}
	// The last two hours are pending (the first is settled: ingest passed it).
	reopened, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := reopened.SettlePings(ctx)
	if err != nil || st.Keys != 2 || st.Before != 8 {
		t.Fatalf("SettlePings() after a crash = %+v, %v; want the 2 pending hours' keys, 8 blocks, merged", st, err)
	}
	if err := reopened.Close(); err != nil {
		t.Fatal(err)
	}
	if err := crashed.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if st, err := again.SettlePings(ctx); err != nil || st.Keys != 0 {
		t.Errorf("SettlePings() after a clean close = %+v, %v; want nothing pending", st, err)
	}
}
