package world

// A person's day is an itinerary: stays at places joined by legs (trips).
// Times are seconds after the day's midnight UTC; routines are written in
// Brussels winter time (UTC+1), hence the local() conversions.

type stay struct {
	place    int32
	pt       point
	from, to int32
}

type leg struct {
	rt      route
	depart  int32
	arrive  int32
	speed   float64 // m/s
	car     bool
	convoy  bool // a ring convoy: cameras never miss it
	vehicle int32
}

type itinerary struct {
	stays []stay
	legs  []leg // legs[i] runs from stays[i] to stays[i+1]
}

const daySec = 86400

// local turns a Brussels wall-clock time (seconds after local midnight) into
// seconds after the UTC midnight.
func local(sec int) int32 { return int32(sec - 3600) }

func hm(h, m int) int { return h*3600 + m*60 }

// dayBuilder builds one person's itinerary.
type dayBuilder struct {
	w      *world
	it     *itinerary
	r      *rng
	p      *person
	drives bool // takes the car today
}

func (b *dayBuilder) last() *stay { return &b.it.stays[len(b.it.stays)-1] }

// travel plans the leg from the current place to dest without timing it.
func (b *dayBuilder) travel(dest point) leg {
	from := b.last().pt
	d := dist(from, dest)
	switch {
	case b.drives && d > 700:
		return leg{rt: carRoute(from, dest), speed: b.r.between(7, 11.5), car: true, vehicle: b.p.vehicle}
	case d < 1200:
		return leg{rt: directRoute(from, dest), speed: b.r.between(1.1, 1.5)}
	default: // public transport: a straight line at tram speed
		return leg{rt: directRoute(from, dest), speed: b.r.between(4, 6.5)}
	}
}

// goTo leaves the current place at depart for place p. It returns false (and
// changes nothing) when the day is too far gone.
func (b *dayBuilder) goTo(p int32, depart int32) bool {
	l := b.travel(b.w.places[p].pt)
	return b.add(p, l, depart)
}

// arriveAt goes to place p so as to arrive at time at, leaving no earlier
// than five minutes into the current stay.
func (b *dayBuilder) arriveAt(p int32, at int32) bool {
	l := b.travel(b.w.places[p].pt)
	return b.add(p, l, at-int32(l.rt.length()/l.speed))
}

func (b *dayBuilder) add(p int32, l leg, depart int32) bool {
	cur := b.last()
	if p == cur.place {
		return true
	}
	depart = max(depart, cur.from+300)
	l.depart = depart
	l.arrive = depart + int32(l.rt.length()/l.speed) + 1
	if l.arrive > daySec-1800 {
		return false
	}
	cur.to = depart
	b.it.legs = append(b.it.legs, l)
	b.it.stays = append(b.it.stays, stay{place: p, pt: b.w.places[p].pt, from: l.arrive, to: daySec})
	return true
}

// plan fills it with person pi's day.
func (w *world) plan(it *itinerary, pi int32, day int) {
	p := &w.persons[pi]
	home := w.households[p.household].home
	it.stays = append(it.stays[:0], stay{place: home, pt: w.places[home].pt, from: 0, to: daySec})
	it.legs = it.legs[:0]
	r := newRNG(w.seed, streamDay, uint64(pi), uint64(day))
	b := &dayBuilder{w: w, it: it, r: &r, p: p, drives: p.vehicle >= 0 && r.chance(0.85)}
	wd := w.weekday(day)
	weekend := wd == 0 || wd == 6
	wake := hm(6, 15) + r.intn(2*3600)
	if weekend {
		wake += 3600
	}
	c := &w.communities[p.community]

	switch p.role {
	case roleSeller, roleSupplier, roleCourier, roleBuyer:
		if w.planRing(b, pi, day, wake) {
			return
		}
	}
	switch {
	case p.occ == occEmployed && (!weekend || p.role == roleSeller && wd == 6) && !r.chance(0.04):
		work := w.employers[p.employer].place
		if !b.goTo(work, local(wake+r.rangeInt(40, 80)*60)) {
			return
		}
		end := b.last().from + int32(r.rangeInt(450, 570)*60)
		if p.role == roleNone && r.chance(0.25) {
			if v := w.venuesByMuni[w.places[work].muni]; len(v) > 0 {
				lunch := local(hm(12, 0) + r.intn(1800))
				if b.goTo(oneOf(&r, v), lunch) {
					b.goTo(work, lunch+int32(r.rangeInt(30, 50)*60))
				}
			}
		}
		if r.chance(0.35) {
			if b.goTo(c.shops[r.intn(2)], end) {
				b.goTo(home, b.last().from+int32(r.rangeInt(10, 35)*60))
			}
		} else {
			b.goTo(home, end)
		}
		w.evening(b, home, 0.15)
	case (p.occ == occPupil || p.occ == occStudent) && !weekend && p.school >= 0:
		if b.goTo(p.school, local(hm(7, 30)+r.intn(3600))) {
			b.goTo(home, local(hm(15, 30)+r.intn(2*3600)))
		}
		w.evening(b, home, 0.1)
	default:
		if r.chance(0.55) {
			shop := c.shops[r.intn(2)]
			if b.goTo(shop, local(hm(9, 30)+r.intn(2*3600))) {
				b.goTo(home, b.last().from+int32(r.rangeInt(15, 60)*60))
			}
		}
		if r.chance(0.25) {
			friend := c.first + int32(r.intn(int(c.n)))
			if fh := w.households[w.persons[friend].household].home; fh != home {
				if b.goTo(fh, local(hm(14, 0)+r.intn(3*3600))) {
					b.goTo(home, b.last().from+int32(r.rangeInt(60, 180)*60))
				}
			}
		}
		w.evening(b, home, 0.2+0.15*b2f(weekend))
	}
}

