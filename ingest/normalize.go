package ingest

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/writhq/writ"
)

// The normalisers. Each takes the input value as read and returns it in
// canonical form, or a *RowError whose Reason is one of the documented codes
// (Field empty: the caller knows the field). An empty input is the caller's
// business (a missing value); normalisers treat it like any other.

// Text trims surrounding white space.
func Text(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", rowErr(ReasonBadUTF8, "not valid UTF-8")
	}
	return strings.TrimSpace(s), nil
}

// ID trims an identifier and refuses control characters and more than 128
// bytes, the limits of a selector.
func ID(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", rowErr(ReasonBadUTF8, "not valid UTF-8")
	}
	s = strings.TrimSpace(s)
	if len(s) > 128 {
		return "", rowErr(ReasonBadValue, "identifier of %d bytes; at most 128", len(s))
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return "", rowErr(ReasonBadValue, "identifier %q has a control character", s)
	}
	return s, nil
}

// Name puts a name in display form: Unicode NFKC (so full-width and
// compatibility characters become ordinary ones) with runs of white space
// made one space. Case and accents are kept; NameKey drops them.
func Name(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", rowErr(ReasonBadUTF8, "not valid UTF-8")
	}
	return strings.Join(strings.Fields(norm.NFKC.String(s)), " "), nil
}

// KeySuffix names the key field the name normaliser adds beside a records
// field: "name" gets "name_key".
const KeySuffix = "_key"

// folders pool Unicode case folders, which are not safe for concurrent use.
var folders = sync.Pool{New: func() any { c := cases.Fold(); return &c }}

func fold(s string) string {
	c := folders.Get().(*cases.Caser)
	defer folders.Put(c)
	return c.String(s)
}

// unaccented maps letters that do not decompose into a base letter and a
// mark to their usual Latin spelling.
var unaccented = map[rune]string{'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ð': "d", 'Ð': "d",
	'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ı': "i", 'þ': "th", 'Þ': "th"}

// NameKey is the comparison key of a name: NFKC, accents stripped, case
// folded, punctuation dropped (hyphens become spaces), white space collapsed.
// "  José-María  O'Neil " and "JOSE MARIA ONEIL" have the same key.
func NameKey(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(norm.NFKC.String(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if u, ok := unaccented[r]; ok {
				b.WriteString(u)
			} else {
				b.WriteRune(r)
			}
		case unicode.IsSpace(r) || r == '-' || r == '‐' || r == '‑' || r == '–' || r == '_' || r == '/' || r == ',':
			b.WriteByte(' ')
		}
	}
	// Lower after folding: x/text's folding swaps the case of Cherokee
	// letters, so it alone would not give a key that is its own key.
	return strings.Join(strings.Fields(strings.ToLower(fold(norm.NFC.String(b.String())))), " ")
}

// DefaultRegion is where phone numbers without a country code are taken to be.
const DefaultRegion = "BE"

// Phone parses a phone number as written in region (an ISO 3166 code;
// DefaultRegion if empty) and returns it in E.164, e.g. "0470 12 34 56" in
// BE is "+32470123456". It refuses what cannot be a number of that
// country's length; it does not require the number to be allocated.
func Phone(s, region string) (string, error) {
	if region == "" {
		region = DefaultRegion
	}
	if e164, ok := phoneE164(s); ok {
		return e164, nil
	}
	return phoneParse(s, region)
}

// phoneE164 is Phone for input already in E.164 ("+32470123456"), the
// usual form in call records: the library's parser runs regular expressions
// and cost 20 µs a number. It answers only when it is sure to agree with
// the parser (FuzzPhone checks it does), and leaves the rest to it.
func phoneE164(s string) (string, bool) {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return "", false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	// Country codes are prefix-free: the first known prefix is the code.
	for n := 1; n <= 3; n++ {
		cc, _ := strconv.Atoi(s[1 : 1+n])
		if phonenumbers.GetRegionCodeForCountryCode(cc) == phonenumbers.UNKNOWN_REGION {
			continue
		}
		nsn := s[1+n:]
		if nsn == "" || nsn[0] == '0' || phoneStrips[cc] {
			return "", false
		}
		v, err := strconv.ParseUint(nsn, 10, 64)
		if err != nil {
			return "", false
		}
		c32 := int32(cc)
		num := &phonenumbers.PhoneNumber{CountryCode: &c32, NationalNumber: &v}
		if !phonenumbers.IsPossibleNumber(num) {
			return "", false
		}
		return s, true
	}
	return "", false
}

