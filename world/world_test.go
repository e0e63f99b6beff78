package world

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The shared world most tests read: generated once per test binary.
var shared struct {
	once sync.Once
	dir  string
	sum  *Summary
	err  error
}

var sharedConfig = Config{Seed: 7, Persons: 1000, Days: 7, Density: 0.25}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// sharedWorld returns the directory of the shared world and its truth.
func sharedWorld(t testing.TB) (string, *Summary, *Truth) {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "world-test-")
		if shared.err != nil {
			return
		}
		cfg := sharedConfig
		cfg.Out = shared.dir
		shared.sum, shared.err = Generate(context.Background(), cfg)
	})
	if shared.err != nil {
		t.Fatalf("Generate(%+v) = %v", sharedConfig, shared.err)
	}
	tr, err := LoadTruth(shared.dir)
	if err != nil {
		t.Fatalf("LoadTruth(%s) = %v", shared.dir, err)
	}
	return shared.dir, shared.sum, tr
}

// openData opens a generated file, gunzipping it when it is gzipped.
func openData(t testing.TB, path string) io.ReadCloser {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return f
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{gz, f}
}

// eachLine calls f with the comma-split fields of every line after the header.
func eachLine(t testing.TB, path string, f func(fields []string)) {
	t.Helper()
	r := openData(t, path)
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Scan()
	for sc.Scan() {
		f(strings.Split(sc.Text(), ","))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// ping is one parsed line of pings.csv.
type ping struct {
	device        string
	at            int64
	lat, lon, acc float64
}

var sharedPings struct {
	once  sync.Once
	pings []ping
}

// pings returns the shared world's pings, parsed once.
func pings(t testing.TB) []ping {
	t.Helper()
	dir, _, _ := sharedWorld(t)
	sharedPings.once.Do(func() {
		intern := map[string]string{}
		eachLine(t, filepath.Join(dir, "events/pings.csv"), func(f []string) {
			if len(f) != 5 {
				t.Fatalf("ping %v: %d fields, want 5", f, len(f))
			}
			d, ok := intern[f[0]]
			if !ok {
				d = f[0]
				intern[d] = d
			}
			sharedPings.pings = append(sharedPings.pings, ping{d, atoi64(t, f[1]), atof(t, f[2]), atof(t, f[3]), atof(t, f[4])})
		})
	})
	return sharedPings.pings
}

func hashTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = hex.EncodeToString(h[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	gen := func(seed uint64) map[string]string {
		dir := t.TempDir()
		cfg := Config{Seed: seed, Persons: 400, Days: 2, Out: dir, Gzip: true}
		if _, err := Generate(context.Background(), cfg); err != nil {
			t.Fatalf("Generate(%+v) = %v", cfg, err)
		}
		return hashTree(t, dir)
	}
	a, b := gen(3), gen(3)
	if len(a) < 20 {
		t.Fatalf("generated %d files, want every source, event, truth and mapping file", len(a))
	}
	for name, h := range a {
		if b[name] != h {
			t.Errorf("%s differs between two runs with seed 3", name)
		}
	}
	c := gen(4)
	if c["events/pings.csv.gz"] == a["events/pings.csv.gz"] || c["truth/persons.csv"] == a["truth/persons.csv"] {
		t.Errorf("seeds 3 and 4 gave the same pings or persons")
	}
}

func TestCountsScale(t *testing.T) {
	gen := func(persons, days int) *Summary {
		cfg := Config{Seed: 1, Persons: persons, Days: days, Out: t.TempDir(), Density: 0.5}
		s, err := Generate(context.Background(), cfg)
		if err != nil {
			t.Fatalf("Generate(%+v) = %v", cfg, err)
		}
		if s.Persons != persons {
			t.Errorf("Generate(persons=%d).Persons = %d", persons, s.Persons)
		}
		return s
	}
	base, moreDays, morePersons := gen(500, 2), gen(500, 4), gen(1000, 2)
	within := func(what string, got, want float64) {
		t.Helper()
		if got < want*0.75 || got > want*1.25 {
			t.Errorf("%s scaled by %.2f, want about %.1f", what, got, want)
		}
	}
	within("pings with days", float64(moreDays.Pings)/float64(base.Pings), 2)
	within("contacts with days", float64(moreDays.Contacts)/float64(base.Contacts), 2)
	within("pings with persons", float64(morePersons.Pings)/float64(base.Pings), 2)
	within("contacts with persons", float64(morePersons.Contacts)/float64(base.Contacts), 2)
	within("devices with persons", float64(morePersons.Devices)/float64(base.Devices), 2)
	within("plate reads with persons", float64(morePersons.PlateReads)/float64(base.PlateReads), 2)
	if base.Vehicles == 0 || base.PlateReads == 0 || base.Cameras == 0 {
		t.Errorf("no vehicles, cameras or plate reads: %+v", base)
	}
	if moreDays.Persons != base.Persons || moreDays.Devices != base.Devices {
		t.Errorf("more days changed the population: %d/%d persons, %d/%d devices", moreDays.Persons, base.Persons, moreDays.Devices, base.Devices)
	}
}

func TestDensity(t *testing.T) {
	gen := func(d float64) int64 {
		s, err := Generate(context.Background(), Config{Seed: 1, Persons: 300, Days: 1, Out: t.TempDir(), Density: d})
		if err != nil {
			t.Fatal(err)
		}
		return s.Pings
	}
	if lo, hi := gen(0.5), gen(1); float64(hi) < 1.6*float64(lo) {
		t.Errorf("pings at density 1 = %d, at 0.5 = %d; want about twice as many", hi, lo)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Persons: 10, Days: 1, Out: "x"},
		{Persons: 100, Days: 0, Out: "x"},
		{Persons: 100, Days: 1},
		{Persons: 100, Days: 1, Out: "x", Density: 100},
	} {
		if _, err := Generate(context.Background(), cfg); err == nil {
			t.Errorf("Generate(%+v) = nil error, want one", cfg)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, Config{Persons: 100, Days: 1, Out: t.TempDir()}); err == nil {
		t.Errorf("Generate(cancelled context) = nil error")
	}
}

func TestManifest(t *testing.T) {
	dir, sum, tr := sharedWorld(t)
	if tr.Manifest.Persons != sharedConfig.Persons || tr.Manifest.Days != sharedConfig.Days || tr.Manifest.Pings != sum.Pings {
		t.Errorf("manifest = %+v, want the config and summary counts", tr.Manifest)
	}
	for _, f := range tr.Manifest.Files {
		st, err := os.Stat(filepath.Join(dir, f.Path))
		if err != nil {
			t.Errorf("manifest lists %s: %v", f.Path, err)
			continue
		}
		if st.Size() != f.Bytes {
			t.Errorf("manifest: %s has %d bytes, file has %d", f.Path, f.Bytes, st.Size())
		}
	}
	if len(tr.Persons) != sharedConfig.Persons {
		t.Errorf("LoadTruth: %d persons, want %d", len(tr.Persons), sharedConfig.Persons)
	}
}

func atoi64(t testing.TB, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("ParseInt(%q): %v", s, err)
	}
	return n
}

func atof(t testing.TB, s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("ParseFloat(%q): %v", s, err)
	}
	return f
}

// TestManySeeds generates tiny worlds with many seeds, down to the smallest
// allowed, so that rare paths (empty fields, small communities) run.
func TestManySeeds(t *testing.T) {
	for seed := uint64(0); seed < 12; seed++ {
		cfg := Config{Seed: seed, Persons: 50 + int(seed)*17, Days: 1 + int(seed%3), Out: t.TempDir(), Density: 0.1}
		if _, err := Generate(context.Background(), cfg); err != nil {
			t.Errorf("Generate(%+v) = %v", cfg, err)
			continue
		}
		tr, err := LoadTruth(cfg.Out)
		if err != nil {
			t.Fatalf("LoadTruth(seed %d) = %v", seed, err)
		}
		if len(tr.Ring.Members) < 10 || len(tr.Ring.Meetings) == 0 || len(tr.Ring.Switches) < 6 {
			t.Errorf("seed %d, %d persons: ring of %d members, %d meetings, %d switches", seed, cfg.Persons,
				len(tr.Ring.Members), len(tr.Ring.Meetings), len(tr.Ring.Switches))
		}
	}
}
