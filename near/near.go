// Package near tests points against a track for co-location: is a point
// within a radius and a time of one of the track's probes (a
// writ.NearQuery)? It is the one near test of writ: the stores use it to
// pick the pings they pass (sqlstore's PingsNear) and geo uses it on tracks,
// so what a store passes is exactly what geo would count.
//
// Distance is measured on an equirectangular projection at the probe's
// latitude (Earth radius 6,371,008.8 m), within 0.01% of the great circle at
// the radii co-location uses (MaxNearRadiusM at most).
package near

import (
	"cmp"
	"math"
	"slices"

	"github.com/writhq/writ"
)

// MetresPerDeg is a degree of latitude on the sphere of radius 6,371,008.8 m.
const MetresPerDeg = 6371008.8 * math.Pi / 180

type probe struct {
	lat, lon float64
	cos      float64 // of the latitude: metres per degree of longitude / MetresPerDeg
	us       int64
	index    int // in the query's Probes
}

// Matcher tests points against a query's probes, sorted by time and kept in
// time bins of width Within: a point near a probe lies in the probe's bin
// or a neighbour. Each bin keeps the box of its probes grown by the radius,
// which turns most points away before any distance is computed. A Matcher
// is read-only once made: goroutines may share it.
type Matcher struct {
	probes  []probe
	w       int64   // µs
	bw      int64   // µs, a bin's width: w, or wider over a long sparse track
	inv     float64 // 1/bw: Near finds a bin by multiplying (a division per point cost a tenth of it)
	t0      int64   // µs, the first bin's start
	bins    [][2]int32
	boxes   []box // per bin; minLat > maxLat: empty
	wide    []box // per bin, the union of its box and its neighbours'
	discs   []disc
	r2      float64
	radius  float64
	exclude string
	maxAcc  float64
	lo, hi  int64 // µs: the first probe - w, the last + w
}

type box struct{ minLat, minLon, maxLat, maxLon float64 }

// disc is a bin's probes seen from the centre of their box: a point whose
// distance from the centre (at the centre's latitude) exceeds reach is
// farther than the radius from every probe of the bin. reach = the
// farthest probe from the centre + radius/k, where k, the least ratio of a
// probe's cosine to the centre's (at most 1), bounds how much shorter a
// probe's own metric makes a distance. A point in a bin's box but out of
// its disc (a neighbour's house, beside a stationary target) costs one
// distance, not one per probe of the bin.
type disc struct {
	lat, lon, cos float64
	reach2        float64 // m²; +Inf: no disc (near the antimeridian)
}

// maxBins bounds the time bins: a year of probes a second apart would
// otherwise take 31M.
const maxBins = 1 << 22

