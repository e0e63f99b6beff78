package resolve

import (
	"slices"
	"strconv"
	"strings"

	"github.com/writhq/writ"
)

// column holds one field of every record as ids into its distinct values,
// so values are normalised, and their features computed, once.
type column struct {
	field   string
	kind    Kind
	ids     []int32 // per record; -1 when missing
	vals    []value
	index   map[string]int32
	count   []int32 // records holding each value, for term frequencies
	present int     // records with a value
}

func (c *column) add(raw string) {
	s := normalize(c.kind, raw)
	if s == "" {
		c.ids = append(c.ids, -1)
		return
	}
	id, ok := c.index[s]
	if !ok {
		id = int32(len(c.vals))
		c.index[s] = id
		c.vals = append(c.vals, newValue(c.kind, s))
		c.count = append(c.count, 0)
	}
	c.count[id]++
	c.present++
	c.ids = append(c.ids, id)
}

// data is the compiled form of the records of a run.
type data struct {
	spec     *Spec
	cols     []*column
	colOf    map[string]int
	cmpCol   []int // comparison → column
	swapCol  []int // comparison → swap column, or -1
	parts    [][]keyPart
	ids      []string
	byID     map[string]int32
	dataset  []int32
	datasets map[string]int32
	// blocking-key slots of each record: slots[slotOff[r]:slotOff[r+1]]
	slotOff []int32
	slots   []uint64
	dm      map[string][2]string // Double Metaphone codes already computed
}

func newData(spec *Spec) *data {
	d := &data{spec: spec, colOf: map[string]int{}, byID: map[string]int32{}, datasets: map[string]int32{},
		slotOff: []int32{0}, dm: map[string][2]string{}}
	col := func(field string, k Kind) int {
		if i, ok := d.colOf[field]; ok {
			return i
		}
		d.cols = append(d.cols, &column{field: field, kind: k, index: map[string]int32{}})
		d.colOf[field] = len(d.cols) - 1
		return len(d.cols) - 1
	}
	for _, c := range spec.Comparisons {
		d.cmpCol = append(d.cmpCol, col(c.Field, c.Kind))
	}
	for _, c := range spec.Comparisons {
		s := -1
		if c.Swap != "" {
			s = col(c.Swap, c.Kind)
		}
		d.swapCol = append(d.swapCol, s)
	}
	for _, b := range spec.Blocks {
		var ps []keyPart
		for _, p := range b.On {
			kp, _ := parsePart(p) // validated
			ps = append(ps, kp)
		}
		d.parts = append(d.parts, ps)
	}
	return d
}

func (d *data) n() int { return len(d.ids) }

// add compiles one record; ids must be unique.
func (d *data) add(r Record) error {
	if r.ID == "" {
		return writ.Errorf(writ.EInvalid, "resolve: record without an id")
	}
	if _, dup := d.byID[r.ID]; dup {
		return writ.Errorf(writ.EInvalid, "resolve: record id %q appears twice", r.ID)
	}
	i := int32(len(d.ids))
	d.byID[r.ID] = i
	d.ids = append(d.ids, r.ID)
	ds, ok := d.datasets[r.Dataset]
	if !ok {
		ds = int32(len(d.datasets))
		d.datasets[r.Dataset] = ds
	}
	d.dataset = append(d.dataset, ds)
	for _, c := range d.cols {
		c.add(r.Fields[c.field])
	}
	for k, ps := range d.parts {
		d.slots = d.appendKeys(d.slots, k, ps, r.Fields)
	}
	d.slotOff = append(d.slotOff, int32(len(d.slots)))
	return nil
}

// appendKeys appends the hashes of block k's values for one record: the
// cross product of its parts' values, none if any part is missing.
func (d *data) appendKeys(dst []uint64, k int, ps []keyPart, f map[string]string) []uint64 {
	start := len(dst)
	keys := []string{strconv.Itoa(k)}
	for _, p := range ps {
		var vs []string
		for _, field := range p.fields {
			for _, v := range d.partValues(p, f[field]) {
				if !slices.Contains(vs, v) {
					vs = append(vs, v)
				}
			}
		}
		if len(vs) == 0 {
			return dst
		}
		var next []string
		for _, k := range keys {
			for _, v := range vs {
				next = append(next, k+"\x1f"+v)
			}
		}
		keys = next
	}
	for _, key := range keys {
		s := hashString(key)
		dup := false
		for _, o := range dst[start:] {
			dup = dup || o == s
		}
		if !dup {
			dst = append(dst, s)
		}
	}
	return dst
}

// partValues applies a key part's function to a raw value.
func (d *data) partValues(p keyPart, raw string) []string {
	w := words(raw)
	if w == "" {
		return nil
	}
	switch p.fn {
	case "dm", "dm2":
		codes, ok := d.dm[w]
		if !ok {
			codes[0], codes[1] = DoubleMetaphone(strings.ReplaceAll(w, " ", ""), 4)
			d.dm[w] = codes
		}
		a, b := codes[0], codes[1]
		switch {
		case a == "":
			return nil
		case p.fn == "dm" || b == a || b == "":
			return []string{a}
		}
		return []string{a, b}
	case "pre":
		r := []rune(w)
		return []string{string(r[:min(p.n, len(r))])}
	case "year":
		if dt := parseDate(digitsOf(raw)); dt.y > 0 {
			return []string{strconv.Itoa(dt.y)}
		}
		return nil
	case "digits":
		if ds := digitsOf(raw); ds != "" {
			return []string{ds}
		}
		return nil
	}
	return []string{w}
}

func (d *data) slotsOf(r int32) []uint64 { return d.slots[d.slotOff[r]:d.slotOff[r+1]] }

// hashString is 64-bit FNV-1a.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
