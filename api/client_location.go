package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Analytics holds the parameters of a location or plate analysis beyond the
// read query: gap, tolerance, candidates, step1, plate (hotlist), fuzzy, tz,
// ... as docs/api.md and openapi.json list them per endpoint.
type Analytics map[string][]string

// Set sets one parameter (an empty value removes it).
func (a Analytics) Set(k, v string) Analytics {
	if v == "" {
		delete(a, k)
	} else {
		a[k] = []string{v}
	}
	return a
}

// SetID sets an id parameter (zero removes it).
func (a Analytics) SetID(k string, id int64) Analytics {
	if id == 0 {
		return a.Set(k, "")
	}
	return a.Set(k, strconv.FormatInt(id, 10))
}

func analyticsValues(q ReadQuery, a Analytics) url.Values {
	v := q.Values()
	for k, vs := range a {
		v[k] = append([]string(nil), vs...)
	}
	return v
}

// Analyse runs the analysis at /api/cases/{case}/{what} (e.g.
// "location/trajectory", "geofence/step1", "plates/convoy") and decodes its
// JSON result into out.
func (c *Client) Analyse(ctx context.Context, caseID int64, what string, q ReadQuery, a Analytics, out any) error {
	return c.do(ctx, http.MethodGet, fmt.Sprintf("/api/cases/%d/%s", caseID, what), analyticsValues(q, a), nil, out)
}

// AnalyseGeoJSON runs the analysis and returns its result as a GeoJSON
// FeatureCollection (format=geojson).
func (c *Client) AnalyseGeoJSON(ctx context.Context, caseID int64, what string, q ReadQuery, a Analytics) (json.RawMessage, error) {
	v := analyticsValues(q, a)
	v.Set("format", "geojson")
	var out json.RawMessage
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/cases/%d/%s", caseID, what), v, nil, &out)
	return out, err
}

// Trajectory is the path of the named devices.
func (c *Client) Trajectory(ctx context.Context, caseID int64, q ReadQuery, a Analytics) (*TrajectoryResult, error) {
	var out TrajectoryResult
	return &out, c.Analyse(ctx, caseID, "location/trajectory", q, a, &out)
}

// Stays are the stay points and frequent places of the named devices.
func (c *Client) Stays(ctx context.Context, caseID int64, q ReadQuery, a Analytics) (*StaysResult, error) {
	var out StaysResult
	return &out, c.Analyse(ctx, caseID, "location/stays", q, a, &out)
}

// HomeWork infers home and work of the named devices.
func (c *Client) HomeWork(ctx context.Context, caseID int64, q ReadQuery, a Analytics) (*HomeWorkResult, error) {
	var out HomeWorkResult
	return &out, c.Analyse(ctx, caseID, "location/homework", q, a, &out)
}

// CoLocation ranks devices met with the target (q's one device selector).
func (c *Client) CoLocation(ctx context.Context, caseID int64, q ReadQuery, a Analytics) (*CoLocationResult, error) {
	var out CoLocationResult
	return &out, c.Analyse(ctx, caseID, "location/colocation", q, a, &out)
}

// GeofenceStep1 is an area search under a geofence_step1 authority.
func (c *Client) GeofenceStep1(ctx context.Context, caseID int64, q ReadQuery) (*GeofenceStep1Result, error) {
	var out GeofenceStep1Result
	return &out, c.Analyse(ctx, caseID, "geofence/step1", q, nil, &out)
}

// GeofenceStep2 narrows to the tokens a geofence_step2 authority names.
func (c *Client) GeofenceStep2(ctx context.Context, caseID, step1 int64, q ReadQuery, a Analytics) (*GeofenceStep2Result, error) {
	var out GeofenceStep2Result
	if a == nil {
		a = Analytics{}
	}
	return &out, c.Analyse(ctx, caseID, "geofence/step2", q, a.SetID("step1", step1), &out)
}

// GeofenceStep3 identifies the tokens a geofence_step3 authority names.
func (c *Client) GeofenceStep3(ctx context.Context, caseID, step1 int64, q ReadQuery) (*GeofenceStep3Result, error) {
	var out GeofenceStep3Result
	return &out, c.Analyse(ctx, caseID, "geofence/step3", q, Analytics{}.SetID("step1", step1), &out)
}

// Sightings lists the reads of the named plates.
func (c *Client) Sightings(ctx context.Context, caseID int64, q ReadQuery) (*SightingsResult, error) {
	var out SightingsResult
	return &out, c.Analyse(ctx, caseID, "plates/sightings", q, nil, &out)
}

// Hotlist checks reads against a hotlist.
func (c *Client) Hotlist(ctx context.Context, caseID int64, q ReadQuery, plates []string, fuzzy bool) (*HotlistResult, error) {
	var out HotlistResult
	a := Analytics{"plate": plates}
	if fuzzy {
		a.Set("fuzzy", "true")
	}
	return &out, c.Analyse(ctx, caseID, "plates/hotlist", q, a, &out)
}

// Convoy lists plates travelling with the target (q's one plate selector).
func (c *Client) Convoy(ctx context.Context, caseID int64, q ReadQuery, a Analytics) (*ConvoyResult, error) {
	var out ConvoyResult
	return &out, c.Analyse(ctx, caseID, "plates/convoy", q, a, &out)
}
