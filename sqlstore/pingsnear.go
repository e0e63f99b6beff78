package sqlstore

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"

	"github.com/writhq/writ"
	"github.com/writhq/writ/pingblock"
)

// PingsNear passes to each the pings the grant lets Pings return that lie
// within q.RadiusM and q.Within of one of q's probes, the candidates of a
// co-location, and returns how many it passed. Distance is measured on an
// equirectangular projection at the probe's latitude (Earth radius
// 6,371,008.8 m), which is within 0.01% of the great circle at these radii.
//
// Under a grant naming devices it reads those devices' blocks over the
// probes' span. Under an area grant it reads only the (hour, cell) blocks
// around the probes: the track is cut into pieces of about one cell, and
// each piece reads the cells covering its box, grown by the radius, for the
// hours its window, grown by q.Within, touches. Every ping is clipped to the
// grant as Pings clips it, then tested against the probes before it is
// built into a writ.Ping. The pings come block by block, in no set order,
// and are not kept: a co-location at 100M pings passes 760,000 of them,
// and collecting them in one slice cost more than reading them.
// More than writ.MaxNearRows is refused (after that many have been passed).
func (db *DB) PingsNear(ctx context.Context, g *writ.Grant, q writ.NearQuery, each func(*writ.Ping) error) (int, error) {
	if err := g.Check(writ.CatLocation); err != nil {
		return 0, err
	}
	if err := q.Check(); err != nil {
		return 0, err
	}
	values, from, to, _, ok := g.Clip(writ.EventQuery{})
	area := g.Area()
	m := newNearMatch(q)
	if !ok || m == nil || (len(values) == 0 && len(area) == 0) {
		return 0, nil
	}
	fromUs, toUs := max(ceilMicros(from), m.lo), min(ceilMicros(to), m.hi+1)
	if fromUs >= toUs {
		return 0, nil
	}
	r := &pingRead{db: db, fromUs: fromUs, toUs: toUs, area: area, keep: m.near, overlaps: m.overlaps}
	var buf []writ.Ping
	n := 0
	// Every block is wanted, so there is no paging: the blocks go to
	// batch grouped by first batch, as it needs, and on to each.
	emit := func(refs []blockRef, _ int64) (bool, error) {
		for group := range byFirstBatch(refs) {
			var err error
			if buf, err = r.batch(ctx, buf[:0], group); err != nil {
				return true, err
			}
			for i := range buf {
				if n == writ.MaxNearRows {
					return true, writ.Errorf(writ.EInvalid, "more than %d pings lie near the track; narrow the radius, the time or the window", writ.MaxNearRows)
				}
				n++
				if err := each(&buf[i]); err != nil {
					return true, err
				}
			}
		}
		return false, nil
	}
	var err error
	if len(values) > 0 {
		err = db.deviceBlocks(ctx, values, fromUs, toUs, 0, emit)
	} else {
		err = db.nearCellBlocks(ctx, m, area, fromUs, toUs, emit)
	}
	if err != nil {
		return n, db.wrap(err)
	}
	return n, nil
}

