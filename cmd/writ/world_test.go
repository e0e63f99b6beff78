package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/writhq/writ/world"
)

func TestWorldGenerate(t *testing.T) {
	c := newCLI(t)
	out := filepath.Join(t.TempDir(), "w")
	code, stdout, stderr := c.run("", "world", "generate", "--out", out, "--persons", "200", "--days", "1", "--seed", "5", "--gzip", "--quiet")
	if code != 0 {
		t.Fatalf("writ world generate = exit %d, %q", code, stderr)
	}
	for _, want := range []string{"200 persons", "events/pings.csv.gz", "sources/vehicle_registry.csv", "pings/s"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("writ world generate output lacks %q:\n%s", want, stdout)
		}
	}
	tr, err := world.LoadTruth(out)
	if err != nil {
		t.Fatalf("LoadTruth(%s) = %v", out, err)
	}
	if len(tr.Persons) != 200 || tr.Manifest.Seed != 5 || !tr.Manifest.Gzip {
		t.Errorf("manifest = %+v, want 200 persons, seed 5, gzip", tr.Manifest)
	}
	for _, ds := range world.Datasets() {
		if _, err := os.Stat(filepath.Join(out, "mappings", ds+".json")); err != nil {
			t.Errorf("no mapping for %s: %v", ds, err)
		}
	}

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"world", "generate", "--persons", "200"}, "--out is required"},
		{[]string{"world", "generate", "--out", out, "--start", "March"}, "--start"},
		{[]string{"world", "generate", "--out", out, "extra"}, "no arguments"},
	}
	for _, tt := range tests {
		if code, _, stderr := c.run("", tt.args...); code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("writ %s = exit %d, %q; want 2 and %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
	}
	if code, _, stderr := c.run("", "world", "generate", "--out", out, "--persons", "3"); code != 1 || !strings.Contains(stderr, "at least 50") {
		t.Errorf("writ world generate --persons 3 = exit %d, %q; want 1 and the minimum", code, stderr)
	}
}
