package world

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// readSource returns a source file's records as maps from column (or
// dotted JSON path) to value.
func readSource(t *testing.T, dir, path string) []map[string]string {
	t.Helper()
	r := openData(t, filepath.Join(dir, path))
	defer r.Close()
	var out []map[string]string
	switch {
	case strings.Contains(path, ".csv") || strings.HasSuffix(path, ".tsv"):
		cr := csv.NewReader(r)
		if strings.Contains(path, "vehicle_registry") {
			cr.Comma = ';'
		}
		if strings.HasSuffix(path, ".tsv") {
			cr.Comma = '\t'
		}
		head, err := cr.Read()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			m := map[string]string{}
			for i, h := range head {
				m[h] = rec[i]
			}
			out = append(out, m)
		}
	case strings.Contains(path, ".ndjson"):
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var v map[string]any
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			out = append(out, flatten(v))
		}
	default:
		var vs []map[string]any
		if err := json.NewDecoder(r).Decode(&vs); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, v := range vs {
			out = append(out, flatten(v))
		}
	}
	return out
}

// flatten turns nested objects into dotted paths: party.name.last.
func flatten(v map[string]any) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v map[string]any)
	walk = func(prefix string, v map[string]any) {
		for k, x := range v {
			switch x := x.(type) {
			case map[string]any:
				walk(prefix+k+".", x)
			case string:
				out[prefix+k] = x
			}
		}
	}
	walk("", v)
	return out
}

var recordKeys = map[string]string{
	srcVehicles: "registration_id", srcUtility: "account_no", srcCourt: "docket", srcBroker: "uid", srcEmployers: "FILING_REF",
}

func TestSourcesAgainstTruth(t *testing.T) {
	dir, sum, tr := sharedWorld(t)
	truth := map[string]Record{}
	errKinds := map[string]int{}
	for _, r := range tr.Records {
		k := r.Dataset + "/" + r.RecordID
		if _, dup := truth[k]; dup {
			t.Errorf("truth/records.csv: %s twice", k)
		}
		truth[k] = r
		if _, ok := tr.Person(r.Person); !ok {
			t.Errorf("truth/records.csv: %s is about %s, who does not exist", k, r.Person)
		}
		for _, e := range r.Errors {
			kind, _, _ := strings.Cut(e, ":")
			errKinds[kind]++
		}
	}
	total := 0
	persons := map[string]map[string]bool{} // person -> datasets
	for _, s := range sourceFiles {
		recs := readSource(t, dir, s.path)
		if len(recs) == 0 {
			t.Errorf("%s: no records", s.path)
		}
		total += len(recs)
		for _, f := range sum.Files {
			if f.Path == s.path && f.Rows != int64(len(recs)) {
				t.Errorf("%s: %d records, summary says %d", s.path, len(recs), f.Rows)
			}
		}
		for _, rec := range recs {
			id := rec[recordKeys[s.dataset]]
			r, ok := truth[s.dataset+"/"+id]
			if !ok {
				t.Fatalf("%s: record %q has no truth", s.path, id)
			}
			if persons[r.Person] == nil {
				persons[r.Person] = map[string]bool{}
			}
			persons[r.Person][s.dataset] = true
		}
	}
	if total != len(tr.Records) {
		t.Errorf("sources hold %d records, truth %d", total, len(tr.Records))
	}
	for _, kind := range []string{"typo", "transposition", "nickname", "diacritics", "missing", "stale", "swapped_day_month", "transposed_digits"} {
		if errKinds[kind] == 0 {
			t.Errorf("no record has a %q error; kinds seen: %v", kind, errKinds)
		}
	}
	several := 0
	for _, ds := range persons {
		if len(ds) >= 3 {
			several++
		}
	}
	if several < len(tr.Persons)/10 {
		t.Errorf("%d persons appear in three sources or more; want many, for resolution to work on", several)
	}
	// The ring's seller has a prior conviction for forgery.
	seller, _ := tr.Ring.Member("seller", 0)
	found := false
	for _, rec := range readSource(t, dir, "sources/court_records.ndjson") {
		if truth[srcCourt+"/"+rec["docket"]].Person == seller.Person && rec["offence"] == "forgery of documents" {
			found = true
		}
	}
	if !found {
		t.Errorf("no forgery court record for the seller %s", seller.Person)
	}
}

// TestRecordErrorsAreReal checks a sample of injected errors against the
// true values: a record with no name error carries the true family name.
func TestRecordErrorsAreReal(t *testing.T) {
	dir, _, tr := sharedWorld(t)
	truth := map[string]Record{}
	for _, r := range tr.Records {
		truth[r.Dataset+"/"+r.RecordID] = r
	}
	var clean, exact, dirty, differ int
	for _, rec := range readSource(t, dir, "sources/employer_filings.csv.gz") {
		r := truth[srcEmployers+"/"+rec["FILING_REF"]]
		p, _ := tr.Person(r.Person)
		hasErr := strings.Contains(strings.Join(r.Errors, ";"), "family_name")
		switch {
		case !hasErr:
			clean++
			if rec["WORKER_SURNAME"] == p.FamilyName {
				exact++
			}
		default:
			dirty++
			if rec["WORKER_SURNAME"] != p.FamilyName {
				differ++
			}
		}
	}
	if clean == 0 || exact != clean {
		t.Errorf("employer filings without a family-name error: %d of %d carry the true name", exact, clean)
	}
	if dirty == 0 || differ != dirty {
		t.Errorf("employer filings with a family-name error: %d of %d differ from the true name", differ, dirty)
	}
}

func TestProtectedOnlyInSomeSources(t *testing.T) {
	dir, _, _ := sharedWorld(t)
	broker := readSource(t, dir, "sources/data_broker.json.gz")
	withReligion := 0
	for _, r := range broker {
		if r["religion"] != "" {
			withReligion++
		}
	}
	if withReligion == 0 || withReligion == len(broker) {
		t.Errorf("%d of %d broker profiles have a religion; want some", withReligion, len(broker))
	}
	for _, path := range []string{"sources/vehicle_registry.csv", "sources/utility_accounts.tsv", "sources/court_records.ndjson"} {
		for _, r := range readSource(t, dir, path) {
			for k := range r {
				if k == "religion" || k == "ethnicity" || strings.Contains(strings.ToLower(k), "medical") {
					t.Fatalf("%s has protected column %s", path, k)
				}
			}
		}
	}
}
