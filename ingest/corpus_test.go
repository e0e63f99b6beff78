package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/sqlstore"
)

// qrow is what a test expects of a quarantined row.
type qrow struct {
	line   int64
	field  string
	reason string
}

func (q qrow) String() string { return fmt.Sprintf("line %d %s %s", q.line, q.field, q.reason) }

func quarantine(tb testing.TB, db *sqlstore.DB, source string) []qrow {
	tb.Helper()
	rows, err := db.Quarantined(context.Background(), writ.QuarantineFilter{Limit: writ.MaxLimit})
	if err != nil {
		tb.Fatalf("Quarantined() = %v", err)
	}
	out := []qrow{}
	for _, r := range rows {
		if r.Source == source {
			out = append(out, qrow{r.Offset, r.Field, r.Reason})
		}
	}
	return out
}

// TestCorpus ingests every broken file of testdata and checks that the
// quarantine names each bad row's line, field and reason, and nothing else.
func TestCorpus(t *testing.T) {
	db := openSQLite(t)
	b := newBases(t, db, "population-registry")
	tests := []struct {
		file, mapping string
		basis         ingest.Basis
		read, stored  int64
		quarantine    []qrow
		err           string // the run's error, "" for none
	}{
		{"pings.csv", "pings_csv.json", b.authority, 15, 5, []qrow{
			{4, "at", ingest.ReasonBadDate},
			{5, "lat", ingest.ReasonBadCoordinate},
			{6, "lon", ingest.ReasonBadCoordinate},
			{7, "device", ingest.ReasonMissing},
			{8, "", ingest.ReasonColumnCount},
			{9, "", ingest.ReasonColumnCount},
			{11, "lat", ingest.ReasonBadCoordinate},
			{12, "", ingest.ReasonBadCSV},
			{14, "at", ingest.ReasonBadDate},
			{17, "", ingest.ReasonBadUTF8},
		}, ""},
		{"registry.tsv", "registry_tsv.json", b.agreements["population-registry"], 5, 2, []qrow{
			{4, "dob", ingest.ReasonBadDate},
			{5, "phone", ingest.ReasonBadPhone},
			{6, "name", ingest.ReasonMissing},
		}, ""},
		{"pings.ndjson", "pings_ndjson.json", b.authority, 8, 2, []qrow{
			{2, "", ingest.ReasonBadJSON},
			{3, "", ingest.ReasonBadJSON},
			{4, "at", ingest.ReasonBadDate},
			{5, "device", ingest.ReasonBadValue},
			{6, "lat", ingest.ReasonBadCoordinate},
			{8, "device", ingest.ReasonBadValue},
		}, ""},
		{"plates.json", "plates_json.json", b.authority, 5, 2, []qrow{
			{2, "plate", ingest.ReasonBadPlate},
			{3, "lon", ingest.ReasonBadCoordinate},
			{4, "", ingest.ReasonBadJSON},
		}, ""},
		{"broken.json", "plates_json.json", b.authority, 2, 1, []qrow{
			{2, "", ingest.ReasonBadJSON},
		}, "the rest of the file cannot be read"},
		{"not_array.json", "plates_json.json", b.authority, 1, 0, []qrow{
			{1, "", ingest.ReasonBadJSON},
		}, "one array of objects"},
		{"contacts.csv", "contacts_csv.json", b.authority, 5, 2, []qrow{
			{3, "duration_s", ingest.ReasonBadNumber},
			{4, "duration_s", ingest.ReasonBadNumber},
			{5, "callee", ingest.ReasonBadPhone},
		}, ""},
		{"truncated.csv.gz", "pings_csv.json", b.authority, 1789, 1788, []qrow{
			{1790, "", ingest.ReasonTruncated},
		}, "gzip stream is truncated"},
		{"header_only.csv", "pings_csv.json", b.authority, 0, 0, []qrow{}, ""},
		{"empty.csv", "pings_csv.json", b.authority, 0, 0, []qrow{}, "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			s, err := ingest.File(context.Background(), db, mapping(t, tt.mapping), path, ingest.Options{Basis: tt.basis, BatchSize: 1000})
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("File(%s) error = %v, want %q", tt.file, err, tt.err)
			}
			if s.Read != tt.read || s.Stored != tt.stored || s.Quarantined != int64(len(tt.quarantine)) {
				t.Errorf("File(%s) read %d, stored %d, quarantined %d; want %d, %d, %d", tt.file, s.Read, s.Stored, s.Quarantined,
					tt.read, tt.stored, len(tt.quarantine))
			}
			if got := quarantine(t, db, path); !reflect.DeepEqual(got, tt.quarantine) {
				t.Errorf("File(%s) quarantined\n%v\nwant\n%v", tt.file, got, tt.quarantine)
			}
			var sum int64
			for _, n := range s.ByReason {
				sum += n
			}
			if sum != s.Quarantined {
				t.Errorf("File(%s) ByReason %v adds up to %d, want %d", tt.file, s.ByReason, sum, s.Quarantined)
			}
		})
	}
}

