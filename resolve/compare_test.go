package resolve

import (
	"slices"
	"testing"
)

// levelOf compares field values a and b under comparison c and returns the
// level's label.
func levelOf(t *testing.T, c Comparison, a, b map[string]string) string {
	t.Helper()
	spec := Spec{Comparisons: []Comparison{c}, Blocks: []Block{{Name: "x", On: []string{c.Field}}}}
	if err := spec.validate(); err != nil {
		t.Fatal(err)
	}
	d := newData(&spec)
	for i, f := range []map[string]string{a, b} {
		if err := d.add(Record{ID: string(rune('a' + i)), Fields: f}); err != nil {
			t.Fatal(err)
		}
	}
	cm := newComparer(d)
	cm.compare(0, 1)
	return levelNames(c)[cm.levels[0]]
}

func TestLevels(t *testing.T) {
	name := Comparison{Field: "f", Kind: KindName}
	swap := Comparison{Field: "f", Kind: KindName, Swap: "g"}
	tests := []struct {
		c    Comparison
		a, b string
		want string
	}{
		{name, "Smith", "smith ", "exact"},
		{name, "smith", "smyth", "one edit"},
		{name, "jonathon", "jonathan", "one edit"},
		{name, "martha", "marhta", "one edit"},
		{name, "dwayne", "duane", "jaro-winkler ≥ 0.8"},
		{name, "christopher", "christophe", "one edit"},
		{name, "alexandra", "alexandrina", "jaro-winkler ≥ 0.9"},
		{name, "smith", "jones", "else"},
		{name, "Büşra", "BUSRA", "exact"},
		{name, "kevin vercammen", "Vercammen", "words contained"},
		{name, "R. de Mérode 20", "rue de merode 20", "abbreviated"},
		{name, "Chée de Gand 4", "chaussée de gand 4", "abbreviated"},
		{name, "wim", "william", "abbreviated"},
		{name, "rue de gand 4", "rue de gand 41", "one edit"},
		{name, "rue de gand 4", "rue de gand 14", "one edit"},
		{name, "r de gand 4", "rue de gand 14", "jaro-winkler ≥ 0.8"},
		{name, "jean", "Jean-Yves", "words contained"},
		{name, "van den broeck", "broeck van", "words contained"},
		{name, "Frédéric", "frederic", "exact"},
		{name, "Wałęsa", "walesa", "exact"},
		{name, "Ærø", "aero", "exact"},
		{name, "", "jones", "missing"},
		{Comparison{Field: "f", Kind: KindCode}, "1234567", "1243576", "two edits"},
		{Comparison{Field: "f", Kind: KindCode}, "2692439", "2692493", "one edit"},
		{Comparison{Field: "f", Kind: KindDate}, "19600113", "1960-01-13", "exact"},
		{Comparison{Field: "f", Kind: KindDate}, "19600113", "19600131", "one digit or day/month swap"},
		{Comparison{Field: "f", Kind: KindDate}, "1960-03-04", "1960-04-03", "one digit or day/month swap"},
		{Comparison{Field: "f", Kind: KindDate}, "1960-03-04", "1960-09-28", "within a year"},
		{Comparison{Field: "f", Kind: KindDate}, "1960-03-04", "1967-09-28", "within 10 years"},
		{Comparison{Field: "f", Kind: KindDate}, "1960-03-04", "1990-09-28", "else"},
		{Comparison{Field: "f", Kind: KindNumber, Tolerance: 2}, "41", "42.5", "within tolerance"},
		{Comparison{Field: "f", Kind: KindNumber, Tolerance: 2}, "41", "55", "within 10×tolerance"},
		{Comparison{Field: "f", Kind: KindNumber, Tolerance: 2}, "41", "x", "else"},
		{Comparison{Field: "f", Kind: KindPhone}, "+32 491 00 00 00", "0491/000000", "exact"},
		{Comparison{Field: "f", Kind: KindPhone}, "+32 491 00 00 00", "0491 000 001", "one edit"},
		{Comparison{Field: "f", Kind: KindPlate}, "ab-12 cde", "AB12CDE", "exact"},
		{Comparison{Field: "f", Kind: KindPlate}, "AB12CDE", "A812C0E", "misread characters"},
		{Comparison{Field: "f", Kind: KindPlate}, "AB12CDE", "AB12CDF", "one edit"},
		{Comparison{Field: "f", Kind: KindEmail}, "Ann.Lee@x.org", "ann.lee@y.com", "same local part"},
		{Comparison{Field: "f", Kind: KindEmail}, "ann.lee@x.org", "an.lee@x.org", "two edits"},
		{Comparison{Field: "f", Kind: KindExact}, "qld", "nsw", "else"},
	}
	for _, tt := range tests {
		got := levelOf(t, tt.c, map[string]string{"f": tt.a}, map[string]string{"f": tt.b})
		if got != tt.want {
			t.Errorf("level(%s, %q, %q) = %q, want %q", tt.c.Kind, tt.a, tt.b, got, tt.want)
		}
	}
	got := levelOf(t, swap, map[string]string{"f": "isla", "g": "hall"}, map[string]string{"f": "hall", "g": "isla"})
	if got != swapLabel {
		t.Errorf("level(swapped names) = %q, want %q", got, swapLabel)
	}
	got = levelOf(t, swap, map[string]string{"f": "isla", "g": "hall"}, map[string]string{"f": "isla", "g": "hal"})
	if got != "exact" {
		t.Errorf("level(same given name, swap set) = %q, want exact", got)
	}
}

