package geo

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/writhq/writ/world"
)

// The test world: 300 persons over 15 days at half density (about 760,000
// pings), generated once per test binary in about a second.
var (
	worldOnce sync.Once
	worldDir  string
	worldErr  error
)

type testWorld struct {
	dir    string
	truth  *world.Truth
	tracks []Track
	byDev  map[string][]Fix
	reads  []Read
}

var (
	twOnce sync.Once
	tw     *testWorld
)

func TestMain(m *testing.M) {
	code := m.Run()
	if worldDir != "" {
		os.RemoveAll(worldDir)
	}
	os.Exit(code)
}

func loadWorld(tb testing.TB) *testWorld {
	tb.Helper()
	worldOnce.Do(func() {
		worldDir, worldErr = os.MkdirTemp("", "geo-world-")
		if worldErr != nil {
			return
		}
		_, worldErr = world.Generate(context.Background(), world.Config{Seed: 7, Persons: 300, Days: 15, Density: 0.5, Out: worldDir})
	})
	if worldErr != nil {
		tb.Fatalf("world.Generate: %v", worldErr)
	}
	twOnce.Do(func() {
		w := &testWorld{dir: worldDir, byDev: map[string][]Fix{}}
		w.truth, worldErr = world.LoadTruth(worldDir)
		if worldErr != nil {
			return
		}
		w.tracks = readPingsCSV(tb, filepath.Join(worldDir, "events", "pings.csv"))
		for _, tr := range w.tracks {
			w.byDev[tr.Device] = tr.Fixes
		}
		w.reads, worldErr = readPlateCSV(filepath.Join(worldDir, "events", "plate_reads.csv"))
		tw = w
	})
	if worldErr != nil || tw == nil {
		tb.Fatalf("loading the test world: %v", worldErr)
	}
	return tw
}

func readPlateCSV(path string) ([]Read, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []Read
	for _, r := range rows[1:] {
		at, err := time.Parse(time.RFC3339, r[2])
		if err != nil {
			return nil, err
		}
		lat, _ := strconv.ParseFloat(r[3], 64)
		lon, _ := strconv.ParseFloat(r[4], 64)
		out = append(out, Read{Plate: r[0], Camera: r[1], T: at.Unix(), Lat: lat, Lon: lon})
	}
	SortReads(out)
	return out, nil
}

// brussels is the world's fixed UTC+1 routine zone.
var brussels = time.FixedZone("UTC+1", 3600)

// TestHomeWorld infers every device's home and checks it against the truth.
func TestHomeWorld(t *testing.T) {
	w := loadWorld(t)
	var n, hit, workN, workHit int
	for _, d := range w.truth.Devices {
		fs := w.byDev[d.ID]
		days := map[int64]bool{}
		for _, f := range fs {
			days[f.T/86400] = true
		}
		if len(days) < 14 || d.HomePlace == "" {
			continue
		}
		n++
		_, home, work := InferHomeWork(fs, HomeStays(), 0, HomeWorkOptions{Loc: brussels})
		hp, _ := w.truth.Place(d.HomePlace)
		if home != nil && Haversine(home.Lat, home.Lon, hp.Lat, hp.Lon) <= 100 {
			hit++
		} else if testing.Verbose() {
			t.Logf("device %s: home %+v, true %v,%v", d.ID, home, hp.Lat, hp.Lon)
		}
		if wp, ok := w.truth.Place(d.WorkPlace); ok && d.WorkPlace != d.HomePlace {
			workN++
			if work != nil && Haversine(work.Lat, work.Lon, wp.Lat, wp.Lon) <= 100 {
				workHit++
			}
		}
	}
	share := float64(hit) / float64(n)
	t.Logf("home within 100 m for %d of %d devices with 14+ days (%.1f%%); work for %d of %d (%.1f%%)",
		hit, n, 100*share, workHit, workN, 100*float64(workHit)/float64(max(workN, 1)))
	if n < 100 || share < 0.97 {
		t.Errorf("HomeWork: home within 100 m for %d of %d devices, want >= 97%% of at least 100", hit, n)
	}
}