// New makes the matcher of q, which must have passed q.Check; nil if q has
// no probes.
func New(q writ.NearQuery) *Matcher {
	if len(q.Probes) == 0 {
		return nil
	}
	m := &Matcher{w: q.Within.Microseconds(), r2: q.RadiusM * q.RadiusM, radius: q.RadiusM, exclude: q.Exclude, maxAcc: q.MaxAccM}
	m.probes = make([]probe, len(q.Probes))
	for i, p := range q.Probes {
		m.probes[i] = probe{lat: p.Lat, lon: p.Lon, cos: math.Cos(p.Lat * math.Pi / 180), us: p.At.UnixMicro(), index: i}
	}
	// Stable: among probes of one time, the first in q comes first.
	slices.SortStableFunc(m.probes, func(a, b probe) int { return cmp.Compare(a.us, b.us) })
	first, last := m.probes[0].us, m.probes[len(m.probes)-1].us
	m.lo, m.hi = first-m.w, last+m.w
	m.t0 = m.lo
	m.bw = max(m.w, (m.hi-m.t0)/maxBins+1)
	m.inv = 1 / float64(m.bw)
	nb := (m.hi-m.t0)/m.bw + 1
	m.bins = make([][2]int32, nb)
	m.boxes = make([]box, nb)
	for i := range m.bins {
		m.bins[i] = [2]int32{-1, -1}
		m.boxes[i] = box{minLat: 1, maxLat: -1}
	}
	dlat := q.RadiusM / MetresPerDeg
	for i, p := range m.probes {
		b := (p.us - m.t0) / m.bw
		if m.bins[b][0] < 0 {
			m.bins[b][0] = int32(i)
		}
		m.bins[b][1] = int32(i + 1)
		dlon := 360.0 // near a pole, any longitude
		if p.cos > dlat/90 {
			dlon = min(360, q.RadiusM/(MetresPerDeg*p.cos))
		}
		bx := &m.boxes[b]
		if bx.minLat > bx.maxLat {
			*bx = box{minLat: p.lat - dlat, maxLat: p.lat + dlat, minLon: p.lon - dlon, maxLon: p.lon + dlon}
		} else {
			bx.minLat, bx.maxLat = min(bx.minLat, p.lat-dlat), max(bx.maxLat, p.lat+dlat)
			bx.minLon, bx.maxLon = min(bx.minLon, p.lon-dlon), max(bx.maxLon, p.lon+dlon)
		}
	}
	m.discs = make([]disc, nb)
	for b, r := range m.bins {
		if r[0] < 0 {
			continue
		}
		// Any centre will do (reach is measured from it): the bin box's.
		ps, bx := m.probes[r[0]:r[1]], &m.boxes[b]
		d := disc{lat: (bx.minLat + bx.maxLat) / 2, lon: (bx.minLon + bx.maxLon) / 2, reach2: math.Inf(1)}
		d.cos = math.Cos(d.lat * math.Pi / 180)
		if bx.minLon > -180 && bx.maxLon < 180 && d.cos > 0.01 {
			var far2 float64
			k := 1.0
			for _, p := range ps {
				dy, dx := p.lat-d.lat, (p.lon-d.lon)*d.cos
				far2 = max(far2, dy*dy+dx*dx)
				k = min(k, p.cos/d.cos)
			}
			// A centimetre more, for rounding.
			reach := math.Sqrt(far2)*MetresPerDeg + q.RadiusM/k + 0.01
			d.reach2 = reach * reach
		}
		m.discs[b] = d
	}
	m.wide = make([]box, nb)
	for b := range m.wide {
		w := box{minLat: 1, maxLat: -1}
		for _, bx := range m.boxes[max(b-1, 0):min(b+2, len(m.boxes))] {
			switch {
			case bx.minLat > bx.maxLat:
			case w.minLat > w.maxLat:
				w = bx
			default:
				w = box{min(w.minLat, bx.minLat), min(w.minLon, bx.minLon), max(w.maxLat, bx.maxLat), max(w.maxLon, bx.maxLon)}
			}
		}
		m.wide[b] = w
	}
	return m
}

// Span is the time a point must lie in to be near any probe: from the first
// probe less Within to the last plus Within, in unix µs, both included.
func (m *Matcher) Span() (lo, hi int64) { return m.lo, m.hi }

// Match reports whether a point of device dev, with accuracy acc (metres;
// 0: unknown) at unix µs us, is one the query asks for, and if so the
// probe it is near: the first in time order (then in the query's order)
// within the radius and Within, as an index into the query's Probes.
func (m *Matcher) Match(dev string, lat, lon, acc float64, us int64) (int, bool) {
	if !m.Wants(dev, acc) {
		return 0, false
	}
	return m.Near(lat, lon, us)
}

// Wants is Match on the device and the accuracy alone: a store that has
// the probe from Near already asks only this.
func (m *Matcher) Wants(dev string, acc float64) bool {
	return dev != m.exclude && (m.maxAcc <= 0 || acc <= m.maxAcc)
}

