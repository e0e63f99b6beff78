package resolve

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"strings"
)

// synth generates person records with known truth for benchmarks and
// linkage tests: names built from syllables with a skewed frequency (a few
// common, most rare, as real surnames are), and duplicates carrying the
// kinds of error FEBRL injects: typos, swapped names, missing values,
// transposed date digits.
type synth struct {
	rng    *rand.Rand
	given  []string
	family []string
	street []string
	city   []string
}

func newSynth(seed uint64) *synth {
	s := &synth{rng: rand.New(rand.NewPCG(seed, 7))}
	s.given = s.words(3000, 2, 3)
	s.family = s.words(60000, 2, 4)
	s.street = s.words(20000, 2, 3)
	s.city = s.words(2000, 2, 3)
	return s
}

var syllables = strings.Fields("an ber cal dor el fin gar hal is jor ka lin mar nel or pa quin ros sal tor ul van wil xan yor zel bri cha dre fla gro ste tha wen")

func (s *synth) words(n, lo, hi int) []string {
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var b strings.Builder
		for range lo + s.rng.IntN(hi-lo+1) {
			b.WriteString(syllables[s.rng.IntN(len(syllables))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// pick draws from a list with Zipf-like skew.
func (s *synth) pick(list []string) string {
	i := int(float64(len(list)) * s.rng.Float64() * s.rng.Float64() * s.rng.Float64())
	return list[min(i, len(list)-1)]
}

// person returns the clean record of entity e.
func (s *synth) person(e int) map[string]string {
	g, f := s.pick(s.given), s.pick(s.family)
	return map[string]string{
		"given_name":    g,
		"surname":       f,
		"date_of_birth": fmt.Sprintf("%04d%02d%02d", 1930+s.rng.IntN(80), 1+s.rng.IntN(12), 1+s.rng.IntN(28)),
		"street_number": fmt.Sprint(1 + s.rng.IntN(300)),
		"address_1":     s.pick(s.street) + " street",
		"suburb":        s.pick(s.city),
		"postcode":      fmt.Sprint(1000 + s.rng.IntN(8000)),
		"phone":         fmt.Sprintf("04%08d", s.rng.IntN(100_000_000)),
		"soc_sec_id":    fmt.Sprintf("%07d", s.rng.IntN(10_000_000)),
	}
}

// corrupt returns a copy of p with one to three errors.
func (s *synth) corrupt(p map[string]string) map[string]string {
	q := make(map[string]string, len(p))
	for k, v := range p {
		q[k] = v
	}
	fields := []string{"given_name", "surname", "date_of_birth", "street_number", "address_1", "suburb", "postcode", "phone", "soc_sec_id"}
	for range 1 + s.rng.IntN(3) {
		f := fields[s.rng.IntN(len(fields))]
		v := []rune(q[f])
		switch k := s.rng.IntN(10); {
		case k < 1:
			q[f] = ""
		case k < 2 && f == "given_name":
			q["given_name"], q["surname"] = q["surname"], q["given_name"]
		case len(v) < 2:
		case k < 5:
			v[s.rng.IntN(len(v))] = rune('a' + s.rng.IntN(26))
			if f == "date_of_birth" || f == "postcode" || f == "phone" || f == "soc_sec_id" || f == "street_number" {
				v[s.rng.IntN(len(v))] = rune('0' + s.rng.IntN(10))
			}
			q[f] = string(v)
		case k < 8:
			i := s.rng.IntN(len(v) - 1)
			v[i], v[i+1] = v[i+1], v[i]
			q[f] = string(v)
		default:
			i := s.rng.IntN(len(v))
			q[f] = string(append(v[:i:i], v[i+1:]...))
		}
	}
	return q
}

// linkage returns two datasets of n records each about the same n people,
// the second corrupted, with entity i's records sharing id suffix i.
func (s *synth) linkage(n int) ([]Record, Truth) {
	truth := Truth{Entity: map[string]string{}, Dataset: map[string]string{}, Link: true}
	var recs []Record
	for i := range n {
		p := s.person(i)
		for _, ds := range []string{"a", "b"} {
			f := p
			if ds == "b" {
				f = s.corrupt(p)
			}
			id := fmt.Sprintf("%s%d", ds, i)
			recs = append(recs, Record{ID: id, Dataset: ds, Fields: f})
			truth.Entity[id] = fmt.Sprint(i)
			truth.Dataset[id] = ds
		}
	}
	return recs, truth
}

// dedupe yields n records about roughly n/1.5 people, one at a time so a
// million never sit in memory as maps; truth[i] is record i's entity.
func (s *synth) dedupe(n int, truth []int32) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		e := 0
		for i := 0; i < n; e++ {
			p := s.person(e)
			copies := 1
			if s.rng.IntN(3) == 0 {
				copies += 1 + s.rng.IntN(2)
			}
			for c := 0; c < copies && i < n; c++ {
				f := p
				if c > 0 {
					f = s.corrupt(p)
				}
				if truth != nil {
					truth[i] = int32(e)
				}
				if !yield(Record{ID: fmt.Sprint(i), Fields: f}) {
					return
				}
				i++
			}
		}
	}
}

// synthSpec suits the synthetic records; the keys are selective enough for
// a million records.
func synthSpec(link bool) Spec {
	return Spec{
		Comparisons: []Comparison{
			{Field: "given_name", Kind: KindName, TF: true, Swap: "surname"},
			{Field: "surname", Kind: KindName, TF: true, Swap: "given_name"},
			{Field: "date_of_birth", Kind: KindDate},
			{Field: "street_number", Kind: KindCode},
			{Field: "address_1", Kind: KindName},
			{Field: "suburb", Kind: KindName, TF: true},
			{Field: "postcode", Kind: KindCode, TF: true},
			{Field: "phone", Kind: KindPhone},
			{Field: "soc_sec_id", Kind: KindCode},
		},
		Blocks: []Block{
			{Name: "ssid", On: []string{"soc_sec_id"}},
			{Name: "phone", On: []string{"phone"}},
			{Name: "names dob", On: []string{"dm:given_name|surname", "dm:surname|given_name", "year:date_of_birth"}},
			{Name: "surname dob", On: []string{"dm:surname", "date_of_birth"}},
			{Name: "given address", On: []string{"dm:given_name", "postcode", "street_number"}},
		},
		Link:     link,
		MaxBlock: 500,
	}
}
