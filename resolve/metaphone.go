package resolve

import "strings"

// DoubleMetaphone returns Lawrence Philips' Double Metaphone codes of s (Dr
// Dobb's Journal, June 2000): a primary and an alternate pronunciation key.
// maxLen truncates both codes as the original does with 4; 0 keeps them whole.
// Written from the published algorithm because no maintained, permissively
// licensed Go implementation exists.
func DoubleMetaphone(s string, maxLen int) (primary, alternate string) {
	m := newMetaphone(s)
	if m.length == 0 {
		return "", ""
	}
	m.run(maxLen)
	p, a := m.primary.String(), m.secondary.String()
	if maxLen > 0 {
		if len(p) > maxLen {
			p = p[:maxLen]
		}
		if len(a) > maxLen {
			a = a[:maxLen]
		}
	}
	return p, a
}

type metaphone struct {
	w                  []rune // upper-cased word padded with five spaces, as the original
	length, last       int
	primary, secondary strings.Builder
	slavoGermanic      bool
}

func newMetaphone(s string) *metaphone {
	u := []rune(strings.ToUpper(strings.TrimSpace(s)))
	m := &metaphone{length: len(u), last: len(u) - 1}
	m.w = append(u, ' ', ' ', ' ', ' ', ' ')
	up := string(u)
	m.slavoGermanic = strings.ContainsAny(up, "WK") || strings.Contains(up, "CZ")
	return m
}

func (m *metaphone) at(i int) rune {
	if i < 0 || i >= len(m.w) {
		return 0
	}
	return m.w[i]
}

func (m *metaphone) vowel(i int) bool {
	switch m.at(i) {
	case 'A', 'E', 'I', 'O', 'U', 'Y':
		return true
	}
	return false
}

// is reports whether the substring at start equals one of opts (all of one length).
func (m *metaphone) is(start int, opts ...string) bool {
	if start < 0 {
		return false
	}
	for _, o := range opts {
		n := len(o)
		if start+n > len(m.w) {
			continue
		}
		if string(m.w[start:start+n]) == o {
			return true
		}
	}
	return false
}

func (m *metaphone) add(main string) {
	m.primary.WriteString(main)
	m.secondary.WriteString(main)
}

// add2 adds different primary and alternate codes; an alternate of " " adds nothing.
func (m *metaphone) add2(main, alt string) {
	m.primary.WriteString(main)
	if alt != "" {
		if alt[0] != ' ' {
			m.secondary.WriteString(alt)
		}
	} else if main != "" && main[0] != ' ' {
		m.secondary.WriteString(main)
	}
}

func (m *metaphone) germanic() bool { return m.is(0, "VAN ", "VON ") || m.is(0, "SCH") }

func (m *metaphone) run(maxLen int) {
	cur := 0
	if m.is(0, "GN", "KN", "PN", "WR", "PS") {
		cur++
	}
	if m.at(0) == 'X' { // initial X sounds like Z, as in Xavier
		m.add("S")
		cur++
	}
	for cur < m.length {
		if maxLen > 0 && m.primary.Len() >= maxLen && m.secondary.Len() >= maxLen {
			break
		}
		switch m.at(cur) {
		case 'A', 'E', 'I', 'O', 'U', 'Y':
			if cur == 0 {
				m.add("A")
			}
			cur++
		case 'B':
			m.add("P")
			cur += m.skipDouble(cur, 'B')
		case 'Ç':
			m.add("S")
			cur++
		case 'C':
			cur = m.c(cur)
		case 'D':
			switch {
			case m.is(cur, "DG") && m.is(cur+2, "I", "E", "Y"): // edge
				m.add("J")
				cur += 3
			case m.is(cur, "DG"): // edgar
				m.add("TK")
				cur += 2
			case m.is(cur, "DT", "DD"):
				m.add("T")
				cur += 2
			default:
				m.add("T")
				cur++
			}
		case 'F':
			cur += m.skipDouble(cur, 'F')
			m.add("F")
		case 'G':
			cur = m.g(cur)
		case 'H':
			// kept only when first or between vowels, before a vowel
			if (cur == 0 || m.vowel(cur-1)) && m.vowel(cur+1) {
				m.add("H")
				cur += 2
			} else {
				cur++
			}
		case 'J':
			cur = m.j(cur)
		case 'K':
			cur += m.skipDouble(cur, 'K')
			m.add("K")
		case 'L':
			cur = m.l(cur)
		case 'M':
			if (m.is(cur-1, "UMB") && (cur+1 == m.last || m.is(cur+2, "ER"))) || m.at(cur+1) == 'M' {
				cur += 2
			} else {
				cur++
			}
			m.add("M")
		case 'N':
			cur += m.skipDouble(cur, 'N')
			m.add("N")
		case 'Ñ':
			cur++
			m.add("N")
		case 'P':
			if m.at(cur+1) == 'H' {
				m.add("F")
				cur += 2
				break
			}
			if m.is(cur+1, "P", "B") { // campbell, raspberry
				cur += 2
			} else {
				cur++
			}
			m.add("P")
		case 'Q':
			cur += m.skipDouble(cur, 'Q')
			m.add("K")
		case 'R':
			// French rogier, but not hochmeier
			if cur == m.last && !m.slavoGermanic && m.is(cur-2, "IE") && !m.is(cur-4, "ME", "MA") {
				m.add2("", "R")
			} else {
				m.add("R")
			}
			cur += m.skipDouble(cur, 'R')
		case 'S':
			cur = m.s(cur)
		case 'T':
			cur = m.t(cur)
		case 'V':
			cur += m.skipDouble(cur, 'V')
			m.add("F")
		case 'W':
			cur = m.wr(cur)
		case 'X':
			// French breaux
			if !(cur == m.last && (m.is(cur-3, "IAU", "EAU") || m.is(cur-2, "AU", "OU"))) {
				m.add("KS")
			}
			if m.is(cur+1, "C", "X") {
				cur += 2
			} else {
				cur++
			}
		case 'Z':
			if m.at(cur+1) == 'H' { // pinyin zhao
				m.add("J")
				cur += 2
				break
			}
			if m.is(cur+1, "ZO", "ZI", "ZA") || (m.slavoGermanic && cur > 0 && m.at(cur-1) != 'T') {
				m.add2("S", "TS")
			} else {
				m.add("S")
			}
			cur += m.skipDouble(cur, 'Z')
		default:
			cur++
		}
	}
}

func (m *metaphone) skipDouble(cur int, c rune) int {
	if m.at(cur+1) == c {
		return 2
	}
	return 1
}
