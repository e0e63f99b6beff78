package resolve

// The consonants with many rules, each returning the next position. The
// comments name the words the original gives as examples.

func (m *metaphone) c(cur int) int {
	switch {
	case cur > 1 && !m.vowel(cur-2) && m.is(cur-1, "ACH") && m.at(cur+2) != 'I' &&
		(m.at(cur+2) != 'E' || m.is(cur-2, "BACHER", "MACHER")): // Germanic bacher
		m.add("K")
		return cur + 2
	case cur == 0 && m.is(cur, "CAESAR"):
		m.add("S")
		return cur + 2
	case m.is(cur, "CHIA"): // chianti
		m.add("K")
		return cur + 2
	case m.is(cur, "CH"):
		return m.ch(cur)
	case m.is(cur, "CZ") && !m.is(cur-2, "WICZ"): // czerny
		m.add2("S", "X")
		return cur + 2
	case m.is(cur+1, "CIA"): // focaccia
		m.add("X")
		return cur + 3
	case m.is(cur, "CC") && !(cur == 1 && m.at(0) == 'M'): // not McClellan
		if m.is(cur+2, "I", "E", "H") && !m.is(cur+2, "HU") { // bellocchio, not bacchus
			if (cur == 1 && m.at(cur-1) == 'A') || m.is(cur-1, "UCCEE", "UCCES") { // accident, succeed
				m.add("KS")
			} else { // bacci, bertucci
				m.add("X")
			}
			return cur + 3
		}
		m.add("K") // Pierce's rule
		return cur + 2
	case m.is(cur, "CK", "CG", "CQ"):
		m.add("K")
		return cur + 2
	case m.is(cur, "CI", "CE", "CY"):
		if m.is(cur, "CIO", "CIE", "CIA") { // Italian vs English
			m.add2("S", "X")
		} else {
			m.add("S")
		}
		return cur + 2
	}
	m.add("K")
	switch {
	case m.is(cur+1, " C", " Q", " G"): // mac caffrey, mac gregor
		return cur + 3
	case m.is(cur+1, "C", "K", "Q") && !m.is(cur+1, "CE", "CI"):
		return cur + 2
	}
	return cur + 1
}

func (m *metaphone) ch(cur int) int {
	switch {
	case cur > 0 && m.is(cur, "CHAE"): // michael
		m.add2("K", "X")
	case cur == 0 && (m.is(cur+1, "HARAC", "HARIS") || m.is(cur+1, "HOR", "HYM", "HIA", "HEM")) &&
		!m.is(0, "CHORE"): // Greek roots: chemistry, chorus
		m.add("K")
	case m.germanic() || m.is(cur-2, "ORCHES", "ARCHIT", "ORCHID") || m.is(cur+2, "T", "S") ||
		((m.is(cur-1, "A", "O", "U", "E") || cur == 0) &&
			m.is(cur+2, "L", "R", "N", "M", "B", "H", "F", "V", "W", " ")): // wachtler, wechsler, not tichner
		m.add("K")
	case cur > 0 && m.is(0, "MC"): // McHugh
		m.add("K")
	case cur > 0:
		m.add2("X", "K")
	default:
		m.add("X")
	}
	return cur + 2
}

