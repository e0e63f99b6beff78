package geo

import (
	"cmp"
	"slices"

	"github.com/writhq/writ"
)

// Read is one plate read in the small form the analytics use.
type Read struct {
	Plate, Camera string
	T             int64 // unix seconds
	Lat, Lon      float64
}

// Reads converts plate reads, normalising plates, sorted by time.
func Reads(rs []writ.PlateRead) []Read {
	out := make([]Read, len(rs))
	for i, r := range rs {
		out[i] = Read{Plate: writ.NormalizePlate(r.Plate), Camera: r.Camera, T: r.At.Unix(), Lat: r.Lat, Lon: r.Lon}
	}
	slices.SortStableFunc(out, func(a, b Read) int { return cmp.Compare(a.T, b.T) })
	return out
}
