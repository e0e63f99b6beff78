package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
	"github.com/writhq/writ/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *sqlstore.DB {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "writ.db"))
		if err != nil {
			t.Fatalf("sqlite.Open() = %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
