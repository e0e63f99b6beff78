package geo

import (
	"math"
	"testing"
	"time"
)

// slidingOracle is trackintel's "sliding" stay-point detection
// (preprocessing/positionfixes.py, _generate_staypoints_sliding_user) written
// out literally: haversine distance from the stay's first fix, a gap check
// before the distance check, finished_at at the first fix outside, and the
// angle centroid of the fixes inside. It is the reference StayPoints must
// agree with.
func slidingOracle(fs []Fix, distM float64, minDur, maxGap time.Duration) []Stay {
	var out []Stay
	start := 0
	for curr := 1; curr < len(fs); curr++ {
		if float64(fs[curr].T-fs[curr-1].T) > maxGap.Seconds() {
			start = curr
			continue
		}
		if Haversine(fs[start].Lat, fs[start].Lon, fs[curr].Lat, fs[curr].Lon) >= distM {
			if float64(fs[curr].T-fs[start].T) >= minDur.Seconds() {
				lat, lon := angleCentroid(fs[start:curr])
				out = append(out, Stay{Lat: lat, Lon: lon, Start: fs[start].T, End: fs[curr].T, N: curr - start, First: start})
			}
			start = curr
		}
	}
	return out
}

// angleCentroid is trackintel's angle_centroid_multipoints: the circular
// mean of longitudes and latitudes.
func angleCentroid(fs []Fix) (lat, lon float64) {
	var sx, cx, sy, cy float64
	for _, f := range fs {
		sx += math.Sin(f.Lon * math.Pi / 180)
		cx += math.Cos(f.Lon * math.Pi / 180)
		sy += math.Sin(f.Lat * math.Pi / 180)
		cy += math.Cos(f.Lat * math.Pi / 180)
	}
	return math.Atan2(sy, cy) * 180 / math.Pi, math.Atan2(sx, cx) * 180 / math.Pi
}

func TestStayPointsSmall(t *testing.T) {
	// 10 min at A every minute, a jump of 1 km, 3 min at B, a jump back.
	var fs []Fix
	for i := range 11 {
		fs = append(fs, Fix{T: int64(i * 60), Lat: 50.85 + float64(i%2)*0.0001, Lon: 4.35})
	}
	for i := range 4 {
		fs = append(fs, Fix{T: int64(660 + i*60), Lat: 50.86, Lon: 4.35})
	}
	fs = append(fs, Fix{T: 900, Lat: 50.85, Lon: 4.35})
	got := StayPoints(fs, StayOptions{})
	if len(got) != 1 {
		t.Fatalf("StayPoints = %d stays, want 1: %+v", len(got), got)
	}
	s := got[0]
	if s.Start != 0 || s.End != 660 || s.N != 11 {
		t.Errorf("StayPoints[0] = start %d end %d n %d, want 0 660 11", s.Start, s.End, s.N)
	}
	if d := Haversine(s.Lat, s.Lon, 50.85005, 4.35); d > 1 {
		t.Errorf("StayPoints[0] centroid %.1f m from the mean, want < 1 m", d)
	}
	if got := StayPoints(fs, StayOptions{IncludeLast: false, MinDur: 2 * time.Minute}); len(got) != 2 {
		t.Errorf("StayPoints(MinDur 2m) = %d stays, want 2", len(got))
	}
	// A 20-minute hole inside the first stay splits it into two short ones.
	gap := append([]Fix(nil), fs...)
	for i := 6; i < len(gap); i++ {
		gap[i].T += 1200
	}
	if got := StayPoints(gap, StayOptions{MinDur: 8 * time.Minute}); len(got) != 0 {
		t.Errorf("StayPoints(gap) = %d stays, want 0 (each side is under 8 min)", len(got))
	}
	if got := StayPoints(gap, StayOptions{MinDur: 8 * time.Minute, MaxGap: -1}); len(got) != 1 {
		t.Errorf("StayPoints(no gap limit) = %d stays, want 1", len(got))
	}
}

// TestStayPointsGeoLife compares StayPoints with the trackintel oracle on
// real GeoLife tracks at three threshold settings from the literature.
func TestStayPointsGeoLife(t *testing.T) {
	tracks := readPingsCSV(t, geolifePath(t))
	for _, o := range []StayOptions{
		{DistM: 100, MinDur: 5 * time.Minute, MaxGap: 15 * time.Minute},
		{DistM: 200, MinDur: 20 * time.Minute, MaxGap: 15 * time.Minute},
		{DistM: 150, MinDur: 10 * time.Minute, MaxGap: 60 * time.Minute},
	} {
		var nGot, nWant, matched int
		for _, tr := range tracks {
			got := StayPoints(tr.Fixes, o)
			want := slidingOracle(tr.Fixes, o.DistM, o.MinDur, o.MaxGap)
			nGot += len(got)
			nWant += len(want)
			byStart := map[int64]Stay{}
			for _, s := range got {
				byStart[s.Start] = s
			}
			for _, w := range want {
				if g, ok := byStart[w.Start]; ok && g.End == w.End && Haversine(g.Lat, g.Lon, w.Lat, w.Lon) < 1 {
					matched++
				}
			}
		}
		diff := math.Abs(float64(nGot-nWant)) / float64(nWant)
		share := float64(matched) / float64(nWant)
		t.Logf("%v m, %v, gap %v: StayPoints %d, oracle %d (%.2f%% apart), %.2f%% matched in time and within 1 m",
			o.DistM, o.MinDur, o.MaxGap, nGot, nWant, 100*diff, 100*share)
		if nWant < 50 {
			t.Errorf("oracle found %d stays, want at least 50 for a meaningful comparison", nWant)
		}
		if diff > 0.02 || share < 0.98 {
			t.Errorf("StayPoints(%+v) = %d stays, %d matched; oracle %d: want within 2%%", o, nGot, matched, nWant)
		}
	}
}
