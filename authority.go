package writ

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// AuthorityKind is the legal process an authority records.
type AuthorityKind string

const (
	KindSearchWarrant AuthorityKind = "search_warrant"
	KindCourtOrder    AuthorityKind = "court_order"
	KindPenRegister   AuthorityKind = "pen_register" // pen-register / trap-and-trace order
	KindGeofence1     AuthorityKind = "geofence_step1"
	KindGeofence2     AuthorityKind = "geofence_step2"
	KindGeofence3     AuthorityKind = "geofence_step3"
	KindSubpoena      AuthorityKind = "subpoena"
	KindConsent       AuthorityKind = "consent"
	KindExigent       AuthorityKind = "exigent"
)

// AuthorityKinds lists every kind, in a stable order for help text and docs.
var AuthorityKinds = []AuthorityKind{KindSearchWarrant, KindCourtOrder, KindPenRegister,
	KindGeofence1, KindGeofence2, KindGeofence3, KindSubpoena, KindConsent, KindExigent}

// Valid reports whether k is a known kind.
func (k AuthorityKind) Valid() bool { return slices.Contains(AuthorityKinds, k) }

// Category is a class of case data an authority may cover.
type Category string

const (
	CatRecords  Category = "records"
	CatComms    Category = "comms"    // communications metadata, never content
	CatLocation Category = "location" // device pings
	CatPlates   Category = "plates"   // licence-plate reads
)

// Categories lists every category.
var Categories = []Category{CatRecords, CatComms, CatLocation, CatPlates}

// Valid reports whether c is a known category.
func (c Category) Valid() bool { return slices.Contains(Categories, c) }

// SelectorKind is the kind of identifier an authority names.
type SelectorKind string

const (
	SelPhone   SelectorKind = "phone"   // E.164
	SelDevice  SelectorKind = "device"  // device id (IMEI, advertising id, ...)
	SelPlate   SelectorKind = "plate"   // normalised plate
	SelSubject SelectorKind = "subject" // subject id within the case
)

// SelectorKindFor is the selector kind that reads of a category are keyed by.
func SelectorKindFor(c Category) SelectorKind {
	switch c {
	case CatComms:
		return SelPhone
	case CatLocation:
		return SelDevice
	case CatPlates:
		return SelPlate
	default:
		return SelSubject
	}
}

// Selector is one identifier named by an authority.
type Selector struct {
	Kind  SelectorKind `json:"kind"`
	Value string       `json:"value"`
}

func (s Selector) String() string { return string(s.Kind) + ":" + s.Value }

// ParseSelector parses "kind:value" and normalises the value.
func ParseSelector(s string) (Selector, error) {
	kind, value, ok := strings.Cut(s, ":")
	if !ok {
		return Selector{}, Errorf(EInvalid, "selector %q: want kind:value, e.g. phone:+15551234567", s)
	}
	return NormalizeSelector(Selector{Kind: SelectorKind(kind), Value: value})
}

// NormalizeSelector validates a selector and puts its value in canonical form,
// so that the same identifier always compares equal.
func NormalizeSelector(s Selector) (Selector, error) {
	v := strings.TrimSpace(s.Value)
	switch s.Kind {
	case SelPhone:
		v = strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' {
				return -1
			}
			return r
		}, v)
		if len(v) < 3 || len(v) > 16 || v[0] != '+' || v[1] == '0' || strings.Trim(v[1:], "0123456789") != "" {
			return s, Errorf(EInvalid, "phone selector %q is not E.164 (+ and 2-15 digits)", s.Value)
		}
	case SelDevice:
		if v == "" || len(v) > 128 {
			return s, Errorf(EInvalid, "device selector must be 1-128 characters")
		}
	case SelPlate:
		v = NormalizePlate(v)
		if v == "" || len(v) > 16 {
			return s, Errorf(EInvalid, "plate selector %q must have 1-16 letters or digits", s.Value)
		}
	case SelSubject:
		var id int64
		if _, err := fmt.Sscanf(v, "%d", &id); err != nil || id <= 0 || fmt.Sprint(id) != v {
			return s, Errorf(EInvalid, "subject selector %q must be a subject id", s.Value)
		}
	default:
		return s, Errorf(EInvalid, "unknown selector kind %q (want phone, device, plate or subject)", s.Kind)
	}
	return Selector{Kind: s.Kind, Value: v}, nil
}

// NormalizePlate upper-cases a plate and drops everything but letters and digits.
func NormalizePlate(p string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return -1
	}, p)
}

// AuthorityStatus is the lifecycle: requested → approved → revoked. Expiry is
// not a stored status but a fact of time; see Authority.StatusAt.
type AuthorityStatus string

