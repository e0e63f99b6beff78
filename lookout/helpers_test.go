package lookout_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/lookout"
	"github.com/writhq/writ/scope"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
)

// fixture is a SQLite store with a real audit log and gate, a lead
// investigator and a supervisor, an open case, an agreement to ingest
// under, and a lookout service whose clock tests can move.
type fixture struct {
	ctx        context.Context
	db         *sqlstore.DB
	log        *audit.Log
	gate       *scope.Gate
	svc        *lookout.Service
	ingest     ingest.Store
	lead, boss *writ.User
	c          *writ.Case
	agreement  *writ.Agreement
	clock      atomic.Int64 // unix µs; zero: real time
	seq        atomic.Int64
}

// t0 is an hour ago: events in tests happen after it.
var t0 = writ.Now().Add(-time.Hour)

func newFixture(t testing.TB, cfg lookout.Config) *fixture {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "writ.db"))
	if err != nil {
		t.Fatalf("sqlite.Open() = %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return newFixtureOn(t, db, cfg)
}

// newFixtureOn builds the fixture on an open, empty store.
func newFixtureOn(t testing.TB, db *sqlstore.DB, cfg lookout.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	keys := filepath.Join(t.TempDir(), "keys")
	if err := audit.Init(keys, "writ-test"); err != nil {
		t.Fatalf("audit.Init() = %v", err)
	}
	l, err := audit.Open(ctx, db, keys)
	if err != nil {
		t.Fatalf("audit.Open() = %v", err)
	}
	t.Cleanup(func() { l.Close() })
	f := &fixture{ctx: ctx, db: db, log: l, gate: scope.New(db, l)}
	f.lead = f.user(t, "ivy", writ.RoleInvestigator)
	f.boss = f.user(t, "sam", writ.RoleSupervisor)
	f.c = &writ.Case{Title: "Counterfeit document ring"}
	if err := db.CreateCase(ctx, f.c, f.lead.ID); err != nil {
		t.Fatalf("CreateCase() = %v", err)
	}
	f.agreement = &writ.Agreement{Name: "Carrier sharing", Dataset: "carrier", Parties: []string{"Carrier", "Police"},
		Purposes: []string{"investigations"}, RetentionDays: 365, ExpiresAt: writ.Now().Add(365 * 24 * time.Hour), CreatedBy: f.lead.ID}
	if err := db.CreateAgreement(ctx, f.agreement); err != nil {
		t.Fatalf("CreateAgreement() = %v", err)
	}
	cfg.Store, cfg.Gate, cfg.Audit = db, f.gate, l
	cfg.Now = func() time.Time {
		if v := f.clock.Load(); v != 0 {
			return time.UnixMicro(v).UTC()
		}
		return writ.Now()
	}
	f.svc = lookout.New(cfg)
	t.Cleanup(f.svc.Close)
	f.ingest = f.svc.Wrap(db)
	return f
}

func (f *fixture) user(t testing.TB, name string, role writ.Role) *writ.User {
	t.Helper()
	u := &writ.User{Username: name, DisplayName: name, Role: role, Active: true, PasswordHash: "x"}
	if err := f.db.CreateUser(f.ctx, u); err != nil {
		t.Fatalf("CreateUser(%s) = %v", name, err)
	}
	return u
}

// authority stores an authority over cats naming sels (and area), in force
// for expires from now, with a window from a day before t0 to a day after
// now, approved by the supervisor.
func (f *fixture) authority(t testing.TB, cats []writ.Category, sels []string, area writ.Polygon, expires time.Duration) *writ.Authority {
	t.Helper()
	now := writ.Now()
	a := &writ.Authority{CaseID: f.c.ID, Kind: writ.KindSearchWarrant, IssuingBody: "Brussels court of first instance",
		Reference: fmt.Sprint("SW-", f.seq.Add(1)), IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(expires),
		Categories: cats, WindowStart: t0.Add(-24 * time.Hour), WindowEnd: now.Add(24 * time.Hour), Area: area,
		RequestedBy: f.lead.ID}
	for _, s := range sels {
		sel, err := writ.ParseSelector(s)
		if err != nil {
			t.Fatal(err)
		}
		a.Selectors = append(a.Selectors, sel)
	}
	if err := f.db.CreateAuthority(f.ctx, a); err != nil {
		t.Fatalf("CreateAuthority() = %v", err)
	}
	got, err := f.db.ApproveAuthority(f.ctx, a.ID, f.boss.ID)
	if err != nil {
		t.Fatalf("ApproveAuthority() = %v", err)
	}
	return got
}

// create makes a lookout as the lead.
func (f *fixture) create(t testing.TB, l *writ.Lookout) *writ.Lookout {
	t.Helper()
	l.CaseID, l.CreatedBy = f.c.ID, f.lead.ID
	if l.Purpose == "" {
		l.Purpose = "watch the ring's members for new activity"
	}
	if l.Name == "" {
		l.Name = "test lookout"
	}
	if err := f.svc.Create(f.ctx, l, 0); err != nil {
		t.Fatalf("Create(%s) = %v", l.Kind, err)
	}
	return l
}

// batch wraps rows of one kind in a batch of a source of its own.
func (f *fixture) batch(kind writ.DataKind) *writ.Batch {
	n := f.seq.Add(1)
	return &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: fmt.Sprint("sha256:test-", n), Number: 0, Size: 1000,
		Dataset: "carrier", Source: fmt.Sprint("test-", n), Kind: kind, BasisKind: "agreement", BasisID: f.agreement.ID}}
}

