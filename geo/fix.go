package geo

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/writhq/writ"
)

// Fix is one device position: the small form the analytics work on (24
// bytes of payload against writ.Ping's provenance strings).
type Fix struct {
	T        int64   // unix seconds
	Lat, Lon float64 // WGS84 degrees
	Acc      float32 // accuracy radius in metres; 0: unknown
}

// Time is the fix time in UTC.
func (f Fix) Time() time.Time { return time.Unix(f.T, 0).UTC() }

// Track is one device's fixes in time order.
type Track struct {
	Device string
	Fixes  []Fix
}

// Fixes converts pings to fixes grouped by device, each track sorted by
// time (fixes of one time in the pings' order); tracks are sorted by
// device so results are deterministic.
func Fixes(pings []writ.Ping) []Track {
	var b TrackBuilder
	for i := range pings {
		p := &pings[i]
		b.add(p.Device, Fix{T: p.At.Unix(), Lat: p.Lat, Lon: p.Lon, Acc: float32(p.AccuracyM)}, int64(i))
	}
	return b.Tracks()
}

// TrackBuilder makes tracks of pings read without their provenance
// (writ.EventStore.PingFixes), passed to Add one at a time in any order:
// Tracks gives what Fixes gives of the same pings in id order (the
// store's), fixes of one time in the order of their ids. The fixes it
// keeps hold no pointers, so a month of a device costs the collector
// nothing to keep.
type TrackBuilder struct {
	by   map[string][]fixID
	last string
	cur  []fixID // by[last], until another device comes
}

type fixID struct {
	Fix
	seq int64 // orders fixes of one time: a ping's id, or its index
}

// Add takes one ping.
func (b *TrackBuilder) Add(p *writ.NearPing) {
	b.add(p.Device, Fix{T: p.At.Unix(), Lat: p.Lat, Lon: p.Lon, Acc: float32(p.AccuracyM)}, p.ID)
}

// add takes device's fix f; seq orders it among fixes of the same time.
func (b *TrackBuilder) add(device string, f Fix, seq int64) {
	if b.by == nil {
		b.by = map[string][]fixID{}
	}
	if device != b.last || b.cur == nil {
		if b.cur != nil {
			b.by[b.last] = b.cur
		}
		b.last, b.cur = device, b.by[device]
	}
	b.cur = append(b.cur, fixID{f, seq})
}

// Tracks returns the tracks of the pings added, by device.
func (b *TrackBuilder) Tracks() []Track {
	if b.cur != nil {
		b.by[b.last] = b.cur
		b.cur = nil
	}
	tracks := make([]Track, 0, len(b.by))
	for d, fs := range b.by {
		slices.SortFunc(fs, func(a, b fixID) int { return cmp.Or(cmp.Compare(a.T, b.T), cmp.Compare(a.seq, b.seq)) })
		out := make([]Fix, len(fs))
		for i := range fs {
			out[i] = fs[i].Fix
		}
		tracks = append(tracks, Track{Device: d, Fixes: out})
	}
	slices.SortFunc(tracks, func(a, b Track) int { return cmp.Compare(a.Device, b.Device) })
	return tracks
}

// Window returns the sub-slice of time-sorted fixes with from <= T < to; a
// zero bound is open.
func Window(fs []Fix, from, to time.Time) []Fix {
	lo, hi := 0, len(fs)
	if !from.IsZero() {
		f := from.Unix()
		lo, _ = slices.BinarySearchFunc(fs, f, func(x Fix, t int64) int { return cmp.Compare(x.T, t) })
	}
	if !to.IsZero() {
		t := to.Unix()
		hi, _ = slices.BinarySearchFunc(fs, t, func(x Fix, t int64) int { return cmp.Compare(x.T, t) })
	}
	if hi < lo {
		return nil
	}
	return fs[lo:hi]
}

// Accurate returns the fixes whose accuracy is known and at most maxM, or
// all fixes when maxM <= 0. Cell-tower fixes (hundreds of metres) would
// otherwise break stays and invent co-locations.
func Accurate(fs []Fix, maxM float64) []Fix {
	if maxM <= 0 {
		return fs
	}
	out := make([]Fix, 0, len(fs))
	for _, f := range fs {
		if f.Acc <= 0 || float64(f.Acc) <= maxM {
			out = append(out, f)
		}
	}
	return out
}

const earthRadius = 6371008.8 // mean radius, metres

// Haversine is the great-circle distance in metres.
func Haversine(lat1, lon1, lat2, lon2 float64) float64 {
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(a)))
}

// Distance is the distance in metres on a local equirectangular projection:
// cheap, and within 0.1% of Haversine below a few kilometres.
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	return math.Sqrt(dist2(lat1, lon1, lat2, lon2))
}

const mPerDeg = earthRadius * math.Pi / 180

func dist2(lat1, lon1, lat2, lon2 float64) float64 {
	k := math.Cos((lat1 + lat2) * math.Pi / 360)
	dy := (lat2 - lat1) * mPerDeg
	dx := (lon2 - lon1) * mPerDeg * k
	return dx*dx + dy*dy
}

// proj maps degrees to metres around a reference latitude.
type proj struct{ lat0, kx float64 }

func newProj(lat0 float64) proj { return proj{lat0, mPerDeg * math.Cos(lat0*math.Pi/180)} }

func (p proj) xy(lat, lon float64) (x, y float64) { return lon * p.kx, (lat - p.lat0) * mPerDeg }

func (p proj) latlon(x, y float64) (lat, lon float64) { return y/mPerDeg + p.lat0, x / p.kx }
