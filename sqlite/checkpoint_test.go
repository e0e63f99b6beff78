package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/writhq/writ"
)

// TestCheckpointAfterBatch commits ingest batches and reads the WAL index:
// past checkpointFrames, CommitBatch leaves the WAL copied into the
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
	u := &writ.User{Username: "ops", DisplayName: "Ops", Role: writ.RoleAdmin, Active: true, PasswordHash: "x"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	a := &writ.Agreement{Name: "Feed", Dataset: "carrier", Parties: []string{"Carrier", "Police"}, Purposes: []string{"lookouts"},
		RetentionDays: 30, ExpiresAt: time.Now().Add(24 * time.Hour), CreatedBy: u.ID}
	if err := db.CreateAgreement(ctx, a); err != nil {
		t.Fatal(err)
	}
	agreement := a.ID
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
	defer func(f uint32) { checkpointFrames = f }(checkpointFrames)

	checkpointFrames = 1 << 30 // never
	commit()
	frames, backfilled, err := walIndex(path + "-shm")
	if err != nil || frames == 0 || backfilled >= frames {
		t.Fatalf("after a batch below the threshold: %d frames, %d copied, %v; want frames left in the WAL", frames, backfilled, err)
	}
	checkpointFrames = 1 // every batch
	commit()
	frames, backfilled, err = walIndex(path + "-shm")
	if err != nil || frames == 0 || backfilled != frames {
		t.Fatalf("after a batch past the threshold: %d frames, %d copied, %v; want all copied", frames, backfilled, err)
	}
	if _, _, err := walIndex(filepath.Join(t.TempDir(), "none-shm")); err == nil {
		t.Error("walIndex(missing file) = nil error")
	}
}
