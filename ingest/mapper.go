package ingest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/writhq/writ"
)

// value is a normalised input value; which part is set depends on the
// normaliser.
type value struct {
	s string
	t time.Time
	f float64
	i int64
}

// column is one mapped field, resolved against the input.
type column struct {
	target string
	Field
	index int      // csv, tsv: the input column; -1 if the file lacks it
	path  []string // json, ndjson: the keys to follow
	cache map[string]string
}

// Mapper turns input rows into rows of the mapping's kind. It is not safe for
// concurrent use (it caches phone numbers and holds a case folder).
type Mapper struct {
	m      *Mapping
	cols   []column
	pos    map[string]int // target → index in cols
	vals   []value
	have   []bool
	now    time.Time // observed_at of records whose mapping has none
	schema []writ.FieldSchema
}

// newMapper resolves the mapping's columns. header lists the CSV header's
// names (nil for JSON, or for CSV without a header).
func newMapper(m *Mapping, header []string, now time.Time) (*Mapper, error) {
	mp := &Mapper{m: m, pos: map[string]int{}, now: now}
	phones := map[string]map[string]string{}
	for _, name := range m.sortedFields() {
		f := m.Fields[name]
		c := column{target: name, Field: f, index: -1}
		switch m.Format {
		case "csv", "tsv":
			if header == nil {
				n, _ := strconv.Atoi(f.From)
				c.index = n - 1
			} else if c.index = findColumn(header, f.From); c.index < 0 {
				return nil, writ.Errorf(writ.EInvalid, "field %q: the file has no column %q (its columns: %s)", name, f.From, strings.Join(header, ", "))
			}
		default:
			c.path = strings.Split(f.From, ".")
		}
		if f.Normalize == NormPhone {
			// Columns of one region share a cache: a caller is often a callee.
			if phones[f.Region] == nil {
				phones[f.Region] = map[string]string{}
			}
			c.cache = phones[f.Region]
		}
		mp.pos[name] = len(mp.cols)
		mp.cols = append(mp.cols, c)
		if m.Kind == writ.DataRecords && name != "record_id" && name != "observed_at" {
			mp.schema = append(mp.schema, writ.FieldSchema{Dataset: m.Dataset, Field: name, Entity: m.Entity, Protected: f.Protected})
			if f.Normalize == NormName {
				mp.schema = append(mp.schema, writ.FieldSchema{Dataset: m.Dataset, Field: name + KeySuffix, Entity: m.Entity, Protected: f.Protected})
			}
		}
	}
	mp.vals = make([]value, len(mp.cols))
	mp.have = make([]bool, len(mp.cols))
	return mp, nil
}

// findColumn matches a header name exactly, else ignoring case and
// surrounding space.
func findColumn(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(name)) {
			return i
		}
	}
	return -1
}

// load normalises every mapped field of r into mp.vals.
func (mp *Mapper) load(r *row) *RowError {
	for i := range mp.cols {
		c := &mp.cols[i]
		s, ok, bad := mp.raw(r, c)
		if bad != nil {
			bad.Field = c.target
			return bad
		}
		s = strings.TrimSpace(s)
		mp.have[i] = ok && s != ""
		if !mp.have[i] {
			if c.Required || targets[mp.m.Kind][c.target].required {
				return &RowError{Reason: ReasonMissing, Field: c.target, Detail: fmt.Sprintf("no value for %q (from %q)", c.target, c.From)}
			}
			mp.vals[i] = value{}
			continue
		}
		v, err := mp.normalize(c, s)
		if err != nil {
			re := err.(*RowError)
			re.Field = c.target
			return re
		}
		mp.vals[i] = v
	}
	return nil
}

// raw returns the input value of a column as text.
func (mp *Mapper) raw(r *row, c *column) (string, bool, *RowError) {
	if r.obj == nil {
		if c.index >= len(r.fields) {
			return "", false, nil
		}
		return string(r.fields[c.index]), true, nil
	}
	var v any = r.obj
	for _, k := range c.path {
		o, ok := v.(map[string]any)
		if !ok {
			return "", false, rowErr(ReasonBadValue, "%q: %s is a %s, not an object", c.From, k, jsonType(v))
		}
		if v, ok = o[k]; !ok {
			return "", false, nil
		}
	}
	switch v := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return v, true, nil
	case json.Number:
		return v.String(), true, nil
	case bool:
		return strconv.FormatBool(v), true, nil
	}
	return "", false, rowErr(ReasonBadValue, "%q is a JSON %s, not a value", c.From, jsonType(v))
}

