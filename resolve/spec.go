package resolve

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/writhq/writ"
)

// Record is one source record as plain values: an id unique within the run,
// the dataset it came from, and its fields by name (given_name, surname, dob,
// postcode, phone, email, plate, ...). Empty values are missing.
type Record struct {
	ID      string
	Dataset string
	Fields  map[string]string
}

// Kind selects how a field is normalised and which comparison levels it has.
type Kind string

const (
	// KindName: words such as names and street names; exact, Damerau–Levenshtein
	// ≤ 1, Jaro–Winkler ≥ 0.9 and ≥ 0.8 bands, optionally swapped with another field.
	KindName Kind = "name"
	// KindCode: identifiers, postcodes and house numbers, where a typo is a
	// character edit: exact, Damerau–Levenshtein ≤ 1 and ≤ 2. Only letters
	// and digits count, so 69.03.19-472.40 equals 69031947240.
	KindCode Kind = "code"
	// KindDate: exact, one typed digit or a day/month swap, within a year,
	// within ten years.
	KindDate Kind = "date"
	// KindNumber: exact, within Tolerance, within ten times Tolerance.
	KindNumber Kind = "number"
	// KindPhone: digits only, compared on the last nine (country and trunk
	// prefixes vary); exact or one edit.
	KindPhone Kind = "phone"
	// KindPlate: upper-case letters and digits; exact, equal once easily
	// misread characters (O/0, I/1, B/8, S/5, Z/2) are folded, one edit.
	KindPlate Kind = "plate"
	// KindEmail: exact, same local part, two edits, Jaro–Winkler ≥ 0.88.
	KindEmail Kind = "email"
	// KindExact: equal or not.
	KindExact Kind = "exact"
)

// Comparison compares one field of two records. Its levels are fixed by the
// kind; their weights are learnt. Missing is always its own level and
// weighs nothing: an absent value is no evidence either way.
type Comparison struct {
	Field string `json:"field"`
	Kind  Kind   `json:"kind"`
	// TF adjusts exact agreement by the value's frequency, so a shared rare
	// surname counts for more than a shared common one.
	TF bool `json:"tf,omitempty"`
	// Swap names a field this one is often confused with (surname for given
	// name): agreement crosswise is its own level.
	Swap string `json:"swap,omitempty"`
	// Tolerance is the near band of KindNumber.
	Tolerance float64 `json:"tolerance,omitempty"`
}

// Block is one blocking key: records that share every part's value become
// candidate pairs. A part is a field name, or fn:field with fn one of
// dm (Double Metaphone primary code), dm2 (primary and alternate codes),
// preN (first N characters), sorted (the letters sorted, so anagrams and
// transpositions share it), alnum (letters and digits only), q3 (every
// three-letter substring), local and domain (an e-mail's parts, letters
// only), digits, or a date function: year, years (the year and the one
// before, so dates a year apart share one), month, day, ym, md, dmswap
// (day and month in ascending order), near (a year and a month apart at
// most, or one month apart) and decade (within a month, or ten years and
// a month apart: a mistyped tens digit). Functions chain, innermost last:
// pre4:domain:email. A field may be several joined by |
// (dm:given_name|surname): the part then takes each field's value, so
// names entered in the wrong field still share a block.
type Block struct {
	Name string   `json:"name"`
	On   []string `json:"on"`
}

// Spec configures a run.
type Spec struct {
	Comparisons []Comparison `json:"comparisons"`
	Blocks      []Block      `json:"blocks"`
	// Link compares only records from different datasets; otherwise every
	// pair is a candidate (deduplication, or link and deduplicate).
	Link bool `json:"link,omitempty"`
	// Threshold is the match probability at which pairs join an entity; 0 means 0.5.
	Threshold float64 `json:"threshold,omitempty"`
	// MaxBlock skips blocks with more records than this (0: no limit); the
	// skipped blocks are counted in Stats.
	MaxBlock int `json:"max_block,omitempty"`
	// TrainPairs bounds the candidate pairs EM sees; more are sampled by block
	// (0 means 2,000,000).
	TrainPairs int `json:"train_pairs,omitempty"`
	// RandomPairs is the number of random pairs that estimate u (0 means 100,000).
	RandomPairs int `json:"random_pairs,omitempty"`
	// KeepFrom is the lowest probability of the scored pairs kept for
	// Pairs and Add (0 means 0.01; negative keeps every candidate, as
	// measuring calibration needs).
	KeepFrom float64 `json:"keep_from,omitempty"`
	// Seed makes the random pairs reproducible.
	Seed uint64 `json:"seed,omitempty"`
}

