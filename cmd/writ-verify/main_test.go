package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/sqlite"
)

// export writes a log of n entries to a file and returns its path, the
// public key file and the latest checkpoint in a file.
func export(t *testing.T, n int) (exportFile, keyFile, ckFile string) {
	t.Helper()
	ctx := context.Background()
	tmp := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(tmp, "writ.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys := filepath.Join(tmp, "keys")
	if err := audit.Init(keys, "writ.test/audit"); err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(ctx, db, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range n {
		e := &writ.AuditEntry{ActorID: 1, Action: "read.pings", CaseID: 3, Decision: writ.DecisionGranted, Results: int64(i)}
		if _, err := l.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := l.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	ck, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exportFile, ckFile = filepath.Join(tmp, "export.ndjson"), filepath.Join(tmp, "kept.txt")
	os.WriteFile(exportFile, buf.Bytes(), 0o644)
	os.WriteFile(ckFile, []byte(ck), 0o644)
	return exportFile, filepath.Join(keys, audit.VerifierKeyFile), ckFile
}

func TestRun(t *testing.T) {
	exp, key, ck := export(t, 12)
	data, _ := os.ReadFile(exp)
	tampered := filepath.Join(t.TempDir(), "tampered.ndjson")
	lines := strings.Split(string(data), "\n")
	lines = append(lines[:1+2*7], lines[1+2*7+1:]...) // drop entry 7
	os.WriteFile(tampered, []byte(strings.Join(lines, "\n")), 0o644)

	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string // substring expected
		stderr string
	}{
		{"ok", []string{"-key", key, exp}, "", 0, "OK 12 entries, 12 checkpoints; tree size 12", ""},
		{"ok with kept checkpoint", []string{"-key", key, "-checkpoint", ck, exp}, "", 0, "contains the kept checkpoint of size 12", ""},
		{"stdin", []string{"-key", key, "-"}, string(data), 0, "OK 12 entries", ""},
		{"tampered", []string{"-key", key, tampered}, "", 1, "FAIL audit entry 7: missing", ""},
		{"help", []string{"--help"}, "", 0, "", "Usage: writ-verify"},
		{"no key", []string{exp}, "", 2, "", "Usage: writ-verify"},
		{"no export", []string{"-key", key}, "", 2, "", "Usage: writ-verify"},
		{"missing file", []string{"-key", key, filepath.Join(t.TempDir(), "nope")}, "", 2, "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("run(%q) = %d, stdout %q, stderr %q; want %d, stdout with %q, stderr with %q",
					tt.args, code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
