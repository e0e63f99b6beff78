package pingblock

import (
	"fmt"
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
	var dec Decoder // one for every block, as a reader uses it
	for iter := range 300 {
		ps := synth(r, 1+r.IntN(400), 1+r.IntN(20), iter%2 == 0)
		for i := range ps { // names of this block only: none may leak into the next
			ps[i].Device = fmt.Sprint(iter, "-", ps[i].Device)
		}
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
		if got, err := dec.AppendFilter(nil, b, c); err != nil || !slices.Equal(got, want) {
			t.Fatalf("iter %d: a reused Decoder gave %d pings (%v), naive %d", iter, len(got), err, len(want))
		}
		if iter%7 == 0 { // a corrupt block between two good ones
			if _, err := dec.AppendFilter(nil, b[:len(b)-1], c); err == nil {
				t.Fatalf("iter %d: a truncated block decoded", iter)
			}
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
	// Window sees the block's header: its span and box, exactly.
	var seen []any
	all := Clip{From: math.MinInt64, To: math.MaxInt64}
	skip := all
	skip.Window = func(minT, maxT int64, bx Box) (int64, int64, bool) {
		seen = append(seen, minT, maxT, bx)
		return minT, maxT, false
	}
	if got, err := Filter(b, skip); err != nil || len(got) != 0 {
		t.Fatalf("Window not ok: %d pings, %v; want none", len(got), err)
	}
	want := []any{h.MinT, h.MaxT, Box{MinLat: float64(h.MinLat) / 1e6, MinLon: float64(h.MinLon) / 1e6, MaxLat: float64(h.MaxLat) / 1e6, MaxLon: float64(h.MaxLon) / 1e6}}
	if !slices.Equal(seen, want) {
		t.Fatalf("Window saw %v, want the header %v", seen, want)
	}
	// Window narrows the clip's window, both ends included, and is itself
	// cut to the clip's.
	full, err := Filter(b, all)
	if err != nil {
		t.Fatal(err)
	}
	mid := (h.MinT + h.MaxT) / 2
	for _, tc := range []struct {
		clip     Clip
		from, to int64 // Window's
	}{
		{all, math.MinInt64, math.MaxInt64},
		{all, math.MinInt64 / 2, math.MaxInt64 / 2},
		{all, h.MinT, h.MaxT},
		{all, mid, mid},
		{all, h.MinT + 1, mid},
		{Clip{From: mid, To: math.MaxInt64}, h.MinT, mid + 30_000},
		{all, h.MaxT + 1, h.MaxT + 10},
		{all, h.MinT - 10, h.MinT - 1},
	} {
		c := tc.clip
		c.Window = func(int64, int64, Box) (int64, int64, bool) { return tc.from, tc.to, true }
		got, err := Filter(b, c)
		var want []Ping
		for _, p := range full {
			if p.T >= max(tc.clip.From, tc.from) && p.T < tc.clip.To && p.T <= tc.to {
				want = append(want, p)
			}
		}
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("clip [%d, %d), Window [%d, %d]: %d pings, %v; want %d", tc.clip.From, tc.clip.To, tc.from, tc.to, len(got), err, len(want))
		}
	}
	// Covers is asked once, with the header's box, before Inside would be;
	// true spares Inside for the whole block, false leaves it to decide.
	for _, covers := range []bool{true, false} {
		var asked []Box
		c := all
		c.Inside = func(float64, float64) bool { return false }
		c.Covers = func(bx Box) bool {
			asked = append(asked, bx)
			return covers
		}
		got, err := Filter(b, c)
		if err != nil || !slices.Equal(asked, []Box{want[2].(Box)}) {
			t.Fatalf("Covers %v: asked %v, %v; want once, of the header's box %v", covers, asked, err, want[2])
		}
		if n := map[bool]int{true: len(full), false: 0}[covers]; len(got) != n {
			t.Fatalf("Covers %v: %d pings; want %d", covers, len(got), n)
		}
	}
	// AppendFilter keeps what dst held.
	dst := []Ping{{Device: "keep"}}
	dst, err = AppendFilter(dst, b, Clip{From: math.MinInt64, To: math.MaxInt64})
	if err != nil || len(dst) != 101 || dst[0].Device != "keep" {
		t.Fatalf("AppendFilter: %d, %v", len(dst), err)
	}
}
