package resolve

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalize folds a raw value for its kind; "" means missing.
func normalize(k Kind, s string) string {
	switch k {
	case KindPhone:
		d := digitsOf(s)
		if len(d) > 9 { // country and trunk prefixes vary; the subscriber part does not
			d = d[len(d)-9:]
		}
		return d
	case KindPlate:
		var b strings.Builder
		for _, r := range strings.ToUpper(s) {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(r)
			}
		}
		return b.String()
	case KindEmail:
		return strings.ToLower(strings.TrimSpace(s))
	case KindDate:
		return digitsOf(s)
	case KindNumber:
		return strings.TrimSpace(s)
	case KindCode:
		// identifiers are written with and without separators: 69.03.19-472.40
		return strings.ReplaceAll(words(s), " ", "")
	}
	return words(s)
}

// words lower-cases s, drops diacritics, turns punctuation into spaces and
// collapses runs of space.
func words(s string) string {
	var b strings.Builder
	space := false
	for _, r := range fold(strings.ToLower(s)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		} else {
			space = true
		}
	}
	return b.String()
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// foldPlate maps characters that plate readers and people confuse to one.
func foldPlate(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'O', 'Q', 'D':
			return '0'
		case 'I', 'L':
			return '1'
		case 'Z':
			return '2'
		case 'S':
			return '5'
		case 'B':
			return '8'
		case 'G':
			return '6'
		}
		return r
	}, s)
}

// date is a parsed calendar date; ok is false for values that are not one.
type date struct {
	y, m, d int
	ok      bool
}

// parseDate reads eight digits as YYYYMMDD, or DDMMYYYY when the first
// four cannot be a year in 1800–2199.
func parseDate(d string) date {
	if len(d) != 8 {
		return date{}
	}
	n := func(s string) int {
		v := 0
		for _, c := range s {
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, m, dd := n(d[:4]), n(d[4:6]), n(d[6:])
	if y < 1800 || y > 2199 {
		dd, m, y = n(d[:2]), n(d[2:4]), n(d[4:])
	}
	if m < 1 || m > 12 || dd < 1 || dd > 31 {
		return date{y: y, m: m, d: dd}
	}
	return date{y: y, m: m, d: dd, ok: true}
}

// days counts days since an epoch, for differences between dates.
func (d date) days() int {
	y, m := d.y, d.m
	if m <= 2 {
		y--
		m += 12
	}
	return 365*y + y/4 - y/100 + y/400 + (153*(m-3)+2)/5 + d.d
}

// letters are those with no decomposition into a base letter and a mark.
var letters = map[rune]string{'ł': "l", 'ø': "o", 'ß': "ss", 'ı': "i", 'æ': "ae", 'œ': "oe", 'đ': "d", 'ð': "d", 'þ': "th"}

// fold drops diacritics (é → e, ş → s, ł → l): many systems store names
// in ASCII only, so "Büşra" and "Busra" are one spelling, not a typo.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8.RuneSelf
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case letters[r] != "":
			b.WriteString(letters[r])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
