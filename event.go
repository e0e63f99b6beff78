package writ

import (
	"slices"
	"time"
)

// Provenance says where a fact came from and under what legal basis it is held.
type Provenance struct {
	Dataset     string `json:"dataset"`
	Source      string `json:"source"`       // file path or stream name
	Offset      int64  `json:"offset"`       // line number (files) or stream sequence
	ContentHash string `json:"content_hash"` // hex SHA-256 of the source row as read
	Batch       string `json:"batch"`        // ingest batch id (see Batch)
	BasisKind   string `json:"basis_kind"`   // "authority" or "agreement"
	BasisID     int64  `json:"basis_id"`
}

// Contact is one communication's metadata (who, whom, when, how long). There
// is deliberately no field for content.
type Contact struct {
	ID          int64     `json:"id"`
	Caller      string    `json:"caller"` // E.164
	Callee      string    `json:"callee"` // E.164
	StartedAt   time.Time `json:"started_at"`
	DurationSec int       `json:"duration_s"`
	Type        string    `json:"type"` // call, sms, ...
	// CallerDevice is the IMEI of the handset the caller used, when the
	// carrier's records give it ("" otherwise).
	CallerDevice string     `json:"caller_device,omitempty"`
	Prov         Provenance `json:"provenance"`
}

// Ping is one device location fix.
type Ping struct {
	ID        int64      `json:"id"`
	Device    string     `json:"device"`
	At        time.Time  `json:"at"`
	Lat       float64    `json:"lat"`
	Lon       float64    `json:"lon"`
	AccuracyM float64    `json:"accuracy_m"`
	Prov      Provenance `json:"provenance"`
}

// PlateRead is one licence-plate-reader read.
type PlateRead struct {
	ID     int64      `json:"id"`
	Plate  string     `json:"plate"`
	Camera string     `json:"camera"`
	At     time.Time  `json:"at"`
	Lat    float64    `json:"lat"`
	Lon    float64    `json:"lon"`
	Prov   Provenance `json:"provenance"`
}

// Record is a row from a records source (a registry, a broker's file) about
// one entity. Ingestion stores it unlinked (SubjectID zero); resolution links
// it to a case subject later, and only linked records are readable under a
// grant.
type Record struct {
	ID         int64             `json:"id"`
	Entity     Entity            `json:"entity"`
	RecordID   string            `json:"record_id,omitempty"` // the source's own key
	SubjectID  int64             `json:"subject_id,omitempty"`
	ObservedAt time.Time         `json:"observed_at"`
	Fields     map[string]string `json:"fields"`
	// Protected holds the protected attributes (DESIGN.md invariant 4) apart
	// from Fields, so that code filtering on Fields cannot reach them.
	Protected map[string]string `json:"protected,omitempty"`
	Prov      Provenance        `json:"provenance"`
}

// Entity is what a record is about.
type Entity string

const (
	EntityPerson  Entity = "Person"
	EntityVehicle Entity = "Vehicle"
	EntityPhone   Entity = "Phone"
	EntityAddress Entity = "Address"
	EntityCompany Entity = "Company"
)

// Entities lists every entity kind.
var Entities = []Entity{EntityPerson, EntityVehicle, EntityPhone, EntityAddress, EntityCompany}

// Valid reports whether e is a known entity kind.
func (e Entity) Valid() bool { return slices.Contains(Entities, e) }

// EventQuery narrows a read below its grant. The store intersects it with the
// grant: it can only narrow, never widen.
type EventQuery struct {
	Selectors []string  // values of the grant's selector kind; empty: all the grant names
	From, To  time.Time // zero: the grant's window
	AfterID   int64     // keyset paging
	Limit     int       // zero: DefaultLimit
}

// NearQuery asks for the pings near a track (co-location): those within
// RadiusM metres and Within of one of its Probes. A store answers it by
// reading only the blocks around the probes, not the whole area and window.
type NearQuery struct {
	Probes  []Probe
	RadiusM float64       // 0 < RadiusM <= MaxNearRadiusM
	Within  time.Duration // 1 s <= Within <= MaxNearWithin
	MaxAccM float64       // leave out pings whose accuracy is worse than this; 0: keep all
	Exclude string        // leave out this device (the target's own pings)
}

// NearPing is a ping a store found near a NearQuery's track: what a
// co-location counts, and the id to read the whole ping (its provenance)
// through Pings.
type NearPing struct {
	ID        int64
	Device    string
	At        time.Time
	Lat, Lon  float64
	AccuracyM float64
	// Probe is the index in the query's Probes of the probe the ping is
	// near: the first in time order (then in Probes order) within RadiusM
	// and Within.
	Probe int
}

// Probe is one fix of the track a NearQuery follows.
type Probe struct {
	Lat, Lon float64
	At       time.Time
}

// Bounds of a NearQuery: a store refuses larger ones, and a result of more
// than MaxNearRows pings.
const (
	MaxNearRadiusM = 10_000
	MaxNearWithin  = 24 * time.Hour
	MaxNearProbes  = 1_000_000
	MaxNearRows    = 2_000_000
)

// Check refuses a NearQuery outside its bounds.
func (q *NearQuery) Check() error {
	switch {
	case !(q.RadiusM > 0 && q.RadiusM <= MaxNearRadiusM):
		return Errorf(EInvalid, "near radius %v m: want more than 0 and at most %d", q.RadiusM, MaxNearRadiusM)
	case q.Within < time.Second || q.Within > MaxNearWithin:
		return Errorf(EInvalid, "near time %v: want 1s to %v", q.Within, MaxNearWithin)
	case len(q.Probes) > MaxNearProbes:
		return Errorf(EInvalid, "%d probes: at most %d", len(q.Probes), MaxNearProbes)
	case q.MaxAccM < 0:
		return Errorf(EInvalid, "max accuracy %v m is negative", q.MaxAccM)
	}
	for i, p := range q.Probes {
		if !(p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180) {
			return Errorf(EInvalid, "probe %d: (%v, %v) is not a position", i, p.Lat, p.Lon)
		}
	}
	return nil
}

// DefaultLimit and MaxLimit bound one page of an event read.
const (
	DefaultLimit = 1000
	MaxLimit     = 100000
)
