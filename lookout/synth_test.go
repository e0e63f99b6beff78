package lookout

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/pingblock"
)

// Synthetic load for the benchmarks: lookouts of every kind over a
// universe of phones, devices and plates around Brussels, and batches of
// events in which about matchRate of the events concern a watched selector.

const (
	synthLat, synthLon = 50.85, 4.35
	synthSpread        = 0.2 // degrees around the centre
)

// SynthLookouts returns n lookouts of case caseID under authority authID
// (in the mix of docs/lookouts.md), and the selectors they watch by kind.
func SynthLookouts(n int, caseID, authID int64, seed uint64) ([]*writ.Lookout, map[writ.SelectorKind][]string) {
	r := rand.New(rand.NewPCG(seed, 7))
	watched := map[writ.SelectorKind][]string{}
	var out []*writ.Lookout
	sel := func(k writ.SelectorKind) writ.Selector {
		var v string
		switch k {
		case writ.SelPhone:
			v = fmt.Sprintf("+3249%07d", r.IntN(10_000_000))
		case writ.SelDevice:
			v = fmt.Sprintf("dev-%08d", r.IntN(100_000_000))
		case writ.SelPlate:
			v = fmt.Sprintf("%d%c%c%c%03d", 1+r.IntN(9), 'A'+r.IntN(26), 'A'+r.IntN(26), 'A'+r.IntN(26), r.IntN(1000))
		}
		watched[k] = append(watched[k], v)
		return writ.Selector{Kind: k, Value: v}
	}
	for i := range n {
		l := &writ.Lookout{ID: int64(i + 1), CaseID: caseID, AuthorityID: authID, Name: fmt.Sprint("synthetic ", i),
			Purpose: "benchmark of lookout matching", Status: writ.LookoutActive, RatePerHour: 1_000_000, CreatedBy: 1}
		switch p := i % 200; {
		case p == 0: // 0.5% any device entering a 150 m circle (an area authority)
			l.Kind, l.Category = writ.LookoutArea, writ.CatLocation
			lat, lon := synthPoint(r)
			l.Circle = &writ.Circle{Center: writ.Point{Lat: lat, Lon: lon}, RadiusM: 150}
		case p < 80: // 40% phones in comms
			l.Kind, l.Category = writ.LookoutAppears, writ.CatComms
			l.Selectors = []writ.Selector{sel(writ.SelPhone), sel(writ.SelPhone)}
		case p < 120: // 20% devices in pings
			l.Kind, l.Category = writ.LookoutAppears, writ.CatLocation
			l.Selectors = []writ.Selector{sel(writ.SelDevice)}
		case p < 150: // 15% hotlists
			l.Kind, l.Category = writ.LookoutHotlist, writ.CatPlates
			l.Selectors = []writ.Selector{sel(writ.SelPlate), sel(writ.SelPlate), sel(writ.SelPlate)}
		case p < 180: // 15% a device entering a ~1 km square
			l.Kind, l.Category = writ.LookoutArea, writ.CatLocation
			l.Selectors = []writ.Selector{sel(writ.SelDevice)}
			l.Area = synthSquare(r, 0.0045)
		default: // 10% entity attributes
			l.Kind, l.Category, l.Entity = writ.LookoutAttribute, writ.CatRecords, writ.EntityPerson
			l.Selectors = []writ.Selector{{Kind: writ.SelSubject, Value: "1"}}
			l.Conditions = []writ.Condition{{Field: "full_name", Value: fmt.Sprintf("person %d", r.IntN(1_000_000))},
				{Field: "birth_date", Value: "1980-01-02"}}
		}
		out = append(out, l)
	}
	return out, watched
}

func synthPoint(r *rand.Rand) (float64, float64) {
	return synthLat + (r.Float64()*2-1)*synthSpread, synthLon + (r.Float64()*2-1)*synthSpread
}

func synthSquare(r *rand.Rand, d float64) writ.Polygon {
	lat, lon := synthPoint(r)
	return writ.Polygon{{Lat: lat - d, Lon: lon - d}, {Lat: lat - d, Lon: lon + d}, {Lat: lat + d, Lon: lon + d}, {Lat: lat + d, Lon: lon - d}}
}

// SynthBatch returns a batch of n events of kind (pings, contacts or plate
// reads) at times from at, a fraction matchRate of them about watched
// selectors. Content hashes are "<tag>-<i>". Times are whole milliseconds
// and coordinates on the 1e-6° grid (about 0.1 m), the precision feeds
// carry, so sqlstore keeps pings in their blocks alone, as it does a
// file's. Full float64 coordinates made it keep every ping a second time,
// exactly, in ping_rows: half the cost of a batch of pings.
func SynthBatch(kind writ.DataKind, n int, tag string, at time.Time, matchRate float64, watched map[writ.SelectorKind][]string, seed uint64) *writ.Batch {
	r := rand.New(rand.NewPCG(seed, 11))
	b := &writ.Batch{BatchInfo: writ.BatchInfo{Kind: kind}}
	pick := func(k writ.SelectorKind, other func() string) string {
		if w := watched[k]; len(w) > 0 && r.Float64() < matchRate {
			return w[r.IntN(len(w))]
		}
		return other()
	}
	at = at.Truncate(time.Millisecond)
	for i := range n {
		t := at.Add(time.Duration(i) * time.Millisecond)
		p := writ.Provenance{Offset: int64(i + 1), ContentHash: fmt.Sprintf("%s-%d", tag, i)}
		lat, lon := synthPoint(r)
		lat, lon = float64(pingblock.E6(lat))/1e6, float64(pingblock.E6(lon))/1e6
		switch kind {
		case writ.DataPings:
			dev := pick(writ.SelDevice, func() string { return fmt.Sprintf("dev-x%07d", r.IntN(1_000_000)) })
			b.Pings = append(b.Pings, writ.Ping{Device: dev, At: t, Lat: lat, Lon: lon, AccuracyM: 20, Prov: p})
		case writ.DataContacts:
			from := pick(writ.SelPhone, func() string { return fmt.Sprintf("+3247%07d", r.IntN(10_000_000)) })
			to := fmt.Sprintf("+3247%07d", r.IntN(10_000_000))
			b.Contacts = append(b.Contacts, writ.Contact{Caller: from, Callee: to, StartedAt: t, DurationSec: 30, Type: "call", Prov: p})
		case writ.DataPlateReads:
			plate := pick(writ.SelPlate, func() string { return fmt.Sprintf("X%06d", r.IntN(1_000_000)) })
			b.PlateReads = append(b.PlateReads, writ.PlateRead{Plate: plate, Camera: fmt.Sprint("cam-", r.IntN(500)), At: t, Lat: lat, Lon: lon, Prov: p})
		}
	}
	return b
}
