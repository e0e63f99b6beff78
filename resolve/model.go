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

// em fits a two-class latent model to the pattern counts of candidate
// pairs: m (kept), the candidates' own non-match distribution (discarded:
// candidates agree on blocking keys far more than random pairs do), and the
// share of matches among candidates.
func em(c *comparer, patterns map[uint64]float64, uRandom [][]float64) (m, uc [][]float64, lambda float64, iters int) {
	type pat struct {
		lv []uint8
		n  float64
	}
	ps := make([]pat, 0, len(patterns))
	for code, n := range patterns {
		lv := make([]uint8, len(c.nl))
		c.decode(code, lv)
		ps = append(ps, pat{lv, n})
	}
	m = make([][]float64, len(c.nl))
	uc = make([][]float64, len(c.nl))
	for i, nl := range c.nl {
		m[i] = make([]float64, nl)
		uc[i] = append([]float64{}, uRandom[i]...)
		// start from agreement being likely for matches: exact 0.7, the rest
		// shared out with more weight on closer levels
		var tot float64
		for l := 1; l < nl-1; l++ {
			m[i][l] = float64(l)
			tot += float64(l)
		}
		for l := 1; l < nl-1; l++ {
			m[i][l] *= 0.3 / tot
		}
		m[i][nl-1] = 0.7
		if nl == 3 {
			m[i][1], m[i][2] = 0.2, 0.8
		}
	}
	lambda = 0.1
	nm := make([][]float64, len(c.nl))
	nu := make([][]float64, len(c.nl))
	for i, nl := range c.nl {
		nm[i], nu[i] = make([]float64, nl), make([]float64, nl)
	}
	// log(m/u) per level, missing at 0, so each pattern costs one sum
	lr := make([][]float64, len(c.nl))
	for i, nl := range c.nl {
		lr[i] = make([]float64, nl)
	}
	for iters = 1; iters <= 500; iters++ {
		for i := range nm {
			clear(nm[i])
			clear(nu[i])
			for l := 1; l < c.nl[i]; l++ {
				lr[i][l] = math.Log(m[i][l] / uc[i][l])
			}
		}
		var sr, sn float64
		prior := math.Log(lambda / (1 - lambda))
		for _, p := range ps {
			x := prior
			for i, l := range p.lv {
				x += lr[i][l]
			}
			r := 1 / (1 + math.Exp(-x))
			for i, l := range p.lv {
				nm[i][l] += p.n * r
				nu[i][l] += p.n * (1 - r)
			}
			sr += p.n * r
			sn += p.n
		}
		delta := math.Abs(sr/sn - lambda)
		lambda = min(max(sr/sn, 1e-12), 1-1e-12)
		for i, nl := range c.nl {
			var tm, tu float64
			for l := 1; l < nl; l++ {
				tm += nm[i][l]
				tu += nu[i][l]
			}
			for l := 1; l < nl; l++ {
				v := (nm[i][l] + 1e-3) / (tm + 1e-3*float64(nl-1))
				delta = max(delta, math.Abs(v-m[i][l]))
				m[i][l] = v
				uc[i][l] = (nu[i][l] + 1e-3) / (tu + 1e-3*float64(nl-1))
			}
		}
		if delta < 1e-7 {
			break
		}
	}
	return m, uc, lambda, iters
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
