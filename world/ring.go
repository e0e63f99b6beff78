package world

import "time"

// ring is the planted investigation: a counterfeit-document ring. The seller
// runs a print shop; two suppliers work at a warehouse; three couriers drive.
// They meet at one café, call each other on burners they replace, and a
// supplier and a courier drive from the warehouse to the café in convoy.
type ring struct {
	seller    int32
	suppliers [2]int32
	couriers  [3]int32
	buyers    []int32
	shop      int32 // places
	warehouse int32
	cafe      int32
	meetings  []meeting
	visits    []visit
}

// meeting is one ring day: the supplier and courier leave the warehouse in
// convoy (the courier gap seconds behind), and meet the seller at the café.
type meeting struct {
	day      int
	supplier int32
	courier  int32
	depart   int32   // seconds after the day's midnight UTC
	gap      int32   // seconds between the two cars
	speed    float64 // m/s, both cars
	end      int32   // the café meeting ends
}

// visit is a buyer's visit to the seller's shop.
type visit struct {
	day   int
	buyer int32
	at    int32 // arrival, seconds after midnight UTC
	stay  int32
}

func (rg *ring) members() []int32 {
	m := []int32{rg.seller, rg.suppliers[0], rg.suppliers[1], rg.couriers[0], rg.couriers[1], rg.couriers[2]}
	return append(m, rg.buyers...)
}

// drivers are the ring members who must own a car.
func (rg *ring) drivers() []int32 {
	return []int32{rg.suppliers[0], rg.suppliers[1], rg.couriers[0], rg.couriers[1], rg.couriers[2]}
}

// buildRing picks the ring among adults of distinct households and gives it
// its places and schedule. It runs after buildEmployers and before phones
// and vehicles.
func (w *world) buildRing() {
	r := newRNG(w.seed, streamRing, 0, 0)
	used := map[int32]bool{}
	pick := func(role uint8) int32 {
		// Adults of 22 to 60 from distinct households; in a tiny world,
		// anyone not in the ring yet.
		for try := 0; ; try++ {
			i := int32(r.intn(len(w.persons)))
			p := &w.persons[i]
			a := p.age(w.startUnix)
			if p.role != roleNone || try < 10_000 && (a < 22 || a > 60 || used[p.household]) {
				continue
			}
			used[p.household] = true
			p.role = role
			return i
		}
	}
	rg := &w.ring
	rg.seller = pick(roleSeller)
	for i := range rg.suppliers {
		rg.suppliers[i] = pick(roleSupplier)
	}
	for i := range rg.couriers {
		rg.couriers[i] = pick(roleCourier)
	}
	for range r.rangeInt(4, 6) {
		rg.buyers = append(rg.buyers, pick(roleBuyer))
	}
	jitter := func(lat, lon float64) point {
		dx, dy := r.norm2()
		return point{lat, lon}.offset(dx*150, dy*150).clampPlace()
	}
	// The shop near the Gare du Midi, the warehouse by the canal in
	// Anderlecht, the café in Schaerbeek: a convoy crosses half the city.
	shopName := "Copy " + shortStreet(oneOf(&r, streetNames(5))) + " SRL"
	rg.shop = w.addPlace(place{kind: kindWork, pt: jitter(50.8355, 4.3365), name: shopName, muni: 5, owner: int32(len(w.employers))})
	w.employers = append(w.employers, employer{name: shopName, vat: vat(w.seed, len(w.employers)), place: rg.shop})
	whName := fold(w.persons[rg.suppliers[0]].family) + " Import-Export SRL"
	rg.warehouse = w.addPlace(place{kind: kindWork, pt: jitter(50.8250, 4.2950), name: whName, muni: 6, owner: int32(len(w.employers))})
	w.employers = append(w.employers, employer{name: whName, vat: vat(w.seed, len(w.employers)), place: rg.warehouse})
	rg.cafe = w.addPlace(place{kind: kindVenue, pt: jitter(50.8640, 4.3700), name: "Café " + shortStreet(oneOf(&r, streetNames(2))), muni: 2, owner: -1})

	w.persons[rg.seller].occ, w.persons[rg.seller].employer = occEmployed, int32(len(w.employers)-2)
	for _, s := range rg.suppliers {
		w.persons[s].occ, w.persons[s].employer = occEmployed, int32(len(w.employers)-1)
	}
	w.indexWorkers()

	// Ring days: every third day from the second, or the only day.
	for d, k := 1, 0; d < w.days || (d == 1 && w.days == 1); d, k = d+3, k+1 {
		day := min(d, w.days-1)
		rg.meetings = append(rg.meetings, meeting{
			day: day, supplier: rg.suppliers[k%2], courier: rg.couriers[k%3],
			depart: int32(10*3600 + 25*60 + r.intn(20*60)), // 11:25–11:45 Brussels time
			gap:    int32(r.rangeInt(5, 40)),
			speed:  r.between(8.5, 11),
			end:    int32(12*3600 + 30*60 + r.intn(30*60)),
		})
	}
	// Each buyer visits the shop once, or twice in longer windows.
	for bi, b := range rg.buyers {
		for k := range 1 + w.days/14 {
			day := (bi*w.days/len(rg.buyers) + k*w.days/2) % w.days
			rg.visits = append(rg.visits, visit{day: day, buyer: b,
				at: int32(13*3600 + 1800 + r.intn(5*1800)), stay: int32(r.rangeInt(8, 25) * 60)})
		}
	}
}

// switchTimes are the moments a burner-carrying member replaces the burner:
// at least once, about weekly, in the daytime, staggered between members.
func (rg *ring) switchTimes(w *world, p int32) []int64 {
	j := 0
	for i, m := range rg.members() {
		if m == p {
			j = i
		}
	}
	n := max(1, w.days/7)
	var out []int64
	for s := range n {
		day := min((s+1)*w.days/(n+1), w.days-1)
		out = append(out, w.dayStart(day)+int64(local(hm(9, 0)+j*1800)))
	}
	return out
}

// ringDay returns the meeting on a day, if any.
func (rg *ring) meetingOn(day int) *meeting {
	for i := range rg.meetings {
		if rg.meetings[i].day == day {
			return &rg.meetings[i]
		}
	}
	return nil
}

// dayStart returns the unix time of a day's midnight UTC.
func (w *world) dayStart(day int) int64 { return w.startUnix + int64(day)*86400 }

func (w *world) weekday(day int) time.Weekday { return time.Unix(w.dayStart(day), 0).UTC().Weekday() }
