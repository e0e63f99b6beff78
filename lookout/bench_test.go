package lookout_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/gcpolicy"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/lookout"
	"github.com/writhq/writ/postgres"
)

// benchLookouts sizes the ingest benchmarks: storing the lookouts is most of
// a one-iteration run, so CI (-benchtime 1x) uses a small number, and the
// figures in docs/lookouts.md come from -args -lookouts 10000.
var benchLookouts = flag.Int("lookouts", 1000, "active lookouts in the ingest benchmarks")

// timed records when each batch's commit returned, before the lookout
// service sees it: the start of an alert's latency.
type timed struct {
	ingest.Store
	mu    sync.Mutex
	at    map[string]time.Time // batch source → commit time
	store time.Duration        // spent in the store's CommitBatch
	worst time.Duration        // its longest call
}

func (t *timed) CommitBatch(ctx context.Context, b *writ.Batch) (writ.BatchResult, error) {
	start := time.Now()
	res, err := t.Store.CommitBatch(ctx, b)
	now := time.Now()
	t.mu.Lock()
	t.at[b.Source] = now
	t.store += now.Sub(start)
	t.worst = max(t.worst, now.Sub(start))
	t.mu.Unlock()
	return res, err
}

// benchSetup stores n synthetic lookouts under four approved authorities
// (one per category, naming every watched selector; the location one also
// covers the whole area) in a SQLite store with a real audit log.
func benchSetup(b *testing.B, f *fixture, n int) (*fixture, map[writ.SelectorKind][]string) {
	s := &writ.Subject{CaseID: f.c.ID, Name: "Subject", CreatedBy: f.lead.ID}
	if err := f.db.CreateSubject(f.ctx, s); err != nil {
		b.Fatal(err)
	}
	ls, watched := lookout.SynthLookouts(n, f.c.ID, 0, 1)
	sels := func(k writ.SelectorKind) []string {
		var out []string
		for _, v := range watched[k] {
			out = append(out, string(k)+":"+v)
		}
		return out
	}
	auth := map[writ.Category]*writ.Authority{
		writ.CatComms:    f.authority(b, []writ.Category{writ.CatComms}, sels(writ.SelPhone), nil, 24*time.Hour),
		writ.CatLocation: f.authority(b, []writ.Category{writ.CatLocation}, sels(writ.SelDevice), squareD(50.85, 4.35, 0.25), 24*time.Hour),
		writ.CatPlates:   f.authority(b, []writ.Category{writ.CatPlates}, sels(writ.SelPlate), nil, 24*time.Hour),
		writ.CatRecords:  f.authority(b, []writ.Category{writ.CatRecords}, []string{fmt.Sprint("subject:", s.ID)}, nil, 24*time.Hour),
	}
	for _, l := range ls {
		l.AuthorityID, l.CreatedBy = auth[l.Category].ID, f.lead.ID
		if l.Category == writ.CatRecords {
			l.Selectors = []writ.Selector{{Kind: writ.SelSubject, Value: fmt.Sprint(s.ID)}}
		}
		if err := f.db.CreateLookout(f.ctx, l); err != nil {
			b.Fatalf("CreateLookout() = %v", err)
		}
	}
	if err := f.svc.Reload(f.ctx); err != nil {
		b.Fatal(err)
	}
	if got := f.svc.Index().Len(); got != n {
		b.Fatalf("index holds %d lookouts, want %d", got, n)
	}
	return f, watched
}

// mix is one op's events: batches of n events of a kind.
type mix []struct {
	kind writ.DataKind
	n    int
}

// events is the number of events in an op.
func (m mix) events() int {
	n := 0
	for _, k := range m {
		n += k.n
	}
	return n
}

var (
	// mixed is 5,000 pings, 3,000 contacts and 2,000 plate reads.
	mixed = mix{{writ.DataPings, 5000}, {writ.DataContacts, 3000}, {writ.DataPlateReads, 2000}}
	// pingsOnly is two batches of 5,000 pings, the bulk of live data.
	pingsOnly = mix{{writ.DataPings, 5000}, {writ.DataPings, 5000}}
	// feed is half a second of a 100,000 events/s feed in mixed's
	// proportions, as a consumer committing each kind twice a second
	// batches it: fewer, larger transactions, each rewriting the index
	// pages its rows land in once.
	feed = mix{{writ.DataPings, 25000}, {writ.DataContacts, 15000}, {writ.DataPlateReads, 10000}}
)

// opBatches is one op's batches, 0.1% of the events about watched selectors.
func opBatches(f *fixture, op int, m mix, watched map[writ.SelectorKind][]string) []*writ.Batch {
	at := writ.Now().Add(-30 * time.Minute)
	var out []*writ.Batch
	for i, k := range m {
		tag := fmt.Sprintf("op%dk%d", op, i)
		b := lookout.SynthBatch(k.kind, k.n, tag, at, 0.001, watched, uint64(op*10+i))
		b.BatchInfo = writ.BatchInfo{SourceKey: "sha256:" + tag, Number: 0, Size: k.n, Dataset: "carrier", Source: tag,
			Kind: k.kind, BasisKind: "agreement", BasisID: f.agreement.ID}
		out = append(out, b)
	}
	return out
}

