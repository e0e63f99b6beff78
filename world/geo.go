package world

import "math"

// The world lies in the Brussels region. Places are kept inside a smaller
// box so that GPS noise never carries a ping out of the area.
const (
	LatMin, LatMax = 50.75, 50.95
	LonMin, LonMax = 4.25, 4.50

	placeLatMin, placeLatMax = 50.77, 50.93
	placeLonMin, placeLonMax = 4.27, 4.48

	mPerDegLat = 111_229.0 // at 50.85° N
	mPerDegLon = 70_300.0  // 111 320 × cos(50.85°)
)

type point struct{ lat, lon float64 }

// xy gives metres east and north of the area's south-west corner.
func (p point) xy() (x, y float64) {
	return (p.lon - LonMin) * mPerDegLon, (p.lat - LatMin) * mPerDegLat
}

func fromXY(x, y float64) point {
	return point{lat: LatMin + y/mPerDegLat, lon: LonMin + x/mPerDegLon}
}

// offset moves p by dx metres east and dy metres north.
func (p point) offset(dx, dy float64) point {
	return point{lat: p.lat + dy/mPerDegLat, lon: p.lon + dx/mPerDegLon}
}

func (p point) clampTo(latLo, latHi, lonLo, lonHi float64) point {
	return point{lat: min(max(p.lat, latLo), latHi), lon: min(max(p.lon, lonLo), lonHi)}
}

func (p point) clampPlace() point {
	return p.clampTo(placeLatMin, placeLatMax, placeLonMin, placeLonMax)
}

func dist(a, b point) float64 {
	ax, ay := a.xy()
	bx, by := b.xy()
	return math.Hypot(ax-bx, ay-by)
}

// municipality is one of the region's communes, with its postcode, names in
// French and Dutch, approximate centre and relative population.
type municipality struct {
	postcode string
	fr, nl   string
	lat, lon float64
	pop      float64 // thousands of inhabitants
	dutch    bool    // in the Flemish periphery: Dutch street names
	business float64 // weight as a place of work
}

var municipalities = []municipality{
	{"1000", "Bruxelles", "Brussel", 50.8467, 4.3525, 185, false, 6},
	{"1020", "Laeken", "Laken", 50.8780, 4.3500, 40, false, 1},
	{"1030", "Schaerbeek", "Schaarbeek", 50.8676, 4.3737, 133, false, 1.5},
	{"1040", "Etterbeek", "Etterbeek", 50.8336, 4.3892, 48, false, 2.5},
	{"1050", "Ixelles", "Elsene", 50.8275, 4.3697, 87, false, 2},
	{"1060", "Saint-Gilles", "Sint-Gillis", 50.8270, 4.3458, 50, false, 1.5},
	{"1070", "Anderlecht", "Anderlecht", 50.8333, 4.3072, 121, false, 2.5},
	{"1080", "Molenbeek-Saint-Jean", "Sint-Jans-Molenbeek", 50.8550, 4.3250, 97, false, 1},
	{"1081", "Koekelberg", "Koekelberg", 50.8622, 4.3286, 22, false, 0.3},
	{"1082", "Berchem-Sainte-Agathe", "Sint-Agatha-Berchem", 50.8650, 4.2950, 25, false, 0.4},
	{"1083", "Ganshoren", "Ganshoren", 50.8710, 4.3080, 25, false, 0.3},
	{"1090", "Jette", "Jette", 50.8770, 4.3260, 53, false, 1},
	{"1120", "Neder-Over-Heembeek", "Neder-Over-Heembeek", 50.8950, 4.3900, 20, false, 0.8},
	{"1140", "Evere", "Evere", 50.8700, 4.4020, 42, false, 2},
	{"1150", "Woluwe-Saint-Pierre", "Sint-Pieters-Woluwe", 50.8310, 4.4330, 42, false, 0.6},
	{"1160", "Auderghem", "Oudergem", 50.8150, 4.4330, 34, false, 1},
	{"1170", "Watermael-Boitsfort", "Watermaal-Bosvoorde", 50.7990, 4.4160, 25, false, 0.5},
	{"1180", "Uccle", "Ukkel", 50.8020, 4.3370, 83, false, 1},
	{"1190", "Forest", "Vorst", 50.8100, 4.3240, 56, false, 1.2},
	{"1200", "Woluwe-Saint-Lambert", "Sint-Lambrechts-Woluwe", 50.8460, 4.4270, 57, false, 1},
	{"1210", "Saint-Josse-ten-Noode", "Sint-Joost-ten-Node", 50.8530, 4.3730, 27, false, 2},
	{"1620", "Drogenbos", "Drogenbos", 50.7870, 4.3150, 5, true, 0.3},
	{"1630", "Linkebeek", "Linkebeek", 50.7700, 4.3380, 5, true, 0.1},
	{"1700", "Dilbeek", "Dilbeek", 50.8480, 4.2600, 43, true, 0.6},
	{"1780", "Wemmel", "Wemmel", 50.9080, 4.3050, 17, true, 0.2},
	{"1800", "Vilvoorde", "Vilvoorde", 50.9280, 4.4250, 45, true, 1.5},
	{"1830", "Machelen", "Machelen", 50.9100, 4.4400, 15, true, 2},
	{"1850", "Grimbergen", "Grimbergen", 50.9300, 4.3720, 38, true, 0.4},
	{"1930", "Zaventem", "Zaventem", 50.8830, 4.4730, 34, true, 3},
	{"1950", "Kraainem", "Kraainem", 50.8600, 4.4690, 14, true, 0.2},
}

