package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// Checkpoints. SQLite checkpoints its WAL itself in whichever commit takes
// it past wal_autocheckpoint pages; under a feed that was now and then the
// small transaction that stores an alert or appends an audit entry, which
// then waited 100 ms or more while ingest's pages were copied. So the
// writer's own threshold is a high safety net (autoCheckpointBytes), and
// CommitBatch checkpoints (passively) after a batch once the WAL holds
// checkpointBytes: the copying falls on ingest. Both are in bytes, so that a
// database keeps the same WAL whatever its page size.
const autoCheckpointBytes = 320 << 20

// checkpointBytes is the WAL size at which an ingest batch checkpoints (a
// variable for the tests).
var checkpointBytes = 160 << 20

// afterBatch returns the checkpoint CommitBatch runs after each batch, for
// a database of pages of pageSize bytes.
func afterBatch(w *sql.DB, path string, pageSize int) func(ctx context.Context) error {
	shm := path + "-shm"
	return func(ctx context.Context) error {
		frames, _, err := walIndex(shm)
		if err != nil || int64(frames)*int64(pageSize) < int64(checkpointBytes) {
			return nil // unreadable: the safety net still checkpoints
		}
		_, err = w.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		return err
	}
}

// walIndex reads, from the WAL index (the -shm file; its header in the
// host's byte order, www.sqlite.org/walformat.html), how many frames the
// WAL holds (mxFrame) and how many of them are copied into the database
// (nBackfill).
func walIndex(shm string) (frames, backfilled uint32, err error) {
	f, err := os.Open(shm)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var b [100]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return 0, 0, err
	}
	if v := binary.NativeEndian.Uint32(b[0:]); v != 3007000 {
		return 0, 0, fmt.Errorf("%s: WAL index version %d", shm, v)
	}
	return binary.NativeEndian.Uint32(b[16:]), binary.NativeEndian.Uint32(b[96:]), nil
}