// phoneStrips lists the country codes whose national prefix is anything
// but a plain "0" (which the fast path refuses after a country code): there
// the parser may strip or rewrite a prefix, so the fast path leaves them to it.
var phoneStrips = func() map[int]bool {
	m := map[int]bool{}
	all, err := phonenumbers.MetadataCollection()
	if err != nil {
		panic("ingest: phone metadata: " + err.Error())
	}
	for _, md := range all.GetMetadata() {
		np, npp := md.GetNationalPrefix(), md.GetNationalPrefixForParsing()
		if (np != "" && np != "0") || (npp != "" && npp != "0") || md.GetNationalPrefixTransformRule() != "" {
			m[int(md.GetCountryCode())] = true
		}
	}
	return m
}()

func phoneParse(s, region string) (string, error) {
	if !utf8.ValidString(s) {
		return "", rowErr(ReasonBadUTF8, "not valid UTF-8")
	}
	if len(s) > 64 {
		return "", rowErr(ReasonBadPhone, "%d bytes is too long for a phone number", len(s))
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", rowErr(ReasonBadPhone, "%q is not a phone number: %v", s, err)
	}
	if !phonenumbers.IsPossibleNumber(num) {
		return "", rowErr(ReasonBadPhone, "%q cannot be a phone number (wrong length for its country)", s)
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if _, err := writ.NormalizeSelector(writ.Selector{Kind: writ.SelPhone, Value: e164}); err != nil {
		return "", rowErr(ReasonBadPhone, "%q does not give an E.164 number", s)
	}
	// A number must read back as itself, or the same phone could be stored
	// under two forms (leading zeros after the country code do not).
	if back, err := phonenumbers.Parse(e164, region); err != nil || phonenumbers.Format(back, phonenumbers.E164) != e164 {
		return "", rowErr(ReasonBadPhone, "%q gives %s, which does not read back as itself", s, e164)
	}
	return e164, nil
}

func validRegion(r string) bool { return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(r)) != 0 }

// Plate puts a licence plate in the form plate selectors use: upper case,
// letters and digits only ("1-abc-123" is "1ABC123").
func Plate(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", rowErr(ReasonBadUTF8, "not valid UTF-8")
	}
	p := writ.NormalizePlate(s)
	switch {
	case p == "":
		return "", rowErr(ReasonBadPlate, "%q has no letters or digits", s)
	case len(p) > 16:
		return "", rowErr(ReasonBadPlate, "%q has more than 16 letters and digits", s)
	}
	return p, nil
}

// Float parses a finite decimal number.
func Float(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, rowErr(ReasonBadNumber, "%q is not a finite number", clip(s))
	}
	return v, nil
}

// Int parses a decimal integer.
func Int(s string) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, rowErr(ReasonBadNumber, "%q is not an integer", clip(s))
	}
	return v, nil
}

// Lat parses a latitude in degrees, -90 to 90.
func Lat(s string) (float64, error) { return coordinate(s, "latitude", 90) }

// Lon parses a longitude in degrees, -180 to 180.
func Lon(s string) (float64, error) { return coordinate(s, "longitude", 180) }

func coordinate(s, what string, limit float64) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	switch {
	case err != nil || math.IsNaN(v):
		return 0, rowErr(ReasonBadCoordinate, "%s %q is not a number", what, clip(s))
	case v < -limit || v > limit:
		return 0, rowErr(ReasonBadCoordinate, "%s %s is out of range [-%g, %g]", what, clip(s), limit, limit)
	}
	return v, nil
}

// clip shortens a value quoted in an error detail.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	return strings.ToValidUTF8(s[:64], "") + "…"
}
