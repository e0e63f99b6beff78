package location

import (
	"math"
	"time"

	"github.com/writhq/writ/geo"
)

// piece is one area search along a target's track: a box and a window that
// hold every ping within the radius and time of the piece's fixes.
type piece struct {
	minLat, minLon, maxLat, maxLon float64
	from, to                       int64 // unix seconds
}

// pieces cuts a time-sorted track into runs of fixes, each to be looked up
// with one area search: the run's bounding box grown by radiusM, over its
// time span grown by within on each side. A run ends before the fix that
// would make box area (km²) × window (hours) exceed budget, so a device at
// rest for hours costs one search and a device on the move a few per trip.
// A lone fix is always a piece of its own. maxSpan, if not zero, also
// ends a run before its fixes would span more than maxSpan.
func pieces(fs []geo.Fix, radiusM float64, within time.Duration, budget float64, maxSpan time.Duration) []piece {
	var out []piece
	// A little over the radius, so rounding of the projection never loses
	// a ping at the edge.
	r := radiusM * 1.02
	w := int64(within / time.Second)
	grow := func(p piece) piece {
		dlat := r / metresPerDegLat
		dlon := r / (metresPerDegLat * math.Cos((p.minLat+p.maxLat)/2*math.Pi/180))
		return piece{p.minLat - dlat, p.minLon - dlon, p.maxLat + dlat, p.maxLon + dlon, p.from - w, p.to + w}
	}
	cost := func(p piece) float64 {
		g := grow(p)
		mlon := metresPerDegLat * math.Cos((g.minLat+g.maxLat)/2*math.Pi/180)
		km2 := (g.maxLat - g.minLat) * metresPerDegLat * (g.maxLon - g.minLon) * mlon / 1e6
		return km2 * float64(g.to-g.from) / 3600
	}
	var cur piece
	open := false
	for _, f := range fs {
		next := piece{f.Lat, f.Lon, f.Lat, f.Lon, f.T, f.T}
		if open {
			ext := piece{math.Min(cur.minLat, f.Lat), math.Min(cur.minLon, f.Lon), math.Max(cur.maxLat, f.Lat),
				math.Max(cur.maxLon, f.Lon), cur.from, f.T}
			if cost(ext) <= budget && (maxSpan <= 0 || f.T-cur.from <= int64(maxSpan/time.Second)) {
				cur = ext
				continue
			}
			out = append(out, grow(cur))
		}
		cur, open = next, true
	}
	if open {
		out = append(out, grow(cur))
	}
	return out
}
