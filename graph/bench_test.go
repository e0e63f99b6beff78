package graph

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/simple"
)

// synth makes events among nodes in groups of 50: 80% of contacts stay in
// the caller's group, so there are communities to find.
func synth(b *Builder, nodes, events int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	for range nodes {
		b.names = append(b.names, "") // ids only; names are not needed here
	}
	b.index = nil
	for range events {
		u := r.IntN(nodes)
		v := r.IntN(nodes)
		if r.IntN(5) != 0 {
			v = u/50*50 + r.IntN(50)
			if v >= nodes {
				v = u
			}
		}
		b.AddEvent(Event{Caller: uint32(u), Callee: uint32(v), At: 1_770_000_000 + int64(r.IntN(30*86400)), Dur: int32(r.IntN(300))})
	}
}

var benchGraph = sync.OnceValue(func() *Graph {
	b := NewBuilder(1_300_000)
	synth(b, 200_000, 1_300_000, 1)
	return b.Build()
})

func graphBytes(g *Graph) int {
	return len(g.Off)*4 + len(g.Nbr)*4 + len(g.PairOf)*4 + len(g.Pairs)*int(unsafe.Sizeof(Pair{})) + len(g.Nodes)*int(unsafe.Sizeof(Node{}))
}

func BenchmarkBuild10M(b *testing.B) {
	bd := NewBuilder(10_000_000)
	synth(bd, 1_000_000, 10_000_000, 2)
	b.ReportAllocs()
	b.ResetTimer()
	var g *Graph
	for b.Loop() {
		g = bd.Build()
	}
	b.ReportMetric(float64(g.Edges()), "edges")
	b.ReportMetric(float64(graphBytes(g))/float64(g.Edges()), "B/edge")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10e6, "ns/event")
}

func BenchmarkExpand2Hop(b *testing.B) {
	g := benchGraph()
	x := NewExpander(g, g.Hubs(DefaultHubs))
	r := rand.New(rand.NewPCG(3, 3))
	var dst []Reached
	var lat []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		dst = x.Expand(dst[:0], []uint32{uint32(r.IntN(g.Len()))}, 2)
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(dst)), "reached")
}

func BenchmarkPageRank1M(b *testing.B) {
	g := benchGraph()
	b.ReportMetric(float64(g.Edges()), "edges")
	b.ReportAllocs()
	c0, ok := cpuTime()
	for b.Loop() {
		g.PageRank(PageRankOptions{Tol: 1e-6})
	}
	if c1, _ := cpuTime(); ok {
		b.ReportMetric(float64((c1-c0).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	}
}

func BenchmarkCommunities1M(b *testing.B) {
	g := benchGraph()
	var q float64
	b.ReportAllocs()
	for b.Loop() {
		q = g.Modularity(g.Communities(CommunityOptions{Seed: 1}), false, 1)
	}
	b.ReportMetric(float64(g.Edges()), "edges")
	b.ReportMetric(q, "modularity")
}

// BenchmarkGonumLouvain1M is the comparison: gonum's Louvain on the same
// graph. It is slow; run it with -benchtime 1x.
func BenchmarkGonumLouvain1M(b *testing.B) {
	g := benchGraph()
	_, u := gonumGraphs(g)
	var q float64
	b.ReportAllocs()
	for b.Loop() {
		red := community.Modularize(u, 1, rand.New(rand.NewPCG(1, 1)))
		q = community.Q(red, nil, 1)
	}
	b.ReportMetric(q, "modularity")
	_ = simple.Node(0)
}
