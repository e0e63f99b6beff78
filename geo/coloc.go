package geo

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/writhq/writ"
)

// CoLocOptions set what counts as together.
type CoLocOptions struct {
	RadiusM float64       // within this distance; default 100 m
	Within  time.Duration // and this time of a target fix; default 10 min
	PlaceM  float64       // encounters in one cell of this size are one place; default 250 m
	MaxAccM float64       // ignore fixes less accurate than this; default 100 m; <0: keep all
	Top     int           // keep the best Top devices; 0: all
	MinEnc  int           // encounters a (day, place) needs to count; default 2, so passers-by do not
	MinDays int           // devices met on fewer days rank after the repeated ones; default 2
	// Exclude drops target fixes in these areas, typically the target's
	// own home and workplace (from HomeWork): meeting the household there
	// or colleagues at work is explained; what an investigator wants is
	// the company kept elsewhere.
	Exclude []Area
}

func (o CoLocOptions) norm() CoLocOptions {
	if o.RadiusM <= 0 {
		o.RadiusM = 100
	}
	if o.Within <= 0 {
		o.Within = 10 * time.Minute
	}
	if o.PlaceM <= 0 {
		o.PlaceM = 250
	}
	if o.MinDays <= 0 {
		o.MinDays = 2
	}
	if o.MinEnc <= 0 {
		o.MinEnc = 2
	}
	if o.MaxAccM == 0 {
		o.MaxAccM = 100
	}
	return o
}

// NearQuery is the store read that gives CoLocation its candidates for a
// target: the pings within the radius and time of the target's fixes that
// CoLocation would use (accurate ones, outside o.Exclude), except the
// target's own. It asks for a hair more than CoLocation counts (1% of the
// radius, a second of time, as fixes keep whole seconds), so the store's
// distance and rounding never drop an encounter CoLocation would see.
func NearQuery(target []Fix, targetDevice string, o CoLocOptions) writ.NearQuery {
	o = o.norm()
	q := writ.NearQuery{RadiusM: o.RadiusM*1.01 + 1, Within: o.Within + time.Second, Exclude: targetDevice}
	if o.MaxAccM > 0 {
		q.MaxAccM = o.MaxAccM
	}
	for _, f := range o.targetFixes(target) {
		q.Probes = append(q.Probes, writ.Probe{Lat: f.Lat, Lon: f.Lon, At: time.Unix(f.T, 0)})
	}
	return q
}

// targetFixes are the target's fixes CoLocation uses: accurate enough, and
// outside o.Exclude. o is normalised.
func (o CoLocOptions) targetFixes(target []Fix) []Fix {
	target = Accurate(target, o.MaxAccM)
	if len(o.Exclude) == 0 {
		return target
	}
	kept := make([]Fix, 0, len(target))
next:
	for _, f := range target {
		for _, a := range o.Exclude {
			if In(a, f.Lat, f.Lon) {
				continue next
			}
		}
		kept = append(kept, f)
	}
	return kept
}

// CoLocated is a device seen near the target, and how strongly.
type CoLocated struct {
	Device      string
	Encounters  int     // device fixes within RadiusM and Within of a target fix
	Days        int     // distinct UTC days with an encounter
	Places      int     // distinct places (PlaceM cells) with an encounter
	Score       float64 // sum over distinct (day, place) of the place's weight
	First, Last int64   // unix seconds of the first and last encounter
}

type dayPlace struct {
	day  int64
	cell [2]int32
}

