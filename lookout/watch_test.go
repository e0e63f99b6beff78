package lookout_test

import (
	"context"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/lookout"
)

// TestWatchOtherProcess has a second service on the same store (as a local
// `writ ingest` is) fire an alert, and checks that the serving service's
// subscriber gets it, and its own alert, exactly once each.
func TestWatchOtherProcess(t *testing.T) {
	f := newFixture(t, lookout.Config{})
	a := f.authority(t, []writ.Category{writ.CatPlates}, []string{"plate:1ABC123"}, nil, 24*time.Hour)
	f.create(t, &writ.Lookout{AuthorityID: a.ID, Kind: writ.LookoutHotlist, Selectors: []writ.Selector{{Kind: writ.SelPlate, Value: "1ABC123"}}})
	other := lookout.New(lookout.Config{Store: f.db, Gate: f.gate, Audit: f.log})
	defer other.Close()
	if err := other.Reload(f.ctx); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	sub := f.svc.Hub.Subscribe([]int64{f.c.ID}, 16)
	defer f.svc.Hub.Unsubscribe(sub)
	go f.svc.Watch(ctx, 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond) // let Watch find where the table ends

	read := func(cam string, via interface {
		CommitBatch(context.Context, *writ.Batch) (writ.BatchResult, error)
	}) {
		b := f.batch(writ.DataPlateReads)
		b.PlateReads = []writ.PlateRead{plateRead("1ABC123", cam, t0.Add(time.Minute), lat0, lon0)}
		if _, err := via.CommitBatch(f.ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	read("cam-other", other.Wrap(f.db))
	read("cam-own", f.ingest)
	got := map[string]int{}
	deadline := time.After(3 * time.Second)
	for done := false; !done; {
		select {
		case al := <-sub.C:
			got[al.Detail["camera"]]++
		case <-deadline:
			done = true
		case <-time.After(300 * time.Millisecond):
			done = len(got) == 2
		}
	}
	if got["cam-other"] != 1 || got["cam-own"] != 1 || len(got) != 2 {
		t.Errorf("subscriber got %v, want each camera's alert once", got)
	}
}
