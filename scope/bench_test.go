package scope_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/postgres"
	"github.com/writhq/writ/scope"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
)

// BenchmarkAuthorize measures audited authorizations end to end: the gate
// loads user, case, roster and authority from the store, decides, and waits
// until the decision's audit entry is durable (group commit). It reports
// authorizations per second and per-call latency percentiles. Run with
//
//	go test -run '^$' -bench Authorize -benchtime 20000x ./scope
//
// "concurrent" has 64 callers per core, as on a busy server (throughput);
// "single" has one caller (latency of one decision on an idle system).
func BenchmarkAuthorize(b *testing.B) {
	for _, mode := range []struct {
		name        string
		parallelism int
	}{{"concurrent", 64}, {"single", 0}} {
		b.Run("sqlite/"+mode.name, func(b *testing.B) {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "writ.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			benchAuthorize(b, db, mode.parallelism)
		})
		b.Run("postgres/"+mode.name, func(b *testing.B) { benchAuthorize(b, postgres.OpenTest(b), mode.parallelism) })
	}
}

func benchAuthorize(b *testing.B, db *sqlstore.DB, parallelism int) {
	ctx := context.Background()
	dir := b.TempDir()
	if err := audit.Init(dir, "bench"); err != nil {
		b.Fatal(err)
	}
	log, err := audit.Open(ctx, db, dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { log.Close() })
	req := setupCase(b, db)
	gate := scope.New(db, log)

	var mu sync.Mutex
	var lat []time.Duration
	b.ReportAllocs()
	loop := func(next func() bool) {
		var mine []time.Duration
		for next() {
			t := time.Now()
			g, err := gate.Authorize(ctx, req)
			if err != nil || g == nil {
				b.Errorf("Authorize = %v, %v; want a grant", g, err)
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	}
	start := time.Now()
	b.ResetTimer()
	if parallelism > 0 {
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) { loop(pb.Next) })
	} else {
		i := 0
		loop(func() bool { i++; return i <= b.N })
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "authz/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

// setupCase creates an investigator on a case with an approved authority and
// returns a request inside it.
func setupCase(tb testing.TB, db *sqlstore.DB) scope.Request {
	tb.Helper()
	ctx := context.Background()
	ivy := &writ.User{Username: "ivy", Role: writ.RoleInvestigator, Active: true, PasswordHash: "x"}
	sam := &writ.User{Username: "sam", Role: writ.RoleSupervisor, Active: true, PasswordHash: "x"}
	for _, u := range []*writ.User{ivy, sam} {
		if err := db.CreateUser(ctx, u); err != nil {
			tb.Fatal(err)
		}
	}
	c := &writ.Case{Title: "ring", Status: writ.CaseOpen}
	if err := db.CreateCase(ctx, c, ivy.ID); err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	phone := writ.Selector{Kind: writ.SelPhone, Value: "+32491000001"}
	a := &writ.Authority{CaseID: c.ID, Kind: writ.KindPenRegister, IssuingBody: "court", Reference: "PR-1",
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour), Categories: []writ.Category{writ.CatComms},
		Selectors: []writ.Selector{phone}, WindowStart: now.Add(-30 * 24 * time.Hour), WindowEnd: now,
		RequestedBy: ivy.ID}
	if err := db.CreateAuthority(ctx, a); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.ApproveAuthority(ctx, a.ID, sam.ID); err != nil {
		tb.Fatal(err)
	}
	return scope.Request{UserID: ivy.ID, CaseID: c.ID, AuthorityID: a.ID, Category: writ.CatComms,
		Selectors: []writ.Selector{phone}, From: now.Add(-7 * 24 * time.Hour), To: now.Add(-time.Hour),
		Purpose: "map the ring's contacts", Action: "read.contacts"}
}
