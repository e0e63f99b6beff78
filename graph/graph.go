package graph

import (
	"iter"
	"slices"

	"github.com/writhq/writ"
)

// Event is one contact between two numbers: the caller, the callee, when it
// started (Unix seconds) and how long it lasted (seconds; zero for an SMS or
// an unanswered call).
type Event struct {
	Caller, Callee uint32 // ids from Builder.ID
	At             int64
	Dur            int32
}

// Pair aggregates every contact between two parties A < B (by id).
type Pair struct {
	A, B        uint32
	AB, BA      uint32 // contacts from A to B and from B to A
	Dur         int64  // total seconds
	First, Last int64  // Unix seconds
}

// Count is the number of contacts in either direction.
func (p *Pair) Count() int { return int(p.AB) + int(p.BA) }

// Node holds per-number totals.
type Node struct {
	Out, In     uint32 // contacts made and received
	First, Last int64  // first and last contact, Unix seconds
}

// Graph is the undirected contact graph in CSR form: the neighbours of node
// u are Nbr[Off[u]:Off[u+1]], sorted, and PairOf gives the index into Pairs
// of each of those edges. It is immutable once built and safe for
// concurrent reads.
type Graph struct {
	names  []string
	Off    []uint32
	Nbr    []uint32
	PairOf []uint32
	Pairs  []Pair
	Nodes  []Node
	index  map[string]uint32
}

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.Nodes) }

// Edges is the number of distinct pairs in contact.
func (g *Graph) Edges() int { return len(g.Pairs) }

// Name is the number behind node id u.
func (g *Graph) Name(u uint32) string { return g.names[u] }

// ID is the node id of a number, if it is in the graph.
func (g *Graph) ID(name string) (uint32, bool) {
	u, ok := g.index[name]
	return u, ok
}

// Degree is the number of distinct parties u was in contact with.
func (g *Graph) Degree(u uint32) int { return int(g.Off[u+1] - g.Off[u]) }

// Neighbors are u's distinct contacts, sorted by id.
func (g *Graph) Neighbors(u uint32) []uint32 { return g.Nbr[g.Off[u]:g.Off[u+1]] }

// PairBetween returns the aggregate of u and v's contacts, or nil.
func (g *Graph) PairBetween(u, v uint32) *Pair {
	ns := g.Neighbors(u)
	i, ok := slices.BinarySearch(ns, v)
	if !ok {
		return nil
	}
	return &g.Pairs[g.PairOf[g.Off[u]+uint32(i)]]
}

// Builder collects events and interns numbers. The zero value is not
// usable; call NewBuilder.
type Builder struct {
	names  []string
	index  map[string]uint32
	events []Event
}

// NewBuilder returns a builder sized for about n events.
func NewBuilder(n int) *Builder {
	return &Builder{index: make(map[string]uint32), events: make([]Event, 0, n)}
}

// ID interns a number.
func (b *Builder) ID(name string) uint32 {
	if u, ok := b.index[name]; ok {
		return u
	}
	u := uint32(len(b.names))
	b.names = append(b.names, name)
	b.index[name] = u
	return u
}

// Add records one contact. Self-contacts are ignored.
func (b *Builder) Add(caller, callee string, at int64, dur int32) {
	b.AddEvent(Event{Caller: b.ID(caller), Callee: b.ID(callee), At: at, Dur: dur})
}

// AddEvent records one contact between interned ids.
func (b *Builder) AddEvent(e Event) {
	if e.Caller != e.Callee {
		b.events = append(b.events, e)
	}
}

// Events are the events added so far, in the order added.
func (b *Builder) Events() []Event { return b.events }

// FromContacts builds the graph of a sequence of contacts, with the events
// it was built from.
func FromContacts(cs iter.Seq[writ.Contact]) (*Graph, []Event) {
	b := NewBuilder(0)
	for c := range cs {
		b.Add(c.Caller, c.Callee, c.StartedAt.Unix(), int32(c.DurationSec))
	}
	return b.Build(), b.events
}

// Build aggregates the events into pairs and lays out the CSR arrays. The
// events are bucketed by their lower id with a counting sort, so the cost
// is linear apart from sorting each node's short bucket.
func (b *Builder) Build() *Graph {
	n := len(b.names)
	g := &Graph{names: slices.Clip(b.names), index: b.index, Nodes: make([]Node, n)}
	// Bucket events by lower endpoint.
	start := make([]uint32, n+1)
	for i := range b.events {
		e := &b.events[i]
		start[min(e.Caller, e.Callee)+1]++
		nd := &g.Nodes[e.Caller]
		nd.Out++
		touch(nd, e.At)
		nd = &g.Nodes[e.Callee]
		nd.In++
		touch(nd, e.At)
	}
	for u := range n {
		start[u+1] += start[u]
	}
	order := make([]uint64, len(b.events)) // hi<<32 | event index
	fill := slices.Clone(start[:n])
	for i := range b.events {
		e := &b.events[i]
		lo, hi := min(e.Caller, e.Callee), max(e.Caller, e.Callee)
		order[fill[lo]] = uint64(hi)<<32 | uint64(i)
		fill[lo]++
	}
	fill = nil
	deg := make([]uint32, n+1)
	for lo := range n {
		bucket := order[start[lo]:start[lo+1]]
		slices.Sort(bucket)
		for j := 0; j < len(bucket); {
			hi := uint32(bucket[j] >> 32)
			p := Pair{A: uint32(lo), B: hi, First: 1<<63 - 1, Last: -1 << 63}
			for ; j < len(bucket) && uint32(bucket[j]>>32) == hi; j++ {
				e := &b.events[uint32(bucket[j])]
				if e.Caller == p.A {
					p.AB++
				} else {
					p.BA++
				}
				p.Dur += int64(e.Dur)
				p.First = min(p.First, e.At)
				p.Last = max(p.Last, e.At)
			}
			g.Pairs = append(g.Pairs, p)
			deg[lo+1]++
			deg[hi+1]++
		}
	}
	order = nil
	for u := range n {
		deg[u+1] += deg[u]
	}
	g.Off = deg
	g.Nbr = make([]uint32, deg[n])
	g.PairOf = make([]uint32, deg[n])
	pos := slices.Clone(deg[:n])
	// Pairs are sorted by (A, B), so filling in pair order leaves every
	// node's neighbour list sorted.
	for i := range g.Pairs {
		p := &g.Pairs[i]
		g.Nbr[pos[p.A]], g.PairOf[pos[p.A]] = p.B, uint32(i)
		pos[p.A]++
		g.Nbr[pos[p.B]], g.PairOf[pos[p.B]] = p.A, uint32(i)
		pos[p.B]++
	}
	return g
}

func touch(nd *Node, at int64) {
	if nd.Out+nd.In == 1 {
		nd.First, nd.Last = at, at
		return
	}
	nd.First = min(nd.First, at)
	nd.Last = max(nd.Last, at)
}
