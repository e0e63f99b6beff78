package geo

import (
	"time"
)

// HomeWorkOptions say when home and work are expected, in local time.
type HomeWorkOptions struct {
	Loc                *time.Location // zone of the routines; default UTC
	NightFrom, NightTo int            // hours; default 22 to 6 (the night crosses midnight)
	DayFrom, DayTo     int            // weekday hours; default 9 to 17
}

func (o HomeWorkOptions) norm() HomeWorkOptions {
	if o.Loc == nil {
		o.Loc = time.UTC
	}
	if o.NightFrom == 0 && o.NightTo == 0 {
		o.NightFrom, o.NightTo = 22, 6
	}
	if o.DayFrom == 0 && o.DayTo == 0 {
		o.DayFrom, o.DayTo = 9, 17
	}
	return o
}

// Anchor is an inferred home or workplace.
type Anchor struct {
	Place      int // index into the places given
	Lat, Lon   float64
	Hours      float64 // dwell there in the anchor's hours (night, or weekday daytime)
	Days       int     // distinct nights or weekdays with dwell there
	Confidence float64 // share of the anchor hours spent there, times the share of observed days
}

// HomeStays are the stay settings of home and work inference: a
// stationary device reports rarely, so stays break only at 3-hour
// silences, and the stay still open at the last fix counts.
func HomeStays() StayOptions { return StayOptions{IncludeLast: true, MaxGap: 3 * time.Hour} }

// homeAccuracyM is how inaccurate a fix home and work inference takes may
// be: a cell-tower fix kilometres wide would smear the stays.
const homeAccuracyM = 100

// InferHomeWork infers a device's home and workplace from its fixes, the
// one way the API, co-location's exclusion and the accuracy test do it:
// the stays (so; HomeStays unless tuned) of its fixes accurate to
// 100 m, clustered into places (Places, radius epsM, every stay in
// a place), then HomeWork. The places come back too, ranked by dwell.
func InferHomeWork(fixes []Fix, so StayOptions, epsM float64, o HomeWorkOptions) (places []Place, home, work *Anchor) {
	stays := StayPoints(Accurate(fixes, homeAccuracyM), so)
	places, labels := Places(stays, epsM, 1)
	home, work = HomeWork(stays, places, labels, o)
	return places, home, work
}

// HomeWork infers home (most night-time dwell) and work (most weekday
// daytime dwell elsewhere) from stays and their places (as from Places). A
// nil result means no dwell in those hours at all.
func HomeWork(stays []Stay, places []Place, labels []int, o HomeWorkOptions) (home, work *Anchor) {
	o = o.norm()
	nightTo := o.NightTo
	if nightTo <= o.NightFrom {
		nightTo += 24
	}
	night := make([]float64, len(places))
	day := make([]float64, len(places))
	nightDays := make([]map[int64]bool, len(places))
	dayDays := make([]map[int64]bool, len(places))
	allNights, allDays := map[int64]bool{}, map[int64]bool{}
	var nightTotal, dayTotal float64
	for i, s := range stays {
		c := labels[i]
		daily(s.Start, s.End, o.Loc, o.NightFrom, nightTo, false, func(d int64, sec float64) {
			allNights[d] = true
			nightTotal += sec
			if c >= 0 {
				night[c] += sec
				nightDays[c] = addDay(nightDays[c], d)
			}
		})
		daily(s.Start, s.End, o.Loc, o.DayFrom, o.DayTo, true, func(d int64, sec float64) {
			allDays[d] = true
			dayTotal += sec
			if c >= 0 {
				day[c] += sec
				dayDays[c] = addDay(dayDays[c], d)
			}
		})
	}
	pick := func(dwell []float64, days []map[int64]bool, total float64, all map[int64]bool, skip int) *Anchor {
		best := -1
		for c, v := range dwell {
			if c != skip && v > 0 && (best < 0 || v > dwell[best]) {
				best = c
			}
		}
		if best < 0 {
			return nil
		}
		return &Anchor{Place: best, Lat: places[best].Lat, Lon: places[best].Lon, Hours: dwell[best] / 3600,
			Days:       len(days[best]),
			Confidence: dwell[best] / total * float64(len(days[best])) / float64(len(all))}
	}
	home = pick(night, nightDays, nightTotal, allNights, -1)
	skip := -1
	if home != nil {
		skip = home.Place
	}
	work = pick(day, dayDays, dayTotal, allDays, skip)
	return home, work
}

func addDay(m map[int64]bool, d int64) map[int64]bool {
	if m == nil {
		m = map[int64]bool{}
	}
	m[d] = true
	return m
}

// daily calls f for each local day d whose window [d+fromH, d+toH) overlaps
// [s, e), with the overlap in seconds; toH may pass 24 for a night. The day
// is the local calendar day the window starts on (a night belongs to its
// evening), as days since the epoch.
func daily(s, e int64, loc *time.Location, fromH, toH int, weekdays bool, f func(d int64, sec float64)) {
	if e <= s {
		return
	}
	t := time.Unix(s, 0).In(loc)
	d := time.Date(t.Year(), t.Month(), t.Day()-1, 0, 0, 0, 0, loc)
	for ; d.Unix() < e; d = d.AddDate(0, 0, 1) {
		if weekdays && (d.Weekday() == time.Saturday || d.Weekday() == time.Sunday) {
			continue
		}
		ws := d.Add(time.Duration(fromH) * time.Hour).Unix()
		we := d.Add(time.Duration(toH) * time.Hour).Unix()
		lo, hi := max(s, ws), min(e, we)
		if hi > lo {
			_, off := d.Zone()
			f((d.Unix()+int64(off))/86400, float64(hi-lo))
		}
	}
}
