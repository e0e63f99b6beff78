package world

import (
	"encoding/json"
	"strings"
)

// Court records are NDJSON with nested objects; the mapping reads them with
// dotted paths such as party.name.last.
type courtRecord struct {
	Docket  string     `json:"docket"`
	Court   string     `json:"court"`
	Kind    string     `json:"kind"`
	Filed   string     `json:"filed"`
	Party   courtParty `json:"party"`
	Offence string     `json:"offence,omitempty"`
	Outcome string     `json:"outcome"`
}

type courtParty struct {
	Role           string    `json:"role"`
	Name           courtName `json:"name"`
	BirthDate      string    `json:"birth_date,omitempty"`
	NationalNumber string    `json:"national_number,omitempty"`
	Address        courtAddr `json:"address"`
}

type courtName struct {
	Last  string `json:"last"`
	First string `json:"first,omitempty"`
}

type courtAddr struct {
	Street   string `json:"street,omitempty"`
	Number   string `json:"number,omitempty"`
	Postcode string `json:"postcode,omitempty"`
	City     string `json:"city,omitempty"`
}

var (
	courts = []struct{ name, kind string }{
		{"Tribunal de première instance francophone de Bruxelles", "criminal"},
		{"Nederlandstalige rechtbank van eerste aanleg Brussel", "criminal"},
		{"Tribunal de première instance francophone de Bruxelles", "civil"},
		{"Justice de paix du canton d'Anderlecht", "civil"},
		{"Tribunal de police de Bruxelles", "traffic"},
		{"Politierechtbank Brussel", "traffic"},
	}
	offences = map[string][]string{
		"criminal": {"theft", "fraud", "assault", "drug possession", "forgery of documents", "receiving stolen goods", "vandalism"},
		"civil":    {"unpaid rent", "debt recovery", "neighbour dispute", "divorce"},
		"traffic":  {"speeding", "driving without insurance", "drink driving", "red light"},
	}
	outcomes = []string{"convicted", "acquitted", "settled", "dismissed", "fined", "pending", "suspended sentence"}
)

