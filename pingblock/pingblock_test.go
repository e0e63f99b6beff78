package pingblock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// synth returns n pings of nDev devices around Brussels, sorted by time,
// moving like a walk with GPS noise; ms selects millisecond times.
func synth(r *rand.Rand, n, nDev int, ms bool) []Ping {
	ps := make([]Ping, n)
	t := int64(1772409600000) // 2026-03-02
	lat, lon := 50.85, 4.35
	line := int64(r.IntN(1000))
	for i := range ps {
		step := int64(30+r.IntN(300)) * 1000
		if ms {
			step += int64(r.IntN(1000))
		}
		if nDev > 1 {
			step /= int64(nDev)
			step -= step % 1000
			if ms {
				step += int64(r.IntN(1000))
			}
		}
		t += step
		lat += r.NormFloat64() * 1e-4
		lon += r.NormFloat64() * 1e-4
		line += int64(1 + r.IntN(3))
		ps[i] = Ping{
			Device:    fmt.Sprintf("3520990%08d", r.IntN(nDev)),
			T:         t,
			Lat:       lat,
			Lon:       lon,
			AccuracyM: float64(5 + r.IntN(60)),
			Line:      line,
		}
	}
	return ps
}

func quantizeAll(ps []Ping) []Ping {
	q := make([]Ping, len(ps))
	for i, p := range ps {
		q[i] = Quantize(p)
	}
	return q
}

func checkRoundTrip(t *testing.T, ps []Ping) []byte {
	t.Helper()
	b := Encode(ps)
	got, err := Decode(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := quantizeAll(ps)
	if len(got) != len(want) {
		t.Fatalf("got %d pings, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ping %d: got %+v, want %+v", i, got[i], want[i])
		}
		// Exact at 1e-6°: the decoded value re-quantises to the same integer.
		if E6(got[i].Lat) != E6(ps[i].Lat) || E6(got[i].Lon) != E6(ps[i].Lon) {
			t.Fatalf("ping %d: coordinates not exact at 1e-6°", i)
		}
		if math.Abs(got[i].Lat-ps[i].Lat) > 0.5e-6+1e-12 || math.Abs(got[i].Lon-ps[i].Lon) > 0.5e-6+1e-12 {
			t.Fatalf("ping %d: quantisation error above 0.5e-6°", i)
		}
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		n    int
		dev  int
		ms   bool
	}{
		{"empty", 0, 1, false}, {"one", 1, 1, false}, {"device-day", 1000, 1, false},
		{"device-day-ms", 1000, 1, true}, {"cell", 3000, 200, false}, {"cell-ms", 3000, 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := synth(r, tc.n, tc.dev, tc.ms)
			b := checkRoundTrip(t, ps)
			h, err := ReadHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			if h.Count != tc.n || h.Version != Version || h.Seconds == tc.ms && tc.n > 0 || !h.Sorted {
				t.Fatalf("header %+v", h)
			}
			if tc.n > 0 {
				if h.MinT != ps[0].T || h.MaxT != ps[tc.n-1].T {
					t.Fatalf("time range %d..%d, want %d..%d", h.MinT, h.MaxT, ps[0].T, ps[tc.n-1].T)
				}
				for _, p := range ps {
					la, lo := E6(p.Lat), E6(p.Lon)
					if la < h.MinLat || la > h.MaxLat || lo < h.MinLon || lo > h.MaxLon {
						t.Fatalf("ping %+v outside header box", p)
					}
				}
			}
			if tc.n > 100 {
				t.Logf("%d pings, %d devices: %.2f bytes/ping", tc.n, len(h.Devices), float64(len(b))/float64(tc.n))
			}
		})
	}
}

