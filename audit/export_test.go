package audit_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/sqlstore"
	"golang.org/x/mod/sumdb/tlog"
)

// exportLines exports a log of n single-entry batches and returns its lines
// and the public key, read back from the key directory as an outsider would
// have it.
func exportLines(t *testing.T, db *sqlstore.DB, n int) (lines []string, vkey string, l *audit.Log) {
	t.Helper()
	dir := newKeys(t)
	l = openLog(t, db, dir)
	recordN(t, l, n)
	var buf bytes.Buffer
	if err := l.Export(context.Background(), &buf); err != nil {
		t.Fatalf("Export = %v", err)
	}
	return strings.SplitAfter(strings.TrimSuffix(buf.String(), "\n"), "\n"), readFile(t, filepath.Join(dir, audit.VerifierKeyFile)), l
}

// editLeaf rewrites the leaf of an entry line.
func editLeaf(t *testing.T, line string, edit func([]byte) []byte) string {
	t.Helper()
	var e struct {
		Type  string `json:"type"`
		Index int64  `json:"index"`
		Leaf  []byte `json:"leaf"`
	}
	if err := json.Unmarshal([]byte(line), &e); err != nil || e.Type != "entry" {
		t.Fatalf("line %q is not an entry: %v", line, err)
	}
	e.Leaf = edit(e.Leaf)
	b, _ := json.Marshal(e)
	return string(b) + "\n"
}

func TestExport(t *testing.T) {
	const n = 30
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		lines, vkey, l := exportLines(t, db, n)
		// Lines: header, then entry i at 1+2i and its checkpoint at 2+2i, then end.
		if len(lines) != 2+2*n {
			t.Fatalf("export has %d lines, want %d", len(lines), 2+2*n)
		}
		entryLine := func(i int) int { return 1 + 2*i }
		rep, err := audit.VerifyExport(strings.NewReader(strings.Join(lines, "")), vkey)
		if err != nil || !rep.OK || rep.Entries != n || rep.Checkpoints != n || rep.Size != n {
			t.Fatalf("VerifyExport = %+v, %v, want OK with %d entries and checkpoints", rep, err, n)
		}
		if full, err := l.Verify(context.Background()); err != nil || full.Root != rep.Root {
			t.Errorf("Verify root = %v (%v), VerifyExport root = %v, want equal", full.Root, err, rep.Root)
		}

		tests := []struct {
			name string
			edit func(lines []string) []string
			want int64
		}{
			{"change a leaf", func(ls []string) []string {
				ls[entryLine(17)] = editLeaf(t, ls[entryLine(17)], func(b []byte) []byte {
					return bytes.Replace(b, []byte(`"decision":"granted"`), []byte(`"decision":"denied"`), 1)
				})
				return ls
			}, 17},
			{"break a leaf's JSON", func(ls []string) []string {
				ls[entryLine(17)] = editLeaf(t, ls[entryLine(17)], func(b []byte) []byte { return b[1:] })
				return ls
			}, 17},
			{"flip a byte of the line", func(ls []string) []string {
				b := []byte(ls[entryLine(17)])
				i := bytes.Index(b, []byte(`"leaf":"`)) + 20
				b[i] ^= 1
				ls[entryLine(17)] = string(b)
				return ls
			}, 17},
			{"drop an entry", func(ls []string) []string {
				return append(ls[:entryLine(17)], ls[entryLine(17)+1:]...)
			}, 17},
			{"swap two entries", func(ls []string) []string {
				ls[entryLine(5)], ls[entryLine(9)] = ls[entryLine(9)], ls[entryLine(5)]
				return ls
			}, 5},
			{"duplicate an entry", func(ls []string) []string {
				return slices.Insert(ls, entryLine(17)+1, ls[entryLine(17)])
			}, 17},
			{"drop a checkpoint", func(ls []string) []string {
				return append(ls[:entryLine(17)+1], ls[entryLine(17)+2:]...)
			}, 17},
			{"alter a checkpoint", func(ls []string) []string {
				ls[entryLine(17)+1] = strings.Replace(ls[entryLine(17)+1], `\n18\n`, `\n19\n`, 1)
				return ls
			}, 17},
			{"cut short", func(ls []string) []string { return ls[:entryLine(20)] }, 20},
			{"cut off the end line", func(ls []string) []string { return ls[:len(ls)-1] }, n},
			{"drop the last entry and checkpoint, keep the end line", func(ls []string) []string {
				return append(ls[:entryLine(n-1)], ls[len(ls)-1])
			}, n - 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				edited := tt.edit(append([]string(nil), lines...))
				rep, err := audit.VerifyExport(strings.NewReader(strings.Join(edited, "")), vkey)
				wantBad(t, rep, err, tt.want)
				t.Logf("VerifyExport = %v", err)
			})
		}

		// Another log's key, and a file that is no export, are refused outright.
		other := readFile(t, filepath.Join(newKeys(t), audit.VerifierKeyFile))
		if _, err := audit.VerifyExport(strings.NewReader(strings.Join(lines, "")), other); writ.ErrorKind(err) != writ.EInvalid {
			t.Errorf("VerifyExport(other key) = %v, want invalid", err)
		}
		if _, err := audit.VerifyExport(strings.NewReader("{}\n"), vkey); writ.ErrorKind(err) != writ.EInvalid {
			t.Errorf("VerifyExport(not an export) = %v, want invalid", err)
		}
	})
}

func TestVerifyExportAgainst(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	dir := newKeys(t)
	l := openLog(t, db, dir)
	vkey := l.VerifierKey()
	recordN(t, l, 10)
	kept, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	recordN2 := func(n int) {
		for i := range n {
			if _, err := l.Record(ctx, sample(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	recordN2(5)
	var buf bytes.Buffer
	if err := l.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyExportAgainst(bytes.NewReader(buf.Bytes()), vkey, kept)
	if err != nil || rep.Kept != 10 || rep.Size != 15 {
		t.Fatalf("VerifyExportAgainst = %+v, %v, want OK, kept 10 of 15", rep, err)
	}
	// A kept checkpoint from a different history (same key) fails at the kept size.
	root := tlog.RecordHash([]byte("another history"))
	lines := strings.Split(kept, "\n")
	lines[2] = root.String()
	if _, err := audit.VerifyExportAgainst(bytes.NewReader(buf.Bytes()), vkey, strings.Join(lines, "\n")); writ.ErrorKind(err) != writ.EInvalid {
		t.Errorf("VerifyExportAgainst(altered kept checkpoint) = %v, want invalid (signature)", err)
	}
}

// The export holds leaves exactly as stored: base64, not re-encoded JSON.
func TestExportLeavesExact(t *testing.T) {
	db := openSQLite(t)
	lines, _, _ := exportLines(t, db, 3)
	for i := range 3 {
		var e struct {
			Leaf string `json:"leaf"`
		}
		json.Unmarshal([]byte(lines[1+2*i]), &e)
		got, _ := base64.StdEncoding.DecodeString(e.Leaf)
		if want := entryData(t, db, int64(i)); !bytes.Equal(got, want) {
			t.Errorf("export leaf %d = %q, want stored %q", i, got, want)
		}
	}
}
