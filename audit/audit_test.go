package audit_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/sqlstore"
)

func TestRecordConcurrent(t *testing.T) {
	const workers, each = 64, 50
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := openLog(t, db, newKeys(t))
		got := make([][]int64, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					idx, err := l.Record(ctx, sample(w*each+i))
					if err != nil {
						t.Errorf("Record = %v", err)
						return
					}
					got[w] = append(got[w], idx)
				}
			})
		}
		wg.Wait()
		all := slices.Sorted(slices.Values(slices.Concat(got...)))
		for i, idx := range all {
			if idx != int64(i) {
				t.Fatalf("sorted indexes[%d] = %d, want %d (duplicates or gaps)", i, idx, i)
			}
		}
		const n = workers * each
		rep, err := l.Verify(ctx)
		if err != nil {
			t.Fatalf("Verify = %v", err)
		}
		cks := count(t, db, "audit_checkpoints")
		if !rep.OK || rep.Entries != n || rep.Size != n || rep.Checkpoints != cks || rep.FirstBad != -1 {
			t.Errorf("Verify = %+v, want OK, %d entries, size %d, %d checkpoints", rep, n, n, cks)
		}
		if rep.Hashes != count(t, db, "audit_hashes") {
			t.Errorf("Verify compared %d hashes, want all %d", rep.Hashes, count(t, db, "audit_hashes"))
		}
		t.Logf("%d entries in %d batches", n, cks)
		text, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatalf("Checkpoint = %v", err)
		}
		ck, err := audit.OpenCheckpoint(l.VerifierKey(), text)
		if err != nil || ck.Size != n || ck.Root != rep.Root {
			t.Errorf("OpenCheckpoint(Checkpoint()) = %+v, %v, want size %d root %s", ck, err, n, rep.Root)
		}
	})
}

// Two logs on one database stand for two writ processes: appends that lose
// the race must reload and retry, never fork the tree.
func TestTwoWriters(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		dir := newKeys(t)
		logs := []*audit.Log{openLog(t, db, dir), openLog(t, db, dir)}
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Go(func() {
				for i := range 25 {
					if _, err := logs[w%2].Record(ctx, sample(i)); err != nil {
						t.Errorf("Record = %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		rep, err := logs[0].Verify(ctx)
		if err != nil || rep.Entries != 400 || rep.Size != 400 {
			t.Fatalf("Verify = %+v, %v, want OK with 400 entries", rep, err)
		}
	})
}

func TestSelectorsCommitted(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := openLog(t, db, newKeys(t))
		recordN(t, l, 3)
		e := &writ.AuditEntry{
			ActorID: 4, Action: "read.pings", CaseID: 9, Decision: writ.DecisionDenied, Rule: "selector_not_named",
			RawSelectors: []writ.Selector{{Kind: writ.SelPhone, Value: "+1 555 987 6543"}, {Kind: writ.SelDevice, Value: "dev-secret-77"}},
			Selectors:    []string{"plate:xyz 987"}, // raw text in Selectors is committed too
			Results:      -1,
		}
		idx, err := l.Record(ctx, e)
		if err != nil {
			t.Fatalf("Record = %v", err)
		}
		if idx != 3 || e.Index != 3 || e.RawSelectors != nil || e.Time.IsZero() {
			t.Errorf("after Record: index %d, entry %+v; want index 3, Time set, RawSelectors cleared", idx, e)
		}
		// No form of the identifiers is anywhere in the stored log.
		var stored []byte
		for _, q := range []string{`SELECT data FROM audit_entries`, `SELECT hash FROM audit_hashes`, `SELECT note FROM audit_checkpoints`} {
			rows, err := db.Writer().QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var b []byte
				if err := rows.Scan(&b); err != nil {
					t.Fatal(err)
				}
				stored = append(stored, b...)
			}
			rows.Close()
		}
		for _, raw := range []string{"5551234567", "5559876543", "555 987", "dev-secret-77", "XYZ987", "xyz 987"} {
			if bytes.Contains(stored, []byte(raw)) {
				t.Errorf("stored audit log contains raw selector %q", raw)
			}
		}
		// The salt of entry 3 opens its commitments, and only for the true selectors.
		got, err := l.Entries(ctx, writ.AuditFilter{From: 3, Limit: 1})
		if err != nil || len(got) != 1 {
			t.Fatalf("Entries = %v, %v", got, err)
		}
		if !slices.Equal(got[0].Selectors, e.Selectors) || len(e.Selectors) != 3 {
			t.Fatalf("stored selectors %q, Record returned %q, want the same 3", got[0].Selectors, e.Selectors)
		}
		salt, err := l.Salt(3)
		if err != nil {
			t.Fatal(err)
		}
		other, _ := l.Salt(2)
		for i, claim := range []string{"phone:+15559876543", "device:dev-secret-77", "plate:XYZ987"} {
			if !audit.CheckSelector(salt, claim, e.Selectors[i]) {
				t.Errorf("CheckSelector(salt 3, %q, selectors[%d]) = false, want true", claim, i)
			}
			if audit.CheckSelector(other, claim, e.Selectors[i]) {
				t.Errorf("CheckSelector(salt 2, %q, selectors[%d]) = true, want false", claim, i)
			}
		}
		if audit.CheckSelector(salt, "phone:+15559876544", e.Selectors[0]) {
			t.Errorf("CheckSelector(salt 3, a wrong number) = true, want false")
		}
		if _, err := l.Salt(-1); writ.ErrorKind(err) != writ.EInvalid {
			t.Errorf("Salt(-1) = %v, want invalid", err)
		}
	})
}

