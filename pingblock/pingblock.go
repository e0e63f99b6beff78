// Package pingblock is a pure codec for blocks of device pings: the pings of
// one storage key (a device-day, or an (hour, S2 cell)) packed into one byte
// string, so that a store keeps one row per block instead of one per ping.
//
// A block is columnar. After a header (format version, count, time range,
// bounding box, device dictionary) come six length-prefixed columns: times
// (delta-of-delta, zigzag varints, in seconds when every time is a whole
// second, else milliseconds), latitudes and longitudes (quantised to 1e-6°,
// delta-zigzag varints), accuracies (whole metres, varints), devices (indexes
// into the dictionary; empty when the block holds one device) and provenance
// offsets (line numbers, delta-zigzag varints).
//
// Encoding is lossless within the quantisation: Decode(Encode(p)) equals
// Quantize(p). Decode never panics on corrupt input; it returns an error.
// See docs/pingblock.md.
package pingblock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Version is the block format version written in every block's first byte.
const Version = 1

// Ping is one location fix as a block holds it.
type Ping struct {
	Device    string  // device identifier (IMEI)
	T         int64   // unix milliseconds
	Lat, Lon  float64 // degrees; stored at 1e-6°
	AccuracyM float64 // metres; stored in whole metres, 0 when unknown
	Line      int64   // provenance offset: line number in the source (or stream sequence)
}

// E6 converts degrees to the stored integer unit (1e-6°), rounding to nearest.
func E6(deg float64) int64 {
	if math.IsNaN(deg) {
		return 0
	}
	v := math.Round(deg * 1e6)
	if v > 180e6 {
		return 180e6
	}
	if v < -180e6 {
		return -180e6
	}
	return int64(v)
}

func latE6(deg float64) int64 {
	v := E6(deg)
	return min(max(v, -90e6), 90e6)
}

func accM(a float64) uint64 {
	if !(a > 0) { // also NaN
		return 0
	}
	if a > 1e9 {
		return 1e9
	}
	return uint64(math.Round(a))
}

// Quantize returns p as a block stores it: coordinates at 1e-6° (latitude
// clamped to ±90°, longitude to ±180°), accuracy in whole metres.
func Quantize(p Ping) Ping {
	p.Lat = float64(latE6(p.Lat)) / 1e6
	p.Lon = float64(E6(p.Lon)) / 1e6
	p.AccuracyM = float64(accM(p.AccuracyM))
	p.T = clampT(p.T)
	return p
}

// Header is what a block says about itself before its columns.
type Header struct {
	Version int
	Count   int
	Seconds bool // times are stored in whole seconds
	Sorted  bool // times are non-decreasing
	Extent       // the span and box: MinT, MaxT, MinLat, MaxLat, MinLon, MaxLon
	Devices []string
}

const (
	flagSeconds = 1 << 0
	flagSorted  = 1 << 1
	flagsKnown  = flagSeconds | flagSorted
)

const nCols = 6

const (
	colTime = iota
	colLat
	colLon
	colAcc
	colDev
	colLine
)

// ErrCorrupt is wrapped by every error Decode returns for a malformed block.
var ErrCorrupt = errors.New("pingblock: corrupt block")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

