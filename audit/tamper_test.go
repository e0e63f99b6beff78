package audit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/sqlstore"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tamperN entries are recorded one at a time before each tamper case, so
// every entry has its own signed checkpoint.
const tamperN = 40

// Each case edits the database directly, as someone with write access to it
// (but not to the signing key) could, and Verify must name the first entry
// affected.
func TestTamper(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, db *sqlstore.DB)
		want   int64
	}{
		{"change a byte of an entry", func(t *testing.T, db *sqlstore.DB) {
			data := bytes.Replace(entryData(t, db, 17), []byte("read.contacts"), []byte("read.contactz"), 1)
			exec(t, db, `UPDATE audit_entries SET data = ? WHERE idx = ?`, data, 17)
		}, 17},
		{"delete an entry", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `DELETE FROM audit_entries WHERE idx = ?`, 17)
		}, 17},
		{"insert an extra entry", func(t *testing.T, db *sqlstore.DB) {
			data := bytes.Replace(entryData(t, db, 39), []byte(`"index":39`), []byte(`"index":40`), 1)
			exec(t, db, `INSERT INTO audit_entries (idx, data) VALUES (?, ?)`, tamperN, data)
		}, tamperN},
		{"insert an entry far past the end", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `INSERT INTO audit_entries (idx, data) VALUES (?, ?)`, int64(1)<<50, entryData(t, db, 0))
		}, tamperN},
		{"insert an entry with a negative index", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `INSERT INTO audit_entries (idx, data) VALUES (?, ?)`, -1, entryData(t, db, 0))
		}, 0},
		{"swap two entries", func(t *testing.T, db *sqlstore.DB) {
			a, b := entryData(t, db, 5), entryData(t, db, 9)
			exec(t, db, `UPDATE audit_entries SET data = ? WHERE idx = ?`, b, 5)
			exec(t, db, `UPDATE audit_entries SET data = ? WHERE idx = ?`, a, 9)
		}, 5},
		{"swap two entries and their leaf hashes", func(t *testing.T, db *sqlstore.DB) {
			a, b := entryData(t, db, 5), entryData(t, db, 9)
			exec(t, db, `UPDATE audit_entries SET data = ? WHERE idx = ?`, b, 5)
			exec(t, db, `UPDATE audit_entries SET data = ? WHERE idx = ?`, a, 9)
			ha, hb := tlog.RecordHash(a), tlog.RecordHash(b)
			exec(t, db, `UPDATE audit_hashes SET hash = ? WHERE idx = ?`, hb[:], tlog.StoredHashIndex(0, 5))
			exec(t, db, `UPDATE audit_hashes SET hash = ? WHERE idx = ?`, ha[:], tlog.StoredHashIndex(0, 9))
		}, 5},
		{"change a leaf hash", func(t *testing.T, db *sqlstore.DB) {
			h := tlog.RecordHash([]byte("forged"))
			exec(t, db, `UPDATE audit_hashes SET hash = ? WHERE idx = ?`, h[:], tlog.StoredHashIndex(0, 17))
		}, 17},
		{"change an interior hash", func(t *testing.T, db *sqlstore.DB) {
			// Node (level 2, 4) covers entries 16..19 and is written with entry 19.
			h := tlog.RecordHash([]byte("forged"))
			exec(t, db, `UPDATE audit_hashes SET hash = ? WHERE idx = ?`, h[:], tlog.StoredHashIndex(2, 4))
		}, 19},
		{"delete a stored hash", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `DELETE FROM audit_hashes WHERE idx = ?`, tlog.StoredHashIndex(1, 11))
		}, 23},
		{"delete a checkpoint", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `DELETE FROM audit_checkpoints WHERE size = ?`, 18) // the one for entry 17
		}, 17},
		{"delete the latest checkpoint", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `DELETE FROM audit_checkpoints WHERE size = ?`, tamperN)
		}, tamperN - 1},
		{"rewrite an entry and recompute every stored hash", func(t *testing.T, db *sqlstore.DB) {
			data := bytes.Replace(entryData(t, db, 17), []byte(`"results":17`), []byte(`"results":0`), 1)
			exec(t, db, `UPDATE audit_entries SET data = ? WHERE idx = ?`, data, 17)
			rehash(t, db)
		}, 17},
		{"replace a checkpoint with one signed by another key", func(t *testing.T, db *sqlstore.DB) {
			text := checkpointText(t, db, 18)
			exec(t, db, `UPDATE audit_checkpoints SET note = ? WHERE size = ?`, forge(t, text), 18)
		}, 17},
		{"alter a checkpoint's signed text", func(t *testing.T, db *sqlstore.DB) {
			text := checkpointText(t, db, 18)
			lines := strings.SplitN(text, "\n", 4)
			lines[2] = tlog.RecordHash([]byte("other root")).String()
			exec(t, db, `UPDATE audit_checkpoints SET note = ? WHERE size = ?`, strings.Join(lines, "\n"), 18)
		}, 17},
		{"move a checkpoint to another size", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `DELETE FROM audit_checkpoints WHERE size = ?`, 30)
			exec(t, db, `UPDATE audit_checkpoints SET size = ? WHERE size = ?`, 30, 29)
		}, 28},
		{"add a stray hash past the end", func(t *testing.T, db *sqlstore.DB) {
			h := tlog.RecordHash([]byte("stray"))
			exec(t, db, `INSERT INTO audit_hashes (idx, hash) VALUES (?, ?)`, tlog.StoredHashCount(tamperN)+5, h[:])
		}, tamperN},
	}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx := context.Background()
					db := s.open(t)
					l := openLog(t, db, newKeys(t))
					recordN(t, l, tamperN)
					if rep, err := l.Verify(ctx); err != nil || !rep.OK || rep.Checkpoints != tamperN {
						t.Fatalf("Verify before tampering = %+v, %v, want OK with %d checkpoints", rep, err, tamperN)
					}
					tt.tamper(t, db)
					rep, err := l.Verify(ctx)
					wantBad(t, rep, err, tt.want)
					t.Logf("Verify = %v", err)
				})
			}
		})
	}
}

