package world

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"
)

//go:embed names/*.txt
var nameFiles embed.FS

// culture is one naming tradition of the Brussels population.
type culture struct {
	key                  string
	weight               float64 // share of the population
	male, female, family []string
}

// nameTables holds every embedded list, parsed once.
type nameTables struct {
	cultures []culture
	variants map[string][]string // given name -> other forms of it
	company  map[string][]string // companies.txt sections
	streets  map[string][]string // streets.txt: "fr" and "nl"
}

// cultureWeights is the share of each naming tradition, roughly that of the
// Brussels region's population by origin.
var cultureWeights = []struct {
	key    string
	weight float64
}{
	{"french", 0.25}, {"flemish", 0.16}, {"moroccan", 0.17}, {"turkish", 0.07},
	{"romanian", 0.07}, {"polish", 0.05}, {"italian", 0.06}, {"congolese", 0.05},
	{"iberian", 0.05}, {"english", 0.04},
}

var names = sync.OnceValue(func() *nameTables {
	t, err := loadNames()
	if err != nil {
		panic(err) // the lists are embedded: a parse error is a build defect, caught by the tests
	}
	return t
})

func loadNames() (*nameTables, error) {
	t := &nameTables{variants: map[string][]string{}}
	for _, cw := range cultureWeights {
		s, err := readSections("names/" + cw.key + ".txt")
		if err != nil {
			return nil, err
		}
		c := culture{key: cw.key, weight: cw.weight, male: s["male"], female: s["female"], family: dedupe(s["family"])}
		if len(c.male) == 0 || len(c.female) == 0 || len(c.family) == 0 {
			return nil, fmt.Errorf("names/%s.txt: a section is empty", cw.key)
		}
		t.cultures = append(t.cultures, c)
	}
	var err error
	if t.company, err = readSections("names/companies.txt"); err != nil {
		return nil, err
	}
	if t.streets, err = readSections("names/streets.txt"); err != nil {
		return nil, err
	}
	b, err := nameFiles.ReadFile("names/variants.txt")
	if err != nil {
		return nil, err
	}
	groups := map[string]map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		head, rest, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("names/variants.txt: %q lacks '='", line)
		}
		group := append([]string{strings.TrimSpace(head)}, splitList(rest)...)
		for _, a := range group {
			if groups[a] == nil {
				groups[a] = map[string]bool{}
			}
			for _, b := range group {
				if a != b {
					groups[a][b] = true
				}
			}
		}
	}
	for k, set := range groups {
		for v := range set {
			t.variants[k] = append(t.variants[k], v)
		}
		sort.Strings(t.variants[k]) // map order must not leak into the output
	}
	return t, nil
}

// readSections parses a file of "[section]" headers followed by
// comma-separated names; '#' starts a comment line.
func readSections(path string) (map[string][]string, error) {
	b, err := nameFiles.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	sec := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#':
		case line[0] == '[' && line[len(line)-1] == ']':
			sec = line[1 : len(line)-1]
		case sec == "":
			return nil, fmt.Errorf("%s: names before a [section]", path)
		default:
			out[sec] = append(out[sec], splitList(line)...)
		}
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