func zig(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzig(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// Encode packs pings into one block. The pings should be one key's pings
// sorted by time (ties in any order); any order round-trips, but only sorted
// blocks let Filter cut the time window without scanning. An empty slice
// gives a valid empty block.
func Encode(pings []Ping) []byte {
	return AppendEncode(nil, pings)
}

// AppendEncode appends the block for pings to dst.
func AppendEncode(dst []byte, pings []Ping) []byte {
	n := len(pings)
	var flags byte = flagSeconds | flagSorted
	var h Header
	// The dictionary: a linear search while it is small (most blocks hold
	// one device, or a few), a map past smallDict devices.
	var dict map[string]uint64
	for i := range pings {
		p := &pings[i]
		if p.T > maxT || p.T < -maxT {
			pings = clampAll(pings)
			return AppendEncode(dst, pings)
		}
	}
	devs := make([]uint32, len(pings)) // each ping's index in h.Devices
	for i, p := range pings {
		if p.T%1000 != 0 {
			flags &^= flagSeconds
		}
		if i > 0 && p.T < pings[i-1].T {
			flags &^= flagSorted
		}
		la, lo := latE6(p.Lat), E6(p.Lon)
		if i == 0 {
			h.MinT, h.MaxT, h.MinLat, h.MaxLat, h.MinLon, h.MaxLon = p.T, p.T, la, la, lo, lo
		} else {
			h.MinT, h.MaxT = min(h.MinT, p.T), max(h.MaxT, p.T)
			h.MinLat, h.MaxLat = min(h.MinLat, la), max(h.MaxLat, la)
			h.MinLon, h.MaxLon = min(h.MinLon, lo), max(h.MaxLon, lo)
		}
		devs[i] = uint32(deviceIndex(&h.Devices, &dict, p.Device))
	}
	unit := int64(1)
	if flags&flagSeconds != 0 {
		unit = 1000
	}

	dst = append(dst, Version, flags)
	dst = binary.AppendUvarint(dst, uint64(n))
	if n > 0 {
		dst = binary.AppendVarint(dst, h.MinT/unit)
		dst = binary.AppendUvarint(dst, uint64(h.MaxT/unit-h.MinT/unit))
		dst = binary.AppendVarint(dst, h.MinLat)
		dst = binary.AppendUvarint(dst, uint64(h.MaxLat-h.MinLat))
		dst = binary.AppendVarint(dst, h.MinLon)
		dst = binary.AppendUvarint(dst, uint64(h.MaxLon-h.MinLon))
	}
	dst = binary.AppendUvarint(dst, uint64(len(h.Devices)))
	for _, d := range h.Devices {
		dst = binary.AppendUvarint(dst, uint64(len(d)))
		dst = append(dst, d...)
	}

	// Columns are built in one scratch buffer, then copied with lengths.
	var cols [nCols][]byte
	buf := make([]byte, 0, n*12)
	start := len(buf)
	// times: first value absolute (relative to MinT), then delta-of-delta.
	var prevT, prevD int64
	for i, p := range pings {
		t := p.T/unit - h.MinT/unit
		d := t - prevT
		if i == 0 {
			buf = binary.AppendUvarint(buf, uint64(t))
		} else {
			buf = binary.AppendUvarint(buf, zig(d-prevD))
		}
		prevT, prevD = t, d
		if i == 0 {
			prevD = 0
		}
	}
	cols[colTime], start = buf[start:], len(buf)
	prev := h.MinLat
	for _, p := range pings {
		v := latE6(p.Lat)
		buf = binary.AppendUvarint(buf, zig(v-prev))
		prev = v
	}
	cols[colLat], start = buf[start:], len(buf)
	prev = h.MinLon
	for _, p := range pings {
		v := E6(p.Lon)
		buf = binary.AppendUvarint(buf, zig(v-prev))
		prev = v
	}
	cols[colLon], start = buf[start:], len(buf)
	for _, p := range pings {
		buf = binary.AppendUvarint(buf, accM(p.AccuracyM))
	}
	cols[colAcc], start = buf[start:], len(buf)
	if len(h.Devices) > 1 {
		for i := range pings {
			buf = binary.AppendUvarint(buf, uint64(devs[i]))
		}
	}
	cols[colDev], start = buf[start:], len(buf)
	var prevL int64
	for i, p := range pings {
		if i == 0 {
			buf = binary.AppendVarint(buf, p.Line)
		} else {
			buf = binary.AppendUvarint(buf, zig(p.Line-prevL-1))
		}
		prevL = p.Line
	}
	cols[colLine] = buf[start:]
	for _, c := range cols {
		dst = binary.AppendUvarint(dst, uint64(len(c)))
	}
	for _, c := range cols {
		dst = append(dst, c...)
	}
	return dst
}

// smallDict is how many devices a block's dictionary holds before
// AppendEncode looks them up in a map.
const smallDict = 8

// deviceIndex returns d's index in devices, adding it at the end if new.
func deviceIndex(devices *[]string, dict *map[string]uint64, d string) uint64 {
	if *dict != nil {
		if i, ok := (*dict)[d]; ok {
			return i
		}
	} else {
		for i, x := range *devices {
			if x == d {
				return uint64(i)
			}
		}
	}
	i := uint64(len(*devices))
	*devices = append(*devices, d)
	if *dict != nil {
		(*dict)[d] = i
	} else if len(*devices) > smallDict {
		*dict = make(map[string]uint64, 2*smallDict)
		for k, x := range *devices {
			(*dict)[x] = uint64(k)
		}
	}
	return i
}

// reader is a bounds-checked cursor over a byte string.
type reader struct {
	b   []byte
	off int
}

func (r *reader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return 0, r.bad()
	}
	r.off += n
	return v, nil
}

// one reads the next varint if it is one or two bytes long, as most
// deltas of a column are (a coordinate's delta over 6 m takes two);
// false leaves it to uvarint. Small enough to inline, so the column loops
// make no call for most values.
func (r *reader) one() (uint64, bool) {
	off := r.off
	if off < len(r.b) {
		c := uint64(r.b[off])
		if c < 0x80 {
			r.off = off + 1
			return c, true
		}
		if off+1 < len(r.b) {
			if d := uint64(r.b[off+1]); d < 0x80 {
				r.off = off + 2
				return c&0x7f | d<<7, true
			}
		}
	}
	return 0, false
}

func (r *reader) bad() error { return corrupt("bad varint at %d", r.off) }

func (r *reader) varint() (int64, error) {
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		return 0, corrupt("bad varint at %d", r.off)
	}
	r.off += n
	return v, nil
}

