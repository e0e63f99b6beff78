package graph

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/network"
	"gonum.org/v1/gonum/graph/path"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"
)

// Oracle tests: the real CollegeMsg network, checked against gonum.

var dataDir = filepath.Join("..", "..", "shared", "data")

// collegeMsg reads CollegeMsg.txt (src dst unix_ts) into a graph.
func collegeMsg(t testing.TB) *Graph {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, "collegemsg", "CollegeMsg.txt"))
	if os.IsNotExist(err) {
		t.Skip("CollegeMsg not found at ../shared/data/collegemsg; skipping the oracle tests")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := NewBuilder(60000)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 {
			continue
		}
		ts, err := strconv.ParseInt(fs[2], 10, 64)
		if err != nil {
			t.Fatalf("CollegeMsg line %q: %v", sc.Text(), err)
		}
		b.Add(fs[0], fs[1], ts, 0)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return b.Build()
}

// gonumGraphs returns g as gonum's directed and undirected simple graphs,
// with node ids equal to ours.
func gonumGraphs(g *Graph) (*simple.DirectedGraph, *simple.UndirectedGraph) {
	d, u := simple.NewDirectedGraph(), simple.NewUndirectedGraph()
	for i := range g.Len() {
		d.AddNode(simple.Node(i))
		u.AddNode(simple.Node(i))
	}
	for _, p := range g.Pairs {
		a, b := simple.Node(p.A), simple.Node(p.B)
		u.SetEdge(u.NewEdge(a, b))
		if p.AB > 0 {
			d.SetEdge(d.NewEdge(a, b))
		}
		if p.BA > 0 {
			d.SetEdge(d.NewEdge(b, a))
		}
	}
	return d, u
}

func TestOraclePageRank(t *testing.T) {
	g := collegeMsg(t)
	for _, tc := range []struct {
		name string
		o    PageRankOptions
	}{
		{"directed", PageRankOptions{Directed: true}},
		{"undirected", PageRankOptions{}},
		{"directed weighted", PageRankOptions{Directed: true, Weighted: true}},
		{"undirected weighted", PageRankOptions{Weighted: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := network.PageRankSparse(gonumPageRankGraph(g, tc.o), 0.85, 1e-12)
			tc.o.Tol = 1e-12
			got := g.PageRank(tc.o)
			var sum float64
			for _, v := range want {
				sum += v
			}
			var worst float64
			for u, r := range got {
				w := want[int64(u)] / sum
				worst = max(worst, math.Abs(r-w)/w)
			}
			if worst > 1e-6 {
				t.Errorf("PageRank(%+v): largest relative difference from gonum = %g, want <= 1e-6", tc.o, worst)
			}
		})
	}
}

// gonumPageRankGraph is g as the directed graph PageRank walks: each pair
// one edge each way it was used (both ways when undirected), weighted by
// its contacts when o.Weighted.
func gonumPageRankGraph(g *Graph, o PageRankOptions) *simple.WeightedDirectedGraph {
	d := simple.NewWeightedDirectedGraph(0, 0)
	for i := range g.Len() {
		d.AddNode(simple.Node(i))
	}
	for _, p := range g.Pairs {
		a, b := simple.Node(p.A), simple.Node(p.B)
		ab, ba := float64(p.AB), float64(p.BA)
		if !o.Directed {
			ab, ba = ab+ba, ab+ba
		}
		if !o.Weighted {
			ab, ba = min(ab, 1), min(ba, 1)
		}
		if ab > 0 {
			d.SetWeightedEdge(d.NewWeightedEdge(a, b, ab))
		}
		if ba > 0 {
			d.SetWeightedEdge(d.NewWeightedEdge(b, a, ba))
		}
	}
	return d
}

func TestOracleComponents(t *testing.T) {
	g := collegeMsg(t)
	_, u := gonumGraphs(g)
	label, n := g.Components()
	cc := topo.ConnectedComponents(u)
	if n != len(cc) {
		t.Fatalf("Components() = %d, want %d (gonum)", n, len(cc))
	}
	for _, c := range cc {
		l := label[c[0].ID()]
		for _, v := range c {
			if label[v.ID()] != l {
				t.Fatalf("Components: node %d in %d, want %d with node %d", v.ID(), label[v.ID()], l, c[0].ID())
			}
		}
	}
}

func TestOracleShortestPaths(t *testing.T) {
	g := collegeMsg(t)
	_, u := gonumGraphs(g)
	x := NewExpander(g, nil)
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		a := r.IntN(g.Len())
		sp := path.DijkstraFrom(simple.Node(a), u)
		for range 50 {
			b := r.IntN(g.Len())
			want, _ := sp.To(int64(b))
			got := x.Path(uint32(a), uint32(b))
			if len(got) != len(want) {
				t.Fatalf("Path(%d, %d) has %d nodes, want %d (gonum)", a, b, len(got), len(want))
			}
			for i := 1; i < len(got); i++ {
				if g.PairBetween(got[i-1], got[i]) == nil {
					t.Fatalf("Path(%d, %d) = %v: no edge %d-%d", a, b, got, got[i-1], got[i])
				}
			}
		}
	}
}

func TestOracleBetweenness(t *testing.T) {
	g := collegeMsg(t)
	// Exact betweenness on the whole graph is slow in gonum; compare on
	// the subgraph around a few nodes.
	keep := g.Scope([]uint32{0, 1, 2, 3})
	sub, _, _ := g.Subgraph(nil, keep)
	_, u := gonumGraphs(sub)
	want := network.Betweenness(u)
	got := sub.Betweenness(0, 0, nil)
	for v, b := range got {
		if math.Abs(b-want[int64(v)]) > 1e-6*max(1, b) {
			t.Fatalf("Betweenness()[%d] = %g, want %g (gonum)", v, b, want[int64(v)])
		}
	}
}

func TestOracleModularity(t *testing.T) {
	g := collegeMsg(t)
	_, u := gonumGraphs(g)
	red := community.Modularize(u, 1, rand.New(rand.NewPCG(1, 1)))
	want := community.Q(red, nil, 1)
	label := g.Communities(CommunityOptions{Seed: 1})
	got := g.Modularity(label, false, 1)
	// Our modularity function agrees with gonum's on gonum's partition.
	gl := make([]int32, g.Len())
	for c, ns := range red.Communities() {
		for _, n := range ns {
			gl[n.ID()] = int32(c)
		}
	}
	if q := g.Modularity(gl, false, 1); math.Abs(q-want) > 1e-9 {
		t.Errorf("Modularity(gonum's partition) = %g, want %g", q, want)
	}
	if got < want {
		t.Errorf("Modularity(Communities) = %.4f, want at least gonum Louvain's %.4f", got, want)
	}
	t.Logf("modularity: ours %.4f, gonum Louvain %.4f", got, want)
}
