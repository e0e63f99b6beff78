package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

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