func (m *metaphone) g(cur int) int {
	if m.at(cur+1) == 'H' {
		return m.gh(cur)
	}
	if m.at(cur+1) == 'N' {
		switch {
		case cur == 1 && m.vowel(0) && !m.slavoGermanic:
			m.add2("KN", "N")
		case !m.is(cur+2, "EY") && m.at(cur+1) != 'Y' && !m.slavoGermanic: // not cagney
			m.add2("N", "KN")
		default:
			m.add("KN")
		}
		return cur + 2
	}
	switch {
	case m.is(cur+1, "LI") && !m.slavoGermanic: // tagliaro
		m.add2("KL", "L")
		return cur + 2
	case cur == 0 && (m.at(cur+1) == 'Y' ||
		m.is(cur+1, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER")):
		m.add2("K", "J")
		return cur + 2
	case (m.is(cur+1, "ER") || m.at(cur+1) == 'Y') && !m.is(0, "DANGER", "RANGER", "MANGER") &&
		!m.is(cur-1, "E", "I") && !m.is(cur-1, "RGY", "OGY"): // -ger-, -gy-
		m.add2("K", "J")
		return cur + 2
	case m.is(cur+1, "E", "I", "Y") || m.is(cur-1, "AGGI", "OGGI"): // Italian biaggi
		switch {
		case m.germanic() || m.is(cur+1, "ET"):
			m.add("K")
		case m.is(cur+1, "IER "): // soft when the ending is French
			m.add("J")
		default:
			m.add2("J", "K")
		}
		return cur + 2
	}
	m.add("K")
	return cur + m.skipDouble(cur, 'G')
}

func (m *metaphone) gh(cur int) int {
	if cur > 0 && !m.vowel(cur-1) {
		m.add("K")
		return cur + 2
	}
	if cur == 0 { // ghislane, ghiradelli
		if m.at(cur+2) == 'I' {
			m.add("J")
		} else {
			m.add("K")
		}
		return cur + 2
	}
	// Parker's rule: hugh, bough, broughton
	if (cur > 1 && m.is(cur-2, "B", "H", "D")) || (cur > 2 && m.is(cur-3, "B", "H", "D")) ||
		(cur > 3 && m.is(cur-4, "B", "H")) {
		return cur + 2
	}
	if cur > 2 && m.at(cur-1) == 'U' && m.is(cur-3, "C", "G", "L", "R", "T") { // laugh, cough, tough
		m.add("F")
	} else if cur > 0 && m.at(cur-1) != 'I' {
		m.add("K")
	}
	return cur + 2
}

func (m *metaphone) j(cur int) int {
	if m.is(cur, "JOSE") || m.is(0, "SAN ") { // Spanish jose, san jacinto
		if (cur == 0 && m.at(cur+4) == ' ') || m.is(0, "SAN ") {
			m.add("H")
		} else {
			m.add2("J", "H")
		}
		return cur + 1
	}
	switch {
	case cur == 0:
		m.add2("J", "A") // Yankelovich, Jankelowicz
	case m.vowel(cur-1) && !m.slavoGermanic && (m.at(cur+1) == 'A' || m.at(cur+1) == 'O'): // bajador
		m.add2("J", "H")
	case cur == m.last:
		m.add2("J", " ")
	case !m.is(cur+1, "L", "T", "K", "S", "N", "M", "B", "Z") && !m.is(cur-1, "S", "K", "L"):
		m.add("J")
	}
	return cur + m.skipDouble(cur, 'J')
}

func (m *metaphone) l(cur int) int {
	if m.at(cur+1) != 'L' {
		m.add("L")
		return cur + 1
	}
	// Spanish cabrillo, gallegos
	if (cur == m.length-3 && m.is(cur-1, "ILLO", "ILLA", "ALLE")) ||
		((m.is(m.last-1, "AS", "OS") || m.is(m.last, "A", "O")) && m.is(cur-1, "ALLE")) {
		m.add2("L", " ")
		return cur + 2
	}
	m.add("L")
	return cur + 2
}

func (m *metaphone) s(cur int) int {
	switch {
	case m.is(cur-1, "ISL", "YSL"): // island, carlisle
		return cur + 1
	case cur == 0 && m.is(cur, "SUGAR"):
		m.add2("X", "S")
		return cur + 1
	case m.is(cur, "SH"):
		if m.is(cur+1, "HEIM", "HOEK", "HOLM", "HOLZ") { // Germanic
			m.add("S")
		} else {
			m.add("X")
		}
		return cur + 2
	case m.is(cur, "SIO", "SIA") || m.is(cur, "SIAN"): // Italian, Armenian
		if m.slavoGermanic {
			m.add("S")
		} else {
			m.add2("S", "X")
		}
		return cur + 3
	case (cur == 0 && m.is(cur+1, "M", "N", "L", "W")) || m.is(cur+1, "Z"): // smith/schmidt, -sz-
		m.add2("S", "X")
		if m.is(cur+1, "Z") {
			return cur + 2
		}
		return cur + 1
	case m.is(cur, "SC"):
		return m.sc(cur)
	}
	if cur == m.last && m.is(cur-2, "AI", "OI") { // French resnais, artois
		m.add2("", "S")
	} else {
		m.add("S")
	}
	if m.is(cur+1, "S", "Z") {
		return cur + 2
	}
	return cur + 1
}

// sc is Schlesinger's rule.
func (m *metaphone) sc(cur int) int {
	if m.at(cur+2) == 'H' {
		switch {
		case m.is(cur+3, "ER", "EN"): // schermerhorn, schenker
			m.add2("X", "SK")
		case m.is(cur+3, "OO", "UY", "ED", "EM"): // Dutch school, schooner
			m.add("SK")
		case cur == 0 && !m.vowel(3) && m.at(3) != 'W':
			m.add2("X", "S")
		default:
			m.add("X")
		}
		return cur + 3
	}
	if m.is(cur+2, "I", "E", "Y") {
		m.add("S")
		return cur + 3
	}
	m.add("SK")
	return cur + 3
}

func (m *metaphone) t(cur int) int {
	switch {
	case m.is(cur, "TION"):
		m.add("X")
		return cur + 3
	case m.is(cur, "TIA", "TCH"):
		m.add("X")
		return cur + 3
	case m.is(cur, "TH") || m.is(cur, "TTH"):
		if m.is(cur+2, "OM", "AM") || m.germanic() { // thomas, thames
			m.add("T")
		} else {
			m.add2("0", "T")
		}
		return cur + 2
	}
	m.add("T")
	if m.is(cur+1, "T", "D") {
		return cur + 2
	}
	return cur + 1
}

// wr handles W, which may also occur mid-word.
func (m *metaphone) wr(cur int) int {
	if m.is(cur, "WR") {
		m.add("R")
		return cur + 2
	}
	if cur == 0 && (m.vowel(cur+1) || m.is(cur, "WH")) {
		if m.vowel(cur + 1) { // Wasserman matches Vasserman
			m.add2("A", "F")
		} else { // Uomo matches Womo
			m.add("A")
		}
	}
	// Arnow matches Arnoff
	if (cur == m.last && m.vowel(cur-1)) || m.is(cur-1, "EWSKI", "EWSKY", "OWSKI", "OWSKY") || m.is(0, "SCH") {
		m.add2("", "F")
		return cur + 1
	}
	if m.is(cur, "WICZ", "WITZ") { // Polish filipowicz
		m.add2("TS", "FX")
		return cur + 4
	}
	return cur + 1
}
