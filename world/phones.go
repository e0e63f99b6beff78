package world

// hubDefs are numbers many people call: voicemail and call centres. writ
// must suppress them in k-hop expansion.
var hubDefs = []struct {
	name string
	nsn  uint64
	kind string
}{
	{"Voicemail", 78_000_111, "voicemail"},
	{"Bank call centre", 78_151_515, "call_centre"},
	{"Telecom helpdesk", 70_223_344, "call_centre"},
	{"Energy supplier", 78_353_535, "call_centre"},
	{"Taxis Verts", 78_444_000, "taxi"},
	{"Pizza delivery", 70_660_066, "delivery"},
	{"Public transport info", 70_232_000, "call_centre"},
	{"Medical helpline", 800_112_112, "helpline"},
}

// phoneBuilder hands out numbers and devices in creation order.
type phoneBuilder struct {
	w                  *world
	mobiles, landlines int
}

func (b *phoneBuilder) mobile(kind uint8, holder int32, r *rng) int32 {
	w := b.w
	ph := phone{number: mobileNumber(w.seed, b.mobiles), kind: kind, holder: holder, holder2: -1, house: -1, next: -1,
		device: int32(len(w.devices))}
	b.mobiles++
	iv := int32(900)
	switch x := r.float(); {
	case x < 0.15:
		iv = 60
	case x < 0.6:
		iv = 300
	}
	iv = max(20, int32(float64(iv)/w.cfg.Density))
	w.devices = append(w.devices, device{imei: imei(w.seed, len(w.devices)), phone: int32(len(w.phones)), interval: iv, nightOff: r.chance(0.15)})
	w.phones = append(w.phones, ph)
	return int32(len(w.phones) - 1)
}

// buildPhones gives most persons from 12 up a mobile, some a work phone, some
// households a landline and a few couples one shared mobile. Burners are
// prepaid phones replaced during the window: the ring's (see ring.go) and
// those of a few others.
func (w *world) buildPhones() {
	b := &phoneBuilder{w: w}
	for _, h := range hubDefs {
		w.hubs = append(w.hubs, int32(len(w.phones)))
		w.phones = append(w.phones, phone{number: h.nsn, kind: phoneHub, device: -1, holder: -1, holder2: -1, house: -1, next: -1, hubName: h.name})
	}
	for hi := range w.households {
		h := &w.households[hi]
		r := newRNG(w.seed, streamPhones, uint64(hi), 0)
		elderly := false
		for p := h.first; p < h.first+h.n; p++ {
			elderly = elderly || w.persons[p].age(w.startUnix) >= 65
		}
		if r.chance(0.25 + 0.4*b2f(elderly)) {
			h.landline = int32(len(w.phones))
			w.phones = append(w.phones, phone{number: landlineNumber(w.seed, b.landlines), kind: phoneLandline, device: -1, holder: -1, holder2: -1, house: int32(hi), next: -1})
			b.landlines++
		}
		shared := int32(-1)
		for pi := h.first; pi < h.first+h.n; pi++ {
			p := &w.persons[pi]
			age := p.age(w.startUnix)
			switch {
			case age < 12:
				continue
			case p.role != roleNone: // the ring always has a personal phone
			case shared >= 0 && age >= 18:
				p.mobile = shared // the second of a couple sharing one mobile
				w.phones[shared].holder2 = pi
				shared = -1
				continue
			case !r.chance(0.97 - 0.12*b2f(age >= 70)):
				continue
			}
			p.mobile = b.mobile(phoneMobile, pi, &r)
			if age >= 18 && pi+1 < h.first+h.n && p.role == roleNone && w.persons[pi+1].role == roleNone && r.chance(0.04) {
				shared = p.mobile
			}
			if p.occ == occEmployed && r.chance(0.15) {
				p.work = b.mobile(phoneWork, pi, &r)
			}
			switch {
			case p.role == roleSeller || p.role == roleSupplier || p.role == roleCourier:
				w.burnerChain(b, pi, w.ring.switchTimes(w, pi), &r)
			case age >= 18 && r.chance(0.004):
				at := w.startUnix + 3600 + r.u64mod(uint64(w.days)*86400-7200)
				w.burnerChain(b, pi, []int64{at}, &r)
			}
		}
	}
}

// burnerChain gives a person a burner replaced at each of the switch times.
func (w *world) burnerChain(b *phoneBuilder, pi int32, switches []int64, r *rng) {
	prev := int32(-1)
	for k := 0; k <= len(switches); k++ {
		ph := b.mobile(phoneBurner, pi, r)
		if k > 0 {
			w.phones[ph].from = switches[k-1]
		}
		if k < len(switches) {
			w.phones[ph].to = switches[k]
		}
		if prev < 0 {
			w.persons[pi].burner = ph
		} else {
			w.phones[prev].next = ph
		}
		prev = ph
	}
}

// burnerAt returns the burner a person holds at unix time t, or -1.
func (w *world) burnerAt(p *person, t int64) int32 {
	for b := p.burner; b >= 0; b = w.phones[b].next {
		ph := &w.phones[b]
		if (ph.from == 0 || t >= ph.from) && (ph.to == 0 || t < ph.to) {
			return b
		}
	}
	return -1
}

// carrier returns who carries a mobile on a given day: a shared phone
// alternates between its two holders, day by day.
func (ph *phone) carrier(day int) int32 {
	if ph.holder2 >= 0 && day%2 == 1 {
		return ph.holder2
	}
	return ph.holder
}

func (r *rng) u64mod(n uint64) int64 { return int64(r.u64() % n) }
