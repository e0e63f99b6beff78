package ingest_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/sqlstore"
)

// TestReingest runs every corpus file twice, and once more under another
// name: the second and third runs store nothing and count every row as a
// duplicate.
func TestReingest(t *testing.T) {
	stores(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		b := newBases(t, db, "population-registry")
		files := []struct {
			file, mapping string
			basis         ingest.Basis
		}{
			{"pings.csv", "pings_csv.json", b.authority},
			{"registry.tsv", "registry_tsv.json", b.agreements["population-registry"]},
			{"pings.ndjson", "pings_ndjson.json", b.authority},
			{"plates.json", "plates_json.json", b.authority},
			{"contacts.csv", "contacts_csv.json", b.authority},
			{"truncated.csv.gz", "pings_csv.json", b.authority},
		}
		run := func(path, mapName string, basis ingest.Basis) *ingest.Summary {
			t.Helper()
			s, err := ingest.File(ctx, db, mapping(t, mapName), path, ingest.Options{Basis: basis, BatchSize: 500})
			if err != nil && !strings.Contains(err.Error(), "truncated") {
				t.Fatalf("File(%s) = %v", path, err)
			}
			return s
		}
		first := map[string]*ingest.Summary{}
		for _, f := range files {
			first[f.file] = run(filepath.Join("testdata", f.file), f.mapping, f.basis)
		}
		want := counts(t, db)
		renamed := t.TempDir()
		for _, f := range files {
			src := filepath.Join("testdata", f.file)
			data, _ := os.ReadFile(src)
			other := filepath.Join(renamed, "copy-of-"+f.file)
			if err := os.WriteFile(other, data, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{src, other} {
				s := run(path, f.mapping, f.basis)
				if s.Read != first[f.file].Read || s.Stored != 0 || s.Quarantined != 0 || s.Duplicates != s.Read ||
					s.Batches != 0 || s.Skipped != first[f.file].Batches {
					t.Errorf("File(%s) again = read %d, stored %d, quarantined %d, duplicates %d, batches %d/%d skipped; want read %d, all duplicates",
						path, s.Read, s.Stored, s.Quarantined, s.Duplicates, s.Batches, s.Skipped, first[f.file].Read)
				}
			}
		}
		if got := counts(t, db); !reflect.DeepEqual(got, want) {
			t.Errorf("table counts after re-ingesting = %v, want unchanged %v", got, want)
		}
		// Cutting the file differently would make other batches: refused.
		_, err := ingest.File(ctx, db, mapping(t, "pings_csv.json"), filepath.Join("testdata", "pings.csv"), ingest.Options{Basis: b.authority, BatchSize: 7})
		if writ.ErrorKind(err) != writ.EConflict || !strings.Contains(err.Error(), "--batch 500") {
			t.Errorf("File(pings.csv, other batch size) = %v, want a conflict naming --batch 500", err)
		}
		// Without a batch size, a re-run takes the one the file was first
		// ingested with, and adds nothing; a first run takes its kind's.
		s, err := ingest.File(ctx, db, mapping(t, "pings_csv.json"), filepath.Join("testdata", "pings.csv"), ingest.Options{Basis: b.authority})
		if err != nil || s.Stored != 0 || s.Duplicates != s.Read || s.Skipped != first["pings.csv"].Batches {
			t.Errorf("File(pings.csv, no batch size) again = %+v, %v; want every row a duplicate of the batches of 500", s, err)
		}
		for _, c := range []struct {
			file, mapping string
			kind          writ.DataKind
			want          int
		}{
			{"pings.csv", "pings_csv.json", writ.DataPings, ingest.DefaultPingBatchSize},
			{"contacts.csv", "contacts_csv.json", writ.DataContacts, ingest.DefaultBatchSize},
		} {
			data, _ := os.ReadFile(filepath.Join("testdata", c.file))
			fresh := filepath.Join(renamed, "new-"+c.file)
			if err := os.WriteFile(fresh, append(data, []byte("\n")...), 0o600); err != nil { // other bytes: a new source
				t.Fatal(err)
			}
			s, err := ingest.File(ctx, db, mapping(t, c.mapping), fresh, ingest.Options{Basis: b.authority})
			if err != nil {
				t.Fatalf("File(%s) = %v", fresh, err)
			}
			bs, err := db.Batches(ctx, s.SourceKey)
			if err != nil || len(bs) == 0 || bs[0].Size != c.want {
				t.Errorf("%s, a first run without a batch size: batches %+v, %v; want batches of %d", c.kind, bs, err, c.want)
			}
		}
		if got, want := ingest.DefaultBatch(writ.DataPlateReads), ingest.DefaultBatchSize; got != want {
			t.Errorf("DefaultBatch(plate reads) = %d, want %d", got, want)
		}
		// So would filing the same content under another dataset.
		m := mapping(t, "pings_csv.json")
		m.Dataset = "other-carrier"
		_, err = ingest.File(ctx, db, m, filepath.Join("testdata", "pings.csv"), ingest.Options{Basis: b.authority, BatchSize: 500})
		if writ.ErrorKind(err) != writ.EConflict {
			t.Errorf("File(pings.csv as another dataset) = %v, want a conflict", err)
		}
	})
}

