package ingest_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ/ingest"
)

func TestProgressLine(t *testing.T) {
	tests := []struct {
		p    ingest.Progress
		bar  bool
		want string
	}{
		{ingest.Progress{File: "p.csv", Bytes: 1 << 20, Size: 4 << 20, Rows: 20000, Elapsed: 2 * time.Second}, false,
			"p.csv:  25.0% 1.0 MiB/4.0 MiB  20000 rows  10.0k rows/s  ETA 6s"},
		{ingest.Progress{File: "p.csv", Bytes: 3 << 30, Size: 3 << 30, Rows: 9e6, Elapsed: 3 * time.Second, Done: true}, false,
			"p.csv: 100.0% 3.0 GiB/3.0 GiB  9000000 rows  3.00M rows/s  done in 3s"},
		{ingest.Progress{File: "p.csv", Bytes: 0, Size: 100, Rows: 0}, true,
			"[                              ]   0.0% 0 B/100 B  0 rows  0 rows/s  ETA ?  "},
		{ingest.Progress{File: "p.csv", Bytes: 50, Size: 100, Rows: 5, Elapsed: time.Second}, true,
			"[===============               ]  50.0% 50 B/100 B  5 rows  5 rows/s  ETA 1s  "},
	}
	for _, tt := range tests {
		if got := ingest.ProgressLine(tt.p, tt.bar); got != tt.want {
			t.Errorf("ProgressLine(%+v, %v) =\n%q, want\n%q", tt.p, tt.bar, got, tt.want)
		}
	}
}

func TestProgressPrinter(t *testing.T) {
	var tty, plain bytes.Buffer
	onTTY := ingest.ProgressPrinter(&tty, true, time.Hour)
	logged := ingest.ProgressPrinter(&plain, false, time.Hour)
	for i := range 3 {
		p := ingest.Progress{File: "f", Bytes: int64(i), Size: 2, Rows: int64(i), Elapsed: time.Second, Done: i == 2}
		onTTY(p)
		logged(p)
	}
	if got := strings.Count(tty.String(), "\r"); got != 3 || !strings.HasSuffix(tty.String(), "\n") {
		t.Errorf("terminal progress = %q; want 3 redraws (\\r) and a final newline", tty.String())
	}
	// Not a terminal: the first report, then nothing for an hour, then the end.
	if lines := strings.Split(strings.TrimSpace(plain.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "done in") {
		t.Errorf("plain progress = %q; want the first line and the final one", plain.String())
	}
}

// TestFileProgress: a run reports progress while it reads, and at the end
// the whole file with every row.
func TestFileProgress(t *testing.T) {
	db := openSQLite(t)
	b := newBases(t, db)
	var reports []ingest.Progress
	opt := ingest.Options{Basis: b.authority, ProgressEvery: time.Millisecond,
		Progress: func(p ingest.Progress) { reports = append(reports, p) }}
	path := filepath.Join("testdata", "truncated.csv.gz")
	s, _ := ingest.File(context.Background(), db, mapping(t, "pings_csv.json"), path, opt)
	if len(reports) == 0 {
		t.Fatal("no progress reported")
	}
	last := reports[len(reports)-1]
	if !last.Done || last.Bytes != s.Bytes || last.Size != s.Bytes || last.Rows != s.Read || last.File != path {
		t.Errorf("last progress = %+v; want done, all %d bytes, %d rows, of %s", last, s.Bytes, s.Read, path)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i].Bytes < reports[i-1].Bytes || reports[i].Rows < reports[i-1].Rows {
			t.Errorf("progress went back: %+v after %+v", reports[i], reports[i-1])
		}
	}
}
