package pingblock

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// naive is the reference clip: decode everything, then test each ping.
func naive(ps []Ping, c Clip) []Ping {
	var out []Ping
	for _, p := range ps {
		if p.T < c.From || p.T >= c.To {
			continue
		}
		if c.Box != nil {
			la, lo := E6(p.Lat), E6(p.Lon)
			if la < E6(c.Box.MinLat) || la > E6(c.Box.MaxLat) || lo < E6(c.Box.MinLon) || lo > E6(c.Box.MaxLon) {
				continue
			}
		}
		if c.Inside != nil && !c.Inside(p.Lat, p.Lon) {
			continue
		}
		if c.Keep != nil && !c.Keep(p.T, p.Lat, p.Lon) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func TestFilter(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	nonEmpty, partial := 0, 0
	for iter := range 300 {
		ps := synth(r, 1+r.IntN(400), 1+r.IntN(20), iter%2 == 0)
		if iter%5 == 0 { // unsorted blocks take the scanning path
			r.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		}
		b := Encode(ps)
		all, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := ReadHeader(b)
		span := h.MaxT - h.MinT + 1
		from := h.MinT - span/4 + r.Int64N(span)
		c := Clip{From: from, To: from + r.Int64N(span)}
		if iter%3 != 0 {
			la := float64(h.MinLat+r.Int64N(h.MaxLat-h.MinLat+1)) / 1e6
			lo := float64(h.MinLon+r.Int64N(h.MaxLon-h.MinLon+1)) / 1e6
			c.Box = &Box{MinLat: la - 0.001, MaxLat: la + 0.002, MinLon: lo - 0.003, MaxLon: lo + 0.001}
		}
		if iter%4 == 0 {
			c.Inside = func(lat, lon float64) bool { return math.Mod(lat*1e4, 2) < 1 }
		}
		if iter%3 == 1 { // a near test: some of the block's pings, by time and place
			c.Keep = func(tm int64, lat, lon float64) bool { return (tm/1000+int64(lon*1e5))%3 != 0 }
		}
		got, err := Filter(b, c)
		if err != nil {
			t.Fatal(err)
		}
		want := naive(all, c)
		if !slices.Equal(got, want) {
			t.Fatalf("iter %d: Filter gave %d pings, naive %d", iter, len(got), len(want))
		}
		if len(want) > 0 {
			nonEmpty++
		}
		if len(want) > 0 && len(want) < len(all) {
			partial++
		}
	}
	if nonEmpty < 50 || partial < 50 {
		t.Fatalf("weak test: %d non-empty, %d partial clips", nonEmpty, partial)
	}
	// Disjoint clips return nothing from the header alone.
	b := Encode(synth(r, 100, 1, false))
	h, _ := ReadHeader(b)
	for _, c := range []Clip{
		{From: h.MaxT + 1, To: h.MaxT + 1000},
		{From: h.MinT - 1000, To: h.MinT},
		{From: h.MinT, To: h.MaxT + 1, Box: &Box{MinLat: 10, MaxLat: 11, MinLon: 10, MaxLon: 11}},
	} {
		if got, err := Filter(b, c); err != nil || len(got) != 0 {
			t.Fatalf("disjoint clip %+v: %d pings, %v", c, len(got), err)
		}
	}
	// Overlaps sees the block's header: its span and box, exactly.
	var seen []any
	all := Clip{From: math.MinInt64, To: math.MaxInt64}
	skip := all
	skip.Overlaps = func(minT, maxT int64, bx Box) bool {
		seen = append(seen, minT, maxT, bx)
		return false
	}
	if got, err := Filter(b, skip); err != nil || len(got) != 0 {
		t.Fatalf("Overlaps false: %d pings, %v; want none", len(got), err)
	}
	want := []any{h.MinT, h.MaxT, Box{MinLat: float64(h.MinLat) / 1e6, MinLon: float64(h.MinLon) / 1e6, MaxLat: float64(h.MaxLat) / 1e6, MaxLon: float64(h.MaxLon) / 1e6}}
	if !slices.Equal(seen, want) {
		t.Fatalf("Overlaps saw %v, want the header %v", seen, want)
	}
	keep := all
	keep.Overlaps = func(int64, int64, Box) bool { return true }
	if got, err := Filter(b, keep); err != nil || len(got) != 100 {
		t.Fatalf("Overlaps true: %d pings, %v; want 100", len(got), err)
	}
	// AppendFilter keeps what dst held.
	dst := []Ping{{Device: "keep"}}
	dst, err := AppendFilter(dst, b, Clip{From: math.MinInt64, To: math.MaxInt64})
	if err != nil || len(dst) != 101 || dst[0].Device != "keep" {
		t.Fatalf("AppendFilter: %d, %v", len(dst), err)
	}
}
