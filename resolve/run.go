package resolve

import "time"

// cand is a candidate pair kept with its pattern while EM runs.
type cand struct {
	x, y int32
	code uint64
}

// training is what the scoring stage needs from training: when there were
// few enough candidates, they are kept with their patterns and not
// compared again.
type training struct {
	stored bool
	cands  [][]cand
	cmps   []*comparer // one per worker
}

// train estimates u from random pairs and m and the prior by EM on the
// candidates' patterns (a sample of blocks when there are more than
// TrainPairs).
func (r *Resolver) train() *training {
	d := r.d
	t := time.Now()
	u := estimateU(d, r.cmp, orDefault(r.spec.RandomPairs, 100_000), r.spec.Seed)
	r.stats.U = time.Since(t)

	t = time.Now()
	limit := int64(orDefault(r.spec.TrainPairs, 2_000_000))
	tr := &training{stored: r.stats.BlockPairs <= limit}
	rate := 1.0
	var keep func(uint64) bool
	if !tr.stored {
		rate = float64(limit) / float64(r.stats.BlockPairs)
		keep = func(h uint64) bool { return float64(h*0x9E3779B97F4A7C15>>11)/(1<<53) < rate }
	}
	workers := runtimeWorkers()
	pats := make([]map[uint64]float64, workers)
	tr.cands, tr.cmps = make([][]cand, workers), make([]*comparer, workers)
	for w := range workers {
		pats[w], tr.cmps[w] = map[uint64]float64{}, newComparer(d)
	}
	d.forPairs(r.ix, keep, func(w int, x, y int32) {
		code := tr.cmps[w].compare(x, y)
		pats[w][code]++
		if tr.stored {
			tr.cands[w] = append(tr.cands[w], cand{x, y, code})
		}
	})
	patterns := pats[0]
	for _, p := range pats[1:] {
		for k, v := range p {
			patterns[k] += v
		}
	}
	var seen float64
	for _, v := range patterns {
		seen += v
	}
	r.stats.TrainPairs, r.stats.Patterns = int64(seen), len(patterns)
	if tr.stored {
		r.stats.CandidatePairs = int64(seen)
	}
	// EM's non-match classes describe candidates only; scoring uses u from
	// random pairs and the prior over all pairs, which measured better
	// calibrated (docs/resolve.md)
	m, lc, iters := em(r.cmp, patterns, u, emClasses)
	lambda := lc * (seen / rate) / totalPairs(d)
	lambda = min(max(lambda, 1e-15), 0.5)
	r.model = newModel(&r.spec, m, u, lambda, lc, iters)
	r.stats.Train = time.Since(t)
	return tr
}

// scoreCandidates keeps the candidate pairs at or above KeepFrom, rescoring stored
// patterns or comparing every candidate again.
func (r *Resolver) scoreCandidates(tr *training) {
	t := time.Now()
	floor := r.spec.keepFrom()
	if tr.stored {
		for w, cs := range tr.cands {
			c := tr.cmps[w]
			for _, cd := range cs {
				c.decode(cd.code, c.levels)
				if lo := r.model.log2Odds(c, cd.x); probability(lo) >= floor {
					r.edges = append(r.edges, edge{x: cd.x, y: cd.y, lo: lo})
				}
			}
			tr.cands[w] = nil
		}
	} else {
		workers := len(tr.cmps)
		kept := make([][]edge, workers)
		counts := make([]int64, workers)
		r.d.forPairs(r.ix, nil, func(w int, x, y int32) {
			c := tr.cmps[w]
			c.compare(x, y)
			counts[w]++
			if lo := r.model.log2Odds(c, x); probability(lo) >= floor {
				kept[w] = append(kept[w], edge{x: x, y: y, lo: lo})
			}
		})
		for w := range workers {
			r.stats.CandidatePairs += counts[w]
			r.edges = append(r.edges, kept[w]...)
		}
	}
	r.stats.Kept = len(r.edges)
	r.stats.Score = time.Since(t)
}

// totalPairs is the number of pairs the spec allows among all records.
func totalPairs(d *data) float64 {
	n := float64(d.n())
	if !d.spec.Link {
		return n * (n - 1) / 2
	}
	per := make([]float64, len(d.datasets))
	for _, ds := range d.dataset {
		per[ds]++
	}
	var same float64
	for _, k := range per {
		same += k * (k - 1) / 2
	}
	return n*(n-1)/2 - same
}
