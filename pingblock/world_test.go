package pingblock

import (
	"bufio"
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/writhq/writ/world"
)

// worldPings generates a synthetic world and reads its pings.csv, with the
// CSV line number (the header is line 1) as each ping's provenance offset.
func worldPings(tb testing.TB, persons, days int) []Ping {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := world.Generate(context.Background(), world.Config{Seed: 1, Persons: persons, Days: days, Out: dir}); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "events", "pings.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var ps []Ping
	line := int64(0)
	for sc.Scan() {
		line++
		if line == 1 {
			continue
		}
		fs := strings.Split(sc.Text(), ",")
		if len(fs) != 5 {
			tb.Fatalf("line %d: %q", line, sc.Text())
		}
		at, err1 := strconv.ParseInt(fs[1], 10, 64)
		lat, err2 := strconv.ParseFloat(fs[2], 64)
		lon, err3 := strconv.ParseFloat(fs[3], 64)
		acc, err4 := strconv.ParseFloat(fs[4], 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			tb.Fatalf("line %d: %q", line, sc.Text())
		}
		ps = append(ps, Ping{Device: fs[0], T: at * 1000, Lat: lat, Lon: lon, AccuracyM: acc, Line: line})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return ps
}

// Layout groups pings into blocks the way a store would key them.
type layout struct {
	name  string
	group func([]Ping) [][]Ping
}

var layouts = []layout{
	{"device-day", deviceDayBlocks},
	{"hour-cell", hourCellBlocks},
}

// deviceDayBlocks groups by (device, UTC day), each block sorted by time.
func deviceDayBlocks(ps []Ping) [][]Ping {
	type key struct {
		dev string
		day int64
	}
	return groupBy(ps, func(p Ping) key { return key{p.Device, p.T / 86_400_000} },
		func(a, b key) int { return cmp.Or(strings.Compare(a.dev, b.dev), cmp.Compare(a.day, b.day)) })
}

// hourCellBlocks groups by (hour, level-13 S2 cell), each block sorted by
// time, then device.
func hourCellBlocks(ps []Ping) [][]Ping {
	type key struct {
		hour int64
		cell uint64
	}
	return groupBy(ps, func(p Ping) key { return key{Hour(p.T), Cell(p.Lat, p.Lon)} },
		func(a, b key) int { return cmp.Or(cmp.Compare(a.hour, b.hour), cmp.Compare(a.cell, b.cell)) })
}

func groupBy[K comparable](ps []Ping, keyOf func(Ping) K, cmpK func(a, b K) int) [][]Ping {
	m := map[K][]Ping{}
	for _, p := range ps {
		k := keyOf(p)
		m[k] = append(m[k], p)
	}
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmpK)
	out := make([][]Ping, len(keys))
	for i, k := range keys {
		bl := m[k]
		slices.SortStableFunc(bl, func(a, b Ping) int { return cmp.Or(cmp.Compare(a.T, b.T), strings.Compare(a.Device, b.Device)) })
		out[i] = bl
	}
	return out
}

// TestWorldBlocks round-trips every block of a small world in both layouts
// and holds the size well under the 32 bytes per ping.
func TestWorldBlocks(t *testing.T) {
	ps := worldPings(t, 100, 1)
	if len(ps) < 20_000 {
		t.Fatalf("only %d pings", len(ps))
	}
	for _, l := range layouts {
		blocks := l.group(ps)
		var bytes, n int
		for _, bl := range blocks {
			b := Encode(bl)
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			for i := range bl {
				if got[i] != Quantize(bl[i]) || E6(got[i].Lat) != E6(bl[i].Lat) || got[i].T != bl[i].T {
					t.Fatalf("%s: ping %d: got %+v, want %+v", l.name, i, got[i], bl[i])
				}
			}
			bytes += len(b)
			n += len(bl)
		}
		bpp := float64(bytes) / float64(n)
		t.Logf("%s: %d pings in %d blocks: %.2f bytes/ping", l.name, n, len(blocks), bpp)
		if n != len(ps) || bpp > 16 {
			t.Fatalf("%s: %d of %d pings, %.2f bytes/ping", l.name, n, len(ps), bpp)
		}
	}
}

var (
	benchOnce   sync.Once
	benchPings  []Ping
	benchBlocks = map[string][][]Ping{}
)

// benchWorld is 1,000 persons over 2 days (about 680k pings), generated
// once per test binary.
func benchWorld(b *testing.B) map[string][][]Ping {
	benchOnce.Do(func() {
		benchPings = worldPings(b, 1000, 2)
		for _, l := range layouts {
			benchBlocks[l.name] = l.group(benchPings)
		}
	})
	return benchBlocks
}

func BenchmarkEncode(b *testing.B) {
	for _, l := range layouts {
		b.Run(l.name, func(b *testing.B) {
			blocks := benchWorld(b)[l.name]
			var buf []byte
			var bytes, n int
			for b.Loop() {
				bytes, n = 0, 0
				for _, bl := range blocks {
					buf = AppendEncode(buf[:0], bl)
					bytes += len(buf)
					n += len(bl)
				}
			}
			b.ReportMetric(float64(bytes)/float64(n), "bytes/ping")
			b.ReportMetric(float64(n)/float64(len(blocks)), "pings/block")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "pings/s")
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, l := range layouts {
		b.Run(l.name, func(b *testing.B) {
			blocks := benchWorld(b)[l.name]
			enc := make([][]byte, len(blocks))
			n := 0
			for i, bl := range blocks {
				enc[i] = Encode(bl)
				n += len(bl)
			}
			for b.Loop() {
				for _, e := range enc {
					if _, err := Decode(e); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "pings/s")
		})
	}
}

// BenchmarkFilter clips every hour-cell block to a quarter of its cell's
// bounding box and the block's middle 30 minutes, as a store clips the
// blocks of an area search to the grant.
func BenchmarkFilter(b *testing.B) {
	blocks := benchWorld(b)["hour-cell"]
	enc := make([][]byte, len(blocks))
	clips := make([]Clip, len(blocks))
	n, kept := 0, 0
	for i, bl := range blocks {
		enc[i] = Encode(bl)
		n += len(bl)
		cb := CellBox(Cell(bl[0].Lat, bl[0].Lon))
		h := Hour(bl[0].T) * HourMs
		clips[i] = Clip{From: h + 15*60_000, To: h + 45*60_000, Box: &Box{
			MinLat: cb.MinLat, MaxLat: (cb.MinLat + cb.MaxLat) / 2, MinLon: cb.MinLon, MaxLon: (cb.MinLon + cb.MaxLon) / 2}}
	}
	var out []Ping
	for b.Loop() {
		kept = 0
		for i, e := range enc {
			var err error
			out, err = AppendFilter(out[:0], e, clips[i])
			if err != nil {
				b.Fatal(err)
			}
			kept += len(out)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "pings/s")
	b.ReportMetric(float64(kept)/float64(n), "kept")
}
