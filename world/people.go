package world

import (
	"math"
	"strings"
)

// Protected attributes: drawn independently of every other attribute, so no
// analysis can learn anything true from them; they exist to prove that writ
// keeps them out of searches, facets and lookouts.
var (
	religions   = []string{"none", "catholic", "muslim", "protestant", "orthodox", "jewish", "buddhist", "other"}
	ethnicities = []string{"European", "North African", "Turkish", "Sub-Saharan African", "Eastern European", "Middle Eastern", "Latin American", "Asian", "Mixed"}
	conditions  = []string{"", "", "", "", "", "", "asthma", "diabetes", "back injury", "hearing impairment", "depression", "heart condition", "epilepsy"}
)

// streetNames returns the street list of a municipality's language.
func streetNames(m uint8) []string {
	if municipalities[m].dutch {
		return names().streets["nl"]
	}
	return names().streets["fr"]
}

// addrPoint geocodes an address: each street has a base point near its
// municipality's centre and runs in its own direction, so neighbours on a
// street live near each other.
func addrPoint(seed uint64, a address) point {
	m := municipalities[a.muni]
	h := mix(seed ^ uint64(a.muni)<<24 ^ uint64(a.street)<<4 ^ 0xadd)
	radius := 300 + 130*math.Sqrt(m.pop)
	ang := float64(h&0xffff) / 65536 * 2 * math.Pi
	r := radius * math.Sqrt(float64(h>>16&0xffff)/65536)
	dir := float64(h>>32&0xffff) / 65536 * math.Pi
	along := (float64(a.number) - 60) * 7
	c := point{m.lat, m.lon}.offset(r*math.Cos(ang), r*math.Sin(ang))
	return c.offset(along*math.Cos(dir), along*math.Sin(dir)).clampPlace()
}

func (w *world) randomAddress(r *rng, muni uint8) address {
	a := address{muni: muni, street: uint16(r.intn(len(streetNames(muni)))), number: uint16(1 + r.intn(180))}
	if r.chance(0.4) {
		a.box = uint8(1 + r.intn(12))
	}
	return a
}

// buildPopulation creates communities of households until Persons are made.
// A community is a neighbourhood circle: mostly one culture, one
// municipality; its persons are contiguous, and so are a household's.
func (w *world) buildPopulation() {
	t := names()
	cw := make([]float64, len(t.cultures))
	for i, c := range t.cultures {
		cw[i] = c.weight
	}
	cultureCum := cumulative(cw)
	mw := make([]float64, len(municipalities))
	for i, m := range municipalities {
		mw[i] = m.pop
	}
	muniCum := cumulative(mw)
	startDay := int32(w.startUnix / 86400)
	w.persons = make([]person, 0, w.cfg.Persons)
	serials := map[int32]uint16{}

	for ci := 0; len(w.persons) < w.cfg.Persons; ci++ {
		r := newRNG(w.seed, streamPeople, uint64(ci), 0)
		com := community{first: int32(len(w.persons)), muni: uint8(r.pick(muniCum)), culture: uint8(r.pick(cultureCum))}
		size := r.rangeInt(20, 60)
		for int(int32(len(w.persons))-com.first) < size && len(w.persons) < w.cfg.Persons {
			cult := com.culture
			if r.chance(0.15) {
				cult = uint8(r.pick(cultureCum))
			}
			muni := com.muni
			if r.chance(0.2) {
				muni = uint8(r.pick(muniCum))
			}
			h := household{addr: w.randomAddress(&r, muni), first: int32(len(w.persons)), landline: -1}
			if r.chance(0.15) {
				h.prev = w.randomAddress(&r, uint8(r.pick(muniCum)))
				h.moved = startDay - int32(r.rangeInt(30, 1400))
			}
			hi := int32(len(w.households))
			w.addMembers(&r, hi, int32(len(w.communities)), cult, cultureCum, startDay, serials)
			h.n = int32(len(w.persons)) - h.first
			w.households = append(w.households, h)
		}
		com.n = int32(len(w.persons)) - com.first
		w.communities = append(w.communities, com)
	}
	w.persons = w.persons[:w.cfg.Persons]
	last := &w.households[len(w.households)-1]
	last.n = int32(len(w.persons)) - last.first
	w.communities[len(w.communities)-1].n = int32(len(w.persons)) - w.communities[len(w.communities)-1].first
}

