package world

import "strings"

var (
	shopBrands  = []string{"Delhaize", "Carrefour Express", "Colruyt", "Aldi", "Lidl", "Proxy Delhaize", "Intermarché", "Okay", "Spar"}
	shopTrades  = []string{"Boucherie", "Boulangerie", "Pharmacie", "Épicerie", "Night Shop", "Librairie", "Fleurs"}
	venueKinds  = []string{"Café", "Brasserie", "Restaurant", "Snack", "Basic-Fit", "Salle de sport", "Cinéma", "Parc", "Piscine"}
	schoolKinds = []string{"Athénée", "Institut", "École", "Lycée", "Koninklijk Atheneum", "Sint-Jozefscollege"}
)

var universities = []struct {
	name     string
	lat, lon float64
	muni     uint8
}{
	{"ULB Campus du Solbosch", 50.8126, 4.3817, 4},
	{"VUB Campus Etterbeek", 50.8222, 4.3954, 3},
	{"Erasmushogeschool Brussel", 50.8420, 4.3220, 6},
}

func (w *world) addPlace(p place) int32 {
	w.places = append(w.places, p)
	return int32(len(w.places) - 1)
}

// nearMuni returns a random point within spread metres of a municipality's centre.
func nearMuni(r *rng, m uint8, spread float64) point {
	c := point{municipalities[m].lat, municipalities[m].lon}
	dx, dy := r.norm2()
	return c.offset(dx*spread, dy*spread).clampPlace()
}

// buildPlaces makes homes, schools, shops and venues. Workplaces come with
// the employers.
func (w *world) buildPlaces() {
	r := newRNG(w.seed, streamPlaces, 0, 0)
	for i := range w.households {
		h := &w.households[i]
		h.home = w.addPlace(place{kind: kindHome, pt: addrPoint(w.seed, h.addr), muni: h.addr.muni, owner: int32(i)})
	}
	w.schools = make([][]int32, len(municipalities))
	n := len(w.persons)
	for m := range municipalities {
		k := max(1, int(municipalities[m].pop/1200*float64(n)/1000))
		k = min(k, 40)
		for range k {
			name := oneOf(&r, schoolKinds) + " " + municipalities[m].fr
			w.schools[m] = append(w.schools[m], w.addPlace(place{kind: kindSchool, pt: nearMuni(&r, uint8(m), 900), name: name, muni: uint8(m), owner: -1}))
		}
	}
	var unis []int32
	for _, u := range universities {
		unis = append(unis, w.addPlace(place{kind: kindSchool, pt: point{u.lat, u.lon}, name: u.name, muni: u.muni, owner: -1}))
	}
	venuesByMuni := make([][]int32, len(municipalities))
	mw := make([]float64, len(municipalities))
	for i, m := range municipalities {
		mw[i] = m.pop + 20*m.business
	}
	cum := cumulative(mw)
	for range max(30, n/120) {
		m := uint8(r.pick(cum))
		streets := streetNames(m)
		name := oneOf(&r, venueKinds) + " " + shortStreet(oneOf(&r, streets))
		v := w.addPlace(place{kind: kindVenue, pt: nearMuni(&r, m, 1200), name: name, muni: m, owner: -1})
		w.venues = append(w.venues, v)
		venuesByMuni[m] = append(venuesByMuni[m], v)
	}
	w.venuesByMuni = venuesByMuni
	for ci := range w.communities {
		c := &w.communities[ci]
		centre := nearMuni(&r, c.muni, 700)
		for k := range c.shops {
			name := oneOf(&r, shopBrands)
			if k == 1 {
				name = oneOf(&r, shopTrades) + " " + names().cultures[c.culture].family[r.intn(len(names().cultures[c.culture].family))]
			}
			dx, dy := r.norm2()
			c.shops[k] = w.addPlace(place{kind: kindShop, pt: centre.offset(dx*300, dy*300).clampPlace(), name: name, muni: c.muni, owner: -1})
		}
		for k := range c.venues {
			if local := venuesByMuni[c.muni]; len(local) > 0 && k < 2 {
				c.venues[k] = oneOf(&r, local)
			} else {
				c.venues[k] = oneOf(&r, w.venues)
			}
		}
	}
	// Pupils go to a school of their municipality, students to a university.
	for i := range w.persons {
		p := &w.persons[i]
		switch p.occ {
		case occPupil:
			m := w.households[p.household].addr.muni
			p.school = w.schools[m][mix(w.seed^uint64(p.household))%uint64(len(w.schools[m]))]
		case occStudent:
			p.school = unis[mix(w.seed^uint64(i))%uint64(len(unis))]
		}
	}
}

// shortStreet drops the street type: "Rue de la Loi" -> "de la Loi" -> "Loi".
func shortStreet(s string) string {
	f := strings.Fields(s)
	return f[len(f)-1]
}

// buildEmployers makes companies with heavy-tailed sizes, each with one
// workplace, and assigns every employed person to one.
func (w *world) buildEmployers() {
	r := newRNG(w.seed, streamPlaces, 1, 0)
	employed := 0
	for i := range w.persons {
		if w.persons[i].occ == occEmployed {
			employed++
		}
	}
	n := max(5, employed/18)
	mw := make([]float64, len(municipalities))
	for i, m := range municipalities {
		mw[i] = m.business
	}
	cum := cumulative(mw)
	sizes := make([]float64, n)
	for i := range n {
		sizes[i] = min(1/(1-r.float()*0.999), 300)
		m := uint8(r.pick(cum))
		e := employer{name: w.companyName(&r), vat: vat(w.seed, i)}
		e.place = w.addPlace(place{kind: kindWork, pt: nearMuni(&r, m, 1300), name: e.name, muni: m, owner: int32(i)})
		w.employers = append(w.employers, e)
	}
	sizeCum := cumulative(sizes)
	for i := range w.persons {
		p := &w.persons[i]
		if p.occ == occEmployed {
			pr := newRNG(w.seed, streamPlaces, 2, uint64(i))
			p.employer = int32(pr.pick(sizeCum))
		}
	}
	w.indexWorkers()
}

// indexWorkers lays out employees by employer (counting sort).
func (w *world) indexWorkers() {
	counts := make([]int32, len(w.employers))
	for i := range w.persons {
		if e := w.persons[i].employer; e >= 0 {
			counts[e]++
		}
	}
	var off int32
	for i := range w.employers {
		w.employers[i].first, w.employers[i].n = off, 0
		off += counts[i]
	}
	w.workers = make([]int32, off)
	for i := range w.persons {
		if e := w.persons[i].employer; e >= 0 {
			em := &w.employers[e]
			w.workers[em.first+em.n] = int32(i)
			em.n++
		}
	}
}

func (w *world) companyName(r *rng) string {
	c := names().company
	if r.chance(0.35) {
		cu := &names().cultures[r.intn(len(names().cultures))]
		return oneOf(r, cu.family) + " " + oneOf(r, c["family-suffix"]) + " " + oneOf(r, c["form"])
	}
	return oneOf(r, c["prefix"]) + " " + oneOf(r, c["core"]) + " " + oneOf(r, c["form"])
}
