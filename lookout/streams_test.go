package lookout_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/lookout"
	"github.com/writhq/writ/postgres"
)

// TestConcurrentStreamsFireOnce commits batches of pings, contacts and
// plate reads at the same time through one wrapped store, as one consumer
// per stream (a writ feed each, or streamed ingest from several clients)
// does, and checks that every matching event fired exactly once, that the
// redelivered batches fired nothing, and that every alert is audited. It
// runs on SQLite, and on PostgreSQL when WRIT_TEST_POSTGRES is set, where
// the commits really overlap.
func TestConcurrentStreamsFireOnce(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) *fixture
	}{
		{"sqlite", func(t *testing.T) *fixture { return newFixture(t, lookout.Config{}) }},
		{"postgres", func(t *testing.T) *fixture { return newFixtureOn(t, postgres.OpenTest(t), lookout.Config{}) }},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) { testConcurrentStreams(t, st.open(t)) })
	}
}

func testConcurrentStreams(t *testing.T, f *fixture) {
	comms := f.authority(t, []writ.Category{writ.CatComms}, []string{"phone:" + phoneA}, nil, 24*time.Hour)
	loc := f.authority(t, []writ.Category{writ.CatLocation}, []string{"device:dev-1"}, nil, 24*time.Hour)
	plates := f.authority(t, []writ.Category{writ.CatPlates}, []string{"plate:1ABC123"}, nil, 24*time.Hour)
	phone := f.create(t, &writ.Lookout{Kind: writ.LookoutAppears, AuthorityID: comms.ID,
		Selectors: []writ.Selector{{Kind: writ.SelPhone, Value: phoneA}}})
	device := f.create(t, &writ.Lookout{Kind: writ.LookoutAppears, AuthorityID: loc.ID,
		Selectors: []writ.Selector{{Kind: writ.SelDevice, Value: "dev-1"}}})
	hotlist := f.create(t, &writ.Lookout{Kind: writ.LookoutHotlist, AuthorityID: plates.ID,
		Selectors: []writ.Selector{{Kind: writ.SelPlate, Value: "1ABC123"}}})

	// Each stream commits batches of 50 events, one of them about the
	// watched selector, then sends its first batch again.
	const batches, perBatch = 8, 50
	at := func(b, i int) time.Time { return t0.Add(time.Duration(b*perBatch+i) * time.Second) }
	// who is the i-th event's selector in batch n: the watched one once a
	// batch, else other's.
	who := func(n, i int, watched, other string) string {
		if i == n%perBatch {
			return watched
		}
		return fmt.Sprintf(other, i)
	}
	streams := []struct {
		kind writ.DataKind
		next func(n int) *writ.Batch // batch n of the stream
	}{
		{writ.DataPings, func(n int) *writ.Batch {
			b := f.batch(writ.DataPings)
			for i := range perBatch {
				b.Pings = append(b.Pings, ping(who(n, i, "dev-1", "dev-other-%d"), at(n, i), lat0, lon0))
			}
			return b
		}},
		{writ.DataContacts, func(n int) *writ.Batch {
			b := f.batch(writ.DataContacts)
			for i := range perBatch {
				b.Contacts = append(b.Contacts, contact(who(n, i, phoneA, "+3247%07d"), phoneB, at(n, i)))
			}
			return b
		}},
		{writ.DataPlateReads, func(n int) *writ.Batch {
			b := f.batch(writ.DataPlateReads)
			for i := range perBatch {
				b.PlateReads = append(b.PlateReads, plateRead(who(n, i, "1ABC123", "X%06d"), "cam-1", at(n, i), lat0, lon0))
			}
			return b
		}},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(streams)) // each stream's first
	for s, st := range streams {
		wg.Go(func() {
			var first *writ.Batch
			for n := range batches + 1 {
				b := st.next(n)
				if n == batches { // the first again: a redelivery
					b.Pings, b.Contacts, b.PlateReads = first.Pings, first.Contacts, first.PlateReads
				} else if n == 0 {
					first = b
				}
				b.Size = perBatch
				res, err := f.ingest.CommitBatch(f.ctx, b)
				if err == nil && !res.Committed {
					err = errors.New("not committed")
				}
				if err != nil {
					errs[s] = fmt.Errorf("%s batch %d: %w", st.kind, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	f.svc.Flush()
	for _, c := range []struct {
		name    string
		lookout *writ.Lookout
	}{{"phone", phone}, {"device", device}, {"hotlist", hotlist}} {
		if got := len(f.alerts(t, c.lookout.ID)); got != batches {
			t.Errorf("%s lookout fired %d alerts, want %d (one per batch; none for the redelivery)", c.name, got, batches)
		}
		if got := f.auditedAlerts(t, c.lookout.AuthorityID); got != batches {
			t.Errorf("%s lookout: %d lookout.alert audit entries, want %d", c.name, got, batches)
		}
	}
}