// commit ingests b through the lookout service.
func (f *fixture) commit(t testing.TB, b *writ.Batch) writ.BatchResult {
	t.Helper()
	res, err := f.ingest.CommitBatch(f.ctx, b)
	if err != nil {
		t.Fatalf("CommitBatch() = %v", err)
	}
	return res
}

func (f *fixture) alerts(t testing.TB, lookoutID int64) []*writ.Alert {
	t.Helper()
	as, err := f.db.ListAlerts(f.ctx, writ.AlertFilter{LookoutID: lookoutID})
	if err != nil {
		t.Fatalf("ListAlerts() = %v", err)
	}
	return as
}

// auditedAlerts counts the audit log's lookout.alert entries of authority a.
func (f *fixture) auditedAlerts(t testing.TB, authorityID int64) int {
	t.Helper()
	es, err := f.log.Entries(f.ctx, writ.AuditFilter{Limit: 100000})
	if err != nil {
		t.Fatalf("Entries() = %v", err)
	}
	n := 0
	for _, e := range es {
		if e.Action == "lookout.alert" && e.AuthorityID == authorityID {
			n++
		}
	}
	return n
}

func hash(s ...any) string { return fmt.Sprint(s...) }

func ping(dev string, at time.Time, lat, lon float64) writ.Ping {
	return writ.Ping{Device: dev, At: at, Lat: lat, Lon: lon, Prov: writ.Provenance{ContentHash: hash("p", dev, at.UnixNano(), lat, lon)}}
}

func plateRead(plate, cam string, at time.Time, lat, lon float64) writ.PlateRead {
	return writ.PlateRead{Plate: plate, Camera: cam, At: at, Lat: lat, Lon: lon, Prov: writ.Provenance{ContentHash: hash("r", plate, cam, at.UnixNano())}}
}

func contact(from, to string, at time.Time) writ.Contact {
	return writ.Contact{Caller: from, Callee: to, StartedAt: at, DurationSec: 60, Type: "call",
		Prov: writ.Provenance{ContentHash: hash("c", from, to, at.UnixNano())}}
}

func record(id string, at time.Time, fields map[string]string) writ.Record {
	return writ.Record{Entity: writ.EntityPerson, RecordID: id, ObservedAt: at, Fields: fields,
		Prov: writ.Provenance{ContentHash: hash("rec", id, at.UnixNano(), fields)}}
}

// square is a polygon about 1 km across around (lat, lon).
func square(lat, lon float64) writ.Polygon { return squareD(lat, lon, 0.005) }

// squareD is a square of half-side d degrees around (lat, lon).
func squareD(lat, lon, d float64) writ.Polygon {
	return writ.Polygon{{Lat: lat - d, Lon: lon - d}, {Lat: lat - d, Lon: lon + d}, {Lat: lat + d, Lon: lon + d}, {Lat: lat + d, Lon: lon - d}}
}

func ids(as []*writ.Alert) []int64 {
	out := []int64{}
	for _, a := range as {
		out = append(out, a.ID)
	}
	slices.Sort(out)
	return out
}
