package world

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

//go:embed mappings/*.json
var mappingFiles embed.FS

// Mapping returns the embedded mapping for a dataset (e.g. "pings"), the
// same bytes Generate writes to mappings/<dataset>.json.
func Mapping(dataset string) ([]byte, error) {
	return mappingFiles.ReadFile("mappings/" + dataset + ".json")
}

// eventFiles are the event datasets and their files (".gz" appended with Config.Gzip).
var eventFiles = []struct{ dataset, path, header string }{
	{"pings", "events/pings.csv", pingsHeader},
	{"contacts", "events/contacts.csv", contactsHeader},
	{"plate_reads", "events/plate_reads.csv", platesHeader},
}

// Datasets lists every source and event dataset; each has a mapping.
func Datasets() []string {
	var out []string
	for _, s := range sourceFiles {
		out = append(out, s.dataset)
	}
	for _, e := range eventFiles {
		out = append(out, e.dataset)
	}
	return out
}

// personBlock is how many persons of a day are generated between progress
// reports and cancellation checks.
const personBlock = 5_000

// Generate builds a world and writes it to cfg.Out: sources/, events/,
// truth/, mappings/ and manifest.json. Memory grows with Persons, not with
// Days or pings: events are streamed a person-day at a time.
func Generate(ctx context.Context, cfg Config) (*Summary, error) {
	began := time.Now()
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	w := build(cfg)
	sum := &Summary{Persons: len(w.persons), Households: len(w.households), Places: len(w.places),
		Phones: len(w.phones), Devices: len(w.devices), Vehicles: len(w.vehicles), Cameras: len(w.cameras)}
	var open []*outFile
	defer func() {
		for _, o := range open {
			o.abort()
		}
	}()
	mk := func(rel, kind string, gz, discard bool) (*outFile, error) {
		o, err := create(cfg.Out, rel, kind, gz, discard)
		if err == nil {
			open = append(open, o)
		}
		return o, err
	}
	finish := func(o *outFile) error {
		f, err := o.close()
		for i, x := range open {
			if x == o {
				open = append(open[:i], open[i+1:]...)
				break
			}
		}
		sum.Files = append(sum.Files, f)
		return err
	}

	// Sources, with their truth alongside.
	recs, err := mk("truth/records.csv", "truth", false, false)
	if err != nil {
		return nil, err
	}
	rt := &recordTruth{o: recs}
	rt.c = newCSV(recs)
	rt.c.Write([]string{"dataset", "record_id", "person_id", "errors"})
	writers := map[string]func(*outFile, *recordTruth) error{
		srcVehicles: w.writeVehicleRegistry, srcUtility: w.writeUtilityAccounts, srcCourt: w.writeCourtRecords,
		srcBroker: w.writeDataBroker, srcEmployers: w.writeEmployerFilings,
	}
	for _, s := range sourceFiles {
		o, err := mk(s.path, "source", filepath.Ext(s.path) == ".gz", false)
		if err != nil {
			return nil, err
		}
		if err := writers[s.dataset](o, rt); err != nil {
			return nil, fmt.Errorf("world: %s: %w", s.path, err)
		}
		if err := finish(o); err != nil {
			return nil, err
		}
	}
	rt.c.Flush()
	if err := rt.c.Error(); err != nil {
		return nil, err
	}

	// Events, day by day, person by person.
	g := &eventGen{w: w, buf: make([]byte, 0, 64<<10)}
	var evs [3]*outFile
	for i, e := range eventFiles {
		rel := e.path
		if cfg.Gzip {
			rel += ".gz"
		}
		if evs[i], err = mk(rel, "event", cfg.Gzip, cfg.discardEvents); err != nil {
			return nil, err
		}
		evs[i].Write([]byte(e.header))
	}
	g.pings, g.contacts, g.plates = evs[0], evs[1], evs[2]
	for day := range w.days {
		g.startDay(day)
		for lo := 0; lo < len(w.persons); lo += personBlock {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			hi := min(lo+personBlock, len(w.persons))
			for pi := lo; pi < hi; pi++ {
				if err := g.person(int32(pi)); err != nil {
					return nil, fmt.Errorf("world: events: %w", err)
				}
			}
			if cfg.Progress != nil {
				cfg.Progress(Progress{Day: day, Days: w.days, Persons: hi, Pings: g.pings.rows,
					Contacts: g.contacts.rows, PlateReads: g.plates.rows, Elapsed: time.Since(began)})
			}
		}
	}
	sum.Pings, sum.Contacts, sum.PlateReads = g.pings.rows, g.contacts.rows, g.plates.rows
	for _, o := range evs {
		if err := finish(o); err != nil {
			return nil, err
		}
	}

	// Ground truth.
	truths := []struct {
		rel   string
		write func(*outFile) error
	}{
		{"truth/persons.csv", w.writePersonsTruth},
		{"truth/places.csv", w.writePlacesTruth},
		{"truth/phones.csv", w.writePhonesTruth},
		{"truth/devices.csv", w.writeDevicesTruth},
		{"truth/ring.json", func(o *outFile) error { o.rows = 1; return writeJSON(o, w.ringTruth()) }},
	}
	for _, t := range truths {
		o, err := mk(t.rel, "truth", false, false)
		if err != nil {
			return nil, err
		}
		if err := t.write(o); err != nil {
			return nil, fmt.Errorf("world: %s: %w", t.rel, err)
		}
		if err := finish(o); err != nil {
			return nil, err
		}
	}
	var small [4]*outFile
	for i, rel := range []string{"truth/vehicles.csv", "truth/communities.csv", "truth/cameras.csv", "truth/burner_switches.csv"} {
		if small[i], err = mk(rel, "truth", false, false); err != nil {
			return nil, err
		}
	}
	if err := w.writeSmallTruths(small[0], small[1], small[2], small[3]); err != nil {
		return nil, err
	}
	for _, o := range small {
		if err := finish(o); err != nil {
			return nil, err
		}
	}
	if err := finish(recs); err != nil {
		return nil, err
	}

	// Mappings, then the manifest that lists everything.
	for _, d := range Datasets() {
		b, err := Mapping(d)
		if err != nil {
			return nil, err
		}
		o, err := mk("mappings/"+d+".json", "mapping", false, false)
		if err != nil {
			return nil, err
		}
		o.Write(b)
		if err := finish(o); err != nil {
			return nil, err
		}
	}
	if err := writeManifest(cfg, sum); err != nil {
		return nil, err
	}
	sum.Elapsed = time.Since(began)
	return sum, nil
}

