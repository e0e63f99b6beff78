package geo

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/near"
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

// HomeWorkRadiusM is how far around a target's home and workplace
// HomeWorkAreas reaches: a stay's fixes scatter over 50-100 m, and a
// neighbour's or colleague's phone within the co-location radius of them
// is explained too.
const HomeWorkRadiusM = 150

// HomeWorkAreas returns the target's own home and workplace as areas for
// CoLocOptions.Exclude (discs of HomeWorkRadiusM, the home's first), with
// the anchors found (nil if none), as InferHomeWork finds them with the
// same settings (so, epsM, o): what the home and work inference shows is
// what is left out.
func HomeWorkAreas(target []Fix, so StayOptions, epsM float64, o HomeWorkOptions) (areas []Area, home, work *Anchor) {
	_, home, work = InferHomeWork(target, so, epsM, o)
	for _, a := range []*Anchor{home, work} {
		if a != nil {
			areas = append(areas, Circle{Center: writ.Point{Lat: a.Lat, Lon: a.Lon}, RadiusM: HomeWorkRadiusM})
		}
	}
	return areas, home, work
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

// CoLocator ranks the devices that were repeatedly near a target from
// their pings near its fixes, as they come from a store
// (writ.EventStore.PingsNear of Query) in any order: CoLocation's answer
// without holding the candidates' tracks.
type CoLocator struct {
	o      CoLocOptions
	target string
	q      writ.NearQuery
	dp     []int32    // per probe: the index of its (day, place) in dps
	dps    []dayPlace // a probe's UTC day, and its PlaceM cell
	mu     sync.Mutex // guards shares
	shares []*coShare // Add's first, then one per Receiver; Result adds them up
}

// coShare is what one receiver has counted.
type coShare struct {
	per   map[string]*coAcc
	last  *coAcc // of the device added last: pings come in runs of one device
	lastD string
}

type coAcc struct {
	enc         int
	first, last int64
	dps         []dpCount // the (day, place)s met, and their encounters
	at          int       // the index in dps counted last: a run of pings stays at one
}

type dpCount struct{ id, n int32 }

// count adds n encounters at (day, place) id.
func (a *coAcc) count(id, n int32) {
	if a.at < len(a.dps) && a.dps[a.at].id == id {
		a.dps[a.at].n += n
		return
	}
	for i := range a.dps {
		if a.dps[i].id == id {
			a.dps[i].n += n
			a.at = i
			return
		}
	}
	a.at = len(a.dps)
	a.dps = append(a.dps, dpCount{id, n})
}

// NewCoLocator prepares the co-location of the target device's fixes.
func NewCoLocator(target []Fix, targetDevice string, o CoLocOptions) *CoLocator {
	o = o.norm()
	c := &CoLocator{o: o, target: targetDevice, shares: []*coShare{{per: map[string]*coAcc{}}}}
	fs := o.targetFixes(target)
	c.q = writ.NearQuery{RadiusM: o.RadiusM, Within: o.Within, Exclude: targetDevice}
	if o.MaxAccM > 0 {
		c.q.MaxAccM = o.MaxAccM
	}
	if len(fs) == 0 {
		return c
	}
	p := newProj(fs[0].Lat)
	ids := map[dayPlace]int32{}
	c.dp = make([]int32, len(fs))
	for i, f := range fs {
		c.q.Probes = append(c.q.Probes, writ.Probe{Lat: f.Lat, Lon: f.Lon, At: time.Unix(f.T, 0)})
		x, y := p.xy(f.Lat, f.Lon)
		k := dayPlace{f.T / 86400, [2]int32{int32(math.Floor(x / o.PlaceM)), int32(math.Floor(y / o.PlaceM))}}
		id, ok := ids[k]
		if !ok {
			id = int32(len(c.dps))
			ids[k] = id
			c.dps = append(c.dps, k)
		}
		c.dp[i] = id
	}
	return c
}

// Query is the store read that gives the CoLocator its candidates: the
// pings within the radius and time of the target's fixes it uses
// (accurate ones, outside o.Exclude), except the target's own. Its probes
// are those fixes, in the order Add's NearPing.Probe counts them.
func (c *CoLocator) Query() writ.NearQuery { return c.q }

// Add counts a ping near the target (a NearPing of Query). A ping of the
// target itself, or of a probe Query does not have, is ignored. Add is for
// one goroutine; a store reading on several gives each a Receiver.
func (c *CoLocator) Add(p *writ.NearPing) { c.add(c.shares[0], p) }

// Receiver is a PingsNear receiver (writ.EventStore) that counts into a
// share of its own, so that receivers on several goroutines count at once
// with no lock; Result adds the shares up. Call it from one goroutine at a
// time, and Result only after the read.
func (c *CoLocator) Receiver() func(*writ.NearPing) error {
	sh := &coShare{per: map[string]*coAcc{}}
	c.mu.Lock()
	c.shares = append(c.shares, sh)
	c.mu.Unlock()
	return func(p *writ.NearPing) error {
		c.add(sh, p)
		return nil
	}
}

func (c *CoLocator) add(sh *coShare, p *writ.NearPing) {
	if p.Device == c.target || p.Probe < 0 || p.Probe >= len(c.dp) {
		return
	}
	a := sh.last
	if a == nil || p.Device != sh.lastD {
		if a = sh.per[p.Device]; a == nil {
			a = &coAcc{first: math.MaxInt64, last: math.MinInt64}
			sh.per[p.Device] = a
		}
		sh.last, sh.lastD = a, p.Device
	}
	t := p.At.Unix()
	a.enc++
	a.first, a.last = min(a.first, t), max(a.last, t)
	a.count(c.dp[p.Probe], 1)
}

// merge adds the receivers' shares into the first, and returns its counts.
func (c *CoLocator) merge() map[string]*coAcc {
	c.mu.Lock()
	defer c.mu.Unlock()
	per := c.shares[0].per
	for _, sh := range c.shares[1:] {
		for d, b := range sh.per {
			a := per[d]
			if a == nil {
				per[d] = b
				continue
			}
			a.enc += b.enc
			a.first, a.last = min(a.first, b.first), max(a.last, b.last)
			for _, dc := range b.dps {
				a.count(dc.id, dc.n)
			}
		}
	}
	c.shares = c.shares[:1]
	c.shares[0].last, c.shares[0].lastD = nil, ""
	return per
}

// Result ranks the devices counted so far (see CoLocation).
func (c *CoLocator) Result() []CoLocated {
	o := c.o
	per := c.merge()
	// Crowding: distinct devices per (day, place), averaged over the days
	// the target met anyone there.
	devs := make([]int, len(c.dps))
	for d, a := range per {
		a.dps = slices.DeleteFunc(a.dps, func(dc dpCount) bool { return int(dc.n) < o.MinEnc })
		for _, dc := range a.dps {
			devs[dc.id]++
		}
		if len(a.dps) == 0 {
			delete(per, d)
		}
	}
	sum, days := map[[2]int32]float64{}, map[[2]int32]float64{}
	for dp, n := range devs {
		if n > 0 {
			sum[c.dps[dp].cell] += float64(n)
			days[c.dps[dp].cell]++
		}
	}
	out := make([]CoLocated, 0, len(per))
	for d, a := range per {
		m := CoLocated{Device: d, Encounters: a.enc, First: a.first, Last: a.last}
		dset, pset := map[int64]bool{}, map[[2]int32]bool{}
		for _, dc := range a.dps {
			dp := c.dps[dc.id]
			dset[dp.day], pset[dp.cell] = true, true
			m.Score += 1 / (1 + math.Log(sum[dp.cell]/days[dp.cell]))
		}
		m.Days, m.Places = len(dset), len(pset)
		out = append(out, m)
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

// CoLocation ranks the devices that were repeatedly near a target: those
// met on MinDays or more days first, then the rest. A device fix is an
// encounter if it lies within RadiusM and Within of a target fix (package
// near's test, as the stores make it); it counts for the (UTC day, place)
// of the first such target fix in time. Each distinct (day, place) a
// device shares with the target on at least MinEnc encounters counts once,
// weighted by 1/(1+ln n) where n is the mean number of devices near the
// target on a day at that place: a café full of strangers counts for less
// than a quiet street corner, so devices that meet the target on many days
// and in several quiet places rank first. tracks may include the target,
// which is skipped.
func CoLocation(target []Fix, tracks []Track, targetDevice string, o CoLocOptions) []CoLocated {
	c := NewCoLocator(target, targetDevice, o)
	m := near.New(c.Query())
	if m == nil {
		return nil
	}
	for _, tr := range tracks {
		for _, f := range tr.Fixes {
			us := f.T * 1e6
			if probe, ok := m.Match(tr.Device, f.Lat, f.Lon, float64(f.Acc), us); ok {
				c.Add(&writ.NearPing{Device: tr.Device, At: time.Unix(f.T, 0), Lat: f.Lat, Lon: f.Lon, AccuracyM: float64(f.Acc), Probe: probe})
			}
		}
	}
	return c.Result()
}