func TestSpecValidate(t *testing.T) {
	ok := Comparison{Field: "f", Kind: KindName}
	blocks := []Block{{Name: "b", On: []string{"dm:f"}}}
	tests := []struct {
		name string
		spec Spec
	}{
		{"no comparisons", Spec{Blocks: blocks}},
		{"no blocks", Spec{Comparisons: []Comparison{ok}}},
		{"unknown kind", Spec{Comparisons: []Comparison{{Field: "f", Kind: "colour"}}, Blocks: blocks}},
		{"number without tolerance", Spec{Comparisons: []Comparison{{Field: "f", Kind: KindNumber}}, Blocks: blocks}},
		{"unknown function", Spec{Comparisons: []Comparison{ok}, Blocks: []Block{{Name: "b", On: []string{"soundex:f"}}}}},
		{"bad prefix", Spec{Comparisons: []Comparison{ok}, Blocks: []Block{{Name: "b", On: []string{"pre0:f"}}}}},
		{"empty alternative", Spec{Comparisons: []Comparison{ok}, Blocks: []Block{{Name: "b", On: []string{"dm:f|"}}}}},
		{"threshold", Spec{Comparisons: []Comparison{ok}, Blocks: blocks, Threshold: 1}},
	}
	for _, tt := range tests {
		if _, err := New(tt.spec); err == nil {
			t.Errorf("New(%s) = nil error, want invalid", tt.name)
		}
	}
	if _, err := New(Spec{Comparisons: []Comparison{ok}, Blocks: blocks}); err != nil {
		t.Errorf("New(valid) = %v, want nil", err)
	}
}

func TestBlockingParts(t *testing.T) {
	d := newData(&Spec{})
	tests := []struct {
		part, raw string
		want      []string
	}{
		{"sorted:x", "Eleanor", []string{"aeelnor"}},
		{"sorted:x", "nleaEor", []string{"aeelnor"}},
		{"alnum:x", "e.e@day.com", []string{"eedaycom"}},
		{"local:x", "J.Lee86@roberson.com", []string{"jlee"}},
		{"domain:x", "j.lee86@ro6berson.com", []string{"robersoncom"}},
		{"pre4:domain:x", "e@finley.ifo", []string{"finl"}},
		{"q3:x", "Leea", []string{"lee", "eea"}},
		{"q3:x", "Le", []string{"le"}},
		{"years:x", "2009-08-25", []string{"2009", "2008"}},
		{"ym:x", "2009-08-25", []string{"200908"}},
		{"md:x", "2009-08-25", []string{"825"}},
		{"dmswap:x", "2009-12-05", []string{"20090512"}},
		{"dmswap:x", "2009-05-12", []string{"20090512"}},
		{"near:x", "2009-01-25", []string{"c200901", "c200900", "c200801", "c200800", "i24109", "i24108"}},
		{"decade:x", "2009-01-25", []string{"24109", "24108", "23989", "23988"}},
		{"local:x", "no at sign", nil},
		{"near:x", "", nil},
	}
	for _, tt := range tests {
		kp, err := parsePart(tt.part)
		if err != nil {
			t.Fatalf("parsePart(%q) = %v", tt.part, err)
		}
		if got := d.partValues(kp, tt.raw); !slices.Equal(got, tt.want) {
			t.Errorf("%s(%q) = %q, want %q", tt.part, tt.raw, got, tt.want)
		}
	}
	if _, err := parsePart("pre4:nope:x"); err == nil {
		t.Errorf("parsePart with an unknown inner function succeeded")
	}
	if kp, _ := parsePart("pre4:domain:email"); kp.String() != "pre4:domain:email" {
		t.Errorf("String() = %q", kp.String())
	}
}

// dates a year and a month apart, or ten years apart, share a near or
// decade value; dates further apart do not
func TestNearDatesShareKeys(t *testing.T) {
	d := newData(&Spec{})
	share := func(fn, a, b string) bool {
		kp, _ := parsePart(fn + ":x")
		for _, v := range d.partValues(kp, a) {
			if slices.Contains(d.partValues(kp, b), v) {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		fn, a, b string
		want     bool
	}{
		{"near", "1985-05-10", "1986-06-11", true},
		{"near", "1999-01-14", "1998-12-15", true},
		{"near", "1985-05-10", "1987-05-10", false},
		{"near", "1985-05-10", "1985-08-10", false},
		{"decade", "2008-02-23", "2018-01-21", true},
		{"decade", "2008-02-23", "2008-03-01", true},
		{"decade", "2008-02-23", "2013-02-23", false},
	} {
		if got := share(c.fn, c.a, c.b); got != c.want {
			t.Errorf("%s shares %s and %s = %v, want %v", c.fn, c.a, c.b, got, c.want)
		}
	}
}
