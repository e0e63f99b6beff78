package resolve

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"testing"
)

// fixedResolver compiles recs and scores every pair with a fixed model
// (agreeing exactly is worth about 7.4 bits a field, disagreeing -5), so
// what context evidence does can be checked without EM.
func fixedResolver(t *testing.T, recs []Record) *Resolver {
	t.Helper()
	spec := Spec{
		Comparisons: []Comparison{
			{Field: "given", Kind: KindName},
			{Field: "family", Kind: KindName},
			{Field: "dob", Kind: KindDate},
			{Field: "address", Kind: KindName},
		},
		Blocks: []Block{{Name: "family", On: []string{"family"}}},
	}
	r, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	d := newData(&r.spec)
	for _, rec := range recs {
		if err := d.add(rec); err != nil {
			t.Fatal(err)
		}
	}
	r.d, r.cmp = d, newComparer(d)
	m, u := make([][]float64, len(r.cmp.nl)), make([][]float64, len(r.cmp.nl))
	for i, nl := range r.cmp.nl {
		m[i], u[i] = make([]float64, nl), make([]float64, nl)
		m[i][1], u[i][1] = 0.03, 0.97
		m[i][nl-1], u[i][nl-1] = 0.85, 0.005
		for l := 2; l < nl-1; l++ {
			m[i][l], u[i][l] = 0.12/float64(nl-3), 0.025/float64(nl-3)
		}
	}
	r.model = newModel(&r.spec, m, u, 0.01, 0.01, 0)
	for x := range int32(d.n()) {
		for y := x + 1; y < int32(d.n()); y++ {
			r.edges = append(r.edges, edge{x: x, y: y, lo: r.score(x, y)})
		}
	}
	r.links = newLinks(r.edges, r.spec.threshold())
	r.applyContext(r.edges)
	return r
}

func TestContextSeparatesNamesakes(t *testing.T) {
	// two men called Vlad Sandu: a1 and a2 (born 1961) live at one address,
	// b1 and b2 (born 1994) at another; a3 is the first one after a move
	recs := []Record{
		{ID: "a1", Fields: map[string]string{"given": "Vlad", "family": "Sandu", "address": "rue haute 10"}},
		{ID: "a2", Fields: map[string]string{"given": "Vlad", "family": "Sandu", "dob": "1961-03-02", "address": "rue haute 10"}},
		{ID: "b1", Fields: map[string]string{"given": "Vlad", "family": "Sandu", "dob": "1994-07-19", "address": "avenue louise 4"}},
		{ID: "b2", Fields: map[string]string{"given": "Vlad", "family": "Sandu", "dob": "1994-07-19", "address": "avenue louise 4"}},
		{ID: "a3", Fields: map[string]string{"given": "Vlad", "family": "Sandu", "dob": "1961-03-02", "address": "boulevard anspach 7"}},
	}
	r := fixedResolver(t, recs)
	tests := []struct {
		a, b    string
		context int  // -1 lowered, +1 raised, 0 untouched
		match   bool // whether it should end at or above 0.5
	}{
		{"a1", "b1", -1, false}, // a1's housemate record says 1961, b1 says 1994
		{"a1", "b2", -1, false}, //
		{"a1", "a3", +1, true},  // the move: a2 (1961) agrees with a3
		{"a1", "a2", 0, true},   // no neighbour surer than the pair itself
		{"b1", "b2", 0, true},   // nothing missing
		{"a2", "b1", 0, false},  // their own birth dates disagree: no context needed
	}
	for _, tt := range tests {
		w, err := r.Explain(tt.a, tt.b)
		if err != nil {
			t.Fatal(err)
		}
		var ctx float64
		for _, term := range w.Terms {
			ctx += term.Context
			if term.Context != 0 && (len(term.Via) != 2 || term.ContextLevel == "") {
				t.Errorf("Explain(%s, %s): %s has context %.2f without the records compared", tt.a, tt.b, term.Field, term.Context)
			}
		}
		if got := cmp.Compare(math.Round(ctx), 0); got != tt.context {
			t.Errorf("Explain(%s, %s): context %.2f bits, want sign %d\n%s", tt.a, tt.b, ctx, tt.context, w)
		}
		if got := w.Probability >= 0.5; got != tt.match {
			t.Errorf("Explain(%s, %s): p = %.3f, want match %v\n%s", tt.a, tt.b, w.Probability, tt.match, w)
		}
		for _, p := range r.Pairs() {
			if (p.A == tt.a && p.B == tt.b || p.A == tt.b && p.B == tt.a) && math.Abs(p.Log2Odds-w.Log2Odds) > 1e-9 {
				t.Errorf("Pairs() scores %s, %s at %.4f, Explain at %.4f; want equal", tt.a, tt.b, p.Log2Odds, w.Log2Odds)
			}
		}
	}
	w, _ := r.Explain("a1", "b1")
	if !strings.Contains(w.String(), "context") {
		t.Errorf("Explain(a1, b1).String() does not show the context:\n%s", w)
	}
}

// TestContextFollowsAdd checks an old pair's context evidence changes when
// Add brings a record that one of its records is firmly linked to.
func TestContextFollowsAdd(t *testing.T) {
	recs := []Record{
		{ID: "a1", Fields: map[string]string{"given": "Vlad", "family": "Sandu", "address": "rue haute 10"}},
		{ID: "b1", Fields: map[string]string{"given": "Vlad", "family": "Sandu", "dob": "1994-07-19", "address": "avenue louise 4"}},
	}
	r := fixedResolver(t, recs)
	r.ix = r.d.buildIndex()
	if err := r.recluster(); err != nil {
		t.Fatal(err)
	}
	before := r.Pairs()[0]
	if before.Probability < 0.5 {
		t.Fatalf("a1, b1 before Add: p = %.3f, want ≥ 0.5 (names agree, nothing else known)", before.Probability)
	}
	a2 := Record{ID: "a2", Fields: map[string]string{"given": "Vlad", "family": "Sandu", "dob": "1961-03-02", "address": "rue haute 10"}}
	if err := r.Add(slices.Values([]Record{a2})); err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Pairs() {
		if p.A != "a1" || p.B != "b1" {
			continue
		}
		w, _ := r.Explain("a1", "b1")
		if p.Probability >= 0.5 || math.Abs(p.Log2Odds-w.Log2Odds) > 1e-9 {
			t.Errorf("a1, b1 after Add: p = %.3f (Explain %.3f), want < 0.5 and equal\n%s", p.Probability, w.Probability, w)
		}
	}
	if r.Same("a1", "b1") || !r.Same("a1", "a2") {
		t.Errorf("entities after Add = %v, want a1 with a2 and apart from b1", r.Entities())
	}
}
