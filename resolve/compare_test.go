package resolve

import "testing"

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
