package world

import (
	"encoding/csv"
	"encoding/json"
	"strconv"
	"time"
)

// Ground truth: what is really so behind the sources and the events. The
// files are in truth/; LoadTruth reads them back.

// Ring is the planted investigation, as written to truth/ring.json.
type Ring struct {
	Members  []RingMember   `json:"members"`
	Places   RingPlaces     `json:"places"`
	Meetings []RingMeeting  `json:"meetings"`
	Visits   []RingVisit    `json:"visits"`
	Switches []BurnerSwitch `json:"burner_switches"`
}

// RingPlaces are where the ring does business.
type RingPlaces struct {
	Shop      string `json:"shop"`      // the seller's print shop, where buyers come
	Warehouse string `json:"warehouse"` // the suppliers' workplace, where convoys start
	Cafe      string `json:"cafe"`      // where the ring meets
}

// RingMember is one member with every selector an investigator could find.
type RingMember struct {
	Person  string      `json:"person_id"`
	Role    string      `json:"role"` // seller, supplier, courier, buyer
	Name    string      `json:"name"`
	Phones  []HeldPhone `json:"phones"`
	Devices []string    `json:"devices"`
	Plates  []string    `json:"plates"`
}

// HeldPhone is a number and when its holder had it (zero: the whole window).
type HeldPhone struct {
	Number string    `json:"number"` // E.164
	Kind   string    `json:"kind"`
	Device string    `json:"device,omitempty"`
	From   time.Time `json:"from,omitzero"`
	To     time.Time `json:"to,omitzero"`
}

// RingMeeting is a ring day: a convoy from the warehouse to the café, and
// the meeting there with the seller.
type RingMeeting struct {
	Date    string   `json:"date"`
	Place   string   `json:"place"`
	Members []string `json:"members"` // person ids: seller, supplier, courier
	Convoy  Convoy   `json:"convoy"`
}

// Convoy is two ring cars driving together: the follower passes every camera
// GapSeconds after the leader.
type Convoy struct {
	Lead       string       `json:"lead_plate"`
	Follow     string       `json:"follow_plate"`
	Depart     time.Time    `json:"depart"`
	GapSeconds int          `json:"gap_s"`
	Reads      []ConvoyRead `json:"reads"`
}

// ConvoyRead is one camera on a convoy's route and when each car passed it.
type ConvoyRead struct {
	Camera   string    `json:"camera"`
	LeadAt   time.Time `json:"lead_at"`
	FollowAt time.Time `json:"follow_at"`
}

// RingVisit is a buyer's visit to the shop.
type RingVisit struct {
	Buyer string    `json:"person_id"`
	At    time.Time `json:"at"`
	Until time.Time `json:"until"`
}

// BurnerSwitch is a burner replaced by a new one: new number, new device.
type BurnerSwitch struct {
	Person    string    `json:"person_id"`
	At        time.Time `json:"at"`
	OldNumber string    `json:"old_number"`
	NewNumber string    `json:"new_number"`
	OldDevice string    `json:"old_device"`
	NewDevice string    `json:"new_device"`
}

func placeID(i int32) string     { return "PL" + pad(int(i)+1, 7) }
func communityID(i int32) string { return "C" + pad(int(i)+1, 6) }
func householdID(i int32) string { return "H" + pad(int(i)+1, 7) }

func (w *world) unixTime(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(t, 0).UTC()
}

func rfc(t int64) string {
	if t == 0 {
		return ""
	}
	return time.Unix(t, 0).UTC().Format(time.RFC3339)
}

func (w *world) deviceID(d int32) string { return strconv.FormatUint(w.devices[d].imei, 10) }

// daytimePlace is where a person spends weekdays: workplace or school.
func (w *world) daytimePlace(p *person) int32 {
	if p.employer >= 0 {
		return w.employers[p.employer].place
	}
	return p.school
}

func optPlace(i int32) string {
	if i < 0 {
		return ""
	}
	return placeID(i)
}

