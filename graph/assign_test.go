package graph

import (
	"math/rand/v2"
	"testing"
)

// TestAssign checks the Hungarian solver against brute force over all
// permutations of random matrices.
func TestAssign(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 1 + trial%5
		m := n + trial%3
		cost := make([][]float64, n)
		for i := range cost {
			cost[i] = make([]float64, m)
			for j := range cost[i] {
				cost[i][j] = float64(r.IntN(20)) - 5
			}
		}
		got := assign(cost)
		seen := make(map[int]bool)
		total := 0.0
		for i, j := range got {
			if seen[j] || j < 0 || j >= m {
				t.Fatalf("assign: column %d reused or out of range in %v", j, got)
			}
			seen[j] = true
			total += cost[i][j]
		}
		if best := bruteAssign(cost, 0, make([]bool, m)); total != best {
			t.Fatalf("assign(%v) costs %v, brute force %v", cost, total, best)
		}
	}
}

func bruteAssign(cost [][]float64, i int, used []bool) float64 {
	if i == len(cost) {
		return 0
	}
	best := 1e18
	for j := range used {
		if !used[j] {
			used[j] = true
			best = min(best, cost[i][j]+bruteAssign(cost, i+1, used))
			used[j] = false
		}
	}
	return best
}