// writeCourtRecords writes a record for each party to a case: a few percent
// of adults, and the ring's seller, a supplier and a courier, who have form.
func (w *world) writeCourtRecords(o *outFile, t *recordTruth) error {
	enc := json.NewEncoder(o)
	enc.SetEscapeHTML(false)
	seq := 0
	for pi := range w.persons {
		p := &w.persons[pi]
		r := newRNG(w.seed, streamSource, 3, uint64(pi))
		if p.age(w.startUnix) < 18 {
			continue
		}
		k := 0
		if r.chance(0.04) {
			k = r.rangeInt(1, 2)
		}
		forged := pi == int(w.ring.seller) || pi == int(w.ring.suppliers[0]) || pi == int(w.ring.couriers[1])
		if forged {
			k = max(k, 1)
		}
		for j := range k {
			n := &noiser{r: &r}
			seq++
			filed := w.today() - int32(r.rangeInt(60, 3650))
			ct := courts[r.intn(len(courts))]
			if forged && j == 0 {
				ct = courts[r.intn(2)]
			}
			rec := courtRecord{
				Docket: "BRU/" + dateOf(filed, "2006") + "/" + pad(seq, 6),
				Court:  ct.name, Kind: ct.kind, Filed: dateOf(filed, "2006-01-02"),
				Outcome: outcomes[r.intn(len(outcomes))],
			}
			rec.Offence = oneOf(&r, offences[ct.kind])
			if forged && j == 0 {
				rec.Offence = "forgery of documents"
			}
			rec.Party.Role = "defendant"
			if ct.kind == "civil" && r.chance(0.5) {
				rec.Party.Role = "claimant"
			}
			first := n.given("given_name", p.given, 0.05, 0.03)
			last := n.name("family_name", p.family, 0.03)
			if r.chance(0.03) {
				first, last = last, first
				n.note("swapped_names", "name")
			}
			rec.Party.Name = courtName{Last: last, First: first}
			if !n.missing("birth_date", 0.1) {
				rec.Party.BirthDate = n.date("birth_date", p.dob, "2006-01-02", 0.02)
			}
			if !n.missing("national_id", 0.2) {
				rec.Party.NationalNumber = n.digits("national_id", digitsOnly(nationalID(p.dob, p.serial)), 0.01)
			}
			// A court keeps the address of the day of filing: before a move, the old one.
			a := w.addrAt(&w.households[p.household], filed)
			st, num, pc, city := w.addrFields(a, n, 0.1)
			rec.Party.Address = courtAddr{Street: st, Number: num, Postcode: pc, City: city}
			if n.missing("address", 0.05) {
				rec.Party.Address = courtAddr{}
			}
			if err := enc.Encode(&rec); err != nil {
				return err
			}
			o.rows++
			t.add(srcCourt, rec.Docket, int32(pi), n)
		}
	}
	return nil
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// A data broker's profile: a JSON array, gzipped, US-style dates, ASCII
// names, and protected attributes it should never have had.
type brokerProfile struct {
	UID        string        `json:"uid"`
	FullName   string        `json:"full_name"`
	DOB        string        `json:"dob,omitempty"` // mm/dd/yyyy
	Gender     string        `json:"gender,omitempty"`
	Email      string        `json:"email,omitempty"`
	Mobile     string        `json:"mobile,omitempty"`
	Address    brokerAddress `json:"address"`
	Religion   string        `json:"religion,omitempty"`
	Ethnicity  string        `json:"ethnicity,omitempty"`
	IncomeBand string        `json:"income_band,omitempty"`
	Interests  string        `json:"interests,omitempty"`
	LastSeen   string        `json:"last_seen"`
}

type brokerAddress struct {
	Line1    string `json:"line1,omitempty"`
	Postcode string `json:"postcode,omitempty"`
	City     string `json:"city,omitempty"`
}

var (
	incomeBands = []string{"<20k", "20-35k", "35-50k", "50-75k", "75-100k", ">100k"}
	interests   = []string{"travel", "cooking", "football", "fitness", "gaming", "fashion", "cars", "music", "gardening", "tech", "cinema", "books"}
)

// writeDataBroker writes profiles for about 55% of adults, some twice.
func (w *world) writeDataBroker(o *outFile, t *recordTruth) error {
	o.Write([]byte("[\n"))
	first := true
	seq := 0
	for pi := range w.persons {
		p := &w.persons[pi]
		r := newRNG(w.seed, streamSource, 4, uint64(pi))
		if p.age(w.startUnix) < 16 || !r.chance(0.55) {
			continue
		}
		copies := 1
		if r.chance(0.05) {
			copies = 2
		}
		for range copies {
			n := &noiser{r: &r}
			seq++
			bp := brokerProfile{UID: "db-" + hexID(mix(w.seed^uint64(seq)*0x9e37)), Gender: string(p.sex)}
			given := n.given("given_name", p.given, 0.15, 0.04)
			family := n.name("family_name", p.family, 0.04)
			full := given + " " + family
			if p.middle != "" && r.chance(0.3) {
				full = given + " " + p.middle + " " + family
			}
			if r.chance(0.6) { // many brokers store ASCII only
				if f := fold(full); f != full {
					full = f
					n.note("diacritics", "full_name")
				}
			}
			switch r.intn(10) {
			case 0:
				full = strings.ToUpper(full)
			case 1:
				full = strings.ToLower(full)
			}
			bp.FullName = full
			if !n.missing("birth_date", 0.2) {
				bp.DOB = n.date("birth_date", p.dob, "01/02/2006", 0.03)
			}
			if r.chance(0.6) {
				bp.Email = w.email(p, &r)
			}
			switch {
			case p.mobile >= 0 && r.chance(0.85):
				bp.Mobile = nationalPhone(w.phones[p.mobile].number, r.chance(0.5))
			case r.chance(0.5): // a number the person gave up long ago
				bp.Mobile = nationalPhone(460_000_000+r.u64()%10_000_000, r.chance(0.5))
				n.note("stale", "phone")
			}
			a := w.staleAddr(&w.households[p.household], w.today(), n, 0.4)
			st, num, pc, city := w.addrFields(a, n, 0.3)
			bp.Address = brokerAddress{Line1: st + " " + num, Postcode: pc, City: city}
			if r.chance(0.35) {
				bp.Religion = religions[p.religion]
			}
			if r.chance(0.25) {
				bp.Ethnicity = ethnicities[p.ethnicity]
			}
			bp.IncomeBand = incomeBands[r.intn(len(incomeBands))]
			bp.Interests = oneOf(&r, interests) + ";" + oneOf(&r, interests)
			bp.LastSeen = dateOf(w.today()-int32(r.rangeInt(1, 700)), "2006-01-02")
			b, err := json.Marshal(&bp)
			if err != nil {
				return err
			}
			if !first {
				o.Write([]byte(",\n"))
			}
			first = false
			o.Write(b)
			o.rows++
			t.add(srcBroker, bp.UID, int32(pi), n)
		}
	}
	_, err := o.Write([]byte("\n]\n"))
	return err
}

// hexID writes all 64 bits, so distinct inputs of the bijection mix stay distinct.
func hexID(x uint64) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 16)
	for i := range b {
		b[i] = digits[x>>(4*i)&15]
	}
	return string(b)
}