// TestLongLine ingests a file with a 10 MB line between good ones: the line
// is quarantined with its first bytes and its size, the rest goes in.
func TestLongLine(t *testing.T) {
	db := openSQLite(t)
	b := newBases(t, db)
	var buf bytes.Buffer
	buf.WriteString("imei,time,latitude,longitude,accuracy\n")
	buf.WriteString("dev-1,2026-10-01T08:00:00Z,50.1,4.1,5\n")
	long := "dev-2,2026-10-01T08:00:00Z,50.1,4.1," + strings.Repeat("9", 10<<20) + "\n"
	buf.WriteString(long)
	buf.WriteString("dev-3,2026-10-01T08:00:00Z,50.1,4.1,5\n")
	path := filepath.Join(t.TempDir(), "long.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := ingest.File(context.Background(), db, mapping(t, "pings_csv.json"), path, ingest.Options{Basis: b.authority})
	if err != nil || s.Read != 3 || s.Stored != 2 || s.ByReason[ingest.ReasonLineTooLong] != 1 {
		t.Fatalf("File(10 MB line) = %+v, %v; want 3 read, 2 stored, 1 line_too_long", s, err)
	}
	q, err := db.Quarantined(context.Background(), writ.QuarantineFilter{})
	if err != nil || len(q) != 1 {
		t.Fatalf("Quarantined() = %v, %v, want 1 row", q, err)
	}
	if q[0].Offset != 3 || q[0].RawSize != int64(len(long)-1) || len(q[0].Raw) != writ.MaxQuarantineRaw || !bytes.HasPrefix([]byte(long), q[0].Raw) {
		t.Errorf("quarantined line %d, raw %d bytes of %d; want line 3, the first %d bytes of %d",
			q[0].Offset, len(q[0].Raw), q[0].RawSize, writ.MaxQuarantineRaw, len(long)-1)
	}
}

// TestStrict stops at the first bad row and commits nothing of its batch,
// keeping the batches before it.
func TestStrict(t *testing.T) {
	db := openSQLite(t)
	b := newBases(t, db)
	path := filepath.Join("testdata", "pings.csv")
	s, err := ingest.File(context.Background(), db, mapping(t, "pings_csv.json"), path, ingest.Options{Basis: b.authority, BatchSize: 2, Strict: true})
	var re *ingest.RowError
	if !errors.As(err, &re) || re.Reason != ingest.ReasonBadDate || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("File(strict) = %v, want a bad_date error on line 4", err)
	}
	// Lines 2 and 3 are batch 0; line 4 is in batch 1, which is not committed.
	if got := count(t, db, "pings"); got != 2 || s.Stored != 2 || s.Batches != 1 {
		t.Errorf("File(strict) stored %d (summary %d, %d batches), want the 2 rows of batch 0", got, s.Stored, s.Batches)
	}
	if got := count(t, db, "ingest_quarantine"); got != 0 {
		t.Errorf("File(strict) quarantined %d rows, want 0", got)
	}
}

// TestManyBatchesInOrder ingests a file of many small batches, which the
// parser, the store's layout and its commits work on at once: the batches
// are committed in file order, each row stored or quarantined at its own
// line, and under --strict the batches before the bad row's are committed
// and none after.
func TestManyBatchesInOrder(t *testing.T) {
	const rows, size = 2000, 16
	write := func(bad func(i int) bool) string {
		var b strings.Builder
		b.WriteString("imei,time,latitude,longitude,accuracy\n")
		for i := range rows {
			lat := "50.8466"
			if bad(i) {
				lat = "91.5"
			}
			fmt.Fprintf(&b, "35-209900-%06d-1,2026-10-01T%02d:%02d:%02dZ,%s,4.3528,12\n", i%97, i/3600, i/60%60, i%60, lat)
		}
		path := filepath.Join(t.TempDir(), "pings.csv")
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ctx := context.Background()

	db := openSQLite(t)
	b := newBases(t, db)
	s, err := ingest.File(ctx, db, mapping(t, "pings_csv.json"), write(func(i int) bool { return i%37 == 5 }), ingest.Options{Basis: b.authority, BatchSize: size})
	if err != nil {
		t.Fatal(err)
	}
	var wantLines []int64
	for i := range rows {
		if i%37 == 5 {
			wantLines = append(wantLines, int64(i+2)) // the header is line 1
		}
	}
	if s.Batches != rows/size || s.Stored != int64(rows-len(wantLines)) || s.Quarantined != int64(len(wantLines)) {
		t.Errorf("summary: %d batches, %d stored, %d quarantined; want %d, %d, %d", s.Batches, s.Stored, s.Quarantined, rows/size, rows-len(wantLines), len(wantLines))
	}
	nos := int64s(t, db, "SELECT batch_no FROM ingest_batches ORDER BY id")
	for i, n := range nos {
		if n != int64(i) {
			t.Fatalf("batches committed in the order %v; want 0, 1, 2, ...", nos)
		}
	}
	lines := int64s(t, db, "SELECT src_offset FROM ingest_quarantine ORDER BY id")
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("quarantined lines %v; want %v", lines, wantLines)
	}

	// --strict: the bad row is row 1,499 (line 1,501), in batch 93.
	db = openSQLite(t)
	b = newBases(t, db)
	_, err = ingest.File(ctx, db, mapping(t, "pings_csv.json"), write(func(i int) bool { return i == 1499 }), ingest.Options{Basis: b.authority, BatchSize: size, Strict: true})
	if err == nil || !strings.Contains(err.Error(), "line 1501") || !strings.Contains(err.Error(), "batch 93 not committed") {
		t.Fatalf("File(strict) = %v; want the bad row of line 1501, batch 93", err)
	}
	if got := count(t, db, "pings"); got != 93*size {
		t.Errorf("File(strict) stored %d pings; want the %d of batches 0 to 92", got, 93*size)
	}
}

// int64s returns the one integer column of query's rows, in order.
func int64s(tb testing.TB, db *sqlstore.DB, query string) []int64 {
	tb.Helper()
	q, err := db.Reader().Query(query)
	if err != nil {
		tb.Fatal(err)
	}
	defer q.Close()
	var out []int64
	for q.Next() {
		var v int64
		if err := q.Scan(&v); err != nil {
			tb.Fatal(err)
		}
		out = append(out, v)
	}
	if err := q.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
