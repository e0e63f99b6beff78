package writ

import (
	"math"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
)

// LookoutKind is what a lookout watches for.
type LookoutKind string

const (
	// LookoutAttribute: a new record about an entity whose fields equal
	// every condition (records; never a protected attribute).
	LookoutAttribute LookoutKind = "attribute"
	// LookoutAppears: a named phone in new comms metadata, or a named
	// device in new pings.
	LookoutAppears LookoutKind = "appears"
	// LookoutArea: a device (pings) or plate (plate reads) entering an area.
	LookoutArea LookoutKind = "area"
	// LookoutHotlist: a hotlisted plate read by any camera.
	LookoutHotlist LookoutKind = "hotlist"
	// LookoutSubjectChange: a new record about a subject (identified by
	// its conditions) with a value of a watched field (address, vehicle,
	// phone) not seen before.
	LookoutSubjectChange LookoutKind = "subject_change"
)

// LookoutKinds lists every kind.
var LookoutKinds = []LookoutKind{LookoutAttribute, LookoutAppears, LookoutArea, LookoutHotlist, LookoutSubjectChange}

// Valid reports whether k is a known kind.
func (k LookoutKind) Valid() bool { return slices.Contains(LookoutKinds, k) }

// LookoutStatus is a lookout's lifecycle: active ⇄ paused → ended.
type LookoutStatus string

const (
	LookoutActive LookoutStatus = "active"
	LookoutPaused LookoutStatus = "paused"
	LookoutEnded  LookoutStatus = "ended"
)

// Condition is one equality on a record field, compared after folding case
// and spaces (see FoldValue).
type Condition struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Circle is an area given by centre and radius.
type Circle struct {
	Center  Point   `json:"center"`
	RadiusM float64 `json:"radius_m"`
}

// Contains reports whether q lies within the circle (haversine distance).
func (c Circle) Contains(q Point) bool { return DistanceM(c.Center, q) <= c.RadiusM }

