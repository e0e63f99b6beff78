package world

import "strconv"

// buildCameras puts plate readers on about one grid crossing in nine, and on
// two or three crossings of the ring's convoy route, so every convoy is read.
func (w *world) buildCameras() {
	on := make([]bool, gridCols*gridRows)
	for row := range gridRows {
		for col := range gridCols {
			pt := nodePoint(col, row)
			inside := pt.lat > placeLatMin && pt.lat < placeLatMax && pt.lon > placeLonMin && pt.lon < placeLonMax
			if inside && mix(w.seed^uint64(row*gridCols+col)<<8^0xca)%9 == 0 {
				on[row*gridCols+col] = true
			}
		}
	}
	rt := carRoute(w.places[w.ring.warehouse].pt, w.places[w.ring.cafe].pt)
	var path []int
	rt.crossings(func(col, row int, _ float64) { path = append(path, row*gridCols+col) })
	for _, f := range []int{1, 2} { // a third and two thirds of the way
		on[path[len(path)*f/3]] = true
	}
	on[path[len(path)-1]] = true
	w.camAt = make([]int32, len(on))
	for i, c := range on {
		w.camAt[i] = -1
		if c {
			w.camAt[i] = int32(len(w.cameras))
			id := "ANPR-" + pad(len(w.cameras)+1, 3)
			w.cameras = append(w.cameras, camera{id: id, col: i % gridCols, row: i / gridCols, pt: nodePoint(i%gridCols, i/gridCols)})
		}
	}
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
