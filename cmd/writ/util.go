package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/writhq/writ"
)

// parseTime accepts RFC 3339 or a plain date (midnight UTC).
func parseTime(flagName, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, usageErr("--%s %q: want RFC 3339 (2026-11-01T08:00:00Z) or a date (2026-11-01)", flagName, s)
}

func parseID(what, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, usageErr("%s %q is not an id (a positive number)", what, s)
	}
	return n, nil
}

func oneID(what string, args []string) (int64, error) {
	if len(args) != 1 {
		return 0, usageErr("give the %s id", what)
	}
	return parseID(what, args[0])
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func parseSelectors(vals []string) ([]writ.Selector, error) {
	var out []writ.Selector
	for _, v := range vals {
		s, err := writ.ParseSelector(v)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// parseArea parses "lat,lon;lat,lon;lat,lon".
func parseArea(s string) (writ.Polygon, error) {
	if s == "" {
		return nil, nil
	}
	var p writ.Polygon
	for _, pt := range strings.Split(s, ";") {
		lat, lon, ok := strings.Cut(strings.TrimSpace(pt), ",")
		y, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
		x, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, usageErr("--area point %q: want lat,lon", pt)
		}
		p = append(p, writ.Point{Lat: y, Lon: x})
	}
	return p, p.Validate()
}

func table(w io.Writer, header string, rows func(tw io.Writer)) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	rows(tw)
	tw.Flush()
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04Z")
}
