package location

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/geo"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/postgres"
	"github.com/writhq/writ/scope"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
	"github.com/writhq/writ/world"
)

// writStore is a fresh writ store and how to measure its size.
type writStore struct {
	db     *sqlstore.DB
	reused bool // Config.Reuse found a store: it has the pings already
	size   func(ctx context.Context) (int64, error)
	flush  func(ctx context.Context) error // make the size final (SQLite: checkpoint the WAL)
	close  func()
}

func openWritStore(ctx context.Context, cfg *Config, name string) (*writStore, error) {
	switch name {
	case "sqlite":
		path := cfg.storePath("writ.sqlite")
		_, err := os.Stat(path)
		reused := cfg.Reuse && err == nil
		if !reused {
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				os.Remove(p)
			}
		}
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, err
		}
		return &writStore{db: db, reused: reused,
			size: func(context.Context) (int64, error) {
				var n int64
				for _, p := range []string{path, path + "-wal"} {
					if fi, err := os.Stat(p); err == nil {
						n += fi.Size()
					}
				}
				return n, nil
			},
			flush: func(ctx context.Context) error {
				_, err := db.Writer().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
				return err
			},
			close: func() {
				db.Close()
				if !cfg.KeepStores {
					for _, p := range []string{path, path + "-wal", path + "-shm"} {
						os.Remove(p)
					}
				}
			}}, nil
	case "postgres":
		if cfg.PostgresURL == "" {
			return nil, fmt.Errorf("no PostgreSQL URL for writ's postgres store")
		}
		var b [6]byte
		rand.Read(b[:])
		schema := "writ_locbench_" + hex.EncodeToString(b[:])
		admin, err := postgres.Open(ctx, cfg.PostgresURL)
		if err != nil {
			return nil, err
		}
		if _, err := admin.Writer().ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			return nil, err
		}
		u, err := url.Parse(cfg.PostgresURL)
		if err != nil {
			admin.Close()
			return nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		db, err := postgres.Open(ctx, u.String())
		if err != nil {
			admin.Close()
			return nil, err
		}
		return &writStore{db: db,
			size: func(ctx context.Context) (int64, error) {
				var n int64
				err := db.Reader().QueryRowContext(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
					FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
					WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`, schema).Scan(&n)
				return n, err
			},
			flush: func(ctx context.Context) error {
				_, err := db.Writer().ExecContext(ctx, "CHECKPOINT")
				return err
			},
			close: func() {
				db.Close()
				if !cfg.KeepStores {
					admin.Writer().ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
				}
				admin.Close()
			}}, nil
	}
	return nil, fmt.Errorf("unknown writ store %q (want sqlite or postgres)", name)
}

// fixture is a case with the authorities the queries run under, and a gate
// over a real audit log in the same store.
type fixture struct {
	db              *sqlstore.DB
	gate            *scope.Gate
	log             *audit.Log
	lead            *writ.User
	caseID          int64
	warrant, fence  int64 // device warrant (trajectories, co-location target), geofence step 1 (areas)
	gateMs          []float64
	gateMu          sync.Mutex
	purpose, action string
}

func newFixture(ctx context.Context, cfg *Config, st *writStore, name string, w *worldData, qs *queries) (*fixture, error) {
	db := st.db
	suffix := "" // a reused store has the users of the run that made it
	if st.reused {
		var b [4]byte
		rand.Read(b[:])
		suffix = "-" + hex.EncodeToString(b[:])
	}
	lead := &writ.User{Username: "lena" + suffix, DisplayName: "Lena", Role: writ.RoleInvestigator, Active: true, PasswordHash: "x"}
	boss := &writ.User{Username: "sam" + suffix, DisplayName: "Sam", Role: writ.RoleSupervisor, Active: true, PasswordHash: "x"}
	for _, u := range []*writ.User{lead, boss} {
		if err := db.CreateUser(ctx, u); err != nil {
			return nil, err
		}
	}
	c := &writ.Case{Title: "Location benchmark"}
	if err := db.CreateCase(ctx, c, lead.ID); err != nil {
		return nil, err
	}
	devices := []string{qs.target}
	for _, q := range append(slices.Clone(qs.trajWarm), qs.traj...) {
		devices = append(devices, q.device)
	}
	slices.Sort(devices)
	var sels []writ.Selector
	for _, d := range slices.Compact(devices) {
		sels = append(sels, writ.Selector{Kind: writ.SelDevice, Value: d})
	}
	now := writ.Now()
	base := writ.Authority{CaseID: c.ID, IssuingBody: "Brussels court of first instance",
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(30 * 24 * time.Hour),
		Categories: []writ.Category{writ.CatLocation}, RequestedBy: lead.ID,
		WindowStart: w.start.Add(-24 * time.Hour), WindowEnd: w.end.Add(24 * time.Hour)}
	warrant, fence := base, base
	warrant.Kind, warrant.Reference, warrant.Selectors = writ.KindSearchWarrant, "BENCH/SW/1", sels
	const m = 0.05 // degrees around the world's pings
	fence.Kind, fence.Reference = writ.KindGeofence1, "BENCH/GF/1"
	fence.Area = box(w.box[0]-m, w.box[1]-m, w.box[2]+m, w.box[3]+m)
	f := &fixture{db: db, lead: lead, caseID: c.ID, purpose: "location benchmark"}
	for _, a := range []*writ.Authority{&warrant, &fence} {
		if err := db.CreateAuthority(ctx, a); err != nil {
			return nil, err
		}
		if _, err := db.ApproveAuthority(ctx, a.ID, boss.ID); err != nil {
			return nil, err
		}
	}
	f.warrant, f.fence = warrant.ID, fence.ID
	dir := cfg.storePath("audit-" + name)
	if _, err := os.Stat(dir); !st.reused || err != nil { // a reused store's log goes on with the kept signing key
		os.RemoveAll(dir)
		if err := audit.Init(dir, "bench.writ.example/audit"); err != nil {
			return nil, err
		}
	}
	log, err := audit.Open(ctx, db, dir)
	if err != nil {
		return nil, err
	}
	f.log = log
	f.gate = scope.New(db, log)
	return f, nil
}

// box is a rectangle as a counterclockwise polygon.
func box(minLat, minLon, maxLat, maxLon float64) writ.Polygon {
	return writ.Polygon{{Lat: minLat, Lon: minLon}, {Lat: minLat, Lon: maxLon}, {Lat: maxLat, Lon: maxLon}, {Lat: maxLat, Lon: minLon}}
}

// grant asks the gate for one read, as the API does; the decision is
// audited (durably) before the grant comes back. Its time is recorded
// apart from the query it serves.
func (f *fixture) grant(ctx context.Context, authority int64, device string, area writ.Polygon, from, to time.Time, action string) (*writ.Grant, error) {
	r := scope.Request{UserID: f.lead.ID, CaseID: f.caseID, AuthorityID: authority, Category: writ.CatLocation,
		From: from, To: to, Area: area, Purpose: f.purpose, Action: action}
	if device != "" {
		r.Selectors = []writ.Selector{{Kind: writ.SelDevice, Value: device}}
	}
	start := time.Now()
	g, err := f.gate.Authorize(ctx, r)
	f.gateMu.Lock()
	f.gateMs = append(f.gateMs, ms(time.Since(start)))
	f.gateMu.Unlock()
	return g, err
}

// readAll reads every page under g, as the API's analyses do.
func (f *fixture) readAll(ctx context.Context, g *writ.Grant) ([]writ.Ping, error) {
	var all []writ.Ping
	q := writ.EventQuery{Limit: writ.MaxLimit}
	for {
		rows, err := f.db.Pings(ctx, g, q)
		if err != nil {
			return all, err
		}
		if all == nil { // one page, most reads: no copy
			all = rows
		} else {
			all = append(all, rows...)
		}
		if len(rows) < q.Limit {
			return all, nil
		}
		q.AfterID = rows[len(rows)-1].ID
	}
}

func runWrit(ctx context.Context, cfg *Config, w *worldData, qs *queries, name string) (*Side, error) {
	s := &Side{Name: "writ " + name, Load: map[string]float64{}}
	if cfg.Batch > 0 && cfg.Batch != ingest.DefaultPingBatchSize {
		s.Name += fmt.Sprintf(" (batch %d)", cfg.Batch)
	}
	st, err := openWritStore(ctx, cfg, name)
	if err != nil {
		return nil, err
	}
	defer st.close()
	f, err := newFixture(ctx, cfg, st, name, w, qs)
	if err != nil {
		return nil, err
	}
	defer f.log.Close()

	if st.reused {
		cfg.logf("%s: reusing the kept store; no ingest", s.Name)
		s.Name += " (reused store)"
		s.Stored = w.pings
		s.Notes = append(s.Notes, "The store was kept by an earlier run (WRIT_BENCH_REUSE): no ingest figures.")
		if s.Bytes, err = st.size(ctx); err != nil {
			return nil, err
		}
		s.BytesPerPing = float64(s.Bytes) / float64(max(w.pings, 1))
	} else if err := ingestWorld(ctx, cfg, st, f, w, s); err != nil {
		return nil, err
	}

	// Trajectories: one device, one UTC day, under the device warrant.
	trajectory := func(q trajQuery) (int, time.Duration, error) {
		g, err := f.grant(ctx, f.warrant, q.device, nil, q.from, q.to, "bench.trajectory")
		if err != nil {
			return 0, 0, err
		}
		t := time.Now()
		rows, err := f.readAll(ctx, g)
		return len(rows), time.Since(t), err
	}
	// Area searches: a square × an hour, under the geofence step-1 warrant.
	area := func(q areaQuery) (int, time.Duration, error) {
		g, err := f.grant(ctx, f.fence, "", box(q.minLat, q.minLon, q.maxLat, q.maxLon), q.from, q.to, "bench.area")
		if err != nil {
			return 0, 0, err
		}
		t := time.Now()
		rows, err := f.readAll(ctx, g)
		return len(rows), time.Since(t), err
	}
	if s.Trajectory, s.trajRows, err = timeQueries(qs.trajWarm, qs.traj, trajectory); err != nil {
		return nil, fmt.Errorf("trajectory: %w", err)
	}
	if s.Area, s.areaRows, err = timeQueries(qs.areaWarm, qs.area, area); err != nil {
		return nil, fmt.Errorf("area: %w", err)
	}
	cfg.logf("%s: trajectory p50 %.2f ms, area p50 %.2f ms", s.Name, s.Trajectory.P50, s.Area.P50)
	s.Gate = summarize(f.gateMs, nil)

	stop, err := startProfile(cfg.CoLocProfile)
	if err != nil {
		return nil, err
	}
	err = colocRuns(&s.CoLoc, func() (*CoLoc, error) { return f.colocate(ctx, qs.target, qs.from, qs.to, false) })
	if err := stop(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("co-location: %w", err)
	}
	cfg.logf("%s: co-location runs %v ms (last run: %v)", s.Name, floats(s.CoLoc.Runs), s.CoLoc.Steps)
	if err := colocRuns(&s.CoLocAway, func() (*CoLoc, error) { return f.colocate(ctx, qs.target, qs.from, qs.to, true) }); err != nil {
		return nil, fmt.Errorf("co-location away from home and work: %w", err)
	}
	cfg.logf("%s: co-location away from home and work runs %v ms, %d target fixes left (last run: %v)", s.Name, floats(s.CoLocAway.Runs), s.CoLocAway.TargetFixes, s.CoLocAway.Steps)
	if s.CoLocSampled, err = f.colocateSampled(ctx, qs); err != nil {
		return nil, fmt.Errorf("co-location of sampled targets: %w", err)
	}
	if c := s.CoLocSampled; c.N > 0 {
		cfg.logf("%s: co-location of %d sampled targets p50 %.0f ms, max %.0f ms (runs %s; fixes %v)", s.Name, c.N, c.P50, c.Max, floats(c.Runs), c.Fixes)
	}
	s.Notes = append(s.Notes, fmt.Sprintf("Co-location reads the target's %d days under the device warrant, then, under the geofence warrant, the pings within %d m and %s of its accurate fixes in one PingsNear (which reads only the (hour, cell) blocks around them), counted by a geo.CoLocator as they come; both gate decisions are in its time.",
		min(cfg.Days, CoLocDays), CoLocRadiusM, CoLocWithin))
	return s, nil
}

// timeQueries runs the warm-up queries, then times the others.
func timeQueries[Q any](warm, timed []Q, run func(Q) (int, time.Duration, error)) (Latency, []int, error) {
	for _, q := range warm {
		if _, _, err := run(q); err != nil {
			return Latency{}, nil, err
		}
	}
	var lat []float64
	var rows []int
	for _, q := range timed {
		n, d, err := run(q)
		if err != nil {
			return Latency{}, nil, err
		}
		lat = append(lat, ms(d))
		rows = append(rows, n)
	}
	return summarize(lat, rows), rows, nil
}

// colocRuns runs a co-location once, and three more times if that took
// under 10 s; the figure is the median of the repeated runs (the first
// warms the caches), or the single run.
func colocRuns(c *CoLoc, run func() (*CoLoc, error)) error {
	for i := 0; i < 4; i++ {
		r, err := run()
		if err != nil {
			return err
		}
		runs := append(c.Runs, r.Runs...)
		*c = *r
		c.Runs = runs
		if c.TimedOut || (i == 0 && c.Runs[0] > 10_000) {
			break
		}
	}
	rest := c.Runs
	if len(rest) > 1 {
		rest = rest[1:]
	}
	s := slices.Clone(rest)
	slices.Sort(s)
	c.P50 = s[len(s)/2]
	return nil
}

// colocateSampled times co-location for each of qs.targets over the
// seller's window: once to warm the target's blocks, then once timed.
func (f *fixture) colocateSampled(ctx context.Context, qs *queries) (CoLocSample, error) {
	var c CoLocSample
	for _, t := range qs.targets {
		if _, err := f.colocate(ctx, t, qs.from, qs.to, false); err != nil {
			return c, err
		}
		r, err := f.colocate(ctx, t, qs.from, qs.to, false)
		if err != nil {
			return c, err
		}
		c.Targets = append(c.Targets, t)
		c.Runs = append(c.Runs, r.Runs[0])
		c.Fixes = append(c.Fixes, r.TargetFixes)
	}
	c.Latency = summarize(c.Runs, c.Fixes)
	return c, nil
}

// colocate finds the devices met with the target over the window, through
// the store's reads, as the API does: the target's fixes under the device
// warrant, then one PingsNear under the geofence warrant, which reads only
// the blocks around the target's accurate fixes, and geo.CoLocation. With
// away, the target's fixes at its inferred home and work are left out
// first (the API's exclude=homework).
func (f *fixture) colocate(ctx context.Context, target string, from, to time.Time, away bool) (*CoLoc, error) {
	steps := map[string]float64{}
	start := time.Now()
	t := start
	step := func(name string) {
		steps[name] += ms(time.Since(t))
		t = time.Now()
	}
	g, err := f.grant(ctx, f.warrant, target, nil, from, to, "bench.colocation.target")
	if err != nil {
		return nil, err
	}
	step("gate")
	// The target's fixes alone, as the API reads them.
	var tb geo.TrackBuilder
	nTarget, err := f.db.PingFixes(ctx, g, writ.EventQuery{}, func(p *writ.NearPing) error {
		tb.Add(p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	step("target read")
	var fixes []geo.Fix
	for _, tr := range tb.Tracks() {
		fixes = tr.Fixes
	}
	cg, err := f.grant(ctx, f.fence, "", nil, from, to, "bench.colocation.candidates")
	if err != nil {
		return nil, err
	}
	step("gate")
	o := geo.CoLocOptions{RadiusM: CoLocRadiusM, Within: CoLocWithin, MaxAccM: CoLocMaxAccM}
	if away {
		o.Exclude, _, _ = geo.HomeWorkAreas(fixes, geo.HomeStays(), 0, geo.HomeWorkOptions{Loc: worldZone})
		step("home and work")
	}
	coloc := geo.NewCoLocator(fixes, target, o)
	before := f.db.NearStats()
	near, err := f.db.PingsNear(ctx, cg, coloc.Query(), coloc.Receiver)
	if err != nil {
		return nil, err
	}
	step("near read")
	after := f.db.NearStats()
	res := coloc.Result()
	step("geo")
	c := &CoLoc{Runs: []float64{ms(time.Since(start))}, TargetFixes: len(coloc.Query().Probes), Reads: 2,
		RowsRead: int64(nTarget + near), Devices: len(res), Steps: steps,
		IndexRows: after.IndexRows - before.IndexRows, BlocksFetched: after.Fetched - before.Fetched}
	return c, nil
}

// ingestWorld loads the world's pings into the fresh store through writ's
// ingest path and fills in the side's load figures.
func ingestWorld(ctx context.Context, cfg *Config, st *writStore, f *fixture, w *worldData, s *Side) error {
	raw, err := world.Mapping("pings")
	if err != nil {
		return err
	}
	m, err := ingest.ParseMapping(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	cfg.logf("%s: ingesting %s", s.Name, w.csv)
	start := time.Now()
	sum, err := ingest.File(ctx, st.db, m, w.csv, ingest.Options{Basis: ingest.Basis{Kind: "authority", ID: f.warrant}, BatchSize: cfg.Batch,
		ProgressEvery: 15 * time.Second, Progress: func(p ingest.Progress) {
			if !p.Done {
				cfg.logf("%s: %d rows, %.0f rows/s", s.Name, p.Rows, p.Rate())
			}
		}})
	if err != nil {
		return err
	}
	s.Load["ingest"] = time.Since(start).Seconds()
	fl := time.Now()
	if err := st.flush(ctx); err != nil {
		return err
	}
	s.Load["checkpoint"] = time.Since(fl).Seconds()
	s.LoadS = time.Since(start).Seconds()
	s.Stored = sum.Stored
	if sum.Stored != w.pings || sum.Quarantined != 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("ingest stored %d of %d pings, quarantined %d", sum.Stored, w.pings, sum.Quarantined))
	}
	s.PingsPerS = float64(sum.Stored) / s.LoadS
	if s.Bytes, err = st.size(ctx); err != nil {
		return err
	}
	s.BytesPerPing = float64(s.Bytes) / float64(max(sum.Stored, 1))
	cfg.logf("%s: ingest %.1fs (%.0f pings/s), %.1f bytes/ping; peak RSS of this process so far %d MB", s.Name, s.LoadS, s.PingsPerS, s.BytesPerPing, peakRSSMB())
	return nil
}

// startProfile starts a CPU profile into path, if set; stop ends it.
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// peakRSSMB is the process's peak resident memory so far, in MiB (Linux
// reports ru_maxrss in KiB); 0 if it cannot tell.
func peakRSSMB() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss >> 10
}