// block is a parsed header plus its column slices. Header.Devices is not
// filled in: the dictionary is dict, made into strings as pings need them.
type block struct {
	Header
	unit  int64
	cols  [nCols][]byte
	dict  [][]byte
	names []string // dict[i] as a string, once made; "" until then
}

// name is device i of the dictionary as a string, made once per block.
func (bl *block) name(i uint64) string {
	if len(bl.names) == 0 {
		bl.names = slices.Grow(bl.names[:0], len(bl.dict))[:len(bl.dict)]
		clear(bl.names)
	}
	if bl.names[i] == "" {
		bl.names[i] = string(bl.dict[i])
	}
	return bl.names[i]
}

// MaxT bounds |Ping.T| (about 142,000 years either side of 1970); Encode
// clamps times beyond it.
const MaxT = int64(1) << 52

const maxT = MaxT

func clampT(t int64) int64 { return min(max(t, -maxT), maxT) }

func parse(b []byte) (*block, error) {
	bl := &block{}
	if err := bl.parse(b); err != nil {
		return nil, err
	}
	return bl, nil
}

// parse reads b's header into bl, reusing bl's dictionary slices.
func (bl *block) parse(b []byte) error {
	if len(b) < 2 {
		return corrupt("short block")
	}
	if b[0] != Version {
		return corrupt("version %d", b[0])
	}
	flags := b[1]
	if flags&^flagsKnown != 0 {
		return corrupt("unknown flags %#x", flags)
	}
	dict, names := bl.dict[:0], bl.names[:0]
	*bl = block{unit: 1}
	bl.Version = int(b[0])
	bl.Seconds = flags&flagSeconds != 0
	bl.Sorted = flags&flagSorted != 0
	if bl.Seconds {
		bl.unit = 1000
	}
	r := &reader{b: b, off: 2}
	n, err := r.uvarint()
	if err != nil {
		return err
	}
	// Every ping takes at least one byte in each of the time, lat, lon and
	// accuracy columns, which bounds the count by the block's length.
	if n > uint64(len(b)) {
		return corrupt("count %d exceeds block length", n)
	}
	bl.Count = int(n)
	if n > 0 {
		if bl.Extent, err = r.extent(bl.unit); err != nil {
			return err
		}
	}
	nd, err := r.uvarint()
	if err != nil {
		return err
	}
	if nd > n || (n > 0 && nd == 0) {
		return corrupt("%d devices for %d pings", nd, n)
	}
	// The names stay bytes of b until a decoded ping needs one (name):
	// a read near a track keeps one ping in four, and most devices of a
	// block never come up.
	bl.dict = slices.Grow(dict, int(nd))[:nd]
	bl.names = names
	for i := range bl.dict {
		l, err := r.uvarint()
		if err != nil {
			return err
		}
		if l > uint64(len(b)-r.off) {
			return corrupt("device name overruns block")
		}
		bl.dict[i] = b[r.off : r.off+int(l) : r.off+int(l)]
		r.off += int(l)
	}
	var lens [nCols]uint64
	for i := range lens {
		if lens[i], err = r.uvarint(); err != nil {
			return err
		}
	}
	for i, l := range lens {
		if l > uint64(len(b)-r.off) {
			return corrupt("column %d overruns block", i)
		}
		bl.cols[i] = b[r.off : r.off+int(l)]
		r.off += int(l)
	}
	if r.off != len(b) {
		return corrupt("%d trailing bytes", len(b)-r.off)
	}
	if (len(bl.cols[colDev]) == 0) != (nd <= 1) {
		return corrupt("device column does not match dictionary")
	}
	return nil
}

