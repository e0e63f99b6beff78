package pingblock

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/golang/geo/s2"
)

func TestHour(t *testing.T) {
	for _, tc := range []struct{ t, h int64 }{{0, 0}, {3599_999, 0}, {3600_000, 1}, {-1, -1}, {-3600_000, -1}, {-3600_001, -2}} {
		if got := Hour(tc.t); got != tc.h {
			t.Errorf("Hour(%d) = %d, want %d", tc.t, got, tc.h)
		}
	}
}

func TestCellAndCoverings(t *testing.T) {
	c := Cell(50.85, 4.35)
	if s2.CellID(c).Level() != Level || !s2.CellID(c).IsValid() {
		t.Fatalf("cell %x level %d", c, s2.CellID(c).Level())
	}
	area := s2.CellFromCellID(s2.CellID(c)).ExactArea() * earthRadiusM * earthRadiusM / 1e6
	if area < 0.5 || area > 2.5 {
		t.Fatalf("level-%d cell area %.2f km², want about 1", Level, area)
	}
	cb := CellBox(c)
	if 50.85 < cb.MinLat || 50.85 > cb.MaxLat || 4.35 < cb.MinLon || 4.35 > cb.MaxLon {
		t.Fatalf("cell box %+v misses its point", cb)
	}
	r := rand.New(rand.NewPCG(9, 10))
	box := Box{MinLat: 50.84, MaxLat: 50.86, MinLon: 4.33, MaxLon: 4.37}
	circle := [3]float64{50.85, 4.35, 1500}
	poly := [][2]float64{{50.84, 4.33}, {50.86, 4.34}, {50.85, 4.37}} // a triangle
	cb2, cc, cp := CoverBox(box), CoverCircle(circle[0], circle[1], circle[2]), CoverPolygon(poly)
	for _, cov := range [][]uint64{cb2, cc, cp} {
		if len(cov) < 2 || len(cov) > 100 || !slices.IsSorted(cov) {
			t.Fatalf("covering of %d cells", len(cov))
		}
	}
	// Reversed polygon orientation gives the same covering.
	rev := slices.Clone(poly)
	slices.Reverse(rev)
	if !slices.Equal(CoverPolygon(rev), cp) {
		t.Fatal("polygon covering depends on orientation")
	}
	in := func(cov []uint64, lat, lon float64) bool {
		_, ok := slices.BinarySearch(cov, Cell(lat, lon))
		return ok
	}
	for range 2000 {
		lat, lon := 50.83+r.Float64()*0.04, 4.32+r.Float64()*0.06
		if lat >= box.MinLat && lat <= box.MaxLat && lon >= box.MinLon && lon <= box.MaxLon && !in(cb2, lat, lon) {
			t.Fatalf("box covering misses %f,%f", lat, lon)
		}
		p := s2.LatLngFromDegrees(lat, lon)
		dm := p.Distance(s2.LatLngFromDegrees(circle[0], circle[1])).Radians() * earthRadiusM
		if dm <= circle[2] && !in(cc, lat, lon) {
			t.Fatalf("circle covering misses %f,%f at %.0f m", lat, lon, dm)
		}
		loop := s2.LoopFromPoints([]s2.Point{s2.PointFromLatLng(s2.LatLngFromDegrees(poly[0][0], poly[0][1])),
			s2.PointFromLatLng(s2.LatLngFromDegrees(poly[1][0], poly[1][1])), s2.PointFromLatLng(s2.LatLngFromDegrees(poly[2][0], poly[2][1]))})
		loop.Normalize()
		if loop.ContainsPoint(s2.PointFromLatLng(p)) && !in(cp, lat, lon) {
			t.Fatalf("polygon covering misses %f,%f", lat, lon)
		}
	}
	// A far point's cell is in none of them.
	if in(cb2, 51.5, 4.35) || in(cc, 51.5, 4.35) || in(cp, 51.5, 4.35) {
		t.Fatal("covering holds a far cell")
	}
	// Ranges cover exactly the cells given.
	rg := Ranges(cc)
	var n int
	for _, pr := range rg {
		for id := s2.CellID(pr[0]); ; id = id.Next() {
			if _, ok := slices.BinarySearch(cc, uint64(id)); !ok {
				t.Fatalf("range holds a cell outside the covering")
			}
			n++
			if uint64(id) == pr[1] {
				break
			}
		}
	}
	if n != len(cc) || len(rg) >= len(cc) {
		t.Fatalf("ranges: %d cells in %d ranges, covering %d", n, len(rg), len(cc))
	}
}