// Near is Match on time and position alone, whatever the device and the
// accuracy: a store asks it before it decodes those (pingblock.Clip.Keep).
func (m *Matcher) Near(lat, lon float64, us int64) (int, bool) {
	if us < m.lo || us > m.hi {
		return 0, false
	}
	// b = (us - t0) / bw, through the reciprocal; the product is at most
	// one off, which the correction mends.
	d := us - m.t0
	b := int64(float64(d) * m.inv)
	if b*m.bw > d {
		b--
	} else if (b+1)*m.bw <= d {
		b++
	}
	// Most points lie outside all three bins' boxes: one test for those.
	if wb := &m.wide[b]; lat < wb.minLat || lat > wb.maxLat || !lonIn(lon, wb.minLon, wb.maxLon) {
		return 0, false
	}
	from, to := us-m.w, us+m.w
	for bb := max(b-1, 0); bb <= min(b+1, int64(len(m.bins))-1); bb++ {
		bx := &m.boxes[bb]
		if lat < bx.minLat || lat > bx.maxLat || !lonIn(lon, bx.minLon, bx.maxLon) {
			continue
		}
		if dc := &m.discs[bb]; dc.reach2 < math.MaxFloat64 {
			dy, dx := (lat-dc.lat)*MetresPerDeg, (lon-dc.lon)*dc.cos*MetresPerDeg
			if dy*dy+dx*dx > dc.reach2 {
				continue
			}
		}
		// The bin's first probe at or after from, by bisection: a bin of
		// a busy track holds a probe a minute.
		i, end := m.bins[bb][0], m.bins[bb][1]
		for lo, hi := i, end; lo < hi; {
			if mid := int32(uint32(lo+hi) >> 1); m.probes[mid].us < from {
				lo, i = mid+1, mid+1
			} else {
				hi = mid
			}
		}
		for ; i < end; i++ {
			p := &m.probes[i]
			if p.us > to {
				return 0, false // and every probe after it
			}
			dy := (lat - p.lat) * MetresPerDeg
			dlon := lon - p.lon
			if dlon > 180 {
				dlon -= 360
			} else if dlon < -180 {
				dlon += 360
			}
			dx := dlon * p.cos * MetresPerDeg
			if dx*dx+dy*dy <= m.r2 {
				return p.index, true
			}
		}
	}
	return 0, false
}

// PadDeg is how far (1e-5°, about a metre) Overlaps and Window grow a
// block's box, and a millisecond its span, for blocks whose header is
// rounded; a store that tests extents before asking them pads as much.
const PadDeg = 1e-5

// Overlaps reports whether a block of points (its span in unix ms,
// inclusive, and its box in degrees) may hold a point near a probe: whether
// the box meets the box, grown by the radius, of a probe within Within of
// the span. It asks each bin's box first, and the bin's probes only when
// that meets the block: a moving target's bin box spans its whole trip of
// Within, where its probes, a minute apart, pass only part of it (a fifth
// fewer blocks fetched around bench/location's target, docs/location-bench.md).
// It pads the block by a millisecond and 1e-5° (a metre), for blocks whose
// header is rounded.
func (m *Matcher) Overlaps(minMs, maxMs int64, minLat, minLon, maxLat, maxLon float64) bool {
	_, _, ok := m.probesNear(minMs, maxMs, minLat, minLon, maxLat, maxLon, false)
	return ok
}

// Window is Overlaps that also says when: the span (unix ms, inclusive) in
// which a point of the block may be near a probe, from the first probe
// whose box meets the block's, less Within, to the last, plus Within. A
// block the target drives past is near for a few minutes of its hour.
func (m *Matcher) Window(minMs, maxMs int64, minLat, minLon, maxLat, maxLon float64) (fromMs, toMs int64, ok bool) {
	lo, hi, ok := m.probesNear(minMs, maxMs, minLat, minLon, maxLat, maxLon, true)
	if !ok {
		return 0, 0, false
	}
	if lo == math.MinInt64 { // across the antimeridian: the block's span
		return minMs, maxMs, true
	}
	return floorMs(lo - m.w), ceilMs(hi + m.w), true
}

