package world

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// editDistance is the Levenshtein distance, counting a swap of neighbours as two.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

func TestTypoAndTranspose(t *testing.T) {
	r := newRNG(1, 2, 3, 4)
	for _, s := range []string{"Peeters", "Wójcik", "Van den Broeck", "Çelik", "Ab"} {
		for range 50 {
			if got := typo(&r, s); editDistance(got, s) > 1 || !utf8.ValidString(got) {
				t.Fatalf("typo(%q) = %q: more than one edit", s, got)
			}
			if got := transpose(&r, s); editDistance(got, s) > 2 || len(got) != len(s) {
				t.Fatalf("transpose(%q) = %q: not a swap of neighbours", s, got)
			}
		}
	}
	if got := typo(&r, "Ab"); got != "Ab" {
		t.Errorf("typo(%q) = %q, want short names left alone", "Ab", got)
	}
}

func TestFold(t *testing.T) {
	tests := map[string]string{"Wójcik": "Wojcik", "Çelik": "Celik", "Ștefan": "Stefan", "Łukasz Król": "Lukasz Krol",
		"Yılmaz": "Yilmaz", "Héritier": "Heritier", "Peeters": "Peeters", "Dąbrowski": "Dabrowski"}
	for in, want := range tests {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
	// Every name in the embedded lists folds to plain ASCII.
	for _, c := range names().cultures {
		for _, list := range [][]string{c.male, c.female, c.family} {
			for _, n := range list {
				if f := fold(n); strings.IndexFunc(f, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0 || len(f) < len(n)/2 {
					t.Errorf("fold(%q) = %q, not ASCII", n, f)
				}
			}
		}
	}
}

func TestNoiserNotes(t *testing.T) {
	r := newRNG(1, 1, 1, 1)
	n := &noiser{r: &r}
	day := int32(5549) // 1985-03-12: day and month can be swapped
	if got := n.date("birth_date", day, "02/01/2006", 1); got != "03/12/1985" {
		t.Errorf("date(1985-03-12, swap) = %s, want 03/12/1985", got)
	}
	if got := n.given("given_name", "Johannes", 1, 0); got == "Johannes" {
		t.Errorf("given(Johannes, nickname rate 1) kept the name")
	}
	if !n.missing("phone", 1) || n.missing("phone", 0) {
		t.Errorf("missing(rate 1) = false or missing(rate 0) = true")
	}
	want := "swapped_day_month:birth_date;nickname:given_name;missing:phone"
	if got := n.errors(); got != want {
		t.Errorf("errors() = %q, want %q", got, want)
	}
	clean := &noiser{r: &r}
	if got := clean.date("birth_date", 5555, "2006-01-02", 1); got != "1985-03-18" || clean.errors() != "" {
		t.Errorf("date(1985-03-18, swap) = %s, %q; want no swap when the day cannot be a month", got, clean.errors())
	}
}

func TestNames(t *testing.T) {
	tb := names()
	if len(tb.cultures) != len(cultureWeights) {
		t.Fatalf("names: %d cultures, want %d", len(tb.cultures), len(cultureWeights))
	}
	for _, c := range tb.cultures {
		if len(c.male) < 25 || len(c.female) < 25 || len(c.family) < 30 {
			t.Errorf("culture %s: %d male, %d female, %d family names; want variety", c.key, len(c.male), len(c.female), len(c.family))
		}
	}
	has := func(name, variant string) bool {
		for _, v := range tb.variants[name] {
			if v == variant {
				return true
			}
		}
		return false
	}
	for _, p := range [][2]string{{"Johannes", "Jan"}, {"Jan", "Johannes"}, {"Mohammed", "Mohamed"}, {"Mohamed", "Mohammad"}, {"Katarzyna", "Kasia"}} {
		if !has(p[0], p[1]) {
			t.Errorf("variants[%s] = %v, want %s among them", p[0], tb.variants[p[0]], p[1])
		}
	}
	if len(tb.streets["fr"]) < 50 || len(tb.streets["nl"]) < 30 {
		t.Errorf("streets: %d French, %d Dutch", len(tb.streets["fr"]), len(tb.streets["nl"]))
	}
}
