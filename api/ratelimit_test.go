package api

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	l := newLimiter(3, time.Minute)
	l.now = func() time.Time { return now }
	step := func(d time.Duration) { now = now.Add(d) }

	for i := range 3 {
		if w := l.wait("u"); w != 0 {
			t.Fatalf("wait after %d failures = %v, want 0", i, w)
		}
		l.fail("u")
		step(10 * time.Second)
	}
	// Failures at 0s, 10s, 20s; now 30s: locked until the first ages out at 60s.
	if w := l.wait("u"); w != 30*time.Second {
		t.Errorf("wait after 3 failures = %v, want 30s", w)
	}
	if w := l.wait("other"); w != 0 {
		t.Errorf("wait(other) = %v, want 0: keys are independent", w)
	}
	step(30 * time.Second)
	if w := l.wait("u"); w != 0 {
		t.Errorf("wait once the oldest failure aged out = %v, want 0", w)
	}
	l.fail("u")
	if w := l.wait("u"); w != 10*time.Second {
		t.Errorf("wait after a new failure = %v, want 10s (until the 10s failure ages out)", w)
	}
	l.reset("u")
	if w := l.wait("u"); w != 0 {
		t.Errorf("wait after reset = %v, want 0", w)
	}
}

func TestLimiterBoundsMemory(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	l := newLimiter(5, time.Minute)
	l.now = func() time.Time { return now }
	for i := range maxLimiterKeys {
		l.fail(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	now = now.Add(2 * time.Minute)
	l.fail("fresh")
	if n := len(l.fails); n != 1 {
		t.Errorf("keys after expiry sweep = %d, want 1", n)
	}
}
