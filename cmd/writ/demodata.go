package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/writhq/writ"
)

// demoWorld is a small deterministic stand-in for the synthetic world (issue
// 3 replaces it): a ring of six phones that call each other more than the
// background population does, their devices' pings around a few places in
// Brussels, and their plates read by cameras.
type demoWorld struct {
	start     time.Time
	ring      []string // phones of the ring (E.164)
	devices   []string // devices of the ring
	plates    []string // plates of the ring
	contacts  []writ.Contact
	pings     []writ.Ping
	plateRead []writ.PlateRead
}

func newDemoWorld(seed uint64, start time.Time, days int, basis func(writ.Category) int64) *demoWorld {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	w := &demoWorld{start: start}
	others := make([]string, 60)
	for i := range others {
		others[i] = fmt.Sprintf("+3247%07d", 1000000+rng.IntN(8999999))
	}
	for i := range 6 {
		w.ring = append(w.ring, fmt.Sprintf("+3249%07d", 1000000+i*111111))
		w.devices = append(w.devices, fmt.Sprintf("imei-35%013d", 1000000+i*7919))
		w.plates = append(w.plates, fmt.Sprintf("1ABC%03d", 100+i*37))
	}
	prov := func(dataset string, cat writ.Category, n int, row string) writ.Provenance {
		h := sha256.Sum256([]byte(dataset + "\x00" + row))
		return writ.Provenance{Dataset: dataset, Source: "demo:" + dataset, Offset: int64(n),
			ContentHash: hex.EncodeToString(h[:]), Batch: "demo-1", BasisKind: "authority", BasisID: basis(cat)}
	}
	at := func() time.Time {
		return start.Add(time.Duration(rng.Int64N(int64(days) * int64(24*time.Hour)))).Truncate(time.Second)
	}
	for i := range 3000 {
		var a, b string
		switch {
		case i%3 == 0: // inside the ring
			a, b = w.ring[rng.IntN(6)], w.ring[rng.IntN(6)]
		case i%3 == 1: // ring to outside
			a, b = w.ring[rng.IntN(6)], others[rng.IntN(len(others))]
		default:
			a, b = others[rng.IntN(len(others))], others[rng.IntN(len(others))]
		}
		if a == b {
			continue
		}
		c := writ.Contact{Caller: a, Callee: b, StartedAt: at(), DurationSec: rng.IntN(900),
			Type: []string{"call", "sms"}[rng.IntN(2)]}
		c.Prov = prov("telco-cdr", writ.CatComms, i+1, fmt.Sprint(c.Caller, c.Callee, c.StartedAt.Unix(), c.DurationSec, c.Type))
		w.contacts = append(w.contacts, c)
	}
	// Places the ring uses: a print shop, a café, a car park.
	places := []writ.Point{{Lat: 50.8466, Lon: 4.3528}, {Lat: 50.8503, Lon: 4.3517}, {Lat: 50.8389, Lon: 4.3755}}
	for i := range 4000 {
		d := rng.IntN(len(w.devices))
		p := places[rng.IntN(len(places))]
		pg := writ.Ping{Device: w.devices[d], At: at(), Lat: p.Lat + rng.NormFloat64()*0.0005,
			Lon: p.Lon + rng.NormFloat64()*0.0005, AccuracyM: 5 + rng.Float64()*30}
		pg.Prov = prov("carrier-location", writ.CatLocation, i+1, fmt.Sprint(pg.Device, pg.At.Unix(), pg.Lat, pg.Lon))
		w.pings = append(w.pings, pg)
	}
	cameras := []string{"cam-E40-12", "cam-R0-03", "cam-A12-07", "cam-centre-21"}
	for i := range 1500 {
		plate := w.plates[rng.IntN(len(w.plates))]
		if i%2 == 1 {
			plate = fmt.Sprintf("%d%c%c%c%03d", 1+rng.IntN(2), 'A'+rune(rng.IntN(26)), 'A'+rune(rng.IntN(26)), 'A'+rune(rng.IntN(26)), rng.IntN(1000))
		}
		cam := rng.IntN(len(cameras))
		pr := writ.PlateRead{Plate: plate, Camera: cameras[cam], At: at(),
			Lat: 50.80 + float64(cam)*0.02, Lon: 4.30 + float64(cam)*0.03}
		pr.Prov = prov("anpr-network", writ.CatPlates, i+1, fmt.Sprint(pr.Plate, pr.Camera, pr.At.Unix()))
		w.plateRead = append(w.plateRead, pr)
	}
	return w
}
