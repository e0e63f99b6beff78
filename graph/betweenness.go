package graph

import "math/rand/v2"

// Betweenness estimates each node's betweenness centrality (unweighted,
// undirected; each unordered pair counted once, as gonum does) with Brandes'
// algorithm from samples random sources, scaled by n/samples. With samples
// of zero or at least the node count it is exact. Hubs, when given, are
// neither sources nor passed through, so a voicemail number does not look
// like a broker.
func (g *Graph) Betweenness(samples int, seed uint64, hub []bool) []float64 {
	n := g.Len()
	bc := make([]float64, n)
	sources := make([]uint32, 0, n)
	for u := range n {
		if hub == nil || !hub[u] {
			sources = append(sources, uint32(u))
		}
	}
	scale := 0.5
	if samples > 0 && samples < len(sources) {
		r := rand.New(rand.NewPCG(seed, 0x6265747765656e))
		r.Shuffle(len(sources), func(i, j int) { sources[i], sources[j] = sources[j], sources[i] })
		scale *= float64(len(sources)) / float64(samples)
		sources = sources[:samples]
	}
	dist := make([]int32, n)
	sigma := make([]float64, n)
	delta := make([]float64, n)
	for i := range dist {
		dist[i] = -1
	}
	order := make([]uint32, 0, n)
	for _, s := range sources {
		order = order[:0]
		dist[s], sigma[s] = 0, 1
		order = append(order, s)
		for i := 0; i < len(order); i++ {
			u := order[i]
			if u != s && hub != nil && hub[u] {
				continue
			}
			for _, v := range g.Neighbors(u) {
				if dist[v] < 0 {
					dist[v] = dist[u] + 1
					order = append(order, v)
				}
				if dist[v] == dist[u]+1 {
					sigma[v] += sigma[u]
				}
			}
		}
		// Accumulate dependencies in reverse BFS order over predecessors,
		// found again as neighbours one level closer.
		for i := len(order) - 1; i > 0; i-- {
			w := order[i]
			for _, v := range g.Neighbors(w) {
				if dist[v] == dist[w]-1 && (hub == nil || !hub[v]) {
					delta[v] += sigma[v] / sigma[w] * (1 + delta[w])
				}
			}
			bc[w] += delta[w]
		}
		for _, u := range order {
			dist[u], sigma[u], delta[u] = -1, 0, 0
		}
	}
	for u := range bc {
		bc[u] *= scale
	}
	return bc
}
