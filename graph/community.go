package graph

import (
	"math/rand/v2"
	"slices"
)

// CommunityOptions tune community detection.
type CommunityOptions struct {
	Resolution float64 // γ in the modularity; 0 means 1
	Weighted   bool    // weight edges by contact counts; otherwise 1 each
	Seed       uint64  // the node visiting order is shuffled with it
}

// wgraph is one level of the Louvain hierarchy: a weighted undirected
// graph in CSR form with a self-loop weight per node.
type wgraph struct {
	off  []int
	nbr  []int32
	w    []float64
	self []float64
}

func (g *Graph) wgraph(weighted bool) *wgraph {
	n := g.Len()
	wg := &wgraph{off: make([]int, n+1), nbr: make([]int32, len(g.Nbr)), w: make([]float64, len(g.Nbr)), self: make([]float64, n)}
	for u := range n {
		wg.off[u+1] = int(g.Off[u+1])
	}
	for i, v := range g.Nbr {
		wg.nbr[i] = int32(v)
		wg.w[i] = 1
		if weighted {
			wg.w[i] = float64(g.Pairs[g.PairOf[i]].Count())
		}
	}
	return wg
}

func (wg *wgraph) len() int { return len(wg.self) }

// strength is k_i: the weights at i, a self-loop counted twice.
func (wg *wgraph) strength() []float64 {
	k := make([]float64, wg.len())
	for i := range k {
		k[i] = 2 * wg.self[i]
		for _, w := range wg.w[wg.off[i]:wg.off[i+1]] {
			k[i] += w
		}
	}
	return k
}

// Communities partitions the graph by maximising modularity: Louvain's
// local moving and aggregation, with a refinement step before each
// aggregation that splits every community into its connected parts, so no
// community is ever disconnected (the defect Leiden fixes in Louvain). It
// returns a label per node, numbered densely from zero.
func (g *Graph) Communities(o CommunityOptions) []int32 {
	if o.Resolution == 0 {
		o.Resolution = 1
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x6c6f7576))
	wg := g.wgraph(o.Weighted)
	label := make([]int32, g.Len())
	for i := range label {
		label[i] = int32(i)
	}
	top := wg
	for {
		comm, moved := wg.localMove(o.Resolution, r, nil)
		comm, nc := wg.split(comm)
		for i, c := range label {
			label[i] = comm[c]
		}
		if !moved || nc == wg.len() {
			break
		}
		wg = wg.aggregate(comm, nc)
	}
	// Fine-tune: nodes of the original graph may now fit better in a
	// neighbouring community than the one their aggregate landed in.
	if comm, moved := top.localMove(o.Resolution, r, label); moved {
		label, _ = top.split(comm)
	}
	return label
}

// localMove moves nodes one at a time to the neighbouring community with
// the best modularity gain until a pass moves nobody.
// With init it starts from that partition (labels below n).
func (wg *wgraph) localMove(gamma float64, r *rand.Rand, init []int32) ([]int32, bool) {
	n := wg.len()
	k := wg.strength()
	var m2 float64
	for _, x := range k {
		m2 += x
	}
	comm := make([]int32, n)
	tot := make([]float64, n)
	for i := range comm {
		comm[i] = int32(i)
		if init != nil {
			comm[i] = init[i]
		}
		tot[comm[i]] += k[i]
	}
	if m2 == 0 {
		return comm, false
	}
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	r.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	nw := make([]float64, n)
	seen := make([]bool, n)
	var touched []int32
	movedAny := false
	for pass := 0; pass < 100; pass++ {
		moved := 0
		for _, i := range order {
			ci := comm[i]
			touched = touched[:0]
			for e := wg.off[i]; e < wg.off[i+1]; e++ {
				j := wg.nbr[e]
				if j == i {
					continue
				}
				c := comm[j]
				if !seen[c] {
					seen[c] = true
					touched = append(touched, c)
				}
				nw[c] += wg.w[e]
			}
			tot[ci] -= k[i]
			best, bestGain := ci, nw[ci]-gamma*k[i]*tot[ci]/m2
			for _, c := range touched {
				if gain := nw[c] - gamma*k[i]*tot[c]/m2; gain > bestGain+1e-12 {
					best, bestGain = c, gain
				}
			}
			tot[best] += k[i]
			if best != ci {
				comm[i] = best
				moved++
			}
			for _, c := range touched {
				nw[c], seen[c] = 0, false
			}
		}
		if moved == 0 {
			break
		}
		movedAny = true
	}
	return comm, movedAny
}

