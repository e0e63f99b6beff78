package resolve

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// FieldModel holds the learnt parameters of one comparison: for each level,
// m = P(level | match) from EM and u = P(level | non-match) from random
// pairs, both among pairs where neither value is missing.
type FieldModel struct {
	Field  string    `json:"field"`
	Levels []string  `json:"levels"`
	M      []float64 `json:"m"`
	U      []float64 `json:"u"`
	// Weight is log2(m/u), the level's Bayes factor in bits; 0 for missing.
	Weight []float64 `json:"weight"`
	TF     bool      `json:"tf,omitempty"`
}

// Model is a trained Fellegi–Sunter model.
type Model struct {
	Fields []FieldModel `json:"fields"`
	// Lambda is the probability that two random records (of the pairs the
	// spec allows) are the same entity.
	Lambda float64 `json:"lambda"`
	// PriorLog2Odds is log2(Lambda/(1-Lambda)), where every waterfall starts.
	PriorLog2Odds float64 `json:"prior_log2_odds"`
	// CandidateLambda is the share of matches among the training candidates.
	CandidateLambda float64 `json:"candidate_lambda"`
	EMIterations    int     `json:"em_iterations"`
}

// estimateU compares random pairs: u for every level but exact, which is
// computed from value frequencies (random pairs almost never agree on a
// rare value, so sampling would leave it at zero).
func estimateU(d *data, c *comparer, samples int, seed uint64) [][]float64 {
	n := d.n()
	workers := runtime.GOMAXPROCS(0)
	counts := make([][][]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := newComparer(d)
			cnt := make([][]float64, len(cc.nl))
			for i := range cnt {
				cnt[i] = make([]float64, cc.nl[i])
			}
			rng := rand.New(rand.NewPCG(seed, uint64(w)+1))
			for k := 0; k < samples/workers; k++ {
				var x, y int32
				for tries := 0; tries < 100; tries++ {
					x, y = int32(rng.IntN(n)), int32(rng.IntN(n))
					if x != y && d.comparable(x, y) {
						break
					}
				}
				if x == y || !d.comparable(x, y) {
					continue
				}
				cc.compare(x, y)
				for i, l := range cc.levels {
					cnt[i][l]++
				}
			}
			counts[w] = cnt
		}()
	}
	wg.Wait()
	u := make([][]float64, len(c.nl))
	for i, nl := range c.nl {
		u[i] = make([]float64, nl)
		col := d.cols[d.cmpCol[i]]
		var same float64
		if p := float64(col.present); p > 1 {
			for _, k := range col.count {
				same += float64(k) * float64(k-1)
			}
			same /= p * (p - 1)
		}
		same = max(same, 1e-9)
		var rest float64
		for l := 1; l < nl-1; l++ {
			for w := range workers {
				u[i][l] += counts[w][i][l]
			}
			u[i][l] += 0.5 // a level never seen among random pairs is rare, not impossible
			rest += u[i][l]
		}
		for l := 1; l < nl-1; l++ {
			u[i][l] = (1 - same) * u[i][l] / rest
		}
		u[i][nl-1] = same
	}
	return u
}

