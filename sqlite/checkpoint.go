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
// writer's own threshold is a high safety net (autoCheckpointPages), and
// CommitBatch checkpoints (passively) after a batch once the WAL holds
// checkpointFrames frames: the copying falls on ingest.
const autoCheckpointPages = 20_000 // 320 MiB of 16 KiB pages

// checkpointFrames is the WAL size, in frames, at which an ingest batch
// checkpoints (a variable for the tests).
var checkpointFrames uint32 = 10_000

// afterBatch returns the checkpoint CommitBatch runs after each batch.
func afterBatch(w *sql.DB, path string) func(ctx context.Context) error {
	shm := path + "-shm"
	return func(ctx context.Context) error {
		frames, _, err := walIndex(shm)
		if err != nil || frames < checkpointFrames {
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
