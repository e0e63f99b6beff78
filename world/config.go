package world

import (
	"errors"
	"time"
)

// Config sizes and places a world. The same Config (apart from Out and
// Progress) always yields byte-identical files.
type Config struct {
	Seed    uint64
	Persons int       // population size; at least 50
	Days    int       // length of the event window; at least 1
	Start   time.Time // first day, taken as a UTC date; zero: DefaultStart
	Out     string    // output directory, created if missing
	Gzip    bool      // gzip the event files (pings, contacts, plate reads)

	// Density scales how often devices report a fix: 1 (the default) is
	// every 1, 5 or 15 minutes when still, 0.5 half as often.
	Density float64

	// Progress, when set, is called after every block of persons of every
	// day, from the generating goroutine.
	Progress func(Progress)

	discardEvents bool // tests: generate events but do not write them
}

// DefaultStart is the first day when Config.Start is zero: a Monday.
var DefaultStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// Progress reports a long generation's advance.
type Progress struct {
	Day, Days       int
	Persons         int // persons done in Day
	Pings, Contacts int64
	PlateReads      int64
	Elapsed         time.Duration
}

// Summary says what Generate wrote.
type Summary struct {
	Persons, Households, Places int
	Phones, Devices, Vehicles   int
	Cameras                     int
	Pings, Contacts, PlateReads int64
	Files                       []File
	Elapsed                     time.Duration
}

// File is one written file, relative to Config.Out.
type File struct {
	Path  string `json:"path"`
	Kind  string `json:"kind"` // source, event, truth, mapping, manifest
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}

// PingRate is pings generated per second of the whole run.
func (s *Summary) PingRate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Pings) / s.Elapsed.Seconds()
}

func (c *Config) normalize() error {
	if c.Persons < 50 {
		return errors.New("world: at least 50 persons are needed (the ring alone has a dozen)")
	}
	if c.Persons > 20_000_000 {
		return errors.New("world: at most 20 million persons")
	}
	if c.Days < 1 || c.Days > 3660 {
		return errors.New("world: days must be between 1 and 3660")
	}
	if c.Out == "" {
		return errors.New("world: no output directory")
	}
	if c.Density == 0 {
		c.Density = 1
	}
	if c.Density < 0.01 || c.Density > 20 {
		return errors.New("world: density must be between 0.01 and 20")
	}
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	y, m, d := c.Start.UTC().Date()
	c.Start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return nil
}