// CoLocation ranks the devices that were repeatedly near a target: those
// met on MinDays or more days first, then the rest. Each
// distinct (day, place) a device shares with the target counts once,
// weighted by 1/(1+ln n) where n is the mean number of devices near the
// target on a day at that place: a café full of strangers counts for less
// than a quiet street corner, so devices that meet the target on many days
// and in several quiet places rank first. tracks may include the target,
// which is skipped. Fixes must be time-sorted.
func CoLocation(target []Fix, tracks []Track, targetDevice string, o CoLocOptions) []CoLocated {
	o = o.norm()
	target = o.targetFixes(target)
	if len(target) == 0 {
		return nil
	}
	w := int64(o.Within / time.Second)
	p := newProj(target[0].Lat)
	// Target fixes by time bin of width w: an encounter is in the fix's bin
	// or a neighbour.
	t0 := target[0].T - w
	nb := (target[len(target)-1].T+w-t0)/w + 1
	bins := make([][2]int32, nb) // [first, end) index into target
	for i := range bins {
		bins[i] = [2]int32{-1, -1}
	}
	tx := make([][2]float64, len(target))
	for i, f := range target {
		b := (f.T - t0) / w
		if bins[b][0] < 0 {
			bins[b][0] = int32(i)
		}
		bins[b][1] = int32(i + 1)
		x, y := p.xy(f.Lat, f.Lon)
		tx[i] = [2]float64{x, y}
	}
	r2 := o.RadiusM * o.RadiusM
	type acc struct {
		enc         int
		first, last int64
		dps         map[dayPlace]int
	}
	per := map[int]*acc{}
	place := func(i int) [2]int32 {
		return [2]int32{int32(math.Floor(tx[i][0] / o.PlaceM)), int32(math.Floor(tx[i][1] / o.PlaceM))}
	}
	for di, tr := range tracks {
		if tr.Device == targetDevice {
			continue
		}
		fs := Window(tr.Fixes, time.Unix(t0, 0), time.Unix(target[len(target)-1].T+w+1, 0))
		for _, f := range fs {
			if o.MaxAccM > 0 && f.Acc > 0 && float64(f.Acc) > o.MaxAccM {
				continue
			}
			b := (f.T - t0) / w
			x, y := p.xy(f.Lat, f.Lon)
			best, bd := -1, r2
			for bb := max(b-1, 0); bb <= min(b+1, nb-1); bb++ {
				for i := bins[bb][0]; i >= 0 && i < bins[bb][1]; i++ {
					if d := target[i].T - f.T; d > w || d < -w {
						continue
					}
					dx, dy := tx[i][0]-x, tx[i][1]-y
					if d2 := dx*dx + dy*dy; d2 <= bd {
						best, bd = int(i), d2
					}
				}
			}
			if best < 0 {
				continue
			}
			a := per[di]
			if a == nil {
				a = &acc{first: f.T, dps: map[dayPlace]int{}}
				per[di] = a
			}
			a.enc++
			a.last = f.T
			a.dps[dayPlace{target[best].T / 86400, place(best)}]++
		}
	}
	// Crowding: distinct devices per (day, place), averaged over the days
	// the target met anyone there.
	devs := map[dayPlace]int{}
	for di, a := range per {
		for dp, n := range a.dps {
			if n < o.MinEnc {
				delete(a.dps, dp)
				continue
			}
			devs[dp]++
		}
		if len(a.dps) == 0 {
			delete(per, di)
		}
	}
	sum, days := map[[2]int32]float64{}, map[[2]int32]float64{}
	for dp, n := range devs {
		sum[dp.cell] += float64(n)
		days[dp.cell]++
	}
	out := make([]CoLocated, 0, len(per))
	for di, a := range per {
		c := CoLocated{Device: tracks[di].Device, Encounters: a.enc, First: a.first, Last: a.last}
		dset, pset := map[int64]bool{}, map[[2]int32]bool{}
		for dp := range a.dps {
			dset[dp.day], pset[dp.cell] = true, true
			c.Score += 1 / (1 + math.Log(sum[dp.cell]/days[dp.cell]))
		}
		c.Days, c.Places = len(dset), len(pset)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b CoLocated) int {
		if ra, rb := a.Days >= o.MinDays, b.Days >= o.MinDays; ra != rb {
			if ra {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Encounters, a.Encounters); c != 0 {
			return c
		}
		return cmp.Compare(a.Device, b.Device)
	})
	if o.Top > 0 && len(out) > o.Top {
		out = out[:o.Top]
	}
	return out
}
