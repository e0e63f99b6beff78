package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/geo"
	"github.com/writhq/writ/scope"
)

// Location and plate analytics. Every call reads its rows through the gate
// (s.gate.Read): the store reads under the grant, the geo function runs on
// those rows only, and the audit entry records how many rows were read.
//
// Location analytics of identified devices (trajectory, stays, home/work,
// co-location) need an authority that names the devices. An area search of
// locations (no devices named) returns pseudonymous tokens only, and only
// under a geofence_step1 authority: the three-step geofence process of
// DESIGN.md invariant 5, described in docs/geo.md.

// routeLocation registers the location and plate analytics endpoints.
// Without a configured secret (Config.GeoSecret, or one derived from the
// audit log's commit key), tokens are keyed by a random per-process secret:
// they then hold only until the server restarts, and steps 2 and 3 fail
// closed (no token maps back) for tokens of an earlier process.
func (s *Server) routeLocation() {
	if pk, ok := s.audit.(interface{ PseudonymKey(int64) []byte }); ok && len(s.cfg.GeoSecret) == 0 {
		// Derived from the audit log's secret commit key (authority 0 is
		// never a real authority), so tokens hold across restarts.
		s.cfg.GeoSecret = geo.AuthorityKey(pk.PseudonymKey(0), 0)
	}
	if len(s.cfg.GeoSecret) == 0 {
		s.cfg.GeoSecret = make([]byte, 32)
		if _, err := rand.Read(s.cfg.GeoSecret); err != nil {
			panic("api: no randomness for the geofence token secret: " + err.Error())
		}
	}
	s.authed("GET /api/cases/{id}/location/trajectory", s.handleTrajectory)
	s.authed("GET /api/cases/{id}/location/stays", s.handleStays)
	s.authed("GET /api/cases/{id}/location/homework", s.handleHomeWork)
	s.authed("GET /api/cases/{id}/location/colocation", s.handleCoLocation)
	s.authed("GET /api/cases/{id}/geofence/step1", s.handleGeofence1)
	s.authed("GET /api/cases/{id}/geofence/step2", s.handleGeofence2)
	s.authed("GET /api/cases/{id}/geofence/step3", s.handleGeofence3)
	s.authed("GET /api/cases/{id}/plates/sightings", s.handleSightings)
	s.authed("GET /api/cases/{id}/plates/hotlist", s.handleHotlist)
	s.authed("GET /api/cases/{id}/plates/convoy", s.handleConvoy)
}

// Result types. Times are RFC 3339 in UTC; coordinates WGS84 degrees.

// TrackPoint is one fix of a trajectory.
type TrackPoint struct {
	At  time.Time `json:"at"`
	Lat float64   `json:"lat"`
	Lon float64   `json:"lon"`
}

// Gap is a silence in a trajectory longer than the gap threshold.
type Gap struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// DeviceTrajectory is one device's path: segments split at gaps, each
// simplified. Device is a token in geofence step 2.
type DeviceTrajectory struct {
	Device   string         `json:"device"`
	Fixes    int            `json:"fixes"` // before simplification
	Segments [][]TrackPoint `json:"segments"`
	Gaps     []Gap          `json:"gaps"`
}

// TrajectoryResult answers a trajectory request.
type TrajectoryResult struct {
	Grant   GrantInfo          `json:"grant"`
	Devices []DeviceTrajectory `json:"devices"`
}

