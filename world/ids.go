package world

import (
	"strconv"
	"time"
)

// Identifiers. Each is a bijection of an index into a number space, so they
// are unique without a set of those already handed out, and each carries the
// check digits of the real scheme so a validator accepts it.

// mobileNumber returns the national significant number of the i-th mobile
// (470 00 00 00 .. 499 99 99 99).
func mobileNumber(seed uint64, i int) uint64 {
	const space = 30_000_000
	return 470_000_000 + permute(seed, 1, uint64(i), space)
}

// landlineNumber returns the i-th Brussels landline (2 100 00 00 .. 2 999 99 99).
func landlineNumber(seed uint64, i int) uint64 {
	const space = 9_000_000
	return 21_000_000 + permute(seed, 2, uint64(i), space)
}

// appendE164 writes a Belgian national significant number as +32....
func appendE164(b []byte, nsn uint64) []byte {
	return strconv.AppendUint(append(b, "+32"...), nsn, 10)
}

func e164(nsn uint64) string { return string(appendE164(nil, nsn)) }

// nationalPhone writes a number the way people write it: "0471 23 45 67",
// "02 512 34 56", or with intl set "+32 471 23 45 67".
func nationalPhone(nsn uint64, intl bool) string {
	d := strconv.FormatUint(nsn, 10)
	area := 1 // Brussels, Antwerp...: one digit
	switch {
	case len(d) == 9: // mobiles
		area = 3
	case d[0] == '7' || d[0] == '8': // 070, 078, 0800 service numbers
		area = 2
	}
	b := make([]byte, 0, 20)
	if intl {
		b = append(b, "+32 "...)
	} else {
		b = append(b, '0')
	}
	b = append(b, d[:area]...)
	rest := d[area:]
	if len(rest)%2 == 1 {
		b = append(b, ' ')
		b = append(b, rest[:3]...)
		rest = rest[3:]
	}
	for len(rest) > 0 {
		b = append(b, ' ')
		b = append(b, rest[:2]...)
		rest = rest[2:]
	}
	return string(b)
}

// Type allocation codes of common handsets, the first eight digits of an
// IMEI: with a million serials each, enough for 32 million devices.
var tacs = []string{
	"35332011", "35391110", "86891203", "35875610", "35209900", "35467809", "35691911", "35290611",
	"86769204", "35404306", "35846511", "35170314", "35989201", "86119705", "35732108", "35254112",
	"35328115", "35694810", "86445003", "35905308", "35376711", "35210012", "86984604", "35560911",
	"35437310", "35818909", "86731005", "35132212", "35472611", "86011106", "35699012", "35943013",
}

// imei returns the i-th device's IMEI: a TAC, a six-digit serial and the Luhn digit.
func imei(seed uint64, i int) uint64 {
	tac, _ := strconv.ParseUint(tacs[i%len(tacs)], 10, 64)
	serial := permute(seed, 3+uint64(i%len(tacs)), uint64(i/len(tacs)), 1_000_000)
	body := tac*1_000_000 + serial
	return body*10 + uint64(luhn(body))
}

// luhn returns the check digit that makes body·10+digit pass the Luhn test.
func luhn(body uint64) int {
	sum := 0
	for i := 0; body > 0; i++ {
		d := int(body % 10)
		body /= 10
		if i%2 == 0 { // doubled: the digit next to the check digit, and every second one
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// nationalID formats a Belgian national register number, YY.MM.DD-SSS.CC.
// The serial is odd for men, even for women; the check is 97 minus the
// number mod 97, with a leading 2 for births from 2000.
func nationalID(dob int32, serial uint16) string {
	t := time.Unix(int64(dob)*86400, 0).UTC()
	yy, mm, dd := t.Year()%100, int(t.Month()), t.Day()
	n := uint64(yy*10_000_000+mm*100_000+dd*1000) + uint64(serial)
	if t.Year() >= 2000 {
		n += 2_000_000_000
	}
	check := 97 - n%97
	b := make([]byte, 0, 15)
	b = append2(b, yy)
	b = append(b, '.')
	b = append2(b, mm)
	b = append(b, '.')
	b = append2(b, dd)
	b = append(b, '-')
	b = append2(b, int(serial)/10)
	b = append(b, byte('0'+serial%10), '.')
	b = append2(b, int(check))
	return string(b)
}

// vat returns the i-th company's enterprise number, BE0xxx.xxx.xxx: ten
// digits whose last two are 97 minus the first eight mod 97.
func vat(seed uint64, i int) string {
	base := 4_000_000 + permute(seed, 4, uint64(i), 5_000_000) // first eight digits, 04000000..08999999
	s := pad(int(base), 8) + pad(int(97-base%97), 2)
	return "BE" + s[:4] + "." + s[4:7] + "." + s[7:]
}

// plateOf returns the i-th vehicle's Belgian plate, 1-ABC-123 (and 1ABC123).
func plateOf(seed uint64, i int) (string, string) {
	const space = 2 * 26 * 26 * 26 * 1000
	n := permute(seed, 5, uint64(i), space)
	digits := n % 1000
	n /= 1000
	l3, l2, l1 := byte('A'+n%26), byte('A'+n/26%26), byte('A'+n/676%26)
	first := byte('1' + n/17576)
	raw := []byte{first, l1, l2, l3, byte('0' + digits/100), byte('0' + digits/10%10), byte('0' + digits%10)}
	return string(raw[:1]) + "-" + string(raw[1:4]) + "-" + string(raw[4:]), string(raw)
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10%10), byte('0'+v%10)) }
