package storetest

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The property test's generators must only make requests the gate grants;
// otherwise it would fail for the wrong reason, or test less than it says.

func TestRandPolygon(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		p := randPolygon(rng, propBox)
		if err := p.Validate(); err != nil {
			t.Fatalf("randPolygon() = %v: %v", p, err)
		}
		if !p.Within(propOuter) {
			t.Fatalf("randPolygon() = %v, not within the area authority's %v", p, propOuter)
		}
	}
}

func TestRandWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tb := &ptable{rows: []prow{{at: t0}, {at: t0.Add(time.Hour)}, {at: t0.Add(propSpan - time.Microsecond)}}}
	lo, hi := t0.Add(-24*time.Hour), t0.Add(propSpan+48*time.Hour)
	for range 5000 {
		from, to := randWindow(rng, tb, lo, hi)
		if from.Before(lo) || to.After(hi) || !from.Before(to) {
			t.Fatalf("randWindow() = [%s, %s), want a non-empty window inside [%s, %s]", from, to, lo, hi)
		}
	}
}

func TestSubset(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	pool := []string{"a", "b", "c"}
	seen := map[int]bool{}
	for range 500 {
		s := subset(rng, pool)
		if len(s) == 0 || len(s) > len(pool) {
			t.Fatalf("subset(%v) = %v, want 1 to %d elements", pool, s, len(pool))
		}
		seen[len(s)] = true
	}
	if len(seen) != len(pool) {
		t.Errorf("subset sizes seen %v, want every size from 1 to %d", seen, len(pool))
	}
}
