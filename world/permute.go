package world

import "math/bits"

// permute maps i in [0, n) to a distinct number in [0, n) that looks random:
// a four-round Feistel network over the smallest even power of two that
// holds n, cycle-walking until the result falls below n. Identifiers made
// with it are unique without remembering those already handed out.
func permute(seed, salt, i, n uint64) uint64 {
	half := (bits.Len64(n-1) + 1) / 2
	if half == 0 {
		half = 1
	}
	mask := uint64(1)<<half - 1
	x := i
	for {
		l, r := x>>half, x&mask
		for round := range uint64(4) {
			l, r = r, l^(mix(seed^salt<<8^round<<56^r)&mask)
		}
		x = l<<half | r
		if x < n {
			return x
		}
	}
}
