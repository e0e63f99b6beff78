package sqlstore

import (
	"testing"
	"time"

	"github.com/writhq/writ"
)

func TestCeilMicros(t *testing.T) {
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		t    time.Time
		want int64
	}{
		{base, base.UnixMicro()},
		{base.Add(1), base.UnixMicro() + 1},
		{base.Add(999), base.UnixMicro() + 1},
		{base.Add(1000), base.UnixMicro() + 1},
		{base.Add(1001), base.UnixMicro() + 2},
		{base.Add(-1), base.UnixMicro()},
		{time.Unix(-1, 1), -999_999},    // before 1970: round towards +inf too
		{time.Unix(-1, 999_999_999), 0}, // 1ns before the epoch
	}
	for _, tt := range tests {
		if got := ceilMicros(tt.t); got != tt.want {
			t.Errorf("ceilMicros(%s) = %d, want %d", tt.t.Format(time.RFC3339Nano), got, tt.want)
		}
	}
}

func TestRing(t *testing.T) {
	tests := []struct {
		p    writ.Polygon
		want string
	}{
		{writ.Polygon{{Lat: 1, Lon: 2}, {Lat: 3, Lon: 4}, {Lat: -5.5, Lon: 6}}, "((2,1),(4,3),(6,-5.5))"},
		{writ.Polygon{{Lat: 40.1, Lon: -74.2}, {Lat: 1e-7, Lon: 0.30000000000000004}, {Lat: -90, Lon: 180}},
			"((-74.2,40.1),(0.30000000000000004,1e-07),(180,-90))"},
	}
	for _, tt := range tests {
		if got := ring(tt.p); got != tt.want {
			t.Errorf("ring(%v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestClause(t *testing.T) {
	var w clause
	if got := w.where(); got != "" {
		t.Errorf("empty clause where() = %q, want \"\"", got)
	}
	w.add("a = ?", 1)
	w.add("b IN (?, ?)", "x", "y")
	if got, want := w.where(), " WHERE a = ? AND b IN (?, ?)"; got != want {
		t.Errorf("where() = %q, want %q", got, want)
	}
	if len(w.args) != 3 || w.args[0] != 1 || w.args[2] != "y" {
		t.Errorf("args = %v, want [1 x y]", w.args)
	}
}
