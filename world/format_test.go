package world

import (
	"math"
	"strconv"
	"testing"
	"time"
)

func TestAppendFixed(t *testing.T) {
	for _, v := range []float64{0, 1, 50.8467, 4.35, 50.9499999, 4.2500004, 123.4567895, 0.000001} {
		want := strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', 6, 64)
		if got := string(appendFixed6(nil, v)); got != want {
			t.Errorf("appendFixed6(%v) = %s, want %s", v, got, want)
		}
		if got := string(appendFixed(nil, v, 6)); got != want {
			t.Errorf("appendFixed(%v, 6) = %s, want %s", v, got, want)
		}
	}
	tests := []struct {
		v    float64
		dec  int
		want string
	}{{-4.25, 2, "-4.25"}, {-0.5, 0, "-1"}, {12.345, 1, "12.3"}, {7, 0, "7"}}
	for _, tt := range tests {
		if got := string(appendFixed(nil, tt.v, tt.dec)); got != tt.want {
			t.Errorf("appendFixed(%v, %d) = %s, want %s", tt.v, tt.dec, got, tt.want)
		}
	}
}

func TestAppendRFC3339(t *testing.T) {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	s := newDayStamp(day.Unix())
	for _, off := range []int64{0, 1, 3599, 43210, 86399, 86400, -1, 200000} {
		at := day.Unix() + off
		want := time.Unix(at, 0).UTC().Format(time.RFC3339)
		if got := string(s.appendRFC3339(nil, at)); got != want {
			t.Errorf("appendRFC3339(day+%d) = %s, want %s", off, got, want)
		}
	}
}

func BenchmarkAppendPing(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 64)
	for i := 0; i < b.N; i++ {
		buf = strconv.AppendUint(buf[:0], 353320115651668, 10)
		buf = appendFixed6(buf, 50.8467+float64(i%1000)*1e-6)
		buf = appendFixed6(buf, 4.3525)
	}
}
