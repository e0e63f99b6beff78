package world

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// noiser injects the errors real records carry and notes each one, so the
// truth file can say what was done to every record.
type noiser struct {
	r    *rng
	errs []string
}

func (n *noiser) note(kind, field string) { n.errs = append(n.errs, kind+":"+field) }

func (n *noiser) errors() string { return strings.Join(n.errs, ";") }

// keyboard lists neighbouring keys on the AZERTY layout used in Belgium.
var keyboard = map[rune]string{
	'a': "zq", 'z': "aes", 'e': "zrd", 'r': "etf", 't': "ryg", 'y': "tuh", 'u': "yij", 'i': "uok",
	'o': "ipl", 'p': "om", 'q': "asw", 's': "qdz", 'd': "sfe", 'f': "dgr", 'g': "fht", 'h': "gjy",
	'j': "hku", 'k': "jli", 'l': "kmo", 'm': "lp", 'w': "qx", 'x': "wc", 'c': "xv", 'v': "cb",
	'b': "vn", 'n': "b",
}

// typo substitutes a neighbouring key, drops or doubles one letter.
func typo(r *rng, s string) string {
	rs := []rune(s)
	if len(rs) < 3 {
		return s
	}
	i := 1 + r.intn(len(rs)-1) // first letters are typed with more care
	switch r.intn(3) {
	case 0:
		lower := unicode.ToLower(rs[i])
		if nb, ok := keyboard[lower]; ok {
			c := rune(nb[r.intn(len(nb))])
			if unicode.IsUpper(rs[i]) {
				c = unicode.ToUpper(c)
			}
			rs[i] = c
			return string(rs)
		}
		fallthrough
	case 1:
		return string(append(rs[:i:i], rs[i+1:]...))
	default:
		return string(append(rs[:i+1:i+1], rs[i:]...))
	}
}

// transpose swaps two neighbouring letters.
func transpose(r *rng, s string) string {
	rs := []rune(s)
	if len(rs) < 3 {
		return s
	}
	i := 1 + r.intn(len(rs)-2)
	if rs[i] == rs[i+1] || !unicode.IsLetter(rs[i]) || !unicode.IsLetter(rs[i+1]) {
		return s
	}
	rs[i], rs[i+1] = rs[i+1], rs[i]
	return string(rs)
}

// folds maps letters with diacritics to what an ASCII-only system writes.
var folds = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ä': "a", 'ã': "a", 'ă': "a", 'ą': "a", 'ç': "c", 'ć': "c", 'č': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ę': "e", 'ğ': "g", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i",
	'ı': "i", 'İ': "I", 'ł': "l", 'Ł': "L", 'ñ': "n", 'ń': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'ö': "o",
	'õ': "o", 'ø': "o", 'ș': "s", 'ş': "s", 'ś': "s", 'š': "s", 'ț': "t", 'ţ': "t", 'ù': "u", 'ú': "u",
	'û': "u", 'ü': "u", 'ý': "y", 'ÿ': "y", 'ź': "z", 'ż': "z", 'ž': "z", 'É': "E", 'È': "E", 'Ç': "C",
	'Ö': "O", 'Ü': "U", 'Ş': "S", 'Ș': "S", 'Ț': "T", 'Ś': "S", 'Ż': "Z", 'Ź': "Z", 'Á': "A", 'Ä': "A",
	'Ó': "O", 'ß': "ss", 'Å': "A", 'å': "a", 'æ': "ae", 'œ': "oe", 'Œ': "OE",
}

// fold drops diacritics.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		if f, ok := folds[c]; ok {
			b.WriteString(f)
		} else if c < utf8.RuneSelf {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// name applies at most one spelling error at the given rate.
func (n *noiser) name(field, s string, rate float64) string {
	if s == "" || !n.r.chance(rate) {
		return s
	}
	switch n.r.intn(5) {
	case 0, 1, 2:
		if t := typo(n.r, s); t != s {
			n.note("typo", field)
			return t
		}
	case 3:
		if t := transpose(n.r, s); t != s {
			n.note("transposition", field)
			return t
		}
	default:
		if t := fold(s); t != s {
			n.note("diacritics", field)
			return t
		}
		if t := typo(n.r, s); t != s {
			n.note("typo", field)
			return t
		}
	}
	return s
}

// given swaps a given name for a nickname or another spelling at rate nick,
// then applies spelling errors at rate typoRate.
func (n *noiser) given(field, s string, nick, typoRate float64) string {
	if v := names().variants[s]; len(v) > 0 && n.r.chance(nick) {
		s = v[n.r.intn(len(v))]
		n.note("nickname", field)
	}
	return n.name(field, s, typoRate)
}

// missing reports (and notes) whether a field is left empty.
func (n *noiser) missing(field string, p float64) bool {
	if n.r.chance(p) {
		n.note("missing", field)
		return true
	}
	return false
}

// date formats a day (days since 1970) in layout; at rate swap it writes
// day and month the wrong way round, when both can be months and differ.
func (n *noiser) date(field string, day int32, layout string, swap float64) string {
	t := time.Unix(int64(day)*86400, 0).UTC()
	if t.Day() <= 12 && t.Day() != int(t.Month()) && n.r.chance(swap) {
		t = time.Date(t.Year(), time.Month(t.Day()), int(t.Month()), 0, 0, 0, 0, time.UTC)
		n.note("swapped_day_month", field)
	}
	return t.Format(layout)
}

// digits transposes two neighbouring digits of an identifier at rate p.
func (n *noiser) digits(field, s string, p float64) string {
	if len(s) < 2 || !n.r.chance(p) {
		return s
	}
	b := []byte(s)
	for range 8 {
		i := n.r.intn(len(b) - 1)
		if b[i] >= '0' && b[i] <= '9' && b[i+1] >= '0' && b[i+1] <= '9' && b[i] != b[i+1] {
			b[i], b[i+1] = b[i+1], b[i]
			n.note("transposed_digits", field)
			return string(b)
		}
	}
	return s
}

// abbreviations are how clerks shorten street types.
var abbreviations = []struct{ long, short string }{
	{"Rue ", "R. "}, {"Avenue ", "Av. "}, {"Chaussée ", "Chée "}, {"Boulevard ", "Bd "}, {"Place ", "Pl. "},
	{"steenweg", "stwg."}, {"straat", "str."}, {"laan", "ln."},
}

// street writes a street name, abbreviated at rate p (not an error: a style).
func (n *noiser) street(s string, p float64) string {
	if !n.r.chance(p) {
		return s
	}
	for _, a := range abbreviations {
		if strings.Contains(s, a.long) {
			return strings.Replace(s, a.long, a.short, 1)
		}
	}
	return s
}