// evening sometimes takes a person to a venue of their community.
func (w *world) evening(b *dayBuilder, home int32, p float64) {
	if !b.r.chance(p) {
		return
	}
	c := &w.communities[b.p.community]
	v := c.venues[b.r.intn(len(c.venues))]
	at := max(local(hm(19, 0)+b.r.intn(2*3600)), b.last().from+900)
	if b.goTo(v, at) {
		b.goTo(home, min(b.last().from+int32(b.r.rangeInt(90, 180)*60), local(hm(23, 45))))
	}
}

// planRing plans a ring member's day when the ring has business that day,
// and reports whether it did.
func (w *world) planRing(b *dayBuilder, pi int32, day int, wake int) bool {
	rg := &w.ring
	home := b.it.stays[0].place
	r := b.r
	m := rg.meetingOn(day)
	var v *visit
	for i := range rg.visits {
		if rg.visits[i].day == day && (rg.visits[i].buyer == pi || b.p.role == roleSeller) {
			v = &rg.visits[i]
			break
		}
	}
	switch b.p.role {
	case roleSeller:
		if m == nil && v == nil {
			return false
		}
		if !b.goTo(rg.shop, local(hm(8, 30)+r.intn(1800))) {
			return true
		}
		if m != nil {
			b.arriveAt(rg.cafe, local(hm(12, 0)+r.intn(600)))
			b.goTo(rg.shop, m.end+int32(r.intn(300)))
		}
		b.goTo(home, local(hm(18, 0)+r.intn(3600)))
		return true
	case roleSupplier, roleCourier:
		if m == nil || (m.supplier != pi && m.courier != pi) {
			return false
		}
		b.drives = true
		at := local(hm(8, 45) + r.intn(1800))
		if b.p.role == roleCourier {
			at = local(hm(9, 45) + r.intn(1800))
		}
		b.arriveAt(rg.warehouse, at)
		l := leg{rt: carRoute(w.places[rg.warehouse].pt, w.places[rg.cafe].pt), speed: m.speed, car: true, convoy: true, vehicle: b.p.vehicle}
		depart := m.depart
		if b.p.role == roleCourier {
			depart += m.gap
		}
		b.add(rg.cafe, l, depart)
		if b.p.role == roleSupplier {
			b.goTo(rg.warehouse, m.end+int32(r.intn(300)))
			b.goTo(home, local(hm(17, 30)+r.intn(3600)))
		} else {
			b.goTo(home, m.end+int32(r.intn(600)))
		}
		return true
	case roleBuyer:
		if v == nil || v.buyer != pi {
			return false
		}
		if b.p.occ == occEmployed && !(w.weekday(day) == 0 || w.weekday(day) == 6) {
			b.goTo(w.employers[b.p.employer].place, local(wake+3000))
		}
		b.arriveAt(rg.shop, v.at)
		b.goTo(home, v.at+v.stay)
		return true
	}
	return false
}
