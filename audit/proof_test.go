package audit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/sqlstore"
	"golang.org/x/mod/sumdb/tlog"
)

func TestProve(t *testing.T) {
	const n = 33
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := openLog(t, db, newKeys(t))
		recordN(t, l, n)
		vkey := l.VerifierKey()
		for _, i := range []int64{0, 1, 16, 31, 32} {
			p, err := l.Prove(ctx, i)
			if err != nil {
				t.Fatalf("Prove(%d) = %v", i, err)
			}
			if p.Index != i || p.Size != n || !bytes.Equal(p.Entry, entryData(t, db, i)) {
				t.Errorf("Prove(%d) = index %d size %d, want index %d size %d with the stored entry", i, p.Index, p.Size, i, n)
			}
			if err := audit.CheckProof(vkey, p.Checkpoint, p.Entry, p); err != nil {
				t.Errorf("CheckProof(Prove(%d)) = %v, want nil", i, err)
			}
			altered := bytes.Replace(p.Entry, []byte("granted"), []byte("denied"), 1)
			if err := audit.CheckProof(vkey, p.Checkpoint, altered, p); err == nil {
				t.Errorf("CheckProof(altered entry %d) = nil, want an error", i)
			}
			moved := *p
			moved.Index = (i + 1) % n
			if err := audit.CheckProof(vkey, p.Checkpoint, p.Entry, &moved); err == nil {
				t.Errorf("CheckProof(entry %d claimed as %d) = nil, want an error", i, moved.Index)
			}
			if err := audit.CheckProof(vkey, forge(t, p.Checkpoint), p.Entry, p); writ.ErrorKind(err) != writ.EInvalid {
				t.Errorf("CheckProof(forged checkpoint) = %v, want invalid", err)
			}
		}
		if _, err := l.Prove(ctx, n); writ.ErrorKind(err) != writ.ENotFound {
			t.Errorf("Prove(%d) = %v, want not found", n, err)
		}
		// A proof for an older checkpoint still holds against that checkpoint.
		old, err := l.Prove(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Record(ctx, sample(99)); err != nil {
			t.Fatal(err)
		}
		if err := audit.CheckProof(vkey, old.Checkpoint, old.Entry, old); err != nil {
			t.Errorf("CheckProof(proof for the older checkpoint) = %v, want nil", err)
		}
		// The log will not hand out a proof that does not hold: entry 7's
		// audit path starts with entry 6's leaf hash.
		h := tlog.RecordHash([]byte("forged"))
		exec(t, db, `UPDATE audit_hashes SET hash = ? WHERE idx = ?`, h[:], tlog.StoredHashIndex(0, 6))
		if _, err := l.Prove(ctx, 7); err == nil {
			t.Errorf("Prove(7) after changing entry 6's hash = nil error, want one")
		}
	})
}

func TestVerifyAgainst(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := openLog(t, db, newKeys(t))
		recordN(t, l, 20)
		kept, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 13 {
			if _, err := l.Record(ctx, sample(i)); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := l.VerifyAgainst(ctx, kept)
		if err != nil || !rep.OK || rep.Kept != 20 || rep.Size != 33 {
			t.Fatalf("VerifyAgainst = %+v, %v, want OK, kept 20 of 33", rep, err)
		}
		ck, _ := audit.OpenCheckpoint(l.VerifierKey(), kept)
		if err := tlog.CheckTree(rep.Consistency, rep.Size, rep.Root, ck.Size, ck.Root); err != nil {
			t.Errorf("CheckTree(report's consistency proof) = %v, want nil", err)
		}

		lines := strings.SplitN(kept, "\n", 3)
		forged := []struct{ name, text string }{
			{"signed by another key", forge(t, kept)},
			{"altered text", lines[0] + "\n" + "19\n" + lines[2]},
			{"not a note", "writ.test/audit\n20\n"},
		}
		for _, f := range forged {
			if _, err := l.VerifyAgainst(ctx, f.text); writ.ErrorKind(err) != writ.EInvalid {
				t.Errorf("VerifyAgainst(%s) = %v, want invalid", f.name, err)
			}
		}

		// Cutting the end off the log, checkpoints and all, leaves it
		// self-consistent; only the kept checkpoint shows it.
		exec(t, db, `DELETE FROM audit_entries WHERE idx >= ?`, 19)
		exec(t, db, `DELETE FROM audit_hashes WHERE idx >= ?`, tlog.StoredHashCount(19))
		exec(t, db, `DELETE FROM audit_checkpoints WHERE size > ?`, 19)
		if rep, err := l.Verify(ctx); err != nil || rep.Size != 19 {
			t.Fatalf("Verify after truncation = %+v, %v, want a self-consistent log of 19", rep, err)
		}
		rep, err = l.VerifyAgainst(ctx, kept)
		wantBad(t, rep, err, 19)
		t.Logf("VerifyAgainst = %v", err)
	})
}

// Whoever holds the signing key could rewrite history and re-sign it; a
// checkpoint kept from before shows it.
func TestVerifyAgainstFork(t *testing.T) {
	ctx := context.Background()
	dir := newKeys(t)
	a := openLog(t, openSQLite(t), dir)
	b := openLog(t, openSQLite(t), dir) // same key, other history
	recordN(t, a, 12)
	for i := range 8 {
		if _, err := b.Record(ctx, sample(100+i)); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := b.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := a.VerifyAgainst(ctx, kept)
	wantBad(t, rep, err, 0)
	t.Logf("VerifyAgainst = %v", err)
	var buf bytes.Buffer
	if err := a.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	rep, err = audit.VerifyExportAgainst(&buf, a.VerifierKey(), kept)
	wantBad(t, rep, err, 0)
}
