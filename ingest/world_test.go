package ingest_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/world"
)

// TestWorld generates a small synthetic world and ingests every source and
// event file through its mapping. The world's errors are semantic (typos,
// stale addresses, misread plates), so every row must be stored: any
// quarantined row is a defect of the world or of ingest, and is listed.
func TestWorld(t *testing.T) {
	if testing.Short() {
		t.Skip("world ingest: slow")
	}
	ctx := context.Background()
	dir := t.TempDir()
	sum, err := world.Generate(ctx, world.Config{Seed: 3, Persons: 1000, Days: 2, Density: 0.5, Out: dir, Gzip: true})
	if err != nil {
		t.Fatalf("world.Generate() = %v", err)
	}
	db := openSQLite(t)
	b := newBases(t, db, world.Datasets()...)
	ingested := map[string]bool{}
	for _, f := range sum.Files {
		if f.Kind != "source" && f.Kind != "event" {
			continue
		}
		dataset, _, _ := strings.Cut(filepath.Base(f.Path), ".")
		basis := b.agreements[dataset]
		if f.Kind == "event" {
			basis = b.authority
		}
		m, err := ingest.LoadMapping(filepath.Join(dir, "mappings", dataset+".json"))
		if err != nil {
			t.Errorf("mapping of %s: %v", f.Path, err)
			continue
		}
		s, err := ingest.File(ctx, db, m, filepath.Join(dir, f.Path), ingest.Options{Basis: basis})
		if err != nil {
			t.Errorf("File(%s) = %v", f.Path, err)
			continue
		}
		ingested[dataset] = true
		if s.Read != f.Rows || s.Stored != f.Rows || s.Quarantined != 0 {
			t.Errorf("File(%s): %d rows read, %d stored, %d quarantined %v; the world wrote %d rows, all well-formed",
				f.Path, s.Read, s.Stored, s.Quarantined, s.ByReason, f.Rows)
		}
		t.Logf("%s: %d %s rows in %v (%.0f rows/s)", f.Path, s.Stored, m.Kind, s.Elapsed, s.RowsPerSecond())
	}
	for _, ds := range world.Datasets() {
		if !ingested[ds] {
			t.Errorf("dataset %s: no file ingested", ds)
		}
	}
	if q, err := db.Quarantined(ctx, writ.QuarantineFilter{Limit: 20}); err != nil || len(q) != 0 {
		for _, r := range q {
			t.Errorf("quarantined %s line %d field %q: %s: %s: %q", r.Source, r.Offset, r.Field, r.Reason, r.Detail, r.Raw)
		}
	}
	// Calls carry the caller's handset, and each such handset is a device
	// with pings: burner-switch analysis follows numbers to their handsets.
	var withHandset, unknown int
	if err := db.Reader().QueryRow(`SELECT
		(SELECT count(*) FROM contacts WHERE caller_device <> ''),
		(SELECT count(DISTINCT caller_device) FROM contacts WHERE caller_device <> ''
			AND caller_device NOT IN (SELECT device FROM ping_device_blocks))`).Scan(&withHandset, &unknown); err != nil {
		t.Fatal(err)
	}
	if withHandset == 0 || unknown != 0 {
		t.Errorf("contacts with a caller handset: %d (want some); handsets without pings: %d (want 0)", withHandset, unknown)
	}
	// The protected attributes the world's mappings mark are kept as such.
	for ds, want := range map[string][]string{"data_broker": {"ethnicity", "religion"}, "employer_filings": {"health"}} {
		fields, err := db.DatasetFields(ctx, ds)
		var got []string
		for _, f := range fields {
			if f.Protected {
				got = append(got, f.Field)
			}
		}
		if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("protected fields of %s = %v, %v; want %v", ds, got, err, want)
		}
	}
}
