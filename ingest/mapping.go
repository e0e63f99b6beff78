package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/writhq/writ"
)

// Mapping says how a source file becomes rows of one kind: its format, and
// for each target field which input column (or dotted JSON path) it comes
// from and how it is normalised. docs/ingest.md is its reference.
type Mapping struct {
	Dataset string           `json:"dataset"`
	Kind    writ.DataKind    `json:"kind"`
	Format  string           `json:"format"` // csv, tsv, json (a top-level array of objects), ndjson
	CSV     *CSVOptions      `json:"csv,omitempty"`
	Entity  writ.Entity      `json:"entity,omitempty"` // records only
	Fields  map[string]Field `json:"fields"`
}

// CSVOptions tune the csv and tsv formats.
type CSVOptions struct {
	Delimiter string `json:"delimiter,omitempty"` // one character; default "," (csv) or tab (tsv)
	Header    *bool  `json:"header,omitempty"`    // default true; without one, "from" is a column number from 1
}

// Field maps one target field.
type Field struct {
	From      string `json:"from"`                // column name, column number (no header), or dotted JSON path
	Normalize string `json:"normalize,omitempty"` // default depends on the target (see docs/ingest.md)
	Layout    string `json:"layout,omitempty"`    // date and time: a Go layout, or "unix" (time)
	Required  bool   `json:"required,omitempty"`
	Protected bool   `json:"protected,omitempty"` // records: a protected attribute
	Region    string `json:"region,omitempty"`    // phone: the region numbers without a country code are in
}

// Normalisers, by the name a mapping uses.
const (
	NormText  = "text"
	NormName  = "name"
	NormPhone = "phone"
	NormPlate = "plate"
	NormDate  = "date"
	NormTime  = "time"
	NormLat   = "lat"
	NormLon   = "lon"
	NormInt   = "int"
	NormFloat = "float"
	NormID    = "id"
)

var normalisers = []string{NormText, NormName, NormPhone, NormPlate, NormDate, NormTime, NormLat, NormLon, NormInt, NormFloat, NormID}

// valueType is what a target of an event kind holds, which bounds the
// normalisers it may use.
type valueType int

const (
	vString valueType = iota
	vTime
	vFloat
	vInt
)

// target is one field an event kind has.
type target struct {
	typ      valueType
	required bool
	norm     string // the default normaliser
}

// targets lists the fields of each event kind. Records take any names.
var targets = map[writ.DataKind]map[string]target{
	writ.DataPings: {
		"device": {vString, true, NormID}, "at": {vTime, true, NormTime},
		"lat": {vFloat, true, NormLat}, "lon": {vFloat, true, NormLon}, "accuracy_m": {vFloat, false, NormFloat},
	},
	writ.DataContacts: {
		"caller": {vString, true, NormPhone}, "callee": {vString, true, NormPhone}, "started_at": {vTime, true, NormTime},
		"duration_s": {vInt, false, NormInt}, "type": {vString, false, NormText},
		"caller_device": {vString, false, NormID},
	},
	writ.DataPlateReads: {
		"plate": {vString, true, NormPlate}, "camera": {vString, false, NormID}, "at": {vTime, true, NormTime},
		"lat": {vFloat, true, NormLat}, "lon": {vFloat, true, NormLon},
	},
}

// fits says which normalisers may fill a target of each type.
var fits = map[valueType][]string{
	vString: {NormText, NormName, NormPhone, NormPlate, NormID},
	vTime:   {NormTime, NormDate},
	vFloat:  {NormLat, NormLon, NormFloat, NormInt},
	vInt:    {NormInt},
}

// contentFields name communications content. writ stores who, whom, when
// and how long; never what was said.
var contentFields = []string{"body", "text", "message", "content", "subject", "payload"}

// LoadMapping reads and validates a mapping file.
func LoadMapping(path string) (*Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := ParseMapping(f)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return m, nil
}

