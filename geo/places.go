package geo

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Place is a frequent place: stay points clustered together.
type Place struct {
	ID       int // rank by dwell, from 0
	Lat, Lon float64
	Stays    []int         // indices into the stays given to Places
	Dwell    time.Duration // total time of its stays
	Days     int           // distinct UTC days with a stay starting there
}

// Places clusters stay points into places: DBSCAN on stay centroids with
// radius epsM (default 50 m) and minStays core points (default 1, so every
// stay belongs to a place, as trackintel's generate_locations does by
// default). Stays that are noise at a higher minStays get label -1. Places
// are ranked by total dwell. labels[i] is stay i's place.
func Places(stays []Stay, epsM float64, minStays int) (places []Place, labels []int) {
	if epsM <= 0 {
		epsM = 50
	}
	if minStays <= 0 {
		minStays = 1
	}
	labels = make([]int, len(stays))
	if len(stays) == 0 {
		return nil, labels
	}
	p := newProj(stays[0].Lat)
	g := newGrid(epsM)
	xs := make([][2]float64, len(stays))
	for i, s := range stays {
		x, y := p.xy(s.Lat, s.Lon)
		xs[i] = [2]float64{x, y}
		g.add(x, y, i)
	}
	neigh := func(i int) []int {
		var out []int
		g.near(xs[i][0], xs[i][1], func(j int) {
			dx, dy := xs[i][0]-xs[j][0], xs[i][1]-xs[j][1]
			if dx*dx+dy*dy <= epsM*epsM {
				out = append(out, j)
			}
		})
		return out
	}
	const unseen, noise = -2, -1
	for i := range labels {
		labels[i] = unseen
	}
	n := 0
	for i := range stays {
		if labels[i] != unseen {
			continue
		}
		nb := neigh(i)
		if len(nb) < minStays {
			labels[i] = noise
			continue
		}
		labels[i] = n
		queue := nb
		for len(queue) > 0 {
			j := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if labels[j] == noise {
				labels[j] = n
			}
			if labels[j] != unseen {
				continue
			}
			labels[j] = n
			if nj := neigh(j); len(nj) >= minStays {
				queue = append(queue, nj...)
			}
		}
		n++
	}
	places = make([]Place, n)
	days := make([]map[int64]bool, n)
	var wx, wy, w []float64 = make([]float64, n), make([]float64, n), make([]float64, n)
	for i, s := range stays {
		c := labels[i]
		if c < 0 {
			continue
		}
		pl := &places[c]
		pl.Stays = append(pl.Stays, i)
		pl.Dwell += s.Dur()
		if days[c] == nil {
			days[c] = map[int64]bool{}
		}
		days[c][s.Start/86400] = true
		// weight by duration so a long night outweighs a passing stop
		wt := math.Max(1, float64(s.End-s.Start))
		wx[c] += xs[i][0] * wt
		wy[c] += xs[i][1] * wt
		w[c] += wt
	}
	for c := range places {
		places[c].Lat, places[c].Lon = p.latlon(wx[c]/w[c], wy[c]/w[c])
		places[c].Days = len(days[c])
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(places[b].Dwell, places[a].Dwell) })
	rank := make([]int, n)
	sorted := make([]Place, n)
	for r, c := range order {
		rank[c] = r
		sorted[r] = places[c]
		sorted[r].ID = r
	}
	for i, c := range labels {
		if c >= 0 {
			labels[i] = rank[c]
		}
	}
	return sorted, labels
}
