package graph

import (
	"bufio"
	"encoding/csv"
	"encoding/xml"
	"io"
	"strconv"
)

// Exports write the graph with the labels given (use Labels to mask
// non-targets) and, when community is not nil, each node's community.
// Edges carry their contact count and total duration.

// WriteCSV writes one row per pair: a,b,count,a_to_b,b_to_a,duration_s,first,last.
func (g *Graph) WriteCSV(w io.Writer, labels []string) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"a", "b", "count", "a_to_b", "b_to_a", "duration_s", "first", "last"})
	for _, p := range g.Pairs {
		cw.Write([]string{labels[p.A], labels[p.B], strconv.Itoa(p.Count()), strconv.Itoa(int(p.AB)), strconv.Itoa(int(p.BA)),
			strconv.FormatInt(p.Dur, 10), strconv.FormatInt(p.First, 10), strconv.FormatInt(p.Last, 10)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteGraphML writes GraphML (undirected) for yEd, Cytoscape or Gephi.
func (g *Graph) WriteGraphML(w io.Writer, labels []string, community []int32) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header)
	bw.WriteString(`<graphml xmlns="http://graphml.graphdrawing.org/xmlns">` + "\n")
	bw.WriteString(`<key id="label" for="node" attr.name="label" attr.type="string"/>` + "\n")
	bw.WriteString(`<key id="community" for="node" attr.name="community" attr.type="int"/>` + "\n")
	bw.WriteString(`<key id="count" for="edge" attr.name="count" attr.type="int"/>` + "\n")
	bw.WriteString(`<key id="duration" for="edge" attr.name="duration_s" attr.type="long"/>` + "\n")
	bw.WriteString(`<graph id="contacts" edgedefault="undirected">` + "\n")
	for u := range g.Len() {
		bw.WriteString(`<node id="n` + strconv.Itoa(u) + `"><data key="label">`)
		xml.EscapeText(bw, []byte(labels[u]))
		bw.WriteString(`</data>`)
		if community != nil {
			bw.WriteString(`<data key="community">` + strconv.Itoa(int(community[u])) + `</data>`)
		}
		bw.WriteString("</node>\n")
	}
	for i, p := range g.Pairs {
		bw.WriteString(`<edge id="e` + strconv.Itoa(i) + `" source="n` + strconv.Itoa(int(p.A)) + `" target="n` + strconv.Itoa(int(p.B)) + `">`)
		bw.WriteString(`<data key="count">` + strconv.Itoa(p.Count()) + `</data><data key="duration">` + strconv.FormatInt(p.Dur, 10) + "</data></edge>\n")
	}
	bw.WriteString("</graph>\n</graphml>\n")
	return bw.Flush()
}

// WriteGEXF writes GEXF 1.3 for Gephi, edge weight = contact count.
func (g *Graph) WriteGEXF(w io.Writer, labels []string, community []int32) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header)
	bw.WriteString(`<gexf xmlns="http://gexf.net/1.3" version="1.3">` + "\n")
	bw.WriteString(`<graph defaultedgetype="undirected">` + "\n")
	bw.WriteString(`<attributes class="node"><attribute id="0" title="community" type="integer"/></attributes>` + "\n")
	bw.WriteString(`<attributes class="edge"><attribute id="0" title="duration_s" type="long"/></attributes>` + "\n")
	bw.WriteString("<nodes>\n")
	for u := range g.Len() {
		bw.WriteString(`<node id="` + strconv.Itoa(u) + `" label="`)
		xml.EscapeText(bw, []byte(labels[u]))
		bw.WriteString(`">`)
		if community != nil {
			bw.WriteString(`<attvalues><attvalue for="0" value="` + strconv.Itoa(int(community[u])) + `"/></attvalues>`)
		}
		bw.WriteString("</node>\n")
	}
	bw.WriteString("</nodes>\n<edges>\n")
	for i, p := range g.Pairs {
		bw.WriteString(`<edge id="` + strconv.Itoa(i) + `" source="` + strconv.Itoa(int(p.A)) + `" target="` + strconv.Itoa(int(p.B)) +
			`" weight="` + strconv.Itoa(p.Count()) + `"><attvalues><attvalue for="0" value="` + strconv.FormatInt(p.Dur, 10) + "\"/></attvalues></edge>\n")
	}
	bw.WriteString("</edges>\n</graph>\n</gexf>\n")
	return bw.Flush()
}