func (w *world) writePersonsTruth(o *outFile) error {
	c := csv.NewWriter(o)
	c.Write([]string{"person_id", "given_name", "middle_name", "family_name", "sex", "birth_date", "national_id",
		"culture", "occupation", "household_id", "community_id", "home_place", "work_place", "employer_vat",
		"street", "house_number", "postcode", "city", "moved_on", "prev_street", "prev_house_number", "prev_postcode",
		"prev_city", "religion", "ethnicity", "health", "ring_role"})
	for i := range w.persons {
		p := &w.persons[i]
		h := &w.households[p.household]
		vatNo := ""
		if p.employer >= 0 {
			vatNo = w.employers[p.employer].vat
		}
		num := func(a address) string {
			s := itoa(int(a.number))
			if a.box > 0 {
				s += " box " + itoa(int(a.box))
			}
			return s
		}
		row := []string{personID(int32(i)), p.given, p.middle, p.family, string(p.sex), dateOf(p.dob, "2006-01-02"),
			nationalID(p.dob, p.serial), names().cultures[p.culture].key, occNames[p.occ], householdID(p.household),
			communityID(p.community), placeID(h.home), optPlace(w.daytimePlace(p)), vatNo,
			streetNames(h.addr.muni)[h.addr.street], num(h.addr), municipalities[h.addr.muni].postcode, municipalities[h.addr.muni].fr,
			"", "", "", "", "", religions[p.religion], ethnicities[p.ethnicity], conditions[p.health], roleNames[p.role]}
		if h.moved != 0 {
			row[18], row[19], row[20] = dateOf(h.moved, "2006-01-02"), streetNames(h.prev.muni)[h.prev.street], num(h.prev)
			row[21], row[22] = municipalities[h.prev.muni].postcode, municipalities[h.prev.muni].fr
		}
		c.Write(row)
		o.rows++
	}
	c.Flush()
	return c.Error()
}

func (w *world) writePlacesTruth(o *outFile) error {
	c := csv.NewWriter(o)
	c.Write([]string{"place_id", "kind", "name", "lat", "lon", "postcode"})
	for i := range w.places {
		pl := &w.places[i]
		c.Write([]string{placeID(int32(i)), kindNames[pl.kind], pl.name, string(appendFixed6(nil, pl.pt.lat)),
			string(appendFixed6(nil, pl.pt.lon)), municipalities[pl.muni].postcode})
		o.rows++
	}
	c.Flush()
	return c.Error()
}

func (w *world) writePhonesTruth(o *outFile) error {
	c := csv.NewWriter(o)
	c.Write([]string{"number", "kind", "person_id", "person2_id", "household_id", "device", "from", "to", "replaced_by", "name"})
	for i := range w.phones {
		ph := &w.phones[i]
		row := []string{e164(ph.number), phoneKindNames[ph.kind], "", "", "", "", rfc(ph.from), rfc(ph.to), "", ph.hubName}
		if ph.holder >= 0 {
			row[2] = personID(ph.holder)
		}
		if ph.holder2 >= 0 {
			row[3] = personID(ph.holder2)
		}
		if ph.house >= 0 {
			row[4] = householdID(ph.house)
		}
		if ph.device >= 0 {
			row[5] = w.deviceID(ph.device)
		}
		if ph.next >= 0 {
			row[8] = e164(w.phones[ph.next].number)
		}
		c.Write(row)
		o.rows++
	}
	c.Flush()
	return c.Error()
}

func (w *world) writeDevicesTruth(o *outFile) error {
	c := csv.NewWriter(o)
	c.Write([]string{"device", "number", "person_id", "person2_id", "home_place", "work_place", "interval_s", "night_off", "from", "to"})
	for i := range w.devices {
		d := &w.devices[i]
		ph := &w.phones[d.phone]
		p := &w.persons[ph.holder]
		p2 := ""
		if ph.holder2 >= 0 {
			p2 = personID(ph.holder2)
		}
		c.Write([]string{w.deviceID(int32(i)), e164(ph.number), personID(ph.holder), p2,
			placeID(w.households[p.household].home), optPlace(w.daytimePlace(p)), itoa(int(d.interval)),
			strconv.FormatBool(d.nightOff), rfc(ph.from), rfc(ph.to)})
		o.rows++
	}
	c.Flush()
	return c.Error()
}

func (w *world) writeSmallTruths(vehicles, communities, cameras, switches *outFile) error {
	c := csv.NewWriter(vehicles)
	c.Write([]string{"plate", "person_id", "make", "model", "colour", "year", "vin"})
	for _, v := range w.vehicles {
		m := &carModels[v.make]
		c.Write([]string{v.plate, personID(v.owner), m.make, m.model, colours[v.colour], itoa(int(v.year)), v.vin})
		vehicles.rows++
	}
	c.Flush()
	c2 := csv.NewWriter(communities)
	c2.Write([]string{"person_id", "community_id"})
	for i := range w.persons {
		c2.Write([]string{personID(int32(i)), communityID(w.persons[i].community)})
		communities.rows++
	}
	c2.Flush()
	c3 := csv.NewWriter(cameras)
	c3.Write([]string{"camera", "lat", "lon"})
	for _, cam := range w.cameras {
		c3.Write([]string{cam.id, string(appendFixed6(nil, cam.pt.lat)), string(appendFixed6(nil, cam.pt.lon))})
		cameras.rows++
	}
	c3.Flush()
	c4 := csv.NewWriter(switches)
	c4.Write([]string{"person_id", "at", "old_number", "new_number", "old_device", "new_device"})
	for _, s := range w.switches() {
		c4.Write([]string{s.Person, s.At.Format(time.RFC3339), s.OldNumber, s.NewNumber, s.OldDevice, s.NewDevice})
		switches.rows++
	}
	c4.Flush()
	for _, e := range []error{c.Error(), c2.Error(), c3.Error(), c4.Error()} {
		if e != nil {
			return e
		}
	}
	return nil
}

