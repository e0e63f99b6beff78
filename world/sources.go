package world

import (
	"encoding/csv"
	"strings"
	"time"
)

// The record sources: five files in five formats about the same people,
// each with its own conventions and its own errors. Every record's person
// is written to truth/records.csv with the errors injected into it.

const (
	srcVehicles  = "vehicle_registry"
	srcUtility   = "utility_accounts"
	srcCourt     = "court_records"
	srcBroker    = "data_broker"
	srcEmployers = "employer_filings"
)

// sourceFiles names each source's file, in the order they are written.
var sourceFiles = []struct{ dataset, path string }{
	{srcVehicles, "sources/vehicle_registry.csv"},
	{srcUtility, "sources/utility_accounts.tsv"},
	{srcCourt, "sources/court_records.ndjson"},
	{srcBroker, "sources/data_broker.json.gz"},
	{srcEmployers, "sources/employer_filings.csv.gz"},
}

func personID(i int32) string { return "P" + pad(int(i)+1, 7) }

// recordTruth writes truth/records.csv as the sources are written.
type recordTruth struct {
	o *outFile
	c *csv.Writer
}

func (t *recordTruth) add(dataset, id string, person int32, n *noiser) {
	t.c.Write([]string{dataset, id, personID(person), n.errors()})
	t.o.rows++
}

// addrAt is where a household lived on a day.
func (w *world) addrAt(h *household, day int32) address {
	if h.moved != 0 && day < h.moved {
		return h.prev
	}
	return h.addr
}

// addrFields writes an address as a source would: street, number (with a flat
// box) and city in the municipality's language or the other one.
func (w *world) addrFields(a address, n *noiser, abbrev float64) (street, number, postcode, city string) {
	m := &municipalities[a.muni]
	street = n.street(streetNames(a.muni)[a.street], abbrev)
	number = itoa(int(a.number))
	if a.box > 0 {
		if m.dutch {
			number += " bus " + itoa(int(a.box))
		} else {
			number += " bte " + itoa(int(a.box))
		}
	}
	city = m.fr
	if m.dutch || n.r.chance(0.3) {
		city = m.nl
	}
	return street, number, m.postcode, city
}

// staleAddr returns the address a source holds for a household: after a
// move, at rate p, the old one.
func (w *world) staleAddr(h *household, seen int32, n *noiser, p float64) address {
	a := w.addrAt(h, seen)
	if h.moved != 0 && seen >= h.moved && n.r.chance(p) {
		n.note("stale", "address")
		return h.prev
	}
	return a
}

func (w *world) today() int32 { return int32(w.startUnix / 86400) }

func dateOf(day int32, layout string) string {
	return time.Unix(int64(day)*86400, 0).UTC().Format(layout)
}

// writeVehicleRegistry writes one record per vehicle (and a re-registration
// for a few): ';'-separated, dates dd/mm/yyyy, surnames in capitals.
func (w *world) writeVehicleRegistry(o *outFile, t *recordTruth) error {
	c := csv.NewWriter(o)
	c.Comma = ';'
	c.Write([]string{"registration_id", "plate", "vin", "make", "model", "colour", "first_registration", "registered_on",
		"owner_surname", "owner_first_name", "owner_birth_date", "owner_national_number",
		"owner_street", "owner_house_number", "owner_postcode", "owner_city"})
	seq := 0
	for vi := range w.vehicles {
		v := &w.vehicles[vi]
		r := newRNG(w.seed, streamSource, 1, uint64(vi))
		copies := 1
		if r.chance(0.03) {
			copies = 2
		}
		for k := range copies {
			n := &noiser{r: &r}
			p := &w.persons[v.owner]
			reg := v.regDate
			if k == 1 {
				reg = min(reg+int32(r.rangeInt(30, 900)), w.today()-1)
			}
			seq++
			id := "DIV" + pad(int(mix(w.seed^0xd1f)%9_000_000)+seq, 8)
			a := w.staleAddr(&w.households[p.household], w.today(), n, 0.3)
			street, number, pc, city := w.addrFields(a, n, 0.1)
			nid := nationalID(p.dob, p.serial)
			if n.missing("national_id", 0.03) {
				nid = ""
			}
			nid = n.digits("national_id", nid, 0.01)
			m := &carModels[v.make]
			c.Write([]string{id, v.plate, v.vin, m.make, m.model, colours[v.colour],
				dateOf(int32((int64(v.year)-1970)*36525/100)+int32(r.intn(200)), "02/01/2006"), dateOf(reg, "02/01/2006"),
				strings.ToUpper(n.name("family_name", p.family, 0.02)), n.given("given_name", p.given, 0.03, 0.02),
				n.date("birth_date", p.dob, "02/01/2006", 0.015), nid, street, number, pc, city})
			o.rows++
			t.add(srcVehicles, id, v.owner, n)
		}
	}
	c.Flush()
	return c.Error()
}