// The road grid: arterial roads every gridStep metres east-west and
// north-south. Car trips follow it, and plate-reader cameras stand at some
// of its crossings.
const gridStep = 800.0

var (
	gridCols = int(math.Ceil((LonMax-LonMin)*mPerDegLon/gridStep)) + 1
	gridRows = int(math.Ceil((LatMax-LatMin)*mPerDegLat/gridStep)) + 1
)

// node returns the nearest grid crossing of p, as column and row.
func node(p point) (col, row int) {
	x, y := p.xy()
	col = min(max(int(math.Round(x/gridStep)), 0), gridCols-1)
	row = min(max(int(math.Round(y/gridStep)), 0), gridRows-1)
	return col, row
}

func nodePoint(col, row int) point { return fromXY(float64(col)*gridStep, float64(row)*gridStep) }

// route is a polyline with cumulative lengths; a car route has up to five
// points (start, two or three grid crossings, end), a direct route two.
type route struct {
	pts            [5]point
	cum            [5]float64
	n              int
	grid           bool // a car route along the grid
	c0, r0, c1, r1 int
}

func (r *route) add(p point) {
	if r.n > 0 {
		r.cum[r.n] = r.cum[r.n-1] + dist(r.pts[r.n-1], p)
	}
	r.pts[r.n] = p
	r.n++
}

func (r *route) length() float64 { return r.cum[r.n-1] }

// directRoute goes straight from a to b (walking, public transport).
func directRoute(a, b point) route {
	var r route
	r.add(a)
	r.add(b)
	return r
}

// carRoute drives from a to its nearest crossing, east or west along that
// row, north or south along the destination's column, then on to b.
func carRoute(a, b point) route {
	r := route{grid: true}
	r.c0, r.r0 = node(a)
	r.c1, r.r1 = node(b)
	r.add(a)
	r.add(nodePoint(r.c0, r.r0))
	r.add(nodePoint(r.c1, r.r0))
	r.add(nodePoint(r.c1, r.r1))
	r.add(b)
	return r
}

// at returns the point s metres along the route.
func (r *route) at(s float64) point {
	if s <= 0 {
		return r.pts[0]
	}
	for i := 1; i < r.n; i++ {
		if s <= r.cum[i] {
			seg := r.cum[i] - r.cum[i-1]
			if seg == 0 {
				return r.pts[i]
			}
			f := (s - r.cum[i-1]) / seg
			a, b := r.pts[i-1], r.pts[i]
			return point{lat: a.lat + f*(b.lat-a.lat), lon: a.lon + f*(b.lon-a.lon)}
		}
	}
	return r.pts[r.n-1]
}

// crossings calls f with every grid crossing a car route passes and the
// distance along the route at which it passes it, in driving order.
func (r *route) crossings(f func(col, row int, s float64)) {
	if !r.grid {
		return
	}
	step := 1
	if r.c1 < r.c0 {
		step = -1
	}
	for c := r.c0; ; c += step {
		f(c, r.r0, r.cum[1]+math.Abs(float64(c-r.c0))*gridStep)
		if c == r.c1 {
			break
		}
	}
	step = 1
	if r.r1 < r.r0 {
		step = -1
	}
	for rw := r.r0 + step; r.r0 != r.r1; rw += step {
		f(r.c1, rw, r.cum[2]+math.Abs(float64(rw-r.r0))*gridStep)
		if rw == r.r1 {
			break
		}
	}
}