// ParseMapping decodes a mapping (unknown keys are errors, so a typo is not
// silently ignored) and validates it.
func ParseMapping(r io.Reader) (*Mapping, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		return nil, writ.Errorf(writ.EInvalid, "not a valid mapping: %v", err)
	}
	if dec.More() {
		return nil, writ.Errorf(writ.EInvalid, "not a valid mapping: more than one JSON value")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks a mapping and fills in default normalisers. Its errors
// name the field and say what would be right.
func (m *Mapping) Validate() error {
	bad := func(format string, args ...any) error { return writ.Errorf(writ.EInvalid, format, args...) }
	if strings.TrimSpace(m.Dataset) == "" {
		return bad(`mapping needs a "dataset"`)
	}
	switch m.Format {
	case "csv", "tsv":
		if m.CSV != nil && m.CSV.Delimiter != "" {
			r, size := utf8.DecodeRuneInString(m.CSV.Delimiter)
			if size != len(m.CSV.Delimiter) || r == '"' || r == '\n' || r == '\r' || r == utf8.RuneError || r >= utf8.RuneSelf {
				return bad(`csv delimiter %q: want one ASCII character other than a quote or a newline`, m.CSV.Delimiter)
			}
		}
	case "json", "ndjson":
		if m.CSV != nil {
			return bad(`"csv" options apply to csv and tsv, not %s`, m.Format)
		}
	default:
		return bad(`format %q: want csv, tsv, json (an array of objects) or ndjson`, m.Format)
	}
	if len(m.Fields) == 0 {
		return bad(`mapping needs "fields"`)
	}
	if m.Kind == writ.DataContacts {
		// Refused before anything else, and whatever else is wrong.
		for _, name := range m.sortedFields() {
			from := m.Fields[name].From
			last := from[strings.LastIndex(from, ".")+1:]
			for _, c := range contentFields {
				if strings.EqualFold(name, c) || strings.EqualFold(last, c) {
					return bad(`contacts field %q (from %q) looks like communications content; writ never stores communications content, only who, whom, when and how long`, name, from)
				}
			}
		}
	}
	switch m.Kind {
	case writ.DataRecords:
		if !m.Entity.Valid() {
			return bad(`records mapping needs an "entity": one of %v`, writ.Entities)
		}
	case writ.DataPings, writ.DataContacts, writ.DataPlateReads:
		if m.Entity != "" {
			return bad(`"entity" applies to records, not %s`, m.Kind)
		}
	default:
		return bad(`kind %q: want records, contacts, pings or plate_reads`, m.Kind)
	}
	header := m.CSV == nil || m.CSV.Header == nil || *m.CSV.Header
	for _, name := range m.sortedFields() {
		f := m.Fields[name]
		if err := m.validateField(name, &f, header); err != nil {
			return err
		}
		m.Fields[name] = f
	}
	if ts := targets[m.Kind]; ts != nil {
		for _, name := range sortedKeys(ts) {
			if _, ok := m.Fields[name]; !ok && ts[name].required {
				return bad(`%s mapping needs the target %q (targets: %s)`, m.Kind, name, strings.Join(sortedKeys(ts), ", "))
			}
		}
	}
	return nil
}

func (m *Mapping) validateField(name string, f *Field, header bool) error {
	bad := func(format string, args ...any) error {
		return writ.Errorf(writ.EInvalid, "field %q: "+format, append([]any{name}, args...)...)
	}
	if name == "" {
		return writ.Errorf(writ.EInvalid, "a field has an empty target name")
	}
	if strings.TrimSpace(f.From) == "" {
		return bad(`needs "from": the input column or JSON path`)
	}
	if m.Format == "csv" || m.Format == "tsv" {
		if !header {
			if n, err := strconv.Atoi(f.From); err != nil || n < 1 {
				return bad(`the file has no header, so "from" must be a column number from 1, not %q`, f.From)
			}
		}
	} else if strings.HasPrefix(f.From, ".") || strings.HasSuffix(f.From, ".") || strings.Contains(f.From, "..") {
		return bad(`JSON path %q: want names separated by single dots, e.g. "owner.name"`, f.From)
	}
	if ts := targets[m.Kind]; ts != nil {
		t, ok := ts[name]
		if !ok {
			return bad(`%s has no such target; its targets are %s`, m.Kind, strings.Join(sortedKeys(ts), ", "))
		}
		if f.Normalize == "" {
			f.Normalize = t.norm
		}
		if !slices.Contains(fits[t.typ], f.Normalize) && slices.Contains(normalisers, f.Normalize) {
			return bad(`normaliser %q cannot fill it; use one of %s`, f.Normalize, strings.Join(fits[t.typ], ", "))
		}
		if f.Protected {
			return bad(`"protected" applies to records fields, not %s`, m.Kind)
		}
	} else if f.Normalize == "" {
		f.Normalize = NormText
		switch name {
		case "record_id":
			f.Normalize = NormID
		case "observed_at":
			f.Normalize = NormTime
		}
	}
	if !slices.Contains(normalisers, f.Normalize) {
		return bad(`unknown normaliser %q; known: %s`, f.Normalize, strings.Join(normalisers, ", "))
	}
	if m.Kind == writ.DataRecords {
		switch {
		case name == "observed_at" && f.Normalize != NormTime && f.Normalize != NormDate:
			return bad(`observed_at is a time: normalise it with time or date, not %q`, f.Normalize)
		case (name == "record_id" || name == "observed_at") && f.Protected:
			return bad(`%s cannot be protected`, name)
		case strings.HasSuffix(name, KeySuffix) && m.Fields[strings.TrimSuffix(name, KeySuffix)].Normalize == NormName:
			return bad(`the name normaliser of %q already makes this field`, strings.TrimSuffix(name, KeySuffix))
		}
	}
	switch f.Normalize {
	case NormDate:
		if f.Layout != "" {
			if err := checkLayout(f.Layout); err != nil {
				return bad("%v", err)
			}
		}
	case NormTime:
		if f.Layout != "" && f.Layout != "unix" {
			if err := checkLayout(f.Layout); err != nil {
				return bad("%v", err)
			}
		}
	default:
		if f.Layout != "" {
			return bad(`"layout" applies to the date and time normalisers, not %q`, f.Normalize)
		}
	}
	if f.Region != "" {
		if f.Normalize != NormPhone {
			return bad(`"region" applies to the phone normaliser, not %q`, f.Normalize)
		}
		if !validRegion(f.Region) {
			return bad(`region %q is not a country code the phone library knows (e.g. BE, NL, FR)`, f.Region)
		}
	}
	return nil
}

// checkLayout refuses a layout that cannot carry a date: one that does not
// give back the year, month and day of a time formatted with it.
func checkLayout(layout string) error {
	probe := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	back, err := time.Parse(layout, probe.Format(layout))
	if err != nil || back.Year() != 2001 || back.Month() != 2 || back.Day() != 3 {
		return fmt.Errorf("layout %q does not give a year, a month and a day (write the reference time Mon Jan 2 15:04:05 MST 2006 in your format, e.g. 02/01/2006)", layout)
	}
	return nil
}

func (m *Mapping) sortedFields() []string { return sortedKeys(m.Fields) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
