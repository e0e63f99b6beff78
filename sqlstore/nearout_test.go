package sqlstore

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/writhq/writ"
)

// TestNearOutCap has two readers pass pings to receivers of their own at
// once, more than writ.MaxNearRows between them: exactly MaxNearRows reach
// the receivers, both readers stop with the refusal, and the count says
// MaxNearRows. Then a receiver's own error stops the other reader too.
func TestNearOutCap(t *testing.T) {
	found := make([]writ.NearPing, 50_000)
	o := &nearOut{tooMany: "pings lie near the track"}
	var got [2]int
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for r := range 2 {
		each := func(*writ.NearPing) error { got[r]++; return nil } // its own count: no lock
		wg.Go(func() {
			for range writ.MaxNearRows/len(found) + 1 { // each reader alone passes more than the cap
				if errs[r] = o.pass(found, each); errs[r] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if total := got[0] + got[1]; total != writ.MaxNearRows || o.passed() != writ.MaxNearRows {
		t.Fatalf("receivers got %d + %d pings, passed() = %d; want %d in all", got[0], got[1], o.passed(), writ.MaxNearRows)
	}
	for r, err := range errs {
		if writ.ErrorKind(err) != writ.EInvalid {
			t.Errorf("reader %d: %v, want the refusal (invalid)", r, err)
		}
	}

	o = &nearOut{tooMany: "pings lie near the track"}
	stop := errors.New("receiver failed")
	var calls atomic.Int64
	failing := func(*writ.NearPing) error { calls.Add(1); return stop }
	if err := o.pass(found, failing); err != stop || o.passed() != 1 {
		t.Fatalf("pass with a failing receiver = %v with passed() = %d; want its error, with the one ping it was given counted", err, o.passed())
	}
	other := func(*writ.NearPing) error { calls.Add(1); return nil }
	if err := o.pass(found, other); err != stop || calls.Load() != 1 {
		t.Fatalf("the other reader's pass after the failure = %v after %d receiver calls; want the first error after 1", err, calls.Load())
	}
}