func TestEntries(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := openLog(t, db, newKeys(t))
		recordN(t, l, 12) // sample(i): case 1+i%2, actor 1+i%3
		tests := []struct {
			f    writ.AuditFilter
			want []int64
		}{
			{writ.AuditFilter{}, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
			{writ.AuditFilter{From: 10}, []int64{10, 11}},
			{writ.AuditFilter{Limit: 3}, []int64{0, 1, 2}},
			{writ.AuditFilter{CaseID: 2}, []int64{1, 3, 5, 7, 9, 11}},
			{writ.AuditFilter{CaseID: 2, Actor: 1}, []int64{3, 9}},
			{writ.AuditFilter{Actor: 3, From: 3, Limit: 2}, []int64{5, 8}},
			{writ.AuditFilter{From: 99}, nil},
		}
		for _, tt := range tests {
			got, err := l.Entries(ctx, tt.f)
			if err != nil {
				t.Fatalf("Entries(%+v) = %v", tt.f, err)
			}
			var idx []int64
			for _, e := range got {
				idx = append(idx, e.Index)
				if e.Action != "read.contacts" || e.Results != e.Index || len(e.Selectors) != 1 {
					t.Errorf("Entries(%+v) entry %d = %+v, want the recorded entry", tt.f, e.Index, e)
				}
			}
			if !slices.Equal(idx, tt.want) {
				t.Errorf("Entries(%+v) = %v, want %v", tt.f, idx, tt.want)
			}
		}
	})
}

func TestRecordInvalid(t *testing.T) {
	l := openLog(t, openSQLite(t), newKeys(t))
	tests := []struct {
		name string
		e    *writ.AuditEntry
	}{
		{"nil", nil},
		{"no action", &writ.AuditEntry{Decision: writ.DecisionGranted}},
		{"bad decision", &writ.AuditEntry{Action: "login", Decision: "maybe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := l.Record(context.Background(), tt.e); writ.ErrorKind(err) != writ.EInvalid {
				t.Errorf("Record(%+v) = %v, want invalid", tt.e, err)
			}
		})
	}
}

func TestCloseFlushes(t *testing.T) {
	db := openSQLite(t)
	dir := newKeys(t)
	l, err := audit.Open(context.Background(), db, dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() { l.Record(context.Background(), sample(i)) })
	}
	wg.Wait()
	l.Close()
	if _, err := l.Record(context.Background(), sample(0)); err == nil {
		t.Errorf("Record after Close = nil, want an error")
	}
	if n := count(t, db, "audit_entries"); n != 100 {
		t.Errorf("after Close, %d entries stored, want 100", n)
	}
	if rep, err := openLog(t, db, dir).Verify(context.Background()); err != nil || rep.Size != 100 {
		t.Errorf("Verify after reopening = %+v, %v, want OK with 100", rep, err)
	}
}

func TestCheckpointEmpty(t *testing.T) {
	l := openLog(t, openSQLite(t), newKeys(t))
	text, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ck, err := audit.OpenCheckpoint(l.VerifierKey(), text)
	if err != nil || ck.Size != 0 || ck.Origin != keyName {
		t.Errorf("OpenCheckpoint(empty log's checkpoint) = %+v, %v, want size 0 of %s", ck, err, keyName)
	}
	if rep, err := l.VerifyAgainst(context.Background(), text); err != nil || !rep.OK {
		t.Errorf("VerifyAgainst(empty checkpoint) = %+v, %v, want OK", rep, err)
	}
}

func TestKeys(t *testing.T) {
	dir := newKeys(t)
	for f, mode := range map[string]os.FileMode{audit.SignerKeyFile: 0o600, audit.CommitKeyFile: 0o600, audit.VerifierKeyFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("Stat(%s) = %v, %v, want mode %v", f, fi, err, mode)
		}
	}
	before := readFile(t, filepath.Join(dir, audit.SignerKeyFile))
	if err := audit.Init(dir, keyName); writ.ErrorKind(err) != writ.EConflict {
		t.Errorf("Init(existing dir) = %v, want conflict", err)
	}
	if after := readFile(t, filepath.Join(dir, audit.SignerKeyFile)); after != before {
		t.Errorf("Init(existing dir) changed the signing key")
	}
	for _, name := range []string{"", "has space", "a+b", "no\u00a0break"} {
		if err := audit.Init(t.TempDir(), name); writ.ErrorKind(err) != writ.EInvalid {
			t.Errorf("Init(dir, %q) = %v, want invalid", name, err)
		}
	}
	db := openSQLite(t)
	l := openLog(t, db, dir)
	if pub := strings.TrimSpace(readFile(t, filepath.Join(dir, audit.VerifierKeyFile))); l.VerifierKey() != pub || !strings.HasPrefix(pub, keyName+"+") {
		t.Errorf("VerifierKey() = %q, want the .pub file %q", l.VerifierKey(), pub)
	}
	if _, err := audit.Open(context.Background(), db, t.TempDir()); writ.ErrorKind(err) != writ.ENotFound {
		t.Errorf("Open(dir without keys) = %v, want not found", err)
	}
	// A verifier key from another pair is refused.
	mixed := filepath.Join(t.TempDir(), "mixed")
	os.MkdirAll(mixed, 0o700)
	other := newKeys(t)
	for _, f := range []string{audit.SignerKeyFile, audit.CommitKeyFile} {
		os.WriteFile(filepath.Join(mixed, f), []byte(readFile(t, filepath.Join(dir, f))), 0o600)
	}
	os.WriteFile(filepath.Join(mixed, audit.VerifierKeyFile), []byte(readFile(t, filepath.Join(other, audit.VerifierKeyFile))), 0o644)
	if _, err := audit.Open(context.Background(), db, mixed); writ.ErrorKind(err) != writ.EInvalid {
		t.Errorf("Open(mismatched key pair) = %v, want invalid", err)
	}
}
