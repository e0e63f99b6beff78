package graph

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"testing"
)

// xmlCounts parses doc as XML and counts elements by local name.
func xmlCounts(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	n := make(map[string]int)
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return n
			}
			t.Fatalf("not well-formed XML: %v", err)
		}
		if s, ok := tok.(xml.StartElement); ok {
			n[s.Name.Local]++
		}
	}
}

func TestExports(t *testing.T) {
	g, _ := small(t, [][2]string{{"a<&>", "b"}, {"b", "c"}, {"c", "a<&>"}, {"d", "a<&>"}})
	labels := g.Labels([]byte("k"), []bool{true, true, false, false})
	comm := g.Communities(CommunityOptions{})
	var buf bytes.Buffer
	if err := g.WriteGraphML(&buf, labels, comm); err != nil {
		t.Fatal(err)
	}
	if n := xmlCounts(t, buf.Bytes()); n["node"] != g.Len() || n["edge"] != g.Edges() {
		t.Errorf("GraphML: %d nodes, %d edges, want %d, %d", n["node"], n["edge"], g.Len(), g.Edges())
	}
	buf.Reset()
	if err := g.WriteGEXF(&buf, labels, comm); err != nil {
		t.Fatal(err)
	}
	if n := xmlCounts(t, buf.Bytes()); n["node"] != g.Len() || n["edge"] != g.Edges() {
		t.Errorf("GEXF: %d nodes, %d edges, want %d, %d", n["node"], n["edge"], g.Len(), g.Edges())
	}
	if bytes.Contains(buf.Bytes(), []byte(">c<")) || bytes.Contains(buf.Bytes(), []byte(`"d"`)) {
		t.Errorf("GEXF shows a masked number")
	}
	buf.Reset()
	if err := g.WriteCSV(&buf, labels); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != g.Edges()+1 || rows[1][0] != "a<&>" {
		t.Errorf("CSV: %d rows, first %v, want %d and a<&>", len(rows), rows[1], g.Edges()+1)
	}
}
