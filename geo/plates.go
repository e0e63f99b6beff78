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
	SortReads(out)
	return out
}

// SortReads sorts reads by time, keeping the order of equal times.
func SortReads(rs []Read) {
	slices.SortStableFunc(rs, func(a, b Read) int { return cmp.Compare(a.T, b.T) })
}

// Sightings returns the reads of one plate in [from, to) (unix seconds;
// to <= 0: open), in time order. reads must be time-sorted.
func Sightings(reads []Read, plate string, from, to int64) []Read {
	plate = writ.NormalizePlate(plate)
	var out []Read
	for _, r := range reads {
		if r.T >= from && (to <= 0 || r.T < to) && r.Plate == plate {
			out = append(out, r)
		}
	}
	return out
}

// confusable folds characters that plate readers confuse (0/O/D, 8/B,
// 1/I, 5/S, 2/Z, 6/G) so a misread still matches a hotlist entry.
func confusable(p string) string {
	b := []byte(writ.NormalizePlate(p))
	for i, c := range b {
		switch c {
		case 'O', 'D':
			b[i] = '0'
		case 'B':
			b[i] = '8'
		case 'I':
			b[i] = '1'
		case 'S':
			b[i] = '5'
		case 'Z':
			b[i] = '2'
		case 'G':
			b[i] = '6'
		}
	}
	return string(b)
}

// Hit is a read that matched a hotlist entry.
type Hit struct {
	Entry string // the hotlist plate
	Read  Read
	Exact bool // false: matched only with confusable characters folded
}

// Hotlist checks reads in [from, to) against a hotlist of plates. With
// fuzzy, a read that differs only in confusable characters also hits
// (marked Exact false). Only the window is searched: a hotlist entry is
// checked against history no older than the authority allows.
func Hotlist(reads []Read, hotlist []string, from, to int64, fuzzy bool) []Hit {
	exact, folded := map[string]string{}, map[string]string{}
	for _, h := range hotlist {
		n := writ.NormalizePlate(h)
		exact[n] = n
		folded[confusable(n)] = n
	}
	var out []Hit
	for _, r := range reads {
		if r.T < from || (to > 0 && r.T >= to) {
			continue
		}
		if e, ok := exact[r.Plate]; ok {
			out = append(out, Hit{Entry: e, Read: r, Exact: true})
		} else if e, ok := folded[confusable(r.Plate)]; fuzzy && ok {
			out = append(out, Hit{Entry: e, Read: r})
		}
	}
	return out
}

// ConvoyOptions set what counts as travelling together.
type ConvoyOptions struct {
	Within     int64 // seconds between the two reads at one camera; default 60
	MinCameras int   // distinct cameras shared; default 2
	TripGap    int64 // target reads further apart than this are separate trips; default 1800 s
}

// Convoy is a plate read close behind or ahead of a target at the same
// cameras.
type Convoy struct {
	Plate   string
	Reads   int     // co-reads: same camera, within Within
	Cameras int     // distinct cameras among them
	Trips   int     // distinct target trips with at least MinCameras shared cameras
	MeanGap float64 // mean signed seconds after the target (negative: ahead)
}

// Convoys finds vehicles repeatedly read at the same cameras within
// seconds of a target plate. A vehicle is listed when on some trip it
// shared MinCameras distinct cameras with the target; more trips, then
// more cameras, rank first. reads must be time-sorted.
func Convoys(reads []Read, target string, o ConvoyOptions) []Convoy {
	if o.Within <= 0 {
		o.Within = 60
	}
	if o.MinCameras <= 0 {
		o.MinCameras = 2
	}
	if o.TripGap <= 0 {
		o.TripGap = 1800
	}
	target = writ.NormalizePlate(target)
	type key struct {
		plate string
		trip  int
	}
	cams := map[key]map[string]bool{}
	type acc struct {
		reads int
		gap   float64
		cams  map[string]bool
	}
	per := map[string]*acc{}
	trip, last := -1, int64(0)
	for i, r := range reads {
		if r.Plate != target {
			continue
		}
		if trip < 0 || r.T-last > o.TripGap {
			trip++
		}
		last = r.T
		// reads within Within on either side, at the same camera
		lo, _ := slices.BinarySearchFunc(reads, r.T-o.Within, func(x Read, t int64) int { return cmp.Compare(x.T, t) })
		for j := lo; j < len(reads) && reads[j].T <= r.T+o.Within; j++ {
			q := reads[j]
			if j == i || q.Plate == target || q.Camera != r.Camera {
				continue
			}
			k := key{q.Plate, trip}
			if cams[k] == nil {
				cams[k] = map[string]bool{}
			}
			cams[k][q.Camera] = true
			a := per[q.Plate]
			if a == nil {
				a = &acc{cams: map[string]bool{}}
				per[q.Plate] = a
			}
			a.reads++
			a.gap += float64(q.T - r.T)
			a.cams[q.Camera] = true
		}
	}
	trips := map[string]int{}
	for k, c := range cams {
		if len(c) >= o.MinCameras {
			trips[k.plate]++
		}
	}
	var out []Convoy
	for p, n := range trips {
		a := per[p]
		out = append(out, Convoy{Plate: p, Reads: a.reads, Cameras: len(a.cams), Trips: n, MeanGap: a.gap / float64(a.reads)})
	}
	slices.SortFunc(out, func(a, b Convoy) int {
		if c := cmp.Compare(b.Trips, a.Trips); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Cameras, a.Cameras); c != 0 {
			return c
		}
		return cmp.Compare(a.Plate, b.Plate)
	})
	return out
}