// TestRecords checks what a records file becomes: entity, the source's key,
// no subject, normalised fields and name keys, protected attributes apart,
// the dataset's field schema, and full provenance.
func TestRecords(t *testing.T) {
	stores(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		b := newBases(t, db, "population-registry")
		path := filepath.Join("testdata", "registry.tsv")
		now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		if _, err := ingest.File(ctx, db, mapping(t, "registry_tsv.json"), path, ingest.Options{Basis: b.agreements["population-registry"], Now: now}); err != nil {
			t.Fatal(err)
		}
		var entity, recordID, fields, protected, dataset, source, hash, batch, basisKind string
		var subject sql.NullInt64
		var observed, offset, basisID int64
		err := db.Reader().QueryRow(`SELECT entity, record_id, subject_id, observed_at, fields, protected, dataset, source,
			src_offset, content_hash, batch, basis_kind, basis_id FROM records ORDER BY id LIMIT 1`).Scan(&entity, &recordID, &subject,
			&observed, &fields, &protected, &dataset, &source, &offset, &hash, &batch, &basisKind, &basisID)
		if err != nil {
			t.Fatal(err)
		}
		line := "P1\tJosé María  García\t03/04/1981\t0470 12 34 56\tCatholic\t2026-01-05T10:00:00Z"
		sum := sha256.Sum256([]byte(line))
		var f, p map[string]string
		json.Unmarshal([]byte(fields), &f)
		json.Unmarshal([]byte(protected), &p)
		wantFields := map[string]string{"name": "José María García", "name_key": "jose maria garcia", "dob": "1981-04-03", "phone": "+32470123456"}
		if entity != "Person" || recordID != "P1" || subject.Valid || observed != time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC).UnixMicro() {
			t.Errorf("record = %s %s subject %v observed %d; want Person P1, no subject, observed 2026-01-05T10:00Z", entity, recordID, subject, observed)
		}
		if !reflect.DeepEqual(f, wantFields) || !reflect.DeepEqual(p, map[string]string{"religion": "Catholic"}) {
			t.Errorf("record fields = %v, protected %v; want %v and religion apart", f, p, wantFields)
		}
		bs, _ := db.Batches(ctx, firstKey(t, db))
		if dataset != "population-registry" || source != path || offset != 2 || hash != hex.EncodeToString(sum[:]) ||
			basisKind != "agreement" || basisID != b.agreements["population-registry"].ID || len(bs) != 1 || batch != strconv.FormatInt(bs[0].ID, 10) {
			t.Errorf("provenance = %s %s line %d hash %s batch %s %s %d; want the file, line 2, the line's SHA-256, batch %v, the agreement",
				dataset, source, offset, hash, batch, basisKind, basisID, bs)
		}
		schema, err := db.DatasetFields(ctx, "population-registry")
		var names []string
		var prot []string
		for _, s := range schema {
			names = append(names, s.Field)
			if s.Protected {
				prot = append(prot, s.Field)
			}
		}
		if err != nil || strings.Join(names, ",") != "dob,name,name_key,phone,religion" || strings.Join(prot, ",") != "religion" {
			t.Errorf("DatasetFields() = %v, %v; want dob, name, name_key, phone, religion with religion protected", schema, err)
		}
	})
}