// split is the refinement: it relabels comm so each community's connected
// parts become communities of their own, numbered densely, and returns the
// count.
func (wg *wgraph) split(comm []int32) ([]int32, int) {
	n := wg.len()
	out := make([]int32, n)
	for i := range out {
		out[i] = -1
	}
	nc := 0
	var queue []int32
	for s := range n {
		if out[s] >= 0 {
			continue
		}
		c := int32(nc)
		nc++
		out[s] = c
		queue = append(queue[:0], int32(s))
		for q := 0; q < len(queue); q++ {
			u := queue[q]
			for e := wg.off[u]; e < wg.off[u+1]; e++ {
				v := wg.nbr[e]
				if out[v] < 0 && comm[v] == comm[u] {
					out[v] = c
					queue = append(queue, v)
				}
			}
		}
	}
	return out, nc
}

// aggregate collapses each community into one node.
func (wg *wgraph) aggregate(comm []int32, nc int) *wgraph {
	members := make([]int, nc+1)
	for _, c := range comm {
		members[c+1]++
	}
	for c := range nc {
		members[c+1] += members[c]
	}
	byComm := make([]int32, wg.len())
	fill := slices.Clone(members[:nc])
	for i, c := range comm {
		byComm[fill[c]] = int32(i)
		fill[c]++
	}
	out := &wgraph{off: make([]int, nc+1), self: make([]float64, nc)}
	acc := make([]float64, nc)
	seen := make([]bool, nc)
	var touched []int32
	for c := range nc {
		touched = touched[:0]
		for _, i := range byComm[members[c]:members[c+1]] {
			out.self[c] += wg.self[i]
			for e := wg.off[i]; e < wg.off[i+1]; e++ {
				d := comm[wg.nbr[e]]
				if int(d) == c {
					out.self[c] += wg.w[e] / 2 // each internal edge is seen from both ends
					continue
				}
				if !seen[d] {
					seen[d] = true
					touched = append(touched, d)
				}
				acc[d] += wg.w[e]
			}
		}
		slices.Sort(touched)
		for _, d := range touched {
			out.nbr = append(out.nbr, d)
			out.w = append(out.w, acc[d])
			acc[d], seen[d] = 0, false
		}
		out.off[c+1] = len(out.nbr)
	}
	return out
}

// Modularity is Newman's modularity of a partition of the graph, with
// resolution gamma (0 means 1), unweighted or weighted by contact counts.
func (g *Graph) Modularity(label []int32, weighted bool, gamma float64) float64 {
	if gamma == 0 {
		gamma = 1
	}
	wg := g.wgraph(weighted)
	k := wg.strength()
	var m2 float64
	for _, x := range k {
		m2 += x
	}
	if m2 == 0 {
		return 0
	}
	nc := 0
	for _, c := range label {
		nc = max(nc, int(c)+1)
	}
	in := make([]float64, nc)
	tot := make([]float64, nc)
	for i := range wg.len() {
		tot[label[i]] += k[i]
		for e := wg.off[i]; e < wg.off[i+1]; e++ {
			if label[wg.nbr[e]] == label[i] {
				in[label[i]] += wg.w[e]
			}
		}
	}
	var q float64
	for c := range nc {
		q += in[c]/m2 - gamma*(tot[c]/m2)*(tot[c]/m2)
	}
	return q
}
