package resolve

import "testing"

func TestDoubleMetaphone(t *testing.T) {
	// the examples published with the npm double-metaphone package (whole codes)
	tests := []struct{ in, primary, alternate string }{
		{"michael", "MKL", "MXL"},
		{"crevalle", "KRFL", "KRF"},
		{"Filipowitz", "FLPTS", "FLPFX"},
		{"Xavier", "SF", "SFR"},
		{"delicious", "TLSS", "TLXS"},
		{"acceptingness", "AKSPTNNS", "AKSPTNKNS"},
		{"allegrettos", "ALKRTS", "AKRTS"},
		{"", "", ""},
		{"  ", "", ""},
	}
	for _, tt := range tests {
		p, a := DoubleMetaphone(tt.in, 0)
		if p != tt.primary || a != tt.alternate {
			t.Errorf("DoubleMetaphone(%q, 0) = %s, %s, want %s, %s", tt.in, p, a, tt.primary, tt.alternate)
		}
	}
}

func TestDoubleMetaphoneTruncates(t *testing.T) {
	p, a := DoubleMetaphone("acceptingness", 4)
	if p != "AKSP" || a != "AKSP" {
		t.Errorf("DoubleMetaphone(acceptingness, 4) = %s, %s, want AKSP, AKSP", p, a)
	}
}

// TestDoubleMetaphoneMatches checks the pairs Philips designed the
// algorithm to bring together share a code.
func TestDoubleMetaphoneMatches(t *testing.T) {
	for _, pair := range [][2]string{
		{"Smith", "Schmidt"}, {"Wasserman", "Vasserman"}, {"Arnow", "Arnoff"},
		{"Womo", "Uomo"}, {"Jankelowicz", "Yankelovich"}, {"Thomas", "Tomas"},
		{"Snider", "Schneider"}, {"Filipowicz", "Filipowitz"},
	} {
		p1, a1 := DoubleMetaphone(pair[0], 4)
		p2, a2 := DoubleMetaphone(pair[1], 4)
		if p1 != p2 && p1 != a2 && a1 != p2 && a1 != a2 {
			t.Errorf("DoubleMetaphone(%s) = %s|%s and (%s) = %s|%s share no code", pair[0], p1, a1, pair[1], p2, a2)
		}
	}
}

func FuzzDoubleMetaphone(f *testing.F) {
	for _, s := range []string{"michael", "Ñuñez", "mac caffrey", "san jacinto", "ghhh", "cz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, a := DoubleMetaphone(s, 4)
		if len(p) > 4 || len(a) > 4 {
			t.Errorf("DoubleMetaphone(%q, 4) = %q, %q, longer than 4", s, p, a)
		}
	})
}
