package location

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/writhq/writ/world"
)

// worldData is the generated world as the benchmark uses it: the pings
// file, its extent, a random sample of its pings and the co-location target.
type worldData struct {
	dir, csv         string
	pings, csvBytes  int64
	persons, devices int
	genTime          time.Duration
	start, end       time.Time // the event window
	box              [4]float64
	samples          []sample
	target           string // the ring's seller's own mobile
}

// sample is one ping drawn at random from the file.
type sample struct {
	device   string
	t        int64 // unix seconds
	lat, lon float64
}

// loadWorld generates the world into a directory named by its parameters,
// unless a finished one is there already, then scans its pings.
func loadWorld(ctx context.Context, cfg *Config) (*worldData, error) {
	persons := max(50, int(math.Round(float64(cfg.Pings)/float64(cfg.Days*PingsPerPersonDay))))
	dir := filepath.Join(cfg.Dir, fmt.Sprintf("world-s%d-p%d-d%d", cfg.Seed, persons, cfg.Days))
	w := &worldData{dir: dir, csv: filepath.Join(dir, "events", "pings.csv"), persons: persons}
	timing := filepath.Join(dir, "bench-generated.json")
	if b, err := os.ReadFile(timing); err == nil {
		var ns int64
		if err := json.Unmarshal(b, &ns); err != nil {
			return nil, fmt.Errorf("%s: %w", timing, err)
		}
		w.genTime = time.Duration(ns)
		cfg.logf("world: reusing %s", dir)
	} else {
		cfg.logf("world: generating %d persons × %d days into %s", persons, cfg.Days, dir)
		tmp := dir + ".tmp"
		os.RemoveAll(tmp)
		start := time.Now()
		sum, err := world.Generate(ctx, world.Config{Seed: cfg.Seed, Persons: persons, Days: cfg.Days, Out: tmp})
		if err != nil {
			return nil, err
		}
		w.genTime = time.Since(start)
		cfg.logf("world: %d pings in %.1fs", sum.Pings, w.genTime.Seconds())
		b, _ := json.Marshal(w.genTime.Nanoseconds())
		if err := os.WriteFile(filepath.Join(tmp, "bench-generated.json"), b, 0o644); err != nil {
			return nil, err
		}
		os.RemoveAll(dir)
		if err := os.Rename(tmp, dir); err != nil {
			return nil, err
		}
	}
	truth, err := world.LoadTruth(dir)
	if err != nil {
		return nil, err
	}
	w.start, w.end = truth.Start, truth.End
	w.devices = len(truth.Devices)
	seller, ok := truth.Ring.Member("seller", 0)
	if !ok {
		return nil, fmt.Errorf("world %s has no ring seller", dir)
	}
	for _, p := range seller.Phones {
		if p.Kind == "mobile" && p.Device != "" {
			w.target = p.Device
		}
	}
	if w.target == "" {
		return nil, fmt.Errorf("world %s: the seller has no mobile", dir)
	}
	if err := w.scan(cfg.Seed, 4*cfg.Queries); err != nil {
		return nil, err
	}
	cfg.logf("world: %d pings, %d devices, %.1f MB of CSV", w.pings, w.devices, float64(w.csvBytes)/1e6)
	return w, nil
}

// scan counts the pings, finds their extent and draws k of them uniformly
// (reservoir sampling, seeded, so a world always gives the same queries).
func (w *worldData) scan(seed uint64, k int) error {
	f, err := os.Open(w.csv)
	if err != nil {
		return err
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(seed, 0x10ca7))
	w.box = [4]float64{90, 180, -90, -180}
	r := bufio.NewReaderSize(f, 1<<20)
	if _, err := r.ReadSlice('\n'); err != nil { // header
		return fmt.Errorf("%s: %w", w.csv, err)
	}
	w.samples = make([]sample, 0, k)
	for {
		line, err := r.ReadSlice('\n')
		if len(line) == 0 && err != nil {
			break
		}
		w.csvBytes += int64(len(line))
		s, perr := parsePing(line)
		if perr != nil {
			return fmt.Errorf("%s line %d: %w", w.csv, w.pings+2, perr)
		}
		w.pings++
		w.box[0], w.box[1] = math.Min(w.box[0], s.lat), math.Min(w.box[1], s.lon)
		w.box[2], w.box[3] = math.Max(w.box[2], s.lat), math.Max(w.box[3], s.lon)
		if len(w.samples) < k {
			w.samples = append(w.samples, s)
		} else if j := rng.Int64N(w.pings); j < int64(k) {
			w.samples[j] = s
		}
	}
	if w.pings == 0 {
		return fmt.Errorf("%s: no pings", w.csv)
	}
	// Reservoir order depends on replacement; shuffle so warm-up and timed
	// queries are drawn alike.
	rng.Shuffle(len(w.samples), func(i, j int) { w.samples[i], w.samples[j] = w.samples[j], w.samples[i] })
	return nil
}