// nearCellBlocks reads the (hour, cell) blocks around m's probes, each
// block once.
func (db *DB) nearCellBlocks(ctx context.Context, m *nearMatch, area writ.Polygon, fromUs, toUs int64, emit emitFunc) error {
	alo, ahi := area.Bounds()
	const eps = 1e-7 // as in cellBlocks: a point on the edge is never lost
	perHour := map[int64][][2]int64{}
	for _, pc := range m.pieces() {
		if pc.minLon < -180 || pc.maxLon > 180 { // across the antimeridian: every longitude
			pc.minLon, pc.maxLon = -180, 180
		}
		box := pingblock.Box{MinLat: max(pc.minLat, alo.Lat) - eps, MinLon: max(pc.minLon, alo.Lon) - eps,
			MaxLat: min(pc.maxLat, ahi.Lat) + eps, MaxLon: min(pc.maxLon, ahi.Lon) + eps}
		lo, hi := max(pc.fromUs, fromUs), min(pc.toUs, toUs-1)
		if box.MinLat > box.MaxLat || box.MinLon > box.MaxLon || lo > hi {
			continue
		}
		box.MinLat, box.MaxLat = max(box.MinLat, -90), min(box.MaxLat, 90)
		box.MinLon, box.MaxLon = max(box.MinLon, -180), min(box.MaxLon, 180)
		ranges := pingblock.Ranges(pingblock.CoverBox(box))
		for h := floorDiv(lo, usPerHour); h <= floorDiv(hi, usPerHour); h++ {
			for _, rg := range ranges {
				perHour[h] = append(perHour[h], [2]int64{int64(rg[0] >> cellShift), int64(rg[1] >> cellShift)})
			}
		}
	}
	hours := make([]int64, 0, len(perHour))
	for h := range perHour {
		hours = append(hours, h)
	}
	slices.Sort(hours)
	var ors []string
	var args []any
	flush := func() error {
		if len(ors) == 0 {
			return nil
		}
		err := db.scanRounds(ctx, "ping_cell_blocks", "("+strings.Join(ors, " OR ")+")", args, 0, emit)
		ors, args = ors[:0], args[:0]
		return err
	}
	for _, h := range hours {
		for _, rg := range mergeRanges(perHour[h]) {
			ors = append(ors, "(hour = ? AND cell BETWEEN ? AND ?)")
			args = append(args, h, rg[0], rg[1])
			if len(ors) == pointLookups {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// mergeRanges sorts inclusive ranges and merges those that overlap or
// touch, so that no block is read twice.
func mergeRanges(rs [][2]int64) [][2]int64 {
	slices.SortFunc(rs, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1][1]+1 {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

// metresPerDeg is a degree of latitude on the sphere of radius 6,371,008.8 m.
const metresPerDeg = 6371008.8 * math.Pi / 180

// nearProbe is a probe with what the distance test needs.
type nearProbe struct {
	lat, lon float64
	cos      float64 // of the latitude: metres per degree of longitude / metresPerDeg
	us       int64
}

// nearMatch tests pings against a time-sorted track, by time bins of width
// Within: a ping near a probe lies in the probe's bin or a neighbour. Each
// bin keeps the box of its probes grown by the radius, which turns most
// pings away before any distance is computed.
type nearMatch struct {
	probes  []nearProbe
	w       int64 // µs
	bw      int64 // µs, a bin's width: w, or wider over a long sparse track
	t0      int64 // µs, the first bin's start
	bins    [][2]int32
	boxes   []pingblock.Box // per bin; MinLat > MaxLat: empty
	r2      float64         // radius², m²
	radius  float64
	exclude string
	maxAcc  float64
	lo, hi  int64 // µs: the first probe - w, the last + w
}

func newNearMatch(q writ.NearQuery) *nearMatch {
	if len(q.Probes) == 0 {
		return nil
	}
	m := &nearMatch{w: q.Within.Microseconds(), r2: q.RadiusM * q.RadiusM, radius: q.RadiusM, exclude: q.Exclude, maxAcc: q.MaxAccM}
	m.probes = make([]nearProbe, len(q.Probes))
	for i, p := range q.Probes {
		m.probes[i] = nearProbe{lat: p.Lat, lon: p.Lon, cos: math.Cos(p.Lat * math.Pi / 180), us: p.At.UnixMicro()}
	}
	slices.SortFunc(m.probes, func(a, b nearProbe) int { return cmp.Compare(a.us, b.us) })
	first, last := m.probes[0].us, m.probes[len(m.probes)-1].us
	m.lo, m.hi = first-m.w, last+m.w
	m.t0 = m.lo
	// At most maxNearBins bins: a year of probes a second apart would
	// otherwise take 31M.
	const maxNearBins = 1 << 22
	m.bw = max(m.w, (m.hi-m.t0)/maxNearBins+1)
	nb := (m.hi-m.t0)/m.bw + 1
	m.bins = make([][2]int32, nb)
	m.boxes = make([]pingblock.Box, nb)
	for i := range m.bins {
		m.bins[i] = [2]int32{-1, -1}
		m.boxes[i] = pingblock.Box{MinLat: 1, MaxLat: -1}
	}
	dlat := q.RadiusM / metresPerDeg
	for i, p := range m.probes {
		b := (p.us - m.t0) / m.bw
		if m.bins[b][0] < 0 {
			m.bins[b][0] = int32(i)
		}
		m.bins[b][1] = int32(i + 1)
		dlon := 360.0 // near a pole, any longitude
		if p.cos > dlat/90 {
			dlon = min(360, q.RadiusM/(metresPerDeg*p.cos))
		}
		bx := &m.boxes[b]
		if bx.MinLat > bx.MaxLat {
			*bx = pingblock.Box{MinLat: p.lat - dlat, MaxLat: p.lat + dlat, MinLon: p.lon - dlon, MaxLon: p.lon + dlon}
		} else {
			bx.MinLat, bx.MaxLat = min(bx.MinLat, p.lat-dlat), max(bx.MaxLat, p.lat+dlat)
			bx.MinLon, bx.MaxLon = min(bx.MinLon, p.lon-dlon), max(bx.MaxLon, p.lon+dlon)
		}
	}
	return m
}

// near reports whether a ping is one the query asks for.
func (m *nearMatch) near(dev string, lat, lon, acc float64, us int64) bool {
	if us < m.lo || us > m.hi || dev == m.exclude || (m.maxAcc > 0 && acc > m.maxAcc) {
		return false
	}
	b := (us - m.t0) / m.bw
	for bb := max(b-1, 0); bb <= min(b+1, int64(len(m.bins))-1); bb++ {
		bx := &m.boxes[bb]
		if lat < bx.MinLat || lat > bx.MaxLat || !lonIn(lon, bx.MinLon, bx.MaxLon) {
			continue
		}
		for i := m.bins[bb][0]; i >= 0 && i < m.bins[bb][1]; i++ {
			p := &m.probes[i]
			if d := us - p.us; d > m.w || d < -m.w {
				continue
			}
			dy := (lat - p.lat) * metresPerDeg
			dlon := lon - p.lon
			if dlon > 180 {
				dlon -= 360
			} else if dlon < -180 {
				dlon += 360
			}
			dx := dlon * p.cos * metresPerDeg
			if dx*dx+dy*dy <= m.r2 {
				return true
			}
		}
	}
	return false
}

// overlaps reports whether a block (its span in unix ms, inclusive, and
// its box) may hold a ping near a probe: whether the box meets the box of
// a bin whose probes are within Within of the span. It pads the block by a
// millisecond and 1e-5° (a metre), as the header of a block holding rows
// rounded (own batches) is rounded too.
func (m *nearMatch) overlaps(minT, maxT int64, b pingblock.Box) bool {
	lo, hi := minT*1000-1000, maxT*1000+1000
	if hi < m.lo || lo > m.hi {
		return false
	}
	const pad = 1e-5
	nb := int64(len(m.bins))
	for bb := max((lo-m.t0)/m.bw-1, 0); bb <= min((hi-m.t0)/m.bw+1, nb-1); bb++ {
		bx := &m.boxes[bb]
		if bx.MinLat > bx.MaxLat {
			continue
		}
		if bx.MinLon < -180 || bx.MaxLon > 180 { // across the antimeridian: do not try
			return true
		}
		if b.MaxLat+pad >= bx.MinLat && b.MinLat-pad <= bx.MaxLat && b.MaxLon+pad >= bx.MinLon && b.MinLon-pad <= bx.MaxLon {
			return true
		}
	}
	return false
}

// lonIn reports whether lon lies in [lo, hi], a range that may run past
// ±180 (a box grown across the antimeridian).
func lonIn(lon, lo, hi float64) bool {
	return (lon >= lo && lon <= hi) || (lon+360 >= lo && lon+360 <= hi) || (lon-360 >= lo && lon-360 <= hi)
}

// nearPiece is a run of consecutive probes read as one box and window.
type nearPiece struct {
	minLat, minLon, maxLat, maxLon float64 // grown by the radius
	fromUs, toUs                   int64   // grown by Within
}

// pieceDeg bounds a piece's box before it is grown: about one level-13
// cell, so a piece reads a few cells and a long trip many small pieces.
const pieceDeg = 0.01

// pieces cuts the track into runs whose box stays within pieceDeg on each
// side; a probe that would take the box past it starts the next run.
func (m *nearMatch) pieces() []nearPiece {
	var out []nearPiece
	dlat := m.radius / metresPerDeg
	var cur nearPiece
	var c float64 // the smallest cos of the run's latitudes
	grow := func() {
		dlon := 360.0
		if c > dlat/90 {
			dlon = min(360, m.radius/(metresPerDeg*c))
		}
		out = append(out, nearPiece{cur.minLat - dlat, cur.minLon - dlon, cur.maxLat + dlat, cur.maxLon + dlon,
			cur.fromUs - m.w, cur.toUs + m.w})
	}
	for i, p := range m.probes {
		if i > 0 {
			lat0, lat1 := min(cur.minLat, p.lat), max(cur.maxLat, p.lat)
			lon0, lon1 := min(cur.minLon, p.lon), max(cur.maxLon, p.lon)
			if lat1-lat0 <= pieceDeg && lon1-lon0 <= pieceDeg/max(c, 0.01) {
				cur.minLat, cur.maxLat, cur.minLon, cur.maxLon, cur.toUs = lat0, lat1, lon0, lon1, p.us
				c = min(c, p.cos)
				continue
			}
			grow()
		}
		cur = nearPiece{p.lat, p.lon, p.lat, p.lon, p.us, p.us}
		c = p.cos
	}
	grow()
	return out
}
