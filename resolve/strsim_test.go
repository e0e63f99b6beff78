package resolve

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestJaroWinkler(t *testing.T) {
	// values from Winkler's papers and the usual references
	tests := []struct {
		a, b string
		want float64
	}{
		{"MARTHA", "MARHTA", 0.9611},
		{"DWAYNE", "DUANE", 0.84},
		{"DIXON", "DICKSONX", 0.8133},
		{"abc", "abc", 1},
		{"abc", "xyz", 0},
		{"", "", 1},
		{"a", "", 0},
	}
	for _, tt := range tests {
		if got := JaroWinkler(tt.a, tt.b); math.Abs(got-tt.want) > 1e-4 {
			t.Errorf("JaroWinkler(%q, %q) = %.4f, want %.4f", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestDamerauLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"kitten", "sitting", 3},
		{"ab", "ba", 1},
		{"ca", "abc", 2}, // 3 under the restricted (OSA) distance
		{"", "abc", 3},
		{"smith", "smyth", 1},
		{"19600113", "19600131", 1},
		{"héllo", "hello", 1},
	}
	for _, tt := range tests {
		if got := DamerauLevenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("DamerauLevenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestFastPathsAgree checks the shortcuts against the full computations
// on random short strings over a small alphabet, where edits collide often.
func TestFastPathsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() []rune {
		r := make([]rune, rng.IntN(7))
		for i := range r {
			r[i] = rune('a' + rng.IntN(4))
		}
		return r
	}
	for range 20000 {
		a, b := word(), word()
		d := damerauLevenshtein(a, b, nil)
		for k := 1; k <= 2; k++ {
			if got := withinEdits(a, b, k, nil); got != (d <= k) {
				t.Fatalf("withinEdits(%q, %q, %d) = %v, want %v (distance %d)", string(a), string(b), k, got, d <= k, d)
			}
		}
		jw := jaroWinkler(a, b)
		if got := jaroWinklerBounded(a, b, 0.8); jw >= 0.8 && got != jw {
			t.Fatalf("jaroWinklerBounded(%q, %q) = %v, want %v", string(a), string(b), got, jw)
		}
	}
}
