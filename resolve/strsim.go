package resolve

// JaroWinkler returns the Jaro–Winkler similarity of a and b in [0, 1], with
// the usual prefix scale 0.1 over at most four characters.
func JaroWinkler(a, b string) float64 {
	return jaroWinkler([]rune(a), []rune(b))
}

func jaroWinkler(a, b []rune) float64 {
	j := jaro(a, b)
	if j <= 0.7 {
		return j
	}
	l := 0
	for l < len(a) && l < len(b) && l < 4 && a[l] == b[l] {
		l++
	}
	return j + float64(l)*0.1*(1-j)
}

func jaro(a, b []rune) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	window := max(len(b)/2-1, 0)
	var fa, fb [64]bool
	ma, mb := fa[:], fb[:]
	if len(b) > 64 {
		ma, mb = make([]bool, len(a)), make([]bool, len(b))
	}
	matches := 0
	for i, r := range a {
		lo, hi := max(i-window, 0), min(i+window+1, len(b))
		for k := lo; k < hi; k++ {
			if !mb[k] && b[k] == r {
				ma[i], mb[k] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	t, k := 0, 0
	for i := range a {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if a[i] != b[k] {
			t++
		}
		k++
	}
	m := float64(matches)
	return (m/float64(len(a)) + m/float64(len(b)) + (m-float64(t)/2)/m) / 3
}

// DamerauLevenshtein returns the edit distance between a and b counting
// insertions, deletions, substitutions and transpositions of adjacent
// characters (the unrestricted distance of Lowrance and Wagner).
func DamerauLevenshtein(a, b string) int {
	return damerauLevenshtein([]rune(a), []rune(b), nil)
}

// damerauLevenshtein uses buf as scratch space when it is large enough.
func damerauLevenshtein(a, b []rune, buf []int32) int {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return n + m
	}
	w := m + 2
	size := (n + 2) * w
	if cap(buf) < size {
		buf = make([]int32, size)
	}
	d := buf[:size]
	inf := int32(n + m)
	d[0] = inf
	for i := 0; i <= n; i++ {
		d[(i+1)*w] = inf
		d[(i+1)*w+1] = int32(i)
	}
	for j := 0; j <= m; j++ {
		d[j+1] = inf
		d[w+j+1] = int32(j)
	}
	// last row in which each character of a was seen; names are short, so a
	// small list beats a map
	var seenR [32]rune
	var seenRow [32]int32
	seen := 0
	lastRow := func(r rune) int32 {
		for k := 0; k < seen; k++ {
			if seenR[k] == r {
				return seenRow[k]
			}
		}
		return 0
	}
	for i := 1; i <= n; i++ {
		db := int32(0)
		for j := 1; j <= m; j++ {
			i1 := lastRow(b[j-1])
			j1 := db
			cost := int32(1)
			if a[i-1] == b[j-1] {
				cost, db = 0, int32(j)
			}
			v := min(d[i*w+j]+cost, d[(i+1)*w+j]+1, d[i*w+j+1]+1)
			v = min(v, d[int(i1)*w+int(j1)]+int32(i-int(i1)-1)+1+int32(j-int(j1)-1))
			d[(i+1)*w+j+1] = v
		}
		r := a[i-1]
		k := 0
		for k < seen && seenR[k] != r {
			k++
		}
		if k == seen {
			if seen == len(seenR) { // long alphabets: fall back to the slow path
				return osaFallback(a, b)
			}
			seen++
			seenR[k] = r
		}
		seenRow[k] = int32(i)
	}
	return int(d[(n+1)*w+m+1])
}

// osaFallback is the restricted distance, used only for strings with more
// than 32 distinct characters, where it rarely differs.
func osaFallback(a, b []rune) int {
	n, m := len(a), len(b)
	d := make([][]int, n+1)
	for i := range d {
		d[i] = make([]int, m+1)
		d[i][0] = i
	}
	for j := 0; j <= m; j++ {
		d[0][j] = j
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[n][m]
}

// withinEdits reports whether the Damerau–Levenshtein distance is at most
// k. Most compared pairs are far apart, so cheap exact tests come first: one
// edit is checked in linear time, and the bag distance (characters one
// string has that the other lacks), a lower bound, rejects the rest.
func withinEdits(a, b []rune, k int, buf []int32) bool {
	if d := len(a) - len(b); d > k || -d > k {
		return false
	}
	if k == 1 {
		return oneEdit(a, b)
	}
	if c, ok := common(a, b); ok && max(len(a), len(b))-c > k {
		return false
	}
	return damerauLevenshtein(a, b, buf) <= k
}

// oneEdit reports whether a and b differ by at most one insertion,
// deletion, substitution or adjacent transposition.
func oneEdit(a, b []rune) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if i == len(a) {
		return len(b)-len(a) <= 1
	}
	if len(a) < len(b) { // one insertion
		return equalRunes(a[i:], b[i+1:])
	}
	if equalRunes(a[i+1:], b[i+1:]) { // one substitution
		return true
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && equalRunes(a[i+2:], b[i+2:])
}

func equalRunes(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// common counts the characters a and b share as multisets, for ASCII
// strings (ok is false otherwise). It bounds both the edit distance (from
// below) and the Jaro similarity (from above).
func common(a, b []rune) (c int, ok bool) {
	var n [128]int8
	for _, r := range a {
		if r >= 128 {
			return 0, false
		}
		n[r]++
	}
	for _, r := range b {
		if r >= 128 {
			return 0, false
		}
		if n[r] > 0 {
			n[r]--
			c++
		}
	}
	return c, true
}

// jaroWinklerBounded returns the Jaro–Winkler similarity, or 0 when the
// shared characters show it cannot reach t.
func jaroWinklerBounded(a, b []rune, t float64) float64 {
	if c, ok := common(a, b); ok && len(a) > 0 && len(b) > 0 {
		m := float64(c)
		j := (m/float64(len(a)) + m/float64(len(b)) + 1) / 3
		if j+0.4*(1-j) < t {
			return 0
		}
	}
	return jaroWinkler(a, b)
}
