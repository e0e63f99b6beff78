package resolve

import (
	"slices"
	"strconv"
	"strings"
	"unicode"

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

// partValues applies a key part's function to a raw value; a chained part
// (pre4:domain:email) applies the inner function first.
func (d *data) partValues(p keyPart, raw string) []string {
	if p.inner != nil {
		var out []string
		for _, v := range d.partValues(*p.inner, raw) {
			for _, o := range d.partValues(keyPart{fn: p.fn, n: p.n}, v) {
				if !slices.Contains(out, o) {
					out = append(out, o)
				}
			}
		}
		return out
	}
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
	case "years", "month", "day", "ym", "md", "dmswap", "near", "decade":
		return dateParts(p.fn, parseDate(digitsOf(raw)))
	case "sorted":
		r := []rune(strings.ReplaceAll(w, " ", ""))
		slices.Sort(r)
		return []string{string(r)}
	case "alnum":
		return []string{strings.ReplaceAll(w, " ", "")}
	case "q3":
		r := []rune(strings.ReplaceAll(w, " ", ""))
		var out []string
		for i := 0; i+3 <= len(r); i++ {
			if g := string(r[i : i+3]); !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
		if len(out) == 0 {
			out = append(out, string(r))
		}
		return out
	case "local", "domain":
		at := strings.LastIndexByte(raw, '@')
		if at < 0 {
			return nil
		}
		part := raw[:at]
		if p.fn == "domain" {
			part = raw[at+1:]
		}
		var b strings.Builder
		for _, c := range strings.ToLower(part) {
			if unicode.IsLetter(c) {
				b.WriteRune(c)
			}
		}
		if b.Len() == 0 {
			return nil
		}
		return []string{b.String()}
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

// dateParts gives a date's blocking values for the date functions: years
// (the year and the year before, so dates a year apart share one), month,
// day, ym (year and month), md (month and day) and dmswap (the date with
// day and month in ascending order, so a day/month swap shares it).
func dateParts(fn string, dt date) []string {
	if dt.y <= 0 {
		return nil
	}
	switch fn {
	case "years":
		return []string{strconv.Itoa(dt.y), strconv.Itoa(dt.y - 1)}
	case "month":
		return []string{strconv.Itoa(dt.m)}
	case "day":
		return []string{strconv.Itoa(dt.d)}
	case "ym":
		return []string{strconv.Itoa(dt.y*100 + dt.m)}
	case "md":
		return []string{strconv.Itoa(dt.m*100 + dt.d)}
	case "near":
		// a year and a month apart at most, or one calendar month apart
		var out []string
		for _, y := range []int{dt.y, dt.y - 1} {
			for _, m := range []int{dt.m, dt.m - 1} {
				out = append(out, "c"+strconv.Itoa(y*100+m))
			}
		}
		i := dt.y*12 + dt.m
		return append(out, "i"+strconv.Itoa(i), "i"+strconv.Itoa(i-1))
	case "decade":
		// ten years apart within a month: a mistyped tens digit
		i := dt.y*12 + dt.m
		return []string{strconv.Itoa(i), strconv.Itoa(i - 1), strconv.Itoa(i - 120), strconv.Itoa(i - 121)}
	}
	a, b := min(dt.m, dt.d), max(dt.m, dt.d)
	return []string{strconv.Itoa(dt.y*10000 + a*100 + b)}
}
