package graph

import (
	"math"
	"slices"
	"strconv"
	"testing"
)

// small builds a graph from (caller, callee) pairs at increasing times.
func small(t *testing.T, calls [][2]string) (*Graph, []Event) {
	t.Helper()
	b := NewBuilder(len(calls))
	for i, c := range calls {
		b.Add(c[0], c[1], int64(1000+i*60), 30)
	}
	return b.Build(), b.Events()
}

func id(t *testing.T, g *Graph, name string) uint32 {
	t.Helper()
	u, ok := g.ID(name)
	if !ok {
		t.Fatalf("ID(%q) not found", name)
	}
	return u
}

func TestBuildPairs(t *testing.T) {
	g, _ := small(t, [][2]string{{"a", "b"}, {"b", "a"}, {"a", "b"}, {"a", "c"}, {"c", "c"}, {"d", "a"}})
	if g.Len() != 4 || g.Edges() != 3 {
		t.Fatalf("Len, Edges = %d, %d, want 4, 3", g.Len(), g.Edges())
	}
	s := g.Summarize("a", "b")
	if s.Count != 3 || s.FromA != 2 || s.ToA != 1 || s.Duration != 90 || s.First.Unix() != 1000 || s.Last.Unix() != 1120 {
		t.Errorf("Summarize(a, b) = %+v, want 3 contacts, 2 from a, 90 s, 1000..1120", s)
	}
	if d := s.Direction(); d != "both" {
		t.Errorf("Direction() = %q, want both", d)
	}
	if s := g.Summarize("b", "a"); s.FromA != 1 || s.ToA != 2 {
		t.Errorf("Summarize(b, a) = %+v, want 1 from b, 2 to b", s)
	}
	if s := g.Summarize("b", "c"); s.Count != 0 {
		t.Errorf("Summarize(b, c).Count = %d, want 0", s.Count)
	}
	a := id(t, g, "a")
	if got := g.Neighbors(a); !slices.IsSorted(got) || len(got) != 3 {
		t.Errorf("Neighbors(a) = %v, want 3 sorted", got)
	}
	m := g.Matrix([]string{"a", "b", "d"})
	want := [][]int{{0, 2, 0}, {1, 0, 0}, {1, 0, 0}}
	for i := range want {
		if !slices.Equal(m[i], want[i]) {
			t.Errorf("Matrix row %d = %v, want %v", i, m[i], want[i])
		}
	}
}

func TestCommonContacts(t *testing.T) {
	g, _ := small(t, [][2]string{{"t1", "x"}, {"t2", "x"}, {"t3", "x"}, {"t1", "y"}, {"t2", "y"}, {"t1", "z"}, {"t1", "t2"}})
	got := g.CommonContacts([]uint32{id(t, g, "t1"), id(t, g, "t2"), id(t, g, "t3")}, 2)
	var names []string
	for _, c := range got {
		names = append(names, g.Name(c.ID))
	}
	if !slices.Equal(names, []string{"x", "y"}) || got[0].Targets != 3 {
		t.Errorf("CommonContacts = %v (%+v), want [x y] with x shared by 3", names, got)
	}
}

func TestExpandSuppressesHubs(t *testing.T) {
	calls := [][2]string{{"t", "a"}, {"a", "b"}, {"b", "c"}, {"t", "vm"}}
	for i := range 60 {
		calls = append(calls, [2]string{string(rune('A'+i%26)) + string(rune('0'+i/26)), "vm"})
	}
	g, _ := small(t, calls)
	hub := g.Hubs(HubRule{MinDegree: 10, Quantile: 0.9})
	if !hub[id(t, g, "vm")] || hub[id(t, g, "t")] {
		t.Fatalf("Hubs: vm %v, t %v, want true, false", hub[id(t, g, "vm")], hub[id(t, g, "t")])
	}
	x := NewExpander(g, hub)
	got := x.Expand(nil, []uint32{id(t, g, "t")}, 2)
	var names []string
	for _, r := range got {
		names = append(names, g.Name(r.ID))
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a", "b", "t", "vm"}) {
		t.Errorf("Expand(t, 2) = %v, want [a b t vm]", names)
	}
	// Without hub suppression the 60 voicemail callers come in.
	if n := len(NewExpander(g, nil).Expand(nil, []uint32{id(t, g, "t")}, 2)); n != 64 {
		t.Errorf("Expand(t, 2) without hubs reached %d, want 64", n)
	}
	if p := x.Path(id(t, g, "t"), id(t, g, "c")); len(p) != 4 {
		t.Errorf("Path(t, c) = %v, want 4 nodes", p)
	}
	if p := x.Path(id(t, g, "t"), id(t, g, "A0")); p != nil {
		t.Errorf("Path(t, A0) = %v, want none (only through the hub)", p)
	}
}