// em fits a latent class model to the pattern counts of candidate pairs:
// one class of matches, whose m is kept, and nuisance classes of
// non-matches with free distributions, which are discarded. Candidates
// agree on blocking keys far more than random pairs, and relatives share
// an address, a phone and a surname: a second non-match class takes those
// "same household" pairs, which a single one would push into the match
// class. It returns m and the share of matches among candidates.
func em(c *comparer, patterns map[uint64]float64, uRandom [][]float64, classes int) (m [][]float64, lambda float64, iters int) {
	// levels flattened: comparison i's level l sits at off[i]+l, so a
	// pattern is a list of slots and a class's log table is one slice
	off := make([]int, len(c.nl)+1)
	for i, nl := range c.nl {
		off[i+1] = off[i] + nl
	}
	size, nc := off[len(c.nl)], len(c.nl)
	slots := make([]int32, 0, len(patterns)*nc)
	ns := make([]float64, 0, len(patterns))
	lv := make([]uint8, nc)
	var total float64
	for code, n := range patterns {
		c.decode(code, lv)
		for i, l := range lv {
			slots = append(slots, int32(off[i]+int(l)))
		}
		ns = append(ns, n)
		total += n
	}
	k := max(classes, 2)
	theta := make([][]float64, k) // P(level | class), flat; class 0 matches
	logt := make([][]float64, k)
	for j := range k {
		theta[j], logt[j] = make([]float64, size), make([]float64, size)
		for i, nl := range c.nl {
			copy(theta[j][off[i]:], initLevels(j, nl, uRandom[i]))
		}
	}
	w := make([]float64, k) // class shares
	w[0] = 0.1
	for j := 1; j < k; j++ {
		w[j] = 0.9 / float64(k-1)
	}
	// the E-step runs on all cores, each worker summing into its own counts
	workers := runtime.GOMAXPROCS(0)
	counts := make([][]float64, workers)
	shares := make([][]float64, workers)
	for wi := range workers {
		counts[wi], shares[wi] = make([]float64, k*size), make([]float64, k)
	}
	estep := func(cnt, share []float64, lo, hi int) {
		ll := make([]float64, k)
		for p := lo; p < hi; p++ {
			sl := slots[p*nc : (p+1)*nc]
			top := math.Inf(-1)
			for j := range k {
				x := math.Log(w[j])
				for _, s := range sl {
					x += logt[j][s]
				}
				ll[j] = x
				top = max(top, x)
			}
			var z float64
			for j := range k {
				ll[j] = math.Exp(ll[j] - top)
				z += ll[j]
			}
			for j := range k {
				r := ns[p] * ll[j] / z
				share[j] += r
				cj := cnt[j*size : (j+1)*size]
				for _, s := range sl {
					cj[s] += r
				}
			}
		}
	}
	cnt := make([]float64, size)
	for iters = 1; iters <= 500; iters++ {
		for j := range k {
			for i, nl := range c.nl {
				logt[j][off[i]] = 0 // missing weighs nothing
				for l := 1; l < nl; l++ {
					logt[j][off[i]+l] = math.Log(theta[j][off[i]+l])
				}
			}
		}
		var wg sync.WaitGroup
		per := (len(ns) + workers - 1) / workers
		for wi := range workers {
			clear(counts[wi])
			clear(shares[wi])
			lo, hi := min(wi*per, len(ns)), min((wi+1)*per, len(ns))
			wg.Add(1)
			go func() { defer wg.Done(); estep(counts[wi], shares[wi], lo, hi) }()
		}
		wg.Wait()
		// converged when what is kept (the match class) stops moving; the
		// nuisance classes may drift on slowly
		delta := 0.0
		for j := range k {
			var share float64
			clear(cnt)
			for wi := range workers {
				share += shares[wi][j]
				for s, v := range counts[wi][j*size : (j+1)*size] {
					cnt[s] += v
				}
			}
			nw := min(max(share/total, 1e-12), 1-1e-12)
			if j == 0 {
				delta = max(delta, math.Abs(nw-w[j]))
			}
			w[j] = nw
			for i, nl := range c.nl {
				var t float64
				for l := 1; l < nl; l++ {
					t += cnt[off[i]+l]
				}
				for l := 1; l < nl; l++ {
					v := (cnt[off[i]+l] + 1e-3) / (t + 1e-3*float64(nl-1))
					if j == 0 {
						delta = max(delta, math.Abs(v-theta[j][off[i]+l]))
					}
					theta[j][off[i]+l] = v
				}
			}
		}
		if delta < 1e-6 {
			break
		}
	}
	// no level is rarer than mFloor among matches: data errors and moves
	// happen, and EM, having pushed such pairs out of the match class,
	// would otherwise let one field's disagreement veto a match by 20 bits
	m = make([][]float64, nc)
	for i, nl := range c.nl {
		m[i] = make([]float64, nl)
		var t float64
		for l := 1; l < nl; l++ {
			m[i][l] = max(theta[0][off[i]+l], mFloor)
			t += m[i][l]
		}
		for l := 1; l < nl; l++ {
			m[i][l] /= t
		}
	}
	return m, w[0], iters
}

// emClasses is one match class and two non-match classes; mFloor bounds
// how unlikely a level may be among matches. Both were chosen by measuring
// FEBRL, fake_1000 and the synthetic world (docs/resolve.md).
const (
	emClasses = 3
	mFloor    = 0.02
)

// initLevels starts class j's distribution over nl levels: matches agree
// (exact 0.7, the rest shared with more weight on closer levels); the first
// non-match class is the random pairs'; further ones sit halfway.
func initLevels(j, nl int, u []float64) []float64 {
	m := make([]float64, nl)
	var tot float64
	for l := 1; l < nl-1; l++ {
		m[l] = float64(l)
		tot += float64(l)
	}
	for l := 1; l < nl-1; l++ {
		m[l] *= 0.3 / tot
	}
	m[nl-1] = 0.7
	if nl == 3 {
		m[1], m[2] = 0.2, 0.8
	}
	switch {
	case j == 0:
		return m
	case j == 1:
		return append([]float64{}, u...)
	}
	out := make([]float64, nl)
	for l := range out {
		out[l] = (m[l] + u[l]) / 2
	}
	return out
}

// newModel puts the parameters together and fixes the weights.
func newModel(spec *Spec, m, u [][]float64, lambda, candLambda float64, iters int) *Model {
	md := &Model{Lambda: lambda, CandidateLambda: candLambda, EMIterations: iters,
		PriorLog2Odds: math.Log2(lambda / (1 - lambda))}
	for i, c := range spec.Comparisons {
		f := FieldModel{Field: c.Field, Levels: levelNames(c), M: m[i], U: u[i], TF: c.TF}
		f.Weight = make([]float64, len(m[i]))
		for l := 1; l < len(m[i]); l++ {
			f.Weight[l] = math.Log2(m[i][l] / u[i][l])
		}
		md.Fields = append(md.Fields, f)
	}
	return md
}
