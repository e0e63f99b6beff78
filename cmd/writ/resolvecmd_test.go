package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/api"
)

func TestResolveRun(t *testing.T) {
	e := newIngestEnv(t)
	ctx := context.Background()
	l := &localFlags{data: e.data}
	st, err := l.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Twenty people, each in the registry twice, once with a typo.
	var rows []writ.Record
	for p := range 20 {
		for k, family := range []string{fmt.Sprintf("family%c%c", 'a'+p%26, 'a'+p/3), fmt.Sprintf("famly%c%c", 'a'+p%26, 'a'+p/3)} {
			rows = append(rows, writ.Record{Entity: writ.EntityPerson, RecordID: fmt.Sprint(p), ObservedAt: time.Now().Add(-time.Hour),
				Fields: map[string]string{"family_name": family, "given_name": []string{"ann", "bob", "cy", "dee"}[p%4],
					"birth_date": fmt.Sprintf("19%02d-%02d-%02d", 50+p, 1+p%12, 1+p%28)},
				Prov: writ.Provenance{Dataset: "population-registry", Source: "r.csv", Offset: int64(2*p + k), ContentHash: fmt.Sprint(p, "-", k),
					Batch: "1", BasisKind: "agreement", BasisID: e.agreement}})
		}
	}
	if _, err := st.InsertRecords(ctx, rows); err != nil {
		t.Fatal(err)
	}
	st.Close()
	spec := filepath.Join(t.TempDir(), "spec.json")
	os.WriteFile(spec, []byte(`{"datasets": ["population-registry"], "resolver": {
		"comparisons": [{"field": "given_name", "kind": "name"}, {"field": "family_name", "kind": "name"}, {"field": "birth_date", "kind": "date"}],
		"blocks": [{"name": "dob", "on": ["birth_date"]}]}}`), 0o600)

	code, out, errs := e.c.run("", "resolve", "run", "--data", e.data, "--spec", spec)
	if code != 0 || !strings.Contains(out, "run 1 over population-registry: 40 records") {
		t.Fatalf("writ resolve run = exit %d, %q, %q; want run 1 over 40 records", code, out, errs)
	}
	got := e.auditEntries(t, "resolve.run")
	if len(got) != 1 || got[0].Decision != writ.DecisionDone || !strings.HasPrefix(got[0].Actor, "local:") || got[0].Reason != strings.TrimSpace(out) {
		t.Errorf("audit of writ resolve run = %+v, want one done entry by the local operator with the summary", got)
	}
	code, _, errs = e.c.run("", "resolve", "run", "--data", e.data)
	if code != 2 || !strings.Contains(errs, "--spec is required") {
		t.Errorf("writ resolve run without --spec = exit %d, %q, want usage error", code, errs)
	}
}

func TestParseDecision(t *testing.T) {
	tests := []struct {
		args []string
		want api.DecisionRequest
		ok   bool
	}{
		{[]string{"confirm", "1", "2"}, api.DecisionRequest{Kind: writ.DecideConfirm, A: 1, B: 2}, true},
		{[]string{"reject", "3", "4"}, api.DecisionRequest{Kind: writ.DecideReject, A: 3, B: 4}, true},
		{[]string{"split", "1,2", "3"}, api.DecisionRequest{Kind: writ.DecideSplit, Groups: [][]int64{{1, 2}, {3}}}, true},
		{[]string{"split", "1,2"}, api.DecisionRequest{}, false},
		{[]string{"confirm", "1"}, api.DecisionRequest{}, false},
		{[]string{"reject", "1", "x"}, api.DecisionRequest{}, false},
		{[]string{"merge", "1", "2"}, api.DecisionRequest{}, false},
		{nil, api.DecisionRequest{}, false},
	}
	for _, tt := range tests {
		got, err := parseDecision(tt.args)
		if (err == nil) != tt.ok || (tt.ok && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("parseDecision(%q) = %+v, %v, want %+v (ok %v)", tt.args, got, err, tt.want, tt.ok)
		}
	}
}

func TestResolveLinkUsage(t *testing.T) {
	c := newCLI(t)
	c.env["WRIT_TOKEN"] = "x"
	c.env["WRIT_SERVER"] = "http://127.0.0.1:1" // never reached: usage is checked first
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"resolve", "approve-link", "7"}, "--case is required"},
		{[]string{"resolve", "approve-link", "--case", "1"}, "want one link id, have 0"},
		{[]string{"resolve", "approve-link", "--case", "1", "x"}, `"x" is not a link id`},
		{[]string{"resolve", "reject-link", "--case", "1", "7"}, "--case and --reason are required"},
		{[]string{"resolve", "reject-link", "--case", "1", "--reason", "wrong", "7", "8"}, "want one link id, have 2"},
	}
	for _, tt := range tests {
		code, _, errs := c.run("", tt.args...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("writ %q = exit %d, %q; want usage error %q", tt.args, code, errs, tt.want)
		}
	}
}
