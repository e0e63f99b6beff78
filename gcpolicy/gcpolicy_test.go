package gcpolicy

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestApply(t *testing.T) {
	old := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(old)
		debug.SetMemoryLimit(oldLimit)
	})
	tests := []struct {
		env       map[string]string
		wantGC    int
		wantLimit int64
		wantDesc  string
	}{
		{map[string]string{}, Percent, Limit, "GOGC=400, GOMEMLIMIT=4096MiB"},
		{map[string]string{"GOGC": "50"}, 100, Limit, "GOGC from the environment, GOMEMLIMIT=4096MiB"},
		{map[string]string{"GOMEMLIMIT": "1GiB"}, Percent, math.MaxInt64, "GOGC=400, GOMEMLIMIT from the environment"},
	}
	for _, tt := range tests {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		desc := Apply(func(k string) string { return tt.env[k] })
		if got := debug.SetGCPercent(100); got != tt.wantGC {
			t.Errorf("Apply(%v): GOGC %d, want %d", tt.env, got, tt.wantGC)
		}
		if got := debug.SetMemoryLimit(-1); got != tt.wantLimit {
			t.Errorf("Apply(%v): memory limit %d, want %d", tt.env, got, tt.wantLimit)
		}
		if desc != tt.wantDesc {
			t.Errorf("Apply(%v) = %q, want %q", tt.env, desc, tt.wantDesc)
		}
	}
}
