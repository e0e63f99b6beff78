package ingest

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// dateLayouts are the forms Date tries, in order, when the mapping gives no
// layout. Day-first and month-first slash dates are tried together:
// dateSlash below.
var dateLayouts = []string{
	"2006-01-02",
	"2006/01/02",
	"20060102",
	"02.01.2006",
	"2.1.2006",
	"2 Jan 2006",
	"2 January 2006",
	"Jan 2, 2006",
	"January 2, 2006",
	time.RFC3339Nano, // a timestamp: its date, in its own offset
}

// Years outside this range are taken as errors in the data, not history.
const minYear, maxYear = 1800, 2200

// Date parses a calendar date with layout (a Go layout) or, if layout is
// empty, with the forms of dateLayouts in order, and then as a slash date
// (d/m/yyyy or m/d/yyyy), which it refuses when both readings are valid and
// differ: "03/04/2020" is ambiguous, "13/04/2020" is the 13th of April. It
// returns midnight UTC of the date.
func Date(s, layout string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return time.Time{}, rowErr(ReasonBadUTF8, "not valid UTF-8")
	}
	t, err := parseDate(s, layout)
	if err != nil {
		return time.Time{}, err
	}
	return checkYear(s, time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC))
}

func parseDate(s, layout string) (time.Time, error) {
	if layout != "" {
		t, err := time.Parse(layout, s)
		if err != nil {
			return t, rowErr(ReasonBadDate, "%q is not a date in the layout %q", clip(s), layout)
		}
		return t, nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return dateSlash(s)
}

// dateSlash reads d/m/yyyy and m/d/yyyy (one or two digits each).
func dateSlash(s string) (time.Time, error) {
	dm, errDM := time.Parse("2/1/2006", s)
	md, errMD := time.Parse("1/2/2006", s)
	switch {
	case errDM == nil && errMD == nil && !dm.Equal(md):
		return time.Time{}, rowErr(ReasonBadDate, "%q is ambiguous: day/month or month/day? Give the mapping a layout", clip(s))
	case errDM == nil:
		return dm, nil
	case errMD == nil:
		return md, nil
	}
	return time.Time{}, rowErr(ReasonBadDate, "%q is not a date (want e.g. 2006-01-02, or give the mapping a layout)", clip(s))
}

// Time parses an instant: RFC 3339 ("2006-01-02T15:04:05Z07:00", fractions
// allowed, or a space for the T) when layout is empty, unix seconds (a
// fraction allowed) when layout is "unix", and otherwise the Go layout,
// taken as UTC if it has no zone. A time without a zone is refused unless a
// layout says how to read it.
func Time(s, layout string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return time.Time{}, rowErr(ReasonBadUTF8, "not valid UTF-8")
	}
	var t time.Time
	var err error
	switch layout {
	case "":
		t, err = parseRFC3339(s)
		if err != nil {
			return t, rowErr(ReasonBadDate, "%q is not an RFC 3339 time (2006-01-02T15:04:05Z or with an offset); give the mapping a layout for other forms", clip(s))
		}
	case "unix":
		t, err = parseUnix(s)
		if err != nil {
			return t, err
		}
	default:
		t, err = time.Parse(layout, s)
		if err != nil {
			return t, rowErr(ReasonBadDate, "%q is not a time in the layout %q", clip(s), layout)
		}
	}
	return checkYear(s, t.UTC())
}

func parseRFC3339(s string) (time.Time, error) {
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	return time.Parse(time.RFC3339Nano, s)
}

func parseUnix(s string) (time.Time, error) {
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 9 || strings.Trim(frac, "0123456789") != "" || (sec != "" && sec[0] == '+') {
		return time.Time{}, rowErr(ReasonBadDate, "%q is not unix seconds", clip(s))
	}
	if n < -1e11 || n > 1e11 {
		return time.Time{}, rowErr(ReasonBadDate, "unix time %s is out of range", clip(s))
	}
	var ns int64
	if frac != "" {
		f, _ := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		ns = f
		if n < 0 || sec == "-0" {
			ns = -ns
		}
	}
	return time.Unix(n, ns), nil
}

func checkYear(s string, t time.Time) (time.Time, error) {
	if y := t.Year(); y < minYear || y > maxYear {
		return time.Time{}, rowErr(ReasonBadDate, "%q: year %d is out of range [%d, %d]", clip(s), y, minYear, maxYear)
	}
	return t, nil
}