// probesNear finds the probes within Within of a block's span whose box,
// grown by the radius, meets the block's box (both padded, see Overlaps):
// the first and last one's time (unix µs), or, with all false, any one.
// lo is math.MinInt64 when it cannot tell (across the antimeridian).
func (m *Matcher) probesNear(minMs, maxMs int64, minLat, minLon, maxLat, maxLon float64, all bool) (lo, hi int64, ok bool) {
	from, to := minMs*1000-1000, maxMs*1000+1000
	if to < m.lo || from > m.hi {
		return 0, 0, false
	}
	const pad = PadDeg
	minLat, minLon, maxLat, maxLon = minLat-pad, minLon-pad, maxLat+pad, maxLon+pad
	dlat := m.radius / MetresPerDeg
	nb := int64(len(m.bins))
	for bb := max((from-m.t0)/m.bw-1, 0); bb <= min((to-m.t0)/m.bw+1, nb-1); bb++ {
		bx := &m.boxes[bb]
		if bx.minLat > bx.maxLat {
			continue
		}
		if bx.minLon < -180 || bx.maxLon > 180 { // across the antimeridian: do not try
			return math.MinInt64, 0, true
		}
		if maxLat < bx.minLat || minLat > bx.maxLat || maxLon < bx.minLon || minLon > bx.maxLon {
			continue
		}
		for _, p := range m.probes[m.bins[bb][0]:m.bins[bb][1]] {
			if p.us < from-m.w || p.us > to+m.w {
				continue
			}
			dlon := 360.0 // near a pole, any longitude
			if p.cos > dlat/90 {
				dlon = min(360, m.radius/(MetresPerDeg*p.cos))
			}
			if maxLat >= p.lat-dlat && minLat <= p.lat+dlat && maxLon >= p.lon-dlon && minLon <= p.lon+dlon {
				if !all {
					return p.us, p.us, true
				}
				if !ok {
					lo, ok = p.us, true
				}
				hi = p.us // probes are in time order, bins too
			}
		}
	}
	return lo, hi, ok
}

// floorMs and ceilMs round unix µs down and up to unix ms.
func floorMs(us int64) int64 {
	if us < 0 && us%1000 != 0 {
		return us/1000 - 1
	}
	return us / 1000
}

func ceilMs(us int64) int64 { return -floorMs(-us) }

// lonIn reports whether lon lies in [lo, hi], a range that may run past
// ±180 (a box grown across the antimeridian).
func lonIn(lon, lo, hi float64) bool {
	return (lon >= lo && lon <= hi) || (lon+360 >= lo && lon+360 <= hi) || (lon-360 >= lo && lon-360 <= hi)
}

// Piece is a run of consecutive probes, as one box and window, grown by the
// radius and Within: a store reads the blocks under each piece.
type Piece struct {
	MinLat, MinLon, MaxLat, MaxLon float64 // degrees; longitudes may run past ±180
	FromUs, ToUs                   int64   // unix µs, inclusive
}

// pieceDeg bounds a piece's box before it is grown: about one level-13 S2
// cell, so a piece reads a few cells and a long trip many small pieces.
const pieceDeg = 0.01

// Pieces cuts the track into runs whose box stays within pieceDeg on each
// side; a probe that would take the box past it starts the next run.
func (m *Matcher) Pieces() []Piece {
	var out []Piece
	dlat := m.radius / MetresPerDeg
	var cur Piece
	var c float64 // the smallest cos of the run's latitudes
	grow := func() {
		dlon := 360.0
		if c > dlat/90 {
			dlon = min(360, m.radius/(MetresPerDeg*c))
		}
		out = append(out, Piece{cur.MinLat - dlat, cur.MinLon - dlon, cur.MaxLat + dlat, cur.MaxLon + dlon,
			cur.FromUs - m.w, cur.ToUs + m.w})
	}
	for i, p := range m.probes {
		if i > 0 {
			lat0, lat1 := min(cur.MinLat, p.lat), max(cur.MaxLat, p.lat)
			lon0, lon1 := min(cur.MinLon, p.lon), max(cur.MaxLon, p.lon)
			if lat1-lat0 <= pieceDeg && lon1-lon0 <= pieceDeg/max(c, 0.01) {
				cur.MinLat, cur.MaxLat, cur.MinLon, cur.MaxLon, cur.ToUs = lat0, lat1, lon0, lon1, p.us
				c = min(c, p.cos)
				continue
			}
			grow()
		}
		cur = Piece{p.lat, p.lon, p.lat, p.lon, p.us, p.us}
		c = p.cos
	}
	grow()
	return out
}
