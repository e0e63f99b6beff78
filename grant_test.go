package writ

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestGrantCheck(t *testing.T) {
	m := minterForTest(t)
	if again := ClaimMinter(); again != nil {
		t.Fatal("ClaimMinter() second call returned a minter; the capability must be claimable once")
	}
	now := time.Now()
	g := m.Mint(GrantSpec{UserID: 1, CaseID: 2, AuthorityID: 3, Category: CatComms,
		Selectors: []Selector{{SelPhone, "+15550000001"}}, From: now.Add(-time.Hour), To: now,
		Purpose: "test purpose", IssuedAt: now, ExpiresAt: now.Add(time.Minute)})
	tests := []struct {
		name string
		g    *Grant
		cat  Category
		rule string
	}{
		{"valid", g, CatComms, ""},
		{"nil", nil, CatComms, "grant_required"},
		{"zero value", &Grant{}, CatComms, "grant_forged"},
		{"wrong category", g, CatLocation, "grant_category"},
		{"copied and altered", func() *Grant { c := *g; c.selectors = []Selector{{SelPhone, "+15550000009"}}; return &c }(), CatComms, "grant_forged"},
		{"expired", m.Mint(GrantSpec{Category: CatComms, IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Second)}), CatComms, "grant_expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.g.Check(tt.cat)
			if got := ErrorRule(err); got != tt.rule {
				t.Errorf("Check(%s) rule = %q (%v), want %q", tt.cat, got, err, tt.rule)
			}
		})
	}
}

func TestGrantClip(t *testing.T) {
	m := minterForTest(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := m.Mint(GrantSpec{Category: CatComms, Selectors: []Selector{{SelPhone, "+1"}, {SelPhone, "+2"}},
		From: t0, To: t0.Add(10 * time.Hour), ExpiresAt: t0.Add(time.Hour)})
	tests := []struct {
		name     string
		q        EventQuery
		values   []string
		from, to time.Time
		ok       bool
	}{
		{"all", EventQuery{}, []string{"+1", "+2"}, t0, t0.Add(10 * time.Hour), true},
		{"narrower", EventQuery{Selectors: []string{"+2"}, From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)}, []string{"+2"}, t0.Add(time.Hour), t0.Add(2 * time.Hour), true},
		{"wider window is clipped", EventQuery{From: t0.Add(-time.Hour), To: t0.Add(99 * time.Hour)}, []string{"+1", "+2"}, t0, t0.Add(10 * time.Hour), true},
		{"unnamed selector dropped", EventQuery{Selectors: []string{"+3"}}, nil, t0, t0.Add(10 * time.Hour), false},
		{"empty window", EventQuery{From: t0.Add(20 * time.Hour)}, []string{"+1", "+2"}, t0.Add(20 * time.Hour), t0.Add(10 * time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, from, to, _, ok := g.Clip(tt.q)
			if ok != tt.ok || !from.Equal(tt.from) || !to.Equal(tt.to) || len(values) != len(tt.values) {
				t.Fatalf("Clip(%+v) = %v, %v, %v, ok=%v; want %v, %v, %v, ok=%v", tt.q, values, from, to, ok, tt.values, tt.from, tt.to, tt.ok)
			}
			for i := range values {
				if values[i] != tt.values[i] {
					t.Errorf("Clip values[%d] = %q, want %q", i, values[i], tt.values[i])
				}
			}
		})
	}
}

// minterForTest gives tests in this package a minter whether or not
// TestGrantCheck already claimed it.
func minterForTest(t *testing.T) *Minter {
	t.Helper()
	if m := ClaimMinter(); m != nil {
		return m
	}
	return &Minter{key: sealKey}
}

