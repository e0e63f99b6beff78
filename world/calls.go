package world

import (
	"math"
	"strconv"
)

// call is one contact's metadata. Numbers are E.164 digits without the '+'.
type call struct {
	t              int64
	caller, callee uint64
	dur            int32
	sms            bool
	dev            int32 // the device the caller's number was used in, -1: none (landline)
}

// hourWeights is how calls spread over the UTC hours (Brussels is UTC+1).
var hourCum = cumulative([]float64{0.6, 0.2, 0.1, 0.1, 0.2, 0.8, 2, 3.5, 4.5, 5, 5, 5, 4, 4, 4.5, 5, 6, 7, 7, 6, 5, 3, 1.5, 1})

var hubCum = cumulative([]float64{30, 15, 15, 10, 8, 10, 7, 5})

// friendCum weighs a person's ten friends: the first called most.
var friendCum = cumulative([]float64{1, 1 / 2., 1 / 3., 1 / 4., 1 / 5., 1 / 6., 1 / 7., 1 / 8., 1 / 9., 1 / 10.})

// abroad is where each culture's relatives abroad are called: country code,
// mobile prefix and remaining digits.
var abroad = map[string]struct {
	cc     uint64
	prefix uint64
	digits int
}{
	"french": {33, 6, 8}, "flemish": {31, 6, 8}, "moroccan": {212, 6, 8}, "turkish": {90, 5, 9},
	"polish": {48, 5, 8}, "romanian": {40, 7, 8}, "italian": {39, 3, 9}, "congolese": {243, 8, 8},
	"iberian": {34, 6, 8}, "english": {44, 7, 9},
}

// beDigits turns a Belgian national significant number into E.164 digits.
func beDigits(nsn uint64) uint64 {
	p := uint64(10)
	for p <= nsn {
		p *= 10
	}
	return 32*p + nsn
}

func (g *eventGen) hasPhone(q int32) uint64 {
	w := g.w
	p := &w.persons[q]
	if p.mobile >= 0 {
		return beDigits(w.phones[p.mobile].number)
	}
	if l := w.households[p.household].landline; l >= 0 {
		return beDigits(w.phones[l].number)
	}
	return 0
}

// ownNumber is the number a person calls from at time t, and the device it
// is used in (-1 for a landline).
func (g *eventGen) ownNumber(pi int32, t int64, r *rng) (uint64, int32) {
	w := g.w
	p := &w.persons[pi]
	if p.burner >= 0 && p.role == roleNone && r.chance(0.3) {
		if b := w.burnerAt(p, t); b >= 0 {
			return beDigits(w.phones[b].number), w.phones[b].device
		}
	}
	land := w.households[p.household].landline
	if land >= 0 && r.chance(0.08+0.3*b2f(p.age(t) >= 65)) {
		return beDigits(w.phones[land].number), -1
	}
	if p.mobile >= 0 && w.phones[p.mobile].carrier(g.day) == pi {
		return beDigits(w.phones[p.mobile].number), w.phones[p.mobile].device
	}
	if land >= 0 {
		return beDigits(w.phones[land].number), -1
	}
	return 0, -1
}

// personCalls writes the contacts a person starts in the current day.
func (g *eventGen) personCalls(pi int32) error {
	w := g.w
	p := &w.persons[pi]
	g.calls = g.calls[:0]
	r := newRNG(w.seed, streamContacts, uint64(pi), uint64(g.day))
	if p.callRate > 0 {
		com := &w.communities[p.community]
		fr := newRNG(w.seed, streamFriends, uint64(pi), 0)
		var friends [10]int32
		for k := range friends {
			for try := 0; try < 4; try++ { // friends are rarely small children
				if k < 8 {
					friends[k] = com.first + int32(fr.intn(int(com.n)))
				} else {
					friends[k] = int32(fr.intn(len(w.persons)))
				}
				if w.persons[friends[k]].callRate > 0 {
					break
				}
			}
		}
		smsShare := 0.35 + 0.3*b2f(p.age(g.dayStart) < 25)
		for range r.poisson(float64(p.callRate)) {
			t := g.dayStart + int64(r.pick(hourCum))*3600 + int64(r.intn(3600))
			caller, dev := g.ownNumber(pi, t, &r) // before sms: the draws keep their order
			c := call{t: t, caller: caller, dev: dev, sms: r.chance(smsShare)}
			hub := false
			switch x := r.float(); {
			case x < 0.06:
				c.callee, c.sms, hub = beDigits(w.phones[w.hubs[r.pick(hubCum)]].number), false, true
			case x < 0.09:
				a := abroad[names().cultures[p.culture].key]
				fr := newRNG(w.seed, streamFriends, uint64(pi), 1+uint64(r.intn(2)))
				n := a.cc
				n = n*10 + a.prefix
				for range a.digits {
					n = n*10 + uint64(fr.intn(10))
				}
				c.callee = n
			case x < 0.13:
				c.callee = g.hasPhone(int32(r.intn(len(w.persons))))
			case x < 0.28 && w.households[p.household].n > 1:
				h := &w.households[p.household]
				c.callee = g.hasPhone(h.first + int32(r.intn(int(h.n))))
			case x < 0.38 && p.employer >= 0:
				e := &w.employers[p.employer]
				c.callee = g.hasPhone(w.workers[e.first+int32(r.intn(int(e.n)))])
				if p.work >= 0 && r.chance(0.7) {
					c.caller, c.dev = beDigits(w.phones[p.work].number), w.phones[p.work].device
				}
			default:
				c.callee = g.hasPhone(friends[r.pick(friendCum)])
			}
			if c.caller == 0 || c.callee == 0 || c.caller == c.callee {
				continue
			}
			switch {
			case c.sms:
			case hub:
				c.dur = int32(math.Min(3600, math.Exp(5.4+0.8*normOne(&r))))
			case r.chance(0.12): // not answered
			default:
				c.dur = int32(math.Min(3*3600, math.Exp(4.3+1.0*normOne(&r))))
			}
			g.calls = append(g.calls, c)
		}
	}
	if p.role != roleNone {
		g.ringCalls(pi, &r)
	}
	return g.writeCalls()
}

