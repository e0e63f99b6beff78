package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
	"github.com/writhq/writ/storetest"
)

// TestPingReadRounds runs the ping reads of the conformance suite with
// scans cut into rounds of 1, 2, 4... batches after 4 blocks, so that pages
// are filled across rounds, and PingsNear's reads cut into statements of
// two seeks, which its readers share out.
func TestPingReadRounds(t *testing.T) {
	defer sqlstore.SetPingScan(4, 1)()
	defer sqlstore.SetNearSeeks(2)()
	storetest.RunPingBlocks(t, func(t *testing.T) *sqlstore.DB {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "writ.db"))
		if err != nil {
			t.Fatalf("sqlite.Open() = %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// TestCompactMaxKeys commits small feed batches of two devices with
// automatic compaction bounded to one key: each compaction merges one
// device-day, and the other waits for the next.
func TestCompactMaxKeys(t *testing.T) {
	defer sqlstore.SetCompactMaxKeys(1)()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "writ.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	agreement := storetest.Agreement(t, db)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	blocks := func(device string) int {
		var n int
		if err := db.Reader().QueryRow(`SELECT count(*) FROM ping_device_blocks WHERE device = ?`, device).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	seq := 0
	commit := func(batches int) {
		for range batches {
			seq++
			b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "stream:feed", Number: int64(seq), Size: 2, Dataset: "carrier",
				Source: "feed", Kind: writ.DataPings, BasisKind: "agreement", BasisID: agreement}, Stream: "feed"}
			for i, d := range []string{"dev-a", "dev-b"} {
				b.Pings = append(b.Pings, writ.Ping{Device: d, At: start.Add(time.Duration(seq) * time.Minute), Lat: 50.85, Lon: 4.35,
					AccuracyM: 5, Prov: writ.Provenance{Offset: int64(2*seq + i), ContentHash: fmt.Sprint("h", seq, i)}})
			}
			if res, err := db.CommitBatch(ctx, b); err != nil || res.Stored != 2 {
				t.Fatalf("CommitBatch(%d) = %+v, %v", seq, res, err)
			}
		}
	}
	commit(64) // both keys due; one merged
	if a, b := blocks("dev-a"), blocks("dev-b"); a+b != 1+64 {
		t.Fatalf("after one bounded compaction: %d and %d blocks, want one key merged (1 + 64)", a, b)
	}
	commit(64) // the waiting key merged
	if a, b := blocks("dev-a"), blocks("dev-b"); a+b != 1+1+64 {
		t.Fatalf("after a second bounded compaction: %d and %d blocks, want the other key merged too (1 + 1 + 64)", a, b)
	}
}
