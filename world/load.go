package world

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Truth is a generated world's ground truth, read back by LoadTruth. It is
// meant for tests and benchmarks of later stages (resolution, location and
// communications analytics), on worlds small enough to hold in memory.
type Truth struct {
	Manifest Manifest
	Start    time.Time // first instant of the event window
	End      time.Time // first instant after it
	Persons  []Person
	Places   []Place
	Phones   []Phone
	Devices  []Device
	Vehicles []Vehicle
	Cameras  []Camera
	Records  []Record
	Switches []BurnerSwitch
	Ring     Ring

	persons, places map[string]int
}

// Person is one true person, from truth/persons.csv. Religion, Ethnicity and
// Health are protected attributes, drawn independently of everything else.
type Person struct {
	ID, GivenName, MiddleName, FamilyName, Sex string
	BirthDate                                  time.Time
	NationalID, Culture, Occupation            string
	Household, Community                       string
	HomePlace, WorkPlace                       string // place ids; WorkPlace is the workplace or school, or empty
	EmployerVAT                                string
	Street, HouseNumber, Postcode, City        string
	MovedOn                                    time.Time // zero: did not move
	PrevStreet, PrevHouseNumber, PrevPostcode  string
	PrevCity                                   string
	Religion, Ethnicity, Health                string
	RingRole                                   string // empty, or seller, supplier, courier, buyer
}

// Place is a home, workplace, shop, venue or school.
type Place struct {
	ID, Kind, Name string
	Lat, Lon       float64
	Postcode       string
}

// Phone is a number and who held it when (From/To zero: the whole window).
// A landline belongs to a household; a hub (voicemail, call centre) to no one.
type Phone struct {
	Number, Kind      string
	Person, Person2   string // Person2: a second holder sharing the phone
	Household, Device string
	From, To          time.Time
	ReplacedBy, Name  string
}

// Device is a handset that reports pings, with its holder's true home and
// daytime place.
type Device struct {
	ID, Number           string
	Person, Person2      string
	HomePlace, WorkPlace string
	IntervalS            int
	NightOff             bool
	From, To             time.Time
}

// Vehicle is a registered car and its owner.
type Vehicle struct {
	Plate, Person, Make, Model, Colour string
	Year                               int
	VIN                                string
}

// Camera is a plate reader.
type Camera struct {
	ID       string
	Lat, Lon float64
}

// Record says which person a source record is about, and which errors were
// injected into it (e.g. "typo:family_name", "stale:address").
type Record struct {
	Dataset, RecordID, Person string
	Errors                    []string
}

