package geo

import (
	"bufio"
	"bytes"
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// sharedData is the public test data beside the checkout (see DESIGN.md).
const sharedData = "../../shared/data"

// readPingsCSV reads device,time,lat,lon[,accuracy] rows into tracks in file
// order, keyed by device; rows of one device must already be in time order
// or are sorted here.
func readPingsCSV(tb testing.TB, path string) []Track {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	idx := map[string]int{}
	var tracks []Track
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue
		}
		parts := bytes.Split(sc.Bytes(), []byte{','})
		if len(parts) < 4 {
			tb.Fatalf("%s:%d: %d fields, want at least 4", path, line, len(parts))
		}
		t, err1 := strconv.ParseInt(string(parts[1]), 10, 64)
		lat, err2 := strconv.ParseFloat(string(parts[2]), 64)
		lon, err3 := strconv.ParseFloat(string(parts[3]), 64)
		var acc float64
		var err4 error
		if len(parts) > 4 {
			acc, err4 = strconv.ParseFloat(string(parts[4]), 64)
		}
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			tb.Fatalf("%s:%d: bad row %q", path, line, sc.Text())
		}
		i, ok := idx[string(parts[0])]
		if !ok {
			i = len(tracks)
			idx[string(parts[0])] = i
			tracks = append(tracks, Track{Device: string(parts[0])})
		}
		tracks[i].Fixes = append(tracks[i].Fixes, Fix{T: t, Lat: lat, Lon: lon, Acc: float32(acc)})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	for _, tr := range tracks { // by time, the file's order kept among equal times
		slices.SortStableFunc(tr.Fixes, func(a, b Fix) int { return cmp.Compare(a.T, b.T) })
	}
	return tracks
}

// geolifePath returns the GeoLife pings, or skips.
func geolifePath(tb testing.TB) string {
	tb.Helper()
	p := filepath.Join(sharedData, "geolife", "pings.csv")
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("GeoLife data absent (%v); it lives in ../shared/data beside the checkout", err)
	}
	return p
}
