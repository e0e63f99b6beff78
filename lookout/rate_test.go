package lookout_test

import (
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/lookout"
)

// TestRateLimit checks that alerts over a lookout's rate are stored and
// audited but marked suppressed and not delivered.
func TestRateLimit(t *testing.T) {
	f := newFixture(t, lookout.Config{})
	a := f.authority(t, []writ.Category{writ.CatPlates}, []string{"plate:1ABC123"}, nil, 24*time.Hour)
	l := f.create(t, &writ.Lookout{AuthorityID: a.ID, Kind: writ.LookoutHotlist, RatePerHour: 2,
		Selectors: []writ.Selector{{Kind: writ.SelPlate, Value: "1ABC123"}}})
	sub := f.svc.Hub.Subscribe([]int64{f.c.ID}, 16)
	defer f.svc.Hub.Unsubscribe(sub)
	b := f.batch(writ.DataPlateReads)
	for i := range 5 {
		b.PlateReads = append(b.PlateReads, plateRead("1ABC123", "cam-1", t0.Add(time.Duration(i)*time.Minute), lat0, lon0))
	}
	f.commit(t, b)
	as := f.alerts(t, l.ID)
	suppressed := 0
	for _, al := range as {
		if al.Suppressed {
			suppressed++
		}
	}
	if len(as) != 5 || suppressed != 3 {
		t.Errorf("5 matches at 2 per hour: %d alerts, %d suppressed; want 5 and 3", len(as), suppressed)
	}
	if n := f.auditedAlerts(t, a.ID); n != 5 {
		t.Errorf("audit log holds %d alerts, want all 5", n)
	}
	if n := len(sub.C); n != 2 {
		t.Errorf("subscriber got %d alerts, want the 2 within the rate", n)
	}
}
