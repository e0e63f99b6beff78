package graph

import "math"

// Fix is where a number's handset was at a moment. Call detail records
// carry the IMEI of the handset a number was used in; that handset's
// location pings are its fixes. Reading them is a location read, under
// its own authority.
type Fix struct {
	At       int64 // Unix seconds
	Lat, Lon float64
}

// placeCell is a cell of a grid of about 250 m by 250 m (in Belgium's
// latitudes): near enough to call two fixes the same place, given phone
// fixes' accuracy of tens of metres.
type placeCell struct{ lat, lon int32 }

const (
	cellLat = 0.00225 // degrees, about 250 m
	cellLon = 0.0035  // degrees, about 250 m at 50° N
)

func cellOf(f Fix) placeCell {
	return placeCell{int32(math.Floor(f.Lat / cellLat)), int32(math.Floor(f.Lon / cellLon))}
}

// places is where one number's handset was seen: fixes per cell, and the
// first and last of them.
type places struct {
	cells       map[placeCell]int
	n           int
	first, last int64
}

// placesOf collects the fixes of u's handset from slack before u's first
// contact to slack after its last, so that a handset that held other
// numbers long before or after does not blur the picture.
func (g *Graph) placesOf(u uint32, fixes func(uint32) []Fix, slack int64) places {
	p := places{cells: make(map[placeCell]int)}
	lo, hi := g.Nodes[u].First-slack, g.Nodes[u].Last+slack
	for _, f := range fixes(u) {
		if f.At < lo || f.At > hi {
			continue
		}
		if p.n == 0 || f.At < p.first {
			p.first = f.At
		}
		p.last = max(p.last, f.At)
		p.cells[cellOf(f)]++
		p.n++
	}
	return p
}

// placeSimilarity is in [0, 1]: the mean, over both numbers, of the share
// of one's fixes that fall in or next to a cell where the other was seen.
// One person's old and new handsets share home and work, and so most of
// their fixes; two people who only work or meet together share a part.
// It is -1 when either has no fixes.
func placeSimilarity(a, b places) float64 {
	if a.n == 0 || b.n == 0 {
		return -1
	}
	return (nearShare(a, b) + nearShare(b, a)) / 2
}

func nearShare(a, b places) float64 {
	near := 0
	for c, k := range a.cells {
	found:
		for dl := int32(-1); dl <= 1; dl++ {
			for do := int32(-1); do <= 1; do++ {
				if b.cells[placeCell{c.lat + dl, c.lon + do}] > 0 {
					near += k
					break found
				}
			}
		}
	}
	return float64(near) / float64(a.n)
}