// Manifest is manifest.json: the configuration and every file. It holds no
// timings, so that equal configurations give equal bytes.
type Manifest struct {
	Seed       uint64  `json:"seed"`
	Persons    int     `json:"persons"`
	Days       int     `json:"days"`
	Start      string  `json:"start"`
	Gzip       bool    `json:"gzip"`
	Density    float64 `json:"density"`
	Households int     `json:"households"`
	Places     int     `json:"places"`
	Phones     int     `json:"phones"`
	Devices    int     `json:"devices"`
	Vehicles   int     `json:"vehicles"`
	Cameras    int     `json:"cameras"`
	Pings      int64   `json:"pings"`
	Contacts   int64   `json:"contacts"`
	PlateReads int64   `json:"plate_reads"`
	Files      []File  `json:"files"`
}

func writeManifest(cfg Config, s *Summary) error {
	m := Manifest{Seed: cfg.Seed, Persons: s.Persons, Days: cfg.Days, Start: cfg.Start.Format("2006-01-02"),
		Gzip: cfg.Gzip, Density: cfg.Density, Households: s.Households, Places: s.Places, Phones: s.Phones,
		Devices: s.Devices, Vehicles: s.Vehicles, Cameras: s.Cameras, Pings: s.Pings, Contacts: s.Contacts,
		PlateReads: s.PlateReads, Files: s.Files}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	p := filepath.Join(cfg.Out, "manifest.json")
	if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
		return err
	}
	s.Files = append(s.Files, File{Path: "manifest.json", Kind: "manifest", Rows: 1, Bytes: int64(len(b) + 1)})
	return nil
}

// build makes the static world, in an order where each step only needs the
// earlier ones.
func build(cfg Config) *world {
	w := &world{cfg: cfg, seed: cfg.Seed, start: cfg.Start, startUnix: cfg.Start.Unix(), days: cfg.Days}
	w.buildPopulation()
	w.buildPlaces()
	w.buildEmployers()
	w.buildRing()
	w.buildVehicles()
	w.buildPhones()
	w.buildCameras()
	return w
}