// BenchmarkIngestLookouts commits ops of 10,000 events (50,000: feed) into
// SQLite or PostgreSQL through the lookout service with -lookouts active
// lookouts, while an in-app subscriber listens over HTTP (SSE). It reports
// the events/s the ingest and match path sustains, the time spent in the
// store's CommitBatch (store-ms/op, and the longest call, commit-max-ms),
// and the alert latency from the return of the batch's CommitBatch to the
// alert's arrival at the subscriber.
//
// Each op's batches are made with the timer stopped, so long runs take
// constant memory. A sustained rate needs -benchtime 100x or more: sqlstore
// compacts ping blocks every 64 batches of small blocks (a feed's), which
// 20 ops (20 or 40 batches of pings) never reach.
//
// The variant events-discarded commits batch markers but not the events'
// rows (alerts are still stored, audited and streamed): the rate of the
// match-and-fire path itself, when the event store is not what limits.
func BenchmarkIngestLookouts(b *testing.B) {
	b.Logf("runtime: %s (as the writ binary runs)", gcpolicy.Apply(os.Getenv))
	sqliteFixture := func(b *testing.B, async bool) *fixture { return newFixture(b, lookout.Config{Async: async}) }
	pgFixture := func(b *testing.B, async bool) *fixture {
		return newFixtureOn(b, postgres.OpenTest(b), lookout.Config{Async: async}) // skips without WRIT_TEST_POSTGRES
	}
	b.Run("sync", func(b *testing.B) { benchIngest(b, sqliteFixture, mixed, benchOpts{}) })
	b.Run("sync-pings", func(b *testing.B) { benchIngest(b, sqliteFixture, pingsOnly, benchOpts{}) })
	b.Run("sync-feed", func(b *testing.B) { benchIngest(b, sqliteFixture, feed, benchOpts{}) })
	b.Run("sync-streams", func(b *testing.B) { benchIngest(b, sqliteFixture, feed, benchOpts{streams: true}) })
	b.Run("async", func(b *testing.B) { benchIngest(b, sqliteFixture, mixed, benchOpts{async: true}) })
	b.Run("events-discarded", func(b *testing.B) { benchIngest(b, sqliteFixture, mixed, benchOpts{discard: true}) })
	b.Run("postgres-sync", func(b *testing.B) { benchIngest(b, pgFixture, mixed, benchOpts{}) })
	b.Run("postgres-async", func(b *testing.B) { benchIngest(b, pgFixture, mixed, benchOpts{async: true}) })
	b.Run("postgres-feed", func(b *testing.B) { benchIngest(b, pgFixture, feed, benchOpts{}) })
	b.Run("postgres-streams", func(b *testing.B) { benchIngest(b, pgFixture, feed, benchOpts{streams: true}) })
}

// benchOpts are the variants of benchIngest.
type benchOpts struct {
	async   bool // the service fires alerts on its own goroutine
	discard bool // batches are committed without their event rows
	// streams commits each op's batches at once, one goroutine per batch,
	// as one consumer per feed (writ feed per stream) does; otherwise one
	// after the other.
	streams bool
}

// discard commits a batch as if its rows were stored, without them.
type discard struct{ ingest.Store }

func (d discard) CommitBatch(ctx context.Context, b *writ.Batch) (writ.BatchResult, error) {
	n := len(b.Pings) + len(b.Contacts) + len(b.PlateReads) + len(b.Records)
	return writ.BatchResult{ID: 1, Committed: true, Stored: n}, nil
}

