package storetest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/writhq/writ"
)

// testAreaFunction checks that the database's writ_in_polygon, which clips
// reads to a grant's area, answers exactly as writ.Polygon.Contains does,
// including for points on or a hair's breadth from an edge: an area is a
// legal boundary, and every store must draw it in the same place.
func testAreaFunction(t *testing.T, f *fixture) {
	rng := rand.New(rand.NewPCG(1, 2))
	mark := func(i int) string {
		if f.db.Dialect() == "postgres" {
			return "$" + strconv.Itoa(i)
		}
		return "?"
	}
	for n := range 40 {
		poly := randPolygon(rng, propBox)
		var pts []writ.Point
		for i := range poly {
			// Points on each edge as floating point computes it, then nudged
			// off it by tiny amounts, and the vertices themselves.
			a, b := poly[i], poly[(i+1)%len(poly)]
			for _, d := range []float64{0, 1e-13, -1e-13, 1e-9, -1e-9, 1e-7, -1e-7} {
				s := rng.Float64()
				pts = append(pts, writ.Point{Lat: a.Lat + s*(b.Lat-a.Lat) + d, Lon: a.Lon + s*(b.Lon-a.Lon)})
			}
			pts = append(pts, a)
		}
		for range 20 {
			lo, hi := poly.Bounds()
			pts = append(pts, writ.Point{Lat: lo.Lat + rng.Float64()*(hi.Lat-lo.Lat), Lon: lo.Lon + rng.Float64()*(hi.Lon-lo.Lon)})
		}
		var cols []string
		var args []any
		for _, p := range pts {
			k := len(args)
			cols = append(cols, fmt.Sprintf("writ_in_polygon(%s, %s, %s)", mark(k+1), mark(k+2), mark(k+3)))
			args = append(args, p.Lat, p.Lon, ringText(poly))
		}
		got := make([]bool, len(pts))
		dest := make([]any, len(pts))
		for i := range got {
			dest[i] = &got[i]
		}
		if err := f.db.Reader().QueryRowContext(f.ctx, "SELECT "+strings.Join(cols, ", "), args...).Scan(dest...); err != nil {
			t.Fatalf("writ_in_polygon: %v", err)
		}
		for i, p := range pts {
			if want := poly.Contains(p); got[i] != want {
				t.Errorf("polygon %d: writ_in_polygon(%v, %v) = %v, want %v (writ.Polygon.Contains)", n, p.Lat, p.Lon, got[i], want)
			}
		}
	}
}

// ringText writes a polygon as writ_in_polygon takes it: "((lon,lat),...)"
// with floats that parse back exactly.
func ringText(p writ.Polygon) string {
	var parts []string
	for _, q := range p {
		parts = append(parts, "("+strconv.FormatFloat(q.Lon, 'g', -1, 64)+","+strconv.FormatFloat(q.Lat, 'g', -1, 64)+")")
	}
	return "(" + strings.Join(parts, ",") + ")"
}