// StayPoint is a stay with the place it belongs to.
type StayPoint struct {
	Lat       float64   `json:"lat"`
	Lon       float64   `json:"lon"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Fixes     int       `json:"fixes"`
	Place     int       `json:"place"`
	DurationS int64     `json:"duration_s"`
}

// FrequentPlace is a cluster of stays, ranked by dwell.
type FrequentPlace struct {
	ID     int     `json:"id"`
	Lat    float64 `json:"lat"`
	Lon    float64 `json:"lon"`
	Stays  int     `json:"stays"`
	DwellS int64   `json:"dwell_s"`
	Days   int     `json:"days"`
}

// DeviceStays are one device's stays and frequent places.
type DeviceStays struct {
	Device string          `json:"device"`
	Stays  []StayPoint     `json:"stays"`
	Places []FrequentPlace `json:"places"`
}

// StaysResult answers a stays request.
type StaysResult struct {
	Grant   GrantInfo     `json:"grant"`
	Devices []DeviceStays `json:"devices"`
}

// Anchor is an inferred home or work place.
type Anchor struct {
	Lat        float64 `json:"lat"`
	Lon        float64 `json:"lon"`
	Place      int     `json:"place"`
	Hours      float64 `json:"hours"`
	Days       int     `json:"days"`
	Confidence float64 `json:"confidence"`
}

// DeviceHomeWork is one device's home and work (nil when not found).
type DeviceHomeWork struct {
	Device string          `json:"device"`
	Home   *Anchor         `json:"home,omitempty"`
	Work   *Anchor         `json:"work,omitempty"`
	Places []FrequentPlace `json:"places"`
}

// HomeWorkResult answers a home/work request.
type HomeWorkResult struct {
	Grant   GrantInfo        `json:"grant"`
	Devices []DeviceHomeWork `json:"devices"`
}

// CoLocated is a device met with the target. Device is a token (keyed to
// the candidates' geofence_step1 authority) when the candidates came from
// an area search.
type CoLocated struct {
	Device     string  `json:"device"`
	Encounters int     `json:"encounters"`
	Days       int     `json:"days"`
	Places     int     `json:"places"`
	Score      float64 `json:"score"`
}

// CoLocationResult answers a co-location request: the target's grant and the
// grant the candidates were read under.
type CoLocationResult struct {
	Grant           GrantInfo `json:"grant"`
	CandidatesGrant GrantInfo `json:"candidates_grant"`
	Target          string    `json:"target"`
	Pseudonymous    bool      `json:"pseudonymous"`
	// Exclude echoes the request's exclude; Excluded lists, for
	// exclude=homework, the target's inferred home and workplace, around
	// which (ExcludedRadiusM) its fixes were left out: none if neither was
	// found.
	Exclude         string          `json:"exclude,omitempty"`
	Excluded        []ExcludedPlace `json:"excluded,omitempty"`
	ExcludedRadiusM float64         `json:"excluded_radius_m,omitempty"`
	Devices         []CoLocated     `json:"devices"`
}

// ExcludedPlace is a place a co-location left out: the target's home or work.
type ExcludedPlace struct {
	Kind string `json:"kind"` // home or work
	Anchor
}

// TokenCount is one device of a geofence step-1 answer: its token and how
// many of its fixes fell in the area and window.
type TokenCount struct {
	Token string `json:"token"`
	Fixes int    `json:"fixes"`
}

// GeofenceStep1Result is an area search: tokens and counts, never devices.
type GeofenceStep1Result struct {
	Grant   GrantInfo    `json:"grant"`
	Devices int          `json:"devices"`
	Fixes   int          `json:"fixes"`
	Tokens  []TokenCount `json:"tokens"`
}

// GeofenceStep2Result narrows to chosen tokens over a wider window: their
// trajectories, still under tokens.
type GeofenceStep2Result struct {
	Grant  GrantInfo          `json:"grant"`
	Step1  int64              `json:"step1"`
	Tracks []DeviceTrajectory `json:"tracks"`
}

// Identified is a token revealed by step 3.
type Identified struct {
	Token  string `json:"token"`
	Device string `json:"device"`
	Fixes  int    `json:"fixes"`
}

// GeofenceStep3Result reveals the devices behind the tokens step 3 names.
type GeofenceStep3Result struct {
	Grant      GrantInfo    `json:"grant"`
	Step1      int64        `json:"step1"`
	Identified []Identified `json:"identified"`
}

// Sighting is one plate read.
type Sighting struct {
	Plate  string    `json:"plate"`
	Camera string    `json:"camera"`
	At     time.Time `json:"at"`
	Lat    float64   `json:"lat"`
	Lon    float64   `json:"lon"`
}

// SightingsResult answers a sightings request.
type SightingsResult struct {
	Grant     GrantInfo  `json:"grant"`
	Sightings []Sighting `json:"sightings"`
}

// HotlistHit is a read of a hotlist plate.
type HotlistHit struct {
	Entry string   `json:"entry"`
	Exact bool     `json:"exact"`
	Read  Sighting `json:"read"`
}

// HotlistResult answers a hotlist check, restricted to the grant's window.
type HotlistResult struct {
	Grant GrantInfo    `json:"grant"`
	Hits  []HotlistHit `json:"hits"`
}

// ConvoyPlate is a plate that travelled with the target.
type ConvoyPlate struct {
	Plate   string  `json:"plate"`
	Reads   int     `json:"reads"`
	Cameras int     `json:"cameras"`
	Trips   int     `json:"trips"`
	MeanGap float64 `json:"mean_gap_s"`
}

// ConvoyResult answers a convoy request.
type ConvoyResult struct {
	Grant           GrantInfo     `json:"grant"`
	CandidatesGrant GrantInfo     `json:"candidates_grant"`
	Target          string        `json:"target"`
	Convoys         []ConvoyPlate `json:"convoys"`
}

// analyticsQuery is a read query plus the analytics' own parameters.
type analyticsQuery struct {
	caseID  int64
	q       ReadQuery
	extra   url.Values
	geojson bool
}

// parseAnalytics splits the request's query into the read parameters (as
// the read endpoints take them) and the parameters named in extra; any
// other parameter is refused.
func (s *Server) parseAnalytics(r *http.Request, extra ...string) (*analyticsQuery, error) {
	caseID, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, writ.Errorf(writ.EInvalid, "bad query string (escape ';' as %%3B): %v", err)
	}
	aq := &analyticsQuery{caseID: caseID, extra: url.Values{}}
	for _, k := range append(extra, "format") {
		if vals, ok := v[k]; ok {
			aq.extra[k] = vals
			delete(v, k)
		}
	}
	switch f := aq.extra.Get("format"); f {
	case "", "json":
	case "geojson":
		aq.geojson = true
	default:
		return nil, writ.Errorf(writ.EInvalid, "format must be json or geojson, not %q", f)
	}
	if aq.q, err = parseReadQuery(v.Encode()); err != nil {
		return nil, err
	}
	if aq.q.Limit != 0 || aq.q.After != 0 {
		// An analysis reads every row under its grant; a page of it would
		// silently give another answer.
		return nil, writ.Errorf(writ.EInvalid, "limit and after do not apply: an analysis reads everything its grant covers")
	}
	if err := s.defaultWindow(r.Context(), &aq.q); err != nil {
		return nil, err
	}
	return aq, nil
}

func (aq *analyticsQuery) duration(name string, def time.Duration) (time.Duration, error) {
	s := aq.extra.Get(name)
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, writ.Errorf(writ.EInvalid, "%s must be a positive duration, e.g. 30m", name)
	}
	return d, nil
}

func (aq *analyticsQuery) float(name string, def float64) (float64, error) {
	s := aq.extra.Get(name)
	if s == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e6 {
		return 0, writ.Errorf(writ.EInvalid, "%s must be a number of metres", name)
	}
	return f, nil
}

// zone is the time zone named by parameter name; UTC if none.
func (aq *analyticsQuery) zone(name string) (*time.Location, error) {
	tz := aq.extra.Get(name)
	if tz == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, writ.Errorf(writ.EInvalid, "%s %q is not a time zone name", name, tz)
	}
	return loc, nil
}

func (aq *analyticsQuery) id(name string) (int64, error) {
	s := aq.extra.Get(name)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, writ.Errorf(writ.EInvalid, "%s must be an authority id", name)
	}
	return id, nil
}

func (aq *analyticsQuery) request(c *caller, cat writ.Category, action string) scope.Request {
	q := aq.q
	return scope.Request{UserID: c.user.ID, CaseID: aq.caseID, AuthorityID: q.AuthorityID, Category: cat,
		Selectors: q.Selectors, From: q.From, To: q.To, Area: q.Area, Purpose: q.Purpose, Action: action}
}

// Rules of the analytics beyond the gate's. Each refusal is a 403 with the
// rule and is in the audit log.
const (
	// ruleGeofenceStep: a geofence step run under an authority of another
	// kind, or location analytics run under a geofence authority.
	ruleGeofenceStep = "geofence_step"
	// ruleAreaTokens: location analytics of identified devices under an
	// authority that names no devices (an area search returns tokens only).
	ruleAreaTokens = "area_tokens"
	// ruleGeofenceChain: step 2 or 3 names a step-1 authority that is not a
	// geofence_step1 authority of the same case.
	ruleGeofenceChain = "geofence_chain"
)

// precheck refuses, and audits, a read whose authority is of the wrong kind
// for the analysis. want is the geofence step's kind, or "" for analytics
// of named selectors. It judges only requests the gate would otherwise
// consider (the authority exists, is the case's, and the user is on its
// roster); the gate denies and audits the rest, so a refusal here reveals
// nothing to an outsider.
func (s *Server) precheck(ctx context.Context, c *caller, req scope.Request, want writ.AuthorityKind) error {
	a, err := s.store.AuthorityByID(ctx, req.AuthorityID)
	if writ.ErrorKind(err) == writ.ENotFound {
		return nil
	} else if err != nil {
		return err
	}
	if a.CaseID != req.CaseID {
		return nil
	}
	if _, err := s.store.RosterRole(ctx, req.CaseID, c.user.ID); writ.ErrorKind(err) == writ.ENotFound {
		return nil
	} else if err != nil {
		return err
	}
	var deny error
	geofence := a.Kind == writ.KindGeofence1 || a.Kind == writ.KindGeofence2 || a.Kind == writ.KindGeofence3
	switch {
	case want != "" && a.Kind != want:
		deny = writ.Deny(ruleGeofenceStep, "%s needs its own %s authority; authority %d is a %s",
			req.Action, want, a.ID, a.Kind)
	case want == "" && geofence && req.Category == writ.CatLocation:
		deny = writ.Deny(ruleGeofenceStep, "authority %d is a %s: geofence authorities are read only through the geofence steps",
			a.ID, a.Kind)
	case want == "" && req.Category == writ.CatLocation && a.Covers(writ.CatLocation) && len(req.Selectors) == 0 && !namesKind(a, writ.SelDevice):
		deny = writ.Deny(ruleAreaTokens, "authority %d names no devices: an area search returns pseudonymous tokens only (geofence step 1)", a.ID)
	}
	if deny == nil {
		return nil
	}
	return s.auditDenial(ctx, c, req, deny)
}

func namesKind(a *writ.Authority, k writ.SelectorKind) bool {
	return slices.ContainsFunc(a.Selectors, func(s writ.Selector) bool { return s.Kind == k })
}

// auditDenial records a refusal as the gate records its denials, and
// returns it (or an internal error if the log cannot be written).
func (s *Server) auditDenial(ctx context.Context, c *caller, req scope.Request, deny error) error {
	return s.gate.Deny(ctx, req, c.user.Username, deny)
}

// maxAnalysisRows bounds the rows one analysis reads; a larger grant must be
// narrowed (window, selectors) rather than exhaust the server's memory.
const maxAnalysisRows = 2_000_000

// eachPage reads every page of a read under one grant and hands each to fn,
// refusing a grant that covers more than maxAnalysisRows rows.
func eachPage[T any](ctx context.Context, g *writ.Grant, read readFunc[T], idOf func(T) int64, fn func([]T)) (int, error) {
	eq := writ.EventQuery{Limit: writ.MaxLimit}
	n := 0
	for {
		rows, err := read(ctx, g, eq)
		if err != nil {
			return n, err
		}
		fn(rows)
		n += len(rows)
		if len(rows) < eq.Limit {
			return n, nil
		}
		if n >= maxAnalysisRows {
			return n, writ.Errorf(writ.EInvalid, "more than %d rows under this grant: narrow the window or the selectors", maxAnalysisRows)
		}
		eq.AfterID = idOf(rows[len(rows)-1])
	}
}

// readAll reads every page of a read under one grant.
func readAll[T any](ctx context.Context, g *writ.Grant, read readFunc[T], idOf func(T) int64) ([]T, error) {
	var all []T
	_, err := eachPage(ctx, g, read, idOf, func(rows []T) {
		if all == nil { // one page, most reads: no copy
			all = rows
			return
		}
		all = append(all, rows...)
	})
	return all, err
}

func pingID(p writ.Ping) int64      { return p.ID }
func readID(p writ.PlateRead) int64 { return p.ID }

// readPings runs one gated read of pings and returns them with the grant.
func (s *Server) readPings(ctx context.Context, gate *scope.Gate, req scope.Request) ([]writ.Ping, *writ.Grant, error) {
	var (
		rows  []writ.Ping
		grant *writ.Grant
	)
	err := gate.Read(ctx, req, func(g *writ.Grant) (int, error) {
		grant = g
		var err error
		rows, err = readAll(ctx, g, s.store.Pings, pingID)
		return len(rows), err
	})
	return rows, grant, err
}

// readPingsNear reads, in one gated and audited read, the pings near a
// track that the request's grant covers (writ.NearQuery), passing them to
// receivers newReceiver makes (writ.EventStore.PingsNear).
func (s *Server) readPingsNear(ctx context.Context, req scope.Request, q writ.NearQuery, newReceiver func() func(*writ.NearPing) error) (*writ.Grant, error) {
	var grant *writ.Grant
	err := s.gate.Read(ctx, req, func(g *writ.Grant) (int, error) {
		grant = g
		return s.store.PingsNear(ctx, g, q, newReceiver)
	})
	return grant, err
}

func (s *Server) readPlates(ctx context.Context, req scope.Request) ([]writ.PlateRead, *writ.Grant, error) {
	var (
		rows  []writ.PlateRead
		grant *writ.Grant
	)
	err := s.gate.Read(ctx, req, func(g *writ.Grant) (int, error) {
		grant = g
		var err error
		rows, err = readAll(ctx, g, s.store.PlateReads, readID)
		return len(rows), err
	})
	return rows, grant, err
}

// namedPings reads the pings of named devices for location analytics.
func (s *Server) namedPings(r *http.Request, c *caller, aq *analyticsQuery, action string) ([]geo.Track, *writ.Grant, error) {
	ctx := r.Context()
	req := aq.request(c, writ.CatLocation, action)
	if err := s.precheck(ctx, c, req, ""); err != nil {
		return nil, nil, err
	}
	var (
		tracks geo.TrackBuilder
		grant  *writ.Grant
	)
	// The fixes alone: analytics return no provenance, and building it
	// for a month of a device's pings cost more than reading them.
	err := s.gate.Read(ctx, req, func(g *writ.Grant) (int, error) {
		grant = g
		return s.store.PingFixes(ctx, g, writ.EventQuery{}, func(p *writ.NearPing) error {
			tracks.Add(p)
			return nil
		})
	})
	if err != nil {
		return nil, nil, err
	}
	return tracks.Tracks(), grant, nil
}

func trajectoryOf(device string, fs []geo.Fix, o geo.TrajectoryOptions) (DeviceTrajectory, geo.Feature) {
	tr := geo.Path(fs, o)
	dt := DeviceTrajectory{Device: device, Fixes: tr.Fixes, Segments: [][]TrackPoint{}, Gaps: []Gap{}}
	for _, seg := range tr.Segments {
		pts := make([]TrackPoint, len(seg))
		for i, f := range seg {
			pts[i] = TrackPoint{At: f.Time(), Lat: f.Lat, Lon: f.Lon}
		}
		dt.Segments = append(dt.Segments, pts)
	}
	for _, g := range tr.Gaps {
		dt.Gaps = append(dt.Gaps, Gap{From: time.Unix(g.From, 0).UTC(), To: time.Unix(g.To, 0).UTC()})
	}
	return dt, geo.TrajectoryFeature(device, tr)
}

func trajectoryOptions(aq *analyticsQuery) (geo.TrajectoryOptions, error) {
	var o geo.TrajectoryOptions
	var err error
	if o.MaxGap, err = aq.duration("gap", 30*time.Minute); err != nil {
		return o, err
	}
	o.ToleranceM, err = aq.float("tolerance", 0)
	return o, err
}

// writeResult writes v, or the features as a GeoJSON FeatureCollection.
func writeResult(w http.ResponseWriter, aq *analyticsQuery, v any, features []geo.Feature) {
	if aq.geojson {
		w.Header().Set("Content-Type", "application/geo+json")
		w.WriteHeader(http.StatusOK)
		json.NewEncoder(w).Encode(geo.Collection(features...)) // a failed write means the client went away
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleTrajectory(w http.ResponseWriter, r *http.Request, c *caller) error {
	aq, err := s.parseAnalytics(r, "gap", "tolerance")
	if err != nil {
		return err
	}
	o, err := trajectoryOptions(aq)
	if err != nil {
		return err
	}
	tracks, grant, err := s.namedPings(r, c, aq, "location.trajectory")
	if err != nil {
		return err
	}
	res := TrajectoryResult{Grant: grantInfo(grant), Devices: []DeviceTrajectory{}}
	var fs []geo.Feature
	for _, t := range tracks {
		dt, f := trajectoryOf(t.Device, t.Fixes, o)
		res.Devices = append(res.Devices, dt)
		fs = append(fs, f)
	}
	writeResult(w, aq, res, fs)
	return nil
}

func stayOptions(aq *analyticsQuery, defGap time.Duration) (geo.StayOptions, float64, error) {
	var o geo.StayOptions
	var err error
	if o.DistM, err = aq.float("dist", 100); err != nil {
		return o, 0, err
	}
	if o.MinDur, err = aq.duration("min", 5*time.Minute); err != nil {
		return o, 0, err
	}
	if o.MaxGap, err = aq.duration("gap", defGap); err != nil {
		return o, 0, err
	}
	eps, err := aq.float("eps", 50)
	return o, eps, err
}

// homeStayOptions are the stay settings of home and work inference
// (geo.HomeStays: stays broken only at 3 h silences, as a stationary
// device reports rarely), as the request tunes them.
func homeStayOptions(aq *analyticsQuery) (geo.StayOptions, float64, error) {
	h := geo.HomeStays()
	o, eps, err := stayOptions(aq, h.MaxGap)
	o.IncludeLast = h.IncludeLast
	return o, eps, err
}

// homeWorkParams tune home and work inference: location/homework's, and
// co-location's exclude=homework.
var homeWorkParams = []string{"tz", "gap", "dist", "min", "eps"}

func placesOf(places []geo.Place) []FrequentPlace {
	out := make([]FrequentPlace, len(places))
	for i, p := range places {
		out[i] = FrequentPlace{ID: p.ID, Lat: p.Lat, Lon: p.Lon, Stays: len(p.Stays),
			DwellS: int64(p.Dwell / time.Second), Days: p.Days}
	}
	return out
}

func withDevice(fs []geo.Feature, device string) []geo.Feature {
	for i := range fs {
		fs[i].Properties["device"] = device
	}
	return fs
}

func (s *Server) handleStays(w http.ResponseWriter, r *http.Request, c *caller) error {
	aq, err := s.parseAnalytics(r, "dist", "min", "gap", "eps")
	if err != nil {
		return err
	}
	o, eps, err := stayOptions(aq, 15*time.Minute)
	if err != nil {
		return err
	}
	tracks, grant, err := s.namedPings(r, c, aq, "location.stays")
	if err != nil {
		return err
	}
	res := StaysResult{Grant: grantInfo(grant), Devices: []DeviceStays{}}
	var fs []geo.Feature
	for _, t := range tracks {
		stays := geo.StayPoints(t.Fixes, o)
		places, labels := geo.Places(stays, eps, 1)
		ds := DeviceStays{Device: t.Device, Stays: []StayPoint{}, Places: placesOf(places)}
		for i, st := range stays {
			ds.Stays = append(ds.Stays, StayPoint{Lat: st.Lat, Lon: st.Lon, Start: time.Unix(st.Start, 0).UTC(),
				End: time.Unix(st.End, 0).UTC(), Fixes: st.N, Place: labels[i], DurationS: st.End - st.Start})
		}
		res.Devices = append(res.Devices, ds)
		fs = append(fs, withDevice(geo.StayFeatures(stays, labels), t.Device)...)
		fs = append(fs, withDevice(geo.PlaceFeatures(places, nil, nil), t.Device)...)
	}
	writeResult(w, aq, res, fs)
	return nil
}

func anchorOf(a *geo.Anchor) *Anchor {
	if a == nil {
		return nil
	}
	return &Anchor{Lat: a.Lat, Lon: a.Lon, Place: a.Place, Hours: a.Hours, Days: a.Days, Confidence: a.Confidence}
}

func (s *Server) handleHomeWork(w http.ResponseWriter, r *http.Request, c *caller) error {
	aq, err := s.parseAnalytics(r, homeWorkParams...)
	if err != nil {
		return err
	}
	o, eps, err := homeStayOptions(aq)
	if err != nil {
		return err
	}
	hw := geo.HomeWorkOptions{}
	if hw.Loc, err = aq.zone("tz"); err != nil {
		return err
	}
	tracks, grant, err := s.namedPings(r, c, aq, "location.homework")
	if err != nil {
		return err
	}
	res := HomeWorkResult{Grant: grantInfo(grant), Devices: []DeviceHomeWork{}}
	var fs []geo.Feature
	for _, t := range tracks {
		places, home, work := geo.InferHomeWork(t.Fixes, o, eps, hw)
		res.Devices = append(res.Devices, DeviceHomeWork{Device: t.Device, Home: anchorOf(home),
			Work: anchorOf(work), Places: placesOf(places)})
		fs = append(fs, withDevice(geo.PlaceFeatures(places, home, work), t.Device)...)
	}
	writeResult(w, aq, res, fs)
	return nil
}

// handleCoLocation ranks the devices met with a target device. The target's
// fixes are read under the request's authority, which must name it. The
// candidates are read in a second gated read: without candidates=ID, the
// other devices the same authority names (identified, as it names them);
// with candidates=ID, an area search under that geofence_step1 authority,
// whose devices come back as its pseudonymous tokens (identify them through
// steps 2 and 3 with step1=ID).
func (s *Server) handleCoLocation(w http.ResponseWriter, r *http.Request, c *caller) error {
	aq, err := s.parseAnalytics(r, append([]string{"candidates", "radius", "within", "exclude"}, homeWorkParams...)...)
	if err != nil {
		return err
	}
	if len(aq.q.Selectors) != 1 {
		return writ.Errorf(writ.EInvalid, "name the one target device: selector=device:ID")
	}
	exclude := aq.extra.Get("exclude")
	if exclude != "" && exclude != "homework" {
		return writ.Errorf(writ.EInvalid, "exclude=%q: the one exclusion is exclude=homework (the target's own home and workplace)", exclude)
	}
	// exclude=homework finds the home and workplace as location/homework
	// does, with the same settings, so what it showed is what is left out.
	if exclude == "" {
		for _, k := range homeWorkParams {
			if aq.extra.Has(k) {
				return writ.Errorf(writ.EInvalid, "%s tunes the home and work inference of exclude=homework; without it, leave %s out", k, k)
			}
		}
	}
	stays, eps, err := homeStayOptions(aq)
	if err != nil {
		return err
	}
	hw := geo.HomeWorkOptions{}
	if hw.Loc, err = aq.zone("tz"); err != nil {
		return err
	}
	candID, err := aq.id("candidates")
	if err != nil {
		return err
	}
	o := geo.CoLocOptions{}
	if o.RadiusM, err = aq.float("radius", 100); err != nil {
		return err
	}
	if o.Within, err = aq.duration("within", 10*time.Minute); err != nil {
		return err
	}
	ctx := r.Context()
	target := aq.q.Selectors[0].Value
	tracks, grant, err := s.namedPings(r, c, aq, "location.colocation.target")
	if err != nil {
		return err
	}
	var tfix []geo.Fix
	for _, t := range tracks {
		if t.Device == target {
			tfix = t.Fixes
		}
	}
	// The candidates: the same window, under the candidates' authority.
	creq := aq.request(c, writ.CatLocation, "location.colocation.candidates")
	creq.Selectors = nil
	pseudo := candID > 0
	var key []byte
	if pseudo {
		creq.AuthorityID = candID
		creq.Area = nil
		if err := s.precheck(ctx, c, creq, writ.KindGeofence1); err != nil {
			return err
		}
		key = geo.AuthorityKey(s.cfg.GeoSecret, candID)
	} else if err := s.precheck(ctx, c, creq, ""); err != nil {
		return err
	}
	// Meeting the household at home or colleagues at work is explained;
	// with exclude=homework the target's fixes there are left out.
	var excluded []ExcludedPlace
	var fs []geo.Feature
	if exclude == "homework" {
		var home, work *geo.Anchor
		o.Exclude, home, work = geo.HomeWorkAreas(tfix, stays, eps, hw) // the home's disc first, if found
		for _, x := range []struct {
			kind string
			a    *geo.Anchor
		}{{"home", home}, {"work", work}} {
			if x.a != nil {
				fs = append(fs, geo.AreaFeature(o.Exclude[len(excluded)], map[string]any{"kind": "excluded", "place": x.kind}))
				excluded = append(excluded, ExcludedPlace{Kind: x.kind, Anchor: *anchorOf(x.a)})
			}
		}
	}
	// Only the pings near the target's fixes are read: over a city and a
	// month, the whole area search would be most of the data.
	coloc := geo.NewCoLocator(tfix, target, o)
	cgrant, err := s.readPingsNear(ctx, creq, coloc.Query(), coloc.Receiver)
	if err != nil {
		return err
	}
	res := CoLocationResult{Grant: grantInfo(grant), CandidatesGrant: grantInfo(cgrant), Target: target,
		Pseudonymous: pseudo, Exclude: exclude, Excluded: excluded, Devices: []CoLocated{}}
	if excluded != nil {
		res.ExcludedRadiusM = geo.HomeWorkRadiusM
	}
	for _, m := range coloc.Result() {
		d := m.Device
		if pseudo {
			d = geo.Token(key, d)
		}
		res.Devices = append(res.Devices, CoLocated{Device: d, Encounters: m.Encounters, Days: m.Days,
			Places: m.Places, Score: m.Score})
	}
	// GeoJSON: the target's trajectory (the candidates' tracks are not
	// returned, only their ranking).
	_, f := trajectoryOf(target, tfix, geo.TrajectoryOptions{})
	fs = append(fs, f)
	writeResult(w, aq, res, fs)
	return nil
}

// The three-step geofence process.

// step1Tracks runs the area search of a geofence_step1 authority: every
// device with fixes in its area and window.
func (s *Server) step1Tracks(ctx context.Context, c *caller, req scope.Request) ([]geo.Track, *writ.Grant, error) {
	req.Selectors = nil
	if err := s.precheck(ctx, c, req, writ.KindGeofence1); err != nil {
		return nil, nil, err
	}
	rows, grant, err := s.readPings(ctx, s.gate, req)
	if err != nil {
		return nil, nil, err
	}
	if grant.AuthorityKind() != writ.KindGeofence1 { // the authority changed under us
		return nil, nil, writ.Deny(ruleGeofenceStep, "authority %d is not a geofence_step1 authority", req.AuthorityID)
	}
	return geo.Fixes(rows), grant, nil
}

func (s *Server) handleGeofence1(w http.ResponseWriter, r *http.Request, c *caller) error {
	aq, err := s.parseAnalytics(r)
	if err != nil {
		return err
	}
	if len(aq.q.Selectors) > 0 {
		return writ.Errorf(writ.EInvalid, "step 1 is an area search: give an area and a window, not selectors")
	}
	tracks, grant, err := s.step1Tracks(r.Context(), c, aq.request(c, writ.CatLocation, "geofence.step1"))
	if err != nil {
		return err
	}
	key := geo.AuthorityKey(s.cfg.GeoSecret, grant.AuthorityID())
	res := GeofenceStep1Result{Grant: grantInfo(grant), Devices: len(tracks), Tokens: []TokenCount{}}
	for _, t := range tracks {
		res.Fixes += len(t.Fixes)
		res.Tokens = append(res.Tokens, TokenCount{Token: geo.Token(key, t.Device), Fixes: len(t.Fixes)})
	}
	slices.SortFunc(res.Tokens, func(a, b TokenCount) int { return strings.Compare(a.Token, b.Token) })
	// GeoJSON: only the searched area, with the counts; never a device's fix.
	area := grant.Area()
	fs := []geo.Feature{geo.AreaFeature(geo.NewPoly(area), map[string]any{"kind": "geofence",
		"devices": res.Devices, "fixes": res.Fixes, "from": grant.From(), "to": grant.To()})}
	writeResult(w, aq, res, fs)
	return nil
}

// tokenGateStore shows the gate one step-2 or step-3 authority with the
// tokens it names replaced by the devices behind them, so that the gate
// checks the request against what the authority names and mints a grant of
// real devices, which the store puts in its WHERE clause. The devices never
// leave the server (step 2) or leave it only for the tokens step 3 names.
type tokenGateStore struct {
	scope.GateStore
	authorityID int64
	toDevice    map[string]string
}

func (t tokenGateStore) AuthorityByID(ctx context.Context, id int64) (*writ.Authority, error) {
	a, err := t.GateStore.AuthorityByID(ctx, id)
	if err != nil || id != t.authorityID {
		return a, err
	}
	cp := *a
	cp.Selectors = make([]writ.Selector, len(a.Selectors))
	for i, sel := range a.Selectors {
		if d, ok := t.toDevice[sel.Value]; ok && sel.Kind == writ.SelDevice {
			sel.Value = d
		}
		cp.Selectors[i] = sel
	}
	return &cp, nil
}

// laterStep runs step 2 or 3: it checks the step's own authority kind and
// the step-1 authority, repeats the step-1 area search (audited) to map its
// tokens back to devices, and reads the named tokens' pings through a gate
// that sees the step's authority with those devices in place of the tokens.
func (s *Server) laterStep(r *http.Request, c *caller, aq *analyticsQuery, kind writ.AuthorityKind, action string) (
	rows []writ.Ping, grant *writ.Grant, step1 int64, toToken map[string]string, err error) {
	ctx := r.Context()
	req := aq.request(c, writ.CatLocation, action)
	if err = s.precheck(ctx, c, req, kind); err != nil {
		return
	}
	if step1, err = aq.id("step1"); err != nil {
		return
	}
	if step1 == 0 {
		err = writ.Errorf(writ.EInvalid, "name the step-1 authority whose tokens this step uses: step1=ID")
		return
	}
	a1, aerr := s.store.AuthorityByID(ctx, step1)
	if aerr != nil && writ.ErrorKind(aerr) != writ.ENotFound {
		return nil, nil, 0, nil, aerr
	}
	if aerr != nil || a1.CaseID != aq.caseID || a1.Kind != writ.KindGeofence1 {
		err = s.auditDenial(ctx, c, req, writ.Deny(ruleGeofenceChain,
			"authority %d is not a geofence_step1 authority of case %d", step1, aq.caseID))
		return
	}
	// Step 1 again, over its whole area and window, to map tokens.
	mreq := scope.Request{UserID: c.user.ID, CaseID: aq.caseID, AuthorityID: step1, Category: writ.CatLocation,
		From: a1.WindowStart, To: a1.WindowEnd, Purpose: aq.q.Purpose, Action: action + ".tokens"}
	tracks, _, err := s.step1Tracks(ctx, c, mreq)
	if err != nil {
		return
	}
	devices := make([]string, len(tracks))
	for i, t := range tracks {
		devices[i] = t.Device
	}
	toToken, toDevice := geo.Tokens(geo.AuthorityKey(s.cfg.GeoSecret, step1), devices)
	// The request names tokens; the gate sees devices.
	for i, sel := range req.Selectors {
		if d, ok := toDevice[sel.Value]; ok {
			req.Selectors[i].Value = d
		}
	}
	gate := scope.New(tokenGateStore{GateStore: s.store, authorityID: req.AuthorityID, toDevice: toDevice}, s.audit)
	rows, grant, err = s.readPings(ctx, gate, req)
	if err != nil {
		return
	}
	// Only devices of the step-1 answer are ever returned.
	kept := rows[:0]
	for _, p := range rows {
		if _, ok := toToken[p.Device]; ok {
			kept = append(kept, p)
		}
	}
	return kept, grant, step1, toToken, nil
}

// tokenGrantInfo describes a step-2/3 grant with its device selectors shown
// as their tokens.
func tokenGrantInfo(g *writ.Grant, toToken map[string]string) GrantInfo {
	gi := grantInfo(g)
	for i, sel := range gi.Selectors {
		if t, ok := toToken[sel.Value]; ok {
			gi.Selectors[i].Value = t
		}
	}
	return gi
}

func (s *Server) handleGeofence2(w http.ResponseWriter, r *http.Request, c *caller) error {
	aq, err := s.parseAnalytics(r, "step1", "gap", "tolerance")
	if err != nil {
		return err
	}
	o, err := trajectoryOptions(aq)
	if err != nil {
		return err
	}
	rows, grant, step1, toToken, err := s.laterStep(r, c, aq, writ.KindGeofence2, "geofence.step2")
	if err != nil {
		return err
	}
	res := GeofenceStep2Result{Grant: tokenGrantInfo(grant, toToken), Step1: step1, Tracks: []DeviceTrajectory{}}
	var fs []geo.Feature
	for _, t := range geo.Fixes(rows) {
		dt, f := trajectoryOf(toToken[t.Device], t.Fixes, o)
		res.Tracks = append(res.Tracks, dt)
		fs = append(fs, f)
	}
	slices.SortFunc(res.Tracks, func(a, b DeviceTrajectory) int { return strings.Compare(a.Device, b.Device) })
	writeResult(w, aq, res, fs)
	return nil
}

func (s *Server) handleGeofence3(w http.ResponseWriter, r *http.Request, c *caller) error {
	aq, err := s.parseAnalytics(r, "step1")
	if err != nil {
		return err
	}
	rows, grant, step1, toToken, err := s.laterStep(r, c, aq, writ.KindGeofence3, "geofence.step3")
	if err != nil {
		return err
	}
	res := GeofenceStep3Result{Grant: tokenGrantInfo(grant, toToken), Step1: step1, Identified: []Identified{}}
	var fs []geo.Feature
	for _, t := range geo.Fixes(rows) {
		res.Identified = append(res.Identified, Identified{Token: toToken[t.Device], Device: t.Device, Fixes: len(t.Fixes)})
		_, f := trajectoryOf(t.Device, t.Fixes, geo.TrajectoryOptions{})
		f.Properties["token"] = toToken[t.Device]
		fs = append(fs, f)
	}
	slices.SortFunc(res.Identified, func(a, b Identified) int { return strings.Compare(a.Token, b.Token) })
	writeResult(w, aq, res, fs)
	return nil
}

// Plates.

func sightingOf(r geo.Read) Sighting {
	return Sighting{Plate: r.Plate, Camera: r.Camera, At: time.Unix(r.T, 0).UTC(), Lat: r.Lat, Lon: r.Lon}
}

func pointFeature(s Sighting, props map[string]any) geo.Feature {
	if props == nil {
		props = map[string]any{}
	}
	props["plate"], props["camera"], props["at"] = s.Plate, s.Camera, s.At.Format(time.RFC3339)
	return geo.Feature{Type: "Feature", Geometry: geo.Geometry{Type: "Point",
		Coordinates: []float64{round7(s.Lon), round7(s.Lat)}}, Properties: props}
}

// ceilUnix is t in unix seconds, rounded up: the geo functions' windows
// are [from, to) in whole seconds.
func ceilUnix(t time.Time) int64 {
	if t.Nanosecond() > 0 {
		return t.Unix() + 1
	}
	return t.Unix()
}

func round7(v float64) float64 { return float64(int64(v*1e7+copysignHalf(v))) / 1e7 }

func copysignHalf(v float64) float64 {
	if v < 0 {
		return -0.5
	}
	return 0.5
}

func (s *Server) handleSightings(w http.ResponseWriter, r *http.Request, c *caller) error {
	aq, err := s.parseAnalytics(r)
	if err != nil {
		return err
	}
	rows, grant, err := s.readPlates(r.Context(), aq.request(c, writ.CatPlates, "plates.sightings"))
	if err != nil {
		return err
	}
	reads := geo.Reads(rows)
	res := SightingsResult{Grant: grantInfo(grant), Sightings: []Sighting{}}
	var fs []geo.Feature
	for _, p := range grant.SelectorValues(writ.SelPlate) {
		for _, rd := range geo.Sightings(reads, p, grant.From().Unix(), ceilUnix(grant.To())) {
			sg := sightingOf(rd)
			res.Sightings = append(res.Sightings, sg)
			fs = append(fs, pointFeature(sg, nil))
		}
	}
	writeResult(w, aq, res, fs)
	return nil
}

// handleHotlist checks reads against a hotlist (plate=P, repeatable), only
// inside the grant's window: an area authority's reads, or the plates it
// names. Only hits are returned.
func (s *Server) handleHotlist(w http.ResponseWriter, r *http.Request, c *caller) error {
	aq, err := s.parseAnalytics(r, "plate", "fuzzy")
	if err != nil {
		return err
	}
	var list []string
	for _, p := range aq.extra["plate"] {
		if n := writ.NormalizePlate(p); n != "" {
			list = append(list, n)
		}
	}
	if len(list) == 0 {
		return writ.Errorf(writ.EInvalid, "give the hotlist: plate=P (repeatable)")
	}
	fuzzy := aq.extra.Get("fuzzy") == "true" || aq.extra.Get("fuzzy") == "1"
	rows, grant, err := s.readPlates(r.Context(), aq.request(c, writ.CatPlates, "plates.hotlist"))
	if err != nil {
		return err
	}
	res := HotlistResult{Grant: grantInfo(grant), Hits: []HotlistHit{}}
	var fs []geo.Feature
	for _, h := range geo.Hotlist(geo.Reads(rows), list, grant.From().Unix(), ceilUnix(grant.To()), fuzzy) {
		sg := sightingOf(h.Read)
		res.Hits = append(res.Hits, HotlistHit{Entry: h.Entry, Exact: h.Exact, Read: sg})
		fs = append(fs, pointFeature(sg, map[string]any{"entry": h.Entry, "exact": h.Exact}))
	}
	writeResult(w, aq, res, fs)
	return nil
}

// handleConvoy lists plates travelling with a target plate. The target's
// reads come under the request's authority; the other plates' reads under
// candidates=ID (an area authority for plates) or, without it, the other
// plates the same authority names.
func (s *Server) handleConvoy(w http.ResponseWriter, r *http.Request, c *caller) error {
	aq, err := s.parseAnalytics(r, "candidates", "within")
	if err != nil {
		return err
	}
	if len(aq.q.Selectors) != 1 {
		return writ.Errorf(writ.EInvalid, "name the one target plate: selector=plate:P")
	}
	candID, err := aq.id("candidates")
	if err != nil {
		return err
	}
	within, err := aq.duration("within", time.Minute)
	if err != nil {
		return err
	}
	ctx := r.Context()
	target := aq.q.Selectors[0].Value
	trows, grant, err := s.readPlates(ctx, aq.request(c, writ.CatPlates, "plates.convoy.target"))
	if err != nil {
		return err
	}
	creq := aq.request(c, writ.CatPlates, "plates.convoy.candidates")
	creq.Selectors = nil
	if candID > 0 {
		creq.AuthorityID, creq.Area = candID, nil
	}
	crows, cgrant, err := s.readPlates(ctx, creq)
	if err != nil {
		return err
	}
	// An area candidates' read holds the target's reads too: count each once.
	seen := map[int64]bool{}
	var rows []writ.PlateRead
	for _, rd := range append(trows, crows...) {
		if !seen[rd.ID] {
			seen[rd.ID] = true
			rows = append(rows, rd)
		}
	}
	all := geo.Reads(rows)
	res := ConvoyResult{Grant: grantInfo(grant), CandidatesGrant: grantInfo(cgrant), Target: target, Convoys: []ConvoyPlate{}}
	var fs []geo.Feature
	listed := map[string]bool{}
	for _, cv := range geo.Convoys(all, target, geo.ConvoyOptions{Within: int64(within / time.Second)}) {
		res.Convoys = append(res.Convoys, ConvoyPlate{Plate: cv.Plate, Reads: cv.Reads, Cameras: cv.Cameras,
			Trips: cv.Trips, MeanGap: cv.MeanGap})
		listed[cv.Plate] = true
	}
	for _, rd := range all {
		if rd.Plate == target || listed[rd.Plate] {
			fs = append(fs, pointFeature(sightingOf(rd), map[string]any{"target": rd.Plate == target}))
		}
	}
	writeResult(w, aq, res, fs)
	return nil
}

// geoToken is the token of device under a step-1 authority.
func geoToken(secret []byte, authorityID int64, device string) string {
	return geo.Token(geo.AuthorityKey(secret, authorityID), device)
}
