package geo

import (
	"math"
	"time"

	"github.com/writhq/writ"
)

// GeoJSON types (RFC 7946). Positions are [lon, lat], WGS84.

// Geometry is a GeoJSON geometry.
type Geometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

// Feature is a GeoJSON feature.
type Feature struct {
	Type       string         `json:"type"` // "Feature"
	Geometry   Geometry       `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

// FeatureCollection is a GeoJSON feature collection.
type FeatureCollection struct {
	Type     string    `json:"type"` // "FeatureCollection"
	Features []Feature `json:"features"`
}

// Collection wraps features in a collection (never a null array).
func Collection(fs ...Feature) FeatureCollection {
	if fs == nil {
		fs = []Feature{}
	}
	return FeatureCollection{Type: "FeatureCollection", Features: fs}
}

func pos(lat, lon float64) []float64 { return []float64{round7(lon), round7(lat)} }

// round7 keeps 7 decimals (about 1 cm), as RFC 7946 §11.2 suggests trimming.
func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func rfc(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

// TrajectoryFeature is a LineString, or a MultiLineString when gaps split
// the trajectory. A one-fix segment is drawn as a zero-length line so
// every segment stays visible.
func TrajectoryFeature(device string, tr Trajectory) Feature {
	var lines [][][]float64
	for _, seg := range tr.Segments {
		var l [][]float64
		for _, f := range seg {
			l = append(l, pos(f.Lat, f.Lon))
		}
		if len(l) == 1 {
			l = append(l, l[0])
		}
		if len(l) > 0 {
			lines = append(lines, l)
		}
	}
	gaps := make([]map[string]string, len(tr.Gaps))
	for i, g := range tr.Gaps {
		gaps[i] = map[string]string{"from": rfc(g.From), "to": rfc(g.To)}
	}
	props := map[string]any{"device": device, "fixes": tr.Fixes, "gaps": gaps}
	if len(lines) == 1 {
		return Feature{Type: "Feature", Geometry: Geometry{"LineString", lines[0]}, Properties: props}
	}
	if lines == nil {
		lines = [][][]float64{}
	}
	return Feature{Type: "Feature", Geometry: Geometry{"MultiLineString", lines}, Properties: props}
}

// StayFeatures are Points with start, end, duration and fix count.
func StayFeatures(stays []Stay, labels []int) []Feature {
	out := make([]Feature, len(stays))
	for i, s := range stays {
		p := map[string]any{"kind": "stay", "start": rfc(s.Start), "end": rfc(s.End),
			"duration_s": s.End - s.Start, "fixes": s.N}
		if labels != nil {
			p["place"] = labels[i]
		}
		out[i] = Feature{Type: "Feature", Geometry: Geometry{"Point", pos(s.Lat, s.Lon)}, Properties: p}
	}
	return out
}

// PlaceFeatures are Points with dwell, stays and days; home and work (may
// be nil) are marked with their confidence.
func PlaceFeatures(places []Place, home, work *Anchor) []Feature {
	out := make([]Feature, len(places))
	for i, pl := range places {
		p := map[string]any{"kind": "place", "place": pl.ID, "dwell_s": int64(pl.Dwell / time.Second),
			"stays": len(pl.Stays), "days": pl.Days}
		for _, a := range []struct {
			name string
			a    *Anchor
		}{{"home", home}, {"work", work}} {
			if a.a != nil && a.a.Place == i {
				p["anchor"] = a.name
				p["confidence"] = math.Round(a.a.Confidence*1000) / 1000
			}
		}
		out[i] = Feature{Type: "Feature", Geometry: Geometry{"Point", pos(pl.Lat, pl.Lon)}, Properties: p}
	}
	return out
}

// AreaFeature is a Polygon: the polygon itself, or a circle as a 64-gon.
// The exterior ring is closed and counterclockwise (RFC 7946 §3.1.6).
func AreaFeature(a Area, props map[string]any) Feature {
	var ring writ.Polygon
	switch a := a.(type) {
	case *Poly:
		ring = append(ring, a.P...)
	case Circle:
		p := newProj(a.Center.Lat)
		cx, cy := p.xy(a.Center.Lat, a.Center.Lon)
		for i := range 64 {
			th := 2 * math.Pi * float64(i) / 64
			lat, lon := p.latlon(cx+a.RadiusM*math.Cos(th), cy+a.RadiusM*math.Sin(th))
			ring = append(ring, writ.Point{Lat: lat, Lon: lon})
		}
	default:
		lo, hi := a.Bounds()
		ring = writ.Polygon{lo, {Lat: lo.Lat, Lon: hi.Lon}, hi, {Lat: hi.Lat, Lon: lo.Lon}}
	}
	if signedArea(ring) < 0 {
		for i, j := 0, len(ring)-1; i < j; i, j = i+1, j-1 {
			ring[i], ring[j] = ring[j], ring[i]
		}
	}
	coords := make([][]float64, 0, len(ring)+1)
	for _, q := range ring {
		coords = append(coords, pos(q.Lat, q.Lon))
	}
	if len(ring) > 0 && ring[0] != ring[len(ring)-1] {
		coords = append(coords, pos(ring[0].Lat, ring[0].Lon))
	}
	if props == nil {
		props = map[string]any{}
	}
	return Feature{Type: "Feature", Geometry: Geometry{"Polygon", [][][]float64{coords}}, Properties: props}
}

// signedArea is positive for a counterclockwise ring in (lon, lat).
func signedArea(r writ.Polygon) float64 {
	var s float64
	for i := range r {
		a, b := r[i], r[(i+1)%len(r)]
		s += a.Lon*b.Lat - b.Lon*a.Lat
	}
	return s / 2
}