func TestRoundTripOdd(t *testing.T) {
	ps := []Ping{
		{Device: "a", T: 5000, Lat: 90, Lon: 180, AccuracyM: 0, Line: math.MaxInt64},
		{Device: "", T: -7, Lat: -90, Lon: -180, AccuracyM: 3.6, Line: math.MinInt64},
		{Device: "a", T: 5000, Lat: 95, Lon: -200, AccuracyM: math.NaN(), Line: 0},
		{Device: "ü", T: math.MaxInt64, Lat: math.NaN(), Lon: math.Inf(1), AccuracyM: -1, Line: -1},
		{Device: "b", T: math.MinInt64, Lat: 1e-7, Lon: -4.9999995e-7, AccuracyM: math.Inf(1), Line: 3},
	}
	b := Encode(ps)
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := quantizeAll(ps)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ping %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if h, _ := ReadHeader(b); h.Sorted {
		t.Fatal("unsorted block marked sorted")
	}
	if want[2].Lat != 90 || want[2].Lon != -180 || want[3].T != MaxT || want[4].T != -MaxT || want[2].AccuracyM != 0 || want[1].AccuracyM != 4 {
		t.Fatalf("clamping: %+v", want)
	}
}

// Every truncation and every single-byte change of a valid block either
// decodes or fails with ErrCorrupt; none panics.
func TestCorrupt(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	b := Encode(synth(r, 50, 5, true))
	for i := range len(b) {
		if _, err := Decode(b[:i]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: err %v", i, err)
		}
	}
	if _, err := Decode(append(slices.Clone(b), 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("trailing byte: err %v", err)
	}
	bad := 0
	for i := range len(b) {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			c := slices.Clone(b)
			c[i] ^= x
			if _, err := Decode(c); err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("err %v does not wrap ErrCorrupt", err)
				}
				bad++
			}
		}
	}
	if bad == 0 {
		t.Fatal("no corruption detected")
	}
	// A huge count cannot make Decode allocate beyond the block's size.
	huge := binary.AppendUvarint([]byte{Version, flagSorted}, 1<<40)
	if _, err := Decode(huge); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("huge count: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	f.Add(Encode(nil))
	f.Add(Encode(synth(r, 3, 1, false)))
	f.Add(Encode(synth(r, 20, 4, true)))
	f.Add([]byte{Version, 3, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			// Filter may stop before a corrupt tail, but must not panic.
			_, _ = Filter(b, Clip{From: math.MinInt64, To: math.MaxInt64})
			return
		}
		// ReadExtent agrees with the header of every block that decodes.
		h, err := ReadHeader(b)
		if err != nil {
			t.Fatalf("ReadHeader of a block that decodes: %v", err)
		}
		e, ok := ReadExtent(b)
		if want := h.Extent; ok != (h.Count > 0) || (ok && e != want) {
			t.Fatalf("ReadExtent = %+v, %v; header %+v", e, ok, h)
		}
		// A block that decodes re-encodes to pings that decode the same.
		again, err := Decode(Encode(ps))
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !slices.Equal(again, ps) {
			t.Fatal("re-encoded block differs")
		}
		got, err := Filter(b, Clip{From: math.MinInt64, To: math.MaxInt64})
		if err != nil || !slices.Equal(got, ps) {
			t.Fatalf("Filter over everything: %v, %d vs %d pings", err, len(got), len(ps))
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("seed"), int64(1772409600000), 50.85, 4.35, uint8(3))
	f.Add([]byte{0, 1, 2, 255, 128, 7}, int64(-1), -90.0, 180.0, uint8(9))
	f.Fuzz(func(t *testing.T, raw []byte, t0 int64, lat, lon float64, nDev uint8) {
		// Build up to len(raw) pings whose steps come from the raw bytes.
		ps := make([]Ping, 0, len(raw))
		tt := clampT(t0)
		for i, c := range raw {
			tt = clampT(tt + int64(c)*997 - 1000)
			ps = append(ps, Ping{
				Device:    fmt.Sprint(int(c) % (int(nDev) + 1)),
				T:         tt,
				Lat:       lat + float64(int8(c))*1e-5,
				Lon:       lon - float64(int8(c))*3e-6,
				AccuracyM: float64(c) / 3,
				Line:      int64(i*i) - int64(c),
			})
		}
		b := Encode(ps)
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		want := quantizeAll(ps)
		if !slices.Equal(got, want) {
			t.Fatalf("round trip differs")
		}
	})
}

func TestCount(t *testing.T) {
	full := Encode([]Ping{{T: 1, Lat: 1, Lon: 1, Device: "a"}, {T: 2, Lat: 1, Lon: 1, Device: "b"}, {T: 3, Lat: 2, Lon: 2, Device: "a"}})
	for _, tt := range []struct {
		name string
		b    []byte
		want int
	}{
		{"three pings", full, 3},
		{"empty block", Encode(nil), 0},
		{"no bytes", nil, 0},
		{"other version", append([]byte{Version + 1}, full[1:]...), 0},
		{"cut in the count", full[:2], 0},
		{"count past the length", []byte{Version, 0, 0xff, 0x7f}, 0},
	} {
		if got := Count(tt.b); got != tt.want {
			t.Errorf("%s: Count() = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestReadExtent(t *testing.T) {
	ps := []Ping{{T: 5000, Lat: 50.5, Lon: 4.25, Device: "a"}, {T: 2000, Lat: -1.000001, Lon: 4.3, Device: "b"}, {T: 9001, Lat: 2, Lon: -7.5, Device: "a"}}
	full := Encode(ps)
	for _, tt := range []struct {
		name string
		b    []byte
		want Extent
		ok   bool
	}{
		{"three pings", full, Extent{MinT: 2000, MaxT: 9001, MinLat: -1000001, MaxLat: 50500000, MinLon: -7500000, MaxLon: 4300000}, true},
		{"whole seconds", Encode(ps[:2]), Extent{MinT: 2000, MaxT: 5000, MinLat: -1000001, MaxLat: 50500000, MinLon: 4250000, MaxLon: 4300000}, true},
		{"empty block", Encode(nil), Extent{}, false},
		{"no bytes", nil, Extent{}, false},
		{"other version", append([]byte{Version + 1}, full[1:]...), Extent{}, false},
		{"unknown flag", append([]byte{Version, 0x80}, full[2:]...), Extent{}, false},
		{"cut in the box", full[:6], Extent{}, false},
	} {
		got, ok := ReadExtent(tt.b)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: ReadExtent() = %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// TestReaderOne checks the inlined fast path of the column loops against
// encoding/binary on the lengths it takes (one and two bytes) and the ones
// it leaves to uvarint: what it reads, and where it leaves the cursor.
func TestReaderOne(t *testing.T) {
	enc := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	cases := []struct {
		name string
		b    []byte
		off  int
		ok   bool
	}{
		{"zero", enc(0), 0, true},
		{"one byte, largest", enc(127), 0, true},
		{"two bytes, smallest", enc(128), 0, true},
		{"two bytes, largest", enc(1<<14 - 1), 0, true},
		{"three bytes", enc(1 << 14), 0, false},
		{"largest", enc(math.MaxUint64), 0, false},
		{"overlong zero", []byte{0x80, 0x00}, 0, true},
		{"after a value", append(enc(5), enc(300)...), 1, true},
		{"cut after the first byte", []byte{0x80}, 0, false},
		{"at the end", enc(5), 1, false},
		{"empty", nil, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &reader{b: c.b, off: c.off}
			v, ok := r.one()
			if ok != c.ok {
				t.Fatalf("one() ok = %v, want %v", ok, c.ok)
			}
			if !ok {
				if r.off != c.off {
					t.Fatalf("declined, but moved the cursor to %d", r.off)
				}
				return
			}
			want, n := binary.Uvarint(c.b[c.off:])
			if v != want || r.off != c.off+n {
				t.Fatalf("one() = %d at %d, want %d at %d", v, r.off, want, c.off+n)
			}
		})
	}
}
