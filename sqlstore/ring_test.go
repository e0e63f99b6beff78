package sqlstore_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
)

// TestRingRoundTrip checks that the ring text the store writes parses back to
// exactly the same coordinates, so the area test in SQL sees the grant's
// area and not a rounded copy of it.
func TestRingRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	odd := []float64{0, math.Copysign(0, -1), 1e-300, -1e-7, 0.1 + 0.2, 180, -180, 90, -90, math.Nextafter(40, 41)}
	for n := range 200 {
		p := make(writ.Polygon, 3+rng.IntN(10))
		for i := range p {
			p[i] = writ.Point{Lat: rng.Float64()*180 - 90, Lon: rng.Float64()*360 - 180}
			if rng.IntN(4) == 0 {
				p[i].Lat = odd[rng.IntN(len(odd))]
			}
		}
		s := sqlstore.Ring(p)
		got, err := sqlite.ParseRing(s)
		if err != nil || !slices.Equal(got, p) {
			t.Fatalf("%d: ParseRing(Ring(%v)) = %v, %v", n, p, got, err)
		}
	}
}
