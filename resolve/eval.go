package resolve

import (
	"cmp"
	"math"
	"slices"
)

// Truth is the known entity of each record, for measuring a run.
type Truth struct {
	Entity  map[string]string // record id → true entity
	Dataset map[string]string // record id → dataset; with Link, only cross pairs count
	Link    bool
}

// Same reports whether a and b are truly one entity (and a pair the run may form).
func (t Truth) Same(a, b string) bool {
	ea, okA := t.Entity[a]
	eb, okB := t.Entity[b]
	if !okA || !okB || ea != eb {
		return false
	}
	return !t.Link || t.Dataset[a] != t.Dataset[b]
}

// Pairs returns every true pair, a and b in id order.
func (t Truth) Pairs() [][2]string {
	groups := map[string][]string{}
	for id, e := range t.Entity {
		groups[e] = append(groups[e], id)
	}
	var out [][2]string
	for _, g := range groups {
		slices.Sort(g)
		for i, a := range g {
			for _, b := range g[i+1:] {
				if t.Same(a, b) {
					out = append(out, [2]string{a, b})
				}
			}
		}
	}
	slices.SortFunc(out, func(x, y [2]string) int {
		return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1]))
	})
	return out
}

// Scores are pairwise precision, recall and F1 at a threshold.
type Scores struct {
	Threshold             float64
	TP, FP, FN            int
	Precision, Recall, F1 float64
}

func scores(t float64, tp, fp, positives int) Scores {
	s := Scores{Threshold: t, TP: tp, FP: fp, FN: positives - tp}
	if tp+fp > 0 {
		s.Precision = float64(tp) / float64(tp+fp)
	}
	if positives > 0 {
		s.Recall = float64(tp) / float64(positives)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}

// PairScores counts pairs at or above threshold as predicted matches; true
// pairs missing from pairs (never candidates) count as false negatives.
func PairScores(pairs []Pair, truth Truth, threshold float64) Scores {
	tp, fp := 0, 0
	for _, p := range pairs {
		if p.Probability < threshold {
			continue
		}
		if truth.Same(p.A, p.B) {
			tp++
		} else {
			fp++
		}
	}
	return scores(threshold, tp, fp, len(truth.Pairs()))
}

// BestScores sweeps every threshold and returns the one with the best F1.
func BestScores(pairs []Pair, truth Truth) Scores {
	ps := slices.Clone(pairs)
	slices.SortFunc(ps, func(a, b Pair) int { return cmp.Compare(b.Log2Odds, a.Log2Odds) })
	positives := len(truth.Pairs())
	var best Scores
	tp, fp := 0, 0
	for i, p := range ps {
		if truth.Same(p.A, p.B) {
			tp++
		} else {
			fp++
		}
		if i+1 < len(ps) && ps[i+1].Log2Odds == p.Log2Odds {
			continue
		}
		if s := scores(p.Probability, tp, fp, positives); s.F1 > best.F1 {
			best = s
		}
	}
	return best
}

// EntityScores are pairwise scores of the pairs entities imply: two records
// in one entity are a predicted match.
func EntityScores(es []Entity, truth Truth) Scores {
	tp, fp := 0, 0
	for _, e := range es {
		for i, a := range e.Records {
			for _, b := range e.Records[i+1:] {
				if truth.Link && truth.Dataset[a] == truth.Dataset[b] {
					continue
				}
				if truth.Same(a, b) {
					tp++
				} else {
					fp++
				}
			}
		}
	}
	return scores(0, tp, fp, len(truth.Pairs()))
}

// Bin is one row of a reliability table.
type Bin struct {
	Lo, Hi        float64
	Pairs         int
	Matches       int
	MeanPredicted float64
	Observed      float64
}

// Reliability bins pairs by predicted probability and compares each bin's
// mean prediction with its observed match rate. ECE is the pair-weighted
// mean absolute gap.
func Reliability(pairs []Pair, truth Truth, bins int) (table []Bin, ece float64) {
	table = make([]Bin, bins)
	sums := make([]float64, bins)
	for i := range table {
		table[i].Lo, table[i].Hi = float64(i)/float64(bins), float64(i+1)/float64(bins)
	}
	for _, p := range pairs {
		i := min(int(p.Probability*float64(bins)), bins-1)
		table[i].Pairs++
		sums[i] += p.Probability
		if truth.Same(p.A, p.B) {
			table[i].Matches++
		}
	}
	for i := range table {
		b := &table[i]
		if b.Pairs == 0 {
			continue
		}
		b.MeanPredicted = sums[i] / float64(b.Pairs)
		b.Observed = float64(b.Matches) / float64(b.Pairs)
		ece += float64(b.Pairs) * math.Abs(b.MeanPredicted-b.Observed)
	}
	return table, ece / float64(max(len(pairs), 1))
}

// Candidate reports whether blocking makes a and b a candidate pair.
func (r *Resolver) Candidate(a, b string) bool {
	if r.d == nil {
		return false
	}
	x, okA := r.d.byID[a]
	y, okB := r.d.byID[b]
	if !okA || !okB || x == y || !r.d.comparable(x, y) {
		return false
	}
	var buf []int32
	ys := r.d.slotsOf(y)
	for _, h := range r.d.slotsOf(x) {
		if !slices.Contains(ys, h) {
			continue
		}
		if mb := r.spec.MaxBlock; mb > 0 && len(r.ix.block(h, buf[:0])) > mb {
			continue
		}
		return true
	}
	return false
}
