package ingest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/writhq/writ/ingest"
)

// reasonOf returns the RowError reason of err, "" for nil, "?" for another error.
func reasonOf(err error) string {
	var re *ingest.RowError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &re):
		return re.Reason
	}
	return "?"
}

func TestStrings(t *testing.T) {
	tests := []struct {
		norm   string
		fn     func(string) (string, error)
		in     string
		want   string
		reason string
	}{
		{"text", ingest.Text, "  a  b ", "a  b", ""},
		{"text", ingest.Text, "a\xffb", "", ingest.ReasonBadUTF8},
		{"id", ingest.ID, " IMEI-35 ", "IMEI-35", ""},
		{"id", ingest.ID, "a\x00b", "", ingest.ReasonBadValue},
		{"id", ingest.ID, string(make([]byte, 129)), "", ingest.ReasonBadValue},
		{"name", ingest.Name, "  José   María\tGarcía ", "José María García", ""},
		{"name", ingest.Name, "ＡＮＮ ﬁnch", "ANN finch", ""},
		{"name", ingest.Name, "\xc3", "", ingest.ReasonBadUTF8},
		{"plate", ingest.Plate, "1-abc-123", "1ABC123", ""},
		{"plate", ingest.Plate, " ab 12 cd ", "AB12CD", ""},
		{"plate", ingest.Plate, "---", "", ingest.ReasonBadPlate},
		{"plate", ingest.Plate, "ABCDEFGHIJKLMNOPQ", "", ingest.ReasonBadPlate},
	}
	for _, tt := range tests {
		got, err := tt.fn(tt.in)
		if got != tt.want || reasonOf(err) != tt.reason {
			t.Errorf("%s(%q) = %q, %v; want %q, reason %q", tt.norm, tt.in, got, err, tt.want, tt.reason)
		}
	}
}

func TestNameKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  José-María  O'Neil ", "jose maria oneil"},
		{"JOSE MARIA ONEIL", "jose maria oneil"},
		{"Ｊｏｓé", "jose"},
		{"Straße", "strasse"},
		{"Łukasz Øster Ærø", "lukasz oster aero"},
		{"Nguyễn Thị", "nguyen thi"},
		{"", ""},
		{"a\xffb", "a b"},
	}
	for _, tt := range tests {
		if got := ingest.NameKey(tt.in); got != tt.want {
			t.Errorf("NameKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPhone(t *testing.T) {
	tests := []struct {
		in, region, want, reason string
	}{
		{"0470 12 34 56", "", "+32470123456", ""},
		{"+32 470 12 34 56", "", "+32470123456", ""},
		{"0032470123456", "BE", "+32470123456", ""},
		{"02/555.12.12", "BE", "+3225551212", ""},
		{"06-12345678", "NL", "+31612345678", ""},
		{"(212) 555-0142", "US", "+12125550142", ""},
		{"+1 212 555 0142", "NL", "+12125550142", ""},
		{"12", "", "", ingest.ReasonBadPhone},
		{"not a number", "", "", ingest.ReasonBadPhone},
		{"+32 470 12 34 56 78 90 12", "", "", ingest.ReasonBadPhone},
		{"", "", "", ingest.ReasonBadPhone},
		{"0470\xff", "", "", ingest.ReasonBadUTF8},
	}
	for _, tt := range tests {
		got, err := ingest.Phone(tt.in, tt.region)
		if got != tt.want || reasonOf(err) != tt.reason {
			t.Errorf("Phone(%q, %q) = %q, %v; want %q, reason %q", tt.in, tt.region, got, err, tt.want, tt.reason)
		}
	}
}

func TestDate(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		in, layout string
		want       time.Time
		reason     string
	}{
		{"1981-04-03", "", day(1981, 4, 3), ""},
		{"1981/04/03", "", day(1981, 4, 3), ""},
		{"19810403", "", day(1981, 4, 3), ""},
		{"03.04.1981", "", day(1981, 4, 3), ""},
		{"3.4.1981", "", day(1981, 4, 3), ""},
		{"3 Apr 1981", "", day(1981, 4, 3), ""},
		{"April 3, 1981", "", day(1981, 4, 3), ""},
		{"1981-04-03T23:30:00-05:00", "", day(1981, 4, 3), ""},
		{"13/04/1981", "", day(1981, 4, 13), ""},
		{"04/13/1981", "", day(1981, 4, 13), ""},
		{"05/05/1981", "", day(1981, 5, 5), ""},
		{"03/04/1981", "", time.Time{}, ingest.ReasonBadDate},
		{"03/04/1981", "02/01/2006", day(1981, 4, 3), ""},
		{"03/04/1981", "01/02/2006", day(1981, 3, 4), ""},
		{"1981-02-29", "", time.Time{}, ingest.ReasonBadDate},
		{"31/02/1980", "02/01/2006", time.Time{}, ingest.ReasonBadDate},
		{"0000-00-00", "", time.Time{}, ingest.ReasonBadDate},
		{"1212-01-01", "", time.Time{}, ingest.ReasonBadDate},
		{"yesterday", "", time.Time{}, ingest.ReasonBadDate},
		{"", "", time.Time{}, ingest.ReasonBadDate},
	}
	for _, tt := range tests {
		got, err := ingest.Date(tt.in, tt.layout)
		if !got.Equal(tt.want) || reasonOf(err) != tt.reason {
			t.Errorf("Date(%q, %q) = %v, %v; want %v, reason %q", tt.in, tt.layout, got, err, tt.want, tt.reason)
		}
	}
}

func TestTime(t *testing.T) {
	at := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		in, layout string
		want       time.Time
		reason     string
	}{
		{"2026-10-01T08:00:00Z", "", at, ""},
		{"2026-10-01T10:00:00+02:00", "", at, ""},
		{"2026-10-01 08:00:00Z", "", at, ""},
		{"2026-10-01T08:00:00.250Z", "", at.Add(250 * time.Millisecond), ""},
		{"2026-10-01T08:00:00", "", time.Time{}, ingest.ReasonBadDate},
		{"2026-10-01 08:00", "2006-01-02 15:04", at, ""},
		{"01/10/2026 10:00 +0200", "02/01/2006 15:04 -0700", at, ""},
		{"1790841600", "unix", time.Unix(1790841600, 0).UTC(), ""},
		{"1790841600.5", "unix", time.Unix(1790841600, 5e8).UTC(), ""},
		{"-1.5", "unix", time.Unix(-2, 5e8).UTC(), ""},
		{"-0.5", "unix", time.Unix(0, -5e8).UTC(), ""},
		{"+5", "unix", time.Time{}, ingest.ReasonBadDate},
		{"1e9", "unix", time.Time{}, ingest.ReasonBadDate},
		{"99999999999999", "unix", time.Time{}, ingest.ReasonBadDate},
		{"2026-13-01T08:00:00Z", "", time.Time{}, ingest.ReasonBadDate},
		{"9999-10-01T08:00:00Z", "", time.Time{}, ingest.ReasonBadDate},
	}
	for _, tt := range tests {
		got, err := ingest.Time(tt.in, tt.layout)
		if !got.Equal(tt.want) || reasonOf(err) != tt.reason || (err == nil && got.Location() != time.UTC) {
			t.Errorf("Time(%q, %q) = %v, %v; want %v (UTC), reason %q", tt.in, tt.layout, got, err, tt.want, tt.reason)
		}
	}
}

func TestNumbers(t *testing.T) {
	tests := []struct {
		norm   string
		fn     func(string) (float64, error)
		in     string
		want   float64
		reason string
	}{
		{"lat", ingest.Lat, " 50.8466 ", 50.8466, ""},
		{"lat", ingest.Lat, "-90", -90, ""},
		{"lat", ingest.Lat, "90.0001", 0, ingest.ReasonBadCoordinate},
		{"lat", ingest.Lat, "NaN", 0, ingest.ReasonBadCoordinate},
		{"lat", ingest.Lat, "north", 0, ingest.ReasonBadCoordinate},
		{"lon", ingest.Lon, "180", 180, ""},
		{"lon", ingest.Lon, "-180.5", 0, ingest.ReasonBadCoordinate},
		{"lon", ingest.Lon, "Inf", 0, ingest.ReasonBadCoordinate},
		{"float", ingest.Float, "7.5", 7.5, ""},
		{"float", ingest.Float, "1e400", 0, ingest.ReasonBadNumber},
		{"float", ingest.Float, "seven", 0, ingest.ReasonBadNumber},
		{"int", func(s string) (float64, error) { v, err := ingest.Int(s); return float64(v), err }, " 42 ", 42, ""},
		{"int", func(s string) (float64, error) { v, err := ingest.Int(s); return float64(v), err }, "4.2", 0, ingest.ReasonBadNumber},
	}
	for _, tt := range tests {
		got, err := tt.fn(tt.in)
		if got != tt.want || reasonOf(err) != tt.reason {
			t.Errorf("%s(%q) = %v, %v; want %v, reason %q", tt.norm, tt.in, got, err, tt.want, tt.reason)
		}
	}
}
