package resolve

import "math"

// log2Odds scores the pair whose levels c holds: the prior, each level's
// weight, and for term-frequency fields agreeing exactly the adjustment
// log2(u_exact / frequency of the shared value).
func (md *Model) log2Odds(c *comparer, x int32) float64 {
	lo := md.PriorLog2Odds
	for i, l := range c.levels {
		f := &md.Fields[i]
		lo += f.Weight[l]
		if f.TF && int(l) == len(f.Weight)-1 {
			lo += tfAdjust(c.d, i, x, f)
		}
	}
	return lo
}

// tfAdjust is the term-frequency correction for x's value of comparison i.
func tfAdjust(d *data, i int, x int32, f *FieldModel) float64 {
	col := d.cols[d.cmpCol[i]]
	id := col.ids[x]
	if id < 0 || col.present == 0 {
		return 0
	}
	tf := float64(col.count[id]) / float64(col.present)
	return math.Log2(f.U[len(f.U)-1] / tf)
}

// probability turns log2 odds into a probability.
func probability(log2Odds float64) float64 {
	return 1 / (1 + math.Exp2(-log2Odds))
}
