package geo

import (
	"math"
	"time"
)

// StayOptions are the thresholds of stay-point detection (Li et al. 2008,
// as implemented by trackintel's "sliding" method).
type StayOptions struct {
	DistM       float64       // a stay ends at the first fix this far from its first fix; default 100
	MinDur      time.Duration // shortest stay; default 5 min
	MaxGap      time.Duration // a gap longer than this between fixes breaks a stay; default 15 min; <0: none
	IncludeLast bool          // keep a stay still open at the last fix
}

func (o StayOptions) norm() StayOptions {
	if o.DistM <= 0 {
		o.DistM = 100
	}
	if o.MinDur <= 0 {
		o.MinDur = 5 * time.Minute
	}
	if o.MaxGap == 0 {
		o.MaxGap = 15 * time.Minute
	}
	return o
}

// Stay is a stay point: the centroid of the fixes where the device stayed.
// Start is its first fix; End is the first fix that left (trackintel's
// convention), or the last fix of a stay kept by IncludeLast.
type Stay struct {
	Lat, Lon   float64
	Start, End int64 // unix seconds
	N          int   // fixes in the stay
	First      int   // index of its first fix in the input
}

// Dur is the stay's duration.
func (s Stay) Dur() time.Duration { return time.Duration(s.End-s.Start) * time.Second }

// StayPoints detects stay points in one device's time-sorted fixes. A stay
// starts at a fix and extends while later fixes are within DistM of it; it
// is kept when the first fix outside is at least MinDur after its start. A
// gap over MaxGap restarts the search. It is one pass, O(n).
func StayPoints(fs []Fix, o StayOptions) []Stay {
	o = o.norm()
	var out []Stay
	if len(fs) < 2 {
		return out
	}
	d2max := o.DistM * o.DistM
	minDur, maxGap := int64(o.MinDur/time.Second), int64(o.MaxGap/time.Second)
	start := 0
	k := math.Cos(fs[0].Lat * math.Pi / 180)
	var sumLat, sumLon float64 = fs[0].Lat, fs[0].Lon
	restart := func(i int) {
		start = i
		k = math.Cos(fs[i].Lat * math.Pi / 180)
		sumLat, sumLon = fs[i].Lat, fs[i].Lon
	}
	for i := 1; i < len(fs); i++ {
		if o.MaxGap > 0 && fs[i].T-fs[i-1].T > maxGap {
			restart(i)
			continue
		}
		dy := (fs[i].Lat - fs[start].Lat) * mPerDeg
		dx := (fs[i].Lon - fs[start].Lon) * mPerDeg * k
		if dx*dx+dy*dy >= d2max {
			if fs[i].T-fs[start].T >= minDur {
				n := i - start
				out = append(out, Stay{Lat: sumLat / float64(n), Lon: sumLon / float64(n),
					Start: fs[start].T, End: fs[i].T, N: n, First: start})
			}
			restart(i)
			continue
		}
		sumLat += fs[i].Lat
		sumLon += fs[i].Lon
	}
	if last := len(fs) - 1; o.IncludeLast && fs[last].T-fs[start].T >= minDur {
		n := len(fs) - start
		out = append(out, Stay{Lat: sumLat / float64(n), Lon: sumLon / float64(n),
			Start: fs[start].T, End: fs[last].T, N: n, First: start})
	}
	return out
}
