package sqlstore_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/postgres"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
	"golang.org/x/mod/sumdb/tlog"
)

// The Merkle tree logic is tested in package audit against both stores;
// these tests pin down the storage contract it relies on.
func TestAuditStorage(t *testing.T) {
	stores := []struct {
		name string
		open func(testing.TB) *sqlstore.DB
	}{
		{"sqlite", func(tb testing.TB) *sqlstore.DB {
			db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "writ.db"))
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { db.Close() })
			return db
		}},
		{"postgres", postgres.OpenTest},
	}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			testAuditStorage(t, s.open(t))
		})
	}
}

// leaves returns n leaves from first, with their stored hashes.
func leaves(t *testing.T, prior [][]byte, n int) ([][]byte, []tlog.Hash) {
	t.Helper()
	var all []tlog.Hash
	r := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = all[x]
		}
		return out, nil
	})
	data := slices.Clone(prior)
	for i := range len(prior) + n {
		if i >= len(prior) {
			data = append(data, []byte{byte(i)})
		}
		hs, err := tlog.StoredHashes(int64(i), data[i], r)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, hs...)
	}
	return data[len(prior):], all[tlog.StoredHashCount(int64(len(prior))):]
}

func testAuditStorage(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	if n, err := db.AuditSize(ctx); err != nil || n != 0 {
		t.Fatalf("AuditSize(empty) = %d, %v, want 0", n, err)
	}
	if _, _, err := db.LatestAuditCheckpoint(ctx); writ.ErrorKind(err) != writ.ENotFound {
		t.Fatalf("LatestAuditCheckpoint(empty) = %v, want not found", err)
	}
	first, h1 := leaves(t, nil, 3)
	if err := db.AppendAudit(ctx, 0, first, h1[1:], "ck3"); writ.ErrorKind(err) != writ.EInvalid {
		t.Errorf("AppendAudit(short hashes) = %v, want invalid", err)
	}
	if err := db.AppendAudit(ctx, 1, first[1:], h1[tlog.StoredHashCount(1):], "ck3"); writ.ErrorKind(err) != writ.EConflict {
		t.Errorf("AppendAudit(first 1 on an empty log) = %v, want conflict", err)
	}
	if err := db.AppendAudit(ctx, 0, first, h1, "ck3"); err != nil {
		t.Fatalf("AppendAudit(0, 3 leaves) = %v", err)
	}
	// A second writer that thinks the log is still empty loses.
	if err := db.AppendAudit(ctx, 0, first, h1, "ck3"); writ.ErrorKind(err) != writ.EConflict {
		t.Errorf("AppendAudit(0) again = %v, want conflict", err)
	}
	second, h2 := leaves(t, first, 1200) // more than one INSERT chunk
	if err := db.AppendAudit(ctx, 3, second, h2, "ck1203"); err != nil {
		t.Fatalf("AppendAudit(3, 1200 leaves) = %v", err)
	}
	if n, err := db.AuditSize(ctx); err != nil || n != 1203 {
		t.Errorf("AuditSize = %d, %v, want 1203", n, err)
	}
	if size, note, err := db.LatestAuditCheckpoint(ctx); err != nil || size != 1203 || note != "ck1203" {
		t.Errorf("LatestAuditCheckpoint = %d, %q, %v, want 1203 ck1203", size, note, err)
	}

	var got []int64
	err := db.ReadAuditEntries(ctx, 2, 6, func(idx int64, data []byte) error {
		got = append(got, idx)
		if want := []byte{byte(idx)}; !slices.Equal(data, want) {
			t.Errorf("entry %d = %v, want %v", idx, data, want)
		}
		return nil
	})
	if err != nil || !slices.Equal(got, []int64{2, 3, 4, 5}) {
		t.Errorf("ReadAuditEntries(2, 6) = %v, %v, want 2..5", got, err)
	}

	all := slices.Concat(h1, h2)
	ix := []int64{7, 0, 7, int64(len(all) - 1)}
	hs, err := db.ReadAuditHashes(ctx, ix)
	if err != nil {
		t.Fatalf("ReadAuditHashes(%v) = %v", ix, err)
	}
	for i, x := range ix {
		if hs[i] != all[x] {
			t.Errorf("ReadAuditHashes(%v)[%d] = %v, want %v", ix, i, hs[i], all[x])
		}
	}
	if _, err := db.ReadAuditHashes(ctx, []int64{0, int64(len(all))}); writ.ErrorKind(err) != writ.ENotFound {
		t.Errorf("ReadAuditHashes(past the end) = %v, want not found", err)
	}
	n := 0
	err = db.ReadAuditHashRange(ctx, 0, 1<<40, func(idx int64, h []byte) error {
		if idx != int64(n) || string(h) != string(all[n][:]) {
			t.Errorf("ReadAuditHashRange row %d = %d, %x, want %d, %x", n, idx, h, n, all[n])
		}
		n++
		return nil
	})
	if err != nil || n != len(all) {
		t.Errorf("ReadAuditHashRange = %d rows, %v, want %d", n, err, len(all))
	}
	var sizes []int64
	for _, r := range [][2]int64{{0, 3}, {3, 1203}, {0, 1 << 40}} {
		sizes = sizes[:0]
		err := db.AuditCheckpoints(ctx, r[0], r[1], func(size int64, _ string) error { sizes = append(sizes, size); return nil })
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		for _, s := range []int64{3, 1203} {
			if s > r[0] && s <= r[1] {
				want = append(want, s)
			}
		}
		if !slices.Equal(sizes, want) {
			t.Errorf("AuditCheckpoints(%d, %d) = %v, want %v", r[0], r[1], sizes, want)
		}
	}
}