// switches lists every burner replacement, in person order.
func (w *world) switches() []BurnerSwitch {
	var out []BurnerSwitch
	for i := range w.persons {
		for b := w.persons[i].burner; b >= 0 && w.phones[b].next >= 0; b = w.phones[b].next {
			old, nw := &w.phones[b], &w.phones[w.phones[b].next]
			out = append(out, BurnerSwitch{Person: personID(int32(i)), At: w.unixTime(old.to),
				OldNumber: e164(old.number), NewNumber: e164(nw.number), OldDevice: w.deviceID(old.device), NewDevice: w.deviceID(nw.device)})
		}
	}
	return out
}

// ringTruth describes the ring for truth/ring.json.
func (w *world) ringTruth() Ring {
	rg := &w.ring
	out := Ring{Places: RingPlaces{Shop: placeID(rg.shop), Warehouse: placeID(rg.warehouse), Cafe: placeID(rg.cafe)}}
	for _, m := range rg.members() {
		p := &w.persons[m]
		rm := RingMember{Person: personID(m), Role: roleNames[p.role], Name: p.fullName(), Phones: []HeldPhone{}, Devices: []string{}, Plates: []string{}}
		add := func(ph int32) {
			x := &w.phones[ph]
			hp := HeldPhone{Number: e164(x.number), Kind: phoneKindNames[x.kind], From: w.unixTime(x.from), To: w.unixTime(x.to)}
			if x.device >= 0 {
				hp.Device = w.deviceID(x.device)
				rm.Devices = append(rm.Devices, hp.Device)
			}
			rm.Phones = append(rm.Phones, hp)
		}
		if p.mobile >= 0 {
			add(p.mobile)
		}
		if p.work >= 0 {
			add(p.work)
		}
		for b := p.burner; b >= 0; b = w.phones[b].next {
			add(b)
		}
		if p.vehicle >= 0 {
			rm.Plates = append(rm.Plates, w.vehicles[p.vehicle].plate)
		}
		out.Members = append(out.Members, rm)
	}
	for _, m := range rg.meetings {
		date := time.Unix(w.dayStart(m.day), 0).UTC()
		rm := RingMeeting{Date: date.Format("2006-01-02"), Place: placeID(rg.cafe),
			Members: []string{personID(rg.seller), personID(m.supplier), personID(m.courier)}}
		cv := Convoy{Lead: w.vehicles[w.persons[m.supplier].vehicle].plate, Follow: w.vehicles[w.persons[m.courier].vehicle].plate,
			Depart: w.unixTime(w.dayStart(m.day) + int64(m.depart)), GapSeconds: int(m.gap), Reads: []ConvoyRead{}}
		rt := carRoute(w.places[rg.warehouse].pt, w.places[rg.cafe].pt)
		rt.crossings(func(col, row int, s float64) {
			if ci := w.camAt[row*gridCols+col]; ci >= 0 {
				t := w.dayStart(m.day) + int64(m.depart) + int64(s/m.speed)
				cv.Reads = append(cv.Reads, ConvoyRead{Camera: w.cameras[ci].id, LeadAt: w.unixTime(t), FollowAt: w.unixTime(t + int64(m.gap))})
			}
		})
		rm.Convoy = cv
		out.Meetings = append(out.Meetings, rm)
	}
	for _, v := range rg.visits {
		at := w.dayStart(v.day) + int64(v.at)
		out.Visits = append(out.Visits, RingVisit{Buyer: personID(v.buyer), At: w.unixTime(at), Until: w.unixTime(at + int64(v.stay))})
	}
	members := map[string]bool{}
	for _, m := range out.Members {
		members[m.Person] = true
	}
	for _, s := range w.switches() {
		if members[s.Person] {
			out.Switches = append(out.Switches, s)
		}
	}
	return out
}

func writeJSON(o *outFile, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = o.Write(append(b, '\n'))
	return err
}
