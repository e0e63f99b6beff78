package world

import (
	"math"
	"math/rand/v2"
)

// Streams keep the random numbers of each part of the world independent, so
// that adding a draw in one part does not shift every other part.
const (
	streamPeople uint64 = iota + 1
	streamPlaces
	streamPhones
	streamVehicles
	streamRing
	streamDay
	streamDevice
	streamContacts
	streamSource
	streamCamera
	streamFriends
)

// rng is a PCG generator used by value, so hot loops make direct calls.
type rng struct{ src rand.PCG }

// mix is the splitmix64 finaliser: it spreads nearby keys over all bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// newRNG returns the generator for one entity (a, b) of one stream: the same
// seed, stream and keys always give the same numbers.
func newRNG(seed, stream, a, b uint64) rng {
	var r rng
	r.src.Seed(mix(seed+mix(stream)), mix(mix(a+0x9e3779b97f4a7c15)^b))
	return r
}

func (r *rng) u64() uint64 { return r.src.Uint64() }

// intn returns a number in [0, n); the bias for n far below 2^32 is negligible.
func (r *rng) intn(n int) int {
	return int(((r.u64() >> 32) * uint64(n)) >> 32)
}

// rangeInt returns a number in [lo, hi].
func (r *rng) rangeInt(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.u64()>>11) / (1 << 53) }

func (r *rng) between(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

func (r *rng) chance(p float64) bool { return r.float() < p }

// norm2 returns two independent standard normal numbers (Marsaglia's polar method).
func (r *rng) norm2() (float64, float64) {
	for {
		u, v := 2*r.float()-1, 2*r.float()-1
		s := u*u + v*v
		if s > 0 && s < 1 {
			f := math.Sqrt(-2 * math.Log(s) / s)
			return u * f, v * f
		}
	}
}

// poisson draws from a Poisson distribution with a small mean (Knuth).
func (r *rng) poisson(mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.float()
		if p <= l {
			return k
		}
		k++
	}
}

// pick returns an index drawn with the given cumulative weights.
func (r *rng) pick(cum []float64) int {
	x := r.float() * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func cumulative(w []float64) []float64 {
	c := make([]float64, len(w))
	s := 0.0
	for i, v := range w {
		s += v
		c[i] = s
	}
	return c
}

func oneOf[T any](r *rng, s []T) T { return s[r.intn(len(s))] }
