package pingblock

import (
	"math"

	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"
)

// Level is the S2 level of the area keys: level-13 cells average about
// 1.27 km², the size of the area query (about 1 km² × 1 hour).
const Level = 13

// HourMs is the time bin of the area keys.
const HourMs = int64(3600_000)

// Hour returns the time bin (hours since the Unix epoch) of a unix-ms time.
func Hour(t int64) int64 {
	h := t / HourMs
	if t%HourMs < 0 {
		h--
	}
	return h
}

// Cell returns the level-Level S2 cell id holding a point, as the store's key.
func Cell(lat, lon float64) uint64 {
	return uint64(s2.CellIDFromLatLng(s2.LatLngFromDegrees(lat, lon)).Parent(Level))
}

// CellBox returns a bounding box of a cell, for clipping decisions.
func CellBox(cell uint64) Box {
	r := s2.CellFromCellID(s2.CellID(cell)).RectBound()
	return Box{MinLat: r.Lat.Lo * 180 / math.Pi, MaxLat: r.Lat.Hi * 180 / math.Pi,
		MinLon: r.Lng.Lo * 180 / math.Pi, MaxLon: r.Lng.Hi * 180 / math.Pi}
}

// covering returns the level-Level cells that cover region, sorted.
func covering(region s2.Region) []uint64 {
	rc := &s2.RegionCoverer{MinLevel: Level, MaxLevel: Level, MaxCells: math.MaxInt32}
	cu := rc.Covering(region)
	out := make([]uint64, len(cu))
	for i, c := range cu {
		out[i] = uint64(c)
	}
	return out
}

// CoverBox returns the level-Level cells covering a box, sorted.
func CoverBox(b Box) []uint64 {
	r := s2.RectFromLatLng(s2.LatLngFromDegrees(b.MinLat, b.MinLon)).
		AddPoint(s2.LatLngFromDegrees(b.MaxLat, b.MaxLon))
	return covering(r)
}

const earthRadiusM = 6371008.8

// CoverCircle returns the level-Level cells covering a circle (centre in
// degrees, radius in metres), sorted.
func CoverCircle(lat, lon, radiusM float64) []uint64 {
	c := s2.CapFromCenterAngle(s2.PointFromLatLng(s2.LatLngFromDegrees(lat, lon)),
		s1.Angle(radiusM/earthRadiusM))
	return covering(c)
}

// CoverPolygon returns the level-Level cells covering a simple polygon given
// as [lat, lon] vertices in either orientation (not closed: the last vertex
// joins the first), sorted.
func CoverPolygon(vertices [][2]float64) []uint64 {
	pts := make([]s2.Point, len(vertices))
	for i, v := range vertices {
		pts[i] = s2.PointFromLatLng(s2.LatLngFromDegrees(v[0], v[1]))
	}
	loop := s2.LoopFromPoints(pts)
	loop.Normalize() // a polygon smaller than a hemisphere, whatever the orientation
	return covering(s2.PolygonFromLoops([]*s2.Loop{loop}))
}

// Ranges merges sorted level-Level cells into runs of consecutive cell ids,
// as [first, last] pairs, so a store can query `cell BETWEEN first AND last`.
func Ranges(cells []uint64) [][2]uint64 {
	var out [][2]uint64
	for _, c := range cells {
		if k := len(out); k > 0 && s2.CellID(out[k-1][1]).Next() == s2.CellID(c) {
			out[k-1][1] = c
			continue
		}
		out = append(out, [2]uint64{c, c})
	}
	return out
}