func TestPolygon(t *testing.T) {
	sq := Polygon{{0, 0}, {0, 10}, {10, 10}, {10, 0}}
	tests := []struct {
		q    Point
		want bool
	}{{Point{5, 5}, true}, {Point{-1, 5}, false}, {Point{5, 11}, false}, {Point{9.99, 0.01}, true}}
	for _, tt := range tests {
		if got := sq.Contains(tt.q); got != tt.want {
			t.Errorf("Contains(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	inner := Polygon{{1, 1}, {1, 2}, {2, 2}, {2, 1}}
	crossing := Polygon{{5, 5}, {5, 15}, {6, 15}, {6, 5}}
	if !inner.Within(sq) || crossing.Within(sq) || sq.Within(inner) {
		t.Errorf("Within: inner=%v crossing=%v outer-in-inner=%v; want true, false, false",
			inner.Within(sq), crossing.Within(sq), sq.Within(inner))
	}
}

func TestCoversBox(t *testing.T) {
	sq := Polygon{{0, 0}, {0, 10}, {10, 10}, {10, 0}}
	// A U: the notch from lon 4 to 6 is cut down to lat 2.
	u := Polygon{{0, 0}, {10, 0}, {10, 4}, {2, 4}, {2, 6}, {10, 6}, {10, 10}, {0, 10}}
	tests := []struct {
		name   string
		p      Polygon
		lo, hi Point
		want   bool
	}{
		{"inside", sq, Point{1, 1}, Point{2, 3}, true},
		{"a point inside", sq, Point{5, 5}, Point{5, 5}, true},
		{"across an edge", sq, Point{8, 8}, Point{11, 9}, false},
		{"on an edge", sq, Point{0, 1}, Point{1, 2}, false},
		{"outside", sq, Point{20, 20}, Point{21, 21}, false},
		{"around the polygon", sq, Point{-1, -1}, Point{11, 11}, false},
		{"corners inside, the notch within", u, Point{1, 1}, Point{9, 9}, false},
		{"in an arm of the U", u, Point{3, 1}, Point{9, 3}, true},
		{"in the notch", u, Point{5, 4.5}, Point{8, 5.5}, false},
		{"min above max", sq, Point{3, 3}, Point{2, 2}, false},
		{"no polygon", Polygon{{0, 0}, {1, 1}}, Point{0.5, 0.5}, Point{0.5, 0.5}, false},
	}
	for _, tt := range tests {
		if got := tt.p.CoversBox(tt.lo, tt.hi); got != tt.want {
			t.Errorf("%s: CoversBox(%v, %v) = %v, want %v", tt.name, tt.lo, tt.hi, got, tt.want)
		}
	}
	// Soundness on random polygons and boxes: wherever CoversBox says yes,
	// Contains holds at every point of a grid over the box, edges included.
	r := rand.New(rand.NewPCG(3, 4))
	covered := 0
	for range 2000 {
		var p Polygon
		n := 3 + r.IntN(9)
		for i := range n { // a star around (0, 0): simple, often concave
			a := 2 * math.Pi * (float64(i) + 0.5*r.Float64()) / float64(n)
			d := 1 + 4*r.Float64()
			p = append(p, Point{Lat: d * math.Sin(a), Lon: d * math.Cos(a)})
		}
		lo := Point{Lat: 4 * (r.Float64() - 0.5), Lon: 4 * (r.Float64() - 0.5)}
		hi := Point{Lat: lo.Lat + r.Float64(), Lon: lo.Lon + r.Float64()}
		if !p.CoversBox(lo, hi) {
			continue
		}
		covered++
		for i := range 11 {
			for j := range 11 {
				q := Point{Lat: lo.Lat + (hi.Lat-lo.Lat)*float64(i)/10, Lon: lo.Lon + (hi.Lon-lo.Lon)*float64(j)/10}
				if !p.Contains(q) {
					t.Fatalf("CoversBox(%v, %v) of %v, but %v is outside", lo, hi, p, q)
				}
			}
		}
	}
	if covered < 100 {
		t.Errorf("only %d random boxes covered: the check says little", covered)
	}
}

func TestNormalizeSelector(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"phone:+1 (555) 000-0001", "phone:+15550000001", true},
		{"phone:5550000001", "", false},
		{"phone:+0123", "", false},
		{"plate:ab-123 c", "plate:AB123C", true},
		{"subject:12", "subject:12", true},
		{"subject:012", "", false},
		{"device:", "", false},
		{"race:x", "", false},
		{"nokind", "", false},
	}
	for _, tt := range tests {
		s, err := ParseSelector(tt.in)
		if (err == nil) != tt.ok || (tt.ok && s.String() != tt.want) {
			t.Errorf("ParseSelector(%q) = %v, %v; want %q ok=%v", tt.in, s, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"phone:+15550000001", "plate:ab 12", "subject:7", "device:x", ":", "phone:+", "plate:ÄÖ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSelector(in)
		if err != nil {
			if ErrorKind(err) != EInvalid {
				t.Fatalf("ParseSelector(%q) error kind = %s, want invalid", in, ErrorKind(err))
			}
			return
		}
		// Normal form is a fixed point.
		again, err := NormalizeSelector(s)
		if err != nil || again != s {
			t.Fatalf("NormalizeSelector(%v) = %v, %v; want itself", s, again, err)
		}
	})
}