// Extent is a block's time span and box as its header gives them: enough
// to tell, without decoding, whether a read can want any of its pings.
type Extent struct {
	MinT, MaxT     int64 // unix milliseconds, inclusive
	MinLat, MaxLat int64 // 1e-6°, inclusive
	MinLon, MaxLon int64 // 1e-6°, inclusive
}

// ReadExtent reads block b's extent from its first bytes alone, without
// the device dictionary or the columns; false if b holds no pings or those
// bytes are malformed (decoding reports why).
func ReadExtent(b []byte) (Extent, bool) {
	if len(b) < 2 || b[0] != Version || b[1]&^flagsKnown != 0 {
		return Extent{}, false
	}
	unit := int64(1)
	if b[1]&flagSeconds != 0 {
		unit = 1000
	}
	r := &reader{b: b, off: 2}
	n, err := r.uvarint()
	if err != nil || n == 0 || n > uint64(len(b)) {
		return Extent{}, false
	}
	e, err := r.extent(unit)
	return e, err == nil
}

// extent reads the time span (in unit milliseconds) and the box of a
// block holding pings.
func (r *reader) extent(unit int64) (Extent, error) {
	var e Extent
	mt, err := r.varint()
	if err != nil {
		return e, err
	}
	dt, err := r.uvarint()
	if err != nil {
		return e, err
	}
	lim := maxT / unit
	if mt < -lim || mt > lim || dt > uint64(2*lim) || mt+int64(dt) > lim {
		return e, corrupt("time range out of bounds")
	}
	e.MinT, e.MaxT = mt*unit, (mt+int64(dt))*unit
	if e.MinLat, e.MaxLat, err = r.span(90e6); err != nil {
		return e, err
	}
	if e.MinLon, e.MaxLon, err = r.span(180e6); err != nil {
		return e, err
	}
	return e, nil
}

func (r *reader) span(lim int64) (lo, hi int64, err error) {
	lo, err = r.varint()
	if err != nil {
		return
	}
	d, err := r.uvarint()
	if err != nil {
		return
	}
	if lo < -lim || lo > lim || d > uint64(2*lim) || lo+int64(d) > lim {
		return 0, 0, corrupt("bounding box out of range")
	}
	return lo, lo + int64(d), nil
}

// Count is the number of pings block b says it holds, read from its first
// bytes alone (0 if they are malformed: decoding reports why), for sizing
// buffers before decoding.
func Count(b []byte) int {
	if len(b) < 2 || b[0] != Version {
		return 0
	}
	r := &reader{b: b, off: 2}
	n, err := r.uvarint()
	if err != nil || n > uint64(len(b)) {
		return 0
	}
	return int(n)
}

// ReadHeader parses a block's header (and checks its framing) without
// decoding its columns.
func ReadHeader(b []byte) (Header, error) {
	bl, err := parse(b)
	if err != nil {
		return Header{}, err
	}
	h := bl.Header
	h.Devices = make([]string, len(bl.dict))
	for i := range bl.dict {
		h.Devices[i] = bl.name(uint64(i))
	}
	return h, nil
}

// Decode unpacks a block. It returns an error wrapping ErrCorrupt, never
// panics, on malformed input.
func Decode(b []byte) ([]Ping, error) {
	bl, err := parse(b)
	if err != nil {
		return nil, err
	}
	out := make([]Ping, bl.Count)
	if err := bl.decodeTimes(out); err != nil {
		return nil, err
	}
	if err := bl.decodeCoords(out, len(out)); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Line = int64(i) // every ping kept
	}
	if err := bl.decodeKept(out, len(out), true); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeTimes fills out[i].T for every ping.
