package graph

import "time"

// Activity counts u's contacts (made or received) by weekday and UTC hour:
// m[time.Weekday][hour].
func Activity(events []Event, u uint32) (m [7][24]int) {
	for _, e := range events {
		if e.Caller == u || e.Callee == u {
			t := time.Unix(e.At, 0).UTC()
			m[t.Weekday()][t.Hour()]++
		}
	}
	return m
}
