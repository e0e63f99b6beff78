package pingblock

import (
	"slices"
	"sort"
)

// Box is a latitude/longitude rectangle in degrees, edges included, compared
// at the stored 1e-6° resolution. It does not cross the antimeridian.
type Box struct {
	MinLat, MinLon, MaxLat, MaxLon float64
}

// Clip is what a caller may see of a block: a time window and optionally an
// area. Stores clip every block to the grant before returning pings.
type Clip struct {
	From, To int64 // unix ms; From included, To excluded
	Box      *Box  // nil: no box
	// Inside, if set, is an exact test (a polygon, a circle) applied to the
	// pings that pass the window and the box.
	Inside func(lat, lon float64) bool
	// Covers, if set with Inside, is asked once per block, with the
	// block's box, before the first ping Inside would be asked of: true
	// means Inside holds for every point of the box, so it is not asked.
	// An area grant covers most blocks it is asked of.
	Covers func(b Box) bool
	// Window, if set, is asked first with the block's span (unix ms,
	// inclusive) and box: ok false skips the block undecoded; otherwise
	// only the pings from from to to (unix ms, inclusive) of the clip's
	// window are kept. A reader near a track (sqlstore's PingsNear) skips
	// the parts of a busy cell the track does not come near, and in a part
	// it drives past, the pings of the hour long before and after.
	Window func(minT, maxT int64, b Box) (from, to int64, ok bool)
	// Keep, if set, is asked for each ping inside the window and the box,
	// before Inside, with its time (unix ms) and position; false drops it
	// before its accuracy, device and line are decoded. A read near a
	// track keeps about one ping in four. It is asked in the block's
	// order, and the pings kept come out in that order, so a caller can
	// pair what Keep found with them.
	Keep func(t int64, lat, lon float64) bool
}

// Filter decodes from block b only the pings inside c. It rejects a block
// from its header alone when the window or the box misses it, cuts the
// window by binary search on the time column of a sorted block, and decodes
// the coordinate and remaining columns only up to the window's end.
func Filter(b []byte, c Clip) ([]Ping, error) {
	return AppendFilter(nil, b, c)
}

// AppendFilter appends to dst the pings of b inside c.
func AppendFilter(dst []Ping, b []byte, c Clip) ([]Ping, error) {
	var d Decoder
	return d.AppendFilter(dst, b, c)
}

// Decoder filters blocks one after another, reusing what it parses them
// into: a read near a track parses thousands of blocks. It is not safe for
// concurrent use.
type Decoder struct{ bl block }

// AppendFilter is the package's AppendFilter, reusing d.
func (d *Decoder) AppendFilter(dst []Ping, b []byte, c Clip) ([]Ping, error) {
	bl := &d.bl
	if err := bl.parse(b); err != nil {
		return dst, err
	}
	n := bl.Count
	if n == 0 || bl.MaxT < c.From || bl.MinT >= c.To {
		return dst, nil
	}
	box := Box{MinLat: float64(bl.MinLat) / 1e6, MinLon: float64(bl.MinLon) / 1e6, MaxLat: float64(bl.MaxLat) / 1e6, MaxLon: float64(bl.MaxLon) / 1e6}
	if c.Window != nil {
		from, to, ok := c.Window(bl.MinT, bl.MaxT, box)
		if !ok || from > bl.MaxT || to < bl.MinT {
			return dst, nil
		}
		c.From = max(c.From, from)
		if to < bl.MaxT { // so to+1 does not overflow
			c.To = min(c.To, to+1)
		}
		if c.From >= c.To {
			return dst, nil
		}
	}
	var bLat0, bLat1, bLon0, bLon1 int64
	if c.Box != nil {
		bLat0, bLat1 = latE6(c.Box.MinLat), latE6(c.Box.MaxLat)
		bLon0, bLon1 = E6(c.Box.MinLon), E6(c.Box.MaxLon)
		if bl.MaxLat < bLat0 || bl.MinLat > bLat1 || bl.MaxLon < bLon0 || bl.MinLon > bLon1 {
			return dst, nil
		}
	}
	base := len(dst)
	// Not zeroed: every field a caller sees is written below (times and
	// coordinates for all, the rest as each kept ping is moved down).
	dst = slices.Grow(dst, n)[:base+n]
	out := dst[base:]
	if err := bl.decodeTimes(out); err != nil {
		return dst[:base], err
	}
	lo, hi := 0, n
	if bl.Sorted {
		lo = sort.Search(n, func(i int) bool { return out[i].T >= c.From })
		hi = sort.Search(n, func(i int) bool { return out[i].T >= c.To })
		if lo >= hi {
			return dst[:base], nil
		}
	}
	if err := bl.decodeCoords(out, hi); err != nil {
		return dst[:base], err
	}
	// Select on time and position first, each kept ping moved down with
	// its index in Line; then only the kept pings get their other fields.
	k := 0
	inside, covered := c.Inside, c.Covers == nil // covered: Covers was asked
	for i := lo; i < hi; i++ {
		p := &out[i]
		if p.T < c.From || p.T >= c.To {
			continue
		}
		if c.Box != nil {
			la, lo := int64(p.Lat*1e6+0.5*sign(p.Lat)), int64(p.Lon*1e6+0.5*sign(p.Lon))
			if la < bLat0 || la > bLat1 || lo < bLon0 || lo > bLon1 {
				continue
			}
		}
		if c.Keep != nil && !c.Keep(p.T, p.Lat, p.Lon) {
			continue
		}
		if inside != nil && !covered {
			covered = true
			if c.Covers(box) {
				inside = nil
			}
		}
		if inside != nil && !inside(p.Lat, p.Lon) {
			continue
		}
		out[k] = Ping{T: p.T, Lat: p.Lat, Lon: p.Lon, Line: int64(i)}
		k++
	}
	if k == 0 {
		return dst[:base], nil
	}
	if err := bl.decodeKept(out[:k], hi, hi == n); err != nil {
		return dst[:base], err
	}
	return dst[:base+k], nil
}

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}