func TestPseudonymize(t *testing.T) {
	k1, k2 := []byte("key one"), []byte("key two")
	a := Pseudonymize(k1, "+32470000001")
	tests := []struct {
		name string
		got  string
		same bool
	}{
		{"same key and id", Pseudonymize(k1, "+32470000001"), true},
		{"other id", Pseudonymize(k1, "+32470000002"), false},
		{"other key", Pseudonymize(k2, "+32470000001"), false},
	}
	for _, tt := range tests {
		if (tt.got == a) != tt.same {
			t.Errorf("%s: Pseudonymize = %q vs %q, want same %v", tt.name, tt.got, a, tt.same)
		}
	}
	if len(a) != 19 || a[:3] != "ps-" {
		t.Errorf("Pseudonymize = %q, want ps- and 16 base32 characters", a)
	}
}

func TestScope(t *testing.T) {
	g, ev := small(t, [][2]string{{"t", "a"}, {"a", "b"}, {"t", "c"}, {"c", "a"}, {"b", "d"}})
	in := g.Scope([]uint32{id(t, g, "t")})
	sub, subEv, old := g.Subgraph(ev, in)
	if sub.Len() != 3 || sub.Edges() != 3 || len(subEv) != 3 || len(old) != 3 {
		t.Errorf("Subgraph(scope t) = %d nodes, %d edges, %d events, want 3, 3, 3", sub.Len(), sub.Edges(), len(subEv))
	}
	if _, ok := sub.ID("b"); ok {
		t.Errorf("Subgraph(scope t) holds b, two hops out")
	}
	lab := sub.Labels([]byte("k"), []bool{true, false, false})
	if lab[0] != "t" || lab[1] == "a" || lab[1] != Pseudonymize([]byte("k"), "a") {
		t.Errorf("Labels = %v, want t revealed and the rest pseudonymous", lab)
	}
}

func TestEigenvector(t *testing.T) {
	build := func(edges [][3]int) *Graph {
		b := NewBuilder(0)
		for _, e := range edges {
			for range e[2] {
				b.Add(strconv.Itoa(e[0]), strconv.Itoa(e[1]), 1_770_000_000, 0)
			}
		}
		return b.Build()
	}
	for _, tc := range []struct {
		name     string
		edges    [][3]int // a, b, contacts
		weighted bool
		want     map[string]float64
	}{
		// A star K1,4: the centre is √4 = 2 times each leaf (eigenvalue 2).
		{"star", [][3]int{{0, 1, 1}, {0, 2, 1}, {0, 3, 1}, {0, 4, 1}}, false,
			map[string]float64{"0": 1, "1": 0.5, "2": 0.5, "3": 0.5, "4": 0.5}},
		// A path of three: [1, √2, 1] (eigenvalue √2).
		{"path", [][3]int{{0, 1, 1}, {1, 2, 1}}, false,
			map[string]float64{"0": 1 / math.Sqrt2, "1": 1, "2": 1 / math.Sqrt2}},
		// The same path weighted 1 and 3: [1, √10, 3] (eigenvalue √10).
		{"weighted path", [][3]int{{0, 1, 1}, {1, 2, 3}}, true,
			map[string]float64{"0": 1 / math.Sqrt(10), "1": 1, "2": 3 / math.Sqrt(10)}},
		// Unweighted, the weights do not count.
		{"unweighted path", [][3]int{{0, 1, 1}, {1, 2, 3}}, false,
			map[string]float64{"0": 1 / math.Sqrt2, "1": 1, "2": 1 / math.Sqrt2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := build(tc.edges)
			got := g.Eigenvector(tc.weighted)
			for name, want := range tc.want {
				u, _ := g.ID(name)
				if math.Abs(got[u]-want) > 1e-8 {
					t.Errorf("Eigenvector(%v)[%s] = %.10f, want %.10f", tc.weighted, name, got[u], want)
				}
			}
		})
	}
}
