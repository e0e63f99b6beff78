package geo

import "math"

// grid is a uniform hash grid over projected metres for radius queries: a
// query at radius <= cell looks at the 3x3 cells around a point.
type grid struct {
	cell  float64
	cells map[[2]int32][]int
}

func newGrid(cell float64) *grid { return &grid{cell: cell, cells: map[[2]int32][]int{}} }

func (g *grid) key(x, y float64) [2]int32 {
	return [2]int32{int32(math.Floor(x / g.cell)), int32(math.Floor(y / g.cell))}
}

func (g *grid) add(x, y float64, i int) {
	k := g.key(x, y)
	g.cells[k] = append(g.cells[k], i)
}

func (g *grid) near(x, y float64, f func(i int)) {
	k := g.key(x, y)
	for dx := int32(-1); dx <= 1; dx++ {
		for dy := int32(-1); dy <= 1; dy++ {
			for _, i := range g.cells[[2]int32{k[0] + dx, k[1] + dy}] {
				f(i)
			}
		}
	}
}
