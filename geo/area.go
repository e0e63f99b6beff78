package geo

import (
	"cmp"
	"math"
	"slices"

	"github.com/writhq/writ"
)

// Area is a region fixes can fall in. Bounds is a box that contains it,
// checked first so most fixes never reach the exact test.
type Area interface {
	Bounds() (min, max writ.Point)
	Contains(lat, lon float64) bool
}

// Circle is a disc of RadiusM metres around a centre.
type Circle struct {
	Center  writ.Point
	RadiusM float64
}

// Bounds is the circle's bounding box.
func (c Circle) Bounds() (min, max writ.Point) {
	dlat := c.RadiusM / mPerDeg
	dlon := c.RadiusM / (mPerDeg * math.Max(1e-9, math.Cos(c.Center.Lat*math.Pi/180)))
	return writ.Point{Lat: c.Center.Lat - dlat, Lon: c.Center.Lon - dlon},
		writ.Point{Lat: c.Center.Lat + dlat, Lon: c.Center.Lon + dlon}
}

// Contains reports whether (lat, lon) is within RadiusM of the centre.
func (c Circle) Contains(lat, lon float64) bool {
	return Haversine(c.Center.Lat, c.Center.Lon, lat, lon) <= c.RadiusM
}

// Poly is a polygon area with its bounding box computed once.
type Poly struct {
	P        writ.Polygon
	min, max writ.Point
}

// NewPoly prepares a polygon (an authority's area) for membership tests.
func NewPoly(p writ.Polygon) *Poly {
	lo, hi := p.Bounds()
	return &Poly{P: p, min: lo, max: hi}
}

// Bounds is the polygon's bounding box.
func (p *Poly) Bounds() (min, max writ.Point) { return p.min, p.max }

// Contains reports whether (lat, lon) is inside the polygon.
func (p *Poly) Contains(lat, lon float64) bool {
	return inBox(p.min, p.max, lat, lon) && p.P.Contains(writ.Point{Lat: lat, Lon: lon})
}

func inBox(lo, hi writ.Point, lat, lon float64) bool {
	return lat >= lo.Lat && lat <= hi.Lat && lon >= lo.Lon && lon <= hi.Lon
}

// In reports whether a fix is in the area, trying the bounding box first.
func In(a Area, lat, lon float64) bool {
	lo, hi := a.Bounds()
	return inBox(lo, hi, lat, lon) && a.Contains(lat, lon)
}

// AreaWindow is an area during a time window [From, To) in unix seconds.
type AreaWindow struct {
	Area     Area
	From, To int64
}

// Hits returns the fixes of one device inside an area window.
func (aw AreaWindow) Hits(fs []Fix) []Fix {
	lo, hi := aw.Area.Bounds()
	var out []Fix
	for _, f := range fs {
		if f.T >= aw.From && f.T < aw.To && inBox(lo, hi, f.Lat, f.Lon) && aw.Area.Contains(f.Lat, f.Lon) {
			out = append(out, f)
		}
	}
	return out
}

// DevicesIn lists the devices with at least one fix inside the area window,
// in the order of tracks.
func DevicesIn(tracks []Track, aw AreaWindow) []string {
	lo, hi := aw.Area.Bounds()
	var out []string
	for _, tr := range tracks {
		for _, f := range tr.Fixes {
			if f.T >= aw.From && f.T < aw.To && inBox(lo, hi, f.Lat, f.Lon) && aw.Area.Contains(f.Lat, f.Lon) {
				out = append(out, tr.Device)
				break
			}
		}
	}
	return out
}

// SeenAt answers "devices seen at several places": the devices with a fix
// in at least minHits of the area windows (minHits <= 0: all of them), with
// how many they were seen in, most first.
func SeenAt(tracks []Track, aws []AreaWindow, minHits int) []Seen {
	if minHits <= 0 || minHits > len(aws) {
		minHits = len(aws)
	}
	var out []Seen
	for _, tr := range tracks {
		var hit []int
		for i, aw := range aws {
			if len(DevicesIn([]Track{tr}, aw)) > 0 {
				hit = append(hit, i)
			}
		}
		if len(hit) >= minHits && len(hit) > 0 {
			out = append(out, Seen{Device: tr.Device, Windows: hit})
		}
	}
	sortSeen(out)
	return out
}

// Seen is a device and the area windows (indices) it was seen in.
type Seen struct {
	Device  string
	Windows []int
}

func sortSeen(s []Seen) {
	slices.SortStableFunc(s, func(a, b Seen) int {
		if c := cmp.Compare(len(b.Windows), len(a.Windows)); c != 0 {
			return c
		}
		return cmp.Compare(a.Device, b.Device)
	})
}