const (
	AuthRequested AuthorityStatus = "requested"
	AuthApproved  AuthorityStatus = "approved"
	AuthRevoked   AuthorityStatus = "revoked"
	AuthExpired   AuthorityStatus = "expired" // derived, never stored
)

// Authority is the legal process a read runs under: what it covers (data
// categories, selectors, time window, area) and who approved it.
type Authority struct {
	ID           int64           `json:"id"`
	CaseID       int64           `json:"case_id"`
	Kind         AuthorityKind   `json:"kind"`
	IssuingBody  string          `json:"issuing_body"`
	Reference    string          `json:"reference"`
	IssuedAt     time.Time       `json:"issued_at"`
	ExpiresAt    time.Time       `json:"expires_at"`
	Categories   []Category      `json:"categories"`
	Selectors    []Selector      `json:"selectors"`
	WindowStart  time.Time       `json:"window_start"`
	WindowEnd    time.Time       `json:"window_end"`
	Area         Polygon         `json:"area,omitempty"`
	Status       AuthorityStatus `json:"status"`
	RequestedBy  int64           `json:"requested_by"`
	ApprovedBy   int64           `json:"approved_by,omitempty"`
	ApprovedAt   *time.Time      `json:"approved_at,omitempty"`
	RevokedBy    int64           `json:"revoked_by,omitempty"`
	RevokedAt    *time.Time      `json:"revoked_at,omitempty"`
	RevokeReason string          `json:"revoke_reason,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
}

// StatusAt is the effective status at time t: an approved authority past its
// expiry is expired.
func (a *Authority) StatusAt(t time.Time) AuthorityStatus {
	if a.Status == AuthApproved && !t.Before(a.ExpiresAt) {
		return AuthExpired
	}
	return a.Status
}

// Covers reports whether the authority covers category c.
func (a *Authority) Covers(c Category) bool { return slices.Contains(a.Categories, c) }

// Names reports whether the authority names selector s.
func (a *Authority) Names(s Selector) bool { return slices.Contains(a.Selectors, s) }

// Validate checks an authority request before it is stored. It normalises
// selectors in place.
func (a *Authority) Validate() error {
	switch {
	case a.CaseID <= 0:
		return Errorf(EInvalid, "authority needs a case")
	case !a.Kind.Valid():
		return Errorf(EInvalid, "unknown authority kind %q", a.Kind)
	case strings.TrimSpace(a.IssuingBody) == "":
		return Errorf(EInvalid, "authority needs the issuing court or body")
	case strings.TrimSpace(a.Reference) == "":
		return Errorf(EInvalid, "authority needs a reference (docket number)")
	case a.IssuedAt.IsZero() || a.ExpiresAt.IsZero():
		return Errorf(EInvalid, "authority needs issued and expiry times")
	case !a.ExpiresAt.After(a.IssuedAt):
		return Errorf(EInvalid, "authority expires before it is issued")
	case a.WindowStart.IsZero() || a.WindowEnd.IsZero() || !a.WindowEnd.After(a.WindowStart):
		return Errorf(EInvalid, "authority needs a time window with start before end")
	case len(a.Categories) == 0:
		return Errorf(EInvalid, "authority must cover at least one data category")
	}
	for _, c := range a.Categories {
		if !c.Valid() {
			return Errorf(EInvalid, "unknown data category %q (want records, comms, location or plates)", c)
		}
	}
	for i, s := range a.Selectors {
		n, err := NormalizeSelector(s)
		if err != nil {
			return err
		}
		a.Selectors[i] = n
	}
	slices.SortFunc(a.Selectors, func(x, y Selector) int { return strings.Compare(x.String(), y.String()) })
	a.Selectors = slices.Compact(a.Selectors)
	if len(a.Area) > 0 {
		if err := a.Area.Validate(); err != nil {
			return err
		}
	}
	switch a.Kind {
	case KindPenRegister:
		if len(a.Categories) != 1 || a.Categories[0] != CatComms {
			return Errorf(EInvalid, "a pen-register order covers communications metadata only")
		}
	case KindGeofence1, KindGeofence2, KindGeofence3:
		if len(a.Categories) != 1 || a.Categories[0] != CatLocation {
			return Errorf(EInvalid, "a geofence warrant covers location only")
		}
		if a.Kind == KindGeofence1 && len(a.Area) == 0 {
			return Errorf(EInvalid, "a geofence step 1 warrant needs an area")
		}
	}
	if len(a.Selectors) == 0 && len(a.Area) == 0 {
		return Errorf(EInvalid, "authority must name selectors or an area")
	}
	return nil
}

// Point is a WGS84 coordinate.
type Point struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Polygon is a simple closed ring of points (the last edge joins last to first).
type Polygon []Point

// Validate checks coordinates and size.
func (p Polygon) Validate() error {
	if len(p) < 3 {
		return Errorf(EInvalid, "an area needs at least 3 points")
	}
	if len(p) > 1000 {
		return Errorf(EInvalid, "an area may have at most 1000 points")
	}
	for _, q := range p {
		if math.IsNaN(q.Lat) || math.IsNaN(q.Lon) || q.Lat < -90 || q.Lat > 90 || q.Lon < -180 || q.Lon > 180 {
			return Errorf(EInvalid, "area point (%v, %v) is out of range", q.Lat, q.Lon)
		}
	}
	return nil
}

// Contains reports whether q lies inside p (even-odd rule, boundary excluded
// on the upper/right edges as in the usual ray cast).
func (p Polygon) Contains(q Point) bool {
	in := false
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		a, b := p[i], p[j]
		if (a.Lat > q.Lat) != (b.Lat > q.Lat) &&
			q.Lon < (b.Lon-a.Lon)*(q.Lat-a.Lat)/(b.Lat-a.Lat)+a.Lon {
			in = !in
		}
	}
	return in
}

// Within reports whether p lies inside outer: every vertex of p inside outer
// and no edge of p crossing an edge of outer.
func (p Polygon) Within(outer Polygon) bool {
	for _, q := range p {
		if !outer.Contains(q) {
			return false
		}
	}
	for i := range p {
		a1, a2 := p[i], p[(i+1)%len(p)]
		for j := range outer {
			if segmentsCross(a1, a2, outer[j], outer[(j+1)%len(outer)]) {
				return false
			}
		}
	}
	return true
}

// coverMargin grows a box before CoversBox tests it (about a tenth of a
// millimetre), so that a point of the box is never close enough to an edge
// for Contains' rounding to matter.
const coverMargin = 1e-9

// CoversBox reports whether every point of the box from min to max (edges
// included) lies inside p as Contains decides: a reader that clips a block
// of points whose box p covers may skip Contains for each of them. It is
// conservative: false only means "test the points". The box, grown by
// coverMargin, must have its corners inside and meet no edge of p; then no
// point of it can be outside, as a path from a corner to such a point,
// inside the box, would cross an edge.
func (p Polygon) CoversBox(min, max Point) bool {
	if len(p) < 3 || !(min.Lat <= max.Lat && min.Lon <= max.Lon) {
		return false
	}
	lo := Point{Lat: min.Lat - coverMargin, Lon: min.Lon - coverMargin}
	hi := Point{Lat: max.Lat + coverMargin, Lon: max.Lon + coverMargin}
	for _, c := range [4]Point{lo, {lo.Lat, hi.Lon}, hi, {hi.Lat, lo.Lon}} {
		if !p.Contains(c) {
			return false
		}
	}
	for i := range p {
		if segmentMeetsBox(p[i], p[(i+1)%len(p)], lo, hi) {
			return false
		}
	}
	return true
}

// segmentMeetsBox reports whether the segment from a to b meets the closed
// box from lo to hi (Liang–Barsky clipping).
func segmentMeetsBox(a, b, lo, hi Point) bool {
	t0, t1 := 0.0, 1.0
	dLon, dLat := b.Lon-a.Lon, b.Lat-a.Lat
	for _, e := range [4][2]float64{{-dLon, a.Lon - lo.Lon}, {dLon, hi.Lon - a.Lon}, {-dLat, a.Lat - lo.Lat}, {dLat, hi.Lat - a.Lat}} {
		q, r := e[0], e[1] // the segment stays inside this side where q*t <= r
		switch {
		case q == 0:
			if r < 0 {
				return false // parallel to the side, and outside it
			}
		case q < 0:
			t0 = math.Max(t0, r/q)
		default:
			t1 = math.Min(t1, r/q)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}

// Bounds returns the bounding box (min, max).
func (p Polygon) Bounds() (min, max Point) {
	min, max = Point{90, 180}, Point{-90, -180}
	for _, q := range p {
		min.Lat, min.Lon = math.Min(min.Lat, q.Lat), math.Min(min.Lon, q.Lon)
		max.Lat, max.Lon = math.Max(max.Lat, q.Lat), math.Max(max.Lon, q.Lon)
	}
	return min, max
}

func segmentsCross(p1, p2, q1, q2 Point) bool {
	d := func(a, b, c Point) float64 { return (b.Lon-a.Lon)*(c.Lat-a.Lat) - (b.Lat-a.Lat)*(c.Lon-a.Lon) }
	d1, d2 := d(q1, q2, p1), d(q1, q2, p2)
	d3, d4 := d(p1, p2, q1), d(p1, p2, q2)
	return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))
}

// AuthorityFilter narrows an authority listing.
type AuthorityFilter struct {
	CaseID int64
	Status AuthorityStatus // stored status; empty for all
}
