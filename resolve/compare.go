package resolve

import (
	"strconv"
	"strings"
)

// Level 0 of every comparison is "missing", level 1 "disagree"; higher
// levels are closer agreement, the last one exact.
const (
	levelMissing = 0
	levelElse    = 1
)

// kindLevels names each kind's levels in order.
var kindLevels = map[Kind][]string{
	KindName:   {"missing", "else", "jaro-winkler ≥ 0.8", "jaro-winkler ≥ 0.9", "words contained", "abbreviated", "one edit", "exact"},
	KindCode:   {"missing", "else", "two edits", "one edit", "exact"},
	KindDate:   {"missing", "else", "within 10 years", "within a year", "one digit or day/month swap", "exact"},
	KindNumber: {"missing", "else", "within 10×tolerance", "within tolerance", "exact"},
	KindPhone:  {"missing", "else", "one edit", "exact"},
	KindPlate:  {"missing", "else", "one edit", "misread characters", "exact"},
	KindEmail:  {"missing", "else", "jaro-winkler ≥ 0.88", "two edits", "same local part", "exact"},
	KindExact:  {"missing", "else", "exact"},
}

// swapLabel is the extra level of a comparison with Swap set, just below
// its exact level.
const swapLabel = "swapped"

// levelNames returns the labels of c's levels, with a swap level if any.
func levelNames(c Comparison) []string {
	names := kindLevels[c.Kind]
	if c.Swap == "" {
		return names
	}
	out := append([]string{}, names[:len(names)-1]...)
	return append(out, swapLabel, names[len(names)-1])
}

// value is a distinct normalised value of one field with what comparing it needs.
type value struct {
	s     string
	r     []rune
	local string  // email local part
	fold  string  // plate with misread characters folded
	date  date    // KindDate
	num   float64 // KindNumber
	isNum bool
}

func newValue(k Kind, s string) value {
	v := value{s: s, r: []rune(s)}
	switch k {
	case KindEmail:
		v.local, _, _ = strings.Cut(s, "@")
	case KindPlate:
		v.fold = foldPlate(s)
	case KindDate:
		v.date = parseDate(s)
	case KindNumber:
		f, err := strconv.ParseFloat(s, 64)
		v.num, v.isNum = f, err == nil
	}
	return v
}

// level compares two different present values of c's kind (equal values
// are exact, and the caller handles them).
func level(c *Comparison, a, b *value, buf []int32) int {
	switch c.Kind {
	case KindName:
		switch {
		case withinEdits(a.r, b.r, 1, buf):
			return 6
		case abbreviated(a.s, b.s):
			return 5
		case wordsContained(a.s, b.s):
			return 4
		}
		switch jw := jaroWinklerBounded(a.r, b.r, 0.8); {
		case jw >= 0.9:
			return 3
		case jw >= 0.8:
			return 2
		}
	case KindCode:
		switch {
		case withinEdits(a.r, b.r, 1, buf):
			return 3
		case withinEdits(a.r, b.r, 2, buf):
			return 2
		}
	case KindDate:
		switch {
		case withinEdits(a.r, b.r, 1, buf):
			return 4
		case a.date.ok && b.date.ok && a.date.y == b.date.y && a.date.m == b.date.d && a.date.d == b.date.m:
			return 4
		case a.date.ok && b.date.ok:
			d := a.date.days() - b.date.days()
			if d < 0 {
				d = -d
			}
			switch {
			case d <= 366:
				return 3
			case d <= 3653:
				return 2
			}
		}
	case KindNumber:
		if a.isNum && b.isNum {
			d := a.num - b.num
			if d < 0 {
				d = -d
			}
			switch {
			case d == 0:
				return 4
			case d <= c.Tolerance:
				return 3
			case d <= 10*c.Tolerance:
				return 2
			}
		}
	case KindPhone:
		if withinEdits(a.r, b.r, 1, buf) {
			return 2
		}
	case KindPlate:
		switch {
		case a.fold == b.fold:
			return 3
		case withinEdits(a.r, b.r, 1, buf):
			return 2
		}
	case KindEmail:
		switch {
		case a.local != "" && a.local == b.local:
			return 4
		case withinEdits(a.r, b.r, 2, buf):
			return 3
		case jaroWinklerBounded(a.r, b.r, 0.88) >= 0.88:
			return 2
		}
	}
	return levelElse
}

// swapped reports whether two name values agree crosswise closely enough
// to count: exactly or by one edit.
func swapped(a, b *value, buf []int32) bool {
	return a.s == b.s || withinEdits(a.r, b.r, 1, buf)
}

// wordsContained reports whether every word of the shorter of a and b is a
// word of the longer: a middle name or a particle written in one record
// and not the other ("kevin vercammen" and "vercammen").
func wordsContained(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if a == "" || strings.IndexByte(b, ' ') < 0 {
		return false
	}
	for a != "" {
		var w string
		w, a, _ = strings.Cut(a, " ")
		if !hasWord(b, w) {
			return false
		}
	}
	return true
}

// hasWord reports whether w is one of the space-separated words of s.
func hasWord(s, w string) bool {
	for s != "" {
		var f string
		f, s, _ = strings.Cut(s, " ")
		if f == w {
			return true
		}
	}
	return false
}

// abbreviated reports whether a and b have the same words but for some
// written short in one of them: "r de merode" and "rue de merode",
// "chee" and "chaussee", "wim" and "william". A short form keeps the first
// letter and the order of the others, and is at most two thirds as long
// (alexandra is not short for alexandrina); words with digits must be equal.
func abbreviated(a, b string) bool {
	if a == "" || b == "" || a[0] != b[0] {
		return false // most pairs compared: a short form keeps the first letter
	}
	for a != "" || b != "" {
		var x, y string
		x, a, _ = strings.Cut(a, " ")
		y, b, _ = strings.Cut(b, " ")
		if x == y {
			continue
		}
		if len(x) > len(y) {
			x, y = y, x
		}
		if x == "" || 3*len(x) > 2*len(y) || x[0] != y[0] || hasDigit(x) || hasDigit(y) || !subsequence(x, y) {
			return false
		}
	}
	return true
}

// subsequence reports whether the bytes of x appear in y in order.
func subsequence(x, y string) bool {
	i := 0
	for j := 0; i < len(x) && j < len(y); j++ {
		if x[i] == y[j] {
			i++
		}
	}
	return i == len(x)
}

func hasDigit(s string) bool {
	return strings.IndexAny(s, "0123456789") >= 0
}
