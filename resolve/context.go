package resolve

import (
	"cmp"
	"math"
	"slices"
	"sync"
)

// Context evidence. A pair's own fields may say nothing about a field (one
// record has no birth date) while the records each side is firmly linked
// to do. Two "Vlad Sandu" records at different addresses look like one man
// who moved; if the first is firmly linked to a record born in 1961 and the
// second to one born in 1994, they are two men.
//
// For each field missing in the pair, the values of each side's strong
// neighbours are compared across the pair, and the closest agreement found
// counts (so one mistyped value on a side does not veto), weighed by c,
// the probability that both records compared are their sides' entities:
//
//   - disagreement: if either record is not its side's entity, its value
//     says nothing about the pair, so the Bayes factor is c·m/u + (1−c);
//   - agreement: the same, but at most c/(1−c). A neighbour that is not
//     x's entity may well be y's (a namesake's record linked on the name
//     alone), and then it agrees with y whatever x is: agreement through a
//     neighbour cannot say more than the link to that neighbour does.
//
// Neighbours are read from the pairs' own scores, in one round: context
// does not feed on context.

// maxNeighbours bounds the strong links read per record, strongest first,
// so a record with many namesakes costs no more than a modest one.
const maxNeighbours = 16

// neighbour is a record linked to another at or above the threshold.
type neighbour struct {
	z  int32
	lo float64 // the link's own log2 odds, without context
}

// links indexes each record's strong links: its neighbours.
type links struct {
	min float64       // log2 odds of the threshold
	adj [][]neighbour // by record; records past the end have none
}

// newLinks indexes the edges at or above threshold by record.
func newLinks(edges []edge, threshold float64) *links {
	l := &links{min: math.Log2(threshold / (1 - threshold))}
	l.add(edges)
	return l
}

// add indexes more edges and returns the records whose neighbours
// changed, in order.
func (l *links) add(edges []edge) []int32 {
	var changed []int32
	for _, e := range edges {
		if e.raw() < l.min {
			continue
		}
		if n := int(max(e.x, e.y)) + 1; n > len(l.adj) {
			l.adj = append(l.adj, make([][]neighbour, n-len(l.adj))...)
		}
		l.adj[e.x] = append(l.adj[e.x], neighbour{e.y, e.raw()})
		l.adj[e.y] = append(l.adj[e.y], neighbour{e.x, e.raw()})
		changed = append(changed, e.x, e.y)
	}
	slices.Sort(changed)
	changed = slices.Compact(changed)
	for _, x := range changed {
		ns := l.adj[x]
		slices.SortFunc(ns, func(a, b neighbour) int {
			return cmp.Or(cmp.Compare(b.lo, a.lo), cmp.Compare(a.z, b.z))
		})
		if len(ns) > maxNeighbours {
			l.adj[x] = slices.Clip(ns[:maxNeighbours])
		}
	}
	return changed
}

// member is a record on one side of a pair, with the probability that it
// is that side's entity.
type member struct {
	z int32
	p float64
}

// contextTerm is the context evidence about one field of a pair.
type contextTerm struct {
	bits  float64
	level int
	a, b  int32 // the records whose values were compared
}

// contextScorer computes context evidence; one per goroutine.
type contextScorer struct {
	l      *links
	md     *Model
	c      *comparer
	levels []uint8
	sx, sy []member
	terms  []contextTerm
}

func newContextScorer(l *links, md *Model, d *data) *contextScorer {
	return &contextScorer{l: l, md: md, c: newComparer(d)}
}

// of returns x's neighbours.
func (l *links) of(x int32) []neighbour {
	if int(x) >= len(l.adj) {
		return nil
	}
	return l.adj[x]
}

// side is x with those of its neighbours linked to x more surely than x
// is to y (pair is that pair's own log2 odds), and more surely than they
// are to y. A neighbour nearer y is on y's side, and one no surer than the
// pair is no better known: either way a namesake's own record, linked to x
// by the name alone, would otherwise pass as x's.
func (s *contextScorer) side(x, y int32, pair float64, dst []member) []member {
	dst = append(dst[:0], member{x, 1})
	for _, n := range s.l.of(x) {
		if n.z == y || n.lo <= pair {
			continue
		}
		s.c.compare(y, n.z)
		if n.lo <= s.md.log2Odds(s.c, y) {
			continue
		}
		dst = append(dst, member{n.z, probability(n.lo)})
	}
	return dst
}

// pairTerms returns, for each comparison, the context evidence of pair
// x, y: zero unless the pair lacks the field and the sides' neighbours
// have values to compare.
func (s *contextScorer) pairTerms(x, y int32) []contextTerm {
	s.terms = slices.Grow(s.terms[:0], len(s.md.Fields))[:len(s.md.Fields)]
	clear(s.terms)
	if len(s.l.of(x)) == 0 && len(s.l.of(y)) == 0 {
		return s.terms
	}
	s.c.compare(x, y)
	s.levels = append(s.levels[:0], s.c.levels...)
	if !slices.Contains(s.levels, levelMissing) {
		return s.terms
	}
	pair := s.md.log2Odds(s.c, x)
	s.sx = s.side(x, y, pair, s.sx)
	s.sy = s.side(y, x, pair, s.sy)
	if len(s.sx) == 1 && len(s.sy) == 1 {
		return s.terms
	}
	for i, l := range s.levels {
		if l != levelMissing {
			continue
		}
		w := s.md.Fields[i].Weight
		top := slices.Max(w)
		best, bestP := math.Inf(-1), 0.0
		var t contextTerm
		// sides run from surest to least sure, so once the best level is
		// found no later record can be surer: stop there
		for _, a := range s.sx {
			if best == top && a.p*s.sy[0].p <= bestP {
				break
			}
			for _, b := range s.sy {
				if best == top && a.p*b.p <= bestP {
					break
				}
				if a.z == b.z {
					continue
				}
				lv := s.c.level(i, a.z, b.z)
				if lv == levelMissing {
					continue
				}
				p := a.p * b.p
				if w[lv] > best || (w[lv] == best && p > bestP) {
					best, bestP = w[lv], p
					t = contextTerm{level: lv, a: a.z, b: b.z}
				}
			}
		}
		switch {
		case math.IsInf(best, -1):
		case best < 0:
			t.bits = math.Log2(bestP*math.Exp2(best) + 1 - bestP)
			s.terms[i] = t
		case best > 0:
			t.bits = min(math.Log2(bestP*math.Exp2(best)+1-bestP), math.Log2(bestP/(1-bestP)))
			if t.bits > 0 {
				s.terms[i] = t
			}
		}
	}
	return s.terms
}

// bits is the sum of the context evidence of pair x, y.
func (s *contextScorer) bits(x, y int32) float64 {
	var sum float64
	for _, t := range s.pairTerms(x, y) {
		sum += t.bits
	}
	return sum
}

// applyContext sets the context evidence of the edges, on all cores.
func (r *Resolver) applyContext(edges []edge) {
	workers := runtimeWorkers()
	per := (len(edges) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := min(w*per, len(edges)), min((w+1)*per, len(edges))
		if lo == hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newContextScorer(r.links, r.model, r.d)
			for k := lo; k < hi; k++ {
				e := &edges[k]
				raw := e.raw()
				e.ctx = s.bits(e.x, e.y)
				e.lo = raw + e.ctx
			}
		}()
	}
	wg.Wait()
}