// addMembers adds one household's persons: a single adult, a couple, a
// family, a single parent or a flat share.
func (w *world) addMembers(r *rng, hh, com int32, cult uint8, cultureCum []float64, today int32, serials map[int32]uint16) {
	add := func(c uint8, sex byte, age int, family string) *person {
		p := w.newPerson(r, c, sex, age, today, serials)
		if family != "" {
			p.family = family
		}
		p.household, p.community = hh, com
		w.persons = append(w.persons, p)
		return &w.persons[len(w.persons)-1]
	}
	adultAge := func(lo, hi int) int { // fewer of the old
		a := r.rangeInt(lo, hi)
		if a > 65 && r.chance(0.4) {
			a -= 25
		}
		return a
	}
	kids := func(c uint8, family string, parentAge int) {
		for range r.rangeInt(1, 3) {
			age := parentAge - r.rangeInt(20, 40)
			if age < 0 || age > 17 {
				age = r.intn(18)
			}
			add(c, sexOf(r), age, family)
		}
	}
	other := func() uint8 { // partners and flatmates sometimes come from elsewhere
		if r.chance(0.15) {
			return uint8(r.pick(cultureCum))
		}
		return cult
	}
	switch x := r.float(); {
	case x < 0.33:
		add(cult, sexOf(r), adultAge(20, 90), "")
	case x < 0.55, x < 0.80:
		age := adultAge(22, 85)
		a := add(cult, 'M', age, "")
		fam, partner := a.family, other()
		add(partner, 'F', max(20, age+r.rangeInt(-6, 4)), "")
		if x >= 0.55 && age < 60 {
			kids(cult, fam, age)
		}
	case x < 0.90:
		age := adultAge(22, 55)
		a := add(cult, sexOf(r), age, "")
		kids(cult, a.family, age)
	default:
		for range r.rangeInt(2, 4) {
			add(other(), sexOf(r), r.rangeInt(19, 34), "")
		}
	}
}

func sexOf(r *rng) byte {
	if r.chance(0.5) {
		return 'M'
	}
	return 'F'
}

func (w *world) newPerson(r *rng, c uint8, sex byte, age int, today int32, serials map[int32]uint16) person {
	cu := &names().cultures[c]
	given := cu.female
	if sex == 'M' {
		given = cu.male
	}
	p := person{
		given: oneOf(r, given), family: oneOf(r, cu.family), sex: sex, culture: c,
		dob:      today - int32(float64(age)*365.25) - int32(r.intn(365)),
		employer: -1, school: -1, vehicle: -1, mobile: -1, work: -1, burner: -1,
		religion: uint8(r.intn(len(religions))), ethnicity: uint8(r.intn(len(ethnicities))),
		health: uint8(r.intn(len(conditions))),
	}
	if cu.key != "moroccan" && cu.key != "turkish" && cu.key != "congolese" && r.chance(0.25) {
		if m := oneOf(r, given); m != p.given && !strings.Contains(m, "-") {
			p.middle = m
		}
	}
	// Serials count up per birth date from a random start: odd for men, even for women.
	k := serials[p.dob<<1|int32(sex&1)]
	serials[p.dob<<1|int32(sex&1)] = k + 1
	start := uint16(mix(uint64(p.dob))%300) * 2
	p.serial = start + 2*k + 1
	if sex == 'F' {
		p.serial++
	}
	if p.serial > 997 {
		p.serial = 1 + (p.serial-1)%997
	}
	switch {
	case age < 12:
		p.occ = occChild
		if age >= 6 {
			p.occ = occPupil
		}
	case age < 18:
		p.occ = occPupil
	case age < 25 && r.chance(0.5):
		p.occ = occStudent
	case age < 65 && r.chance(0.68):
		p.occ = occEmployed
	case age < 65:
		p.occ = occUnemployed
	default:
		p.occ = occRetired
	}
	p.callRate = float32(1.5 + 7*r.float()*r.float())
	if age < 12 {
		p.callRate = 0
	}
	return p
}

// age returns a person's age in whole years at unix time t.
func (p *person) age(t int64) int { return int((t/86400 - int64(p.dob)) * 100 / 36525) }

func (p *person) fullName() string {
	if p.middle != "" {
		return p.given + " " + p.middle + " " + p.family
	}
	return p.given + " " + p.family
}
