package resolve

import (
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedData returns ../shared/data beside the module root, skipping the
// test when it is absent.
func sharedData(t testing.TB, sub string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test; cannot find ../shared/data")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data", sub)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("test data %s absent (%v); it lives beside the checkout in CI", p, err)
	}
	return p
}

// readCSV returns the header and rows of a CSV file, values trimmed.
func readCSV(t testing.TB, path string) ([]string, [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	var rows [][]string
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		for i := range row {
			row[i] = strings.TrimSpace(row[i])
		}
		rows = append(rows, row)
	}
	return rows[0], rows[1:]
}

// febrl loads a FEBRL dataset: records and the truth in their ids
// (rec-N-org and rec-N-dup-k are entity N).
func febrl(t testing.TB, name, dataset string) ([]Record, Truth) {
	t.Helper()
	head, rows := readCSV(t, filepath.Join(sharedData(t, "febrl"), name))
	truth := Truth{Entity: map[string]string{}, Dataset: map[string]string{}}
	var recs []Record
	for _, row := range rows {
		rec := Record{ID: dataset + "/" + row[0], Dataset: dataset, Fields: map[string]string{}}
		for i, h := range head[1:] {
			rec.Fields[h] = row[i+1]
		}
		parts := strings.Split(row[0], "-")
		truth.Entity[rec.ID] = parts[1]
		truth.Dataset[rec.ID] = dataset
		recs = append(recs, rec)
	}
	return recs, truth
}

// febrlSpec compares every FEBRL field; the blocking keys are chosen so a
// true pair must be corrupted in several fields at once to be missed.
func febrlSpec() Spec {
	return Spec{
		Comparisons: []Comparison{
			{Field: "given_name", Kind: KindName, TF: true, Swap: "surname"},
			{Field: "surname", Kind: KindName, TF: true, Swap: "given_name"},
			{Field: "street_number", Kind: KindCode},
			{Field: "address_1", Kind: KindName},
			{Field: "address_2", Kind: KindName},
			{Field: "suburb", Kind: KindName, TF: true},
			{Field: "postcode", Kind: KindCode, TF: true},
			{Field: "state", Kind: KindExact},
			{Field: "date_of_birth", Kind: KindDate},
			{Field: "soc_sec_id", Kind: KindCode},
		},
		Blocks: []Block{
			{Name: "ssid", On: []string{"soc_sec_id"}},
			{Name: "dob", On: []string{"date_of_birth"}},
			{Name: "names", On: []string{"dm:given_name", "dm:surname"}},
			{Name: "names swapped", On: []string{"dm:surname", "dm:given_name"}},
			{Name: "address", On: []string{"postcode", "street_number"}},
			{Name: "surname place", On: []string{"dm:surname", "pre3:suburb"}},
			{Name: "given street", On: []string{"dm:given_name", "dm:address_1"}},
			{Name: "given year", On: []string{"dm:given_name", "year:date_of_birth"}},
			{Name: "street", On: []string{"street_number", "dm:address_1"}},
			{Name: "locality", On: []string{"postcode", "dm:suburb"}},
			{Name: "given place", On: []string{"dm:given_name", "dm:suburb"}},
			{Name: "street place", On: []string{"dm:address_1", "dm:suburb"}},
		},
		KeepFrom: -1,
	}
}

// fake1000 loads Splink's fake_1000 with its cluster column as truth.
func fake1000(t testing.TB) ([]Record, Truth) {
	t.Helper()
	head, rows := readCSV(t, filepath.Join(sharedData(t, "splink"), "fake_1000.csv"))
	truth := Truth{Entity: map[string]string{}}
	var recs []Record
	for _, row := range rows {
		rec := Record{ID: row[0], Fields: map[string]string{}}
		for i, h := range head[1 : len(head)-1] {
			rec.Fields[h] = row[i+1]
		}
		truth.Entity[rec.ID] = row[len(row)-1]
		recs = append(recs, rec)
	}
	return recs, truth
}

func fake1000Spec() Spec {
	return Spec{
		Comparisons: []Comparison{
			{Field: "first_name", Kind: KindName, TF: true, Swap: "surname"},
			{Field: "surname", Kind: KindName, TF: true, Swap: "first_name"},
			{Field: "dob", Kind: KindDate},
			{Field: "city", Kind: KindName, TF: true},
			{Field: "email", Kind: KindEmail},
		},
		Blocks: []Block{
			{Name: "dob", On: []string{"dob"}},
			{Name: "email", On: []string{"email"}},
			{Name: "names", On: []string{"dm:first_name", "dm:surname"}},
			{Name: "name year", On: []string{"dm:first_name|surname", "year:dob"}},
			{Name: "name city", On: []string{"dm:first_name|surname", "city"}},
			{Name: "email start", On: []string{"pre4:email"}},
			{Name: "either name", On: []string{"dm:first_name|surname"}},
			{Name: "year", On: []string{"year:dob"}},
			{Name: "initial city", On: []string{"pre1:first_name|surname", "city"}},
			// heavily corrupted duplicates share only a near date, a city
			// sound, an initial or a few letters: each key below was picked
			// for the true pairs it adds per candidate pair (docs/resolve.md)
			{Name: "city near date", On: []string{"dm:city", "near:dob"}},
			{Name: "initial decade", On: []string{"pre1:first_name|surname|email", "decade:dob"}},
			{Name: "trigram near date", On: []string{"q3:first_name|surname", "near:dob"}},
			{Name: "initial near date", On: []string{"pre1:first_name|surname|email", "near:dob"}},
			{Name: "city decade", On: []string{"pre1:city", "decade:dob"}},
			{Name: "two letters city", On: []string{"pre2:first_name|surname|email", "pre3:city"}},
			{Name: "email domain", On: []string{"pre4:domain:email"}},
			{Name: "decade", On: []string{"decade:dob"}},
		},
		KeepFrom: -1,
	}
}