// LoadTruth reads the ground truth of the world generated into dir.
func LoadTruth(dir string) (*Truth, error) {
	t := &Truth{}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &t.Manifest); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if t.Start, err = time.Parse("2006-01-02", t.Manifest.Start); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	t.End = t.Start.AddDate(0, 0, t.Manifest.Days)
	if b, err = os.ReadFile(filepath.Join(dir, "truth/ring.json")); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &t.Ring); err != nil {
		return nil, fmt.Errorf("truth/ring.json: %w", err)
	}
	readers := []struct {
		file string
		row  func(get func(string) string) error
	}{
		{"persons.csv", func(g func(string) string) error {
			p := Person{ID: g("person_id"), GivenName: g("given_name"), MiddleName: g("middle_name"), FamilyName: g("family_name"),
				Sex: g("sex"), NationalID: g("national_id"), Culture: g("culture"), Occupation: g("occupation"),
				Household: g("household_id"), Community: g("community_id"), HomePlace: g("home_place"), WorkPlace: g("work_place"),
				EmployerVAT: g("employer_vat"), Street: g("street"), HouseNumber: g("house_number"), Postcode: g("postcode"),
				City: g("city"), PrevStreet: g("prev_street"), PrevHouseNumber: g("prev_house_number"), PrevPostcode: g("prev_postcode"),
				PrevCity: g("prev_city"), Religion: g("religion"), Ethnicity: g("ethnicity"), Health: g("health"), RingRole: g("ring_role")}
			var err error
			if p.BirthDate, err = parseDate(g("birth_date")); err != nil {
				return err
			}
			if p.MovedOn, err = parseDate(g("moved_on")); err != nil {
				return err
			}
			t.Persons = append(t.Persons, p)
			return nil
		}},
		{"places.csv", func(g func(string) string) error {
			lat, lon, err := parseLatLon(g("lat"), g("lon"))
			t.Places = append(t.Places, Place{ID: g("place_id"), Kind: g("kind"), Name: g("name"), Lat: lat, Lon: lon, Postcode: g("postcode")})
			return err
		}},
		{"phones.csv", func(g func(string) string) error {
			p := Phone{Number: g("number"), Kind: g("kind"), Person: g("person_id"), Person2: g("person2_id"), Household: g("household_id"),
				Device: g("device"), ReplacedBy: g("replaced_by"), Name: g("name")}
			var err error
			if p.From, err = parseTime(g("from")); err == nil {
				p.To, err = parseTime(g("to"))
			}
			t.Phones = append(t.Phones, p)
			return err
		}},
		{"devices.csv", func(g func(string) string) error {
			d := Device{ID: g("device"), Number: g("number"), Person: g("person_id"), Person2: g("person2_id"),
				HomePlace: g("home_place"), WorkPlace: g("work_place"), NightOff: g("night_off") == "true"}
			var err error
			d.IntervalS, err = strconv.Atoi(g("interval_s"))
			if err == nil {
				if d.From, err = parseTime(g("from")); err == nil {
					d.To, err = parseTime(g("to"))
				}
			}
			t.Devices = append(t.Devices, d)
			return err
		}},
		{"vehicles.csv", func(g func(string) string) error {
			y, err := strconv.Atoi(g("year"))
			t.Vehicles = append(t.Vehicles, Vehicle{Plate: g("plate"), Person: g("person_id"), Make: g("make"), Model: g("model"),
				Colour: g("colour"), Year: y, VIN: g("vin")})
			return err
		}},
		{"cameras.csv", func(g func(string) string) error {
			lat, lon, err := parseLatLon(g("lat"), g("lon"))
			t.Cameras = append(t.Cameras, Camera{ID: g("camera"), Lat: lat, Lon: lon})
			return err
		}},
		{"records.csv", func(g func(string) string) error {
			r := Record{Dataset: g("dataset"), RecordID: g("record_id"), Person: g("person_id")}
			if e := g("errors"); e != "" {
				r.Errors = strings.Split(e, ";")
			}
			t.Records = append(t.Records, r)
			return nil
		}},
		{"burner_switches.csv", func(g func(string) string) error {
			at, err := parseTime(g("at"))
			t.Switches = append(t.Switches, BurnerSwitch{Person: g("person_id"), At: at, OldNumber: g("old_number"),
				NewNumber: g("new_number"), OldDevice: g("old_device"), NewDevice: g("new_device")})
			return err
		}},
	}
	for _, r := range readers {
		if err := readCSV(filepath.Join(dir, "truth", r.file), r.row); err != nil {
			return nil, fmt.Errorf("truth/%s: %w", r.file, err)
		}
	}
	t.persons = make(map[string]int, len(t.Persons))
	for i, p := range t.Persons {
		t.persons[p.ID] = i
	}
	t.places = make(map[string]int, len(t.Places))
	for i, p := range t.Places {
		t.places[p.ID] = i
	}
	return t, nil
}

// Person returns the person with an id.
func (t *Truth) Person(id string) (*Person, bool) {
	i, ok := t.persons[id]
	if !ok {
		return nil, false
	}
	return &t.Persons[i], true
}

// Place returns the place with an id.
func (t *Truth) Place(id string) (*Place, bool) {
	i, ok := t.places[id]
	if !ok {
		return nil, false
	}
	return &t.Places[i], true
}

// Hubs returns the numbers many people call (voicemail, call centres).
func (t *Truth) Hubs() []string {
	var out []string
	for _, p := range t.Phones {
		if p.Kind == "hub" {
			out = append(out, p.Number)
		}
	}
	return out
}

// Holders returns the persons holding a number (E.164) at a time: one,
// two for a shared mobile, a household's members for a landline, none for a
// hub or a number not in use then.
func (t *Truth) Holders(number string, at time.Time) []string {
	var out []string
	for _, p := range t.Phones {
		if p.Number != number || (!p.From.IsZero() && at.Before(p.From)) || (!p.To.IsZero() && !at.Before(p.To)) {
			continue
		}
		switch {
		case p.Person != "":
			out = append(out, p.Person)
			if p.Person2 != "" {
				out = append(out, p.Person2)
			}
		case p.Household != "":
			for _, q := range t.Persons {
				if q.Household == p.Household {
					out = append(out, q.ID)
				}
			}
		}
	}
	return out
}

// Member returns the ring member with a role; for the several suppliers,
// couriers or buyers, the n-th of them.
func (r *Ring) Member(role string, n int) (*RingMember, bool) {
	for i := range r.Members {
		if r.Members[i].Role == role {
			if n == 0 {
				return &r.Members[i], true
			}
			n--
		}
	}
	return nil, false
}

// readCSV calls row for every record of a CSV file with a header, with a
// getter by column name.
func readCSV(path string, row func(get func(string) string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	var rec []string
	get := func(name string) string {
		i, ok := col[name]
		if !ok {
			panic("world: no column " + name) // a defect in this file, not in the data
		}
		return rec[i]
	}
	for line := 2; ; line++ {
		rec, err = cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := row(get); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse("2006-01-02", s)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, s)
}

func parseLatLon(a, b string) (float64, float64, error) {
	lat, err := strconv.ParseFloat(a, 64)
	if err != nil {
		return 0, 0, err
	}
	lon, err := strconv.ParseFloat(b, 64)
	return lat, lon, err
}