// With group commit several entries share a checkpoint; an entry rewritten
// with all hashes recomputed is then pinned down to its batch.
func TestTamperBatched(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := openLog(t, db, newKeys(t))
		ch := make(chan error)
		for i := range 200 {
			go func() { _, err := l.Record(ctx, sample(i)); ch <- err }()
		}
		for range 200 {
			if err := <-ch; err != nil {
				t.Fatal(err)
			}
		}
		data := bytes.Replace(entryData(t, db, 150), []byte(`"decision":"granted"`), []byte(`"decision":"denied"`), 1)
		exec(t, db, `UPDATE audit_entries SET data = ? WHERE idx = ?`, data, 150)
		rehash(t, db)
		_, err := l.Verify(ctx)
		te, ok := err.(*audit.TamperError)
		if !ok || te.Index > 150 || te.Through < 150 {
			t.Fatalf("Verify = %v, want a TamperError whose range holds entry 150", err)
		}
		t.Logf("Verify = %v", err)
	})
}

// The log refuses to append to a tree that no longer matches its latest
// checkpoint: it fails closed.
func TestBrokenLogRefusesAppends(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		dir := newKeys(t)
		recordN(t, openLog(t, db, dir), 5)
		exec(t, db, `DELETE FROM audit_checkpoints WHERE size = ?`, 5)
		l := openLog(t, db, dir)
		if _, err := l.Record(ctx, sample(5)); writ.ErrorKind(err) != writ.EInternal {
			t.Errorf("Record on a broken log = %v, want an internal error", err)
		}
		if n := count(t, db, "audit_entries"); n != 5 {
			t.Errorf("broken log has %d entries after Record, want 5", n)
		}
		rep, err := l.Verify(ctx)
		wantBad(t, rep, err, 4)
	})
}

// rehash recomputes every stored hash from the entries as they are now, as
// a tamperer covering their tracks would.
func rehash(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	n, err := db.AuditSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var all []tlog.Hash
	r := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = all[x]
		}
		return out, nil
	})
	for i := range n {
		hs, err := tlog.StoredHashes(i, entryData(t, db, i), r)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, hs...)
	}
	for i, h := range all {
		exec(t, db, `UPDATE audit_hashes SET hash = ? WHERE idx = ?`, h[:], i)
	}
}

func checkpointText(t *testing.T, db *sqlstore.DB, size int64) string {
	t.Helper()
	var text string
	err := db.Writer().QueryRowContext(context.Background(), rebind(db, `SELECT note FROM audit_checkpoints WHERE size = ?`), size).Scan(&text)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// forge re-signs a checkpoint's text with a new key of the same name.
func forge(t *testing.T, signed string) string {
	t.Helper()
	text := signed[:strings.Index(signed, "\n\n")+1]
	skey, _, err := note.GenerateKey(nil, keyName)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	return string(msg)
}

// A stray row at a huge index must not make listing or exporting walk the
// empty index space, and the export still shows where the log breaks.
func TestStrayRowFarAway(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	l := openLog(t, db, newKeys(t))
	recordN(t, l, 5)
	exec(t, db, `INSERT INTO audit_entries (idx, data) VALUES (?, ?)`, int64(1)<<50, entryData(t, db, 0))
	got, err := l.Entries(ctx, writ.AuditFilter{CaseID: 99})
	if err != nil || len(got) != 0 {
		t.Errorf("Entries(no match) = %v, %v, want none", got, err)
	}
	var buf bytes.Buffer
	if err := l.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyExport(&buf, l.VerifierKey())
	wantBad(t, rep, err, 5)
}

// Verification and export read a page at a time; a log of several pages
// verifies, and a fault on a later page is still named exactly.
func TestManyPages(t *testing.T) {
	const n = 10000 // more than two pages of 4096
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := openLog(t, db, newKeys(t))
		fill(t, l, n)
		rep, err := l.Verify(ctx)
		if err != nil || rep.Entries != n || rep.Size != n {
			t.Fatalf("Verify = %+v, %v, want OK with %d", rep, err, n)
		}
		var buf bytes.Buffer
		if err := l.Export(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		exported := buf.String()
		if rep, err := audit.VerifyExport(strings.NewReader(exported), l.VerifierKey()); err != nil || rep.Entries != n || rep.Size != n {
			t.Fatalf("VerifyExport = %+v, %v, want OK with %d", rep, err, n)
		}
		data := bytes.Replace(entryData(t, db, 5000), []byte("read.contacts"), []byte("read.contactz"), 1)
		exec(t, db, `UPDATE audit_entries SET data = ? WHERE idx = ?`, data, 5000)
		rep, err = l.Verify(ctx)
		wantBad(t, rep, err, 5000)
		exec(t, db, `DELETE FROM audit_entries WHERE idx >= ? AND idx < ?`, 4096, 8192)
		rep, err = l.Verify(ctx)
		wantBad(t, rep, err, 4096)
		buf.Reset()
		if err := l.Export(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		rep, err = audit.VerifyExport(&buf, l.VerifierKey())
		wantBad(t, rep, err, 4096)
	})
}
