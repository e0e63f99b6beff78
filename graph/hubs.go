package graph

import "slices"

// HubRule decides which numbers are hubs: voicemail, call centres,
// switchboards, whose contacts say nothing about the people calling them.
// A node is a hub when its degree is at least MinDegree and at least Factor
// times the Quantile-th quantile of all degrees. The relative test adapts to
// the size of the data; the absolute floor keeps a small graph's busiest
// person from being called a hub.
type HubRule struct {
	MinDegree int     // absolute floor; 0 means 50
	Quantile  float64 // 0 means 0.99
	Factor    float64 // 0 means 3
}

// DefaultHubs is the rule used when none is given.
var DefaultHubs = HubRule{MinDegree: 50, Quantile: 0.99, Factor: 3}

// Hubs flags the nodes that are hubs under r.
func (g *Graph) Hubs(r HubRule) []bool {
	if r.MinDegree == 0 {
		r.MinDegree = DefaultHubs.MinDegree
	}
	if r.Quantile == 0 {
		r.Quantile = DefaultHubs.Quantile
	}
	if r.Factor == 0 {
		r.Factor = DefaultHubs.Factor
	}
	n := g.Len()
	hub := make([]bool, n)
	if n == 0 {
		return hub
	}
	deg := make([]int, n)
	for u := range n {
		deg[u] = g.Degree(uint32(u))
	}
	sorted := slices.Sorted(slices.Values(deg))
	q := sorted[min(n-1, int(r.Quantile*float64(n)))]
	limit := max(float64(r.MinDegree), r.Factor*float64(q))
	for u, d := range deg {
		hub[u] = float64(d) >= limit
	}
	return hub
}
