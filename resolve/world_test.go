package resolve

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/world"
)

// memStore keeps what ingest commits, so the world's sources can be read
// through their real mappings without a database.
type memStore struct{ recs []writ.Record }

func (m *memStore) CommitBatch(_ context.Context, b *writ.Batch) (writ.BatchResult, error) {
	for _, r := range b.Records {
		r.Prov.Dataset = b.Dataset
		m.recs = append(m.recs, r)
	}
	return writ.BatchResult{ID: int64(len(m.recs)), Committed: true, Stored: len(b.Records)}, nil
}

func (m *memStore) Batches(context.Context, string) ([]writ.BatchInfo, error) { return nil, nil }

// worldRecords generates a synthetic world, ingests its five record
// sources and flattens them onto one set of person fields.
func worldRecords(t *testing.T, persons int) ([]Record, Truth) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	sum, err := world.Generate(ctx, world.Config{Seed: 11, Persons: persons, Days: 1, Out: dir})
	if err != nil {
		t.Fatalf("world.Generate() = %v", err)
	}
	st := &memStore{}
	for _, f := range sum.Files {
		if f.Kind != "source" {
			continue
		}
		dataset, _, _ := strings.Cut(filepath.Base(f.Path), ".")
		m, err := ingest.LoadMapping(filepath.Join(dir, "mappings", dataset+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.File(ctx, st, m, filepath.Join(dir, f.Path), ingest.Options{Basis: ingest.Basis{Kind: "agreement", ID: 1}}); err != nil {
			t.Fatalf("ingest.File(%s) = %v", f.Path, err)
		}
	}
	tr, err := world.LoadTruth(dir)
	if err != nil {
		t.Fatal(err)
	}
	truth := Truth{Entity: map[string]string{}}
	for _, r := range tr.Records {
		truth.Entity[r.Dataset+"/"+r.RecordID] = r.Person
	}
	var recs []Record
	for _, r := range st.recs {
		recs = append(recs, Record{ID: r.Prov.Dataset + "/" + r.RecordID, Dataset: r.Prov.Dataset, Fields: personFields(r.Fields)})
	}
	return recs, truth
}

// personFields maps each source's field names onto one set; vehicle
// owners' fields carry an owner_ prefix, and two sources give a full name.
func personFields(f map[string]string) map[string]string {
	get := func(names ...string) string {
		for _, n := range names {
			if v := f[n]; v != "" {
				return v
			}
		}
		return ""
	}
	out := map[string]string{
		"given_name":  get("given_name", "owner_given_name"),
		"family_name": get("family_name", "owner_family_name"),
		"birth_date":  get("birth_date", "owner_birth_date"),
		"national_id": get("national_id", "owner_national_id"),
		"postcode":    get("postcode", "owner_postcode"),
		"city":        get("city", "owner_city"),
		"phone":       get("phone", "work_phone"),
		"email":       get("email"),
		"street":      get("street_address"),
	}
	if out["street"] == "" {
		out["street"] = strings.TrimSpace(get("street", "owner_street") + " " + get("house_number", "owner_house_number"))
	}
	// street and postcode compared as one address: people move and families
	// share a home, and three address fields would count each of those
	// three times (city names also differ by language in Brussels)
	out["address"] = strings.TrimSpace(out["street"] + " " + out["postcode"])
	if full := get("full_name"); full != "" && out["family_name"] == "" {
		if fam, given, ok := strings.Cut(full, ","); ok {
			out["family_name"], out["given_name"] = strings.TrimSpace(fam), strings.TrimSpace(given)
		} else if given, fam, ok := strings.Cut(full, " "); ok {
			out["family_name"], out["given_name"] = fam, given
		} else {
			out["family_name"] = full
		}
	}
	return out
}

func worldSpec() Spec {
	return Spec{
		Comparisons: []Comparison{
			{Field: "given_name", Kind: KindName, TF: true, Swap: "family_name"},
			{Field: "family_name", Kind: KindName, TF: true, Swap: "given_name"},
			{Field: "birth_date", Kind: KindDate},
			{Field: "national_id", Kind: KindCode},
			{Field: "address", Kind: KindName},
			{Field: "phone", Kind: KindPhone},
			{Field: "email", Kind: KindEmail},
		},
		Blocks: []Block{
			{Name: "national id", On: []string{"national_id"}},
			{Name: "birth date", On: []string{"birth_date"}},
			{Name: "names", On: []string{"dm:given_name|family_name", "dm:family_name|given_name"}},
			{Name: "family place", On: []string{"dm:family_name", "postcode"}},
			{Name: "phone", On: []string{"phone"}},
			{Name: "email", On: []string{"email"}},
		},
		KeepFrom: -1,
	}
}

func TestAccuracyWorld(t *testing.T) {
	if testing.Short() {
		t.Skip("world generation and ingest: seconds")
	}
	recs, truth := worldRecords(t, 2000)
	_, m := measure(t, worldSpec(), recs, truth)
	if m.entity.F1 < 0.98 {
		t.Errorf("entity F1 = %.4f, want ≥ 0.98", m.entity.F1)
	}
	if m.at05.F1 < 0.98 {
		t.Errorf("F1 at 0.5 = %.4f, want ≥ 0.98", m.at05.F1)
	}
	if m.blockingRecall < 0.998 {
		t.Errorf("blocking recall = %.5f, want ≥ 0.998", m.blockingRecall)
	}
	if m.ece > 0.03 {
		t.Errorf("ECE = %.4f, want ≤ 0.03", m.ece)
	}
}
