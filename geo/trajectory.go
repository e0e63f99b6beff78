package geo

import "time"

// TrajectoryOptions shape a trajectory for display.
type TrajectoryOptions struct {
	MaxGap     time.Duration // a longer silence between fixes splits the line; default 30 min
	ToleranceM float64       // Douglas–Peucker tolerance in metres; 0: no simplification
}

// Gap is a silence between two fixes longer than MaxGap.
type Gap struct{ From, To int64 }

// Trajectory is a device's path in a window: segments of fixes split at
// gaps, each simplified for display.
type Trajectory struct {
	Segments [][]Fix
	Gaps     []Gap
	Fixes    int // fixes before simplification
}

// Path builds the trajectory of time-sorted fixes (cut to a window with
// Window first).
func Path(fs []Fix, o TrajectoryOptions) Trajectory {
	if o.MaxGap <= 0 {
		o.MaxGap = 30 * time.Minute
	}
	gap := int64(o.MaxGap / time.Second)
	tr := Trajectory{Fixes: len(fs)}
	start := 0
	for i := 1; i <= len(fs); i++ {
		if i < len(fs) && fs[i].T-fs[i-1].T <= gap {
			continue
		}
		tr.Segments = append(tr.Segments, Simplify(fs[start:i], o.ToleranceM))
		if i < len(fs) {
			tr.Gaps = append(tr.Gaps, Gap{From: fs[i-1].T, To: fs[i].T})
		}
		start = i
	}
	return tr
}

// Simplify is Douglas–Peucker on metres (a local projection, not degrees,
// so the tolerance means the same east–west as north–south). It keeps the
// first and last fix and returns a new slice.
func Simplify(fs []Fix, tolM float64) []Fix {
	if tolM <= 0 || len(fs) < 3 {
		return append([]Fix(nil), fs...)
	}
	p := newProj(fs[0].Lat)
	xy := make([][2]float64, len(fs))
	for i, f := range fs {
		x, y := p.xy(f.Lat, f.Lon)
		xy[i] = [2]float64{x, y}
	}
	keep := make([]bool, len(fs))
	keep[0], keep[len(fs)-1] = true, true
	stack := [][2]int{{0, len(fs) - 1}}
	tol2 := tolM * tolM
	for len(stack) > 0 {
		a, b := stack[len(stack)-1][0], stack[len(stack)-1][1]
		stack = stack[:len(stack)-1]
		best, bd := -1, tol2
		for i := a + 1; i < b; i++ {
			if d := segDist2(xy[i], xy[a], xy[b]); d > bd {
				best, bd = i, d
			}
		}
		if best >= 0 {
			keep[best] = true
			stack = append(stack, [2]int{a, best}, [2]int{best, b})
		}
	}
	out := make([]Fix, 0, len(fs)/4+2)
	for i, k := range keep {
		if k {
			out = append(out, fs[i])
		}
	}
	return out
}

// segDist2 is the squared distance from p to the segment ab.
func segDist2(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
		t = max(0, min(1, t))
	}
	ex, ey := p[0]-a[0]-t*dx, p[1]-a[1]-t*dy
	return ex*ex + ey*ey
}