// parsePing reads device,at,lat,lon[,accuracy_m] from one CSV line.
func parsePing(line []byte) (sample, error) {
	var f [4][]byte
	for i := range f {
		j := bytes.IndexByte(line, ',')
		if j < 0 {
			j = len(bytes.TrimRight(line, "\r\n"))
		}
		f[i], line = line[:j], line[min(j+1, len(line)):]
	}
	t, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return sample{}, err
	}
	lat, err := strconv.ParseFloat(string(f[2]), 64)
	if err != nil {
		return sample{}, err
	}
	lon, err := strconv.ParseFloat(string(f[3]), 64)
	if err != nil {
		return sample{}, err
	}
	return sample{device: string(f[0]), t: t, lat: lat, lon: lon}, nil
}

// Query parameters shared by every side.
type trajQuery struct {
	device   string
	from, to time.Time
}

type areaQuery struct {
	minLat, minLon, maxLat, maxLon float64
	from, to                       time.Time
}

type queries struct {
	trajWarm, traj []trajQuery
	areaWarm, area []areaQuery
	target         string
	from, to       time.Time // co-location window
	// targets are other devices to time co-location for: the timed
	// trajectories' devices, distinct, in the sample's order. A sampled
	// ping's device, so a busy device comes up more often, as in casework.
	targets []string
}

// AreaSideM is the side of the area search's square: 1 km².
const AreaSideM = 1000

// Co-location parameters, the API's defaults (docs/geo.md).
const (
	CoLocRadiusM = 100
	CoLocWithin  = 10 * time.Minute
	CoLocMaxAccM = 100
	CoLocDays    = 30
)

// worldZone is the world's routines' time zone (fixed UTC+1, docs/world.md),
// for inferring the target's home and work.
var worldZone = time.FixedZone("UTC+1", 3600)

// newQueries turns the sample into trajectories (the sampled device's UTC
// day) and area searches (a square centred on the sampled ping, over its
// clock hour); the first half of each is a warm-up, run but not timed. Up
// to targets of the timed trajectories' devices are co-location targets too.
func newQueries(w *worldData, n, targets int) *queries {
	q := &queries{target: w.target, from: w.start, to: w.start.AddDate(0, 0, CoLocDays)}
	if q.to.After(w.end) {
		q.to = w.end
	}
	var traj []trajQuery
	var area []areaQuery
	for i, s := range w.samples {
		if i%2 == 0 {
			day := time.Unix(s.t-s.t%86400, 0).UTC()
			traj = append(traj, trajQuery{device: s.device, from: day, to: day.Add(24 * time.Hour)})
			continue
		}
		dlat := AreaSideM / 2 / metresPerDegLat
		dlon := AreaSideM / 2 / (metresPerDegLat * math.Cos(s.lat*math.Pi/180))
		hour := time.Unix(s.t-s.t%3600, 0).UTC()
		area = append(area, areaQuery{minLat: s.lat - dlat, minLon: s.lon - dlon, maxLat: s.lat + dlat,
			maxLon: s.lon + dlon, from: hour, to: hour.Add(time.Hour)})
	}
	h := len(traj) / 2
	q.trajWarm, q.traj = traj[:h], traj[h:]
	h = len(area) / 2
	q.areaWarm, q.area = area[:h], area[h:]
	for _, t := range q.traj {
		if len(q.targets) < targets && t.device != q.target && !slices.Contains(q.targets, t.device) {
			q.targets = append(q.targets, t.device)
		}
	}
	return q
}

const metresPerDegLat = 111_320.0