func (bl *block) decodeTimes(out []Ping) error {
	r := &reader{b: bl.cols[colTime]}
	lo, hi := bl.MinT/bl.unit, bl.MaxT/bl.unit
	var t, d int64
	for i := range out {
		u, ok := r.one()
		if !ok {
			var err error
			if u, err = r.uvarint(); err != nil {
				return err
			}
		}
		if i == 0 {
			if u > uint64(hi-lo) {
				return corrupt("time out of range")
			}
			t = lo + int64(u)
		} else {
			// Bounds keep the arithmetic far from overflow.
			dd := unzig(u)
			if dd > 4*maxT || dd < -4*maxT {
				return corrupt("time out of range")
			}
			d += dd
			t += d
			if t < lo || t > hi {
				return corrupt("time out of range")
			}
		}
		if bl.Sorted && i > 0 && t*bl.unit < out[i-1].T {
			return corrupt("times not sorted")
		}
		out[i].T = t * bl.unit
	}
	if r.off != len(r.b) {
		return corrupt("trailing bytes in time column")
	}
	return nil
}

// decodeCoords fills Lat and Lon for out[:upto]; the columns must be read in
// full only when upto == len(out).
func (bl *block) decodeCoords(out []Ping, upto int) error {
	if err := decodeCol(bl.cols[colLat], out[:upto], len(out), bl.MinLat, bl.MaxLat, false); err != nil {
		return err
	}
	return decodeCol(bl.cols[colLon], out[:upto], len(out), bl.MinLon, bl.MaxLon, true)
}

// decodeCol fills the latitudes, or with lon the longitudes, of out (a
// flag, not a setter func: an indirect call per value cost a sixth of a
// read near a track).
func decodeCol(col []byte, out []Ping, total int, lo, hi int64, lon bool) error {
	r := &reader{b: col}
	v := lo
	for i := range out {
		u, ok := r.one()
		if !ok {
			var err error
			if u, err = r.uvarint(); err != nil {
				return err
			}
		}
		d := unzig(u)
		if d > 360e6 || d < -360e6 {
			return corrupt("coordinate out of range")
		}
		v += d
		if v < lo || v > hi {
			return corrupt("coordinate out of range")
		}
		if lon {
			out[i].Lon = float64(v) / 1e6
		} else {
			out[i].Lat = float64(v) / 1e6
		}
	}
	if len(out) == total && r.off != len(r.b) {
		return corrupt("trailing bytes in coordinate column")
	}
	return nil
}

// decodeKept fills accuracy, device and line for kept, the pings of
// out[:upto] a filter kept, in order, each with its index in the block in
// Line. It walks the columns over the first upto pings, checking each
// value (and, if full, that nothing trails them), and sets only the kept
// pings' fields.
func (bl *block) decodeKept(kept []Ping, upto int, full bool) error {
	r := &reader{b: bl.cols[colAcc]}
	k := 0
	for i := range upto {
		u, ok := r.one()
		if !ok {
			var err error
			if u, err = r.uvarint(); err != nil {
				return err
			}
		}
		if u > 1e9 {
			return corrupt("accuracy out of range")
		}
		if k < len(kept) && kept[k].Line == int64(i) {
			kept[k].AccuracyM = float64(u)
			k++
		}
	}
	if full && r.off != len(r.b) {
		return corrupt("trailing bytes in accuracy column")
	}
	if len(bl.dict) == 1 {
		for k := range kept {
			kept[k].Device = bl.name(0)
		}
	} else if upto > 0 {
		r = &reader{b: bl.cols[colDev]}
		k = 0
		for i := range upto {
			u, ok := r.one()
			if !ok {
				var err error
				if u, err = r.uvarint(); err != nil {
					return err
				}
			}
			if u >= uint64(len(bl.dict)) {
				return corrupt("device index out of range")
			}
			if k < len(kept) && kept[k].Line == int64(i) {
				kept[k].Device = bl.name(u)
				k++
			}
		}
		if full && r.off != len(r.b) {
			return corrupt("trailing bytes in device column")
		}
	}
	r = &reader{b: bl.cols[colLine]}
	var l int64
	k = 0
	for i := range upto {
		if i == 0 {
			v, err := r.varint()
			if err != nil {
				return err
			}
			l = v
		} else {
			u, ok := r.one()
			if !ok {
				var err error
				if u, err = r.uvarint(); err != nil {
					return err
				}
			}
			l += unzig(u) + 1 // wraps on garbage, never panics
		}
		if k < len(kept) && kept[k].Line == int64(i) {
			kept[k].Line = l
			k++
		}
	}
	if full && r.off != len(r.b) {
		return corrupt("trailing bytes in line column")
	}
	return nil
}

func clampAll(pings []Ping) []Ping {
	c := make([]Ping, len(pings))
	for i, p := range pings {
		p.T = clampT(p.T)
		c[i] = p
	}
	return c
}