func benchIngest(b *testing.B, open func(*testing.B, bool) *fixture, m mix, o benchOpts) {
	f, watched := benchSetup(b, open(b, o.async), *benchLookouts)
	var inner ingest.Store = f.db
	if o.discard {
		inner = discard{f.db}
	}
	tm := &timed{Store: inner, at: map[string]time.Time{}}
	st := f.svc.Wrap(tm)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub := f.svc.Hub.Subscribe([]int64{f.c.ID}, 4096)
		defer f.svc.Hub.Unsubscribe(sub)
		lookout.SSE(r.Context(), w, sub, nil, time.Minute, func() ([]int64, error) { return []int64{f.c.ID}, nil })
	}))
	b.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { resp.Body.Close() })
	var mu sync.Mutex
	arrived := map[string]time.Time{} // event key → arrival
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				now := time.Now()
				var a writ.Alert
				if json.Unmarshal([]byte(data), &a) == nil {
					mu.Lock()
					arrived[fmt.Sprint(a.LookoutID, a.EventKey)] = now
					mu.Unlock()
				}
			}
		}
	}()
	for f.svc.Hub.Len() == 0 {
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	var thirds [2]time.Duration // timed so far when the first and second thirds of the ops were done
	for i := range b.N {
		b.StopTimer() // each op's batches are made untimed, as they are needed
		if i > 0 && i == b.N/3 {
			thirds[0] = b.Elapsed()
		} else if i > 0 && i == 2*b.N/3 {
			thirds[1] = b.Elapsed()
		}
		op := opBatches(f, i, m, watched)
		b.StartTimer()
		if o.streams {
			commitStreams(b, f.ctx, st, op)
		} else {
			commitOp(b, f.ctx, st, op)
		}
	}
	b.StopTimer()
	elapsed := b.Elapsed()
	f.svc.Flush()
	var as []*writ.Alert
	for {
		var after int64
		if len(as) > 0 {
			after = as[len(as)-1].ID
		}
		page, err := f.db.ListAlerts(f.ctx, writ.AlertFilter{AfterID: after, Limit: writ.DefaultLimit})
		if err != nil {
			b.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		as = append(as, page...)
	}
	if len(as) == 0 {
		b.Fatal("no alert fired: the synthetic events match no lookout")
	}
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(arrived)
		mu.Unlock()
		if n >= len(as) {
			break
		}
	}
	var lat []time.Duration
	mu.Lock()
	for _, a := range as {
		got, ok := arrived[fmt.Sprint(a.LookoutID, a.EventKey)]
		_, tag, _ := strings.Cut(a.EventKey, ":")
		tag, _, _ = strings.Cut(tag, "-")
		if !ok {
			b.Errorf("alert %d (%s) never reached the subscriber", a.ID, a.EventKey)
			continue
		}
		lat = append(lat, got.Sub(tm.at[tag]))
	}
	mu.Unlock()
	slices.Sort(lat)
	events := float64(b.N * m.events())
	b.ReportMetric(events/elapsed.Seconds(), "events/s")
	if b.N >= 3 {
		// Whether the rate holds as the store grows: the first third of
		// the ops against the last.
		b.ReportMetric(float64(b.N/3*m.events())/thirds[0].Seconds(), "first-third-events/s")
		b.ReportMetric(float64((b.N-2*b.N/3)*m.events())/(elapsed-thirds[1]).Seconds(), "last-third-events/s")
	}
	b.ReportMetric(float64(len(as))/float64(b.N), "alerts/op")
	b.ReportMetric(float64(f.svc.Index().Len()), "lookouts")
	b.ReportMetric(float64(tm.store.Microseconds())/1000/float64(b.N), "store-ms/op")
	// A call that compacts ping blocks after its commit returns late, and
	// its batch's alerts wait for it: latency, measured from the return,
	// does not show that wait; this does.
	b.ReportMetric(float64(tm.worst.Microseconds())/1000, "commit-max-ms")
	if len(lat) > 0 {
		q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
		b.ReportMetric(q(0.5), "p50-ms")
		b.ReportMetric(q(0.99), "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	}
}

// BenchmarkIngestNoLookouts is the same ingest without the lookout
// service: the store's own rate, for comparison.
func BenchmarkIngestNoLookouts(b *testing.B) {
	b.Logf("runtime: %s (as the writ binary runs)", gcpolicy.Apply(os.Getenv))
	b.Run("mixed", func(b *testing.B) { benchNoLookouts(b, newFixture(b, lookout.Config{}), mixed) })
	b.Run("pings", func(b *testing.B) { benchNoLookouts(b, newFixture(b, lookout.Config{}), pingsOnly) })
	b.Run("feed", func(b *testing.B) { benchNoLookouts(b, newFixture(b, lookout.Config{}), feed) })
	b.Run("postgres-mixed", func(b *testing.B) {
		benchNoLookouts(b, newFixtureOn(b, postgres.OpenTest(b), lookout.Config{}), mixed) // skips without WRIT_TEST_POSTGRES
	})
}

func benchNoLookouts(b *testing.B, f *fixture, m mix) {
	_, watched := lookout.SynthLookouts(*benchLookouts, f.c.ID, 0, 1)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		op := opBatches(f, i, m, watched)
		b.StartTimer()
		commitOp(b, f.ctx, f.db, op)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*m.events())/b.Elapsed().Seconds(), "events/s")
}

// commitOp commits one op's batches through st and checks that each was
// committed with all its events stored.
func commitOp(b *testing.B, ctx context.Context, st ingest.Store, op []*writ.Batch) {
	for _, bt := range op {
		if err := commitOne(ctx, st, bt); err != nil {
			b.Fatal(err)
		}
	}
}

// commitStreams commits one op's batches at once, each on a goroutine of
// its own, as one consumer per stream would, and waits for them all.
func commitStreams(b *testing.B, ctx context.Context, st ingest.Store, op []*writ.Batch) {
	errs := make([]error, len(op))
	var wg sync.WaitGroup
	for i, bt := range op {
		wg.Go(func() { errs[i] = commitOne(ctx, st, bt) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
}

// commitOne commits bt through st and checks that it was committed with
// all its events stored.
func commitOne(ctx context.Context, st ingest.Store, bt *writ.Batch) error {
	res, err := st.CommitBatch(ctx, bt)
	if err != nil {
		return err
	}
	if !res.Committed || res.Stored != bt.Size {
		return fmt.Errorf("CommitBatch(%s) = committed %v, %d stored, want true, %d", bt.Source, res.Committed, res.Stored, bt.Size)
	}
	return nil
}
