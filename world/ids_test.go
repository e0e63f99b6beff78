package world

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

func TestNationalID(t *testing.T) {
	day := func(s string) int32 {
		d, _ := time.Parse("2006-01-02", s)
		return int32(d.Unix() / 86400)
	}
	tests := []struct {
		dob    string
		serial uint16
		want   string
	}{
		// 850403123 mod 97 = 49, so the check is 48.
		{"1985-04-03", 123, "85.04.03-123.48"},
		// Born in 2000 or later: the check is on 2 followed by the number.
		{"2003-11-30", 2, "03.11.30-002." + pad(int(97-uint64(2031130002)%97), 2)},
	}
	for _, tt := range tests {
		if got := nationalID(day(tt.dob), tt.serial); got != tt.want {
			t.Errorf("nationalID(%s, %d) = %s, want %s", tt.dob, tt.serial, got, tt.want)
		}
		if !nationalIDValid(tt.want) {
			t.Errorf("nationalIDValid(%s) = false", tt.want)
		}
	}
	if nationalIDValid("85.04.03-123.47") || nationalIDValid("85.04.03-123") {
		t.Errorf("nationalIDValid accepts a wrong check or a short number")
	}
}

func TestIMEI(t *testing.T) {
	seen := map[uint64]bool{}
	for i := range 5000 {
		n := imei(9, i)
		if s := strconv.FormatUint(n, 10); len(s) != 15 || !luhnValid(n) {
			t.Fatalf("imei(9, %d) = %s: want 15 digits passing Luhn", i, s)
		}
		if seen[n] {
			t.Fatalf("imei(9, %d) = %d, handed out before", i, n)
		}
		seen[n] = true
	}
	if !luhnValid(490154203237518) || luhnValid(490154203237519) { // the standard IMEI example
		t.Errorf("luhnValid disagrees with the IMEI example 490154203237518")
	}
}

func TestPermute(t *testing.T) {
	for _, n := range []uint64{1, 2, 7, 100, 1000, 4097} {
		seen := make([]bool, n)
		for i := range n {
			x := permute(5, 1, i, n)
			if x >= n || seen[x] {
				t.Fatalf("permute(5, 1, %d, %d) = %d: out of range or repeated", i, n, x)
			}
			seen[x] = true
		}
	}
}

func TestVATAndPlates(t *testing.T) {
	vatRe := regexp.MustCompile(`^BE0[4-8]\d\d\.\d{3}\.\d{3}$`)
	plateRe := regexp.MustCompile(`^[12]-[A-Z]{3}-\d{3}$`)
	plates := map[string]bool{}
	for i := range 2000 {
		v := vat(3, i)
		d := digitsOnly(v)
		body, _ := strconv.ParseUint(d[:8], 10, 64)
		check, _ := strconv.ParseUint(d[8:], 10, 64)
		if !vatRe.MatchString(v) || 97-body%97 != check {
			t.Fatalf("vat(3, %d) = %s: want BE0xxx.xxx.xxx with a mod-97 check", i, v)
		}
		p, raw := plateOf(3, i)
		if !plateRe.MatchString(p) || digitsAndLetters(p) != raw || plates[p] {
			t.Fatalf("plateOf(3, %d) = %s, %s: bad format, or repeated", i, p, raw)
		}
		plates[p] = true
	}
}

func digitsAndLetters(s string) string {
	return regexp.MustCompile(`[^0-9A-Z]`).ReplaceAllString(s, "")
}

func TestPhoneNumbers(t *testing.T) {
	tests := []struct {
		nsn  uint64
		intl bool
		want string
	}{
		{471234567, false, "0471 23 45 67"},
		{471234567, true, "+32 471 23 45 67"},
		{25123456, false, "02 512 34 56"},
		{25123456, true, "+32 2 512 34 56"},
		{78151515, false, "078 15 15 15"},
		{800112112, false, "0800 11 21 12"},
	}
	for _, tt := range tests {
		if got := nationalPhone(tt.nsn, tt.intl); got != tt.want {
			t.Errorf("nationalPhone(%d, %v) = %q, want %q", tt.nsn, tt.intl, got, tt.want)
		}
	}
	if got := e164(471234567); got != "+32471234567" {
		t.Errorf("e164(471234567) = %s", got)
	}
	if got := beDigits(25123456); got != 3225123456 {
		t.Errorf("beDigits(25123456) = %d, want 3225123456", got)
	}
	seen := map[uint64]bool{}
	for i := range 20000 {
		m, l := mobileNumber(1, i), landlineNumber(1, i)
		if m < 470_000_000 || m > 499_999_999 || l < 21_000_000 || l > 29_999_999 || seen[m] || seen[l] {
			t.Fatalf("mobileNumber/landlineNumber(1, %d) = %d, %d: out of range or repeated", i, m, l)
		}
		seen[m], seen[l] = true, true
	}
}

// luhnValid reports whether a number passes the Luhn test.
func luhnValid(n uint64) bool { return luhn(n/10) == int(n%10) }

// nationalIDValid checks the digits of a national register number in any punctuation.
func nationalIDValid(s string) bool {
	var n uint64
	digits := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			n = n*10 + uint64(c-'0')
			digits++
		}
	}
	if digits != 11 {
		return false
	}
	body, check := n/100, n%100
	return 97-body%97 == check || 97-(body+2_000_000_000)%97 == check
}
