package resolve

// comparer computes comparison vectors; each worker has its own scratch.
type comparer struct {
	d      *data
	nl     []int // levels per comparison
	radix  []uint64
	buf    []int32
	levels []uint8
}

func newComparer(d *data) *comparer {
	c := &comparer{d: d, buf: make([]int32, 64*64), levels: make([]uint8, len(d.spec.Comparisons))}
	r := uint64(1)
	for _, cm := range d.spec.Comparisons {
		n := len(levelNames(cm))
		c.nl = append(c.nl, n)
		c.radix = append(c.radix, r)
		r *= uint64(n)
	}
	return c
}

// compare fills c.levels for records x and y and returns the pattern code.
func (c *comparer) compare(x, y int32) uint64 {
	var code uint64
	for i := range c.d.spec.Comparisons {
		l := c.level(i, x, y)
		c.levels[i] = uint8(l)
		code += uint64(l) * c.radix[i]
	}
	return code
}

func (c *comparer) level(i int, x, y int32) int {
	cm := &c.d.spec.Comparisons[i]
	col := c.d.cols[c.d.cmpCol[i]]
	a, b := col.ids[x], col.ids[y]
	if a < 0 || b < 0 {
		return levelMissing
	}
	n := c.nl[i]
	if a == b {
		return n - 1
	}
	l := level(cm, &col.vals[a], &col.vals[b], c.buf)
	s := c.d.swapCol[i]
	if s < 0 {
		return l
	}
	// with a swap level, exact moved up one; check crosswise below one edit
	if l >= n-3 {
		return l
	}
	sc := c.d.cols[s]
	sa, sb := sc.ids[x], sc.ids[y]
	if sa >= 0 && sb >= 0 && swapped(&col.vals[a], &sc.vals[sb], c.buf) && swapped(&sc.vals[sa], &col.vals[b], c.buf) {
		return n - 2
	}
	return l
}

// decode splits a pattern code into levels.
func (c *comparer) decode(code uint64, dst []uint8) {
	for i := range c.nl {
		dst[i] = uint8(code / c.radix[i] % uint64(c.nl[i]))
	}
}
