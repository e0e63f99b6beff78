package location

import (
	"context"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ/gcpolicy"
	"github.com/writhq/writ/postgres"
)

// BenchmarkLocation runs the whole comparison once, at 1M pings unless
// WRIT_BENCH_PINGS says otherwise, and reports its figures as metrics.
// PostGIS runs on WRIT_BENCH_POSTGIS, else WRIT_TEST_POSTGRES; with either
// set, a server without PostGIS fails the benchmark (CI sets it). See
// docs/location-bench.md for the 100M-ping run:
//
//	WRIT_BENCH_PINGS=100000000 WRIT_BENCH_DIR=/var/tmp/locbench WRIT_BENCH_OUT=/tmp/loc100m \
//	WRIT_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench Location -benchtime 1x -timeout 0 ./bench/location
func BenchmarkLocation(b *testing.B) {
	b.Logf("runtime: %s (as the writ binary runs)", gcpolicy.Apply(os.Getenv))
	cfg := Config{Pings: 1_000_000, Dir: os.Getenv("WRIT_BENCH_DIR"), Log: os.Stderr}
	if v := os.Getenv("WRIT_BENCH_PINGS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("WRIT_BENCH_PINGS=%q: want a positive number", v)
		}
		cfg.Pings = n
	}
	if v := os.Getenv("WRIT_BENCH_QUERIES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("WRIT_BENCH_QUERIES=%q: want a positive number", v)
		}
		cfg.Queries = n
	}
	if v := os.Getenv("WRIT_BENCH_COLOC_TARGETS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("WRIT_BENCH_COLOC_TARGETS=%q: want a positive number", v)
		}
		cfg.CoLocTargets = n
	}
	if cfg.Dir == "" {
		cfg.Dir = b.TempDir()
	}
	cfg.PostgresURL = os.Getenv(postgres.TestDSNEnv)
	cfg.PostGISURL = os.Getenv("WRIT_BENCH_POSTGIS")
	if cfg.PostGISURL == "" {
		cfg.PostGISURL = cfg.PostgresURL
	}
	if cfg.PostGISURL == "off" {
		cfg.PostGISURL = ""
	} else if cfg.PostGISURL == "" {
		b.Logf("PostGIS side skipped: set WRIT_BENCH_POSTGIS or %s", postgres.TestDSNEnv)
	}
	if v := os.Getenv("WRIT_BENCH_BATCH"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("WRIT_BENCH_BATCH=%q: want a positive number of rows", v)
		}
		cfg.Batch = n
	}
	if v := os.Getenv("WRIT_BENCH_STORES"); v != "" {
		cfg.Stores = strings.Split(v, ",")
	}
	cfg.KeepStores = os.Getenv("WRIT_BENCH_KEEP") != ""
	cfg.Reuse = os.Getenv("WRIT_BENCH_REUSE") != ""
	cfg.KeepStores = cfg.KeepStores || cfg.Reuse
	cfg.CoLocProfile = os.Getenv("WRIT_BENCH_COLOC_PROFILE")
	if v := os.Getenv("WRIT_BENCH_POSTGIS_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			b.Fatalf("WRIT_BENCH_POSTGIS_TIMEOUT=%q: want a duration, e.g. 10m", v)
		}
		PostGISTimeout = d
	}
	var rep *Report
	for range b.N {
		var err error
		if rep, err = Run(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
	if traj, area := rep.Mismatches(); traj > 0 || area > 0 {
		// The same pings and the same query must give the same rows.
		b.Errorf("row counts differ between the sides: %d trajectories, %d area searches", traj, area)
	}
	for _, s := range rep.Sides {
		name := strings.ReplaceAll(s.Name, " ", "_")
		b.ReportMetric(s.PingsPerS, name+"-pings/s")
		b.ReportMetric(s.BytesPerPing, name+"-bytes/ping")
		b.ReportMetric(s.Trajectory.P50, name+"-traj-p50-ms")
		b.ReportMetric(s.Area.P50, name+"-area-p50-ms")
		b.ReportMetric(s.CoLoc.P50, name+"-coloc-ms")
	}
	var md strings.Builder
	rep.WriteMarkdown(&md)
	b.Log("\n" + md.String())
	if out := os.Getenv("WRIT_BENCH_OUT"); out != "" {
		writeFile(b, out+".md", rep.WriteMarkdown)
		writeFile(b, out+".json", rep.WriteJSON)
	}
}

func writeFile(b *testing.B, path string, write func(io.Writer) error) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := write(f); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

func TestPercentile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tt := range []struct {
		p    float64
		want float64
	}{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {1, 1}} {
		if got := percentile(s, tt.p); got != tt.want {
			t.Errorf("percentile(1..10, %v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile(nil, 50) = %v, want 0", got)
	}
}

func TestParsePing(t *testing.T) {
	for _, tt := range []struct {
		line string
		want sample
		acc  string
		bad  bool
	}{
		{line: "353320115600001,1772409600,50.846123,4.352456,12\n", want: sample{"353320115600001", 1772409600, 50.846123, 4.352456}, acc: "12"},
		{line: "d,1,-1.5,2.25,\r\n", want: sample{"d", 1, -1.5, 2.25}},
		{line: "d,1,-1.5,2.25", want: sample{"d", 1, -1.5, 2.25}},
		{line: "d,x,1,2,3\n", bad: true},
		{line: "d,1,1\n", bad: true},
	} {
		got, err := parsePing([]byte(tt.line))
		if (err != nil) != tt.bad {
			t.Errorf("parsePing(%q) error = %v, want error %v", tt.line, err, tt.bad)
			continue
		}
		if !tt.bad && got != tt.want {
			t.Errorf("parsePing(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
		if a := string(lastField([]byte(tt.line))); !tt.bad && a != tt.acc {
			t.Errorf("lastField(%q) = %q, want %q", tt.line, a, tt.acc)
		}
	}
}

// TestRunSmall runs the comparison on the smallest world (50 persons, 2
// days), on SQLite and, when PostgreSQL is configured, PostGIS, and checks
// that the sides agree and every figure is filled.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests a world")
	}
	cfg := Config{Pings: 50 * 2 * PingsPerPersonDay, Days: 2, Queries: 20, Dir: t.TempDir()}
	cfg.PostGISURL = os.Getenv("WRIT_BENCH_POSTGIS")
	if cfg.PostGISURL == "" {
		cfg.PostGISURL = os.Getenv(postgres.TestDSNEnv)
	}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pings < 10_000 {
		t.Fatalf("world has %d pings, want over 10,000", rep.Pings)
	}
	for _, s := range rep.Sides {
		if s.Stored != rep.Pings {
			t.Errorf("%s stored %d pings, want %d", s.Name, s.Stored, rep.Pings)
		}
		if s.Trajectory.N != cfg.Queries || s.Area.N != cfg.Queries || s.Trajectory.RowsMean == 0 || s.Area.RowsMean == 0 {
			t.Errorf("%s: trajectory %+v, area %+v; want %d queries each, with rows", s.Name, s.Trajectory, s.Area, cfg.Queries)
		}
		if s.CoLoc.TargetFixes == 0 || s.CoLoc.Devices == 0 || s.CoLoc.P50 <= 0 {
			t.Errorf("%s: co-location %+v; want the target's fixes and devices met", s.Name, s.CoLoc)
		}
		if s.BytesPerPing <= 0 {
			t.Errorf("%s: %v bytes per ping", s.Name, s.BytesPerPing)
		}
		if c := s.CoLocSampled; s.Name != "postgis" && (c.N == 0 || c.N != len(c.Fixes) || c.N > 20 || c.P50 <= 0 || slices.Contains(c.Targets, rep.Target)) {
			t.Errorf("%s: co-location of sampled targets %+v; want up to 20 targets other than the seller, each timed", s.Name, c)
		}
		if a := s.CoLocAway; s.Name != "postgis" && (a.TargetFixes == 0 || a.TargetFixes >= s.CoLoc.TargetFixes || a.P50 <= 0) {
			t.Errorf("%s: co-location away from home and work %+v; want some of the target's %d fixes left out, and the rest read", s.Name, a, s.CoLoc.TargetFixes)
		}
	}
	if traj, area := rep.Mismatches(); traj > 0 || area > 0 {
		t.Errorf("row counts differ between the sides: %d trajectories, %d area searches; checks %q", traj, area, rep.Checks)
	}
	var md strings.Builder
	if err := rep.WriteMarkdown(&md); err != nil || !strings.Contains(md.String(), "| area 1 km²") {
		t.Errorf("WriteMarkdown() = %v, %q", err, md.String())
	}
}
