package graph

import (
	"math"
	"runtime"
	"sync"
)

// PageRankOptions tune PageRank.
type PageRankOptions struct {
	Damping  float64 // 0 means 0.85
	Tol      float64 // stop when the L1 change is below it; 0 means 1e-9
	MaxIter  int     // 0 means 200
	Directed bool    // follow contacts from caller to callee only
	Weighted bool    // weight edges by their contact counts
}

// PageRank returns each node's PageRank, summing to one. A node with no
// outgoing edge spreads its rank over every node, as gonum and networkx do.
// The iteration pulls rank along in-edges laid out once as their own CSR,
// and splits the nodes over the available cores.
func (g *Graph) PageRank(o PageRankOptions) []float64 {
	if o.Damping == 0 {
		o.Damping = 0.85
	}
	if o.Tol == 0 {
		o.Tol = 1e-9
	}
	if o.MaxIter == 0 {
		o.MaxIter = 200
	}
	n := g.Len()
	if n == 0 {
		return nil
	}
	// In-edges of v: the neighbours u with an edge u->v, weight w(u,v).
	inOff := make([]uint32, n+1)
	inSrc := make([]uint32, 0, len(g.Nbr))
	var inW []float32
	if o.Weighted {
		inW = make([]float32, 0, len(g.Nbr))
	}
	outW := make([]float64, n)
	for v := range n {
		for i := g.Off[v]; i < g.Off[v+1]; i++ {
			u := g.Nbr[i]
			p := &g.Pairs[g.PairOf[i]]
			w := float64(p.Count())
			if o.Directed {
				w = float64(p.BA) // from B to A
				if p.A == u {
					w = float64(p.AB)
				}
			}
			if w == 0 {
				continue
			}
			if !o.Weighted {
				w = 1
			} else {
				inW = append(inW, float32(w))
			}
			inSrc = append(inSrc, u)
			outW[u] += w
		}
		inOff[v+1] = uint32(len(inSrc))
	}
	rank := make([]float64, n)
	x := make([]float64, n) // rank[u] / outW[u]
	next := make([]float64, n)
	for i := range rank {
		rank[i] = 1 / float64(n)
	}
	d := o.Damping
	workers := min(runtime.GOMAXPROCS(0), max(1, len(inSrc)/200000))
	for range o.MaxIter {
		dangling := 0.0
		for u := range n {
			if outW[u] == 0 {
				dangling += rank[u]
				x[u] = 0
			} else {
				x[u] = rank[u] / outW[u]
			}
		}
		base := (1-d)/float64(n) + d*dangling/float64(n)
		diffs := make([]float64, workers)
		var wg sync.WaitGroup
		for w := range workers {
			lo, hi := n*w/workers, n*(w+1)/workers
			wg.Go(func() {
				var diff float64
				for v := lo; v < hi; v++ {
					var s float64
					if inW == nil {
						for _, u := range inSrc[inOff[v]:inOff[v+1]] {
							s += x[u]
						}
					} else {
						for i := inOff[v]; i < inOff[v+1]; i++ {
							s += x[inSrc[i]] * float64(inW[i])
						}
					}
					r := base + d*s
					diff += math.Abs(r - rank[v])
					next[v] = r
				}
				diffs[w] = diff
			})
		}
		wg.Wait()
		rank, next = next, rank
		var diff float64
		for _, v := range diffs {
			diff += v
		}
		if diff < o.Tol {
			break
		}
	}
	return rank
}
