package world

import "strconv"

var carModels = []struct{ make, model, wmi string }{
	{"Volkswagen", "Golf", "WVW"}, {"Volkswagen", "Polo", "WVW"}, {"Renault", "Clio", "VF1"},
	{"Renault", "Mégane", "VF1"}, {"Peugeot", "208", "VF3"}, {"Peugeot", "308", "VF3"},
	{"BMW", "320d", "WBA"}, {"Mercedes-Benz", "C 200", "WDD"}, {"Toyota", "Yaris", "JTD"},
	{"Toyota", "Corolla", "SB1"}, {"Škoda", "Octavia", "TMB"}, {"Opel", "Corsa", "W0L"},
	{"Ford", "Fiesta", "WF0"}, {"Citroën", "C3", "VF7"}, {"Audi", "A3", "WAU"},
	{"Dacia", "Sandero", "UU1"}, {"Fiat", "500", "ZFA"}, {"Volvo", "XC60", "YV1"},
	{"Kia", "Ceed", "U5Y"}, {"Hyundai", "i30", "TMA"}, {"Tesla", "Model 3", "LRW"},
	{"Mercedes-Benz", "Sprinter", "WDB"}, {"Volkswagen", "Transporter", "WV1"},
}

var colours = []string{"black", "white", "grey", "silver", "blue", "red", "green", "brown", "beige", "yellow"}

const vinChars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789" // no I, O or Q

// buildVehicles gives cars to some households, and to every supplier and
// courier of the ring, who must drive.
func (w *world) buildVehicles() {
	startDay := int32(w.startUnix / 86400)
	for hi := range w.households {
		h := &w.households[hi]
		r := newRNG(w.seed, streamVehicles, uint64(hi), 0)
		var adults []int32
		employed := false
		for p := h.first; p < h.first+h.n; p++ {
			if w.persons[p].age(w.startUnix) >= 18 {
				adults = append(adults, p)
				employed = employed || w.persons[p].occ == occEmployed
			}
		}
		if len(adults) == 0 {
			continue
		}
		cars := 0
		if p := 0.25 + 0.25*b2f(employed); r.chance(p) {
			cars = 1
			if len(adults) > 1 && r.chance(0.15) {
				cars = 2
			}
		}
		r.src.Seed(r.u64(), uint64(hi)) // order of owners does not depend on the count above
		for k := range cars {
			w.addVehicle(&r, adults[(k+r.intn(len(adults)))%len(adults)], startDay)
		}
	}
	for _, p := range w.ring.drivers() {
		if w.persons[p].vehicle < 0 {
			r := newRNG(w.seed, streamVehicles, uint64(p), 1)
			w.addVehicle(&r, p, startDay)
		}
	}
}

func (w *world) addVehicle(r *rng, owner int32, today int32) {
	if w.persons[owner].vehicle >= 0 {
		return
	}
	i := len(w.vehicles)
	plate, raw := plateOf(w.seed, i)
	m := r.intn(len(carModels))
	year := uint16(r.rangeInt(2006, 2025))
	vin := make([]byte, 0, 17)
	vin = append(vin, carModels[m].wmi...)
	for len(vin) < 17 {
		vin = append(vin, vinChars[r.intn(len(vinChars))])
	}
	firstReg := int32((int64(year)-1970)*36525/100) + int32(r.intn(300))
	v := vehicle{plate: plate, raw: raw, vin: string(vin), owner: owner, make: uint8(m),
		colour: uint8(r.intn(len(colours))), year: year,
		regDate: max(firstReg, today-int32(r.rangeInt(20, 3000)))}
	v.regDate = min(v.regDate, today-10)
	w.vehicles = append(w.vehicles, v)
	w.persons[owner].vehicle = int32(i)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func itoa(i int) string { return strconv.Itoa(i) }
