package world

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mapping is the part of the ingest contract the world relies on.
type mapping struct {
	Dataset string `json:"dataset"`
	Kind    string `json:"kind"`
	Format  string `json:"format"`
	CSV     *struct {
		Delimiter string `json:"delimiter"`
		Header    bool   `json:"header"`
	} `json:"csv"`
	Entity string `json:"entity"`
	Fields map[string]struct {
		From      string `json:"from"`
		Normalize string `json:"normalize"`
		Layout    string `json:"layout"`
		Required  bool   `json:"required"`
		Protected bool   `json:"protected"`
		Region    string `json:"region"`
	} `json:"fields"`
}

var targets = map[string][]string{
	"pings":       {"device", "at", "lat", "lon", "accuracy_m"},
	"contacts":    {"caller", "callee", "started_at", "duration_s", "type"},
	"plate_reads": {"plate", "camera", "at", "lat", "lon"},
}

var normalizers = map[string]bool{"text": true, "name": true, "phone": true, "plate": true, "date": true, "time": true,
	"lat": true, "lon": true, "int": true, "float": true, "id": true}

// dataPath returns the file a dataset was written to in the shared world.
func dataPath(t *testing.T, sum *Summary, dataset string) string {
	t.Helper()
	for _, f := range sum.Files {
		base := filepath.Base(f.Path)
		if (f.Kind == "source" || f.Kind == "event") && strings.HasPrefix(base, dataset+".") {
			return f.Path
		}
	}
	t.Fatalf("no file for dataset %s", dataset)
	return ""
}

// TestMappings checks every mapping against the file it maps: known kind,
// format and normalisers, and every column it names exists.
func TestMappings(t *testing.T) {
	dir, sum, _ := sharedWorld(t)
	protected := map[string]bool{}
	for _, ds := range Datasets() {
		t.Run(ds, func(t *testing.T) {
			b, err := Mapping(ds)
			if err != nil {
				t.Fatal(err)
			}
			written, err := os.ReadFile(filepath.Join(dir, "mappings", ds+".json"))
			if err != nil || !bytes.Equal(written, b) {
				t.Errorf("mappings/%s.json in the output differs from the embedded one (%v)", ds, err)
			}
			var m mapping
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&m); err != nil {
				t.Fatalf("Mapping(%s): %v", ds, err)
			}
			if m.Dataset != ds {
				t.Errorf("Mapping(%s).dataset = %q", ds, m.Dataset)
			}
			path := dataPath(t, sum, ds)
			switch m.Format {
			case "csv", "tsv":
				if m.CSV == nil || !m.CSV.Header || len(m.CSV.Delimiter) != 1 {
					t.Fatalf("Mapping(%s): csv options %+v, want a one-character delimiter and a header", ds, m.CSV)
				}
			case "json", "ndjson":
			default:
				t.Fatalf("Mapping(%s).format = %q", ds, m.Format)
			}
			cols := columns(t, dir, path, m)
			for target, f := range m.Fields {
				if !cols[f.From] {
					t.Errorf("Mapping(%s).fields.%s.from = %q, not a column of %s", ds, target, f.From, path)
				}
				if !normalizers[f.Normalize] {
					t.Errorf("Mapping(%s).fields.%s.normalize = %q", ds, target, f.Normalize)
				}
				if (f.Normalize == "date") != (f.Layout != "" && f.Layout != "unix") {
					t.Errorf("Mapping(%s).fields.%s: normalize %q with layout %q", ds, target, f.Normalize, f.Layout)
				}
				if f.Protected {
					protected[target] = true
				}
			}
			switch m.Kind {
			case "records":
				if m.Entity == "" || m.Fields["record_id"].From == "" || m.Fields["observed_at"].From == "" {
					t.Errorf("Mapping(%s): a records mapping wants an entity, record_id and observed_at", ds)
				}
			case "pings", "contacts", "plate_reads":
				for _, target := range targets[m.Kind] {
					if _, ok := m.Fields[target]; !ok {
						t.Errorf("Mapping(%s) lacks target %s", ds, target)
					}
				}
			default:
				t.Errorf("Mapping(%s).kind = %q", ds, m.Kind)
			}
		})
	}
	for _, p := range []string{"religion", "ethnicity", "health"} {
		if !protected[p] {
			t.Errorf("no mapping marks %s protected", p)
		}
	}
}

// columns returns a file's header columns, or for JSON the dotted paths
// found in any record.
func columns(t *testing.T, dir, path string, m mapping) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	if m.Format == "csv" || m.Format == "tsv" {
		r := openData(t, filepath.Join(dir, path))
		defer r.Close()
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range strings.Split(strings.TrimRight(line, "\n"), m.CSV.Delimiter) {
			out[c] = true
		}
		return out
	}
	for _, rec := range readSource(t, dir, path) {
		for k := range rec {
			out[k] = true
		}
	}
	return out
}