func (mp *Mapper) normalize(c *column, s string) (value, error) {
	var v value
	var err error
	switch c.Normalize {
	case NormText:
		v.s, err = Text(s)
	case NormID:
		v.s, err = ID(s)
	case NormName:
		v.s, err = Name(s)
	case NormPlate:
		v.s, err = Plate(s)
	case NormPhone:
		if e, ok := c.cache[s]; ok {
			return value{s: e}, nil
		}
		v.s, err = Phone(s, c.Region)
		if err == nil {
			if len(c.cache) >= 1<<16 {
				clear(c.cache)
			}
			c.cache[s] = v.s
		}
	case NormDate:
		v.t, err = Date(s, c.Layout)
	case NormTime:
		v.t, err = Time(s, c.Layout)
	case NormLat:
		v.f, err = Lat(s)
	case NormLon:
		v.f, err = Lon(s)
	case NormFloat:
		v.f, err = Float(s)
	case NormInt:
		v.i, err = Int(s)
		v.f = float64(v.i)
	}
	return v, err
}

// get returns the value of a target and whether the row had it.
func (mp *Mapper) get(target string) (value, bool) {
	i, ok := mp.pos[target]
	if !ok {
		return value{}, false
	}
	return mp.vals[i], mp.have[i]
}

// text formats a value of a records field.
func (mp *Mapper) text(c *column, v value) string {
	switch c.Normalize {
	case NormDate:
		return v.t.Format("2006-01-02")
	case NormTime:
		return v.t.Format(time.RFC3339Nano)
	case NormLat, NormLon, NormFloat:
		return strconv.FormatFloat(v.f, 'f', -1, 64)
	case NormInt:
		return strconv.FormatInt(v.i, 10)
	}
	return v.s
}

// appendRow maps r (loaded) onto a new row of the batch's kind.
func (mp *Mapper) appendRow(b *writ.Batch, prov writ.Provenance) *RowError {
	switch mp.m.Kind {
	case writ.DataPings:
		dev, _ := mp.get("device")
		at, _ := mp.get("at")
		lat, _ := mp.get("lat")
		lon, _ := mp.get("lon")
		acc, _ := mp.get("accuracy_m")
		b.Pings = append(b.Pings, writ.Ping{Device: dev.s, At: at.t, Lat: lat.f, Lon: lon.f, AccuracyM: acc.f, Prov: prov})
	case writ.DataContacts:
		caller, _ := mp.get("caller")
		callee, _ := mp.get("callee")
		at, _ := mp.get("started_at")
		dur, _ := mp.get("duration_s")
		typ, ok := mp.get("type")
		if !ok {
			typ.s = "call"
		}
		dev, _ := mp.get("caller_device")
		if dur.i < 0 || dur.i > 1<<31-1 {
			return &RowError{Reason: ReasonBadNumber, Field: "duration_s", Detail: fmt.Sprintf("duration %d s is out of range", dur.i)}
		}
		b.Contacts = append(b.Contacts, writ.Contact{Caller: caller.s, Callee: callee.s, StartedAt: at.t,
			DurationSec: int(dur.i), Type: typ.s, CallerDevice: dev.s, Prov: prov})
	case writ.DataPlateReads:
		plate, _ := mp.get("plate")
		cam, _ := mp.get("camera")
		at, _ := mp.get("at")
		lat, _ := mp.get("lat")
		lon, _ := mp.get("lon")
		b.PlateReads = append(b.PlateReads, writ.PlateRead{Plate: plate.s, Camera: cam.s, At: at.t, Lat: lat.f, Lon: lon.f, Prov: prov})
	case writ.DataRecords:
		b.Records = append(b.Records, mp.record(prov))
	}
	return nil
}

func (mp *Mapper) record(prov writ.Provenance) writ.Record {
	r := writ.Record{Entity: mp.m.Entity, ObservedAt: mp.now, Fields: make(map[string]string, len(mp.schema)), Prov: prov}
	for i := range mp.cols {
		c := &mp.cols[i]
		if !mp.have[i] {
			continue
		}
		v := mp.vals[i]
		switch c.target {
		case "record_id":
			r.RecordID = v.s
			continue
		case "observed_at":
			r.ObservedAt = v.t
			continue
		}
		dst := r.Fields
		if c.Protected {
			if r.Protected == nil {
				r.Protected = map[string]string{}
			}
			dst = r.Protected
		}
		dst[c.target] = mp.text(c, v)
		if c.Normalize == NormName {
			dst[c.target+KeySuffix] = NameKey(v.s)
		}
	}
	return r
}