// DistanceM is the great-circle distance between a and b in metres.
func DistanceM(a, b Point) float64 {
	const r = 6371008.8
	la1, la2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
	dla, dlo := la2-la1, (b.Lon-a.Lon)*math.Pi/180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Lookout is a standing query of a case that alerts when new data matches.
// It runs under an authority of its case: the gate checks it at creation
// (category, selectors, area) and again before each alert, so a lookout
// stops alerting when its authority expires or is revoked, and it only
// alerts on events whose time lies inside the authority's window.
type Lookout struct {
	ID          int64       `json:"id"`
	CaseID      int64       `json:"case_id"`
	AuthorityID int64       `json:"authority_id"`
	Kind        LookoutKind `json:"kind"`
	Name        string      `json:"name"`
	Purpose     string      `json:"purpose"`
	Category    Category    `json:"category"`
	Selectors   []Selector  `json:"selectors,omitempty"`
	Area        Polygon     `json:"area,omitempty"`
	Circle      *Circle     `json:"circle,omitempty"`
	Entity      Entity      `json:"entity,omitempty"`
	Dataset     string      `json:"dataset,omitempty"` // records: only this dataset; empty: any
	Conditions  []Condition `json:"conditions,omitempty"`
	Watch       []string    `json:"watch,omitempty"` // subject_change: fields whose new values alert
	Known       []Condition `json:"known,omitempty"` // subject_change: watched values already seen
	Email       []string    `json:"email,omitempty"`
	WebhookURL  string      `json:"webhook_url,omitempty"`
	// WebhookSecret keys the HMAC of webhook bodies. It is shown once, when
	// the lookout is created, and never listed again.
	WebhookSecret string        `json:"webhook_secret,omitempty"`
	RatePerHour   int           `json:"rate_per_hour"` // alerts delivered per hour at most; more are kept but not sent
	Status        LookoutStatus `json:"status"`
	CreatedBy     int64         `json:"created_by"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
}

// DefaultLookoutRate is the rate limit of a lookout that names none.
const DefaultLookoutRate = 120

// ProtectedNames are attribute names that are protected whatever a dataset
// schema says (DESIGN.md invariant 4); a schema may mark more.
var ProtectedNames = []string{"race", "ethnicity", "ethnic_origin", "religion", "belief", "political_opinion",
	"political_party", "union_membership", "trade_union", "health", "medical", "disability",
	"sexual_orientation", "sex_life"}

// IsProtectedName reports whether a field name is protected by name.
func IsProtectedName(field string) bool {
	return slices.Contains(ProtectedNames, strings.ToLower(strings.TrimSpace(field)))
}

// FoldValue is the form record values are compared in: trimmed, lower
// case, inner spaces collapsed.
func FoldValue(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// Validate checks a lookout's shape and normalises its selectors and
// conditions. It does not check the authority (the gate does) nor the
// dataset schema (the lookout service does).
func (l *Lookout) Validate() error {
	switch {
	case l.CaseID <= 0 || l.AuthorityID <= 0:
		return Errorf(EInvalid, "a lookout needs a case and an authority")
	case !l.Kind.Valid():
		return Errorf(EInvalid, "unknown lookout kind %q (want attribute, appears, area, hotlist or subject_change)", l.Kind)
	case strings.TrimSpace(l.Name) == "" || len(l.Name) > 200:
		return Errorf(EInvalid, "a lookout needs a name of 1-200 characters")
	case l.RatePerHour < 0:
		return Errorf(EInvalid, "rate_per_hour must not be negative")
	}
	if l.RatePerHour == 0 {
		l.RatePerHour = DefaultLookoutRate
	}
	for i, s := range l.Selectors {
		n, err := NormalizeSelector(s)
		if err != nil {
			return err
		}
		l.Selectors[i] = n
	}
	slices.SortFunc(l.Selectors, func(x, y Selector) int { return strings.Compare(x.String(), y.String()) })
	l.Selectors = slices.Compact(l.Selectors)
	if err := l.validateKind(); err != nil {
		return err
	}
	for i, e := range l.Email {
		a, err := mail.ParseAddress(e)
		if err != nil {
			return Errorf(EInvalid, "e-mail address %q is not valid", e)
		}
		l.Email[i] = a.Address // the bare address: it goes into RCPT TO
	}
	if l.WebhookURL != "" {
		u, err := url.Parse(l.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Errorf(EInvalid, "webhook_url must be an http or https URL")
		}
	}
	return nil
}

func (l *Lookout) validateKind() error {
	want := func(c Category, kinds ...SelectorKind) error {
		if l.Category == "" {
			l.Category = c
		}
		if l.Category != c {
			return Errorf(EInvalid, "a %s lookout reads %s data, not %s", l.Kind, c, l.Category)
		}
		for _, s := range l.Selectors {
			if !slices.Contains(kinds, s.Kind) {
				return Errorf(EInvalid, "a %s lookout of %s data names %v selectors, not %s", l.Kind, c, kinds, s.Kind)
			}
		}
		return nil
	}
	switch l.Kind {
	case LookoutAppears:
		if l.Category == "" && len(l.Selectors) > 0 && l.Selectors[0].Kind == SelDevice {
			l.Category = CatLocation
		}
		if l.Category == "" {
			l.Category = CatComms
		}
		if l.Category != CatComms && l.Category != CatLocation {
			return Errorf(EInvalid, "an appears lookout watches comms (phones) or location (devices)")
		}
		if err := want(l.Category, SelectorKindFor(l.Category)); err != nil {
			return err
		}
		if len(l.Selectors) == 0 {
			return Errorf(EInvalid, "an appears lookout names the phones or devices to watch")
		}
	case LookoutHotlist:
		if err := want(CatPlates, SelPlate); err != nil {
			return err
		}
		if len(l.Selectors) == 0 {
			return Errorf(EInvalid, "a hotlist lookout names the plates to watch")
		}
	case LookoutArea:
		if l.Category == "" && len(l.Selectors) > 0 && l.Selectors[0].Kind == SelPlate {
			l.Category = CatPlates
		}
		if l.Category == "" {
			l.Category = CatLocation
		}
		if l.Category != CatLocation && l.Category != CatPlates {
			return Errorf(EInvalid, "an area lookout watches location (devices) or plates")
		}
		if err := want(l.Category, SelectorKindFor(l.Category)); err != nil {
			return err
		}
		switch {
		case len(l.Area) > 0 && l.Circle != nil:
			return Errorf(EInvalid, "give an area or a circle, not both")
		case len(l.Area) > 0:
			if err := l.Area.Validate(); err != nil {
				return err
			}
		case l.Circle != nil:
			c := l.Circle
			if c.RadiusM <= 0 || c.RadiusM > 50000 || (Polygon{c.Center, c.Center, c.Center}).Validate() != nil {
				return Errorf(EInvalid, "a circle needs a valid centre and a radius of up to 50 km")
			}
		default:
			return Errorf(EInvalid, "an area lookout needs an area (polygon) or a circle")
		}
	case LookoutAttribute, LookoutSubjectChange:
		if err := want(CatRecords, SelSubject); err != nil {
			return err
		}
		if len(l.Selectors) != 1 {
			return Errorf(EInvalid, "a %s lookout names the one subject it is about (subject:<id>)", l.Kind)
		}
		if !l.Entity.Valid() {
			return Errorf(EInvalid, "a %s lookout names the entity kind (Person, Vehicle, ...)", l.Kind)
		}
		if len(l.Conditions) == 0 {
			return Errorf(EInvalid, "a %s lookout needs at least one condition", l.Kind)
		}
		for i, c := range l.Conditions {
			if strings.TrimSpace(c.Field) == "" || FoldValue(c.Value) == "" {
				return Errorf(EInvalid, "condition %d needs a field and a value", i+1)
			}
			if IsProtectedName(c.Field) {
				return Deny("protected_attribute", "%s is a protected attribute and cannot be a lookout condition", c.Field)
			}
			l.Conditions[i] = Condition{Field: strings.TrimSpace(c.Field), Value: FoldValue(c.Value)}
		}
		if l.Kind == LookoutSubjectChange && len(l.Watch) == 0 {
			return Errorf(EInvalid, "a subject_change lookout names the fields to watch (e.g. street_address, phone, plate)")
		}
		for _, f := range l.Watch {
			if IsProtectedName(f) {
				return Deny("protected_attribute", "%s is a protected attribute and cannot be watched", f)
			}
		}
		if l.Kind == LookoutAttribute && len(l.Watch) > 0 {
			return Errorf(EInvalid, "watch applies to subject_change lookouts only")
		}
	}
	if l.Kind != LookoutArea && (len(l.Area) > 0 || l.Circle != nil) {
		return Errorf(EInvalid, "an area applies to area lookouts only")
	}
	return nil
}

// Alert is one firing of a lookout on one event. (LookoutID, EventKey) is
// unique: an event replayed by a stream or a batch fires once.
type Alert struct {
	ID          int64       `json:"id"`
	LookoutID   int64       `json:"lookout_id"`
	CaseID      int64       `json:"case_id"`
	AuthorityID int64       `json:"authority_id"`
	Kind        LookoutKind `json:"kind"`
	EventKind   DataKind    `json:"event_kind"`
	EventKey    string      `json:"event_key"` // the event's data kind and content hash
	EventAt     time.Time   `json:"event_at"`
	Selector    Selector    `json:"selector,omitempty"` // what matched, when a selector did
	Summary     string      `json:"summary"`
	// Detail holds the matched event's unprotected fields.
	Detail map[string]string `json:"detail,omitempty"`
	// Retro marks alerts found by a retroactive check at creation.
	Retro bool `json:"retro,omitempty"`
	// Suppressed alerts went over the lookout's rate limit: kept and
	// audited, but not delivered.
	Suppressed bool      `json:"suppressed,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// DeadLetter is a webhook delivery that failed every retry.
type DeadLetter struct {
	ID        int64     `json:"id"`
	AlertID   int64     `json:"alert_id"`
	LookoutID int64     `json:"lookout_id"`
	CaseID    int64     `json:"case_id"`
	URL       string    `json:"url"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	CreatedAt time.Time `json:"created_at"`
}

// LookoutFilter narrows a lookout listing.
type LookoutFilter struct {
	CaseID  int64         // zero: every case
	CaseIDs []int64       // when set: only these cases
	Status  LookoutStatus // empty: every status
}

// AlertFilter narrows an alert listing.
type AlertFilter struct {
	CaseIDs   []int64 // only these cases (a user's roster); nil: every case
	LookoutID int64
	AfterID   int64 // keyset paging
	Limit     int   // zero: DefaultLimit
}