func firstKey(t *testing.T, db *sqlstore.DB) string {
	t.Helper()
	var key string
	if err := db.Reader().QueryRow(`SELECT source_key FROM ingest_batches ORDER BY id LIMIT 1`).Scan(&key); err != nil {
		t.Fatal(err)
	}
	return key
}

// TestObservedAtDefault: a records mapping without observed_at stamps its
// records with the run's time, when the data was obtained.
func TestObservedAtDefault(t *testing.T) {
	db := openSQLite(t)
	b := newBases(t, db, "companies")
	dir := t.TempDir()
	path := filepath.Join(dir, "companies.ndjson")
	os.WriteFile(path, []byte(`{"kbo": "0123.456.789", "name": "ACME bv"}`+"\n"), 0o600)
	m, err := ingest.ParseMapping(strings.NewReader(`{"dataset": "companies", "kind": "records", "format": "ndjson", "entity": "Company",
		"fields": {"record_id": {"from": "kbo"}, "name": {"from": "name", "normalize": "name"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if _, err := ingest.File(context.Background(), db, m, path, ingest.Options{Basis: b.agreements["companies"], Now: now}); err != nil {
		t.Fatal(err)
	}
	var observed int64
	var entity string
	if err := db.Reader().QueryRow(`SELECT observed_at, entity FROM records`).Scan(&observed, &entity); err != nil {
		t.Fatal(err)
	}
	if observed != now.UnixMicro() || entity != "Company" {
		t.Errorf("record observed_at %d, entity %s; want %d (the run's time), Company", observed, entity, now.UnixMicro())
	}
}

func TestCheckBasis(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	b := newBases(t, db, "population-registry")
	pings, records := mapping(t, "pings_csv.json"), mapping(t, "registry_tsv.json")
	now := writ.Now()
	// An approved authority for communications metadata only.
	full, err := db.AuthorityByID(ctx, b.authority.ID)
	if err != nil {
		t.Fatal(err)
	}
	comms := *full
	comms.ID, comms.Categories, comms.Reference = 0, []writ.Category{writ.CatComms}, "PR-2"
	if err := db.CreateAuthority(ctx, &comms); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApproveAuthority(ctx, comms.ID, full.ApprovedBy); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		basis ingest.Basis
		m     *ingest.Mapping
		at    time.Time
		kind  string
	}{
		{"approved authority", b.authority, pings, now, ""},
		{"authority expired", b.authority, pings, now.Add(100 * 24 * time.Hour), writ.EForbidden},
		{"unknown authority", ingest.Basis{Kind: "authority", ID: 999}, pings, now, writ.ENotFound},
		{"authority not covering location", ingest.Basis{Kind: "authority", ID: comms.ID}, pings, now, writ.EForbidden},
		{"authority before it is issued", b.authority, pings, now.Add(-2 * time.Hour), writ.EForbidden},
		{"agreement", b.agreements["population-registry"], records, now, ""},
		{"agreement for another dataset", b.agreements["population-registry"], pings, now, writ.EForbidden},
		{"agreement expired", b.agreements["population-registry"], records, now.Add(400 * 24 * time.Hour), writ.EForbidden},
		{"no basis", ingest.Basis{}, records, now, writ.EInvalid},
	}
	for _, tt := range tests {
		if err := ingest.CheckBasis(ctx, db, tt.basis, tt.m, tt.at); writ.ErrorKind(err) != tt.kind {
			t.Errorf("CheckBasis(%s) = %v, want kind %q", tt.name, err, tt.kind)
		}
	}
}