// writeUtilityAccounts writes one account per household, in one adult's
// name, and the closed account at the old address of those who moved: TSV.
func (w *world) writeUtilityAccounts(o *outFile, t *recordTruth) error {
	c := csv.NewWriter(o)
	c.Comma = '\t'
	c.Write([]string{"account_no", "holder", "address", "postcode", "municipality", "phone", "email", "opened", "closed", "meter_id"})
	for hi := range w.households {
		h := &w.households[hi]
		r := newRNG(w.seed, streamSource, 2, uint64(hi))
		holder := int32(-1)
		for p := h.first; p < h.first+h.n; p++ {
			if w.persons[p].age(w.startUnix) >= 18 && (holder < 0 || r.chance(0.3)) {
				holder = p
			}
		}
		if holder < 0 {
			continue
		}
		type acct struct {
			a              address
			opened, closed int32
		}
		accts := []acct{{a: h.addr, opened: w.today() - int32(r.rangeInt(60, 6000))}}
		if h.moved != 0 {
			accts[0].opened = h.moved - int32(r.intn(20))
			accts = append(accts, acct{a: h.prev, opened: h.moved - int32(r.rangeInt(200, 4000)), closed: h.moved + int32(r.intn(30))})
		}
		for k, ac := range accts {
			n := &noiser{r: &r}
			p := &w.persons[holder]
			given := n.given("given_name", p.given, 0.05, 0.03)
			family := n.name("family_name", p.family, 0.03)
			name := given + " " + family
			if r.chance(0.6) {
				name = strings.ToUpper(family) + ", " + given
			}
			street, number, pc, city := w.addrFields(ac.a, n, 0.25)
			ph := ""
			switch {
			case h.landline >= 0 && k == 0:
				ph = nationalPhone(w.phones[h.landline].number, r.chance(0.3))
			case p.mobile >= 0:
				ph = nationalPhone(w.phones[p.mobile].number, r.chance(0.3))
			}
			if ph != "" && n.missing("phone", 0.1) {
				ph = ""
			}
			email := ""
			if r.chance(0.5) {
				email = w.email(p, &r)
			}
			closed := ""
			if ac.closed != 0 {
				closed = dateOf(ac.closed, "2006-01-02")
			}
			id := "EAN54" + pad(int(permute(w.seed, 6, uint64(hi*2+k), 1e12)), 12)
			c.Write([]string{id, name, street + " " + number, pc, city, ph, email, dateOf(ac.opened, "2006-01-02"), closed,
				"M" + pad(hi*2+k+1, 9)})
			o.rows++
			t.add(srcUtility, id, holder, n)
		}
	}
	c.Flush()
	return c.Error()
}

// email makes the address a person would sign up with.
func (w *world) email(p *person, r *rng) string {
	g := strings.ToLower(strings.ReplaceAll(fold(p.given), " ", ""))
	f := strings.ToLower(strings.NewReplacer(" ", "", "'", "").Replace(fold(p.family)))
	domains := []string{"gmail.com", "hotmail.com", "skynet.be", "telenet.be", "outlook.com", "yahoo.fr", "proximus.be"}
	y := time.Unix(int64(p.dob)*86400, 0).UTC().Year() % 100
	switch r.intn(3) {
	case 0:
		return g + "." + f + "@" + oneOf(r, domains)
	case 1:
		return g[:1] + f + pad(y, 2) + "@" + oneOf(r, domains)
	}
	return f + "." + g + "@" + oneOf(r, domains)
}

func newCSV(o *outFile) *csv.Writer { return csv.NewWriter(o) }