func normOne(r *rng) float64 { a, _ := r.norm2(); return a }

// ringCalls adds the ring's calls, burner to burner (buyers use their own
// mobiles), at rates far above chance for the pairs involved.
func (g *eventGen) ringCalls(pi int32, r *rng) {
	w := g.w
	rg := &w.ring
	p := &w.persons[pi]
	callTo := func(q int32, n int, lo, hi int) {
		for range n {
			t := g.dayStart + int64(local(lo)) + int64(r.intn(hi-lo))
			from, dev := g.ringNumber(pi, t)
			to, _ := g.ringNumber(q, t)
			if from == 0 || to == 0 {
				continue
			}
			c := call{t: t, caller: from, callee: to, sms: r.chance(0.35), dev: dev}
			if !c.sms {
				c.dur = int32(r.rangeInt(20, 240))
			}
			g.calls = append(g.calls, c)
		}
	}
	day := hm(8, 0)
	eve := hm(22, 0)
	m := rg.meetingOn(g.day)
	switch p.role {
	case roleSeller:
		for _, s := range rg.suppliers {
			callTo(s, r.poisson(0.7), day, eve)
		}
		for _, c := range rg.couriers {
			callTo(c, r.poisson(0.4), day, eve)
		}
		if m != nil {
			callTo(m.supplier, 1, hm(8, 30), hm(9, 30))
			callTo(m.courier, 1, hm(8, 30), hm(9, 30))
		}
	case roleSupplier:
		callTo(rg.seller, r.poisson(0.5), day, eve)
		for _, c := range rg.couriers {
			callTo(c, r.poisson(0.25), day, eve)
		}
		if m != nil && m.supplier == pi {
			callTo(m.courier, 1, hm(9, 0), hm(10, 0))
		}
	case roleCourier:
		callTo(rg.seller, r.poisson(0.35), day, eve)
		for _, c := range rg.couriers {
			if c != pi {
				callTo(c, r.poisson(0.15), day, eve)
			}
		}
		callTo(rg.buyers[r.intn(len(rg.buyers))], r.poisson(0.15), day, eve)
	case roleBuyer:
		for _, v := range rg.visits {
			if v.buyer == pi && v.day == g.day {
				at := int(v.at) + 3600 // back to Brussels time for callTo
				callTo(rg.seller, r.rangeInt(1, 2), at-3*3600, at-1800)
			}
		}
		callTo(rg.seller, r.poisson(0.05), day, eve)
	}
}

// ringNumber is the number a ring member uses for ring business at time t,
// and its device.
func (g *eventGen) ringNumber(pi int32, t int64) (uint64, int32) {
	w := g.w
	p := &w.persons[pi]
	if p.role == roleBuyer {
		if p.mobile >= 0 {
			return beDigits(w.phones[p.mobile].number), w.phones[p.mobile].device
		}
		return 0, -1
	}
	if b := w.burnerAt(p, t); b >= 0 {
		return beDigits(w.phones[b].number), w.phones[b].device
	}
	return 0, -1
}

// writeCalls sorts the person-day's calls by time and writes them. The last
// column is the IMEI of the caller's handset, as operators' call detail
// records carry it (empty for a landline): with device pings it ties a
// number to where its handset was.
func (g *eventGen) writeCalls() error {
	cs := g.calls
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].t < cs[j-1].t; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
	b := g.buf[:0]
	for _, c := range cs {
		b = append(b, '+')
		b = strconv.AppendUint(b, c.caller, 10)
		b = append(b, ',', '+')
		b = strconv.AppendUint(b, c.callee, 10)
		b = append(b, ',')
		b = g.stamp.appendRFC3339(b, c.t)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(c.dur), 10)
		if c.sms {
			b = append(b, ",sms,"...)
		} else {
			b = append(b, ",call,"...)
		}
		if c.dev >= 0 {
			b = strconv.AppendUint(b, g.w.devices[c.dev].imei, 10)
		}
		b = append(b, '\n')
	}
	g.buf = b
	g.contacts.rows += int64(len(cs))
	_, err := g.contacts.Write(b)
	return err
}
