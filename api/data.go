package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
)

// Reads of case data. Each one goes through the scope gate, which decides,
// audits, and hands the store a grant to clip its query to; rows are sent
// only after the gate has durably recorded the read.

func (s *Server) handleContacts(w http.ResponseWriter, r *http.Request, c *caller) error {
	return serveRead(s, w, r, c, writ.CatComms, "read.contacts", s.store.Contacts, func(x writ.Contact) int64 { return x.ID })
}

func (s *Server) handlePings(w http.ResponseWriter, r *http.Request, c *caller) error {
	return serveRead(s, w, r, c, writ.CatLocation, "read.pings", s.store.Pings, func(x writ.Ping) int64 { return x.ID })
}

func (s *Server) handlePlateReads(w http.ResponseWriter, r *http.Request, c *caller) error {
	return serveRead(s, w, r, c, writ.CatPlates, "read.plate_reads", s.store.PlateReads, func(x writ.PlateRead) int64 { return x.ID })
}

func (s *Server) handleRecords(w http.ResponseWriter, r *http.Request, c *caller) error {
	return serveRead(s, w, r, c, writ.CatRecords, "read.records", s.store.Records, func(x writ.Record) int64 { return x.ID })
}

type readFunc[T any] func(context.Context, *writ.Grant, writ.EventQuery) ([]T, error)

func serveRead[T any](s *Server, w http.ResponseWriter, r *http.Request, c *caller,
	cat writ.Category, action string, read readFunc[T], idOf func(T) int64) error {
	caseID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, err := parseReadQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.defaultWindow(ctx, &q); err != nil {
		return err
	}
	req := scope.Request{UserID: c.user.ID, CaseID: caseID, AuthorityID: q.AuthorityID, Category: cat,
		Selectors: q.Selectors, From: q.From, To: q.To, Area: q.Area, Purpose: q.Purpose, Action: action}
	if cat == writ.CatLocation {
		// Invariant 5: raw pings only of devices an authority names. A geofence
		// or area-only authority is read through the geofence steps, which
		// return pseudonymous tokens first.
		if err := s.precheck(ctx, c, req, ""); err != nil {
			return err
		}
	}
	var (
		rows  []T
		grant *writ.Grant
	)
	eq := writ.EventQuery{AfterID: q.After, Limit: q.Limit}
	err = s.gate.Read(ctx, req, func(g *writ.Grant) (int, error) {
		grant = g
		var err error
		rows, err = read(ctx, g, eq)
		return len(rows), err
	})
	if err != nil {
		return err
	}
	page := Page[T]{Grant: grantInfo(grant), Rows: nonNil(rows)}
	if limit := effectiveLimit(q.Limit); len(rows) == limit {
		page.NextAfter = idOf(rows[len(rows)-1])
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// defaultWindow fills a missing end of the window from the authority's
// window, so "everything the authority covers" needs no dates. It reveals
// nothing: the gate still decides the request as filled in.
func (s *Server) defaultWindow(ctx context.Context, q *ReadQuery) error {
	if !q.From.IsZero() && !q.To.IsZero() {
		return nil
	}
	a, err := s.store.AuthorityByID(ctx, q.AuthorityID)
	if writ.ErrorKind(err) == writ.ENotFound {
		return nil // the gate denies and records it
	} else if err != nil {
		return err
	}
	if q.From.IsZero() {
		q.From = a.WindowStart
	}
	if q.To.IsZero() {
		q.To = a.WindowEnd
	}
	return nil
}

func effectiveLimit(n int) int {
	switch {
	case n <= 0:
		return writ.DefaultLimit
	case n > writ.MaxLimit:
		return writ.MaxLimit
	}
	return n
}

func grantInfo(g *writ.Grant) GrantInfo {
	return GrantInfo{AuthorityID: g.AuthorityID(), AuthorityKind: g.AuthorityKind(), Category: g.Category(),
		Selectors: nonNil(g.Selectors()), From: g.From(), To: g.To(), Area: g.Area(), Purpose: g.Purpose(),
		ExpiresAt: g.ExpiresAt()}
}

// readParams are the query parameters a read accepts; others are refused,
// as unknown JSON fields are, so a typo never silently widens a read.
var readParams = map[string]bool{"authority": true, "purpose": true, "selector": true, "from": true,
	"to": true, "area": true, "limit": true, "after": true}

func parseReadQuery(raw string) (ReadQuery, error) {
	var q ReadQuery
	// r.URL.Query() would drop what it cannot parse (an unescaped ';' in an
	// area, say), and a dropped narrowing silently widens the read.
	v, err := url.ParseQuery(raw)
	if err != nil {
		return q, writ.Errorf(writ.EInvalid, "bad query string (escape ';' as %%3B): %v", err)
	}
	for k := range v {
		if !readParams[k] {
			return q, writ.Errorf(writ.EInvalid, "unknown query parameter %q", k)
		}
	}
	if q.AuthorityID, err = strconv.ParseInt(v.Get("authority"), 10, 64); err != nil || q.AuthorityID <= 0 {
		return q, writ.Errorf(writ.EInvalid, "authority must be the id of the authority this read runs under")
	}
	q.Purpose = strings.TrimSpace(v.Get("purpose"))
	for _, sel := range v["selector"] {
		s, err := writ.ParseSelector(sel)
		if err != nil {
			return q, err
		}
		q.Selectors = append(q.Selectors, s)
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(t.name); s != "" {
			if *t.dst, err = time.Parse(time.RFC3339Nano, s); err != nil {
				return q, writ.Errorf(writ.EInvalid, "%s must be an RFC 3339 time, e.g. 2024-05-01T00:00:00Z", t.name)
			}
			*t.dst = t.dst.UTC()
		}
	}
	if s := v.Get("area"); s != "" {
		if q.Area, err = ParseArea(s); err != nil {
			return q, err
		}
	}
	if s := v.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit <= 0 || q.Limit > writ.MaxLimit {
			return q, writ.Errorf(writ.EInvalid, "limit must be 1-%d", writ.MaxLimit)
		}
	}
	if s := v.Get("after"); s != "" {
		if q.After, err = strconv.ParseInt(s, 10, 64); err != nil || q.After < 0 {
			return q, writ.Errorf(writ.EInvalid, "after must be a row id")
		}
	}
	return q, nil
}

// ParseArea parses a polygon written "lat,lon;lat,lon;...".
func ParseArea(s string) (writ.Polygon, error) {
	var p writ.Polygon
	for _, pt := range strings.Split(s, ";") {
		lat, lon, ok := strings.Cut(strings.TrimSpace(pt), ",")
		y, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
		x, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, writ.Errorf(writ.EInvalid, "area point %q: want lat,lon", pt)
		}
		p = append(p, writ.Point{Lat: y, Lon: x})
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// FormatArea writes a polygon as ParseArea reads it.
func FormatArea(p writ.Polygon) string {
	parts := make([]string, len(p))
	for i, q := range p {
		parts[i] = strconv.FormatFloat(q.Lat, 'f', -1, 64) + "," + strconv.FormatFloat(q.Lon, 'f', -1, 64)
	}
	return strings.Join(parts, ";")
}
