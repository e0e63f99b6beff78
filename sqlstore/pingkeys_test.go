package sqlstore

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/pingblock"
)

func TestFloorCeilDiv(t *testing.T) {
	tests := []struct{ a, b, floor, ceil int64 }{
		{7, 2, 3, 4},
		{6, 2, 3, 3},
		{-7, 2, -4, -3},
		{-6, 2, -3, -3},
		{0, 5, 0, 0},
		{-1, usPerHour, -1, 0},
		{usPerHour, usPerHour, 1, 1},
	}
	for _, tt := range tests {
		if got := floorDiv(tt.a, tt.b); got != tt.floor {
			t.Errorf("floorDiv(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.floor)
		}
		if got := ceilDiv(tt.a, tt.b); got != tt.ceil {
			t.Errorf("ceilDiv(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.ceil)
		}
	}
}

// TestCellKey checks that the stored cell key keeps the order of S2 cell
// ids and loses nothing: the ranges reads query are those of the ids.
func TestCellKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var prev uint64
	var prevKey int64
	seen := map[int64]uint64{}
	cells := make([]uint64, 0, 5000)
	for range 5000 {
		lat, lon := rng.Float64()*180-90, rng.Float64()*360-180
		cells = append(cells, pingblock.Cell(lat, lon))
		if k, c := cellKey(lat, lon), pingblock.Cell(lat, lon); k < 0 || (seen[k] != 0 && seen[k] != c) {
			t.Fatalf("cellKey(%v, %v) = %d, for cell %x and %x", lat, lon, k, seen[k], c)
		} else {
			seen[k] = c
		}
	}
	for i, c := range sortedUnique(cells) {
		k := int64(c >> cellShift)
		if i > 0 && (c <= prev) != (k <= prevKey) {
			t.Fatalf("cell %x (key %d) after %x (key %d): order not kept", c, k, prev, prevKey)
		}
		prev, prevKey = c, k
	}
}

// add adds at run time, in float64 (constants would be exact).
func add(a, b float64) float64 { return a + b }

func sortedUnique(s []uint64) []uint64 {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// TestExact checks which pings a block holds exactly: those parsed from
// text with up to six decimals, whole milliseconds and whole metres.
func TestExact(t *testing.T) {
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		p    writ.Ping
		at   time.Time
		want bool
	}{
		{"six decimals, whole second", writ.Ping{Lat: 50.846601, Lon: 4.352812, AccuracyM: 12}, at, true},
		{"whole millisecond", writ.Ping{Lat: 50.8466, Lon: 4.3528}, at.Add(time.Millisecond), true},
		{"microsecond", writ.Ping{Lat: 50.8466, Lon: 4.3528}, at.Add(time.Microsecond), false},
		{"seven decimals", writ.Ping{Lat: 50.8466001, Lon: 4.3528}, at, false},
		{"computed, off the grid", writ.Ping{Lat: add(0.1, 0.2), Lon: -74}, at, false}, // 0.30000000000000004
		{"half a metre", writ.Ping{Lat: 50, Lon: 4, AccuracyM: 8.5}, at, false},
		{"negative accuracy", writ.Ping{Lat: 50, Lon: 4, AccuracyM: -1}, at, false},
		{"before 1970", writ.Ping{Lat: -33.5, Lon: 151.25}, time.Unix(-86400, 0), true},
		{"poles and antimeridian", writ.Ping{Lat: 90, Lon: -180}, at, true},
	}
	for _, tt := range tests {
		if got := exact(&tt.p, micros(tt.at)); got != tt.want {
			t.Errorf("exact(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Every value with up to six decimals, as ParseFloat reads it, is exact.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100_000 {
		lat := float64(rng.Int64N(180_000_001)-90_000_000) / 1e6
		lon := float64(rng.Int64N(360_000_001)-180_000_000) / 1e6
		if !exact(&writ.Ping{Lat: lat, Lon: lon}, 0) || math.IsNaN(lat) {
			t.Fatalf("exact(%v, %v) = false, want true", lat, lon)
		}
	}
}

func TestSettleParts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 100, 129, 700, 5000, 20000} {
		var all []pingblock.Ping
		for i := range n {
			// Two hot spots and a scatter, over a cell of about 1 km.
			lat, lon := 50.85+r.Float64()*0.01, 4.35+r.Float64()*0.014
			if i%3 == 0 {
				lat, lon = 50.852+r.NormFloat64()*0.0002, 4.352+r.NormFloat64()*0.0003
			}
			all = append(all, pingblock.Ping{Device: "d", T: int64(i), Lat: lat, Lon: lon, Line: int64(r.IntN(50))<<32 | int64(i)})
		}
		parts := settleParts(all)
		seen := map[int64]bool{}
		var small int
		for _, p := range parts {
			if len(p) == 0 || len(p) > maxBlockPings {
				t.Fatalf("n=%d: a part of %d pings", n, len(p))
			}
			if len(p) < settleMinPart {
				small++
			}
			for i, q := range p {
				if seen[q.Line] {
					t.Fatalf("n=%d: ping %d in two parts", n, q.Line)
				}
				seen[q.Line] = true
				if i > 0 && len(parts) == 1 && q.Line < p[i-1].Line {
					t.Fatalf("n=%d: one part not in id order", n)
				}
			}
		}
		if len(seen) != n {
			t.Fatalf("n=%d: parts hold %d pings", n, len(seen))
		}
		if small > len(parts)/3+1 {
			t.Errorf("n=%d: %d of %d parts under %d pings; want most parts nearly full", n, small, len(parts), settleMinPart)
		}
		if want := (n + maxBlockPings - 1) / maxBlockPings; len(parts) < want {
			t.Errorf("n=%d: %d parts, want at least %d", n, len(parts), want)
		}
		if n >= 5000 { // a busy key: parts cover a fraction of the key's box each
			var area float64
			for _, p := range parts {
				b := pingblock.Box{MinLat: 90, MaxLat: -90, MinLon: 180, MaxLon: -180}
				for _, q := range p {
					b.MinLat, b.MaxLat = min(b.MinLat, q.Lat), max(b.MaxLat, q.Lat)
					b.MinLon, b.MaxLon = min(b.MinLon, q.Lon), max(b.MaxLon, q.Lon)
				}
				area += (b.MaxLat - b.MinLat) * (b.MaxLon - b.MinLon)
			}
			if mean := area / float64(len(parts)); mean > 0.01*0.014/4 {
				t.Errorf("n=%d: parts cover %.2g deg² on average, want a fraction of the key's %.2g", n, mean, 0.01*0.014)
			}
		}
	}
}
