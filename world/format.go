package world

import (
	"math"
	"strconv"
	"time"
)

// Fast formatting for the event files: no fmt, no reflection, no allocation.

// appendFixed writes v with dec decimals (dec <= 9).
func appendFixed(b []byte, v float64, dec int) []byte {
	scale := math.Pow10(dec)
	n := int64(math.Round(v * scale))
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	s := int64(scale)
	b = strconv.AppendInt(b, n/s, 10)
	if dec == 0 {
		return b
	}
	b = append(b, '.')
	frac := n % s
	for d := s / 10; d > 0; d /= 10 {
		b = append(b, byte('0'+frac/d%10))
	}
	return b
}

// appendFixed6 is appendFixed(b, v, 6) for coordinates, the hottest path.
func appendFixed6(b []byte, v float64) []byte {
	n := int64(v*1e6 + 0.5)
	if v < 0 {
		return appendFixed(b, v, 6)
	}
	b = strconv.AppendInt(b, n/1_000_000, 10)
	f := n % 1_000_000
	return append(b, '.', byte('0'+f/100_000), byte('0'+f/10_000%10), byte('0'+f/1000%10),
		byte('0'+f/100%10), byte('0'+f/10%10), byte('0'+f%10))
}

// dayStamp caches "2026-03-02T" so an RFC 3339 time within the day costs
// only the clock digits.
type dayStamp struct {
	start  int64
	prefix [11]byte
}

func newDayStamp(start int64) dayStamp {
	d := dayStamp{start: start}
	copy(d.prefix[:], time.Unix(start, 0).UTC().Format("2006-01-02T"))
	return d
}

// appendRFC3339 writes unix time t as 2026-03-02T08:15:04Z.
func (d *dayStamp) appendRFC3339(b []byte, t int64) []byte {
	s := t - d.start
	if s < 0 || s >= daySec {
		return time.Unix(t, 0).UTC().AppendFormat(b, time.RFC3339)
	}
	b = append(b, d.prefix[:]...)
	b = append2(b, int(s/3600))
	b = append(b, ':')
	b = append2(b, int(s/60%60))
	b = append(b, ':')
	b = append2(b, int(s%60))
	return append(b, 'Z')
}