func (s *Spec) threshold() float64 {
	if s.Threshold <= 0 {
		return 0.5
	}
	return s.Threshold
}

func (s *Spec) keepFrom() float64 {
	switch {
	case s.KeepFrom < 0:
		return -1
	case s.KeepFrom == 0:
		return 0.01
	}
	return s.KeepFrom
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// validate checks a spec before a run.
func (s *Spec) validate() error {
	if len(s.Comparisons) == 0 {
		return writ.Errorf(writ.EInvalid, "resolve: spec has no comparisons")
	}
	if len(s.Blocks) == 0 {
		return writ.Errorf(writ.EInvalid, "resolve: spec has no blocking keys")
	}
	for _, c := range s.Comparisons {
		if _, ok := kindLevels[c.Kind]; !ok {
			return writ.Errorf(writ.EInvalid, "resolve: field %q has unknown kind %q", c.Field, c.Kind)
		}
		if c.Kind == KindNumber && c.Tolerance <= 0 {
			return writ.Errorf(writ.EInvalid, "resolve: number field %q needs a tolerance", c.Field)
		}
	}
	for _, b := range s.Blocks {
		if len(b.On) == 0 {
			return writ.Errorf(writ.EInvalid, "resolve: blocking key %q has no parts", b.Name)
		}
		for _, p := range b.On {
			if _, err := parsePart(p); err != nil {
				return err
			}
		}
	}
	if s.Threshold < 0 || s.Threshold >= 1 {
		return writ.Errorf(writ.EInvalid, "resolve: threshold %v is not in (0, 1)", s.Threshold)
	}
	return nil
}

// keyPart is a parsed blocking-key part.
type keyPart struct {
	field  string
	fields []string
	fn     string
	n      int
	inner  *keyPart // applied first, for chained parts such as pre4:domain:email
}

func parsePart(p string) (keyPart, error) {
	fn, field, ok := strings.Cut(p, ":")
	if !ok {
		fn, field = "", p
	}
	var inner *keyPart
	if strings.Contains(field, ":") {
		in, err := parsePart(field)
		if err != nil {
			return in, err
		}
		inner, field = &in, in.field
	}
	kp := keyPart{field: field, fields: strings.Split(field, "|"), fn: fn, inner: inner}
	switch {
	case fn == "":
	case fn == "dm", fn == "dm2", fn == "year", fn == "digits", fn == "sorted", fn == "alnum",
		fn == "local", fn == "domain", fn == "years", fn == "month", fn == "day", fn == "ym",
		fn == "md", fn == "dmswap", fn == "near", fn == "decade", fn == "q3":
	case strings.HasPrefix(fn, "pre"):
		n, err := strconv.Atoi(fn[3:])
		if err != nil || n <= 0 {
			return kp, writ.Errorf(writ.EInvalid, "resolve: blocking part %q: bad prefix length", p)
		}
		kp.fn, kp.n = "pre", n
	default:
		return kp, writ.Errorf(writ.EInvalid, "resolve: blocking part %q: unknown function %q", p, fn)
	}
	for _, f := range kp.fields {
		if f == "" {
			return kp, writ.Errorf(writ.EInvalid, "resolve: blocking part %q names no field", p)
		}
	}
	return kp, nil
}

func (k keyPart) String() string {
	if k.inner != nil {
		outer := k
		outer.inner, outer.field = nil, k.inner.String()
		return outer.String()
	}
	switch k.fn {
	case "":
		return k.field
	case "pre":
		return fmt.Sprintf("pre%d:%s", k.n, k.field)
	}
	return k.fn + ":" + k.field
}
