package ingest_test

import (
	"strings"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
)

func TestParseMapping(t *testing.T) {
	pings := `"fields": {"device": {"from": "d"}, "at": {"from": "t"}, "lat": {"from": "y"}, "lon": {"from": "x"}}`
	tests := []struct {
		name, json string
		want       string // substring of the error; "" for valid
	}{
		{"pings", `{"dataset": "d", "kind": "pings", "format": "csv", ` + pings + `}`, ""},
		{"pings, gz-agnostic ndjson with paths", `{"dataset": "d", "kind": "pings", "format": "ndjson", "fields": {"device": {"from": "dev.id"},
			"at": {"from": "t", "layout": "unix"}, "lat": {"from": "pos.lat"}, "lon": {"from": "pos.lon"}}}`, ""},
		{"records", `{"dataset": "reg", "kind": "records", "format": "tsv", "entity": "Vehicle", "csv": {"header": true},
			"fields": {"record_id": {"from": "id"}, "plate": {"from": "p", "normalize": "plate"}, "religion": {"from": "r", "protected": true},
			"registered": {"from": "d", "normalize": "date", "layout": "02/01/2006"}}}`, ""},
		{"no dataset", `{"kind": "pings", "format": "csv", ` + pings + `}`, `needs a "dataset"`},
		{"unknown kind", `{"dataset": "d", "kind": "emails", "format": "csv", ` + pings + `}`, `kind "emails"`},
		{"unknown format", `{"dataset": "d", "kind": "pings", "format": "xml", ` + pings + `}`, `format "xml"`},
		{"unknown key", `{"dataset": "d", "kind": "pings", "format": "csv", "fields": {}, "colour": 1}`, `unknown field "colour"`},
		{"no fields", `{"dataset": "d", "kind": "pings", "format": "csv"}`, `needs "fields"`},
		{"unknown normaliser", `{"dataset": "d", "kind": "pings", "format": "csv", "fields": {"device": {"from": "d", "normalize": "soundex"},
			"at": {"from": "t"}, "lat": {"from": "y"}, "lon": {"from": "x"}}}`, `unknown normaliser "soundex"`},
		{"missing target", `{"dataset": "d", "kind": "pings", "format": "csv", "fields": {"device": {"from": "d"}, "at": {"from": "t"}, "lat": {"from": "y"}}}`,
			`pings mapping needs the target "lon"`},
		{"unknown target", `{"dataset": "d", "kind": "plate_reads", "format": "csv", "fields": {"plate": {"from": "p"}, "at": {"from": "t"},
			"lat": {"from": "y"}, "lon": {"from": "x"}, "speed": {"from": "s"}}}`, `plate_reads has no such target`},
		{"normaliser does not fit", `{"dataset": "d", "kind": "pings", "format": "csv", "fields": {"device": {"from": "d"}, "at": {"from": "t", "normalize": "lat"},
			"lat": {"from": "y"}, "lon": {"from": "x"}}}`, `normaliser "lat" cannot fill it`},
		{"comms content target", `{"dataset": "cdr", "kind": "contacts", "format": "csv", "fields": {"caller": {"from": "a"}, "callee": {"from": "b"},
			"started_at": {"from": "t"}, "body": {"from": "sms_text"}}}`, "writ never stores communications content"},
		{"comms content column", `{"dataset": "cdr", "kind": "contacts", "format": "ndjson", "fields": {"caller": {"from": "a"}, "callee": {"from": "b"},
			"started_at": {"from": "t"}, "type": {"from": "msg.Payload"}}}`, "writ never stores communications content"},
		{"records without entity", `{"dataset": "d", "kind": "records", "format": "csv", "fields": {"name": {"from": "n"}}}`, `needs an "entity"`},
		{"records with unknown entity", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Pet", "fields": {"name": {"from": "n"}}}`, `needs an "entity"`},
		{"entity on events", `{"dataset": "d", "kind": "pings", "format": "csv", "entity": "Person", ` + pings + `}`, `"entity" applies to records`},
		{"protected on events", `{"dataset": "d", "kind": "pings", "format": "csv", "fields": {"device": {"from": "d", "protected": true},
			"at": {"from": "t"}, "lat": {"from": "y"}, "lon": {"from": "x"}}}`, `"protected" applies to records`},
		{"protected record id", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Person", "fields": {"record_id": {"from": "n", "protected": true}}}`,
			"record_id cannot be protected"},
		{"observed_at not a time", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Person", "fields": {"observed_at": {"from": "n", "normalize": "text"}}}`,
			"observed_at is a time"},
		{"bad layout", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Person", "fields": {"dob": {"from": "n", "normalize": "date", "layout": "dd/mm/yyyy"}}}`,
			`layout "dd/mm/yyyy" does not give a year, a month and a day`},
		{"layout on text", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Person", "fields": {"dob": {"from": "n", "layout": "2006"}}}`,
			`"layout" applies to the date and time normalisers`},
		{"unknown region", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Phone", "fields": {"n": {"from": "n", "normalize": "phone", "region": "XX"}}}`,
			`region "XX"`},
		{"region on text", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Phone", "fields": {"n": {"from": "n", "region": "BE"}}}`,
			`"region" applies to the phone normaliser`},
		{"no from", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Person", "fields": {"name": {}}}`, `needs "from"`},
		{"no header, named column", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Person", "csv": {"header": false},
			"fields": {"name": {"from": "name"}}}`, `must be a column number`},
		{"bad delimiter", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Person", "csv": {"delimiter": ";;"}, "fields": {"name": {"from": "n"}}}`,
			`csv delimiter ";;"`},
		{"csv options on json", `{"dataset": "d", "kind": "records", "format": "json", "entity": "Person", "csv": {"delimiter": ";"}, "fields": {"name": {"from": "n"}}}`,
			`"csv" options apply to csv and tsv`},
		{"bad JSON path", `{"dataset": "d", "kind": "records", "format": "json", "entity": "Person", "fields": {"name": {"from": "a..b"}}}`, `JSON path "a..b"`},
		{"name key clash", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Person", "fields": {"name": {"from": "n", "normalize": "name"},
			"name_key": {"from": "k"}}}`, `already makes this field`},
		{"two values", `{"dataset": "d", "kind": "records", "format": "csv", "entity": "Person", "fields": {"name": {"from": "n"}}} {}`, "more than one JSON value"},
	}
	for _, tt := range tests {
		m, err := ingest.ParseMapping(strings.NewReader(tt.json))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ParseMapping(%s) = %v, want no error", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || writ.ErrorKind(err) != writ.EInvalid):
			t.Errorf("ParseMapping(%s) = %v, %v; want an invalid error saying %q", tt.name, m, err, tt.want)
		}
	}
}

func TestMappingDefaults(t *testing.T) {
	m, err := ingest.ParseMapping(strings.NewReader(`{"dataset": "cdr", "kind": "contacts", "format": "csv",
		"fields": {"caller": {"from": "a"}, "callee": {"from": "b"}, "started_at": {"from": "t"}, "duration_s": {"from": "d"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"caller": ingest.NormPhone, "callee": ingest.NormPhone, "started_at": ingest.NormTime, "duration_s": ingest.NormInt}
	for name, norm := range want {
		if got := m.Fields[name].Normalize; got != norm {
			t.Errorf("default normaliser of %s = %q, want %q", name, got, norm)
		}
	}
}
