package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/writhq/writ/api"
)

// TestCommsCommands runs every 'writ comms' command against a demo case
// served over the API, and checks that no number the pen-register order does
// not name is ever printed.
func TestCommsCommands(t *testing.T) {
	c := newCLI(t)
	st, _, _ := servedDemo(t, c, "80")
	base := []string{"--case", itoa(st.CaseID), "--authority", itoa(st.Auth["comms"]), "--purpose", "map the ring and its contacts"}
	number := regexp.MustCompile(`\+?32\d{9}`) // the demo world's Belgian mobiles, with or without "+"
	named := map[string]bool{}
	for _, p := range st.Phones {
		named[p] = true
		named[strings.TrimPrefix(p, "+")] = true
	}
	check := func(name, out string) {
		t.Helper()
		for _, m := range number.FindAllString(out, -1) {
			if !named[m] {
				t.Errorf("writ comms %s printed %s, a number the order does not name", name, m)
			}
		}
		if strings.Contains(out, strings.TrimPrefix(st.Unnamed, "+")) {
			t.Errorf("writ comms %s printed the unnamed phone %s", name, st.Unnamed)
		}
	}
	runs := [][]string{
		{"summary"}, {"common", "--min", "2"}, {"expand", "--k", "2"}, {"communities", "--weighted"},
		{"centrality", "--top", "20"}, {"activity"}, {"switches"},
		{"path", st.Phones[0], st.Phones[len(st.Phones)-1]},
		{"export", "--format", "csv"}, {"export", "--format", "gexf", "--communities"},
	}
	for _, r := range runs {
		code, out, errs := c.run("", append(append([]string{"comms"}, r...), base...)...)
		if code != 0 || out == "" {
			t.Fatalf("writ comms %s = exit %d\n%s\n%s", strings.Join(r, " "), code, out, errs)
		}
		check(strings.Join(r, " "), out)
	}
	// The ring's handsets are named by the demo's location warrant: the
	// switch analysis reads them, in a second audited read.
	code, out, errs := c.run("", append([]string{"comms", "switches", "--location-authority", itoa(st.Auth["location"])}, base...)...)
	handsets := regexp.MustCompile(`handsets: (\d+) in the contacts, (\d+) named by authority \d+ and read, (\d+) pings`).FindStringSubmatch(out)
	if code != 0 || handsets == nil || handsets[2] == "0" || handsets[3] == "0" {
		t.Errorf("comms switches --location-authority = exit %d, want handsets read and their pings:\n%s\n%s", code, out, errs)
	}
	check("switches --location-authority", out)
	code, out, _ = c.run("", append([]string{"comms", "summary"}, base...)...)
	if code != 0 || !strings.Contains(out, "ps-") || !strings.Contains(out, st.Phones[0]) && !strings.Contains(out, st.Phones[1]) {
		t.Errorf("summary shows no pseudonym or no target:\n%s", out)
	}
	code, out, errs = c.run("", append([]string{"comms", "summary", "--json"}, base...)...)
	var sum api.CommsSummary
	if code != 0 || json.Unmarshal([]byte(out), &sum) != nil || sum.Contacts == 0 || !slices.Equal(slices.Sorted(slices.Values(sum.Targets)), slices.Sorted(slices.Values(st.Phones))) {
		t.Errorf("summary --json = exit %d, %d contacts, targets %v; want the order's phones %v (%s)", code, sum.Contacts, sum.Targets, st.Phones, errs)
	}

	file := filepath.Join(t.TempDir(), "g.graphml")
	if code, _, errs := c.run("", append([]string{"comms", "export", "--format", "graphml", "-o", file}, base...)...); code != 0 {
		t.Fatalf("export -o = exit %d, %s", code, errs)
	}
	gm, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	check("export graphml", string(gm))
	d := xml.NewDecoder(bytes.NewReader(gm))
	nodes := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("graphml export is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "node" {
			nodes++
		}
	}
	if nodes == 0 {
		t.Errorf("graphml export has no nodes")
	}

	// Under an authority that does not cover comms: refused, naming the rule.
	loc := []string{"comms", "summary", "--case", itoa(st.CaseID), "--authority", itoa(st.Auth["location"]), "--purpose", "map the ring and its contacts"}
	if code, _, errs := c.run("", loc...); code != 1 || !strings.Contains(errs, "denied (category_covered)") {
		t.Errorf("comms under the location warrant = exit %d, %q; want denied (category_covered)", code, errs)
	}
	if code, _, errs := c.run("", append([]string{"comms", "path", "only-one"}, base...)...); code != 2 {
		t.Errorf("path with one party = exit %d, %q; want usage error", code, errs)
	}
}
